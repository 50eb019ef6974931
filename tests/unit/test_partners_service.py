"""The partners service's entrypoints on mongomock: every write path, its events, and bad input leaving no trace."""
from __future__ import annotations

from datetime import UTC, date, timedelta

import mongomock
import pytest
from nameko.testing.services import worker_factory

from services.common.envelope import Envelope
from services.common.errors import Conflict, NotFound, RuleBroken, ValidationFailed
from services.partners import importing
from services.partners.service import PartnersService, today_in
from services.partners.store import PartnerStore

MUSEUM = {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"}, "level": "outside",
          "kind": "science_museum", "themes": ["science"],
          "contacts": [{"name": "王老师", "role": "联络人", "phone": "+86 21 6862 2000", "email": "w@sstm.org"}],
          "resources": [{"kind": "space", "name": "临展厅", "capacity": 300, "location": "浦东"}]}
FACULTY = {"name": {"zh": "文学院", "en": "School of Liberal Arts"}, "level": "campus", "kind": "faculty",
           "themes": ["poetry"]}
FIVES = {"legal_qualification": 5, "resource_fit": 5, "reputation": 4, "safety_compliance": 5,
         "past_performance": 4}


@pytest.fixture
def store():
    store = PartnerStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"])
    store.ensure_indexes()
    return store


@pytest.fixture
def service(store):
    return worker_factory(PartnersService, store=store)


def outbox_types(store, collection="partners", doc_id=None) -> list[str]:
    found = store.db[collection].find({"_id": doc_id} if doc_id else {})
    return [event["type"] for doc in found for event in doc.get("outbox", [])]


def snapshot(store) -> dict:
    return {name: sorted((doc["_id"], doc["_rev"]) for doc in store.db[name].find())
            for name in ("partners", "agreements", "collaborations")}


def approve(service, partner_id) -> dict:
    service.start_review(partner_id, {"reason": "applied"}, actor="office")
    for reviewer in ("张", "李"):
        service.score_review(partner_id, {"reviewer": reviewer, "scores": FIVES}, actor="office")
    return service.decide_review(partner_id, {"outcome": "approved", "reason": "fits"}, actor="chair")


def test_contacts_are_private_unless_the_caller_may_see_them(service):
    museum = service.register_partner(MUSEUM, actor="office")
    assert museum["contacts"][0]["phone"] == "+86 21 6862 2000"
    assert "phone" not in service.get_partner(museum["id"])["contacts"][0]
    assert service.get_partner(museum["id"], include_private=True)["contacts"][0]["email"] == "w@sstm.org"
    assert "email" not in service.find_partners({})["items"][0]["contacts"][0]
    assert "email" in service.find_partners({}, include_private=True)["items"][0]["contacts"][0]
    assert "w@sstm.org" not in service.export_partners({})
    assert "w@sstm.org" in service.export_partners({}, include_private=True)


def test_find_filters_searches_both_languages_and_pages(service):
    museum = service.register_partner(MUSEUM)
    faculty = service.register_partner(FACULTY)
    club = service.register_partner({"name": {"zh": "樊登读书会", "en": "Fandeng Reading Club"}, "level": "outside",
                                     "kind": "reading_club", "themes": ["reading", "science"]})

    def ids(**query):
        return [item["id"] for item in service.find_partners(query)["items"]]
    assert ids(level="campus") == [faculty["id"]]
    assert ids(theme="science") == sorted([museum["id"], club["id"]])
    assert ids(resource="space") == [museum["id"]]
    assert ids(status="applied", kind="reading_club") == [club["id"]]
    assert ids(q="科技") == [museum["id"]] and ids(q="READING") == [club["id"]] and ids(q="a.b*") == []
    first = service.find_partners({"limit": 2})
    assert len(first["items"]) == 2 and first["next_cursor"] == first["items"][-1]["id"]
    rest = ids(after=first["next_cursor"])
    assert len(rest) == 1 and sorted([item["id"] for item in first["items"]] + rest) == sorted(
        [museum["id"], faculty["id"], club["id"]])


@pytest.mark.parametrize("query", [{"status": "sleeping"}, {"resource": "castle"}, {"limit": 0}, {"limit": "many"},
                                   {"q": ""}, {"colour": "red"}, {"$where": "1"}])
def test_bad_filters_are_refused(service, query):
    with pytest.raises(ValidationFailed):
        service.find_partners(query)


