"""Delivery rules: the retry schedule, Retry-After, 410 Gone, giving up, replay; endpoints' secrets, filters
and health; emails' retries."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain import (
    EMAIL_RETRY_SCHEDULE,
    JITTER,
    RETRY_SCHEDULE,
    Delivery,
    DeliveryRuleBroken,
    Endpoint,
    OutgoingEmail,
    facts_of,
    next_wait,
)

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


def endpoint(**kw) -> Endpoint:
    return Endpoint(**{"id": "ep_1", "owner_partner_id": "prt_1", "url": "https://museum.example/hooks",
                       "event_types": ["activity.published"], "description": "", "secret": "whsec_a",
                       "status": "enabled", "created_at": NOW, **kw})


PUBLISHED = {"activity_id": "act_1", "themes": ["science"], "paths": ["activity"], "activity_type": "lecture",
             "organizers": [{"partner_id": "prt_lead", "role": "lead"}, {"partner_id": "prt_co", "role": "co"}]}


def test_an_endpoint_wants_its_types_and_only_events_passing_every_filter():
    facts = facts_of(PUBLISHED)
    assert endpoint().wants("activity.published", facts)
    assert not endpoint().wants("activity.updated", facts)
    assert endpoint(event_types=["*"]).wants("activity.updated", facts)
    assert endpoint(filters={"organizer": ["prt_co"], "theme": ["science", "art"]}).wants("activity.published", facts)
    assert not endpoint(filters={"organizer": ["prt_other"]}).wants("activity.published", facts)
    assert not endpoint(filters={"path": ["space"]}).wants("activity.published", facts)
    assert not endpoint(filters={"activity_type": ["film"]}).wants("activity.published", facts)
    assert not endpoint(status="disabled").wants("activity.published", facts)


def test_an_event_naming_only_its_activity_is_filtered_by_what_notify_knows_of_the_activity():
    cancelled = {"activity_id": "act_1", "organizers": []}
    known = {"organizer_ids": ["prt_lead"], "themes": ["science"], "paths": [], "activity_type": "lecture"}
    filtered = endpoint(event_types=["activity.cancelled"], filters={"theme": ["science"]})
    assert not filtered.wants("activity.cancelled", facts_of(cancelled))
    assert filtered.wants("activity.cancelled", facts_of(cancelled, known))
    assert endpoint(filters={"organizer": ["prt_1"]}).wants("activity.published",
                                                            facts_of({"partner_id": "prt_1"}))


def test_news_of_an_endpoint_reach_only_its_owners_other_endpoints():
    from services.common.catalogue import announce
    from services.notify.fanout import deliveries_for
    disabled = announce("endpoint.disabled", {"endpoint_id": "ep_9", "owner_partner_id": "prt_1", "reason": "gone"})
    endpoints = [endpoint(event_types=["*"]), endpoint(id="ep_2", event_types=["*"], owner_partner_id="prt_2")]
    made = deliveries_for(disabled, endpoints, None, lambda activity_id: [], NOW)
    assert [d.owner_partner_id for d in made] == ["prt_1"]  # the policy decides (policy.webhook_view)


def test_a_rotation_signs_with_both_secrets_until_the_overlap_ends():
    ep = endpoint()
    ep.rotate("whsec_b", NOW, timedelta(hours=24))
    assert ep.signing_secrets(NOW + timedelta(hours=23)) == ["whsec_b", "whsec_a"]
    assert ep.signing_secrets(NOW + timedelta(hours=24)) == ["whsec_b"]
    ep.rotate("whsec_c", NOW + timedelta(hours=1), timedelta(0))
    assert ep.signing_secrets(NOW + timedelta(hours=2)) == ["whsec_c", "whsec_a"]


def test_an_endpoint_failing_for_days_is_disabled_and_a_success_resets_the_count():
    ep = endpoint()
    days = timedelta(days=5)
    assert ep.note_failure(NOW, days) is False
    assert ep.note_failure(NOW + timedelta(days=4), days) is False
    assert ep.note_success() is True and ep.failing_since is None
    assert ep.note_failure(NOW + timedelta(days=6), days) is False
    assert ep.note_failure(NOW + timedelta(days=11), days) is True
    assert ep.disable("failing", NOW) == {"endpoint_id": "ep_1", "owner_partner_id": "prt_1", "reason": "failing"}
    assert ep.disable("gone", NOW) is None, "disabled once, announced once"
    ep.enable(NOW)
    assert ep.status == "enabled" and ep.failing_since is None and ep.disabled_reason is None


def test_a_replay_sends_again_with_the_schedule_from_its_start():
    d = delivery()
    for _ in range(len(RETRY_SCHEDULE) + 1):
        d.record(now=NOW, status_code=500, latency_ms=5, error=None, rng=random.Random(3))
    assert d.state == "failed"
    d.replay(NOW)
    assert d.state == "pending" and d.next_attempt_at == NOW and d.replays == 1
    assert d.record(now=NOW, status_code=503, latency_ms=5, error=None, rng=random.Random(3)) == "retry"
    assert d.next_attempt_at - NOW < timedelta(seconds=10), "first wait of the schedule again"
    with pytest.raises(DeliveryRuleBroken):
        d.replay(NOW)


def test_emails_are_retried_on_transient_errors_and_fail_at_once_on_permanent_ones():
    def email() -> OutgoingEmail:
        return OutgoingEmail(id="e1", to="a@example.org", language="en", subject="s", text="t", html="h",
                             template="x", event_id="evt_1", state="pending", next_attempt_at=NOW, created_at=NOW)
    transient = email()
    outcomes = [transient.record(NOW, "ConnectionRefusedError") for _ in range(len(EMAIL_RETRY_SCHEDULE) + 1)]
    assert outcomes == ["retry"] * len(EMAIL_RETRY_SCHEDULE) + ["failed"]
    permanent = email()
    assert permanent.record(NOW, "SMTP 550", permanent=True) == "failed"
    sent = email()
    assert sent.record(NOW, None) == "sent" and sent.sent_at == NOW
