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


class PartnerStatusChangedData(Schema):
    """A decision on a partner's standing (the agreed cross-service contract)."""

    partner_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "the new status"})
    previous_status = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "may be empty"})
    decided_by = fields.String(required=True)
    decided_at = fields.String(required=True, metadata={"description": "RFC 3339"})
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True)


class PartnerApprovedData(PartnerStatusChangedData):
    conditions = fields.List(fields.String(), required=True)
    expires_at = fields.String(required=True, metadata={"description": "RFC 3339"})


STATUS_CHANGES = ("review_started", "approved", "rejected", "suspended", "reinstated", "retired")

EVENT_TYPES = (
    EventType("partner.registered", "partners", "A unit or outside institution was entered in the partner "
              "registry.", PartnerRegisteredData, ("events",)),
    EventType("partner.review_started", "partners", "A partner's qualification review started.",
              PartnerStatusChangedData, ("events",)),
    EventType("partner.approved", "partners", "A partner was approved (possibly with conditions) until "
              "`expires_at`.", PartnerApprovedData, ("events",)),
    EventType("partner.rejected", "partners", "A partner's application was rejected.", PartnerStatusChangedData,
              ("events",)),
    EventType("partner.suspended", "partners", "A partner was suspended.", PartnerStatusChangedData, ("events",)),
    EventType("partner.reinstated", "partners", "A suspended partner was reinstated.", PartnerStatusChangedData,
              ("events",)),
    EventType("partner.retired", "partners", "A partner was retired from the registry.", PartnerStatusChangedData,
              ("events",)),
)
