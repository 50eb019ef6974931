"""The installed ``synergy`` command against the real cluster, for the office's further work: term scores, plans
and reports to files; activity updates, series, organizers, registrations, volunteers and venues; endpoint
changes and secret rotation, inbox marks, notification preferences; progress drawn on a terminal only."""
from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from deploy.launcher import free_port
from tests.support.api import eventually
from tests.support.cli import Synergy

FACULTY = ["--name-zh", "历史学院", "--name-en", "School of History", "--level", "campus", "--kind", "faculty"]
LEAGUE = ["--name-zh", "校团委", "--name-en", "Youth League Committee", "--level", "campus", "--kind",
          "youth_league"]
ACT_01 = "act_01aaaaaaaaaaaaaaaaaaaaaaaa"


def runner(cluster, tmp_path) -> Synergy:
    return Synergy(tmp_path, SYNERGY_API_URL=cluster.cluster.gateway_url, SYNERGY_API_KEY=cluster.key,
                   AMQP_URI=cluster.amqp_uri)


@pytest.fixture
def synergy(cluster, tmp_path):
    run = runner(cluster, tmp_path)
    yield run
    assert not any(cluster.key in text for text in run.outputs), "the API key was printed"


def lecture(synergy, lead: str, *more: str, day: str = "2026-12-05") -> str:
    return synergy.json("activities", "create", "--title-zh", "科学与艺术讲座", "--title-en", "Science and Art",
                        "--type", "lecture", "--path", "activity", "--starts-at", f"{day}T10:00:00+08:00",
                        "--ends-at", f"{day}T12:00:00+08:00", "--lead", lead, *more)["id"]


def publish(synergy, activity_id: str) -> None:
    for step in ("submit", "approve", "publish"):
        done = synergy("activities", step, activity_id)
        assert done.code == 0, done


