"""What enters and leaves the events service."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.validation import StrictSchema
from services.events.domain import ACTIVITY_TYPES, PATHS


class LocalizedTitle(StrictSchema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(validate=validate.Length(max=300))




class ActivityDraft(StrictSchema):
    title = fields.Nested(LocalizedTitle, required=True)
    activity_type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    paths = fields.List(fields.String(validate=validate.OneOf(PATHS)), required=True,
                        validate=validate.Length(min=1, max=5))
    themes = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                         validate=validate.Length(max=20), load_default=list)
    starts_at = fields.AwareDateTime(required=True, format="iso")
    ends_at = fields.AwareDateTime(required=True, format="iso")
    venue = fields.String(validate=validate.Length(max=200), allow_none=True, load_default=None)
    description = fields.String(validate=validate.Length(max=8000), load_default="")
    lead_organizer = fields.String(required=True, validate=validate.Regexp(r"^prt_[0-9a-z]{26}$",
                                                                           error="Not a partner id."))
    co_organizers = fields.List(fields.String(validate=validate.Regexp(r"^prt_[0-9a-z]{26}$",
                                                                       error="Not a partner id.")),
                                validate=validate.Length(max=30), load_default=list)

    @validates_schema
    def ends_after_start(self, data, **_):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("An activity must end after it starts.", "ends_at")
