"""The envelope: CloudEvents attributes, strict parsing, and its AMQP mapping."""
from __future__ import annotations

import json

import pytest

from services.common.envelope import CONTENT_TYPE, Envelope, EnvelopeError


def sample() -> Envelope:
    return Envelope(type="activity.published", source="/synergy/events", data={"activity_id": "act_1"},
                    correlationid="cor_1", subject="act_1")


def test_round_trip_keeps_every_attribute():
    event = sample()
    again = Envelope.from_body(event.to_json().encode())
    assert again == event
    raw = json.loads(event.to_json())
    assert raw["specversion"] == "1.0" and raw["datacontenttype"] == "application/json"
    assert raw["id"].startswith("evt_") and raw["time"].endswith("Z")


def test_amqp_properties_carry_the_attributes_operators_need():
    event = sample()
    props = event.amqp_properties()
    assert props["message_id"] == event.id
    assert props["type"] == "activity.published"
    assert props["app_id"] == "/synergy/events"
    assert props["correlation_id"] == "cor_1"
    assert props["content_type"] == CONTENT_TYPE
    assert props["delivery_mode"] == 2
    assert props["timestamp"] == int(event.moment.timestamp())


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: raw.pop("correlationid"), "correlationid"),
    (lambda raw: raw.update(specversion="0.3"), "specversion"),
    (lambda raw: raw.update(data=[1]), "data"),
    (lambda raw: raw.update(time="yesterday"), "time"),
    (lambda raw: raw.update(time="2026-01-01T00:00:00"), "time"),
    (lambda raw: raw.update(id=""), "id"),
])
def test_a_broken_envelope_is_refused_with_the_reason(mutate, message):
    raw = sample().to_dict()
    mutate(raw)
    with pytest.raises(EnvelopeError, match=message):
        Envelope.from_dict(raw)


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(EnvelopeError, match="not JSON"):
        Envelope.from_body(b"{nope")
