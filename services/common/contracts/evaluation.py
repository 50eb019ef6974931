"""Events announced by the evaluation service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType


class SurveyPreparedData(Schema):
    survey_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    item_count = fields.Integer(required=True)


EVENT_TYPES = (
    EventType("survey.prepared", "evaluation", "An outcome survey was prepared for an activity; it opens when "
              "the activity completes.", SurveyPreparedData, ()),
)
