"""Webhook audiences: whose endpoints hear an event, and what of it, decided by the same ``RULES`` as HTTP.

An endpoint belongs to a partner and receives an event only if that partner may read the object through the API,
in the view it would get from GET.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.common.contracts.public import PUBLIC_ACTIVITY_FIELDS, public_organizers
from services.common.policy import PARTNER, Principal, _partner_ids, allowed

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
# What any partner may read of an activity it does not organize: the fields the API's reads show it
# (contracts.public), and of an event about one, what happened to it.
PUBLIC_EVENT_FIELDS = PUBLIC_ACTIVITY_FIELDS | {
    "activity_id", "organizers", "previous_status", "at", "reason", "new_starts_at", "new_ends_at", "changes",
    "sent_back_for_approval"}
PUBLIC_CHANGES = PUBLIC_ACTIVITY_FIELDS | {"organizers"}


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
    shown = {k: v for k, v in data.items() if k in PUBLIC_EVENT_FIELDS}
    if isinstance(shown.get("organizers"), list):
        shown["organizers"] = public_organizers(shown["organizers"])
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
