"""The notify service's entrypoints on mongomock: owner scoping, bad input leaving no trace, and fan-out."""
from __future__ import annotations

from datetime import UTC
from unittest.mock import Mock

import mongomock
import pytest
from nameko.testing.services import worker_factory

from services.common.catalogue import announce
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.notify.service import NotifyService
from services.notify.store import NotifyStore

OWNER = "prt_01aaaaaaaaaaaaaaaaaaaaaaaa"
OTHER = "prt_01bbbbbbbbbbbbbbbbbbbbbbbb"


@pytest.fixture
def notify(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    store = NotifyStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"])
    return worker_factory(NotifyService, store=store, deliveries=Mock(), scheduler=Mock()), store


def test_an_endpoint_is_its_owners_alone(notify):
    service, _ = notify
    made = service.register_endpoint(OWNER, {"url": "http://127.0.0.1:9/h", "event_types": ["*"]})
    assert service.list_endpoints(OTHER) == []
    for call in (lambda: service.get_endpoint(OTHER, made["id"]),
                 lambda: service.update_endpoint(OTHER, made["id"], {"description": "mine now"}),
                 lambda: service.rotate_secret(OTHER, made["id"], {}),
                 lambda: service.deliveries_of(OTHER, made["id"]),
                 lambda: service.replay_failed(OTHER, made["id"], {"since": "2026-11-01T00:00:00Z"})):
        with pytest.raises(NotFound):
            call()
    assert service.get_endpoint(OWNER, made["id"])["description"] == ""


@pytest.mark.parametrize("payload, field", [
    ({}, "_schema"), ({"status": "paused"}, "status"), ({"url": "gopher://x"}, "url"),
    ({"event_types": ["survey.invitations_issued"]}, "event_types"), ({"filters": {"organizer": ["x"]}}, "filters"),
    ({"secret": "whsec_mine"}, "secret")])
def test_a_bad_change_is_refused_and_changes_nothing(notify, payload, field):
    service, store = notify
    made = service.register_endpoint(OWNER, {"url": "http://127.0.0.1:9/h", "event_types": ["activity.published"]})
    before = store.endpoints.find_one({"_id": made["id"]})
    with pytest.raises(ValidationFailed) as caught:
        service.update_endpoint(OWNER, made["id"], payload)
    assert field in caught.value.details["errors"]
    assert store.endpoints.find_one({"_id": made["id"]}) == before


def test_disabling_by_the_owner_announces_it_and_replay_waits_for_enabling(notify):
    service, store = notify
    made = service.register_endpoint(OWNER, {"url": "http://127.0.0.1:9/h", "event_types": ["*"]})
    service.update_endpoint(OWNER, made["id"], {"status": "disabled"})
    stored = store.endpoints.find_one({"_id": made["id"]})
    assert [e["type"] for e in stored["outbox"]] == ["endpoint.disabled"]
    assert stored["outbox"][0]["data"]["reason"] == "owner"
    with pytest.raises(Conflict):
        service.replay_failed(OWNER, made["id"], {"since": "2026-11-01T00:00:00Z"})
    assert service.update_endpoint(OWNER, made["id"], {"status": "enabled"})["status"] == "enabled"
    assert service.replay_failed(OWNER, made["id"], {"since": "2026-11-01T00:00:00Z"}) == {"replayed": [], "count": 0}


def test_internal_types_never_become_deliveries(notify):
    service, store = notify
    service.register_endpoint(OWNER, {"url": "http://127.0.0.1:9/h", "event_types": ["*"]})
    service.events.organizers_of.return_value = [{"partner_id": OWNER, "role": "lead"}]  # its owner organizes "a"
    private = announce("survey.invitations_issued", {"survey_id": "s", "activity_id": "a", "stage": "post",
                                                      "closes_at": "2026-12-01T00:00:00Z", "invitations": []})
    public = announce("survey.prepared", {"survey_id": "s", "activity_id": "a", "item_count": 5})
    service.fan_out_webhooks(private)
    service.fan_out_webhooks(public)
    service.fan_out_webhooks(public)
    assert [d["event_type"] for d in store.deliveries.find()] == ["survey.prepared"]


def test_bad_inbox_and_preference_input_stores_nothing(notify):
    service, store = notify
    for call in (lambda: service.inbox_of("prt_1", {"limit": 0}),
                 lambda: service.inbox_of("prt_1", {"$where": "1"}),
                 lambda: service.mark_inbox_item("prt_1", "missing", {"read": "yes please"}),
                 lambda: service.set_preferences("p1", {"mode": "weekly_digest", "channels": ["email"]}),
                 lambda: service.set_preferences("../p1", {})):
        with pytest.raises(ValidationFailed):
            call()
    with pytest.raises(NotFound):
        service.mark_inbox_item("prt_1", "missing", {"read": True})
    assert store.preferences.count_documents({}) == 0 and store.inbox.count_documents({}) == 0


def test_anonymising_an_activity_forgets_its_registrants_and_what_they_were_sent(notify):
    service, store = notify
    data = {"registration_id": "reg_1", "activity_id": "act_1", "title": {"zh": "讲座"},
            "starts_at": "2030-12-05T02:00:00.000Z", "code": "K7Q2",
            "person": {"person_id": "stu_1", "email": "stu1@example.edu", "language": "en"}}
    service.registration_confirmed(announce("registration.confirmed", data))
    assert store.emails.find_one()["to"] == "stu1@example.edu"
    assert store.registrations.find_one()["reminder_pending"] is True
    service.personal_data_anonymised(announce("personal_data.anonymised", {
        "activity_id": "act_1", "registrations": 1, "anonymised_at": "2031-01-01T00:00:00Z"}))
    registration = store.registrations.find_one()
    assert (registration["email"], registration["code"], registration["person_id"]) == (None, None, "anonymised")
    assert store.emails.count_documents({}) == 0, "what they were sent goes (its id names the recipient)"
    assert store.registrants_of("act_1") == [], "nobody left to tell of later changes"
    service.registration_confirmed(announce("registration.confirmed", data))  # a late event about it
    assert store.registrations.find_one()["email"] is None
    assert store.emails.count_documents({}) == 0 and store.inbox.count_documents({}) == 0, "nobody is told again"


def test_a_busy_endpoints_backlog_does_not_hide_the_due_deliveries_of_others(monkeypatch):
    from collections import defaultdict
    from datetime import datetime, timedelta

    from eventlet.semaphore import Semaphore

    from services.notify import delivery as worker_module
    from services.notify.delivery import DeliveryWorker
    from services.notify.domain import Delivery
    from services.notify.settings import NotifySettings

    monkeypatch.setattr(worker_module, "BATCH", 3)
    store = NotifyStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"])
    past = datetime.now(UTC) - timedelta(minutes=1)
    for n, endpoint_id in enumerate(["ep_slow"] * 5 + ["ep_other"]):
        store.add_delivery_once(Delivery(id=f"msg_{n}", endpoint_id=endpoint_id, owner_partner_id=OWNER,
                                         event_id=f"evt_{n}", event_type="activity.published", body="{}",
                                         state="pending", next_attempt_at=past + timedelta(seconds=n),
                                         created_at=past))
    worker = DeliveryWorker()
    worker.settings, worker.store = NotifySettings.from_env(), store
    worker.limits = defaultdict(lambda: Semaphore(2))
    started: list[str] = []
    worker.pool = Mock(spawn_n=lambda fn, delivery, rev, slot: started.append(delivery.id))

    assert worker.dispatch_due() == 2, "two slots for the slow endpoint; the third waits unclaimed"
    assert worker.dispatch_due() == 1
    assert started == ["msg_0", "msg_1", "msg_5"]
    assert store.deliveries.find_one({"_id": "msg_2"})["lease_until"] is None
