"""Events announced by the events service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType, LocalizedText


class OrganizerRef(Schema):
    partner_id = fields.String(required=True)
    name = fields.Nested(LocalizedText, required=True)
    role = fields.String(required=True, metadata={"description": "lead | co_organizer"})
    level = fields.String(required=True)


class ActivityPublishedData(Schema):
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    activity_type = fields.String(required=True)
    paths = fields.List(fields.String(), required=True)
    themes = fields.List(fields.String(), required=True)
    starts_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})
    ends_at = fields.String(required=True)
    venue = fields.String(allow_none=True)
    organizers = fields.List(fields.Nested(OrganizerRef), required=True)
    published_at = fields.String(required=True)


EVENT_TYPES = (
    EventType("activity.published", "events", "A joint activity was published: it is public and its "
              "organizers are committed.", ActivityPublishedData, ("partners", "evaluation", "notify")),
)
