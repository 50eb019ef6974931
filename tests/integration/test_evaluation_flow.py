"""Evaluation over the bus, on the real broker, store and service processes: from a published and completed
activity (catalogue-valid envelopes published onto synergy.events) through invitations, responses by token
and the scheduled close, to partner evaluations and a term report in JSON, CSV and HTML.

The events service of this branch does not answer ``survey_recipients`` yet: a stand-in named "events"
(tests/integration/events_stand_in.py) does, in place of the real one.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pika
import pytest

from deploy.launcher import ROOT
from services.common.catalogue import announce
from services.evaluation.domain import survey_id_for
from tests.support.api import Api, eventually
from tests.support.smtp_server import SmtpServer
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

LIBRARY = {"partner_id": "prt_01library000000000000000", "name": {"zh": "图书馆", "en": "Library"}, "level": "library"}
MUSEUM = {"partner_id": "prt_01museum0000000000000000", "name": {"zh": "上海科技馆", "en": "Science Museum"},
          "level": "outside"}
ANSWERS = {"knowledge": 5, "confidence": 4, "application": 4, "awareness": 3, "satisfaction": 5}


def published(activity_id: str, organizers: list[dict], activity_type: str = "lecture") -> dict:
    return {"activity_id": activity_id, "title": {"zh": "科学与艺术讲座", "en": "Science and Art lecture"},
            "activity_type": activity_type, "paths": ["activity", "resources"], "themes": ["science"],
            "starts_at": "2026-11-20T02:00:00.000Z", "ends_at": "2026-11-20T04:00:00.000Z", "venue": "Hall",
            "published_at": "2026-11-10T02:00:00.000Z",
            "organizers": [dict(org, role="lead" if n == 0 else "co_organizer") for n, org in enumerate(organizers)]}


def completed(data: dict) -> dict:
    return dict(data, aims=["information_literacy", "humanistic_literacy"], capacity=50, registered_count=45,
                checked_in_count=40, no_show_count=5, volunteer_count=3, completed_at="2026-11-20T04:05:00.000Z",
                contributions=[{"partner_id": MUSEUM["partner_id"], "kind": "exhibits", "committed": "12 models",
                                "delivered": True}])


def survey_auth(token: str) -> dict[str, str]:
    """A respondent's token goes in a header, never in the path (access logs keep paths)."""
    return {"Authorization": f"Survey {token}"}


def respond(client: Api, token: str, body: dict):
    return client.post("/v1/respond", body, headers=survey_auth(token))


def mailed_tokens(smtp: SmtpServer, client: Api, activity_ids: list[str]) -> dict[str, list[str]]:
    """The survey tokens of the invitation emails (the only place they are in clear), by activity."""
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in list(smtp.messages)]
    found: dict[str, list[str]] = {activity_id: [] for activity_id in activity_ids}
    for token in dict.fromkeys(re.findall(r"/respond#(svt_[A-Za-z0-9_-]{43})", "\n".join(texts))):
        survey_id = client.get("/v1/respond", headers=survey_auth(token)).json()["survey_id"]
        found[next(a for a in activity_ids if survey_id_for(a) == survey_id)].append(token)
    return found


def send(tap: Tap, event_type: str, data: dict) -> None:
    envelope = announce(event_type, data, subject=data["activity_id"])
    tap.publish(event_type, envelope.to_json().encode(), pika.BasicProperties(
        message_id=envelope.id, type=event_type, delivery_mode=2, content_type="application/cloudevents+json"))


def seen(tap: Tap, event_type: str) -> list[dict]:
    """The data of each distinct event of a type (by envelope id: two instances' outbox relays may both
    publish a pending event, and consumers deduplicate by id)."""
    tap.drain(0.3)
    envelopes = [json.loads(body) for properties, body in tap.messages if properties.type == event_type]
    return [envelope["data"] for envelope in {envelope["id"]: envelope for envelope in envelopes}.values()]


