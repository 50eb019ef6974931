"""What a campus system's command from the bus ingress (ingress.py) does, and whether it may.

The sender acts for the partner its broker user is bound to, with exactly the rights of that partner's API key:
the same policy table as HTTP (``services.common.policy``) decides, asked as a partner principal, and the data is
validated as over HTTP. Nothing here acts as the coordination group.
"""
from __future__ import annotations

from typing import Protocol

from services.common import ids
from services.common.errors import Forbidden
from services.common.policy import PARTNER, SILENCED_STANDING, Principal, authorize
from services.common.validation import load
from services.events import schemas
from services.events.domain import Actor


class Activities(Protocol):
    """The use cases a bus command needs (usecases.EventsApp); also the policy's ownership facts."""

    def organizers_of(self, activity_id: str) -> list[dict]: ...

    def standing_of(self, partner_id: str) -> str: ...

    def create_submitted(self, payload: dict, actor: Actor, activity_id: str, origin: dict) -> tuple[dict, bool]: ...

    def publish(self, activity_id: str, actor: Actor, applied_event: str | None = None) -> dict: ...


def ingress_activity_id(sender: str, message_id: str) -> str:
    """The same request (sender, message id) always makes the same activity: a redelivery creates nothing."""
    return ids.derived_id("act", sender, message_id)


def submit(app: Activities, request, principal: Principal, actor: Actor) -> dict:
    """``POST /v1/activities`` then ``submit``, in one write: ``activity.create`` for the named lead."""
    lead = request.data.get("lead_organizer") if isinstance(request.data, dict) else None
    try:
        authorize(principal, "activity.create", partner_id=lead)
    except Forbidden as exc:  # the field at fault, as the other refusals of the ingress name theirs
        raise Forbidden(exc.message, {**exc.details, "field": "lead_organizer"}) from None
    origin = {"channel": "amqp", "request_id": request.request_id, "sender": request.sender}
    activity, _ = app.create_submitted(request.data, actor, ingress_activity_id(request.sender, request.request_id),
                                       origin)
    return activity


def publish(app: Activities, request, principal: Principal, actor: Actor) -> dict:
    """``POST /v1/activities/{id}/publish``: ``activity.publish`` (the lead only; others' are not found)."""
    load(schemas.PublishCommand(), request.data)
    authorize(principal, "activity.publish", activity_id=request.data["activity_id"])
    return app.publish(request.data["activity_id"], actor, applied_event=request.request_id)


def run(app: Activities, request) -> dict:
    """The accepted answer of one ``IngressRequest``; a refusal raises the declared error HTTP would answer."""
    by = f"amqp:{request.sender}"
    standing = app.standing_of(request.partner_id)
    if standing in SILENCED_STANDING:  # as its API keys: a suspended or retired partner acts through no channel
        raise Forbidden(f"Partner {request.partner_id} is {standing}: its bus users are refused until the "
                        "coordination group reinstates it.", {"partner_id": request.partner_id, "standing": standing})
    principal = Principal(kind=PARTNER, key_id=by, partner_id=request.partner_id, facts=app)
    actor = Actor(by=by, partner_id=request.partner_id)
    command = submit if request.type == "activity.submit" else publish
    activity = command(app, request, principal, actor)
    return {"status": "accepted", "request_id": request.request_id, "activity_id": activity["id"],
            "activity_status": activity["status"]}
