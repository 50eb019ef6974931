"""Events announced by the partners service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType, LocalizedText


def status_seq_field() -> fields.Integer:
    return fields.Integer(metadata={"description": "grows with every status change of the partner: a consumer keeps "
                                                   "the highest it has seen (events may arrive out of order)"})


def profile_seq_field() -> fields.Integer:
    return fields.Integer(metadata={"description": "grows with every change of the partner's profile: a consumer "
                                                   "keeps the `spaces` of the highest it has seen"})


def space_key(name: str) -> str:
    """What makes two spaces of one partner the same space: the name, case and spaces ignored."""
    return "".join(name.split()).casefold()


class OfferedSpace(Schema):
    name = fields.String(required=True, metadata={"description": "unique among the partner's spaces (case and "
                                                                 "spaces ignored): with the partner id it names "
                                                                 "the space"})
    capacity = fields.Integer(allow_none=True, required=True)
    location = fields.String(required=True, metadata={"description": "where it is (may be empty)"})
    description = fields.String(required=True, metadata={"description": "may be empty"})


def spaces_field() -> fields.List:
    return fields.List(fields.Nested(OfferedSpace), metadata={
        "description": "every space the partner offers now (its resources of kind space); absent from events of "
                       "earlier versions"})


class PartnerRegisteredData(Schema):
    partner_id = fields.String(required=True)
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True, metadata={"description": "library | campus | outside"})
    kind = fields.String(required=True)
    status = fields.String(required=True)
    status_seq = status_seq_field()
    spaces = spaces_field()
    profile_seq = profile_seq_field()


class PartnerStatusChangedData(Schema):
    """Every step of the qualification review and of a partner's standing has this data."""

    partner_id = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "the new status: applied | under_review | approved | approved_with_conditions | rejected | "
                       "suspended | retired | active"})
    previous_status = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "why (may be empty)"})
    decided_by = fields.String(required=True, metadata={"description": "who took the step"})
    decided_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True)
    status_seq = status_seq_field()


class PartnerApprovedData(PartnerStatusChangedData):
    conditions = fields.List(fields.String(), required=True, metadata={"description": "empty unless approved with "
                                                                                      "conditions"})
    expires_at = fields.String(required=True, metadata={"description": "RFC 3339: the approval must be renewed by "
                                                                       "then"})
    weighted_total = fields.Float(allow_none=True, metadata={"description": "rubric score 0-100 of the review"})


class PartnerUpdatedData(Schema):
    partner_id = fields.String(required=True)
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    changed = fields.List(fields.String(), required=True, metadata={"description": "names of the changed fields "
                                                                                   "(values of contacts never "
                                                                                   "travel)"})
    status_seq = status_seq_field()
    spaces = spaces_field()
    profile_seq = profile_seq_field()


class PartnerRenewalDueData(Schema):
    partner_id = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"description": "RFC 3339: when the approval lapses"})


class AgreementSignedData(Schema):
    agreement_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    counterpart = fields.String(required=True, metadata={"description": "the library, or the campus unit's "
                                                                        "partner id"})
    starts_on = fields.String(required=True, metadata={"description": "ISO date"})
    ends_on = fields.String(required=True, metadata={"description": "ISO date, the last day in force"})
    scope = fields.String(required=True)


class AgreementExpiringData(Schema):
    agreement_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    ends_on = fields.String(required=True)
    days_left = fields.Integer(required=True, metadata={"description": "60 | 30 | 7"})


class AgreementExpiredData(Schema):
    agreement_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    ends_on = fields.String(required=True)


def _status_type(name: str, summary: str, schema=PartnerStatusChangedData) -> EventType:
    return EventType(name, "partners", summary, schema, ("events", "notify"))


EVENT_TYPES = (
    EventType("partner.registered", "partners", "A unit or outside institution was entered in the partner "
              "registry.", PartnerRegisteredData, ("events",)),
    EventType("partner.updated", "partners", "A partner's profile (names, contacts, resources, themes) changed; "
              "`spaces` lists every space it now offers.", PartnerUpdatedData, ("events",)),
    _status_type("partner.review_started", "The coordination group opened a qualification review of a partner."),
    _status_type("partner.approved", "A qualification review approved the partner (possibly with conditions) until "
                 "expires_at.", PartnerApprovedData),
    _status_type("partner.rejected", "A qualification review rejected the partner."),
    _status_type("partner.suspended", "The partner was suspended: it may not organize published activities."),
    _status_type("partner.reinstated", "A suspended partner was reinstated to its former status."),
    _status_type("partner.retired", "The partner left the registry for good."),
    EventType("partner.renewal_due", "partners", "A partner's approval lapses soon: it is asked to renew.",
              PartnerRenewalDueData, ("notify",)),
    EventType("agreement.signed", "partners", "An agreement (MoU) with a partner was signed and is in force.",
              AgreementSignedData, ("notify",)),
    EventType("agreement.expiring", "partners", "An agreement ends in 60, 30 or 7 days (each announced once).",
              AgreementExpiringData, ("notify",)),
    EventType("agreement.expired", "partners", "An agreement reached its last day (announced once).",
              AgreementExpiredData, ("notify",)),
)

