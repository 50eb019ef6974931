"""Who may do what: the one place that decides, for every channel. HTTP routes ask ``authorize`` before they act;
the bus ingress and webhook audiences ask the same table.

Principals are resolved from API keys by ``http.endpoint``. Actions are named ``<area>.<verb>``
(``partner.register``, ``activity.publish``, ...); the resource arguments name what is acted on, so that a
partner's key can be limited to what that partner owns or co-organizes.

How to read ``RULES``: for each action, the principal kinds other than the admin that may perform it, each with a
*scope*: ``ANY`` (every object), or a check against the objects the caller's partner owns. An action that is not in
``RULES`` is for the coordination-group admin only (fail closed): a new route is denied to everybody else until a
row is added here.

Attendees are not API key holders: the attendee token of one registration (``Authorization: Attendee att_…``) is
accepted only by the routes that say so (``endpoint(attendees=True)``), and ``OWN_REGISTRATION`` limits it to that
registration; every other registration is "not found".

Denials answer 404 where telling would leak that an object exists (another partner's activity, endpoint, inbox),
and 403 where the caller may know the object but not act on it (a co-organizer publishing, a read-only system
writing, a partner acting in another partner's name).

Ownership facts (who organizes an activity, who owns an endpoint) are not kept here: the owning service is asked
by RPC through ``principal.facts`` (see ``gateway.facts.RpcFacts``), once per request and object.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from services.common.errors import Forbidden, NotFound

ADMIN, STAFF, PARTNER, CAMPUS_SYSTEM = "admin", "staff", "partner", "campus_system"
KINDS = (ADMIN, STAFF, PARTNER, CAMPUS_SYSTEM)  # the kinds of API keys
ATTENDEE = "attendee"  # a person holding the attendee token of one registration (not an API key)
# A partner in one of these standings acts through no channel: its API keys and its bound bus users are refused.
SILENCED_STANDING = frozenset({"suspended", "retired", "unknown"})


class Facts(Protocol):
    """Ownership facts, answered by the services that own the objects (RPC)."""

    def organizers_of(self, activity_id: str) -> list[dict]:
        """``[{partner_id, role}]`` of an activity; raises ``NotFound`` if there is none."""

    def endpoint_owner(self, endpoint_id: str) -> str:
        """The partner id owning a webhook endpoint; raises ``NotFound`` if there is none."""

    def agreement_parties(self, agreement_id: str) -> set[str]:
        """The partner ids an agreement binds (partners decides: ``bound_partner_ids``); ``NotFound``."""


@dataclass(frozen=True)
class Principal:
    kind: str
    key_id: str
    partner_id: str | None = None
    facts: Any = field(default=None, compare=False, repr=False)
    activity_id: str | None = None       # an attendee's: the one registration its token opens
    registration_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN


# Scopes: how a partner's (or anyone's) right is limited to objects.
ANY = "any"                  # every object
OWN_PARTNER = "own_partner"  # resource partner_id is the caller's partner; others are hidden (404), none is 403
ACTS_AS = "acts_as"          # the request names the caller's partner as the actor (lead, owner); else 403
ORGANIZER = "organizer"      # the caller's partner organizes activity_id; else hidden (404)
LEAD = "lead"                # the caller's partner leads activity_id; a co-organizer gets 403, others 404
OWN_PART = "own_part"        # an organizer of activity_id (the lead too) changing its own part; else 403/404
ENDPOINT_OWNER = "endpoint_owner"  # the caller's partner owns endpoint_id; else hidden (404)
AGREEMENT_PARTY = "agreement_party"  # the caller's partner is bound by agreement_id; else hidden (404)
OWN_REGISTRATION = "own_registration"  # an attendee's own registration (activity_id, registration_id); else 404

READERS = {STAFF: ANY, CAMPUS_SYSTEM: ANY}

RULES: dict[str, dict[str, str]] = {
    # partners
    "partner.register": {STAFF: ANY},
    "partner.list": dict(READERS),
    "partner.read": {**READERS, PARTNER: OWN_PARTNER},
    # activities
    "activity.create": {STAFF: ANY, PARTNER: ACTS_AS},
    "activity.read": {**READERS, PARTNER: ORGANIZER},
    "activity.publish": {STAFF: ANY, PARTNER: LEAD},
    "partner.update": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "partner.history.read": {**READERS, PARTNER: OWN_PARTNER},
    "partner.export": dict(READERS),
    "partner.import": {STAFF: ANY},
    "partner.import.read": {STAFF: ANY},
    "partner.recommend": {STAFF: ANY},
    "partner.review.read": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "partner.review.evidence": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "partner.rubric.read": {STAFF: ANY},
    # agreements
    "agreement.sign": {STAFF: ANY},
    "agreement.list": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "agreement.read": {STAFF: ANY, PARTNER: AGREEMENT_PARTY},
    "agreement.link_activity": {STAFF: ANY},
    # activities: the lead edits and moves its activity; the coordination group approves and returns
    "activity.list": {**READERS, PARTNER: ANY},               # the published ones: everybody may know them
    "activity.list_unpublished": {**READERS, PARTNER: ACTS_AS},  # drafts etc.: a partner lists only its own
    "activity.edit": {STAFF: ANY, PARTNER: LEAD},
    "activity.submit": {STAFF: ANY, PARTNER: LEAD},
    "activity.start": {STAFF: ANY, PARTNER: LEAD},
    "activity.complete": {STAFF: ANY, PARTNER: LEAD},
    "activity.archive": {STAFF: ANY},
    "activity.cancel": {STAFF: ANY, PARTNER: LEAD},
    "activity.postpone": {STAFF: ANY, PARTNER: LEAD},
    "activity.add_occurrence": {STAFF: ANY, PARTNER: LEAD},
    "activity.add_organizer": {STAFF: ANY, PARTNER: LEAD},
    "activity.edit_contributions": {STAFF: ANY, PARTNER: OWN_PART},
    "activity.edit_tasks": {STAFF: ANY, PARTNER: OWN_PART},
    # venues, registrations, volunteers
    "venue.list": {**READERS, PARTNER: ANY},
    "venue.read": {**READERS, PARTNER: ANY},
    "venue.register": {STAFF: ANY},
    "registration.create": {STAFF: ANY, PARTNER: ORGANIZER},
    "registration.list": {STAFF: ANY, PARTNER: ORGANIZER},
    "registration.read": {STAFF: ANY, PARTNER: ORGANIZER, ATTENDEE: OWN_REGISTRATION},
    "registration.cancel": {STAFF: ANY, PARTNER: ORGANIZER, ATTENDEE: OWN_REGISTRATION},
    "registration.surveys": {STAFF: ANY, PARTNER: ORGANIZER, ATTENDEE: OWN_REGISTRATION},
    "registration.check_in": {STAFF: ANY, PARTNER: ORGANIZER},
    "volunteer.add_role": {STAFF: ANY, PARTNER: LEAD},
    "volunteer.add_shift": {STAFF: ANY, PARTNER: LEAD},
    "volunteer.read_shifts": {**READERS, PARTNER: ORGANIZER},
    "volunteer.sign_up": {STAFF: ANY, PARTNER: ORGANIZER},
    "volunteer.list": {STAFF: ANY, PARTNER: ORGANIZER},
    "volunteer.cancel": {STAFF: ANY, PARTNER: ORGANIZER},
    "volunteer.confirm_hours": {STAFF: ANY, PARTNER: ORGANIZER},
    "participation.read": {STAFF: ANY, CAMPUS_SYSTEM: ANY},
    "participation.export": {STAFF: ANY, CAMPUS_SYSTEM: ANY},  # everyone's record: never a partner
    # evaluation: organizers see and add to their surveys; the coordination group sets plans and reads all;
    # a partner reads its own unit's report (``partner_id`` = the unit; not the whole-term report: 403)
    "survey.read": {**READERS, PARTNER: ORGANIZER},
    "survey.customise": {STAFF: ANY, PARTNER: ORGANIZER},
    "survey.close": {STAFF: ANY},
    "score.read": dict(READERS),
    "synergy.read": dict(READERS),
    "plan.set": {STAFF: ANY},
    "plan.read": dict(READERS),
    "report.read": {**READERS, PARTNER: OWN_PARTNER},
    # notify
    "endpoint.register": {STAFF: ANY, PARTNER: ACTS_AS},
    "endpoint.read": {STAFF: ANY, PARTNER: ENDPOINT_OWNER},
    "delivery.list": {STAFF: ANY, PARTNER: ENDPOINT_OWNER},
    "inbox.read": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "inbox.mark": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "endpoint.list": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "endpoint.update": {STAFF: ANY, PARTNER: ENDPOINT_OWNER},
    "endpoint.rotate_secret": {STAFF: ANY, PARTNER: ENDPOINT_OWNER},
    "delivery.read": {STAFF: ANY, PARTNER: OWN_PARTNER},      # notify checks the delivery is the partner's
    "delivery.replay": {STAFF: ANY, PARTNER: OWN_PARTNER},
    "preferences.read": {STAFF: ANY},
    "preferences.update": {STAFF: ANY},
    # operations: the Prometheus scrape (counts by route and event type, no object of any partner)
    "metrics.read": dict(READERS),
    # API keys, partner approval and every action not listed: the coordination-group admin only.
}

# Actions anyone may take without a key, on routes marked ``public``: what they show is public by nature (the
# calendar holds published activities only, without personal data), so a website or a calendar app subscribes.
ANYONE = frozenset({"calendar.read"})

# Actions deliberately for the admin only (documented here so that the route audit test knows them).
ADMIN_ONLY = frozenset({
    "apikey.create", "apikey.list", "apikey.read", "apikey.revoke", "apikey.update",
    "partner.review.start", "partner.review.score", "partner.review.decide", "partner.rubric.set",
    "partner.suspend", "partner.reinstate", "partner.retire", "agreement.check",
    "activity.approve", "activity.return",
    "email.list", "email.retry",  # emails carry people's addresses: the coordination group's operators only
    "activity.waive_reapproval",  # moving a published activity's time or venue without sending it back
})


def _hidden(resource: dict[str, object]) -> NotFound:
    """The same answer as for an object that does not exist."""
    name, value = next(iter(resource.items()), ("object", ""))
    noun = name.removesuffix("_id").replace("_", " ")
    return NotFound(f"No {noun} {value}.", {name: value})


def _refuse(principal: Principal, action: str) -> Forbidden:
    return Forbidden(f"This {principal.kind} key may not {action}.", {"action": action})


def _partner_ids(organizers: list[dict], role: str | None = None) -> set[str]:
    return {org["partner_id"] for org in organizers if role is None or org.get("role") == role}


def _check_scope(principal: Principal, action: str, scope: str, resource: dict[str, Any]) -> None:
    if scope == ANY:
        return
    if scope == OWN_REGISTRATION:
        mine = (principal.activity_id, principal.registration_id)
        if principal.registration_id is None or (resource.get("activity_id"), resource.get("registration_id")) != mine:
            raise _hidden({"registration_id": resource.get("registration_id")})
        return
    own = principal.partner_id
    if own is None:
        raise _refuse(principal, action)
    if scope == OWN_PARTNER:
        if resource.get("partner_id") is None:  # not one partner's object (a whole list, a person, the group)
            raise _refuse(principal, action)
        if resource.get("partner_id") != own:
            raise _hidden({"partner_id": resource.get("partner_id")})
        return
    if scope == ACTS_AS:
        if resource.get("partner_id") != own:
            raise Forbidden(f"A partner key acts only for its own partner ({own}).",
                            {"action": action, "partner_id": own})
        return
    if scope == ENDPOINT_OWNER:
        endpoint_id = str(resource.get("endpoint_id"))
        if principal.facts.endpoint_owner(endpoint_id) != own:
            raise _hidden({"endpoint_id": endpoint_id})
        return
    if scope == AGREEMENT_PARTY:
        agreement_id = str(resource.get("agreement_id"))
        if own not in principal.facts.agreement_parties(agreement_id):
            raise _hidden({"agreement_id": agreement_id})
        return
    if scope in (ORGANIZER, LEAD, OWN_PART):
        activity_id = str(resource.get("activity_id"))
        organizers = principal.facts.organizers_of(activity_id)
        if own not in _partner_ids(organizers):
            raise _hidden({"activity_id": activity_id})
        if scope == LEAD and own not in _partner_ids(organizers, "lead"):
            raise Forbidden("Only the lead organizer may do this.", {"action": action})
        if scope == OWN_PART and resource.get("partner_id") != own:  # as events rules: each its own commitments
            raise Forbidden("An organizer may change only its own part.", {"action": action})
        return
    raise _refuse(principal, action)  # an unknown scope is a mistake here: deny


def authorize(principal: Principal | None, action: str, **resource: Any) -> None:
    """Raise ``Forbidden`` (403) or ``NotFound`` (404, where telling would leak) unless allowed.

    ``principal`` is None on a public route (no key asked): only the actions in ``ANYONE`` are allowed then.
    Resource arguments: ``partner_id`` (the partner acted on, or named as the actor in the body),
    ``activity_id``, ``endpoint_id``, ``agreement_id``; others are passed on and ignored by rules that do not need them.
    """
    if action in ANYONE:
        return
    if principal is None:
        raise Forbidden(f"An API key is needed to {action}.", {"action": action})
    if principal.is_admin:
        return
    scope = RULES.get(action, {}).get(principal.kind)
    if scope is None:
        raise _refuse(principal, action)
    _check_scope(principal, action, scope, resource)


def allowed(principal: Principal, action: str, **resource: Any) -> bool:
    try:
        authorize(principal, action, **resource)
        return True
    except (Forbidden, NotFound):
        return False


# --- Readers' views and the coordination group's waiver ----------------------------------------------------------
# What a reader sees of the objects a list shows it: whole where its kind may read the object (the scope of the
# read action), else only the object's public view (the owning service says which fields are public). A partner
# whose read is scoped to the activities it organizes reads those whole; the rest of a listing, or another
# partner's bookings of a venue, it sees as anyone may. The owning service applies ``Reader.reads_whole`` to each
# object, so that a list of many objects needs no question per object.

WHOLE_IF_ORGANIZER = (ORGANIZER, LEAD, OWN_PART)


@dataclass(frozen=True)
class Reader:
    """Whose objects a principal reads whole: every one (``everything``) or those ``partner_id`` organizes."""

    everything: bool = False
    partner_id: str | None = None

    def reads_whole(self, organizer_ids: list[str] | set[str] | tuple[str, ...]) -> bool:
        return self.everything or (self.partner_id is not None and self.partner_id in organizer_ids)

    def as_dict(self) -> dict:
        """As it travels by RPC to the service that shapes the answer."""
        return {"everything": self.everything, "partner_id": self.partner_id}

    @classmethod
    def of(cls, raw: dict | None) -> Reader:
        """From ``as_dict``; nothing (an internal caller that named no reader) reads only public views."""
        raw = raw or {}
        return cls(everything=raw.get("everything") is True, partner_id=raw.get("partner_id") or None)


EVERYTHING = Reader(everything=True)  # services asking for themselves (not on anyone's behalf)


def reader_of(principal: Principal | None, action: str) -> Reader:
    """The reader ``principal`` is under the read ``action`` (e.g. ``activity.read``), by the same ``RULES``."""
    if principal is None:
        return Reader()
    if principal.is_admin:
        return EVERYTHING
    scope = RULES.get(action, {}).get(principal.kind)
    if scope == ANY:
        return EVERYTHING
    if scope in WHOLE_IF_ORGANIZER and principal.partner_id:
        return Reader(partner_id=principal.partner_id)
    return Reader()