class Page(HTMLParser):
    """What an HTML report holds: its tags."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


@pytest.mark.cluster
def test_term_scores_plans_and_reports_written_to_files(make_cluster, tmp_path):
    cluster = make_cluster()
    cluster.cluster.env.update({"EVALUATION_POLL_SECONDS": "0.5"})  # ended terms are reported at once
    cluster.start()
    synergy = runner(cluster, tmp_path)
    lead = synergy.json("partners", "register", *FACULTY)["id"]
    co = synergy.json("partners", "register", *LEAGUE)["id"]
    activity = lecture(synergy, lead, "--co", co)
    publish(synergy, activity)

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"title": {"zh": "2026 秋季学期文化育人计划"}, "targets": [
        {"dimension": "all", "target": 4}, {"dimension": "path", "key": "activity", "target": 1},
        {"dimension": "level", "key": "campus", "target": 2}]}))
    saved = synergy("terms", "plan", "set", "2026-autumn", "--file", str(plan))
    assert saved.code == 0 and "plan of 2026-autumn set" in saved.err, saved
    shown = eventually(lambda: [row for row in synergy.json("terms", "plan", "show", "2026-autumn")["progress"][
        "targets"] if row["dimension"] == "path" and row["scheduled"] == 1], timeout=20)
    assert shown[0]["status"] == "on_track"
    rows = list(csv.DictReader(io.StringIO(synergy("terms", "plan", "show", "2026-autumn", "--csv").out)))
    assert [(r["dimension"], r["target"]) for r in rows] == [("all", "4"), ("path", "1"), ("level", "2")]
    plan.write_text(json.dumps({"targets": [{"dimension": "path", "key": "moon", "target": 1}]}))
    refused = synergy("terms", "plan", "set", "2026-autumn", "--file", str(plan))
    assert refused.code == 1 and "422" in refused.err and "targets" in refused.err, refused
    assert len(synergy.json("terms", "plan", "show", "2026-autumn")["plan"]["targets"]) == 3  # unchanged
    assert synergy("terms", "plan", "set", "2026-autumn", "--file", str(tmp_path / "absent.json")).code == 2
    assert synergy("terms", "plan", "show", "2030-spring").code == 1

    scores = eventually(lambda: synergy.json("terms", "scores", "2026-autumn", "--by", "activity", "--group",
                                             activity) if synergy("terms", "scores", "2026-autumn", "--by",
                                                                  "activity", "--group", activity).code == 0
                        else None, timeout=20)
    assert list(scores["groups"]) == [activity] and scores["groups"][activity]["activities"] == 1
    table = synergy("terms", "scores", "2026-autumn", "--by", "joint")
    assert table.code == 0 and "co_organized" in table.out and "too_few" in table.out, table
    assert synergy("terms", "scores", "2026-autumn", "--by", "activity", "--group", ACT_01).code == 1
    assert synergy("terms", "scores", "--by", "moon").code == 2
    assert synergy("terms", "scores", "autumn-2026").code == 1
    analysis = synergy.json("terms", "synergy", "2026-autumn")
    assert analysis["groups"]["co_organized"]["activities"] == 1 and "joint_vs_single" in analysis
    compared = list(csv.DictReader(io.StringIO(synergy("terms", "synergy", "2026-autumn", "--csv").out)))
    assert compared[0]["compared"] == "co_organized vs single_organizer" and compared[0]["status"] == "too_few"

    html, table_csv, document = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.json"
    for fmt, path in (("html", html), ("csv", table_csv), ("json", document)):
        written = synergy("terms", "report", "2026-autumn", "--format", fmt, "--output", str(path))
        assert written.code == 0 and f"written to {path}" in written.err, written
    page = Page()
    page.feed(html.read_text(encoding="utf-8"))
    assert {"html", "table", "img"} <= set(page.tags) and "科学与艺术讲座" in html.read_text(encoding="utf-8")
    header = next(csv.reader(table_csv.open(encoding="utf-8")))
    assert header[0] == "section" and len(header) > 3
    report = json.loads(document.read_text(encoding="utf-8"))
    assert report["term_id"] == "2026-autumn" and activity in json.dumps(report)
    unit = json.loads(synergy("terms", "report", "2026-autumn", "--format", "json", "-o", "-", "--unit", co).out)
    assert unit["term_id"] == "2026-autumn"

    bad = synergy("terms", "report", "autumn-2026", "--format", "csv", "--output", str(tmp_path / "bad.csv"))
    assert bad.code == 1 and "422" in bad.err and "term_id" in bad.err, bad
    assert not (tmp_path / "bad.csv").exists()
    assert synergy("terms", "report", "2026-autumn", "--format", "pdf", "--output", str(tmp_path / "x")).code == 2
    assert synergy("terms", "report", "2026-autumn").code == 2  # --output is required
    not_ended = synergy("terms", "report", "2026-autumn", "--term-end", "-o", str(tmp_path / "e.json"))
    assert not_ended.code == 1 and "404" in not_ended.err

    # the report kept when a term ended (a plan for an ended term is reported at the next poll)
    plan.write_text(json.dumps({"targets": [{"dimension": "all", "target": 2}]}))
    assert synergy("terms", "plan", "set", "2025-spring", "--file", str(plan)).code == 0
    kept = tmp_path / "term-end.csv"
    eventually(lambda: synergy("terms", "report", "2025-spring", "--term-end", "--format", "csv",
                               "-o", str(kept)).code == 0, timeout=20)
    assert next(csv.reader(kept.open(encoding="utf-8")))[0] == "section"

    # on a terminal a bar shows the wait on stderr; stdout holds the report only
    on_terminal = synergy.on_terminal("terms", "report", "2026-autumn", "--format", "json", "-o", "-")
    assert on_terminal.code == 0, on_terminal
    assert json.loads(on_terminal.out)["term_id"] == "2026-autumn"
    assert "generating the JSON report" in on_terminal.err
    assert not any(cluster.key in text for text in synergy.outputs)


@pytest.mark.cluster
def test_activity_updates_series_organizers_registrations_volunteers_and_venues(synergy, cluster, tmp_path):
    hall = synergy.json("venues", "create", "--name", "Library lecture hall", "--kind", "library_space",
                        "--capacity", "120", "--address", "1F")
    assert hall["id"].startswith("ven_") and hall["kind"] == "library_space"
    assert [v["id"] for v in synergy.json("venues", "list")] == [hall["id"]]
    assert "Library lecture hall" in synergy("venues", "list").out
    assert synergy.json("venues", "show", hall["id"])["capacity"] == 120
    no_kind = synergy("venues", "create", "--name", "Somewhere")
    assert no_kind.code == 1 and "kind" in no_kind.err
    assert synergy("venues", "create", "--name", "x", "--kind", "moon").code == 2
    assert synergy("venues", "show", "ven_01aaaaaaaaaaaaaaaaaaaaaaaa").code == 1

    lead = synergy.json("partners", "register", *FACULTY)["id"]
    league = synergy.json("partners", "register", *LEAGUE)["id"]
    activity = lecture(synergy, lead)
    updated = synergy.json("activities", "update", activity, "--venue-id", hall["id"], "--capacity", "1",
                           "--title-en", "Science and Art, part 1")
    assert updated["venue_id"] == hall["id"] and updated["capacity"] == 1
    assert updated["title"] == {"zh": "科学与艺术讲座", "en": "Science and Art, part 1"}
    assert synergy.json("venues", "show", hall["id"])["bookings"] == [], "a draft holds no venue"
    assert synergy("activities", "update", activity).code == 2
    bad_time = synergy("activities", "update", activity, "--starts-at", "tomorrow")
    assert bad_time.code == 1 and "starts_at" in bad_time.err
    assert synergy.json("activities", "show", activity)["capacity"] == 1

    joined = synergy.json("activities", "add-organizer", activity, league, "--responsibility", "volunteers")
    assert [o["partner_id"] for o in joined["organizers"]] == [lead, league]
    twice = synergy("activities", "add-organizer", activity, league)
    assert twice.code == 1 and "partner_id" in twice.err
    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps([{"kind": "volunteers", "committed": "six ushers"}]))
    given = synergy("activities", "set-contributions", activity, league, "--file", str(parts), "--csv")
    assert given.code == 0, given
    assert [(r["kind"], r["committed"]) for r in csv.DictReader(io.StringIO(given.out))] == [
        ("volunteers", "six ushers")]
    parts.write_text(json.dumps({"tasks": [{"title": "Print posters", "due_at": "2026-12-01T18:00:00+08:00"}]}))
    tasks = synergy.json("activities", "set-tasks", activity, league, "--file", str(parts))
    assert [o["tasks"] for o in tasks["organizers"] if o["partner_id"] == league][0][0]["title"] == "Print posters"
    parts.write_text(json.dumps([{"kind": "gold", "committed": "a lot"}]))
    wrong_kind = synergy("activities", "set-contributions", activity, league, "--file", str(parts))
    assert wrong_kind.code == 1 and "422" in wrong_kind.err
    parts.write_text('"not a list"')
    assert synergy("activities", "set-tasks", activity, league, "--file", str(parts)).code == 2

    second = synergy.json("activities", "add-occurrence", activity, "--starts-at", "2026-12-12T10:00:00+08:00",
                          "--ends-at", "2026-12-12T12:00:00+08:00")
    assert second["status"] == "draft" and second["id"] != activity and second["occurrence"] == 2
    backwards = synergy("activities", "add-occurrence", activity, "--starts-at", "2026-12-19T12:00:00+08:00",
                        "--ends-at", "2026-12-19T10:00:00+08:00")
    assert backwards.code == 1, backwards
    assert synergy("activities", "add-occurrence", activity, "--starts-at", "2026-12-19T10:00:00+08:00").code == 2

    publish(synergy, activity)
    assert [b["activity_id"] for b in synergy.json("venues", "show", hall["id"])["bookings"]] == [activity], \
        "held from its submission"
    first = synergy.json("activities", "register", activity, "--person", "stu_2024001", "--email",
                         "li@campus.example")
    assert first["state"] == "confirmed" and len(first["code"]) == 8
    waiting = synergy.json("activities", "register", activity, "--person", "stu_2024002", "--email",
                           "wang@campus.example", "--language", "en")
    assert waiting["state"] == "waitlisted"  # capacity 1
    again = synergy("activities", "register", activity, "--person", "stu_2024001", "--email", "li@campus.example")
    assert again.code == 1 and "409" in again.err
    bad_email = synergy("activities", "register", activity, "--person", "stu_3", "--email", "not-an-address")
    assert bad_email.code == 1 and "email" in bad_email.err
    assert synergy("activities", "register", activity, "--person", "stu_3").code == 2
    cancelled = synergy.json("activities", "cancel-registration", activity, first["registration_id"])
    assert cancelled["state"] == "cancelled"
    promoted = eventually(lambda: [r for r in synergy.json("activities", "registrations", activity)["items"]
                                   if r["registration_id"] == waiting["registration_id"]
                                   and r["state"] == "confirmed"], timeout=20)
    assert promoted
    assert synergy("activities", "cancel-registration", activity, first["registration_id"]).code == 1

    roster = synergy.json("activities", "add-role", activity, "--name-zh", "引导员", "--name-en", "Usher")
    role = roster["roles"][0]["role_id"]
    shifted = synergy.json("activities", "add-shift", activity, "--role", role, "--places", "2",
                           "--starts-at", "2026-12-05T09:00:00+08:00", "--ends-at", "2026-12-05T12:30:00+08:00")
    shift = shifted["shifts"][0]["shift_id"]
    listed = synergy("activities", "shifts", activity)
    assert listed.code == 0 and shift in listed.out and "引导员 / Usher" in listed.out
    assert synergy.json("activities", "shifts", activity)["shifts"][0]["free"] == 2
    unknown_role = synergy("activities", "add-shift", activity, "--role", "rol_nothing", "--places", "1",
                           "--starts-at", "2026-12-05T09:00:00+08:00", "--ends-at", "2026-12-05T10:00:00+08:00")
    assert unknown_role.code == 1 and "role_id" in unknown_role.err
    assert synergy("activities", "add-shift", activity, "--role", role, "--places", "0", "--starts-at",
                   "2026-12-05T09:00:00+08:00", "--ends-at", "2026-12-05T10:00:00+08:00").code == 2
    signed = cluster.api.post(f"/v1/activities/{activity}/volunteers", {"person_id": "stu_2024009", "email":
                                                                        "zhao@campus.example", "shift_id": shift})
    assert signed.status_code == 201, signed.text
    volunteers = synergy("activities", "volunteers", activity, "--csv")
    assert [r["person.person_id"] for r in csv.DictReader(io.StringIO(volunteers.out))] == ["stu_2024009"]


@pytest.mark.cluster
def test_endpoint_changes_secret_rotation_inbox_marks_preferences_and_progress(synergy, cluster, tmp_path,
                                                                                webhook_server):
    lead = synergy.json("partners", "register", *FACULTY)["id"]
    league = synergy.json("partners", "register", *LEAGUE)["id"]
    created = synergy.json("endpoints", "create", "--owner", league, "--url", webhook_server.url + "/hooks",
                           "--event-type", "activity.published")
    endpoint, first_secret = created["id"], created["secret"]
    changed = synergy.json("endpoints", "update", endpoint, "--description", "museum CMS", "--event-type",
                           "activity.published", "--event-type", "activity.cancelled")
    assert changed["description"] == "museum CMS" and changed["event_types"] == ["activity.published",
                                                                                 "activity.cancelled"]
    assert "secret" not in changed
    assert synergy.json("endpoints", "update", endpoint, "--disable")["status"] == "disabled"
    assert synergy.json("endpoints", "update", endpoint, "--enable")["status"] == "enabled"
    assert synergy("endpoints", "update", endpoint).code == 2
    bad_url = synergy("endpoints", "update", endpoint, "--url", "not a url")
    assert bad_url.code == 1 and "url" in bad_url.err
    assert synergy.json("endpoints", "show", endpoint)["url"] == webhook_server.url + "/hooks"

    rotated = synergy("endpoints", "rotate-secret", endpoint, "--overlap-hours", "1")
    assert rotated.code == 0 and "shown this once" in rotated.err, rotated
    new_secret = [line.split()[-1] for line in rotated.out.splitlines() if line.startswith("secret")][0]
    assert new_secret.startswith("whsec_") and new_secret != first_secret
    assert new_secret not in synergy("endpoints", "show", endpoint).out
    assert new_secret not in synergy("endpoints", "update", endpoint, "--description", "again", "--json").out
    assert synergy("endpoints", "rotate-secret", endpoint, "--overlap-hours", "500").code == 2
    assert synergy("endpoints", "rotate-secret", "whe_nothing").code == 1

    activity = lecture(synergy, lead, "--co", league)
    publish(synergy, activity)
    items = eventually(lambda: {i["event_type"]: i["id"] for i in synergy.json("inbox", league)}.keys() >= {
        "activity.published", "endpoint.disabled"} and synergy.json("inbox", league), timeout=20)
    told = [i["id"] for i in items if i["activity_id"] == activity][0]
    marked = synergy.json("inbox-mark", league, told)
    assert marked == [{"id": told, "read": True, "result": "marked"}]
    assert told not in [i["id"] for i in synergy.json("inbox", league, "--unread")]
    assert [r["result"] for r in synergy.json("inbox-mark", league, "--all")] == ["marked"] * (len(items) - 1)
    assert synergy.json("inbox", league, "--unread") == []
    unmarked = synergy.json("inbox-mark", league, "--all", "--unread")
    assert told in [r["id"] for r in unmarked] and {r["read"] for r in unmarked} == {False}
    assert len(synergy.json("inbox", league, "--unread")) == len(synergy.json("inbox", league))
    missing = synergy("inbox-mark", league, "inb_nothing")
    assert missing.code == 1 and "not found" in missing.out
    assert synergy("inbox-mark", league).code == 2
    assert synergy("inbox-mark", "coordination_group", "--all").code == 0

    defaults = synergy.json("preferences", "show", "stu_2024001")
    assert defaults["mode"] == "immediate" and defaults["channels"] == ["email", "inbox"]
    saved = synergy.json("preferences", "set", "stu_2024001", "--email", "li@campus.example", "--mode",
                         "weekly_digest")
    assert saved["mode"] == "weekly_digest" and saved["email"] == "li@campus.example"
    kept = synergy.json("preferences", "set", "stu_2024001", "--channel", "inbox", "--language", "en")
    assert (kept["mode"], kept["channels"], kept["language"]) == ("weekly_digest", ["inbox"], "en")
    assert synergy.json("preferences", "show", "stu_2024001")["language"] == "en"
    whole = tmp_path / "prefs.json"
    whole.write_text(json.dumps({"channels": ["inbox"]}))
    assert synergy.json("preferences", "set", "stu_2024001", "--file", str(whole))["mode"] == "immediate"
    wrong = synergy("preferences", "set", "stu_2024001", "--email", "nowhere", "--channel", "email")
    assert wrong.code == 1 and "email" in wrong.err
    assert synergy("preferences", "set", "stu_2024001").code == 2
    assert synergy("preferences", "set", "stu_2024001", "--mode", "hourly").code == 2

    # long work draws a bar on a terminal only; stdout stays the data
    exported = synergy.on_terminal("partners", "export", "-")
    assert exported.code == 0 and "exporting" in exported.err, exported
    assert [r["name_zh"] for r in csv.DictReader(io.StringIO(exported.out))] == ["历史学院", "校团委"]
    piped = synergy("partners", "export", "-")
    assert piped.out == exported.out and "exporting" not in piped.err
    calendar = synergy.on_terminal("activities", "calendar", "-")
    assert calendar.out.startswith("BEGIN:VCALENDAR") and activity in calendar.out and "exporting" in calendar.err


def test_the_new_commands_exit_3_when_the_cluster_cannot_be_reached(tmp_path):
    synergy = Synergy(tmp_path, SYNERGY_API_URL=f"http://127.0.0.1:{free_port()}", SYNERGY_API_KEY="k")
    for args in (["terms", "report", "2026-autumn", "-o", str(tmp_path / "r.html")], ["terms", "scores"],
                 ["venues", "list"], ["activities", "update", ACT_01, "--capacity", "3"],
                 ["endpoints", "rotate-secret", "whe_1"], ["preferences", "show", "stu_1"]):
        result = synergy(*args)
        assert result.code == 3 and "cannot reach" in result.err, (args, result)
    assert not (tmp_path / "r.html").exists()
