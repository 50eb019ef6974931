"""Events announced by the events service."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.contracts import EventType, LocalizedText

KIND_HELP = "funding | space | speakers | collections | volunteers | publicity"


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


class ActivityStepData(Schema):
    """A step of the lifecycle: who moved the activity, when, and why."""

    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    status = fields.String(required=True, metadata={"description": "the status it moved to"})
    previous_status = fields.String(required=True)
    organizers = fields.List(fields.Nested(OrganizerRef), required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "who decided (key id or partner id)"})
    at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})
    comments = fields.String(required=True, metadata={"description": "may be empty"})
    reasons = fields.List(fields.String(), required=True, metadata={"description": "reasons to return"})


class ValueChange(Schema):
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class ActivityUpdatedData(ActivityPublishedData):
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(ValueChange), required=True,
                          metadata={"description": "field -> {before, after}"})
    sent_back_for_approval = fields.Boolean(required=True)


class ActivityCancelledData(Schema):
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    reason = fields.String(required=True)
    organizers = fields.List(fields.Nested(OrganizerRef), required=True)
    starts_at = fields.String(required=True)
    was_published = fields.Boolean(metadata={"description": "whether it had been published (then partners other "
                                                            "than its organizers are told too); absent: unknown"})


class ActivityPostponedData(ActivityCancelledData):
    new_starts_at = fields.String(allow_none=True, metadata={"description": "the new start, if known"})
    new_ends_at = fields.String(allow_none=True)


class ContributionRef(Schema):
    partner_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": KIND_HELP})
    committed = fields.Raw(required=True, metadata={"description": "text or number"})
    delivered = fields.Boolean(required=True)


class ActivityCompletedData(ActivityPublishedData):
    aims = fields.List(fields.String(), required=True, metadata={"description": "outcome dimension keys"})
    capacity = fields.Integer(allow_none=True, required=True)
    registered_count = fields.Integer(required=True)
    checked_in_count = fields.Integer(required=True)
    no_show_count = fields.Integer(required=True)
    volunteer_count = fields.Integer(required=True)
    contributions = fields.List(fields.Nested(ContributionRef), required=True)
    completed_at = fields.String(required=True)


class OrganizerSuspendedData(Schema):
    activity_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    lead_partner_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    starts_at = fields.String(required=True)


class OrganizerUpdatedData(Schema):
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    status = fields.String(required=True, metadata={"description": "the activity's status"})
    starts_at = fields.String(required=True)
    partner_id = fields.String(required=True, metadata={"description": "the organizer whose part changed"})
    lead_partner_id = fields.String(required=True, metadata={"description": "the lead, to be told"})
    part = fields.String(required=True, metadata={"description": "contributions | tasks"})
    before = fields.List(fields.Dict(), required=True, metadata={
        "description": "the part before: contributions {kind, committed, description, delivered} or tasks "
                       "{title, due_at, done}"})
    after = fields.List(fields.Dict(), required=True, metadata={"description": "the part after, the same shape"})
    by = fields.String(required=True, metadata={"description": "who changed it (key id)"})
    at = fields.String(required=True, metadata={"description": "RFC 3339, UTC"})


class TaskDueData(Schema):
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True, metadata={"description": "the activity's title"})
    starts_at = fields.String(required=True)
    partner_id = fields.String(required=True, metadata={"description": "the organizer owning the task"})
    lead_partner_id = fields.String(required=True)
    task = fields.String(required=True, metadata={"description": "the task's title"})
    due_at = fields.String(required=True, metadata={"description": "RFC 3339, UTC: the deadline"})
    days_ahead = fields.Float(required=True, metadata={"description": "how long before the deadline reminders "
                                                                      "are given (TASK_REMINDER_DAYS)"})


class PersonRef(Schema):
    person_id = fields.String(required=True)
    email = fields.String(required=True)
    language = fields.String(required=True, metadata={"description": "zh | en"})


class RegistrationData(Schema):
    registration_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    title = fields.Nested(LocalizedText, required=True)
    starts_at = fields.String(required=True)
    person = fields.Nested(PersonRef, required=True)
    code = fields.String(metadata={"description": "check-in code (confirmed and promoted only)"})


class ParticipationRecordedData(Schema):
    person_id = fields.String(required=True)
    activity_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "attended | volunteered"})
    hours = fields.Float(required=True)
    recorded_at = fields.String(required=True)


class PersonalDataAnonymisedData(Schema):
    activity_id = fields.String(required=True)
    registrations = fields.Integer(required=True, metadata={"description": "how many were anonymised"})
    anonymised_at = fields.String(required=True)


EVENT_TYPES = (
    EventType("activity.published", "events", "A joint activity was published: it is public and its "
              "organizers are committed.", ActivityPublishedData, ("partners", "evaluation", "notify")),
    EventType("activity.submitted", "events", "A joint activity was submitted to the coordination group for "
              "approval (first time, again after being returned, or sent back by a change).", ActivityStepData,
              ("notify",)),
    EventType("activity.approved", "events", "The coordination group approved a joint activity.",
              ActivityStepData, ("notify",)),
    EventType("activity.returned", "events", "The coordination group returned a joint activity with reasons.",
              ActivityStepData, ("notify",)),
    EventType("activity.updated", "events", "A published activity changed; `changes` says what, before and "
              "after.", ActivityUpdatedData, ("notify", "evaluation")),
    EventType("activity.cancelled", "events", "A joint activity was cancelled, with the reason.",
              ActivityCancelledData, ("notify", "evaluation", "partners")),
    EventType("activity.postponed", "events", "A joint activity was postponed, with the reason and the new "
              "time if known.", ActivityPostponedData, ("notify",)),
    EventType("activity.started", "events", "A joint activity is in progress.", ActivityStepData, ()),
    EventType("activity.completed", "events", "A joint activity took place; attendance and contributions, no "
              "personal data (evaluation asks `events.survey_recipients` by RPC).", ActivityCompletedData,
              ("evaluation", "partners", "notify")),
    EventType("activity.archived", "events", "A finished or cancelled activity was archived.",
              ActivityStepData, ()),
    EventType("activity.organizer_suspended", "events", "An organizer of an upcoming activity was suspended; "
              "the lead is to be told.", OrganizerSuspendedData, ("notify",)),
    EventType("activity.organizer_updated", "events", "An organizer's contributions or tasks changed "
              "(`before` and `after`); the lead is told. Internal: organizers' commitments are not for webhooks.",
              OrganizerUpdatedData, ("notify",), public=False),
    EventType("activity.task_due", "events", "An organizer's task reaches its deadline soon (announced once per "
              "task and deadline); the organizer owning it is told. Internal.", TaskDueData, ("notify",), public=False),
    EventType("registration.confirmed", "events", "A person holds a seat at an activity.", RegistrationData,
              ("notify",), public=False),
    EventType("registration.waitlisted", "events", "A person is on the waitlist of a full activity.",
              RegistrationData, ("notify",), public=False),
    EventType("registration.promoted", "events", "A waitlisted person got a seat that became free.",
              RegistrationData, ("notify",), public=False),
    EventType("registration.cancelled", "events", "A registration was cancelled.", RegistrationData,
              ("notify",), public=False),
    EventType("participation.recorded", "events", "A person's attendance or confirmed volunteer hours were "
              "recorded (for the youth league's second-classroom transcript).", ParticipationRecordedData, ()),
    EventType("personal_data.anonymised", "events", "The personal data of an activity's registrants and "
              "volunteers were anonymised after the retention period.", PersonalDataAnonymisedData, ()),
)

