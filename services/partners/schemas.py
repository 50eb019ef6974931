"""What enters the partners service."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.contracts.partners import space_key
from services.common.validation import QuerySchema, StrictSchema
from services.partners.agreements import COMMITMENT_KINDS, LIBRARY, PARTIES, SIDES
from services.partners.domain import ALL_KINDS, LEVELS, RESOURCE_KINDS, STATUSES, kind_fits_level
from services.partners.review import OUTCOMES

PARTNER_ID = validate.Regexp(r"^prt_[0-9a-z]{26}$", error="Not a partner id.")
ACTIVITY_ID = validate.Regexp(r"^act_[0-9a-z]{26}$", error="Not an activity id.")
Theme = fields.String(validate=validate.Length(min=1, max=60))
Text = validate.Length(max=4000)


class LocalizedName(StrictSchema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    en = fields.String(validate=validate.Length(max=200))


class Contact(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(validate=validate.Length(max=100), load_default="")
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9][0-9 ()-]{2,29}$", error="Not a phone number."))
    email = fields.Email(validate=validate.Length(max=200))


class Resource(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(RESOURCE_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=1000), load_default="")
    capacity = fields.Integer(validate=validate.Range(min=1, max=1_000_000), allow_none=True, load_default=None)
    location = fields.String(validate=validate.Length(max=200), load_default="")


class PartnerProfile(StrictSchema):
    """The fields of a partner's record that may change after registration."""

    name = fields.Nested(LocalizedName)
    themes = fields.List(Theme, validate=validate.Length(max=30))
    description = fields.String(validate=Text)
    contacts = fields.List(fields.Nested(Contact), validate=validate.Length(max=20))
    resources = fields.List(fields.Nested(Resource), validate=validate.Length(max=50))

    @validates_schema
    def spaces_have_distinct_names(self, data, **_):
        """A space's name names it (events keeps each space as a venue under it)."""
        names = [space_key(item["name"]) for item in data.get("resources") or [] if item["kind"] == "space"]
        if len(names) != len(set(names)):
            raise ValidationError("Two spaces have the same name; name each space differently.", "resources")


class PartnerRegistration(PartnerProfile):
    name = fields.Nested(LocalizedName, required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    kind = fields.String(required=True, validate=validate.OneOf(ALL_KINDS))
    themes = fields.List(Theme, validate=validate.Length(max=30), load_default=list)
    description = fields.String(validate=Text, load_default="")
    contacts = fields.List(fields.Nested(Contact), validate=validate.Length(max=20), load_default=list)
    resources = fields.List(fields.Nested(Resource), validate=validate.Length(max=50), load_default=list)

    @validates_schema
    def kind_matches_level(self, data, **_):
        if "level" in data and "kind" in data and not kind_fits_level(data["level"], data["kind"]):
            raise ValidationError(f"A {data['kind']} is not a unit at the {data['level']} level.", "kind")


class PartnerFilter(QuerySchema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    kind = fields.String(validate=validate.OneOf(ALL_KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    resource = fields.String(validate=validate.OneOf(RESOURCE_KINDS))
    theme = fields.String(validate=validate.Length(min=1, max=60))
    q = fields.String(validate=validate.Length(min=1, max=100))
    after = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


class Criterion(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$",
                                                                error="Lower-case letters, digits and _."))
    label = fields.Nested(LocalizedName, required=True)
    weight = fields.Float(required=True, validate=validate.Range(min=0, max=1000, min_inclusive=False))


class Rubric(StrictSchema):
    criteria = fields.List(fields.Nested(Criterion), required=True, validate=validate.Length(min=1, max=20))
    scale = fields.Integer(validate=validate.Range(min=2, max=100), load_default=5)
    pass_mark = fields.Float(validate=validate.Range(min=0, max=100), load_default=60)
    conditional_mark = fields.Float(validate=validate.Range(min=0, max=100), load_default=45)
    min_reviewers = fields.Integer(validate=validate.Range(min=1, max=20), load_default=2)


class Evidence(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ref = fields.String(required=True, validate=validate.Length(min=1, max=500),
                        metadata={"description": "where the document is: a URL or a document-store reference"})
    kind = fields.String(validate=validate.Length(max=60), load_default="document")


class ReviewStart(StrictSchema):
    reason = fields.String(validate=Text, load_default="")
    rubric = fields.Nested(Rubric, load_default=None)
    evidence = fields.List(fields.Nested(Evidence), validate=validate.Length(max=50), load_default=list)


class Scoresheet(StrictSchema):
    reviewer = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scores = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)), values=fields.Integer(),
                         required=True)
    comment = fields.String(validate=Text, load_default="")


class Decision(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(validate=Text, load_default="")
    conditions = fields.List(fields.String(validate=validate.Length(min=1, max=500)),
                             validate=validate.Length(max=20), load_default=list)


class StatusChange(StrictSchema):
    reason = fields.String(validate=Text, load_default="")


class Signature(StrictSchema):
    party = fields.String(required=True, validate=validate.OneOf(PARTIES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(validate=validate.Length(max=100), load_default="")
    signed_on = fields.Date(required=True)


class Commitment(StrictSchema):
    side = fields.String(required=True, validate=validate.OneOf(SIDES))
    kind = fields.String(required=True, validate=validate.OneOf(COMMITMENT_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    amount = fields.Float(validate=validate.Range(min=0), allow_none=True, load_default=None)


class AgreementDraft(StrictSchema):
    partner_id = fields.String(required=True, validate=PARTNER_ID)
    counterpart = fields.String(load_default=LIBRARY, validate=validate.Regexp(
        r"^(library|prt_[0-9a-z]{26})$", error="'library' or the partner id of a campus or library unit."))
    scope = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    commitments = fields.List(fields.Nested(Commitment), validate=validate.Length(max=50), load_default=list)
    signed_by = fields.List(fields.Nested(Signature), required=True, validate=validate.Length(min=2, max=10))
    activity_ids = fields.List(fields.String(validate=ACTIVITY_ID), validate=validate.Length(max=200),
                               load_default=list)

    @validates_schema
    def ends_after_start(self, data, **_):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] <= data["starts_on"]:
            raise ValidationError("An agreement must end after it starts.", "ends_on")


class AgreementFilter(QuerySchema):
    status = fields.String(validate=validate.OneOf(("in_force", "expired")))
    ends_before = fields.Date(metadata={"description": "agreements ending before this day"})
    after = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


class ActivityLink(StrictSchema):
    activity_id = fields.String(required=True, validate=ACTIVITY_ID)


class RecommendationRequest(StrictSchema):
    themes = fields.List(Theme, validate=validate.Length(max=20), load_default=list)
    paths = fields.List(fields.String(validate=validate.OneOf(("resources", "space", "service", "activity",
                                                                "practice"))),
                        validate=validate.Length(max=5), load_default=list)
    resources = fields.List(fields.String(validate=validate.OneOf(RESOURCE_KINDS)), validate=validate.Length(max=7),
                            load_default=list)
    level = fields.String(validate=validate.OneOf(LEVELS), load_default=None)
    limit = fields.Integer(validate=validate.Range(min=1, max=50), load_default=10)

    @validates_schema
    def something_to_match(self, data, **_):
        if not (data.get("themes") or data.get("paths") or data.get("resources")):
            raise ValidationError("Say what the activity needs: themes, paths or resources.", "_schema")


class ImportOptions(StrictSchema):
    mode = fields.String(validate=validate.OneOf(("all_or_nothing", "partial")), load_default="all_or_nothing")
