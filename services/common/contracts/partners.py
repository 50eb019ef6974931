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


class PartnerDecisionData(Schema):
    partner_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "the new status"})
    previous_status = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "may be empty"})
    decided_by = fields.String(required=True)
    decided_at = fields.String(required=True, metadata={"description": "RFC 3339"})
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True)


class PartnerApprovedData(PartnerDecisionData):
    conditions = fields.List(fields.String(), required=True)
    expires_at = fields.String(required=True, metadata={"description": "RFC 3339: when the approval lapses"})


class AgreementSignedData(Schema):
    agreement_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    counterpart = fields.String(required=True)
    starts_on = fields.String(required=True, metadata={"description": "ISO date"})
    ends_on = fields.String(required=True, metadata={"description": "ISO date"})
    scope = fields.String(required=True)


class AgreementExpiringData(Schema):
    agreement_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    ends_on = fields.String(required=True, metadata={"description": "ISO date"})
    days_left = fields.Integer(required=True, metadata={"description": "60 | 30 | 7"})


class AgreementExpiredData(Schema):
    agreement_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    ends_on = fields.String(required=True, metadata={"description": "ISO date"})


class RenewalDueData(Schema):
    partner_id = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"description": "RFC 3339"})


def _decision(name: str, summary: str, schema=PartnerDecisionData) -> EventType:
    return EventType(name, "partners", summary, schema, ("events", "notify"))


EVENT_TYPES += (
    _decision("partner.review_started", "The qualification review of a partner began."),
    _decision("partner.approved", "A partner passed its qualification review (possibly with conditions).",
              PartnerApprovedData),
    _decision("partner.rejected", "A partner's application was rejected."),
    _decision("partner.suspended", "A partner was suspended: it may not organize published activities."),
    _decision("partner.reinstated", "A suspended partner was reinstated."),
    _decision("partner.retired", "A partner left the registry for good."),
    EventType("agreement.signed", "partners", "A cooperation agreement with a partner was signed.",
              AgreementSignedData, ()),
    EventType("agreement.expiring", "partners", "A cooperation agreement ends in 60, 30 or 7 days.",
              AgreementExpiringData, ("notify",)),
    EventType("agreement.expired", "partners", "A cooperation agreement has ended.", AgreementExpiredData,
              ("notify",)),
    EventType("partner.renewal_due", "partners", "A partner's approval is about to lapse; it is asked to renew.",
              RenewalDueData, ("notify",)),
)
