"""The HTTP client against a real local server: retries, Retry-After, idempotency keys, ETags, pagination."""
from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from deploy.launcher import ROOT, free_port
from synergy_client import (
    Conflict,
    ConnectionFailed,
    NotFound,
    PreconditionFailed,
    RateLimited,
    RetryPolicy,
    ServerError,
    SynergyClient,
    ValidationFailed,
)
from synergy_client.transport import retry_after_seconds
from tests.support.scripted_http import Answer, ScriptedServer

PROBLEM = "application/problem+json"


@pytest.fixture
def server():
    scripted = ScriptedServer().start()
    yield scripted
    scripted.stop()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(server, sleeps):
    with SynergyClient(server.url, "syn_secret_key", retry=RetryPolicy(attempts=4, base=0.5, cap=8),
                       sleep=sleeps.append, rng=random.Random(7)) as made:
        yield made


def unavailable(**headers) -> Answer:
    return Answer(503, {"title": "Unavailable", "status": 503}, headers or None, PROBLEM)


def test_a_get_is_retried_on_5xx_with_growing_jittered_pauses_then_succeeds(client, server, sleeps):
    server.script(unavailable(), Answer(502, None), unavailable(), Answer(200, {"status": "ok"}))
    assert client.health() == {"status": "ok"}
    assert len(server.seen) == 4
    assert len(sleeps) == 3
    for retry, pause in enumerate(sleeps):
        assert 0 <= pause <= 0.5 * 2 ** retry


def test_the_client_gives_up_after_its_attempts_and_raises_the_problem(client, server, sleeps):
    server.script(*[unavailable()] * 4)
    with pytest.raises(ServerError) as caught:
        client.get("/health")
    assert caught.value.status == 503 and caught.value.problem["title"] == "Unavailable"
    assert len(server.seen) == 4 and len(sleeps) == 3


def test_429_honours_retry_after_in_seconds_and_as_a_date(client, server, sleeps):
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    server.script(Answer(429, {"title": "Slow down"}, {"Retry-After": "2"}, PROBLEM),
                  Answer(429, {"title": "Slow down"}, {"Retry-After": soon}, PROBLEM),
                  Answer(429, {"title": "Slow down"}, {"Retry-After": "600"}, PROBLEM),
                  Answer(200, {"id": "prt_1", "name": {"zh": "甲"}}))
    partner = client.post("/v1/partners", {"name": {"zh": "甲"}})  # 429: refused before acting, so retried
    assert partner["id"] == "prt_1"
    assert sleeps[0] == 2.0
    assert 3.0 <= sleeps[1] <= 5.0
    assert sleeps[2] == 8  # capped


def test_429_after_every_attempt_is_raised(client, server):
    server.script(*[Answer(429, {"title": "Slow down", "status": 429}, {"Retry-After": "0"}, PROBLEM)] * 4)
    with pytest.raises(RateLimited):
        client.health()