def stop(process: subprocess.Popen) -> None:
    """As the launcher stops a service: SIGTERM, and SIGKILL if it has not ended in time (a busy machine)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def evaluation_cluster(make_cluster, smtp, tmp_path, request):
    cluster = make_cluster()
    cluster.cluster.env.update({"SURVEY_WINDOW_DAYS": "0.0006", "EVALUATION_POLL_SECONDS": "0.5",
                                "SURVEY_MIN_RESPONSES": "5", **smtp.env})  # a window of about 52 s
    cluster.smtp = smtp
    cluster.start("evaluation", "notify", "partners", wait=False)
    keep = Path(os.environ.get("EVALUATION_REPORT_DIR", tmp_path))
    keep.mkdir(parents=True, exist_ok=True)
    logs = [open(tmp_path / "events-stand-in.log", "wb"), open(keep / "evaluation-2.log", "wb")]
    stand_in = subprocess.Popen([sys.executable, "-m", "tests.integration.events_stand_in"], cwd=ROOT,
                                env=dict(cluster.cluster.env, RECIPIENT_COUNT="8"), stdout=logs[0],
                                stderr=subprocess.STDOUT)
    cluster.start("gateway")
    # a second evaluation instance: competing for the same queues, running the same timer
    second = subprocess.Popen([sys.executable, "-m", "services.evaluation"], cwd=ROOT, env=cluster.cluster.env,
                              stdout=logs[1], stderr=subprocess.STDOUT)
    eventually(lambda: b"evaluation ready" in (keep / "evaluation-2.log").read_bytes(), timeout=60, interval=0.3)
    cluster.second_evaluation = second
    yield cluster
    for process in (stand_in, second):
        stop(process)
    for log in logs:
        log.close()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for name in ("events-stand-in.log", "evaluation-2.log"):
            for folder in (tmp_path, keep):
                if (folder / name).exists():
                    sys.stderr.write(f"\n===== {name} =====\n{(folder / name).read_text(errors='replace')[-6000:]}")


def test_from_a_published_and_completed_activity_to_a_term_report(evaluation_cluster, tmp_path):
    cluster = evaluation_cluster
    api, anonymous = cluster.api, Api(cluster.cluster.gateway_url, None)
    tap = Tap(cluster.amqp_uri)
    joint, single = published("act_01joint00000000000000000", [LIBRARY, MUSEUM]), \
        published("act_01single0000000000000000", [LIBRARY], "film")
    for data in (joint, single):
        send(tap, "activity.published", data)

    # prepared from the templates of type and paths; organizers add a question before it opens
    surveys = eventually(lambda: api.get(f"/v1/activities/{joint['activity_id']}/surveys").status_code == 200
                         and api.get(f"/v1/activities/{joint['activity_id']}/surveys").json()["surveys"], timeout=20)
    survey = f"/v1/activities/{joint['activity_id']}/surveys/immediate"
    assert surveys[0]["topic"] == "instruction" and [i["key"] for i in surveys[0]["path_items"]] == [
        "path_activity", "path_resources"]
    question = {"zh": "您会推荐给同学吗？", "en": "Would you recommend it?", "type": "agreement", "required": True}
    bad = api.put(f"{survey}/questions", json={"questions": [dict(question, type="slider")]})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    added = api.put(f"{survey}/questions", json={"questions": [question]})
    assert added.status_code == 200, added.text
    assert anonymous.put(f"{survey}/questions", json={"questions": []}).status_code == 401

    eventually(lambda: api.get(f"/v1/activities/{single['activity_id']}/surveys").status_code == 200, timeout=20)
    for data in (joint, single):
        send(tap, "activity.completed", completed(data))

    # opened to the attendees; invitations (internal, no token: notify got those by RPC) emailed with their links
    issued = eventually(lambda: len(seen(tap, "survey.invitations_issued")) == 2
                        and seen(tap, "survey.invitations_issued"), timeout=40)
    assert all("token" not in i for batch in issued for i in batch["invitations"])
    ids = [joint["activity_id"], single["activity_id"]]
    tokens = eventually(lambda: (found := mailed_tokens(cluster.smtp, anonymous, ids))
                        and [len(t) for t in found.values()] == [8, 8] and found, timeout=40)
    opened = {o["activity_id"]: o for o in seen(tap, "survey.opened")}
    assert opened[joint["activity_id"]]["invited_count"] == 8
    assert api.put(f"{survey}/questions", json={"questions": []}).status_code == 409

    # respondents reach the survey by token alone
    form = anonymous.get("/v1/respond?lang=en", headers=survey_auth(tokens[joint["activity_id"]][0]))
    assert form.status_code == 200, form.text
    assert [p["label"] for p in form.json()["scale"]] == ["Strongly disagree", "Disagree",
                                                          "Neither agree nor disagree", "Agree", "Strongly agree"]
    assert "aim_information_literacy" in [i["key"] for i in form.json()["items"]]
    for token in tokens[joint["activity_id"]][:6]:
        answered = respond(anonymous, token, {"answers": dict(ANSWERS, org_1=5)})
        assert answered.status_code == 201, answered.text
    for n, token in enumerate(tokens[single["activity_id"]][:5]):
        answered = respond(anonymous, token, {"answers": dict(ANSWERS, knowledge=2 + n % 2)})
        assert answered.status_code == 201, answered.text

    spare = tokens[joint["activity_id"]][7]
    refusals = [
        (respond(anonymous, tokens[joint['activity_id']][0], {"answers": dict(ANSWERS, org_1=5)}),
         409, "already been answered"),
        (respond(anonymous, "svt_" + "0" * 43, {"answers": ANSWERS}),
         404, "not valid"),
        (respond(anonymous, spare, {"answers": ANSWERS}), 422, "org_1"),
        (respond(anonymous, spare, {"answers": dict(ANSWERS, org_1=5, knowledge=9)}), 422,
         "knowledge"),
        (respond(anonymous, spare, {"answers": dict(ANSWERS, org_1=5), "person": "Li"}), 422,
         "person"),
    ]
    for response, status, words in refusals:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.text
    assert cluster.db("evaluation")["responses"].count_documents({}) == 11

    # every instance stops while the surveys are open; the one that comes back closes them when due
    stop(cluster.second_evaluation)
    cluster.stop("evaluation")
    cluster.start("evaluation")
    assert api.get(survey).json()["status"] == "open"

    # the window closes by itself; each organizer of the completed activity is evaluated
    eventually(lambda: api.get(survey).json()["status"] == "closed", timeout=90, interval=0.5)
    closed = {c["activity_id"]: c for c in eventually(lambda: len(seen(tap, "survey.closed")) == 2
                                                      and seen(tap, "survey.closed"), timeout=20)}
    assert closed[joint["activity_id"]]["response_count"] == 6
    late = respond(anonymous, spare, {"answers": dict(ANSWERS, org_1=5)})
    assert late.status_code == 409 and "late responses are not counted" in late.text
    evaluated = eventually(lambda: len(seen(tap, "partner.evaluated")) == 3 and seen(tap, "partner.evaluated"),
                           timeout=20)
    assert len(seen(tap, "survey.invitations_issued")) == 2 and len(seen(tap, "survey.opened")) == 2, \
        "two instances, each survey opened once"
    museum = next(e for e in evaluated if e["partner_id"] == MUSEUM["partner_id"])
    assert museum["outcome_share_agreeing"] == pytest.approx(0.75) and museum["attendance_ratio"] == 0.8
    assert museum["contributions_delivered_ratio"] == 1.0 and museum["response_count"] == 6
    tap.close()

    # the coordination group's plan, and the term report in three forms
    plan = api.put("/v1/terms/2026-autumn/plan", json={"targets": [
        {"dimension": "level", "key": "outside", "target": 3},
        {"dimension": "activity_type", "key": "lecture", "target": 1},
        {"dimension": "outcome", "key": "knowledge", "measure": "share_agreeing", "target": 0.7}]})
    assert plan.status_code == 200, plan.text
    assert api.put("/v1/terms/2026-autumn/plan", json={"targets": [{"dimension": "moon", "target": 1}]}) \
        .status_code == 422
    report = api.get("/v1/terms/2026-autumn/report")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["summary"] == {"activities": 2, "completed": 2, "co_organized": 1, "invited": 16, "responses": 11,
                               "follow_up_responses": 0, "response_rate": 11 / 16}
    knowledge = body["synergy"]["joint_vs_single"]["items"]["knowledge"]
    assert (knowledge["n_a"], knowledge["agreeing_a"], knowledge["n_b"], knowledge["agreeing_b"]) == (6, 6, 5, 0)
    assert knowledge["real"] is True
    assert [t["status"] for t in body["plan"]["targets"]] == ["behind", "met", "uncertain"]
    rows = list(csv.DictReader(io.StringIO(api.get("/v1/terms/2026-autumn/report?format=csv").text)))
    assert any(r["section"] == "plan" and r["status"] == "behind" for r in rows)
    page = api.get("/v1/terms/2026-autumn/report", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    keep = Path(os.environ.get("EVALUATION_REPORT_DIR", tmp_path))  # set it to look at the page afterwards
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "report.html").write_text(page.text, encoding="utf-8")
    charts = [base64.b64decode(chunk.split('"')[0]) for chunk in page.text.split("data:image/png;base64,")[1:]]
    assert len(charts) == 4 and all(chart.startswith(b"\x89PNG") for chart in charts)
    unit = api.get(f"/v1/terms/2026-autumn/report?unit={MUSEUM['partner_id']}")
    assert unit.status_code == 200 and [a["activity_id"] for a in unit.json()["activities"]] == [joint["activity_id"]]
    assert anonymous.get("/v1/terms/2026-autumn/report").status_code == 401
    by_organizer = api.get("/v1/scores?by=organizer&term_id=2026-autumn").json()["groups"]
    assert by_organizer[MUSEUM["partner_id"]]["immediate"]["items"]["knowledge"]["share"] == 1.0
    assert api.get("/v1/scores?by=colour").status_code == 422
    synergy = api.get("/v1/terms/2026-autumn/synergy").json()
    assert synergy["groups"]["co_organized"] == {"activities": 1, "responses": 6}
    assert api.get("/v1/terms/2026-autumn/plan").json()["progress"]["behind"][0]["key"] == "outside"
    assert api.post(f"{survey}/close").status_code == 409
    assert api.get("/v1/terms/2026-autumn/report/term-end").status_code == 404  # the term has not ended
    assert api.get("/v1/terms/2026-autumn/report?format=pdf").status_code == 422
