"""Delivery rules: the retry schedule, Retry-After, 410 Gone, and giving up."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from services.notify.domain import JITTER, RETRY_SCHEDULE, Delivery, next_wait, published_inbox_items

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def delivery() -> Delivery:
    return Delivery(id="msg_1", endpoint_id="ep_1", owner_partner_id="prt_1", event_id="evt_1",
                    event_type="activity.published", body="{}", state="pending", next_attempt_at=NOW,
                    created_at=NOW)


def test_waits_follow_the_schedule_within_the_jitter():
    rng = random.Random(7)
    for failures, base in enumerate(RETRY_SCHEDULE):
        wait = next_wait(failures, rng=rng)
        assert base * (1 - JITTER) <= wait <= base * (1 + JITTER)
    assert next_wait(len(RETRY_SCHEDULE)) is None


def test_a_longer_retry_after_is_honoured_but_capped():
    assert next_wait(0, timedelta(minutes=3), random.Random(1)) == timedelta(minutes=3)
    assert next_wait(0, timedelta(days=3), random.Random(1)) == timedelta(hours=10)


def test_success_is_recorded_and_ends_the_delivery():
    d = delivery()
    assert d.record(now=NOW, status_code=204, latency_ms=12, error=None) == "delivered"
    assert d.state == "delivered" and d.delivered_at == NOW
    assert d.attempts[0]["status_code"] == 204 and d.attempts[0]["next_attempt_at"] is None


def test_failures_are_retried_until_the_schedule_runs_out():
    d = delivery()
    outcomes = [d.record(now=NOW, status_code=500, latency_ms=5, error=None, rng=random.Random(3))
                for _ in range(len(RETRY_SCHEDULE) + 1)]
    assert outcomes == ["retry"] * len(RETRY_SCHEDULE) + ["failed"]
    assert d.state == "failed"
    assert len(d.attempts) == len(RETRY_SCHEDULE) + 1


def test_429_with_retry_after_waits_as_asked_and_other_codes_do_not():
    d = delivery()
    d.record(now=NOW, status_code=429, latency_ms=5, error=None, retry_after=timedelta(seconds=120),
             rng=random.Random(3))
    assert d.next_attempt_at == NOW + timedelta(seconds=120)
    other = delivery()
    other.record(now=NOW, status_code=500, latency_ms=5, error=None, retry_after=timedelta(seconds=120),
                 rng=random.Random(3))
    assert other.next_attempt_at < NOW + timedelta(seconds=10)


def test_410_gone_ends_at_once():
    d = delivery()
    assert d.record(now=NOW, status_code=410, latency_ms=5, error=None) == "gone"
    assert d.state == "failed"


def test_every_organizer_gets_an_inbox_item_in_both_languages():
    data = {"activity_id": "act_1", "title": {"zh": "讲座", "en": "Lecture"}, "starts_at": "2026-12-05T02:00:00.000Z",
            "organizers": [{"partner_id": "p1", "role": "lead"}, {"partner_id": "p2", "role": "co_organizer"}]}
    items = published_inbox_items("evt_1", data, NOW)
    assert [item.id for item in items] == ["evt_1:p1", "evt_1:p2"]
    assert "主办" in items[0].body["zh"] and "co-organizer" in items[1].body["en"]
