"""Who hears what. Each rule turns one event into notices: who, by which channel, with which template.

- activity published / updated / cancelled / postponed: its organizers (partner inboxes), its registrants and
  the people who follow it (by their preferences);
- registration confirmed, waitlisted, promoted, and the check-in reminder: the person;
- review decisions, agreement expiry, renewal due: the partner and the coordination group;
- an organizer of an upcoming activity suspended: the lead organizer and the coordination group;
- an organizer's contributions or tasks changed: the lead organizer (not for the lead's own part);
- an organizer's task due soon: that organizer;
- survey invitations: each invited attendee, by email;
- an endpoint disabled: the partner that owns it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.people import Preferences, language_of, person_inbox

COORDINATION_GROUP = "coordination_group"
PARTNER_DECISIONS = ("partner.review_started", "partner.approved", "partner.rejected", "partner.suspended",
                     "partner.reinstated", "partner.retired")
PARTNER_DEADLINES = ("agreement.expiring", "agreement.expired", "partner.renewal_due")
ACTIVITY_NEWS = ("activity.published", "activity.updated", "activity.cancelled", "activity.postponed")
REGISTRATION_NEWS = ("registration.confirmed", "registration.waitlisted", "registration.promoted")


@dataclass(frozen=True)
class Notice:
    """One message to one recipient; its id is deterministic so that a redelivered event adds nothing."""

    id: str
    recipient: str  # inbox id: a partner id, "person:<id>" or "coordination_group"
    template: str
    event_id: str
    event_type: str
    context: dict = field(default_factory=dict)
    activity_id: str | None = None
    inbox: bool = True
    email: str | None = None
    language: str = "zh-CN"
    email_context: dict = field(default_factory=dict)  # only in the email, never in the inbox (e.g. a token link)


def template_of(event_type: str) -> str:
    return event_type.replace(".", "_")


def _partner(event_id: str, event_type: str, recipient: str, data: dict, template: str | None = None,
             **context) -> Notice:
    return Notice(id=f"{event_id}:{recipient}", recipient=recipient, template=template or template_of(event_type),
                  event_id=event_id, event_type=event_type, context={"data": data, **context},
                  activity_id=data.get("activity_id"))


def _person(event_id: str, event_type: str, prefs: Preferences, channels: list[str], data: dict,
            template: str | None = None, **context) -> Notice | None:
    if not channels:
        return None
    recipient = person_inbox(prefs.person_id)
    return Notice(id=f"{event_id}:{recipient}", recipient=recipient, template=template or template_of(event_type),
                  event_id=event_id, event_type=event_type, context={"data": data, **context},
                  activity_id=data.get("activity_id"), inbox="inbox" in channels,
                  email=prefs.email if "email" in channels else None, language=prefs.language)


def preferences_or_default(person: dict, known: dict[str, Preferences]) -> Preferences:
    """The person's own choices, or the defaults; an email address from a registration fills a missing one."""
    prefs = known.get(person["person_id"]) or Preferences.default_for(person["person_id"], person.get("email"),
                                                                        person.get("language"))
    if not prefs.email and person.get("email"):
        prefs.email = person["email"]
    return prefs


def activity_notices(event_type: str, event_id: str, data: dict, *, registrants: list[dict],
                     subscribers: list[Preferences], known: dict[str, Preferences]) -> list[Notice]:
    """Organizers, then registrants, then followers; nobody twice."""
    notices = [_partner(event_id, event_type, org["partner_id"], data, audience="organizer", role=org["role"])
               for org in data.get("organizers") or []]
    told: set[str] = set()
    for person in registrants:
        prefs = preferences_or_default(person, known)
        notice = _person(event_id, event_type, prefs, prefs.channels_now(event_type, own_registration=True), data,
                         audience="registrant")
        told.add(prefs.person_id)
        notices += [notice] if notice else []
    for prefs in subscribers:
        if prefs.person_id in told:
            continue
        notice = _person(event_id, event_type, prefs, prefs.channels_now(event_type, own_registration=False), data,
                         audience="subscriber")
        notices += [notice] if notice else []
    return notices


def registration_notices(event_type: str, event_id: str, data: dict, known: dict[str, Preferences],
                         attendee_link=None, token: str | None = None) -> list[Notice]:
    """The person's own notice; the attendee token (handed over by events on registering, never in an event) goes
    in the email's link only: an inbox item may be read by staff, a token there would let them act as the
    attendee."""
    prefs = preferences_or_default(data["person"], known)
    notice = _person(event_id, event_type, prefs, prefs.channels_now(event_type, own_registration=True), data)
    if notice and token and attendee_link is not None:
        notice.email_context["attendee_link"] = attendee_link(data["activity_id"], data["registration_id"], token)
    return [notice] if notice else []


def reminder_notices(registration: dict, known: dict[str, Preferences]) -> list[Notice]:
    """The check-in reminder of one registration (``registration`` as notify keeps it)."""
    prefs = preferences_or_default(registration, known)
    reminder_id = f"reminder:{registration['id']}"
    notice = _person(reminder_id, "checkin.reminder", prefs,
                     prefs.channels_now("checkin.reminder", own_registration=True), registration)
    return [notice] if notice else []


def partner_notices(event_type: str, event_id: str, data: dict) -> list[Notice]:
    """The partner concerned and the coordination group."""
    template = "partner_decision" if event_type in PARTNER_DECISIONS else None
    return [_partner(event_id, event_type, data["partner_id"], data, template, audience="partner"),
            _partner(event_id, event_type, COORDINATION_GROUP, data, template, audience="coordination_group")]


def organizer_suspended_notices(event_id: str, data: dict) -> list[Notice]:
    return [_partner(event_id, "activity.organizer_suspended", data["lead_partner_id"], data, audience="lead"),
            _partner(event_id, "activity.organizer_suspended", COORDINATION_GROUP, data,
                     audience="coordination_group")]


def organizer_updated_notices(event_id: str, data: dict) -> list[Notice]:
    if data["partner_id"] == data["lead_partner_id"]:
        return []
    return [_partner(event_id, "activity.organizer_updated", data["lead_partner_id"], data, audience="lead")]


def task_due_notices(event_id: str, data: dict) -> list[Notice]:
    return [_partner(event_id, "activity.task_due", data["partner_id"], data, audience="owner")]


def survey_invitation_notices(event_id: str, data: dict, link_of, tokens: dict[str, str]) -> list[Notice]:
    """One email per invitation whose token evaluation handed over (``tokens``: invitation id -> token; one that
    expired unused makes no email, its link would open nothing), known by its invitation id; the link, token
    included, is in the email only."""
    notices = []
    for invitation in data["invitations"]:
        token = tokens.get(invitation["invitation_id"])
        if token is None:
            continue
        notices.append(Notice(
            id=f"{event_id}:{invitation['invitation_id']}", recipient=f"invitation:{invitation['invitation_id']}",
            template="survey_invitation", event_id=event_id, event_type="survey.invitations_issued",
            activity_id=data["activity_id"], inbox=False, email=invitation["email"],
            language=language_of(invitation["language"]),
            context={"data": {k: v for k, v in data.items() if k != "invitations"}},
            email_context={"link": link_of(data["survey_id"], token)}))
    return notices


def endpoint_disabled_notices(event_id: str, data: dict) -> list[Notice]:
    return [_partner(event_id, "endpoint.disabled", data["owner_partner_id"], data, audience="owner")]
