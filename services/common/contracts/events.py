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
    committed = fields.Raw(required=True, metadata={"description": "what was committed: text or a number"})
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
    EventType("activity.completed", "events", "A joint activity took place and was closed: turnout and what each "
              "organizer delivered.", ActivityCompletedData, ("partners", "evaluation")),
)


class FieldChange(Schema):
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class ActivityUpdatedData(ActivityPublishedData):
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChange), required=True,
                          metadata={"description": "field -> {before, after}"})


class ActivityCancelledData(Schema):
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    reason = fields.String(required=True)
    organizers = fields.List(fields.Nested(OrganizerRef), required=True)
    starts_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})


class ActivityPostponedData(ActivityCancelledData):
    new_starts_at = fields.String(allow_none=True, metadata={"description": "RFC 3339, UTC, if known"})
    new_ends_at = fields.String(allow_none=True, metadata={"description": "RFC 3339, UTC, if known"})


class OrganizerSuspendedData(Schema):
    activity_id = fields.String(required=True)
    partner_id = fields.String(required=True, metadata={"description": "the suspended organizer"})
    lead_partner_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    starts_at = fields.String(required=True)


class PersonRef(Schema):
    person_id = fields.String(required=True)
    email = fields.String(required=True)
    language = fields.String(required=True, metadata={"description": "zh-CN | en"})


class RegistrationData(Schema):
    registration_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    starts_at = fields.String(required=True)
    person = fields.Nested(PersonRef, required=True)
    code = fields.String(metadata={"description": "check-in code (confirmed, promoted)"})


class PersonalDataAnonymisedData(Schema):
    activity_id = fields.String(required=True)
    registrations = fields.Integer(required=True, metadata={"description": "how many were anonymised"})
    anonymised_at = fields.String(required=True, metadata={"description": "RFC 3339"})


def _registration(name: str, summary: str) -> EventType:
    return EventType(name, "events", summary, RegistrationData, ("notify",), public=False)


EVENT_TYPES += (
    EventType("activity.updated", "events", "A published activity changed (time, venue, ...).",
              ActivityUpdatedData, ("notify",)),
    EventType("activity.cancelled", "events", "A published activity was cancelled.", ActivityCancelledData,
              ("notify",)),
    EventType("activity.postponed", "events", "A published activity was postponed.", ActivityPostponedData,
              ("notify",)),
    EventType("activity.organizer_suspended", "events", "An organizer of an upcoming activity was suspended; "
              "the lead organizer must act.", OrganizerSuspendedData, ("notify",)),
    _registration("registration.confirmed", "A person's place at an activity is confirmed."),
    _registration("registration.waitlisted", "A person is on the waiting list of an activity."),
    _registration("registration.promoted", "A person moved from the waiting list to a confirmed place."),
    _registration("registration.cancelled", "A person's registration was cancelled."),
    EventType("personal_data.anonymised", "events", "The personal data of an activity's registrations were "
              "anonymised; every service drops what it kept of them.", PersonalDataAnonymisedData, ("notify",)),
)
