"""Events announced by the notify service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType


class EndpointDisabledData(Schema):
    endpoint_id = fields.String(required=True)
    owner_partner_id = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "gone (410) | failing | owner"})


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("endpoint.disabled", "notify", "A webhook endpoint was disabled (410 Gone, or failing for days); "
              "its owner is told.", EndpointDisabledData, ("notify",)),
)
