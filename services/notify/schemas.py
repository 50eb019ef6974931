"""What enters and leaves the notify service."""
from __future__ import annotations

from marshmallow import fields, validate

from services.common.catalogue import CATALOGUE
from services.common.validation import StrictSchema


class EndpointRegistration(StrictSchema):
    owner_partner_id = fields.String(required=True, validate=validate.Regexp(r"^prt_[0-9a-z]{26}$",
                                                                             error="Not a partner id."))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=2000))
    event_types = fields.List(fields.String(validate=validate.OneOf(["*", *CATALOGUE])), required=True,
                              validate=validate.Length(min=1, max=50))
    description = fields.String(validate=validate.Length(max=500), load_default="")
