"""Events announced by the evaluation service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType


class SurveyPreparedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    item_count = fields.Integer(required=True)


class SurveyOpenedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    stage = fields.String(required=True, metadata={"description": "immediate | follow_up"})
    opens_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})
    closes_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})
    invited_count = fields.Integer(required=True)


class SurveyClosedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    stage = fields.String(required=True)
    response_count = fields.Integer(required=True)


class Invitation(Schema):
    invitation_id = fields.String(required=True, metadata={
        "description": "random; the respondent's token was handed to notify under this id by RPC (hold_tokens), "
                       "never put in an event"})
    email = fields.String(required=True)
    language = fields.String(required=True, metadata={"description": "zh | en"})


class SurveyInvitationsIssuedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    stage = fields.String(required=True)
    closes_at = fields.String(required=True, metadata={"description": "RFC 3339"})
    invitations = fields.List(fields.Nested(Invitation), required=True)


class PartnerEvaluatedData(Schema):
    partner_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    role = fields.String(required=True, metadata={"description": "lead | co_organizer"})
    outcome_share_agreeing = fields.Float(required=True, allow_none=True,
                                          metadata={"description": "null: too few responses to score"})
    response_count = fields.Integer(required=True)
    attendance_ratio = fields.Float(required=True, allow_none=True,
                                    metadata={"description": "checked in / capacity (or / registered)"})
    contributions_delivered_ratio = fields.Float(required=True, allow_none=True,
                                                 metadata={"description": "null: nothing committed"})
    evaluated_at = fields.String(required=True)


class TermReportGeneratedData(Schema):
    term_id = fields.String(required=True)
    report_path = fields.String(required=True, metadata={"description": "where the gateway serves it"})
    behind = fields.List(fields.String(), required=True,
                         metadata={"description": "targets falling behind, as dimension:key"})
    generated_at = fields.String(required=True)


EVENT_TYPES = (
    EventType("survey.prepared", "evaluation", "An outcome survey was prepared for an activity; it opens when "
              "the activity completes.", SurveyPreparedData, ()),
    EventType("survey.opened", "evaluation", "An outcome survey (immediate or follow-up) opened to the "
              "activity's attendees.", SurveyOpenedData, ()),
    EventType("survey.invitations_issued", "evaluation", "The invitations of an opened survey, one per "
              "attendee: notify emails each its link, with the token it was handed by RPC.",
              SurveyInvitationsIssuedData, ("notify",), public=False),
    EventType("survey.closed", "evaluation", "An outcome survey closed; later responses are refused.",
              SurveyClosedData, ()),
    EventType("partner.evaluated", "evaluation", "An organizer's performance in a completed activity: outcomes, "
              "attendance against plan, contributions delivered.", PartnerEvaluatedData, ("partners",)),
    EventType("term_report.generated", "evaluation", "The term-end outcome report was generated for the "
              "coordination group.", TermReportGeneratedData, ("notify",)),
)
