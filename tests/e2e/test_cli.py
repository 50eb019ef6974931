"""The installed ``synergy`` command against the real cluster: what people and scripts see, and exit codes."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pika
import pytest

from deploy.launcher import free_port
from services.common.envelope import CONTENT_TYPE
from tests.support import broker
from tests.support.api import eventually
from tests.support.cli import SYNERGY, Synergy
from tests.support.tap import Tap

FACULTY = ["--name-zh", "历史学院", "--name-en", "School of History", "--level", "campus", "--kind", "faculty",
           "--theme", "history"]
LEAGUE = ["--name-zh", "校团委", "--name-en", "Youth League Committee", "--level", "campus", "--kind",
          "youth_league"]


@pytest.fixture
def synergy(cluster, tmp_path):
    run = Synergy(tmp_path, SYNERGY_API_URL=cluster.cluster.gateway_url, SYNERGY_API_KEY=cluster.key,
                  AMQP_URI=cluster.amqp_uri)
    yield run
    assert not any(cluster.key in text for text in run.outputs), "the API key was printed"


def ready_to_publish(cluster, activity_id: str) -> None:
    """Where the API reviews a draft before it is published (submit, then approve), take those steps."""
    submitted = cluster.api.post(f"/v1/activities/{activity_id}/submit")
    if submitted.status_code == 404:  # no review step on this API: drafts are published directly
        return
    assert submitted.status_code == 200, submitted.text
    approved = cluster.api.post(f"/v1/activities/{activity_id}/approve", {"comments": ""})
    assert approved.status_code == 200, approved.text


def lecture_options(lead: str, co: str) -> list[str]:
    return ["--title-zh", "科学与艺术讲座", "--title-en", "Science and Art lecture", "--type", "lecture",
            "--path", "activity", "--path", "resources", "--starts-at", "2026-12-05T10:00:00+08:00",
            "--ends-at", "2026-12-05T12:00:00+08:00", "--venue", "Library lecture hall", "--lead", lead, "--co", co]


@pytest.mark.cluster
def test_the_command_registers_drafts_publishes_and_shows_every_reaction(synergy, cluster, webhook_server):
    health = synergy("health")
    assert health.code == 0, health
    assert "partners" in health.out and "ready" in health.err

    faculty = synergy.json("partners", "register", *FACULTY)
    league = synergy.json("partners", "register", *LEAGUE)
    assert faculty["status"] == "active" and faculty["id"].startswith("prt_")

    listed = synergy.json("partners", "list")
    assert {p["id"] for p in listed} == {faculty["id"], league["id"]}
    table = synergy("partners", "list")
    assert table.code == 0 and "历史学院 / School of History" in table.out and table.out.startswith("ID")
    rows = list(csv.DictReader(io.StringIO(synergy("--csv", "partners", "list", "--kind", "faculty").out)))
    assert [(r["id"], r["kind"], r["name.zh"]) for r in rows] == [(faculty["id"], "faculty", "历史学院")]
    assert [p["id"] for p in synergy.json("partners", "list", "--search", "团委")] == [league["id"]]
    assert len(synergy.json("partners", "list", "--limit", "1")) == 1

    shown = synergy("partners", "show", faculty["id"])
    assert shown.code == 0 and "School of History" in shown.out and "history" in shown.out

    hook = synergy("endpoints", "create", "--owner", league["id"], "--url", webhook_server.url + "/hooks",
                   "--event-type", "activity.published", "--json")
    assert hook.code == 0, hook
    endpoint = json.loads(hook.out)
    assert endpoint["secret"].startswith("whsec_") and "shown this once" in hook.err
    again = synergy("endpoints", "show", endpoint["id"])
    assert again.code == 0 and "whsec_" not in again.out and endpoint["id"] in again.out
    assert "secret" not in synergy.json("endpoints", "show", endpoint["id"])

    draft = synergy.json("activities", "create", *lecture_options(faculty["id"], league["id"]))
    assert draft["status"] == "draft" and [o["partner_id"] for o in draft["organizers"]] == [faculty["id"],
                                                                                            league["id"]]
    ready_to_publish(cluster, draft["id"])
    published = synergy("activities", "publish", draft["id"])
    assert published.code == 0 and "published" in published.out
    assert synergy.json("activities", "show", draft["id"])["status"] == "published"

    inbox = eventually(lambda: synergy.json("inbox", league["id"]), timeout=20)
    assert [item["activity_id"] for item in inbox] == [draft["id"]]
    surveys = eventually(lambda: synergy("surveys", "status", draft["id"], "--json").code == 0
                         and synergy.json("surveys", "status", draft["id"]), timeout=20)
    assert surveys[0]["activity_id"] == draft["id"]
    delivered = eventually(lambda: synergy.json("endpoints", "deliveries", endpoint["id"], "--state", "delivered"),
                           timeout=20)
    assert delivered[0]["event_type"] == "activity.published"
    assert synergy.json("endpoints", "deliveries", endpoint["id"], "--state", "failed") == []
    replayed = synergy("endpoints", "replay", endpoint["id"], "--since", "2026-01-01T00:00:00+08:00")
    assert replayed.code == 0 and "0 failed deliveries sent again" in replayed.err, replayed
    assert synergy("endpoints", "replay", endpoint["id"], "--since", "yesterday").code == 1
    assert synergy("inbox", "coordination_group", "--json").code == 0
    assert synergy("emails", "list", "--json").code == 0

    catalogue = synergy.json("catalogue")
    assert "activity.published" in catalogue
    assert "activity.published" in synergy("catalogue", "--markdown").out

    config = synergy("config", "show")
    assert config.code == 0 and "environment SYNERGY_API_KEY" in config.out and "set" in config.out


@pytest.mark.cluster
def test_refusals_exit_1_with_the_problem_and_usage_errors_exit_2(synergy, cluster, tmp_path):
    bad = synergy("partners", "register", "--name-zh", "某馆", "--level", "outside", "--kind", "faculty")
    assert bad.code == 1, bad
    assert "refused: 422" in bad.err and "kind:" in bad.err and "correlation id: cor_" in bad.err
    problem = json.loads(synergy("partners", "register", "--level", "campus", "--kind", "faculty", "--json").err)
    assert problem["status"] == 422 and "name" in problem["errors"]

    missing = synergy("partners", "show", "prt_01aaaaaaaaaaaaaaaaaaaaaaaa")
    assert missing.code == 1 and "404" in missing.err
    lead = synergy.json("partners", "register", *FACULTY)
    unknown_co = synergy("activities", "create", *lecture_options(lead["id"], "prt_01aaaaaaaaaaaaaaaaaaaaaaaa"))
    assert unknown_co.code == 1 and "co_organizers" in unknown_co.err
    draft = synergy.json("activities", "create", *lecture_options(lead["id"], lead["id"])[:-2])
    ready_to_publish(cluster, draft["id"])
    assert synergy("activities", "publish", draft["id"]).code == 0
    twice = synergy("activities", "publish", draft["id"])
    assert twice.code == 1 and "409" in twice.err

    wrong_key = synergy("partners", "list", SYNERGY_API_KEY="syn_wrong")
    assert wrong_key.code == 1 and "401" in wrong_key.err and "SYNERGY_API_KEY" in wrong_key.err
    assert "syn_wrong" not in wrong_key.out + wrong_key.err

    assert synergy("partners", "show").code == 2
    assert synergy("partners", "list", "--level", "moon").code == 2
    assert synergy("partners", "list", "--json", "--csv").code == 2
    assert synergy("no-such-command").code == 2
    (tmp_path / "broken.json").write_text("{not json")
    broken = synergy("partners", "register", "--file", str(tmp_path / "broken.json"))
    assert broken.code == 2 and "not JSON" in broken.err
    assert synergy("--profile", str(tmp_path / "absent.toml"), "partners", "list").code == 2
    assert cluster.db("partners")["partners"].count_documents({}) == 1

    cluster.stop("evaluation")
    not_ready = synergy("health")
    assert not_ready.code == 1 and "NOT ready" in not_ready.err
    assert [line for line in not_ready.out.splitlines() if line.startswith("evaluation")][0].split()[1] == "no"
    as_json = synergy("health", "--json")
    assert as_json.code == 1 and json.loads(as_json.out)["ready"] is False


@pytest.mark.cluster
def test_csv_import_reports_each_row_and_export_reads_back(synergy, cluster, tmp_path):
    source = tmp_path / "partners.csv"
    source.write_text("name_zh,name_en,level,kind,themes,description\n"
                      "历史学院,School of History,campus,faculty,history;city,\n"
                      "某博物馆,A museum,outside,faculty,,wrong kind for the level\n"
                      "上海市档案馆,Shanghai Municipal Archives,outside,archive,,\n"
                      ",No name,campus,faculty,,\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    all_or_nothing = synergy("partners", "import", str(source), "--report", str(report))
    assert all_or_nothing.code == 1, all_or_nothing
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["line"], r["result"]) for r in rows] == [("3", "refused"), ("5", "refused")]
    assert "kind" in rows[0]["problem"] and "name_zh" in rows[1]["problem"]
    assert cluster.db("partners")["partners"].count_documents({}) == 0

    partial = synergy("partners", "import", str(source), "--partial", "--json")
    assert partial.code == 1, partial
    rows = json.loads(partial.out)
    assert [(r["line"], r["result"]) for r in rows] == [(2, "registered"), (3, "refused"), (4, "registered"),
                                                        (5, "refused")]
    assert "2 registered, 2 refused (import imp_" in partial.err
    again = synergy("partners", "import", str(source), "--partial", "--json")  # the same file: nothing twice
    assert cluster.db("partners")["partners"].count_documents({}) == 2, again

    exported = tmp_path / "export.csv"
    done = synergy("partners", "export", str(exported))
    assert done.code == 0 and "exported 2 partner(s)" in done.err
    back = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert {(r["name_zh"], r["level"], r["kind"]) for r in back} == {
        ("历史学院", "campus", "faculty"), ("上海市档案馆", "outside", "archive")}
    assert {r["id"] for r in back} == {r["id"] for r in rows if r["id"]}

    renamed = exported.read_text(encoding="utf-8").replace("历史学院", "哲学学院").replace("上海市档案馆", "上海档案部")
    (tmp_path / "renamed.csv").write_text(renamed, encoding="utf-8")
    assert synergy("partners", "import", str(tmp_path / "renamed.csv")).code == 0
    assert cluster.db("partners")["partners"].count_documents({}) == 4

    demo = synergy("demo", "load", "--json")
    assert demo.code == 0, demo
    loaded = {row["name"]: row["id"] for row in json.loads(demo.out)}
    assert synergy("demo", "load").code == 0  # a second time adds nothing
    assert json.loads(synergy("demo", "load", "--json").out) == [{"name": k, "id": v} for k, v in loaded.items()]


def outside_partner(synergy, zh: str) -> str:
    return synergy.json("partners", "register", "--name-zh", zh, "--level", "outside", "--kind", "museum")["id"]


CRITERIA = ["legal_qualification", "resource_fit", "reputation", "safety_compliance", "past_performance"]


@pytest.mark.cluster
def test_the_review_of_an_outside_partner_and_its_agreements(synergy, cluster, tmp_path):
    rubric = synergy.json("partners", "rubric", "show")
    assert [c["key"] for c in rubric["criteria"]] == CRITERIA
    museum, gallery = outside_partner(synergy, "城市博物馆"), outside_partner(synergy, "小画廊")

    started = synergy("partners", "review", "start", museum, "--reason", "applies to co-organize",
                      "--evidence", "营业执照=docs://museum/licence")
    assert started.code == 0 and "under_review" in started.out, started
    assert synergy("partners", "review", "evidence", museum, "--title", "预案", "--ref", "docs://m/s").code == 0
    for reviewer, mark in (("协调小组·张", 5), ("协调小组·李", 4)):
        scored = synergy("partners", "score", museum, "--reviewer", reviewer,
                         *[arg for key in CRITERIA for arg in ("--score", f"{key}={mark}")])
        assert scored.code == 0, scored
    shown = synergy.json("partners", "review", "show", museum)
    assert shown["current"]["tally"]["weighted_total"] == 90.0
    assert "协调小组·李" in synergy("partners", "review", "show", museum).out
    approved = synergy.json("partners", "approve", museum, "--condition", "每场活动前提交安全预案")
    assert approved["status"] == "approved_with_conditions"

    bad_score = synergy("partners", "score", gallery, "--reviewer", "x", "--score", "legal_qualification=five")
    assert bad_score.code == 2
    no_review = synergy("partners", "score", gallery, "--reviewer", "x", "--score", "legal_qualification=5")
    assert no_review.code == 1 and "409" in no_review.err
    assert synergy("partners", "review", "start", gallery).code == 0
    for reviewer in ("协调小组·张", "协调小组·李"):
        assert synergy("partners", "score", gallery, "--reviewer", reviewer,
                       *[arg for key in CRITERIA for arg in ("--score", f"{key}=1")]).code == 0
    assert synergy.json("partners", "reject", gallery, "--reason", "资质文件不全")["status"] == "rejected"

    assert synergy.json("partners", "suspend", museum, "--reason", "safety incident")["status"] == "suspended"
    assert synergy.json("partners", "reinstate", museum)["status"] == "approved_with_conditions"
    updated = synergy.json("partners", "update", museum, "--description", "Science and city history")
    assert updated["description"] == "Science and city history"
    assert synergy("partners", "update", museum).code == 2
    assert synergy.json("partners", "list", "--status", "approved_with_conditions")[0]["id"] == museum
    assert [p["id"] for p in synergy.json("partners", "list", "--search", "画廊")] == [gallery]

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    mou = tmp_path / "mou.json"
    mou.write_text(json.dumps({
        "partner_id": museum, "scope": "Science and art lectures", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=20)).isoformat(),
        "signed_by": [{"party": "partner", "name": "城市博物馆", "signed_on": today.isoformat()},
                      {"party": "counterpart", "name": "图书馆馆长", "signed_on": today.isoformat()}]}))
    signed = synergy.json("agreements", "sign", "--file", str(mou))
    assert signed["partner_id"] == museum
    expiring = synergy.json("agreements", "expiring", "--within", "30")
    assert [(a["id"], a["days_left"]) for a in expiring] == [(signed["id"], 20)]
    assert synergy.json("agreements", "expiring", "--within", "10") == []
    assert [a["id"] for a in synergy.json("agreements", "of", museum)] == [signed["id"]]
    assert [a["id"] for a in synergy.json("agreements", "list", "--status", "in_force")] == [signed["id"]]
    assert synergy("agreements", "show", signed["id"]).code == 0
    assert synergy("agreements", "check").code == 0
    refused = synergy("agreements", "sign", "--file", str(mou.with_name("absent.json")))
    assert refused.code == 2
    mou.write_text(json.dumps({"partner_id": gallery, "scope": "x", "starts_on": today.isoformat(),
                               "ends_on": today.isoformat(), "signed_by": []}))
    assert synergy("agreements", "sign", "--file", str(mou)).code == 1


@pytest.mark.cluster
def test_dead_letters_are_listed_inspected_replayed_and_discarded(synergy, cluster):
    assert synergy.json("dead-letters", "list") == []
    tap = Tap(cluster.amqp_uri)
    body = json.dumps({"specversion": "1.0", "type": "partner.registered", "token": "tok_secret"}).encode()
    tap.publish("partner.registered", body, pika.BasicProperties(message_id="evt_broken", delivery_mode=2,
                                                                  content_type=CONTENT_TYPE))
    tap.close()
    # every queue bound for the type rejects it: one dead letter each
    bound = broker.handler_queues_bound_for(cluster.amqp_uri, "partner.registered")
    assert "synergy.events.learn_partner" in bound
    found = eventually(lambda: (letters := synergy.json("dead-letters", "list")) and
                       sorted(x["queue"] for x in letters) == sorted(bound) and letters, timeout=20)
    count = len(found)

    def letters():
        return len(synergy.json("dead-letters", "list")) >= count
    assert {(x["message_id"], x["reason"]) for x in found} == {("evt_broken", "rejected")}
    assert "evt_broken" in synergy("dead-letters", "list").out

    inspected = synergy.json("dead-letters", "inspect", "evt_broken")
    assert inspected["queue"].startswith("synergy.") and inspected["body"]["token"] == "[redacted]"
    assert "tok_secret" not in synergy("dead-letters", "inspect", "evt_broken").out
    assert synergy("dead-letters", "inspect", "evt_nothing").code == 1

    replayed = synergy("dead-letters", "replay", "evt_broken")
    assert replayed.code == 0 and "replayed" in replayed.out
    eventually(letters, timeout=20)  # still invalid: dead again
    assert synergy("dead-letters", "replay", "evt_nothing").code == 1
    assert synergy("dead-letters", "discard", "--all").code == 1  # asks first; no answer on stdin: aborted
    discarded = synergy("dead-letters", "discard", "--all", "--yes")
    assert discarded.code == 0 and "discarded" in discarded.out
    assert synergy.json("dead-letters", "list") == []


def test_an_unreachable_cluster_exits_3(tmp_path):
    synergy = Synergy(tmp_path, SYNERGY_API_URL=f"http://127.0.0.1:{free_port()}", SYNERGY_API_KEY="k",
                      AMQP_URI=f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    for args in (["health"], ["partners", "list"], ["partners", "register", *FACULTY], ["dead-letters", "list"]):
        result = synergy(*args)
        assert result.code == 3, (args, result)
        assert "cannot reach" in result.err
    assert synergy("partners", "list", "--nonsense").code == 2  # usage is checked before anything is sent


def test_the_profile_file_configures_the_command_and_the_environment_wins(tmp_path):
    key_file = tmp_path / "admin.key"
    key_file.write_text("syn_from_file\n")
    port = free_port()
    (tmp_path / "p.toml").write_text(f'api_url = "http://127.0.0.1:{port}"\napi_key_file = "admin.key"\n')
    synergy = Synergy(tmp_path)
    shown = synergy("--profile", str(tmp_path / "p.toml"), "config", "show", "--json")
    settings = {row["setting"]: row for row in json.loads(shown.out)}
    assert settings["api_url"]["value"] == f"http://127.0.0.1:{port}"
    assert settings["api_key"]["value"] == "set" and "syn_from_file" not in shown.out
    env_wins = synergy("--profile", str(tmp_path / "p.toml"), "config", "show", "--json",
                       SYNERGY_API_URL="http://example.invalid:1")
    assert json.loads(env_wins.out)[0]["value"] == "http://example.invalid:1"
    (tmp_path / ".config" / "synergy").mkdir(parents=True)
    (tmp_path / ".config" / "synergy" / "profile.toml").write_text('api_url = "http://127.0.0.1:9"\n')
    assert json.loads(synergy("config", "show", "--json").out)[0]["value"] == "http://127.0.0.1:9"
    (tmp_path / "bad.toml").write_text('api_url = "x"\nnot_a_setting = 1\n')
    assert synergy("--profile", str(tmp_path / "bad.toml"), "config", "show").code == 2


def commands_of(group, prefix=()):
    import click
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands_of(command, (*prefix, name))


def test_every_command_has_help_with_examples(tmp_path):
    from synergy_cli.main import cli
    synergy = Synergy(tmp_path)
    top = synergy("--help")
    assert top.code == 0 and "Examples:" in top.out
    for path in commands_of(cli):
        result = synergy(*path, "--help")
        assert result.code == 0, (path, result)
        assert "Examples:" in result.out or "Commands:" in result.out, path
    assert SYNERGY.exists()


@pytest.mark.cluster
def test_the_activity_lifecycle_the_calendar_and_api_keys(synergy, cluster, tmp_path):
    lead = synergy.json("partners", "register", *FACULTY)["id"]
    league = synergy.json("partners", "register", *LEAGUE)["id"]
    draft = synergy.json("activities", "create", *lecture_options(lead, league))["id"]
    other = synergy.json("activities", "create", *lecture_options(league, lead))["id"]
    assert synergy.json("activities", "submit", draft)["status"] == "submitted"
    returned = synergy.json("activities", "return", draft, "--why", "Add an English title", "--comments", "thanks")
    assert returned["status"] == "returned"
    assert synergy("activities", "return", draft, "--comments", "x").code == 2  # --why is required
    assert synergy.json("activities", "submit", draft)["status"] == "submitted"
    assert synergy.json("activities", "approve", draft)["status"] == "approved"
    assert synergy.json("activities", "publish", draft)["status"] == "published"
    assert synergy("activities", "publish", other).code == 1  # a draft is not published before approval
    assert synergy.json("activities", "cancel", other, "--reason", "Speaker unavailable")["status"] == "cancelled"

    assert [a["id"] for a in synergy.json("activities", "list", "--status", "published")] == [draft]
    assert [a["id"] for a in synergy.json("activities", "list", "--organizer", league)] == [draft]
    assert [a["id"] for a in synergy.json("activities", "list", "--status", "cancelled")] == [other]
    assert len(synergy.json("activities", "list", "--limit", "1")) == 1
    table = synergy("activities", "list")
    assert table.code == 0 and "科学与艺术讲座" in table.out and "2026-12-05 10:00" in table.out
    calendar = tmp_path / "activities.ics"
    written = synergy("activities", "calendar", str(calendar))
    assert written.code == 0 and "1 event(s)" in written.err
    assert "BEGIN:VCALENDAR" in calendar.read_text() and draft in calendar.read_text()
    registrations = synergy.json("activities", "registrations", draft)
    assert registrations["items"] == []
    assert synergy("activities", "check-in", draft, "NOTACODE").code == 1

    created = synergy("keys", "create", "--kind", "partner", "--partner", lead, "--label", "faculty portal",
                      "--json")
    assert created.code == 0 and "shown this once" in created.err, created
    issued = json.loads(created.out)
    assert issued["key"] and issued["kind"] == "partner"
    listed = synergy("keys", "list", "--json")
    assert issued["key"] not in listed.out and issued["id"] in listed.out
    assert issued["key"] not in synergy("keys", "show", issued["id"]).out
    assert synergy.json("keys", "relabel", issued["id"], "--label", "faculty portal 2027")["label"] == \
        "faculty portal 2027"
    as_partner = synergy.json("activities", "show", draft, SYNERGY_API_KEY=issued["key"])
    assert as_partner["id"] == draft
    assert synergy.json("keys", "revoke", issued["id"])["status"] == "revoked"
    refused = synergy("activities", "show", draft, SYNERGY_API_KEY=issued["key"])
    assert refused.code == 1 and "401" in refused.err
    assert synergy("keys", "create", "--kind", "partner", "--label", "no partner").code == 1
    synergy.outputs = [text.replace(issued["key"], "<issued once>") for text in synergy.outputs]