def test_a_second_registration_of_the_same_name_is_a_conflict(service, store):
    service.register_partner(MUSEUM)
    with pytest.raises(Conflict):
        service.register_partner(dict(MUSEUM, name={"zh": " 上海科技馆"}))
    assert store.partners.count_documents({}) == 1


def test_profile_updates_announce_what_changed_and_bad_ones_change_nothing(service, store):
    faculty = service.register_partner(FACULTY)
    museum = service.register_partner(MUSEUM)
    updated = service.update_partner(faculty["id"], {"themes": ["poetry", "history"]}, actor="office")
    assert updated["themes"] == ["history", "poetry"]
    assert outbox_types(store, doc_id=faculty["id"]) == ["partner.registered", "partner.updated"]
    before = snapshot(store)
    for payload in ({}, {"level": "outside"}, {"contacts": [{"name": ""}]}, {"name": {"en": "no zh"}}):
        with pytest.raises(ValidationFailed):
            service.update_partner(faculty["id"], payload)
    with pytest.raises(Conflict):
        service.update_partner(faculty["id"], {"name": museum["name"]})
    with pytest.raises(NotFound):
        service.update_partner("prt_missing", {"themes": []})
    assert snapshot(store) == before


def test_partner_events_carry_the_spaces_offered_and_two_spaces_never_share_a_name(service, store):
    museum = service.register_partner(MUSEUM)
    registered = store.db["partners"].find_one({"_id": museum["id"]})["outbox"][0]["data"]
    assert registered["spaces"] == [{"name": "临展厅", "capacity": 300, "location": "浦东", "description": ""}]
    assert registered["profile_seq"] == 0
    hall = {"kind": "space", "name": "报告厅"}
    service.update_partner(museum["id"], {"resources": [hall, {"kind": "expert", "name": "讲解员"}]})
    updated = store.db["partners"].find_one({"_id": museum["id"]})["outbox"][-1]["data"]
    assert [s["name"] for s in updated["spaces"]] == ["报告厅"] and updated["profile_seq"] == 1
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as refused:
        service.update_partner(museum["id"], {"resources": [hall, dict(hall, name=" 报告 厅")]})
    assert "resources" in refused.value.details["errors"]
    with pytest.raises(ValidationFailed):
        service.register_partner(dict(FACULTY, name={"zh": "新学院"}, resources=[hall, hall]))
    assert snapshot(store) == before


def test_the_review_from_applied_to_approved_stores_each_step_with_its_event(service, store):
    museum = service.register_partner(MUSEUM)
    started = service.start_review(museum["id"], {"evidence": [{"title": "营业执照", "ref": "doc://licence"}]},
                                   actor="office")
    assert started["status"] == "under_review"
    service.add_evidence(museum["id"], {"title": "安全预案", "ref": "doc://safety"}, actor="office")
    current = service.score_review(museum["id"], {"reviewer": "张", "scores": FIVES}, actor="office")
    assert current["tally"]["reviewers"] == 1
    service.score_review(museum["id"], {"reviewer": "李", "scores": FIVES, "comment": "good"})
    decided = service.decide_review(museum["id"], {"outcome": "approved", "reason": "fits"}, actor="chair")
    assert decided["status"] == "approved" and decided["approval"]["weighted_total"] == 93.0
    assert outbox_types(store, doc_id=museum["id"]) == ["partner.registered", "partner.review_started",
                                                        "partner.approved"]
    review = service.get_review(museum["id"])
    assert review["current"] is None and review["past"][0]["decision"]["outcome"] == "approved"
    assert [item["ref"] for item in review["past"][0]["evidence"]] == ["doc://licence", "doc://safety"]
    assert [step["by"] for step in review["status_history"]] == ["system", "office", "chair"]


