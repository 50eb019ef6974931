"""The evaluation service's entrypoints, fast: worker_factory on mongomock, events' RPC as a test double."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import eventlet
import mongomock
import pytest
from nameko.testing.services import worker_factory

from services.common.envelope import Envelope
from services.common.errors import Conflict, NotFound, RuleBroken, ValidationFailed
from services.evaluation import service as service_module
from services.evaluation.domain import survey_id_for, token_hash
from services.evaluation.service import EvaluationService
from services.evaluation.store import EvaluationStore

T0 = datetime(2026, 12, 5, 4, 30, tzinfo=UTC)
LEAD, CO = "prt_01aaaaaaaaaaaaaaaaaaaaaaaa", "prt_01bbbbbbbbbbbbbbbbbbbbbbbb"
IMMEDIATE_ID, FOLLOW_UP_ID = survey_id_for("act_1"), survey_id_for("act_1", "follow_up")
ANSWERS = {"knowledge": 5, "confidence": 4, "application": 4, "awareness": 2, "satisfaction": 5}


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    moment = Clock()
    monkeypatch.setattr(service_module, "utcnow", moment)
    monkeypatch.setenv("SURVEY_WINDOW_DAYS", "14")
    monkeypatch.setenv("SURVEY_FOLLOW_UP_DAYS", "42")
    monkeypatch.setenv("SURVEY_MIN_RESPONSES", "5")
    return moment


PUBLISHED = {
    "activity_id": "act_1", "title": {"zh": "科学与艺术讲座", "en": "Science and Art"}, "activity_type": "lecture",
    "paths": ["activity", "resources"], "themes": [], "starts_at": "2026-12-05T02:00:00.000Z",
    "ends_at": "2026-12-05T04:00:00.000Z", "venue": None, "published_at": "2026-11-01T00:00:00.000Z",
    "organizers": [{"partner_id": LEAD, "name": {"zh": "图书馆"}, "role": "lead", "level": "library"},
                   {"partner_id": CO, "name": {"zh": "上海科技馆"}, "role": "co_organizer", "level": "outside"}]}
COMPLETED = dict(PUBLISHED, aims=["information_literacy"], capacity=100, registered_count=90, checked_in_count=80,
                 no_show_count=10, volunteer_count=2, completed_at="2026-12-05T04:10:00.000Z",
                 contributions=[{"partner_id": CO, "kind": "experts", "committed": 2, "delivered": True}])
RECIPIENTS = [{"person_id": f"per_{n}", "email": f"s{n}@uni.example", "language": "zh-CN" if n % 2 else "en"}
              for n in range(8)] + [{"person_id": "per_0", "email": "s0@uni.example", "language": "en"}]


def envelope(event_type: str, data: dict) -> Envelope:
    return Envelope(type=event_type, source="/synergy/events", correlationid="cor_1", data=data)


def make(store=None, recipients=RECIPIENTS):
    store = store or EvaluationStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"])
    events = Mock()
    events.survey_recipients.return_value = recipients
    return worker_factory(EvaluationService, store=store, events=events), store, events


def outbox(store, survey_id, event_type):
    return [e for e in store.surveys.find_one({"_id": survey_id})["outbox"] if e["type"] == event_type]


def completed_service(clock):
    service, store, events = make()
    service.prepare_survey(envelope("activity.published", PUBLISHED))
    clock.now = T0 + timedelta(minutes=5)
    service.activity_completed(envelope("activity.completed", COMPLETED))
    return service, store, events, list(handed_tokens(service).values())


def handed_tokens(service) -> dict[str, str]:
    """What evaluation handed to notify by RPC for the last survey it opened: invitation id -> token."""
    return service.notify.hold_tokens.call_args.args[0]


def test_completion_opens_the_immediate_survey_to_attendees_and_schedules_the_follow_up(clock):
    service, store, events, tokens = completed_service(clock)
    events.survey_recipients.assert_called_once_with("act_1")
    immediate = store.surveys.find_one({"_id": IMMEDIATE_ID})
    assert immediate["status"] == "open" and immediate["invited_count"] == 8, "one invitation per person"
    assert [i["key"] for i in immediate["aim_items"]] == ["aim_information_literacy"]
    opened = outbox(store, IMMEDIATE_ID, "survey.opened")[0]["data"]
    assert opened["closes_at"] == "2026-12-19T04:35:00.000Z" and opened["invited_count"] == 8
    invitations = outbox(store, IMMEDIATE_ID, "survey.invitations_issued")[0]["data"]["invitations"]
    assert {i["language"] for i in invitations} == {"zh", "en"}
    assert [i["invitation_id"] for i in invitations] == list(handed_tokens(service))
    assert all("token" not in i for i in invitations), "the tokens go to notify by RPC, never in the event"
    assert sorted(immediate["token_hashes"]) == sorted(token_hash(t) for t in tokens)
    follow_up = store.surveys.find_one({"_id": FOLLOW_UP_ID})
    assert follow_up["status"] == "scheduled" and follow_up["opens_at"] == datetime(2027, 1, 16, 4, 10, tzinfo=UTC)
    assert store.activity("act_1")["status"] == "completed"
    # the same completion again changes nothing
    service.activity_completed(envelope("activity.completed", COMPLETED))
    assert len(outbox(store, IMMEDIATE_ID, "survey.invitations_issued")) == 1
    assert events.survey_recipients.call_count == 1
    assert "token_hashes" not in service.get_survey("act_1")


def test_a_response_is_recorded_once_without_any_name(clock):
    service, store, _, tokens = completed_service(clock)
    form = service.survey_form(tokens[0], "en")
    assert form["accepting"] and form["scale"][0]["label"] == "Strongly disagree"
    assert service.submit_response(tokens[0], {"answers": ANSWERS, "language": "en"})["status"] == "recorded"
    stored = store.responses.find_one({})
    assert set(stored) == {"_id", "survey_id", "activity_id", "stage", "answers", "language", "submitted_at"}
    assert tokens[0] not in str(stored) and token_hash(tokens[0]) not in str(stored)


def test_one_token_answers_once_even_across_a_crash_and_the_mark_keeps_no_link_to_the_response(clock, monkeypatch):
    service, store, _, tokens = completed_service(clock)
    written = store.add_response
    monkeypatch.setattr(store, "add_response", Mock(side_effect=RuntimeError("died before the response was written")))
    with pytest.raises(RuntimeError):
        service.submit_response(tokens[0], {"answers": ANSWERS})
    monkeypatch.setattr(store, "add_response", written)
    assert service.submit_response(tokens[0], {"answers": ANSWERS})["status"] == "recorded", "the retry finishes it"
    with pytest.raises(Conflict, match="already been answered"):
        service.submit_response(tokens[0], {"answers": ANSWERS})
    (response,) = store.responses.find({})
    (mark,) = store.answered.find({})
    assert mark == {"_id": token_hash(tokens[0])}, "the mark says that the token answered, not which response"
    assert response["_id"] not in str(list(store.surveys.find({}))) + str(mark)


def test_bad_responses_are_refused_clearly_and_not_counted(clock):
    service, store, _, tokens = completed_service(clock)
    service.submit_response(tokens[0], {"answers": ANSWERS})
    with pytest.raises(Conflict, match="already been answered"):
        service.submit_response(tokens[0], {"answers": dict(ANSWERS, knowledge=1)})
    with pytest.raises(NotFound, match="not valid"):
        service.submit_response("svt_forged-token-that-nobody-was-given-0000000000", {"answers": ANSWERS})
    with pytest.raises(ValidationFailed) as missing:
        service.submit_response(tokens[1], {"answers": {k: v for k, v in ANSWERS.items() if k != "knowledge"}})
    assert missing.value.details["errors"] == {"knowledge": ["An answer is required."]}
    with pytest.raises(ValidationFailed) as out_of_range:
        service.submit_response(tokens[1], {"answers": dict(ANSWERS, satisfaction=7)})
    assert "satisfaction" in out_of_range.value.details["errors"]
    with pytest.raises(ValidationFailed) as unknown:
        service.submit_response(tokens[1], {"answers": ANSWERS, "name": "Li Lei"})
    assert "name" in unknown.value.details["errors"]
    with pytest.raises(ValidationFailed):
        service.submit_response(tokens[1], {"answers": {"$gt": 1}})
    clock.now = T0 + timedelta(days=15)
    with pytest.raises(Conflict, match="late responses are not counted"):
        service.submit_response(tokens[2], {"answers": ANSWERS})
    assert store.responses.count_documents({}) == 1


def test_the_survey_closes_after_its_window_and_each_organizer_is_evaluated(clock):
    service, store, _, tokens = completed_service(clock)
    for token in tokens[:6]:
        service.submit_response(token, {"answers": ANSWERS})
    clock.now = T0 + timedelta(days=13)
    service.run_due_work()
    assert store.survey(IMMEDIATE_ID).status == "open"
    clock.now = T0 + timedelta(days=14, minutes=6)
    service.run_due_work()
    service.run_due_work()
    assert store.survey(IMMEDIATE_ID).status == "closed"
    assert outbox(store, IMMEDIATE_ID, "survey.closed")[0]["data"]["response_count"] == 6
    evaluated = {e["data"]["partner_id"]: e["data"] for e in outbox(store, IMMEDIATE_ID, "partner.evaluated")}
    assert set(evaluated) == {LEAD, CO}
    assert evaluated[CO]["outcome_share_agreeing"] == pytest.approx(0.75)
    assert evaluated[CO]["attendance_ratio"] == 0.8 and evaluated[CO]["contributions_delivered_ratio"] == 1.0
    assert evaluated[LEAD]["contributions_delivered_ratio"] is None and evaluated[LEAD]["role"] == "lead"
    with pytest.raises(Conflict):
        service.close_survey("act_1", "immediate")


def test_the_follow_up_opens_when_due_even_if_events_was_down_and_two_instances_open_it_once(clock, monkeypatch):
    service, store, events, _ = completed_service(clock)
    other, _, other_events = make(store)
    clock.now = T0 + timedelta(days=43)
    events.survey_recipients.side_effect = RuntimeError("events unreachable")
    service.run_due_work()
    assert store.survey(FOLLOW_UP_ID).status == "scheduled"
    monkeypatch.setattr(service_module, "RECIPIENTS_TIMEOUT", 0.2)
    events.survey_recipients.side_effect = lambda activity_id: eventlet.sleep(30)  # no answer at all
    service.run_due_work()
    assert store.survey(FOLLOW_UP_ID).status == "scheduled"
    events.survey_recipients.side_effect = None
    service.run_due_work()
    other.run_due_work()
    assert store.survey(FOLLOW_UP_ID).status == "open"
    assert len(outbox(store, FOLLOW_UP_ID, "survey.invitations_issued")) == 1
    assert [i["key"] for i in store.survey(FOLLOW_UP_ID).items][:2] == ["applied", "continued_benefit"]


def test_organizers_add_questions_only_before_the_survey_opens(clock):
    service, store, _ = make()
    service.prepare_survey(envelope("activity.published", PUBLISHED))
    question = {"zh": "您会再参加吗？", "en": "Would you come again?", "type": "agreement", "required": True}
    shown = service.customise_survey("act_1", "immediate", {"questions": [question], "window_days": 7,
                                                             "topic": "research"})
    assert shown["organizer_items"][0]["key"] == "org_1" and shown["window_days"] == 7
    assert shown["topic"] == "research" and shown["items"][0]["en"].startswith("I learned new methods")
    assert [i["key"] for i in shown["items"]] == ["knowledge", "confidence", "application", "awareness",
                                                  "satisfaction"]
    for bad, field in [({"questions": [question] * 4}, "questions"),
                       ({"questions": [dict(question, type="choice")]}, "questions"),
                       ({"questions": [], "window_days": 0}, "window_days"),
                       ({"questions": [], "topic": "astrology"}, "topic"),
                       ({"questions": [], "items": []}, "items")]:
        with pytest.raises(ValidationFailed) as caught:
            service.customise_survey("act_1", "immediate", bad)
        assert field in caught.value.details["errors"], bad
    with pytest.raises(NotFound):
        service.customise_survey("act_missing", "immediate", {"questions": []})
    with pytest.raises(NotFound):
        service.get_survey("act_1", "sometime")
    service.activity_completed(envelope("activity.completed", COMPLETED))
    survey = store.survey(IMMEDIATE_ID)
    assert survey.closes_at - survey.opened_at == timedelta(days=7)
    with pytest.raises(Conflict):
        service.customise_survey("act_1", "immediate", {"questions": []})
    assert len(store.survey(IMMEDIATE_ID).organizer_items) == 1


def test_plans_scores_and_reports(clock):
    service, store, _, tokens = completed_service(clock)
    for token in tokens[:5]:
        service.submit_response(token, {"answers": ANSWERS})
    plan = service.set_term_plan({"term_id": "2026-autumn", "targets": [
        {"dimension": "level", "key": "outside", "target": 4},
        {"dimension": "outcome", "key": "knowledge", "measure": "share_agreeing", "target": 0.8}]}, "admin")
    assert plan["starts_on"] == "2026-08-01"
    for bad, field in [({"term_id": "autumn", "targets": [{"dimension": "all", "target": 1}]}, "term_id"),
                       ({"term_id": "2026-autumn", "targets": [{"dimension": "level", "key": "moon", "target": 1}]},
                        "targets"),
                       ({"term_id": "2026-autumn", "targets": [{"dimension": "outcome", "key": "knowledge",
                                                                "target": 3}]}, "targets"),
                       ({"term_id": "2026-autumn", "targets": []}, "targets")]:
        with pytest.raises(ValidationFailed) as caught:
            service.set_term_plan(bad, "admin")
        assert field in caught.value.details["errors"]
    shown = service.term_plan("2026-autumn")
    assert shown["plan"]["id"] == "2026-autumn" and not [key for key in shown["plan"] if key.startswith("_")]
    progress = shown["progress"]
    assert [t["status"] for t in progress["targets"]] == ["behind", "met"]
    scores = service.scores({"by": "organizer", "term_id": "2026-autumn"})["groups"]
    assert scores[CO]["immediate"]["items"]["knowledge"]["share"] == 1.0
    assert scores[CO]["immediate"]["response_rate"] == pytest.approx(5 / 8)
    with pytest.raises(ValidationFailed):
        service.scores({"by": "colour"})
    report = service.term_report({"term_id": "2026-autumn"})
    assert report["format"] == "json" and report["body"]["summary"]["responses"] == 5
    assert service.term_report({"term_id": "2026-autumn", "format": "csv"})["body"].startswith("section,")
    assert "<img" in service.term_report({"term_id": "2026-autumn", "format": "html", "unit": CO})["body"]
    with pytest.raises(RuleBroken):
        service.term_report({"term_id": "2026-autumn", "unit": "prt_nobody"})
    with pytest.raises(NotFound):
        service.term_end_report({"term_id": "2026-autumn"})
    clock.now = datetime(2027, 2, 2, tzinfo=UTC)
    service.run_due_work()
    service.run_due_work()
    stored = store.plans.find_one({"_id": "2026-autumn"})
    assert [e["type"] for e in stored["outbox"]] == ["term_report.generated"]
    assert stored["outbox"][0]["data"]["behind"] == ["level:outside"]
    assert service.term_end_report({"term_id": "2026-autumn"})["body"]["term_id"] == "2026-autumn"
    assert service.term_end_report({"term_id": "2026-autumn", "format": "csv"})["body"].startswith("section,")


def test_two_instances_racing_to_open_a_survey_issue_one_set_of_invitations(clock):
    """Instance B opens the survey while instance A waits for events' answer; A's write then finds it open."""
    service, store, events = make()
    other, _, _ = make(store)
    service.prepare_survey(envelope("activity.published", PUBLISHED))

    def answer_after_the_other_instance_opened(activity_id):
        events.survey_recipients.side_effect = None
        other.run_due_work()
        return RECIPIENTS
    events.survey_recipients.side_effect = answer_after_the_other_instance_opened
    service.activity_completed(envelope("activity.completed", COMPLETED))
    survey = store.survey(IMMEDIATE_ID)
    issued = outbox(store, IMMEDIATE_ID, "survey.invitations_issued")
    assert survey.status == "open" and len(issued) == 1 and len(outbox(store, IMMEDIATE_ID, "survey.opened")) == 1
    held = handed_tokens(other)
    assert [i["invitation_id"] for i in issued[0]["data"]["invitations"]] == list(held)
    assert sorted(survey.token_hashes) == sorted(token_hash(t) for t in held.values()), \
        "the tokens of the invitations announced are the ones that work"
