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


class Contribution(Schema):
    partner_id = fields.String(required=True)
    kind = fields.String(required=True)
    committed = fields.Raw(required=True, metadata={"description": "what was promised (text or number)"})
    delivered = fields.Boolean(required=True)


class ActivityCompletedData(ActivityPublishedData):
    aims = fields.List(fields.String(), required=True, metadata={"description": "outcome dimension keys"})
    capacity = fields.Integer(required=True, allow_none=True)
    registered_count = fields.Integer(required=True)
    checked_in_count = fields.Integer(required=True)
    no_show_count = fields.Integer(required=True)
    volunteer_count = fields.Integer(required=True)
    contributions = fields.List(fields.Nested(Contribution), required=True)
    completed_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})


EVENT_TYPES = (
    EventType("activity.published", "events", "A joint activity was published: it is public and its "
              "organizers are committed.", ActivityPublishedData, ("partners", "evaluation", "notify")),
    EventType("activity.completed", "events", "A joint activity took place and was closed: attendance and "
              "contributions are final. No personal data: ask events.survey_recipients by RPC.",
              ActivityCompletedData, ("evaluation",)),
)
