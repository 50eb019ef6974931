"""Input validation at every edge: unknown fields and Mongo operators never get through."""
from __future__ import annotations

import pytest
from marshmallow import fields

from services.common.errors import ValidationFailed
from services.common.validation import StrictSchema, forbidden_keys, load


class Sample(StrictSchema):
    name = fields.String(required=True)
    extra = fields.Dict()


def test_forbidden_keys_are_found_at_any_depth():
    payload = {"ok": 1, "$set": 2, "a": {"b.c": 3, "list": [{"$gt": 1}, {"fine": True}]}}
    assert sorted(forbidden_keys(payload)) == ["$set", "a.b.c", "a.list[0].$gt"]
    assert forbidden_keys({"plain": {"nested": ["x"]}}) == []


def test_operator_keys_inside_free_form_fields_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        load(Sample(), {"name": "x", "extra": {"$where": "sleep(1000)"}})
    assert "extra.$where" in caught.value.details["errors"]


def test_unknown_fields_are_refused_and_named():
    with pytest.raises(ValidationFailed) as caught:
        load(Sample(), {"name": "x", "colour": "red"})
    assert caught.value.details["errors"] == {"colour": ["Unknown field."]}


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationFailed):
        load(Sample(), ["name"])


def test_valid_input_loads():
    assert load(Sample(), {"name": "x"}) == {"name": "x"}
