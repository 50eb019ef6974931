"""Events announced by the evaluation service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType


class SurveyPreparedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    item_count = fields.Integer(required=True)


class PartnerEvaluatedData(Schema):
    partner_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    role = fields.String(required=True, metadata={"description": "lead | co_organizer"})
    outcome_share_agreeing = fields.Float(required=True, allow_none=True,
                                          metadata={"description": "0..1 share of answers agreeing on outcomes"})
    response_count = fields.Integer(required=True)
    attendance_ratio = fields.Float(required=True, allow_none=True)
    contributions_delivered_ratio = fields.Float(required=True, allow_none=True)
    evaluated_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})


EVENT_TYPES = (
    EventType("survey.prepared", "evaluation", "An outcome survey was prepared for an activity; it opens when "
              "the activity completes.", SurveyPreparedData, ()),
    EventType("partner.evaluated", "evaluation", "A partner's part in a completed activity was evaluated.",
              PartnerEvaluatedData, ("partners",)),
)


class Invitation(Schema):
    email = fields.String(required=True)
    language = fields.String(required=True, metadata={"description": "zh-CN | en"})
    token = fields.String(required=True)


class InvitationsIssuedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    stage = fields.String(required=True)
    closes_at = fields.String(required=True, metadata={"description": "RFC 3339"})
    invitations = fields.List(fields.Nested(Invitation), required=True)


EVENT_TYPES += (
    EventType("survey.invitations_issued", "evaluation", "Attendees are invited to answer a survey; notify "
              "emails each invitation.", InvitationsIssuedData, ("notify",), public=False),
)
