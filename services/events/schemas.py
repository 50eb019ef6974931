"""What enters the events service: every write path and every query is loaded through one of these."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from services.common.terms import TERM_PATTERN
from services.common.validation import QuerySchema, StrictSchema
from services.events.domain import (
    ACTIVITY_TYPES,
    AIMS,
    AUDIENCES,
    CONTRIBUTION_KINDS,
    ELEMENTS,
    PATHS,
    TRANSITIONS,
)
from services.events.listing import CALENDAR_STATUSES
from services.events.registration import LANGUAGES
from services.events.venues import VENUE_KINDS

PARTNER_ID = validate.Regexp(r"^prt_[0-9a-z]{26}$", error="Not a partner id.")
VENUE_ID = validate.Regexp(r"^ven_[0-9a-z]{26}$", error="Not a venue id.")
PERSON_ID = validate.Regexp(r"^[A-Za-z0-9_.:@-]{1,80}$", error="Not a person id (letters, digits, _.:@-).")
MAX_EXPORT_DAYS = 365  # a participation export spans at most a year
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,79}$", error="Lower-case letters, digits, _ and -.")


class LocalizedTitle(StrictSchema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(validate=validate.Length(max=300))


def _choices(values, max_items=20):
    return fields.List(fields.String(validate=validate.OneOf(values)), validate=validate.Length(max=max_items))


class ActivityDetails(StrictSchema):
    """The fields a draft and an edit share."""

    title = fields.Nested(LocalizedTitle)
    activity_type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    paths = fields.List(fields.String(validate=validate.OneOf(PATHS)), validate=validate.Length(min=1, max=5))
    themes = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=20))
    elements = _choices(ELEMENTS, 6)
    audience = _choices(AUDIENCES, 5)
    aims = _choices(AIMS, 9)
    brand = fields.String(validate=validate.Length(min=1, max=100), allow_none=True)
    series = fields.String(validate=SLUG, allow_none=True)
    occurrence = fields.Integer(validate=validate.Range(min=1, max=1000), allow_none=True)
    starts_at = fields.AwareDateTime(format="iso")
    ends_at = fields.AwareDateTime(format="iso")
    all_day = fields.Boolean()
    venue = fields.String(validate=validate.Length(max=200), allow_none=True)
    venue_id = fields.String(validate=VENUE_ID, allow_none=True)
    setup_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    teardown_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    capacity = fields.Integer(validate=validate.Range(min=0, max=100_000), allow_none=True)
    registration_opens_at = fields.AwareDateTime(format="iso", allow_none=True)
    registration_closes_at = fields.AwareDateTime(format="iso", allow_none=True)
    description = fields.String(validate=validate.Length(max=8000))

    @validates_schema
    def ends_after_start(self, data, **_):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("An activity must end after it starts.", "ends_at")


class ActivityDraft(ActivityDetails):
    lead_organizer = fields.String(required=True, validate=PARTNER_ID)
    co_organizers = fields.List(fields.String(validate=PARTNER_ID), validate=validate.Length(max=30),
                                load_default=list)

    class Meta(StrictSchema.Meta):
        required = ("title", "activity_type", "paths", "starts_at", "ends_at")

    def on_bind_field(self, field_name, field_obj):
        if field_name in self.Meta.required:
            field_obj.required = True


class ActivityEdit(ActivityDetails):
    waive_reapproval = fields.Boolean(load_default=False)

    @validates_schema
    def something_to_change(self, data, **_):
        if not set(data) - {"waive_reapproval"}:
            raise ValidationError("Name at least one field to change.", "_schema")


class Decision(StrictSchema):
    comments = fields.String(validate=validate.Length(max=2000), load_default="")


class Return(Decision):
    reasons = fields.List(fields.String(validate=validate.Length(min=1, max=500)), required=True,
                          validate=validate.Length(min=1, max=20))


class Cancellation(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class Postponement(Cancellation):
    new_starts_at = fields.AwareDateTime(format="iso", load_default=None)
    new_ends_at = fields.AwareDateTime(format="iso", load_default=None)

    @validates_schema
    def both_or_neither(self, data, **_):
        if (data.get("new_starts_at") is None) != (data.get("new_ends_at") is None):
            raise ValidationError("Give both the new start and the new end, or neither.", "new_ends_at")
        if data.get("new_starts_at") and data["new_ends_at"] <= data["new_starts_at"]:
            raise ValidationError("An activity must end after it starts.", "new_ends_at")


class Occurrence(StrictSchema):
    starts_at = fields.AwareDateTime(format="iso", required=True)
    ends_at = fields.AwareDateTime(format="iso", required=True)

    @validates_schema
    def ends_after_start(self, data, **_):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("An activity must end after it starts.", "ends_at")


class CoOrganizer(StrictSchema):
    partner_id = fields.String(required=True, validate=PARTNER_ID)
    responsibility = fields.String(validate=validate.Length(max=300), load_default="")


class Committed(fields.Field):
    """A commitment: a text ("two speakers") or a number (a funding amount)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError("A text or a number.")
        if isinstance(value, str) and not 1 <= len(value) <= 300:
            raise ValidationError("Between 1 and 300 characters.")
        if not isinstance(value, str) and value < 0:
            raise ValidationError("Not negative.")
        return value


