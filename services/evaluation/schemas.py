"""What enters the evaluation service: organizers' questions, responses, term plans, report requests."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from services.common.terms import TERM_PATTERN
from services.common.validation import QuerySchema, StrictSchema
from services.evaluation.plans import COUNT_DIMENSIONS
from services.evaluation.templates import DIMENSIONS, MAX_ORGANIZER_QUESTIONS, OUTCOMES, SATISFACTION, TOPICS

PATHS = ("resources", "space", "service", "activity", "practice")
LEVELS = ("library", "campus", "outside")
PARTNER_ID = validate.Regexp(r"^prt_[0-9a-z]{1,40}$", error="Not a partner id.")


class Text(StrictSchema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(validate=validate.Length(max=300), load_default="")


class Option(StrictSchema):
    value = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,40}$"))
    zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    en = fields.String(validate=validate.Length(max=100), load_default="")


class OrganizerQuestion(StrictSchema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(validate=validate.Length(max=300), load_default="")
    type = fields.String(required=True, validate=validate.OneOf(("agreement", "text", "choice")))
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.Nested(Option), validate=validate.Length(min=2, max=6))

    @validates_schema
    def options_for_choices(self, data, **_):
        if data.get("type") == "choice" and not data.get("options"):
            raise ValidationError("A choice question needs 2 to 6 options.", "options")
        if data.get("type") != "choice" and data.get("options"):
            raise ValidationError("Only a choice question has options.", "options")


class SurveyCustomisation(StrictSchema):
    questions = fields.List(fields.Nested(OrganizerQuestion), required=True,
                            validate=validate.Length(max=MAX_ORGANIZER_QUESTIONS))
    window_days = fields.Float(validate=validate.Range(min=1, max=60), allow_none=True)
    topic = fields.String(validate=validate.OneOf(tuple(TOPICS)))


class ResponseSubmission(StrictSchema):
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=60)), values=fields.Raw(),
                          required=True)
    language = fields.String(validate=validate.OneOf(("zh", "en")), load_default="zh")


class Target(StrictSchema):
    dimension = fields.String(required=True, validate=validate.OneOf(COUNT_DIMENSIONS + ("outcome",)))
    key = fields.String(validate=validate.Length(min=1, max=60), allow_none=True, load_default=None)
    measure = fields.String(validate=validate.OneOf(("activities", "share_agreeing")), load_default="activities")
    target = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=10000))

    @validates_schema
    def fits_its_dimension(self, data, **_):
        dimension, key = data.get("dimension"), data.get("key")
        allowed = {"path": PATHS, "level": LEVELS, "aim": tuple(DIMENSIONS), "outcome": OUTCOMES + (SATISFACTION,)}
        if dimension == "all" and key:
            raise ValidationError("A target over all activities has no key.", "key")
        if dimension in allowed and key not in allowed[dimension]:
            raise ValidationError(f"One of: {', '.join(allowed[dimension])}.", "key")
        if dimension == "activity_type" and not key:
            raise ValidationError("Name the activity type.", "key")
        if dimension == "outcome":
            if data.get("measure") != "share_agreeing":
                raise ValidationError("An outcome target is a share agreeing (measure share_agreeing).", "measure")
            if not 0 < data.get("target", 0) <= 1:
                raise ValidationError("A share is above 0 and at most 1.", "target")
        elif data.get("measure") == "share_agreeing":
            raise ValidationError("Only outcome targets are shares.", "measure")
        elif data.get("target") is not None and data["target"] != int(data["target"]):
            raise ValidationError("A number of activities is a whole number.", "target")

    @post_load
    def counts_are_whole(self, data, **_):
        if data["measure"] == "activities":
            data["target"] = int(data["target"])
        return data


class TermPlanInput(StrictSchema):
    term_id = fields.String(required=True, validate=validate.Regexp(TERM_PATTERN, error="A term such as "
                                                                                        "2026-autumn."))
    title = fields.Nested(Text, load_default=None)
    starts_on = fields.Date(load_default=None)
    ends_on = fields.Date(load_default=None)
    targets = fields.List(fields.Nested(Target), required=True, validate=validate.Length(min=1, max=60))

    @validates_schema
    def ends_after_start(self, data, **_):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            raise ValidationError("A term ends after it starts.", "ends_on")


class ReportRequest(QuerySchema):
    term_id = fields.String(required=True, validate=validate.Regexp(TERM_PATTERN, error="A term such as "
                                                                                        "2026-autumn."))
    unit = fields.String(validate=PARTNER_ID, load_default=None)
    format = fields.String(validate=validate.OneOf(("json", "csv", "html")), load_default="json")


class ScoreRequest(QuerySchema):
    by = fields.String(load_default="term", validate=validate.OneOf(("activity", "organizer", "path",
                                                                     "activity_type", "level", "term", "joint")))
    term_id = fields.String(validate=validate.Regexp(TERM_PATTERN, error="A term such as 2026-autumn."),
                            load_default=None)
