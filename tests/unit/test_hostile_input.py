"""Hostile input, fast: JSON shape limits, strict types and clean text in every input schema, the rate limiter's
bounded table, and attendee tokens that meet the address limit before any lookup."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from marshmallow import fields
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from services.common.errors import ValidationFailed
from services.common.validation import MAX_JSON_DEPTH, QuerySchema, StrictSchema, load
from services.gateway import anonymous, http
from services.gateway.intake import BadRequest, parse_json
from services.gateway.ratelimit import RateLimiter


class Room(StrictSchema):
    name = fields.String()
    seats = fields.Integer()
    share = fields.Float()
    open = fields.Boolean()
    sizes = fields.List(fields.Integer())
    notes = fields.Dict(keys=fields.String(), values=fields.Integer())


class RoomQuery(QuerySchema):
    seats = fields.Integer()
    open = fields.Boolean()


def refused(schema, payload) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        load(schema, payload)
    return caught.value.details["errors"]


@pytest.mark.parametrize("field, value", [
    ("seats", 2.5), ("seats", "3"), ("seats", True), ("seats", 2.0), ("share", "0.5"), ("share", False),
    ("open", "yes"), ("open", 1), ("open", "true"), ("sizes", [1, 2.5]), ("notes", {"a": "1"})])
def test_a_body_value_of_another_json_type_is_refused_not_coerced(field, value):
    assert field in refused(Room(), {field: value})


def test_values_of_the_right_type_load_and_a_query_string_still_parses_its_text():
    assert load(Room(), {"seats": 3, "share": 0.5, "open": False, "sizes": [1], "notes": {"a": 2}}) == {
        "seats": 3, "share": 0.5, "open": False, "sizes": [1], "notes": {"a": 2}}
    assert load(Room(), {"share": 1}) == {"share": 1.0}
    assert load(RoomQuery(), {"seats": "3", "open": "true"}) == {"seats": 3, "open": True}


@pytest.mark.parametrize("text", ["X\x00one", "bell\x07", "esc\x1b[31m", "del\x7f", "lone \ud800", "non \ufffe",
                                  "non \uffff"])
def test_control_characters_and_non_characters_are_refused_in_any_string(text):
    assert refused(Room(), {"name": text}) == {"name": ["Text may not contain control characters or "
                                                        "non-characters."]}
    assert "notes" in refused(Room(), {"notes": {text: 1}})
    assert load(Room(), {"name": "line one\nline two\ttab\r\n 中文 ✓"})["name"].startswith("line one")


def test_json_nested_past_the_limit_or_beyond_recursion_is_a_400():
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        with pytest.raises(BadRequest) as caught:
            parse_json(b"[" * depth + b"]" * depth)
        assert caught.value.status == 400 and "deep" in caught.value.detail
    with pytest.raises(BadRequest):
        parse_json(json.dumps([0] * 200_000).encode())


def test_the_rate_limiter_table_stays_bounded_and_forgets_refilled_buckets():
    clock = [0.0]
    limiter = RateLimiter(60, clock=lambda: clock[0], max_keys=1000)
    for n in range(20_000):
        limiter.take(f"ip:10.0.{n // 256}.{n % 256}")
    assert len(limiter) <= 1000
    clock[0] = 120.0  # every bucket has refilled: the next sweep drops them all
    for n in range(1001):
        limiter.take(f"key:{n}")
    assert len(limiter) <= 1000 and "ip:10.0.0.0" not in limiter._buckets


class Events:
    def __init__(self):
        self.lookups = 0

    def attendee_of(self, digest: str):
        self.lookups += 1
        return None


def test_attendee_tokens_over_the_address_limit_never_reach_events(monkeypatch):
    monkeypatch.setenv("API_ANONYMOUS_RATE_LIMIT_PER_MINUTE", "3")
    anonymous.anonymous_limiter.cache_clear()
    worker = SimpleNamespace(events=Events(), store=None)
    doc = http.RouteDoc(attendees=True)
    request = Request(EnvironBuilder(path="/x", headers={"Authorization": "Attendee att_" + "a" * 43},
                                     environ_base={"REMOTE_ADDR": "192.0.2.7"}).get_environ())
    statuses = []
    for _ in range(10):
        with pytest.raises(BadRequest) as caught:
            http._authenticate(worker, request, doc)
        statuses.append(caught.value.status)
    anonymous.anonymous_limiter.cache_clear()
    assert statuses == [401] * 3 + [429] * 7 and worker.events.lookups == 3


def test_a_public_answer_is_kept_for_its_seconds_per_query_and_the_address_limit_comes_first(monkeypatch):
    monkeypatch.setenv("API_ANONYMOUS_RATE_LIMIT_PER_MINUTE", "3")
    anonymous.anonymous_limiter.cache_clear()
    clock = [0.0]
    monkeypatch.setattr(anonymous, "ANSWERS", anonymous.AnswerCache(clock=lambda: clock[0]))
    runs: list[str] = []

    def ask(query: str, address: str = "192.0.2.9") -> int:
        request = Request(EnvironBuilder(path="/ready", query_string=query,
                                         environ_base={"REMOTE_ADDR": address}).get_environ())
        try:
            return anonymous.answer(request, lambda: runs.append(query) or Response("ok"), limited=True,
                                    cache_seconds=2).status_code
        except BadRequest as refused:
            return refused.status
    assert [ask("a"), ask("a"), ask("b")] == [200, 200, 200] and runs == ["a", "b"]
    assert ask("a") == 429 and ask("a", address="192.0.2.10") == 200 and runs == ["a", "b"]
    clock[0] = 3.0
    assert ask("a", address="192.0.2.10") == 200 and runs == ["a", "b", "a"]
    anonymous.anonymous_limiter.cache_clear()