def test_every_refused_review_step_stores_and_announces_nothing(service, store):
    museum = service.register_partner(MUSEUM)
    before = snapshot(store)
    with pytest.raises(Conflict):
        service.score_review(museum["id"], {"reviewer": "张", "scores": FIVES})
    with pytest.raises(Conflict):
        service.decide_review(museum["id"], {"outcome": "approved"})
    with pytest.raises(Conflict):
        service.change_status(museum["id"], "suspend", {"reason": "x"})
    with pytest.raises(Conflict):
        service.change_status(museum["id"], "reinstate")
    for payload in ({"rubric": {"criteria": []}}, {"evidence": [{"title": "x"}]}, {"surprise": 1}):
        with pytest.raises(ValidationFailed):
            service.start_review(museum["id"], payload)
    with pytest.raises(RuleBroken) as caught:
        service.start_review(museum["id"], {"rubric": {"criteria": [{"key": "a", "label": {"zh": "a"}, "weight": 1}],
                                                       "pass_mark": 10, "conditional_mark": 20}})
    assert caught.value.details["field"] == "rubric"
    with pytest.raises(ValidationFailed):
        service.change_status(museum["id"], "promote")
    with pytest.raises(NotFound):
        service.start_review("prt_missing")
    assert snapshot(store) == before

    service.start_review(museum["id"])
    before = snapshot(store)
    with pytest.raises(Conflict):
        service.start_review(museum["id"])
    for payload in ({"reviewer": "张"}, {"reviewer": "", "scores": FIVES}, {"reviewer": "张", "scores": "five"}):
        with pytest.raises(ValidationFailed):
            service.score_review(museum["id"], payload)
    with pytest.raises(RuleBroken) as caught:
        service.score_review(museum["id"], {"reviewer": "张", "scores": dict(FIVES, reputation=9)})
    assert caught.value.details["field"] == "scores"
    with pytest.raises(RuleBroken) as caught:
        service.decide_review(museum["id"], {"outcome": "approved"})
    assert caught.value.details["field"] == "scores"
    for payload in ({"outcome": "maybe"}, {}, {"outcome": "approved", "conditions": "x"}):
        with pytest.raises(ValidationFailed):
            service.decide_review(museum["id"], payload)
    with pytest.raises(ValidationFailed):
        service.add_evidence(museum["id"], {"ref": ""})
    assert snapshot(store) == before


def test_suspend_reinstate_retire_each_announced(service, store):
    museum = service.register_partner(MUSEUM)
    approve(service, museum["id"])
    with pytest.raises(RuleBroken):
        service.change_status(museum["id"], "suspend", {"reason": ""})
    assert service.change_status(museum["id"], "suspend", {"reason": "unsafe stage"}, actor="chair")["status"] == \
        "suspended"
    assert service.change_status(museum["id"], "reinstate", {}, actor="chair")["status"] == "approved"
    assert service.change_status(museum["id"], "retire", {"reason": "closed"}, actor="chair")["status"] == "retired"
    with pytest.raises(Conflict):
        service.change_status(museum["id"], "retire")
    assert outbox_types(store, doc_id=museum["id"])[-3:] == ["partner.suspended", "partner.reinstated",
                                                             "partner.retired"]


def envelope(event_type: str, data: dict) -> Envelope:
    return Envelope(type=event_type, source="/synergy/test", data=data, correlationid="cor_1")


def published(activity_id: str, organizers: list[tuple[str, str]]) -> dict:
    return {"activity_id": activity_id, "title": {"zh": "讲座"}, "activity_type": "lecture", "paths": ["activity"],
            "themes": ["science"], "starts_at": "2026-12-05T02:00:00.000Z", "ends_at": "2026-12-05T04:00:00.000Z",
            "venue": None, "published_at": "2026-11-01T00:00:00.000Z",
            "organizers": [{"partner_id": pid, "name": {"zh": "x"}, "role": role, "level": "outside"}
                           for pid, role in organizers]}


