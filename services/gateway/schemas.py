"""What enters the gateway itself (API keys), and the shapes of answers that the OpenAPI document describes.

Request bodies of the domain routes are the services' own input schemas (``services/<name>/schemas.py``); the
answer schemas below describe what the services return. They name the fields a client may rely on and allow
more (``unknown = INCLUDE`` becomes ``additionalProperties: true``): services add fields within a version.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from services.common.policy import KINDS, PARTNER
from services.common.validation import QuerySchema, StrictSchema
from services.notify import schemas as notify_schemas
from services.partners import schemas as partner_schemas

PARTNER_ID = validate.Regexp(r"^prt_[0-9a-z]{26}$", error="Not a partner id.")


class ApiKeyRequest(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "admin, staff, partner (scoped to partner_id) or campus_system "
                                                  "(read-only)"})
    label = fields.String(required=True, validate=validate.Length(min=1, max=100),
                          metadata={"description": "who holds the key, to tell keys apart"})
    partner_id = fields.String(validate=PARTNER_ID,
                               metadata={"description": "required for, and only for, partner keys"})
    expires_in_days = fields.Integer(validate=validate.Range(min=1, max=730), load_default=90)

    @validates_schema
    def partner_only_for_partner_keys(self, data, **_):
        if data.get("kind") == PARTNER and not data.get("partner_id"):
            raise ValidationError("A partner key names its partner.", "partner_id")
        if data.get("kind") not in (None, PARTNER) and data.get("partner_id"):
            raise ValidationError("Only partner keys name a partner.", "partner_id")


class ApiKeyUpdate(StrictSchema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))


CURSOR_DOC = "the next_cursor of the previous page (also in its Link: rel=next); empty or absent: the first page"


def cursor_field(like: fields.Field, *, deprecated: bool = False) -> fields.String:
    """The page cursor as clients send it, checked as the field the service reads it with (``like``)."""
    metadata = {"description": "deprecated name of cursor", "deprecated": True} if deprecated else \
        {"description": CURSOR_DOC}
    return fields.String(validate=list(like.validators), metadata=metadata)


class PageQuery(QuerySchema):
    """Paging of the gateway's own lists (API keys)."""

    cursor = cursor_field(fields.String(validate=validate.Length(max=40)))
    after = cursor_field(cursor, deprecated=True)
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


# The query strings of the services' lists as clients send them: ``cursor``, and the deprecated old name where
# there was one (the gateway passes the cursor on under the name each service reads).

def paged_query(name: str, service_query: type[Schema], old_name: str) -> type[Schema]:
    """A service's list query with ``cursor`` and the deprecated ``old_name`` it read the cursor by."""
    like = service_query._declared_fields[old_name]
    return type(name, (service_query,), {"cursor": cursor_field(like), old_name: cursor_field(like, deprecated=True)})


PartnerQuery = paged_query("PartnerQuery", partner_schemas.PartnerFilter, "after")
AgreementQuery = paged_query("AgreementQuery", partner_schemas.AgreementFilter, "after")
DeliveryPageQuery = paged_query("DeliveryPageQuery", notify_schemas.DeliveryQuery, "before")
InboxPageQuery = paged_query("InboxPageQuery", notify_schemas.InboxQuery, "before")


# Answers

class Open(Schema):
    class Meta:
        unknown = INCLUDE


class Problem(Open):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    correlation_id = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), metadata={"description": "field -> what is wrong with it"})


class ApiKeyView(Open):
    id = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "the visible start of the key"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    partner_id = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)
    created_at = fields.String(required=True)
    expires_at = fields.String(required=True)
    revoked_at = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "expired", "revoked"]))


class ApiKeyCreated(ApiKeyView):
    key = fields.String(required=True, metadata={"description": "the key itself: shown this once, never again"})


class ApiKeyPage(Open):
    items = fields.List(fields.Nested(ApiKeyView), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class LocalizedText(Open):
    zh = fields.String(required=True)
    en = fields.String()


class PartnerView(Open):
    id = fields.String(required=True)
    name = fields.Nested(LocalizedText, required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)


class PartnerPage(Open):
    items = fields.List(fields.Nested(PartnerView), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class Organizer(Open):
    partner_id = fields.String(required=True)
    role = fields.String(required=True)


class ActivityView(Open):
    id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    status = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    organizers = fields.List(fields.Nested(Organizer), required=True)


class SurveyList(Open):
    activity_id = fields.String(required=True)
    surveys = fields.List(fields.Dict(), required=True)


class EndpointView(Open):
    id = fields.String(required=True)
    owner_partner_id = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    status = fields.String(required=True)


class EndpointCreated(EndpointView):
    secret = fields.String(required=True, metadata={"description": "whsec_…: shown this once, never again"})


class ItemList(Open):
    items = fields.List(fields.Dict(), required=True)


class Page(ItemList):
    next_cursor = fields.String(required=True, allow_none=True,
                                metadata={"description": "pass as cursor for the next page; null on the last"})


class Health(Open):
    status = fields.String(required=True)


class Readiness(Open):
    ready = fields.Boolean(required=True)
    checks = fields.Dict(required=True)
