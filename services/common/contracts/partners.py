"""Events announced by the partners service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType, LocalizedText


class PartnerRegisteredData(Schema):
    partner_id = fields.String(required=True)
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True, metadata={"description": "library | campus | outside"})
    kind = fields.String(required=True)
    status = fields.String(required=True)


EVENT_TYPES = (
    EventType("partner.registered", "partners", "A unit or outside institution was entered in the partner "
              "registry.", PartnerRegisteredData, ("events",)),
)