def test_history_is_built_from_the_bus_once_per_event_in_any_order(service, store):
    museum = service.register_partner(MUSEUM)
    evaluated = envelope("partner.evaluated", {
        "partner_id": museum["id"], "activity_id": "act_1", "role": "co_organizer", "outcome_share_agreeing": 0.8,
        "response_count": 40, "attendance_ratio": 0.9, "contributions_delivered_ratio": 1.0,
        "evaluated_at": "2026-12-20T00:00:00.000Z"})
    completed = envelope("activity.completed", dict(
        published("act_1", [("prt_lead", "lead"), (museum["id"], "co_organizer")]), aims=["humanistic_literacy"],
        capacity=100, registered_count=90, checked_in_count=81, no_show_count=9, volunteer_count=5,
        completed_at="2026-12-05T05:00:00.000Z",
        contributions=[{"partner_id": museum["id"], "kind": "space", "committed": "exhibition hall",
                        "delivered": True}]))
    first = envelope("activity.published", published("act_1", [("prt_lead", "lead"), (museum["id"], "co_organizer")]))
    for event, handler in ((evaluated, service.record_evaluation), (completed, service.record_contributions),
                           (first, service.record_collaboration), (evaluated, service.record_evaluation),
                           (first, service.record_collaboration)):
        handler(event)
    history = service.partner_history(museum["id"])
    (record,) = history["collaborations"]
    assert record["role"] == "co_organizer" and record["title"] == {"zh": "讲座"}
    assert record["contributions"] == [{"kind": "space", "committed": "exhibition hall", "delivered": True}]
    assert record["evaluation"]["outcome_share_agreeing"] == 0.8
    assert history["summary"]["last_engagement"] == "2026-12-05T05:00:00.000Z"
    assert service.get_partner(museum["id"])["history"]["performance_index"] == 0.9
    assert store.collaborations.count_documents({}) == 2  # the museum's and the lead's
    # past performance counts in the next review
    started = service.start_review(museum["id"])
    assert started["review"]["suggested_scores"]["past_performance"] == 4


def test_recommendations_explain_themselves_and_bad_requests_are_refused(service):
    museum = service.register_partner(MUSEUM)
    approve(service, museum["id"])
    service.register_partner(FACULTY)
    found = service.recommend_partners({"themes": ["science"], "resources": ["space"], "paths": ["space"]})
    assert [item["partner_id"] for item in found["items"]] == [museum["id"]]
    assert {reason["code"] for reason in found["items"][0]["reasons"]} == {"theme", "resource", "path"}
    for payload in ({}, {"themes": "science"}, {"resources": ["castle"]}, {"themes": ["x"], "limit": 0}):
        with pytest.raises(ValidationFailed):
            service.recommend_partners(payload)


HEADER = "name_zh,name_en,level,kind,themes,description,resources,contacts\n"


def test_csv_import_is_all_or_nothing_by_default_and_partial_on_request(service, store):
    service.register_partner(FACULTY)
    text = HEADER + ("上海科技馆,SSTM,outside,science_museum,science,,space|展厅|300|浦东,王|联络人|+86 21 1|w@s.org\n"
                     "文学院,,campus,faculty,,,,\n"  # registered already
                     "坏单位,,campus,museum,,,,\n"  # kind of another level
                     "樊登读书会,,outside,reading_club,,,castle|x||,\n"  # unknown resource kind
                     "上海科技馆,,outside,science_museum,,,,\n")  # the same as line 2
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as caught:
        service.import_partners(text, actor="office")
    errors = caught.value.details["errors"]
    assert set(errors) == {"3", "4", "5", "6"}
    assert "name_zh" in errors["3"] and "kind" in errors["4"] and "resources" in errors["5"]
    assert "line 2" in errors["6"]["name_zh"][0]
    assert snapshot(store) == before and "imported" in caught.value.message

    result = service.import_partners(text, {"mode": "partial"}, actor="office")
    assert [row["row"] for row in result["imported"]] == [2] and set(result["errors"]) == {"3", "4", "5", "6"}
    assert store.partners.count_documents({}) == 2
    assert outbox_types(store, doc_id=result["imported"][0]["id"]) == ["partner.registered"]


@pytest.mark.parametrize("text, options", [
    ("", {}), ("name_zh\nx\n", {}), (HEADER + "x,,campus,faculty,,,,,extra\n", {}), (b"bytes", {}),
    (HEADER + "x,,campus,faculty,,,,\n", {"mode": "some"}),
])
def test_csv_files_refused_as_a_whole(service, store, text, options):
    with pytest.raises(ValidationFailed):
        service.import_partners(text, options)
    assert store.partners.count_documents({}) == 0


def test_an_export_can_be_imported_elsewhere(service, store):
    service.register_partner(MUSEUM)
    text = service.export_partners({}, include_private=True)
    other = worker_factory(PartnersService, store=PartnerStore(mongomock.MongoClient(tz_aware=True)["other"]))
    result = other.import_partners(text)
    assert len(result["imported"]) == 1 and result["errors"] == {}
    copy = other.get_partner(result["imported"][0]["id"], include_private=True)
    assert copy["resources"][0]["capacity"] == 300 and copy["contacts"][0]["email"] == "w@sstm.org"


