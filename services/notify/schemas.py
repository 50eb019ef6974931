"""What enters the notify service."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.catalogue import CATALOGUE
from services.common.validation import QuerySchema, StrictSchema
from services.notify.people import CHANNELS, IMMEDIATE, LANGUAGES, PERSONAL_EVENTS, WEEKLY_DIGEST

PARTNER_ID = validate.Regexp(r"^prt_[0-9a-z]{26}$", error="Not a partner id.")
PUBLIC_TYPES = sorted(name for name, entry in CATALOGUE.items() if entry.public)
SHORT = validate.Length(min=1, max=100)


def _values(max_items: int = 50) -> fields.List:
    return fields.List(fields.String(validate=SHORT), validate=validate.Length(max=max_items))


def _url(**kwargs) -> fields.Url:
    return fields.Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000), **kwargs)


def _event_types(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(
        ["*", *PUBLIC_TYPES], error="Not a public event type (internal types are never sent by webhook).")),
        validate=validate.Length(min=1, max=50), **kwargs)


class EndpointFilters(StrictSchema):
    organizer = fields.List(fields.String(validate=PARTNER_ID), validate=validate.Length(max=50))
    theme = _values()
    path = _values()
    activity_type = _values()


class EndpointFields(StrictSchema):
    url = _url()
    event_types = _event_types()
    filters = fields.Nested(EndpointFilters)
    description = fields.String(validate=validate.Length(max=500))


class EndpointRegistration(EndpointFields):
    url = _url(required=True)
    event_types = _event_types(required=True)
    filters = fields.Nested(EndpointFilters, load_default=dict)
    description = fields.String(validate=validate.Length(max=500), load_default="")


class Owner(StrictSchema):
    owner_partner_id = fields.String(required=True, validate=PARTNER_ID)


class EndpointChange(EndpointFields):
    status = fields.String(validate=validate.OneOf(["enabled", "disabled"]))

    @validates_schema
    def not_empty(self, data, **_):
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


class SecretRotation(StrictSchema):
    overlap_hours = fields.Float(validate=validate.Range(min=0, max=168), load_default=None)


class ReplaySince(StrictSchema):
    since = fields.AwareDateTime(required=True, format="iso")


class DeliveryQuery(QuerySchema):
    state = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
    before = fields.String(validate=validate.Regexp(r"^msg_[0-9a-z_]{1,100}$", error="Not a delivery id."))


class EmailQuery(QuerySchema):
    state = fields.String(validate=validate.OneOf(["pending", "sent", "failed"]), load_default="failed")
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


class InboxQuery(QuerySchema):
    unread = fields.Boolean(load_default=False)
    before = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


class InboxMark(StrictSchema):
    read = fields.Boolean(required=True)


class PreferencesInput(StrictSchema):
    email = fields.Email(allow_none=True, load_default=None)
    language = fields.String(validate=validate.OneOf(LANGUAGES), load_default="zh-CN")
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(max=2),
                           load_default=lambda: list(CHANNELS))
    mode = fields.String(validate=validate.OneOf([IMMEDIATE, WEEKLY_DIGEST]), load_default=IMMEDIATE)
    events = fields.List(fields.String(validate=validate.OneOf(PERSONAL_EVENTS)),
                         validate=validate.Length(max=len(PERSONAL_EVENTS)), load_default=lambda: list(PERSONAL_EVENTS))
    follow = fields.Nested(EndpointFilters, load_default=dict)

    @validates_schema
    def email_for_email(self, data, **_):
        if "email" in data.get("channels", []) and not data.get("email"):
            raise ValidationError("An email address is needed to be told by email.", "email")


class Person(StrictSchema):
    person_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{1,100}$",
                                                                      error="Not a person id."))
