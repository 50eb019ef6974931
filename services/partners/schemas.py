"""What enters and leaves the partners service."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.validation import StrictSchema
from services.partners.domain import ALL_KINDS, LEVELS, kind_fits_level


class LocalizedName(StrictSchema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    en = fields.String(validate=validate.Length(max=200))


class PartnerRegistration(StrictSchema):
    name = fields.Nested(LocalizedName, required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    kind = fields.String(required=True, validate=validate.OneOf(ALL_KINDS))
    themes = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                         validate=validate.Length(max=30), load_default=list)
    description = fields.String(validate=validate.Length(max=4000), load_default="")

    @validates_schema
    def kind_matches_level(self, data, **_):
        if "level" in data and "kind" in data and not kind_fits_level(data["level"], data["kind"]):
            raise ValidationError(f"A {data['kind']} is not a unit at the {data['level']} level.", "kind")


class PartnerFilter(StrictSchema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    kind = fields.String(validate=validate.OneOf(ALL_KINDS))
    status = fields.String(validate=validate.Length(max=40))
    after = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