def agreement(partner_id: str, ends_on: date, **extra) -> dict:
    today = today_in("Asia/Shanghai")
    return {"partner_id": partner_id, "scope": "科学与艺术讲座", "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": ends_on.isoformat(),
            "commitments": [{"side": "partner", "kind": "speakers", "description": "two scientists a term"},
                            {"side": "counterpart", "kind": "space", "description": "lecture hall"}],
            "signed_by": [{"party": "partner", "name": "馆长", "signed_on": today.isoformat()},
                          {"party": "counterpart", "name": "图书馆馆长", "signed_on": today.isoformat()}], **extra}


def test_agreements_are_signed_with_approved_partners_and_give_notices_once(service, store):
    museum = service.register_partner(MUSEUM)
    today = today_in("Asia/Shanghai")
    with pytest.raises(RuleBroken) as caught:  # still an applicant
        service.sign_agreement(agreement(museum["id"], today + timedelta(days=60)))
    assert caught.value.details["field"] == "partner_id"
    approve(service, museum["id"])
    signed = service.sign_agreement(agreement(museum["id"], today + timedelta(days=60)), actor="office")
    assert outbox_types(store, "agreements", signed["id"]) == ["agreement.signed"]
    assert service.agreements_of(museum["id"])["items"][0]["id"] == signed["id"]
    assert service.check_due()["announced"]["agreement.expiring"] == 1
    assert service.check_due()["announced"]["agreement.expiring"] == 0
    assert outbox_types(store, "agreements", signed["id"]) == ["agreement.signed", "agreement.expiring"]
    linked = service.link_activity(signed["id"], {"activity_id": "act_01aaaaaaaaaaaaaaaaaaaaaaaa"})
    assert linked["activity_ids"] == ["act_01aaaaaaaaaaaaaaaaaaaaaaaa"]
    before = snapshot(store)
    for payload in ({}, {"activity_id": "lecture"}, {"activity_id": "act_01aaaaaaaaaaaaaaaaaaaaaaaa", "x": 1}):
        with pytest.raises(ValidationFailed):
            service.link_activity(signed["id"], payload)
    assert snapshot(store) == before
    later = service.sign_agreement(agreement(museum["id"], today + timedelta(days=400)))
    ending = service.find_agreements({"status": "in_force", "ends_before": (today + timedelta(days=61)).isoformat()})
    assert [item["id"] for item in ending["items"]] == [signed["id"]]
    assert len(service.find_agreements({})["items"]) == 2 and later["id"]
    for query in ({"status": "lost"}, {"ends_before": "soon"}, {"limit": 500}, {"partner": "x"}):
        with pytest.raises(ValidationFailed):
            service.find_agreements(query)
    with pytest.raises(RuleBroken):
        service.check_due((today + timedelta(days=1)).isoformat())
    with pytest.raises(ValidationFailed):
        service.check_due("soon")


def test_bad_agreements_are_refused_and_leave_nothing(service, store):
    museum = service.register_partner(MUSEUM)
    approve(service, museum["id"])
    faculty = service.register_partner(FACULTY)
    today = today_in("Asia/Shanghai")
    good = agreement(museum["id"], today + timedelta(days=90))
    before = snapshot(store)
    for payload in (dict(good, partner_id="museum"), dict(good, ends_on="2020-01-01"), dict(good, signed_by=[]),
                    dict(good, counterpart="someone"), dict(good, commitments=[{"side": "x", "kind": "space",
                                                                                 "description": "d"}]),
                    dict(good, scope=""), dict(good, activity_ids=["a1"]), dict(good, extra=1)):
        with pytest.raises(ValidationFailed):
            service.sign_agreement(payload)
    for payload in (dict(good, partner_id="prt_01aaaaaaaaaaaaaaaaaaaaaaaa"),
                    dict(good, counterpart=museum["id"]),
                    dict(good, counterpart="prt_01aaaaaaaaaaaaaaaaaaaaaaaa"),
                    dict(good, signed_by=[good["signed_by"][0], good["signed_by"][0]]),
                    dict(good, starts_on=(today - timedelta(days=30)).isoformat(),
                         ends_on=(today - timedelta(days=1)).isoformat())):
        with pytest.raises(RuleBroken):
            service.sign_agreement(payload)
    with pytest.raises(NotFound):
        service.get_agreement("agr_missing")
    with pytest.raises(NotFound):
        service.link_activity("agr_missing", {"activity_id": "act_01aaaaaaaaaaaaaaaaaaaaaaaa"})
    assert snapshot(store) == before
    assert service.sign_agreement(dict(good, counterpart=faculty["id"]))["counterpart"] == faculty["id"]


