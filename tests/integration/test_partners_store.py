"""The partners store against both the Mongo-wire server and mongomock: queries mean the same on both."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import mongomock
import pytest

from services.common.catalogue import announce
from services.common.errors import Conflict
from services.partners import review
from services.partners.agreements import Agreement
from services.partners.domain import Partner
from services.partners.store import PartnerStore

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["nx-27017", "mongomock"])
def store(request, mongo_uri):
    name = f"partners_{uuid.uuid4().hex[:8]}"
    if request.param == "mongomock":
        db = mongomock.MongoClient(tz_aware=True, tzinfo=UTC)[name]
    else:
        db = request.getfixturevalue("mongo_client")[name]
    store = PartnerStore(db)
    store.ensure_indexes()
    yield store
    if request.param != "mongomock":
        db.client.drop_database(name)


def register(store, n: int, level="outside", kind="museum", **kwargs) -> Partner:
    partner = Partner.register(f"prt_{n}", name={"zh": f"单位{n}", "en": f"Unit {n}"}, level=level, kind=kind,
                               now=NOW, **kwargs)
    store.add(partner, [announce("partner.registered", partner.registered_event(), subject=partner.id)])
    return partner


def test_filters_search_and_names_are_the_same_on_both_stores(store):
    register(store, 0, themes=["science"], resources=[{"kind": "space", "name": "厅"}])
    register(store, 1, level="campus", kind="faculty", themes=["poetry", "science"])
    register(store, 2)
    assert [p["id"] for p in store.find(theme="science")] == ["prt_0", "prt_1"]
    assert [p["id"] for p in store.find(resource="space")] == ["prt_0"]
    assert [p["id"] for p in store.find(q="unit 2")] == ["prt_2"]
    assert [p["id"] for p in store.find(q="单位1")] == ["prt_1"]
    assert store.find(q=".*") == [] and store.find(q="(") == []
    assert [p["id"] for p in store.find(level="outside", after="prt_0", limit=1)] == ["prt_2"]
    assert [p["id"] for p in store.organizing_partners()] == ["prt_1"]
    assert "search_text" not in store.get("prt_0") and store.get("prt_0")["resource_kinds"] == ["space"]
    with pytest.raises(Conflict):
        register(store, 0)
    assert store.names_taken(["单位0", "单位9"]) == {"单位0"}


def test_a_review_and_its_times_survive_the_round_trip(store):
    register(store, 0)

    def start(partner):
        return [announce("partner.review_started", review.start_review(partner, by="o", at=NOW), subject=partner.id)]
    store.change("prt_0", start)
    loaded = store.load("prt_0")
    assert loaded.status == "under_review" and loaded.review["started_at"] == NOW
    assert isinstance(loaded.status_history[-1]["at"], datetime)
    stored = store.partners.find_one({"_id": "prt_0"})
    assert [e["type"] for e in stored["outbox"]] == ["partner.registered", "partner.review_started"]


def test_due_renewals_and_agreements_are_found_by_day_only(store):
    register(store, 0)
    register(store, 1)
    store.change("prt_1", lambda partner: setattr(partner, "renewal_due_on", "2026-12-01") or [])
    assert store.renewals_due("2026-11-30") == [] and store.renewals_due("2026-12-01") == ["prt_1"]
    signatures = [{"party": "partner", "name": "a", "signed_on": date(2026, 11, 1)},
                  {"party": "counterpart", "name": "b", "signed_on": date(2026, 11, 1)}]
    agreement = Agreement.sign("agr_1", partner_id="prt_0", counterpart="library", scope="s",
                               starts_on=date(2026, 11, 1), ends_on=date(2027, 3, 1), commitments=[],
                               signed_by=signatures, today=date(2026, 11, 1), now=NOW, recorded_by="o")
    store.add_agreement(agreement, [])
    assert store.agreements_due("2026-12-30") == [] and store.agreements_due("2026-12-31") == ["agr_1"]
    assert [a["id"] for a in store.find_agreements(status="in_force", ends_before="2027-03-02")] == ["agr_1"]
    assert store.find_agreements(ends_before="2027-03-01") == []
    store.change_agreement("agr_1", lambda a: a.due_notices(date(2027, 3, 1), NOW) and [])
    assert store.agreements_due("2027-12-31") == []
    with_unit = Agreement.sign("agr_2", partner_id="prt_0", counterpart="prt_1", scope="s",
                               starts_on=date(2026, 11, 1), ends_on=date(2027, 3, 1), commitments=[],
                               signed_by=signatures, today=date(2026, 11, 1), now=NOW, recorded_by="o")
    store.add_agreement(with_unit, [])
    assert [a["id"] for a in store.agreements_of("prt_0")] == ["agr_1", "agr_2"]
    assert [a["id"] for a in store.agreements_of("prt_1")] == ["agr_2"], "the campus unit on the other side too"
    assert store.get_agreement("agr_2")["bound_partner_ids"] == ["prt_0", "prt_1"]
    assert store.get_agreement("agr_1")["bound_partner_ids"] == ["prt_0"], "the library is no partner to hide from"


def test_collaboration_records_apply_each_event_once(store):
    assert store.merge_collaboration("prt_0", "act_1", {"role": "lead"}, "evt_1") is True
    assert store.merge_collaboration("prt_0", "act_1", {"role": "lead"}, "evt_1") is False
    assert store.merge_collaboration("prt_0", "act_1", {"evaluation": {"response_count": 3}}, "evt_2") is True
    (record,) = store.collaborations_of("prt_0")
    assert record["role"] == "lead" and record["evaluation"] == {"response_count": 3}
    assert store.collaborations.count_documents({"activity_id": "act_1"}) == 1


def test_the_read_model_of_events_keeps_the_latest_status_whatever_the_order(store):
    from services.events.store import EventsStore
    directory = EventsStore(store.db)
    base = {"partner_id": "prt_0", "name": {"zh": "馆"}, "level": "outside", "kind": "museum"}
    directory.remember_partner(dict(base, status="under_review", status_seq=2))
    directory.remember_partner(dict(base, status="applied", status_seq=1))  # the older event comes late
    assert directory.partner("prt_0")["status"] == "under_review"
    directory.remember_partner(dict(base, status="approved", status_seq=3))
    directory.remember_partner(dict(base, status="approved", status_seq=3))
    assert directory.partner("prt_0") == dict(base, status="approved")


def test_two_instances_running_the_job_at_the_same_moment_give_each_notice_once(store):
    import threading

    from nameko.testing.services import worker_factory

    from services.partners.service import PartnersService, today_in

    today = today_in("Asia/Shanghai")
    signatures = [{"party": "partner", "name": "a", "signed_on": today},
                  {"party": "counterpart", "name": "b", "signed_on": today}]
    for n in range(8):
        store.add_agreement(Agreement.sign(f"agr_{n}", partner_id="prt_0", counterpart="library", scope="s",
                                           starts_on=today - timedelta(days=100), ends_on=today + timedelta(days=7),
                                           commitments=[], signed_by=signatures, today=today, now=NOW,
                                           recorded_by="o"), [])
    instances = [worker_factory(PartnersService, store=PartnerStore(store.db)) for _ in range(2)]
    barrier = threading.Barrier(2)
    failures = []

    def tick(instance):
        try:
            for _ in range(3):
                barrier.wait(10)
                instance.check_due()
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
    threads = [threading.Thread(target=tick, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    for doc in store.agreements.find():
        assert [(e["type"], e["data"]["days_left"]) for e in doc["outbox"]] == [("agreement.expiring", 7)]


def test_partners_from_before_the_query_fields_are_completed_at_start(store):
    store.partners.drop_indexes()
    for n, zh in enumerate(["文学院", "文学院", "历史学院"]):
        store.partners.insert_one({"_id": f"prt_{n}", "name": {"zh": zh}, "level": "campus", "kind": "faculty",
                                   "status": "active", "registered_at": NOW, "themes": [], "description": "",
                                   "_rev": 1, "_applied": [], "outbox": [], "outbox_pending": False})
    store.ensure_indexes()
    assert [p["id"] for p in store.find(q="学院")] == ["prt_0", "prt_1", "prt_2"]
    keys = [doc["name_key"] for doc in store.partners.find().sort("_id", 1)]
    assert keys == ["文学院", "文学院#prt_1", "历史学院"]
    assert store.backfill() == 0
    assert store.load("prt_1").contacts == []


def test_a_setting_is_saved_and_replaced(store):
    assert store.setting("review_rubric") == (None, 0)
    store.save_setting("review_rubric", {"criteria": [{"key": "a", "weight": 1}]}, "chair", NOW)
    store.save_setting("review_rubric", {"criteria": [{"key": "b", "weight": 2}]}, "chair", NOW)
    assert store.setting("review_rubric") == ({"criteria": [{"key": "b", "weight": 2}]}, 2)
    assert store.settings.count_documents({}) == 1
