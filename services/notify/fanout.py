"""Webhook fan-out: which endpoints hear an event, and what of it each receives.

``every_public_event`` is one consumer for every event type, so that any public type can reach webhooks. Its quorum
queue is bound to ``#`` on ``synergy.events``; it has the delivery limit and dead letters of every other handler.
Internal types (``public=False``: personal data or secrets) are acknowledged and never forwarded. What a public
event's endpoint receives is the policy's to say (``policy.webhooks.webhook_view``): only what the endpoint's
owner may read through the API, in the view it would read; each endpoint's body is fixed here, once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from services.common.catalogue import CATALOGUE
from services.common.envelope import Envelope
from services.common.errors import NotFound
from services.common.handlers import EventHandler
from services.common.policy.webhooks import WEBHOOK_AUDIENCES, webhook_view
from services.notify.domain import Delivery, Endpoint, delivery_id, facts_of
from services.notify.webhooks import body_of


def is_public(event_type: str) -> bool:
    entry = CATALOGUE.get(event_type)
    return entry is not None and entry.public


def needs_organizers(event_type: str, data: dict) -> bool:
    """Whether the policy must be told the organizers of the event's activity: its data does not name them."""
    audience = WEBHOOK_AUDIENCES.get(event_type)
    return (audience is not None and audience.about == "activity" and bool(data.get("activity_id"))
            and "organizers" not in data and "lead_partner_id" not in data)


def deliveries_for(envelope: Envelope, endpoints: Iterable[Endpoint], activity: dict | None,
                   organizers: Callable[[str], list[dict]], now: datetime) -> list[Delivery]:
    """One delivery per endpoint that subscribed, passes its filters, and whose owner may read the event.

    ``activity`` is notify's read model of the event's activity (for filters); ``organizers(activity_id)`` asks
    the events service, only for events that do not name their organizers.
    """
    if not is_public(envelope.type):
        return []
    data = envelope.data
    known = organizers(data["activity_id"]) if needs_organizers(envelope.type, data) else []
    facts = facts_of(data, activity)
    made = []
    for endpoint in endpoints:
        if not endpoint.wants(envelope.type, facts):
            continue
        view = webhook_view(endpoint.owner_partner_id, envelope.type, data, known)
        if view is None:
            continue
        made.append(Delivery(id=delivery_id(envelope.id, endpoint.id), endpoint_id=endpoint.id,
                             owner_partner_id=endpoint.owner_partner_id, event_id=envelope.id,
                             event_type=envelope.type, body=body_of(envelope.type, envelope.moment, view),
                             state="pending", next_attempt_at=now, created_at=now))
    return made


def organizers_from(events) -> Callable[[str], list[dict]]:
    """Who organizes an activity, asked of the events service (an RPC proxy); none if it knows no such activity:
    then only the coordination group reads it, and no endpoint hears (fail closed)."""
    def ask(activity_id: str) -> list[dict]:
        try:
            return list(events.organizers_of(activity_id))
        except NotFound:
            return []
    return ask


class EveryEventHandler(EventHandler):
    def __init__(self, **kwargs):
        super().__init__("#", **kwargs)

    def accepts(self, event_type: str) -> bool:
        return True


every_event = EveryEventHandler.decorator