def test_an_approved_partner_is_asked_to_renew_once(service, store):
    museum = service.register_partner(MUSEUM)
    approve(service, museum["id"])
    assert service.check_due()["announced"]["partner.renewal_due"] == 0
    today = today_in("Asia/Shanghai").isoformat()
    store.change(museum["id"], lambda partner: setattr(partner, "renewal_due_on", today) or [])
    assert service.check_due()["announced"]["partner.renewal_due"] == 1
    assert service.check_due()["announced"]["partner.renewal_due"] == 0
    assert outbox_types(store, doc_id=museum["id"])[-1] == "partner.renewal_due"


def test_an_import_cut_short_is_finished_later_without_duplicates(service, store, monkeypatch):
    text = HEADER + "".join(f"单位{n},,campus,faculty,,,,\n" for n in range(4))
    real_add, calls = store.add, []

    def crash_on_the_third(partner, events):
        calls.append(partner.id)
        if len(calls) == 3:
            raise RuntimeError("process killed")
        real_add(partner, events)
    monkeypatch.setattr(store, "add", crash_on_the_third)
    with pytest.raises(RuntimeError):
        service.import_partners(text, actor="office")
    monkeypatch.setattr(store, "add", real_add)
    (job,) = store.imports.find()
    assert job["status"] == "pending" and store.partners.count_documents({}) == 2
    assert store.imports_to_resume("9999") == [job["_id"]]
    finished = importing.finish(store, job["_id"])
    assert finished["status"] == "done" and [row["row"] for row in finished["imported"]] == [2, 3, 4, 5]
    assert store.partners.count_documents({}) == 4
    assert sorted(row["id"] for row in finished["imported"]) == sorted(calls[:3] + [finished["imported"][3]["id"]])
    assert service.get_import(job["_id"])["imported"] == finished["imported"]
    assert store.imports_to_resume("9999") == []
    with pytest.raises(NotFound):
        service.get_import("imp_missing")


def test_the_coordination_group_sets_the_default_rubric_and_bad_rubrics_are_refused(service, store):
    assert [c["key"] for c in service.get_rubric()["criteria"]][0] == "legal_qualification"
    rubric = {"criteria": [{"key": "fit", "label": {"zh": "匹配", "en": "Fit"}, "weight": 2},
                           {"key": "safety", "label": {"zh": "安全"}, "weight": 1}], "min_reviewers": 1}
    saved = service.set_rubric(rubric, actor="chair")
    assert saved["scale"] == 5 and saved["min_reviewers"] == 1
    for bad in ({"criteria": []}, {"criteria": rubric["criteria"], "scale": 1}, {"criteria": "fit"},
                {"criteria": rubric["criteria"], "pass_mark": 30, "conditional_mark": 40},
                {"criteria": [rubric["criteria"][0]] * 2}):
        with pytest.raises((ValidationFailed, RuleBroken)):
            service.set_rubric(bad)
    assert service.get_rubric() == saved
    museum = service.register_partner(MUSEUM)
    started = service.start_review(museum["id"])
    assert [c["key"] for c in started["review"]["rubric"]["criteria"]] == ["fit", "safety"]
    service.score_review(museum["id"], {"reviewer": "张", "scores": {"fit": 5, "safety": 2}})
    assert service.decide_review(museum["id"], {"outcome": "approved"})["approval"]["weighted_total"] == 80.0


def test_the_timer_finishes_cut_short_imports_and_gives_notices(service, store, monkeypatch):
    monkeypatch.setattr(importing, "RESUME_AFTER", timedelta(seconds=-1))
    real_finish = importing.finish
    monkeypatch.setattr(importing, "finish", lambda store_, import_id: {"import_id": import_id})  # "crash"
    service.import_partners(HEADER + "文学院,,campus,faculty,,,,\n")
    monkeypatch.setattr(importing, "finish", real_finish)
    assert store.partners.count_documents({}) == 0
    service.check_due_regularly()
    assert store.partners.count_documents({}) == 1 and store.imports.find_one()["status"] == "done"
