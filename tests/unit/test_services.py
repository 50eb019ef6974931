"""The services' entrypoints, fast: nameko's worker_factory with mongomock stores and no broker."""
from __future__ import annotations

from datetime import UTC
from unittest.mock import Mock

import mongomock
import pytest
from nameko.testing.services import worker_factory

from services.common.envelope import Envelope
from services.common.errors import Conflict, NotFound, RuleBroken, ValidationFailed
from services.evaluation.service import EvaluationService
from services.evaluation.store import EvaluationStore
from services.events.service import EventsService
from services.events.store import EventsStore
from services.events.usecases import EventsApp
from services.notify.service import NotifyService
from services.notify.store import NotifyStore
from services.partners.service import PartnersService
from services.partners.store import PartnerStore


def db():
    return mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"]


FACULTY = {"name": {"zh": "文学院"}, "level": "campus", "kind": "faculty"}


def test_registering_a_partner_stores_it_with_its_event():
    store = PartnerStore(db())
    service = worker_factory(PartnersService, store=store)
    partner = service.register_partner(FACULTY)
    stored = store.partners.find_one({"_id": partner["id"]})
    assert [e["type"] for e in stored["outbox"]] == ["partner.registered"]
    assert stored["outbox"][0]["data"]["partner_id"] == partner["id"]


def test_a_refused_partner_leaves_no_trace():
    store = PartnerStore(db())
    service = worker_factory(PartnersService, store=store)
    with pytest.raises(ValidationFailed):
        service.register_partner(dict(FACULTY, kind="museum"))
    assert store.partners.count_documents({}) == 0
    with pytest.raises(NotFound):
        service.get_partner("prt_missing")


def lecture(lead: str, co: list[str]) -> dict:
    return {"title": {"zh": "讲座"}, "activity_type": "lecture", "paths": ["activity"],
            "starts_at": "2026-12-05T10:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00",
            "lead_organizer": lead, "co_organizers": co}


LEAD = "prt_01aaaaaaaaaaaaaaaaaaaaaaaa"
CO = "prt_01bbbbbbbbbbbbbbbbbbbbbbbb"


def events_service():
    store = EventsStore(db())
    store.remember_partner({"partner_id": LEAD, "name": {"zh": "文学院"}, "level": "campus", "kind": "faculty",
                            "status": "active"})
    partners = Mock()
    partners.get_partner.side_effect = NotFound("no such partner")
    app = EventsApp(store, partners)
    return worker_factory(EventsService, store=store, partners=partners, app=app), store, partners


def test_an_unknown_organizer_is_refused_after_asking_partners():
    service, store, partners = events_service()
    with pytest.raises(RuleBroken) as caught:
        service.create_activity(lecture(LEAD, [CO]))
    assert caught.value.details["field"] == "co_organizers"
    partners.get_partner.assert_called_once_with(CO)
    assert store.activities.count_documents({}) == 0


def test_an_organizer_the_read_model_misses_is_learned_from_partners():
    service, store, partners = events_service()
    partners.get_partner.side_effect = None
    partners.get_partner.return_value = {"id": CO, "name": {"zh": "博物馆"}, "level": "outside", "kind": "museum",
                                         "status": "applied"}
    created = service.create_activity(lecture(LEAD, [CO]))
    assert [o["level"] for o in created["organizers"]] == ["campus", "outside"]
    assert store.partner(CO)["kind"] == "museum"


def test_publishing_stores_the_state_and_its_event_together_and_only_once():
    service, store, _ = events_service()
    created = service.create_activity(lecture(LEAD, []))
    with pytest.raises(Conflict):
        service.publish_activity(created["id"])  # not approved yet
    service.submit_activity(created["id"])
    service.approve_activity(created["id"], {"comments": "ok"})
    published = service.publish_activity(created["id"])
    assert published["status"] == "published"
    stored = store.activities.find_one({"_id": created["id"]})
    assert [e["type"] for e in stored["outbox"]] == ["activity.submitted", "activity.approved", "activity.published"]
    assert stored["outbox_pending"]
    with pytest.raises(Conflict):
        service.publish_activity(created["id"])
    assert len(store.activities.find_one({"_id": created["id"]})["outbox"]) == 3
    with pytest.raises(NotFound):
        service.publish_activity("act_missing")


def published_envelope() -> Envelope:
    return Envelope(type="activity.published", source="/synergy/events", correlationid="cor_1", data={
        "activity_id": "act_1", "title": {"zh": "讲座"}, "activity_type": "lecture", "paths": ["activity"],
        "themes": [], "starts_at": "2026-12-05T02:00:00.000Z", "ends_at": "2026-12-05T04:00:00.000Z",
        "venue": None, "published_at": "2026-11-01T00:00:00.000Z",
        "organizers": [{"partner_id": LEAD, "name": {"zh": "文学院"}, "role": "lead", "level": "campus"},
                       {"partner_id": CO, "name": {"zh": "博物馆"}, "role": "co_organizer", "level": "outside"}]})


def test_a_survey_is_prepared_once_however_often_the_event_comes():
    store = EvaluationStore(db())
    service = worker_factory(EvaluationService, store=store)
    envelope = published_envelope()
    service.prepare_survey(envelope)
    service.prepare_survey(envelope)
    assert store.surveys.count_documents({}) == 1
    assert service.surveys_for_activity("act_1")["surveys"][0]["status"] == "prepared"


def test_notify_tells_each_organizer_and_each_interested_endpoint_once(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    store = NotifyStore(db())
    service = worker_factory(NotifyService, store=store)
    wanted = service.register_endpoint({"owner_partner_id": CO, "url": "http://127.0.0.1:9/a",
                                        "event_types": ["activity.published"]})
    service.register_endpoint({"owner_partner_id": CO, "url": "http://127.0.0.1:9/b",
                               "event_types": ["partner.registered"]})
    envelope = published_envelope()
    service.activity_published(envelope)
    service.activity_published(envelope)
    assert store.inbox.count_documents({}) == 2
    assert [d["endpoint_id"] for d in store.deliveries.find()] == [wanted["id"]]


def test_an_endpoint_on_a_private_address_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "0")
    store = NotifyStore(db())
    service = worker_factory(NotifyService, store=store)
    with pytest.raises(ValidationFailed) as caught:
        service.register_endpoint({"owner_partner_id": CO, "url": "http://10.0.0.8/hook", "event_types": ["*"]})
    assert "url" in caught.value.details["errors"]
    assert store.endpoints.count_documents({}) == 0