class Contribution(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CONTRIBUTION_KINDS))
    committed = Committed(required=True)
    description = fields.String(validate=validate.Length(max=1000), load_default="")
    delivered = fields.Boolean(load_default=False)


class Contributions(StrictSchema):
    contributions = fields.List(fields.Nested(Contribution), required=True, validate=validate.Length(max=50))


class Task(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    due_at = fields.AwareDateTime(format="iso", required=True)
    done = fields.Boolean(load_default=False)


class Tasks(StrictSchema):
    tasks = fields.List(fields.Nested(Task), required=True, validate=validate.Length(max=100))


class VenueRegistration(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(VENUE_KINDS))
    partner_id = fields.String(validate=PARTNER_ID, load_default=None)
    capacity = fields.Integer(validate=validate.Range(min=1, max=100_000), load_default=None)
    address = fields.String(validate=validate.Length(max=300), load_default="")

    @validates_schema
    def partner_spaces_name_the_partner(self, data, **_):
        if data.get("kind") == "partner_space" and not data.get("partner_id"):
            raise ValidationError("A partner's space names the partner that offers it.", "partner_id")
        if data.get("kind") == "library_space" and data.get("partner_id"):
            raise ValidationError("A library space belongs to no partner.", "partner_id")


class Person(StrictSchema):
    person_id = fields.String(required=True, validate=PERSON_ID)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    language = fields.String(validate=validate.OneOf(LANGUAGES), load_default="zh")


class RegistrationRequest(Person):
    audience = fields.String(validate=validate.OneOf(AUDIENCES), load_default=None)


class CheckIn(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9]{8}$", error="An 8-letter code."))


class Role(StrictSchema):
    name = fields.Nested(LocalizedTitle, required=True)
    description = fields.String(validate=validate.Length(max=1000), load_default="")


class Shift(StrictSchema):
    role_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    starts_at = fields.AwareDateTime(format="iso", required=True)
    ends_at = fields.AwareDateTime(format="iso", required=True)
    places = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))


class SignUp(Person):
    shift_id = fields.String(required=True, validate=validate.Length(min=1, max=40))


class Hours(StrictSchema):
    hours = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False,
                                                                                   max=24 * 92))


class ActivityFilter(QuerySchema):
    organizer = fields.String(validate=PARTNER_ID)
    theme = fields.String(validate=validate.Length(min=1, max=60))
    path = fields.String(validate=validate.OneOf(PATHS))
    type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    series = fields.String(validate=SLUG)
    status = fields.String(validate=validate.OneOf(tuple(TRANSITIONS)))
    q = fields.String(validate=validate.Length(min=1, max=100))
    starts_from = fields.AwareDateTime(format="iso", data_key="from")
    starts_before = fields.AwareDateTime(format="iso", data_key="to")
    cursor = fields.String(validate=validate.Length(min=1, max=300))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)

    @validates("q")
    def has_terms(self, value, **_):
        from services.events.listing import query_terms
        if not query_terms(value):
            raise ValidationError("Search for at least two letters or one Chinese character.")


class PublishCommand(StrictSchema):
    activity_id = fields.String(required=True, validate=validate.Regexp(r"^act_[0-9a-z]{26}$",
                                                                        error="Not an activity id."))


class CalendarFilter(ActivityFilter):
    """The calendar's filters: public states only (the feed needs no key), no paging (the whole calendar)."""

    status = fields.String(validate=validate.OneOf(CALENDAR_STATUSES,
                                                   error="The calendar holds published activities only."))

    class Meta(StrictSchema.Meta):
        exclude = ("cursor", "limit")


class ParticipationExport(QuerySchema):
    """A date range (``from``, ``to``: first and last day, in the display zone) or a ``term`` (2026-autumn)."""

    starts_on = fields.Date(data_key="from")
    ends_on = fields.Date(data_key="to")
    term = fields.String(validate=validate.Regexp(TERM_PATTERN, error="A term such as 2026-autumn."))
    cursor = fields.String(validate=validate.Length(min=1, max=400))
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=200)

    @validates_schema
    def a_range_or_a_term(self, data, **_):
        given = [name for name in ("starts_on", "ends_on") if name in data]
        if "term" in data and given:
            raise ValidationError("Give a term or from and to, not both.", "term")
        if "term" in data:
            return
        for name, key in (("starts_on", "from"), ("ends_on", "to")):
            if name not in data:
                raise ValidationError("Give from and to (ISO dates), or a term.", key)
        for name, key in (("starts_on", "from"), ("ends_on", "to")):
            if not 1900 <= data[name].year <= 2999:
                raise ValidationError("A date between the years 1900 and 2999.", key)
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("The last day comes before the first.", "to")
        if (data["ends_on"] - data["starts_on"]).days > MAX_EXPORT_DAYS:
            raise ValidationError(f"At most {MAX_EXPORT_DAYS + 1} days at a time.", "to")


class ParticipationCsv(ParticipationExport):
    """The same, as one CSV document (no paging)."""

    class Meta(StrictSchema.Meta):
        exclude = ("cursor", "limit")