def test_retry_after_parsing():
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Thu, 26 Nov 2026 08:00:30 GMT", now=lambda: now) == 30.0
    assert retry_after_seconds("Thu, 26 Nov 2026 07:00:00 GMT", now=lambda: now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_post_without_idempotency_key_is_not_retried_on_5xx(client, server):
    server.script(unavailable(), Answer(201, {"id": "x"}))
    with pytest.raises(ServerError):
        client.post("/v1/things", {"a": 1})
    assert len(server.seen) == 1


def test_creates_carry_an_idempotency_key_kept_across_retries_and_new_per_call(client, server):
    server.script(unavailable(), Answer(201, {"id": "prt_1"}), Answer(201, {"id": "prt_2"}))
    first = client.register_partner({"name": {"zh": "甲"}, "level": "campus", "kind": "faculty"})
    second = client.register_partner({"name": {"zh": "乙"}, "level": "campus", "kind": "faculty"})
    assert (first.id, second.id) == ("prt_1", "prt_2")
    keys = [seen.headers["Idempotency-Key"] for seen in server.seen]
    assert keys[0] == keys[1] != keys[2]
    assert keys[0].startswith("idem_")
    assert server.seen[0].body == {"name": {"zh": "甲"}, "level": "campus", "kind": "faculty"}
    assert server.seen[0].headers["Authorization"] == "Bearer syn_secret_key"


def test_a_create_whose_first_attempt_is_still_running_waits_and_gets_the_replayed_answer(client, server, sleeps):
    server.script(Answer(504, None),
                  Answer(409, {"title": "Request in progress", "status": 409}, {"Retry-After": "1"}, PROBLEM),
                  Answer(201, {"id": "prt_1"}, {"Idempotent-Replayed": "true"}))
    assert client.register_partner({"name": {"zh": "甲"}}).id == "prt_1"
    assert len({seen.headers["Idempotency-Key"] for seen in server.seen}) == 1
    assert sleeps[1] == 1.0
    server.script(Answer(409, {"title": "Conflict", "status": 409}, None, PROBLEM))
    with pytest.raises(Conflict):  # a plain conflict is an answer, not a reason to retry
        client.publish_activity("act_1")


def test_an_idempotency_key_can_be_given(client, server):
    server.script(Answer(201, {"id": "act_1", "status": "draft"}))
    assert client.create_activity({"title": {"zh": "讲座"}}, idempotency_key="portal-lecture-42").status == "draft"
    assert server.seen[0].headers["Idempotency-Key"] == "portal-lecture-42"


def test_problems_are_raised_with_their_document(client, server):
    server.script(Answer(422, {"title": "Invalid input", "status": 422, "detail": "Check the fields.",
                               "errors": {"kind": ["Not a valid choice."]}, "correlation_id": "cor_1"},
                         None, PROBLEM),
                  Answer(404, {"title": "Not found", "status": 404, "detail": "No partner prt_x."}, None, PROBLEM))
    with pytest.raises(ValidationFailed) as invalid:
        client.register_partner({"kind": "nonsense"})
    assert invalid.value.errors == {"kind": ["Not a valid choice."]}
    assert invalid.value.correlation_id == "cor_1"
    assert "Check the fields." in str(invalid.value)
    with pytest.raises(NotFound) as missing:
        client.partner("prt_x")
    assert missing.value.problem["detail"] == "No partner prt_x."
    assert len(server.seen) == 2  # 4xx are never retried


def test_updates_send_if_match_and_read_again_when_the_resource_changed(client, server):
    versions = iter(['"v1"', '"v2"'])

    def route(method, path, query, seen):
        if method == "GET":
            return Answer(200, {"id": "prt_1", "description": "old"}, {"ETag": next(versions)})
        if seen.headers.get("If-Match") == '"v1"':
            return Answer(412, {"title": "Precondition failed", "status": 412}, None, PROBLEM)
        return Answer(200, dict(seen.body, id="prt_1"), {"ETag": '"v3"'})

    server.route = route
    updated = client.update("/v1/partners/prt_1", lambda current: {"description": current["description"] + "+new"})
    assert updated == {"id": "prt_1", "description": "old+new"}
    assert [(s.method, s.headers.get("If-Match")) for s in server.seen] == [
        ("GET", None), ("PATCH", '"v1"'), ("GET", None), ("PATCH", '"v2"')]


def test_a_title_in_one_language_keeps_the_other_from_the_copy_it_is_sent_against(client, server):
    copies = iter([({"zh": "讲座", "en": "Lecture"}, '"v1"'), ({"zh": "新讲座", "en": "Lecture"}, '"v2"')])

    def route(method, path, query, seen):
        if method == "GET":
            title, tag = next(copies)
            return Answer(200, {"id": "act_1", "title": title}, {"ETag": tag})
        if seen.headers.get("If-Match") == '"v1"':  # the title changed after the first read
            return Answer(412, {"title": "Precondition failed", "status": 412}, None, PROBLEM)
        return Answer(200, dict(seen.body, id="act_1"), {"ETag": '"v3"'})

    server.route = route
    client.edit_activity("act_1", {"title": {"en": "Lecture, part 1"}, "capacity": 80})
    sent = [s.body for s in server.seen if s.method == "PATCH"]
    assert sent[-1] == {"title": {"zh": "新讲座", "en": "Lecture, part 1"}, "capacity": 80}, "zh of the copy sent"
    assert [s.method for s in server.seen] == ["GET", "PATCH", "GET", "PATCH"]


def test_an_update_that_keeps_losing_the_race_raises(client, server):
    def route(method, path, query, seen):
        if method == "GET":
            return Answer(200, {"id": "prt_1"}, {"ETag": '"v1"'})
        return Answer(412, {"title": "Precondition failed", "status": 412}, None, PROBLEM)

    server.route = route
    with pytest.raises(PreconditionFailed):
        client.update("/v1/partners/prt_1", lambda current: {"description": "x"}, attempts=2)
    assert [s.method for s in server.seen] == ["GET", "PATCH", "GET", "PATCH"]


def test_pagination_follows_next_cursor_lazily(client, server):
    pages = {None: (["prt_1", "prt_2"], "prt_2"), "prt_2": (["prt_3", "prt_4"], "prt_4"), "prt_4": (["prt_5"], None)}

    def route(method, path, query, seen):
        ids, cursor = pages[query.get("cursor", [None])[0]]
        return Answer(200, {"items": [{"id": i, "kind": "faculty"} for i in ids], "next_cursor": cursor})

    server.route = route
    assert [p.id for p in client.partners(kind="faculty", page_size=2)] == ["prt_1", "prt_2", "prt_3", "prt_4",
                                                                            "prt_5"]
    assert [s.query for s in server.seen] == [{"kind": ["faculty"], "limit": ["2"]},
                                              {"kind": ["faculty"], "limit": ["2"], "cursor": ["prt_2"]},
                                              {"kind": ["faculty"], "limit": ["2"], "cursor": ["prt_4"]}]
    server.seen.clear()
    assert [p.id for p in client.partners(limit=3)] == ["prt_1", "prt_2", "prt_3"]
    assert len(server.seen) == 2  # the third page was never asked for


def test_pagination_follows_a_next_link_when_the_page_gives_one(client, server):
    def route(method, path, query, seen):
        if "page" not in query:
            return Answer(200, {"items": [{"id": "a"}], "next": "/v1/things?page=2", "next_cursor": "ignored"})
        return Answer(200, {"items": [{"id": "b"}], "next": None, "next_cursor": None})

    server.route = route
    assert [item["id"] for item in client.items("/v1/things", {"limit": 1})] == ["a", "b"]
    assert [s.query for s in server.seen] == [{"limit": ["1"]}, {"page": ["2"]}]


def test_pagination_takes_a_next_that_is_a_cursor_as_the_cursor(client, server):
    pages = {None: (["msg_3", "msg_2"], "msg_2"), "msg_2": (["msg_1"], None)}

    def route(method, path, query, seen):
        ids, following = pages[query.get("cursor", [None])[0]]
        return Answer(200, {"items": [{"id": i, "state": "failed"} for i in ids], "next": following})

    server.route = route
    assert [d.id for d in client.deliveries("ep_1", "failed")] == ["msg_3", "msg_2", "msg_1"]
    assert [s.query for s in server.seen] == [{"state": ["failed"], "limit": ["200"]},
                                              {"state": ["failed"], "limit": ["200"], "cursor": ["msg_2"]}]


def test_publishing_a_draft_takes_the_review_steps_where_the_api_asks_for_them(client, server):
    state = {"status": "draft"}

    def route(method, path, query, seen):
        step = path.rsplit("/", 1)[-1]
        if method == "GET":
            return Answer(200, {"id": "act_1", **state})
        if step == "publish" and state["status"] != "approved":
            return Answer(409, {"title": "Conflict", "status": 409}, None, PROBLEM)
        state["status"] = {"submit": "submitted", "approve": "approved", "publish": "published"}[step]
        return Answer(200, {"id": "act_1", **state})

    server.route = route
    assert client.publish_reviewed("act_1").status == "published"
    assert [(s.method, s.path.rsplit("/", 1)[-1], s.body) for s in server.seen] == [
        ("POST", "publish", None), ("GET", "act_1", None), ("POST", "submit", None),
        ("POST", "approve", {"comments": ""}), ("POST", "publish", None)]



def test_an_endpoint_is_changed_on_its_owner_path_with_if_match(client, server):
    def route(method, path, query, seen):
        if path == "/v1/webhook-endpoints/whe_1":
            return Answer(200, {"id": "whe_1", "owner_partner_id": "prt_9", "status": "enabled"})
        if method == "GET":
            return Answer(200, {"id": "whe_1", "owner_partner_id": "prt_9", "status": "enabled"}, {"ETag": '"e1"'})
        return Answer(200, {"id": "whe_1", "owner_partner_id": "prt_9", **seen.body})

    server.route = route
    assert client.update_endpoint("whe_1", {"status": "disabled"}).status == "disabled"
    assert [(s.method, s.path, s.headers.get("If-Match"), s.body) for s in server.seen] == [
        ("GET", "/v1/webhook-endpoints/whe_1", None, None),
        ("GET", "/v1/partners/prt_9/webhook-endpoints/whe_1", None, None),
        ("PATCH", "/v1/partners/prt_9/webhook-endpoints/whe_1", '"e1"', {"status": "disabled"})]


def test_a_secret_rotation_carries_no_idempotency_key_and_is_not_repeated_on_5xx(client, server):
    server.script(unavailable())
    with pytest.raises(ServerError):
        client.rotate_endpoint_secret("whe_1", 2, partner_id="prt_9")
    server.script(Answer(200, {"id": "whe_1", "secret": "whsec_new"}))
    rotated = client.rotate_endpoint_secret("whe_1", partner_id="prt_9")
    assert rotated.secret == "whsec_new" and "whsec_new" not in repr(rotated)
    assert [(s.path, s.body, "Idempotency-Key" in s.headers) for s in server.seen] == [
        ("/v1/partners/prt_9/webhook-endpoints/whe_1/rotate-secret", {"overlap_hours": 2}, False),
        ("/v1/partners/prt_9/webhook-endpoints/whe_1/rotate-secret", {}, False)]


def test_preferences_changed_keep_the_others_and_are_put_back_with_if_match(client, server):
    current = {"person_id": "stu_1", "email": "li@campus.example", "language": "zh-CN", "channels": ["email"],
               "mode": "immediate", "events": ["activity.published"], "follow": {}, "updated_at": None}

    def route(method, path, query, seen):
        if method == "GET":
            return Answer(200, current, {"ETag": '"p1"'})
        return Answer(200, dict(seen.body, person_id="stu_1"))

    server.route = route
    saved = client.update_notification_preferences("stu_1", {"mode": "weekly_digest"})
    assert saved["mode"] == "weekly_digest" and saved["email"] == "li@campus.example"
    put = server.seen[-1]
    assert (put.method, put.path, put.headers.get("If-Match")) == (
        "PUT", "/v1/people/stu_1/notification-preferences", '"p1"')
    assert set(put.body) == {"email", "language", "channels", "mode", "events", "follow"}  # nothing read-only


def test_inbox_items_are_marked_on_the_recipient_s_route(client, server):
    server.route = lambda method, path, query, seen: Answer(200, {"id": path.rsplit("/", 1)[-1], **seen.body})
    for recipient in ("prt_1", "person:stu 1", "coordination_group"):
        assert client.mark_inbox_item(recipient, "inb_1", read=recipient != "prt_1")["id"] == "inb_1"
    assert [(s.path, s.body) for s in server.seen] == [
        ("/v1/partners/prt_1/inbox/inb_1", {"read": False}),
        ("/v1/people/stu%201/inbox/inb_1", {"read": True}),
        ("/v1/coordination-group/inbox/inb_1", {"read": True})]


def test_activity_parts_registrations_volunteers_and_venues_go_to_their_routes(client, server):
    server.route = lambda method, path, query, seen: Answer(201 if method == "POST" else 200,
                                                            {"id": "x", "items": [{"id": "ven_1", "name": "Hall"}]})
    client.set_organizer_part("act_1", "prt_2", "tasks", [{"title": "Posters", "due_at": "2026-12-01T10:00:00Z"}])
    client.add_occurrence("act_1", "2026-12-12T10:00:00+08:00", "2026-12-12T12:00:00+08:00")
    client.add_co_organizer("act_1", "prt_3", "speakers")
    client.register_person("act_1", {"person_id": "stu_1", "email": "li@campus.example"})
    client.cancel_registration("act_1", "reg_1")
    client.add_volunteer_role("act_1", {"name": {"zh": "引导员"}})
    client.add_volunteer_shift("act_1", {"role_id": "rol_1", "starts_at": "a", "ends_at": "b", "places": 2})
    assert [v.name for v in client.venues()] == ["Hall"]
    client.register_venue({"name": "Hall", "kind": "library_space"})
    assert [(s.method, s.path, s.body, "Idempotency-Key" in s.headers) for s in server.seen] == [
        ("PUT", "/v1/activities/act_1/organizers/prt_2/tasks",
         {"tasks": [{"title": "Posters", "due_at": "2026-12-01T10:00:00Z"}]}, False),
        ("POST", "/v1/activities/act_1/occurrences",
         {"starts_at": "2026-12-12T10:00:00+08:00", "ends_at": "2026-12-12T12:00:00+08:00"}, True),
        ("POST", "/v1/activities/act_1/organizers", {"partner_id": "prt_3", "responsibility": "speakers"}, True),
        ("POST", "/v1/activities/act_1/registrations", {"person_id": "stu_1", "email": "li@campus.example"}, True),
        ("POST", "/v1/activities/act_1/registrations/reg_1/cancel", None, True),
        ("POST", "/v1/activities/act_1/volunteer-roles", {"name": {"zh": "引导员"}}, True),
        ("POST", "/v1/activities/act_1/volunteer-shifts",
         {"role_id": "rol_1", "starts_at": "a", "ends_at": "b", "places": 2}, True),
        ("GET", "/v1/venues", None, False),
        ("POST", "/v1/venues", {"name": "Hall", "kind": "library_space"}, True)]


def test_term_reports_come_as_text_or_as_a_document_and_plans_are_put(client, server):
    def route(method, path, query, seen):
        if method == "PUT":
            return Answer(200, dict(seen.body, term_id="2026-autumn"))
        fmt = query.get("format", ["json"])[0]
        if fmt == "json":
            return Answer(200, {"term_id": "2026-autumn"})
        return Answer(200, "section,group\r\n历史,1\r\n" if fmt == "csv" else "<html>报告</html>", None,
                      "text/csv; charset=utf-8" if fmt == "csv" else "text/html; charset=utf-8")

    server.route = route
    assert client.term_report("2026-autumn") == {"term_id": "2026-autumn"}
    assert client.term_report("2026-autumn", "csv", unit="prt_1") == "section,group\r\n历史,1\r\n"
    assert client.term_report("2025-spring", "html", term_end=True) == "<html>报告</html>"
    assert client.set_term_plan("2026-autumn", {"targets": []})["term_id"] == "2026-autumn"
    client.scores(by="activity", term_id="2026-autumn")
    client.synergy("2026-autumn")
    assert [(s.method, s.path, s.query, s.headers["Accept"].split(",")[0]) for s in server.seen] == [
        ("GET", "/v1/terms/2026-autumn/report", {"format": ["json"]}, "application/json"),
        ("GET", "/v1/terms/2026-autumn/report", {"format": ["csv"], "unit": ["prt_1"]}, "text/csv"),
        ("GET", "/v1/terms/2025-spring/report/term-end", {"format": ["html"]}, "text/html"),
        ("PUT", "/v1/terms/2026-autumn/plan", {}, "application/json"),
        ("GET", "/v1/scores", {"by": ["activity"], "term_id": ["2026-autumn"]}, "application/json"),
        ("GET", "/v1/terms/2026-autumn/synergy", {}, "application/json")]


def test_typed_results_keep_unknown_fields(client, server):
    server.script(Answer(200, {"id": "prt_1", "name": {"zh": "甲"}, "status": "active", "new_field": 1}))
    partner = client.partner("prt_1")
    assert (partner.id, partner.status, partner["new_field"]) == ("prt_1", "active", 1)


def test_an_unreachable_cluster_raises_connection_failed_after_retries(sleeps):
    client = SynergyClient(f"http://127.0.0.1:{free_port()}", "k", retry=RetryPolicy(attempts=3),
                           sleep=sleeps.append)
    with pytest.raises(ConnectionFailed):
        client.health()
    assert len(sleeps) == 2


def test_the_key_is_never_in_a_repr_nor_a_password_in_a_message(client, sleeps):
    assert "syn_secret_key" not in repr(client) and "syn_secret_key" not in repr(client.transport)
    with_password = SynergyClient(f"http://office:hunter2@127.0.0.1:{free_port()}", "k", sleep=sleeps.append,
                                  retry=RetryPolicy(attempts=1))
    assert "hunter2" not in repr(with_password)
    with pytest.raises(ConnectionFailed) as caught:
        with_password.health()
    assert "hunter2" not in str(caught.value) and "office:***@127.0.0.1" in str(caught.value)


def test_the_client_package_imports_neither_nameko_nor_eventlet():
    code = ("import sys, synergy_client, synergy_client.bus, synergy_client.webhooks; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'nameko', 'eventlet', 'kombu'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
