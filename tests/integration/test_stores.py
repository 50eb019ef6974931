"""The storage mechanics and each service's store, run against both the Mongo-wire server and mongomock.

A difference between the two is a bug to design around: the code must mean the same on real MongoDB.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import mongomock
import pytest
from pymongo.errors import DuplicateKeyError

from services.common import documents
from services.common.catalogue import announce
from services.common.errors import ConcurrentUpdate, NotFound, PreconditionFailed
from services.evaluation.domain import Survey
from services.evaluation.store import EvaluationStore
from services.notify.domain import Delivery
from services.notify.store import NotifyStore
from services.partners.domain import Partner
from services.partners.store import PartnerStore

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["nx-27017", "mongomock"])
def db(request, mongo_uri):
    name = f"store_{uuid.uuid4().hex[:8]}"
    if request.param == "mongomock":
        yield mongomock.MongoClient(tz_aware=True, tzinfo=UTC)[name]
        return
    client = request.getfixturevalue("mongo_client")
    yield client[name]
    client.drop_database(name)


def event(n: int = 1):
    return announce("survey.prepared", {"survey_id": f"s{n}", "activity_id": "a", "item_count": n})


def test_insert_sets_revision_and_flags_pending_events(db):
    doc = documents.insert(db.things, {"_id": "t1", "v": 1}, [event()])
    stored = db.things.find_one({"_id": "t1"})
    assert stored["_rev"] == 1 and stored["outbox_pending"] is True
    assert stored["outbox"][0]["id"] == doc["outbox"][0]["id"]
    assert isinstance(stored["outbox"][0]["data"], dict), "events are stored as documents, not strings"
    assert [d["_id"] for d in db.things.find({"outbox_pending": True})] == ["t1"]
    with pytest.raises(DuplicateKeyError):
        documents.insert(db.things, {"_id": "t1"})


def test_a_stale_write_is_refused(db):
    documents.insert(db.things, {"_id": "t1", "v": 1})
    first = db.things.find_one({"_id": "t1"})
    second = dict(first)
    documents.replace(db.things, dict(first, v=2))
    with pytest.raises(ConcurrentUpdate):
        documents.replace(db.things, dict(second, v=3))
    assert db.things.find_one({"_id": "t1"})["v"] == 2


def test_update_applies_an_event_once_and_keeps_the_change_and_its_events_together(db):
    documents.insert(db.things, {"_id": "t1", "n": 0})

    def bump(doc):
        doc["n"] += 1
        return [event(doc["n"])]

    assert documents.update(db.things, "t1", bump, applied_event="evt_a")["n"] == 1
    assert documents.update(db.things, "t1", bump, applied_event="evt_a") is None
    stored = db.things.find_one({"_id": "t1"})
    assert stored["n"] == 1 and len(stored["outbox"]) == 1 and stored["_applied"] == ["evt_a"]
    with pytest.raises(NotFound):
        documents.update(db.things, "nope", bump)


def test_two_updates_from_the_same_revision_race_and_exactly_one_wins(db):
    """Compare-and-set on ``expected_rev``: the second writer's change, interleaved between the first writer's
    read and write, lands; the first is then refused on its retry and writes nothing (not even its events)."""
    documents.insert(db.things, {"_id": "t1", "owner": "nobody"})
    outcomes = []

    def first(doc):
        if not outcomes:  # the other writer slips in between this read and this write
            outcomes.append(documents.update(db.things, "t1", second, expected_rev=1)["owner"])
        doc["owner"] = "first"
        return [event(1)]

    def second(doc):
        doc["owner"] = "second"
        return [event(2)]

    with pytest.raises(PreconditionFailed) as refused:
        documents.update(db.things, "t1", first, expected_rev=1)
    assert outcomes == ["second"]
    assert refused.value.details == {"revision": 2, "expected_revision": 1}
    stored = db.things.find_one({"_id": "t1"})
    assert stored["owner"] == "second" and stored["_rev"] == 2
    assert [e["data"]["survey_id"] for e in stored["outbox"]] == ["s2"], "the loser's events are not kept"
    with pytest.raises(PreconditionFailed):
        documents.update(db.things, "t1", second, expected_rev=1)  # a stale copy, later: refused as well
    assert documents.update(db.things, "t1", first)["owner"] == "first", "without expected_rev: any revision"
    with pytest.raises(NotFound):
        documents.update(db.things, "nope", first, expected_rev=1)


def test_relaying_the_events_does_not_move_the_revision_a_caller_read(db):
    from services.common.outbox import _forget
    made = documents.insert(db.things, {"_id": "t1", "v": 1}, [event()])
    _forget(db.things, "t1", {made["outbox"][0]["id"]})
    stored = db.things.find_one({"_id": "t1"})
    assert stored["_rev"] == 2 and stored["outbox"] == [] and documents.revision_of(stored) == 1

    def change(doc):
        doc["v"] = 2
    assert documents.versioned(documents.update(db.things, "t1", change, expected_rev=1)) == {
        "id": "t1", "v": 2, "revision": 2}
    assert documents.revision_of({"_id": "old", "_rev": 7}) == 7, "documents from before _version start at _rev"


def test_a_change_that_changes_nothing_leaves_the_revision_a_caller_read(db):
    documents.insert(db.things, {"_id": "t1", "v": 1, "when": NOW})
    assert documents.update(db.things, "t1", lambda doc: doc.update(v=1))["_rev"] == 1, "nothing to write"
    assert db.things.find_one({"_id": "t1"})["_rev"] == 1
    # a consumer applying an event that changes nothing: the event is recorded, the object's revision stays
    documents.update(db.things, "t1", lambda doc: doc.update(when=NOW), applied_event="evt_1")
    stored = db.things.find_one({"_id": "t1"})
    assert stored["_applied"] == ["evt_1"] and stored["_rev"] == 2 and documents.revision_of(stored) == 1
    assert documents.update(db.things, "t1", lambda doc: None, applied_event="evt_1") is None, "applied once"
    changed = documents.update(db.things, "t1", lambda doc: doc.update(v=2), expected_rev=1)
    assert documents.revision_of(changed) == 2, "a copy read at revision 1 was still current"
    raised = documents.update(db.things, "t1", lambda doc: [event()])
    assert documents.revision_of(raised) == 3 and raised["outbox_pending"], "raising events is a change"


def test_a_read_model_keeps_the_newest_fact_whatever_order_they_come_in(db):
    def older(seq):
        return lambda known: known["seq"] >= seq
    assert documents.keep_newest(db.model, {"_id": "p", "seq": 2, "v": "b"}, older(2))
    assert not documents.keep_newest(db.model, {"_id": "p", "seq": 1, "v": "a"}, older(1)), "an older fact, late"
    assert documents.keep_newest(db.model, {"_id": "p", "seq": 3, "v": "c"}, older(3))
    stored = db.model.find_one({"_id": "p"})
    assert (stored["v"], stored["_rev"], documents.revision_of(stored)) == ("c", 2, 2)
    db.model.insert_one({"_id": "legacy", "seq": 0, "v": "x"})  # stored before revisions existed
    assert documents.keep_newest(db.model, {"_id": "legacy", "seq": 1, "v": "y"}, older(1))
    assert db.model.find_one({"_id": "legacy"})["_rev"] == 1


def test_put_creates_or_replaces_and_honours_the_expected_revision(db):
    with pytest.raises(PreconditionFailed):
        documents.put(db.things, {"_id": "s", "v": 1}, expected_rev=3)  # never written: at revision 0
    assert db.things.count_documents({}) == 0
    assert documents.put(db.things, {"_id": "s", "v": 1}, expected_rev=0)["_rev"] == 1
    with pytest.raises(PreconditionFailed):
        documents.put(db.things, {"_id": "s", "v": 2}, expected_rev=0)  # somebody wrote it first
    assert documents.put(db.things, {"_id": "s", "v": 3}, expected_rev=1)["_rev"] == 2
    with pytest.raises(PreconditionFailed):
        documents.put(db.things, {"_id": "s", "v": 4}, expected_rev=1)
    assert documents.put(db.things, {"_id": "s", "v": 5})["_rev"] == 3
    assert documents.versioned(db.things.find_one({"_id": "s"})) == {"id": "s", "v": 5, "revision": 3}


def test_insert_once_is_idempotent(db):
    assert documents.insert_once(db.things, {"_id": "k"}) is True
    assert documents.insert_once(db.things, {"_id": "k"}) is False
    assert db.things.count_documents({}) == 1


def test_public_view_hides_bookkeeping(db):
    documents.insert(db.things, {"_id": "t1", "v": 1}, [event()])
    assert documents.public(db.things.find_one({"_id": "t1"})) == {"id": "t1", "v": 1}


def test_partner_store_filters_pages_and_records_collaborations_once(db):
    store = PartnerStore(db)
    store.ensure_indexes()
    for n, (level, kind) in enumerate([("campus", "faculty"), ("outside", "museum"), ("campus", "youth_league")]):
        store.add(Partner.register(f"prt_{n}", name={"zh": f"单位{n}"}, level=level, kind=kind, now=NOW), [])
    assert [p["id"] for p in store.find(level="campus")] == ["prt_0", "prt_2"]
    assert [p["id"] for p in store.find(limit=2)] == ["prt_0", "prt_1"]
    assert [p["id"] for p in store.find(after="prt_1")] == ["prt_2"]
    assert [p["id"] for p in store.find(status="applied")] == ["prt_1"]
    assert isinstance(store.get("prt_0")["registered_at"], datetime)


def test_survey_store_prepares_one_survey_per_activity(db):
    store = EvaluationStore(db)
    activity = {"activity_id": "act_1", "activity_type": "lecture", "title": {"zh": "讲座"},
                "organizers": [{"partner_id": "p1"}]}
    assert store.add_survey_once(Survey.prepare_for(activity, NOW), []) is True
    assert store.add_survey_once(Survey.prepare_for(activity, NOW), []) is False
    assert [s["id"] for s in store.surveys_of("act_1")] == [Survey.prepare_for(activity, NOW).id]


def test_due_deliveries_are_claimed_by_one_worker_only(db):
    store = NotifyStore(db)
    store.ensure_indexes()
    for n, due in enumerate([NOW - timedelta(seconds=5), NOW + timedelta(seconds=5)]):
        store.add_delivery_once(Delivery(id=f"msg_{n}", endpoint_id="ep", owner_partner_id="p", event_id=f"e{n}",
                                         event_type="activity.published", body="{}", state="pending",
                                         next_attempt_at=due, created_at=NOW))
    due = store.due_deliveries(NOW, 10)
    assert [d.id for d, _ in due] == ["msg_0"]
    delivery, rev = due[0]
    assert store.claim(delivery, rev, NOW + timedelta(seconds=30)) == rev + 1
    assert store.claim(delivery, rev, NOW + timedelta(seconds=30)) is None
    assert store.due_deliveries(NOW, 10) == [], "a leased delivery is not due"
    assert [d.id for d, _ in store.due_deliveries(NOW + timedelta(seconds=31), 10)] == ["msg_0", "msg_1"]
    assert store.due_deliveries(NOW + timedelta(seconds=31), 10, skip_endpoints=["ep"]) == [], "a busy endpoint"
    assert len(store.due_deliveries(NOW + timedelta(seconds=31), 10, skip_endpoints=["other"])) == 2
    assert [d["id"] for d in store.deliveries_of("ep", limit=1)] == ["msg_1"]
    assert [d["id"] for d in store.deliveries_of("ep", limit=5, before="msg_1")] == ["msg_0"]
    assert [d["id"] for d in store.deliveries_of("ep", state="pending")] == ["msg_1", "msg_0"]


def test_a_delivery_due_later_in_the_same_second_is_not_due_yet(db):
    store = NotifyStore(db)
    store.ensure_indexes()
    second = NOW.replace(microsecond=0)
    store.add_delivery_once(Delivery(id="msg_late", endpoint_id="ep", owner_partner_id="p", event_id="e",
                                     event_type="activity.published", body="{}", state="pending",
                                     next_attempt_at=second + timedelta(milliseconds=900), created_at=NOW))
    assert store.due_deliveries(second + timedelta(milliseconds=100), 10) == []
    assert [d.id for d, _ in store.due_deliveries(second + timedelta(milliseconds=900), 10)] == ["msg_late"]


def test_notify_store_finds_followers_pages_inboxes_and_finds_due_work(db):
    from services.notify.domain import InboxItem
    from services.notify.people import Preferences
    store = NotifyStore(db)
    store.ensure_indexes()
    store.save_preferences(Preferences(person_id="p1", follow_organizer=["prt_a"], follow_theme=["science"]))
    store.save_preferences(Preferences(person_id="p2", follow_theme=["art"], mode="weekly_digest"))
    store.save_preferences(Preferences(person_id="p2", follow_theme=["art", "science"], mode="weekly_digest"))
    assert [p.person_id for p in store.subscribers({"organizer": {"prt_a"}})] == ["p1"]
    assert [p.person_id for p in store.subscribers({"theme": {"science"}, "path": set()})] == ["p1", "p2"]
    store.save_preferences(Preferences(person_id="p3", follow_path=["practice"]))
    both = store.subscribers({"organizer": {"prt_a", "prt_b"}, "theme": {"science", "art"}, "path": {"space"}})
    assert [p.person_id for p in both] == ["p1", "p2"], "each follower once, however many of its follows match"
    assert store.subscribers({"organizer": {"prt_z"}}) == [] and store.subscribers({}) == []
    found = store.preferences_for(["p3", "p1", "nobody", "p1"])
    assert sorted(found) == ["p1", "p3"] and found["p3"].follow_path == ["practice"]
    assert store.preferences_for([]) == {}
    assert [p.person_id for p in store.digest_readers()] == ["p2"]
    assert store.preferences_of("p2").follow_theme == ["art", "science"]

    for n in range(5):
        store.add_inbox_item_once(InboxItem(id=f"i{n}", recipient_id="prt_a", event_id=f"e{n}", event_type="x",
                                            subject={"zh": "s"}, body={"zh": "b"},
                                            created_at=NOW + timedelta(seconds=n)))
    first = store.inbox_of("prt_a", limit=2)
    assert [i["id"] for i in first] == ["i4", "i3"]
    assert [i["id"] for i in store.inbox_of("prt_a", before=first[-1]["cursor"], limit=2)] == ["i2", "i1"]
    store.mark_read("prt_a", "i4", True, NOW)
    assert store.unread_count("prt_a") == 4
    assert [i["id"] for i in store.inbox_of("prt_a", unread_only=True, limit=1)] == ["i3"]
    with pytest.raises(NotFound):
        store.mark_read("prt_b", "i4", True, NOW)

    store.remember_activity("act_1", {"status": "published", "starts_at": NOW + timedelta(days=2),
                                      "title": {"zh": "讲座"}}, "evt_1")
    store.remember_activity("act_2", {"status": "published", "starts_at": NOW + timedelta(days=20)}, "evt_2")
    store.remember_activity("act_2", {"status": "cancelled"}, "evt_3")
    store.remember_activity("act_2", {"status": "published"}, "evt_4")
    assert [a["id"] for a in store.upcoming_activities(NOW, NOW + timedelta(days=30))] == ["act_1"]

    store.remember_registration("reg_1", {"activity_id": "act_1", "person_id": "p1", "status": "confirmed",
                                          "reminder_pending": True, "reminder_due_at": NOW}, "evt_5")
    store.remember_registration("reg_1", {"activity_id": "act_1", "person_id": "p1", "status": "waitlisted",
                                          "reminder_pending": False, "reminder_due_at": NOW}, "evt_6")
    assert [r["status"] for r in store.registrants_of("act_1")] == ["confirmed"]
    assert [r["id"] for r in store.due_reminders(NOW)] == ["reg_1"]
    assert store.due_reminders(NOW - timedelta(seconds=1)) == []


def test_evaluation_store_finds_a_survey_by_token_hash_and_due_work_by_time(db):
    from datetime import timedelta as td

    from services.evaluation.domain import Response, new_response_id, new_token, token_hash
    store = EvaluationStore(db)
    store.ensure_indexes()
    activity = {"activity_id": "act_1", "activity_type": "lecture", "title": {"zh": "讲座"}, "paths": ["space"],
                "organizers": [{"partner_id": "p1"}]}
    survey = Survey.prepare_for(activity, NOW)
    survey.schedule(NOW, td(days=14))
    store.add_survey_once(survey, [])
    assert store.due_to_open(NOW - td(seconds=1)) == [] and store.due_to_open(NOW) == [survey.id]
    tokens = [new_token() for _ in range(3)]
    store.change_survey(survey.id, lambda s: s.open(tokens, NOW) and [])
    assert store.survey_by_token_hash(token_hash(tokens[1])).id == survey.id
    assert store.survey_by_token_hash(token_hash(new_token())) is None
    assert store.due_to_close(NOW + td(days=13)) == [] and store.due_to_close(NOW + td(days=14)) == [survey.id]
    response = Response(id=new_response_id(), survey_id=survey.id, activity_id="act_1", stage="immediate",
                        answers={"knowledge": 5}, language="zh", submitted_at=NOW)
    assert store.add_response(response) is True and store.add_response(response) is False
    assert [r["answers"] for r in store.responses_by_activity(["act_1"])["act_1"]] == [{"knowledge": 5}]
    assert isinstance(store.survey(survey.id).closes_at, datetime)


def test_evaluation_store_keeps_one_plan_per_term_and_finds_ended_terms(db):
    from datetime import date

    from services.evaluation.plans import TermPlan
    store = EvaluationStore(db)
    store.ensure_indexes()
    store.ensure_term("2026-autumn", date(2026, 8, 1), date(2027, 1, 31), NOW)
    store.ensure_term("2026-autumn", date(2026, 8, 1), date(2027, 1, 31), NOW)
    assert store.plan("2026-autumn").targets == []
    target = {"dimension": "all", "key": None, "measure": "activities", "target": 3}
    store.save_plan(TermPlan(term_id="2026-autumn", starts_on=date(2026, 8, 1), ends_on=date(2027, 1, 31),
                             targets=[target], set_by="admin", set_at=NOW))
    assert store.plan("2026-autumn").targets == [target] and db.plans.count_documents({}) == 1
    assert store.plans_ended(date(2027, 1, 31)) == []
    assert [p.term_id for p in store.plans_ended(date(2027, 2, 1))] == ["2026-autumn"]
    store.mark_report_generated("2026-autumn", {"term_id": "2026-autumn"}, [event()], NOW)
    store.mark_report_generated("2026-autumn", {"term_id": "2026-autumn"}, [event(2)], NOW)
    assert store.plans_ended(date(2027, 2, 1)) == []
    assert len(db.plans.find_one({"_id": "2026-autumn"})["outbox"]) == 1
    assert store.term_end_report("2026-autumn") == {"term_id": "2026-autumn"}
    # setting the plan again keeps the record of its term-end report, and honours the revision it names
    plan, shown = store.plan_as_set("2026-autumn")
    again = TermPlan(term_id="2026-autumn", starts_on=date(2026, 8, 1), ends_on=date(2027, 1, 31), targets=[],
                     set_by="admin", set_at=NOW)
    with pytest.raises(PreconditionFailed):
        store.save_plan(again, expected_rev=shown["revision"] - 1)
    assert store.save_plan(again, expected_rev=shown["revision"])["revision"] == shown["revision"] + 1
    assert store.plans_ended(date(2027, 2, 1)) == [] and store.term_end_report("2026-autumn") is not None
    assert "term_end_report" not in store.plan_as_set("2026-autumn")[1] and plan.targets == [target]
    with pytest.raises(PreconditionFailed):
        store.save_plan(TermPlan(term_id="2027-spring", starts_on=date(2027, 2, 1), ends_on=date(2027, 7, 31),
                                 targets=[], set_by="admin", set_at=NOW), expected_rev=4)  # never set: revision 0
