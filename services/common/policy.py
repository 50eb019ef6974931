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


# ---------------------------------------------------------------------------------------------------------------
# Webhook audiences: an endpoint belongs to a partner and receives an event only if that partner may read the
# object through the API, in the view it would get from GET. Each public event type has one row: the action (of
# RULES above) whose partner scope decides, what the action is about, and the view. A type without a row reaches
# nobody (fail closed): a new type is silent on webhooks until a row is added here. Every endpoint is owned by a
# partner (staff and systems read through the API), so no endpoint hears what only the coordination group reads.
# ---------------------------------------------------------------------------------------------------------------

WHOLE = "whole"          # the event's data as it is, to whoever may read the object
PUBLIC = "public"        # organizers get the whole data, any other partner the public view of the activity
OWN_PARTS = "own_parts"  # as PUBLIC, but each organizer sees only its own contributions
REVISED = "revised"      # activity.updated: PUBLIC while it stays published; sent back for approval: organizers
CALLED_OFF = "called_off"  # cancelled/postponed: PUBLIC if it was published before, else organizers only


@dataclass(frozen=True)
class Audience:
    action: str              # the HTTP action whose partner scope decides
    about: str = "activity"  # activity | partner | agreement | endpoint | nothing: which object of the data
    view: str = WHOLE


_ORGANIZERS = Audience("activity.read")  # drafts, reviews, steps of the lifecycle: organizers only
WEBHOOK_AUDIENCES: dict[str, Audience] = {
    "activity.published": Audience("activity.list", view=PUBLIC),
    "activity.started": Audience("activity.list", view=PUBLIC),
    "activity.completed": Audience("activity.list", view=OWN_PARTS),
    "activity.updated": Audience("activity.list", view=REVISED),
    "activity.cancelled": Audience("activity.list", view=CALLED_OFF),
    "activity.postponed": Audience("activity.list", view=CALLED_OFF),
    "activity.submitted": _ORGANIZERS, "activity.approved": _ORGANIZERS, "activity.returned": _ORGANIZERS,
    "activity.archived": _ORGANIZERS, "activity.organizer_suspended": _ORGANIZERS,
    "participation.recorded": Audience("registration.list"),  # a person's attendance: the organizers' roster
    "personal_data.anonymised": Audience("registration.list"),
    "survey.prepared": Audience("survey.read"), "survey.opened": Audience("survey.read"),
    "survey.closed": Audience("survey.read"),
    "partner.evaluated": Audience("report.read", "partner"),  # an organizer's own score, not its partners'
    "term_report.generated": Audience("report.read", "nothing"),  # the whole term: the coordination group's
    "endpoint.disabled": Audience("endpoint.read", "endpoint"),
    **{f"agreement.{verb}": Audience("agreement.read", "agreement") for verb in ("signed", "expiring", "expired")},
    # a partner reads only its own partner object (partner.read): news of a partner go to that partner alone
    **{f"partner.{verb}": Audience("partner.read", "partner") for verb in (
        "registered", "updated", "review_started", "approved", "rejected", "suspended", "reinstated", "retired",
        "renewal_due")},
}
# What any partner may read of an activity it does not organize (what listings and the calendar show).
PUBLIC_ACTIVITY_FIELDS = frozenset({
    "activity_id", "title", "activity_type", "paths", "themes", "starts_at", "ends_at", "venue", "organizers",
    "published_at", "status", "previous_status", "at", "completed_at", "reason", "new_starts_at", "new_ends_at",
    "changes", "sent_back_for_approval"})
PUBLIC_CHANGES = frozenset({
    "title", "activity_type", "paths", "themes", "elements", "audience", "brand", "series", "occurrence",
    "description", "starts_at", "ends_at", "all_day", "venue", "venue_id", "capacity", "registration_opens_at",
    "registration_closes_at", "organizers"})


@dataclass
class EventFacts:
    """``Facts`` read from an event's data (and the organizers notify looked up for it)."""

    data: dict
    organizers: list[dict]

    def organizers_of(self, activity_id: str) -> list[dict]:
        return self.organizers

    def endpoint_owner(self, endpoint_id: str) -> str:
        return str(self.data.get("owner_partner_id"))

    def agreement_parties(self, agreement_id: str) -> set[str]:
        return {self.data[k] for k in ("partner_id", "counterpart") if str(self.data.get(k, "")).startswith("prt_")}


def event_organizers(data: dict) -> list[dict]:
    """The organizers an event's data names: ``organizers``, and the lead and organizer of organizer news."""
    found = [o for o in data.get("organizers") or [] if isinstance(o, dict) and o.get("partner_id")]
    found += [{"partner_id": data[k], "role": role} for k, role in (("lead_partner_id", "lead"),
                                                                    ("partner_id", "co_organizer")) if data.get(k)]
    return found


def _public_view(data: dict) -> dict:
    shown = {k: v for k, v in data.items() if k in PUBLIC_ACTIVITY_FIELDS}
    if isinstance(data.get("changes"), dict):
        shown["changes"] = {k: v for k, v in data["changes"].items() if k in PUBLIC_CHANGES}
    return shown


def _organizer_view(audience: Audience, owner: str, data: dict) -> dict:
    if audience.view == OWN_PARTS and "contributions" in data:
        return {**data, "contributions": [c for c in data["contributions"] if c.get("partner_id") == owner]}
    return data


def webhook_view(owner_partner_id: str, event_type: str, data: dict,
                 organizers: list[dict] | None = None) -> dict | None:
    """What of an event the endpoints of ``owner_partner_id`` receive; None: not delivered.

    ``organizers`` (``[{partner_id, role}]``) completes an event whose data does not name them (looked up by
    notify); without them only the organizers the data names count, and an unknown type reaches nobody.
    """
    audience = WEBHOOK_AUDIENCES.get(event_type)
    if audience is None:
        return None
    facts = EventFacts(data, event_organizers(data) + list(organizers or []))
    reader = Principal(PARTNER, "webhook", owner_partner_id, facts=facts)
    resource = {"activity": {"activity_id": data.get("activity_id")}, "partner": {"partner_id": data.get("partner_id")},
                "agreement": {"agreement_id": data.get("agreement_id")},
                "endpoint": {"endpoint_id": data.get("endpoint_id")}}.get(audience.about, {})
    if not allowed(reader, audience.action, **resource):
        return None
    if audience.view == WHOLE:
        return data
    if owner_partner_id in _partner_ids(facts.organizers):
        return _organizer_view(audience, owner_partner_id, data)
    published = {REVISED: not data.get("sent_back_for_approval", True),
                 CALLED_OFF: data.get("was_published") is True}.get(audience.view, True)
    return _public_view(data) if published else None
