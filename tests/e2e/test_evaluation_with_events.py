"""Evaluation with the real events service: a joint activity drafted, approved, published, attended (checked in
by code) and completed over HTTP; evaluation asks events for the attendees, invites them, takes their answers by
token, closes early on the coordination group's word, evaluates each organizer and reports."""
from __future__ import annotations

import json
import re

import pytest

from tests.e2e.test_walking_skeleton import FACULTY, YOUTH_LEAGUE, register
from tests.integration.test_events_flows import activity, at, ok, published
from tests.support.api import Api, eventually
from tests.support.smtp_server import SmtpServer
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

ANSWERS = {"knowledge": 5, "confidence": 4, "application": 4, "awareness": 2, "satisfaction": 5}


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def survey_tokens(smtp: SmtpServer) -> list[str]:
    """The tokens of the invitation emails received (the only place they are in clear)."""
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in list(smtp.messages)]
    return re.findall(r"/respond#(svt_[A-Za-z0-9_-]{43})", "\n".join(texts))


def test_a_completed_activity_is_surveyed_through_events_recipients_and_reported(make_cluster, smtp):
    cluster = make_cluster()
    cluster.start(extra_env=smtp.env)
    api, anonymous = cluster.api, Api(cluster.cluster.gateway_url, None)
    tap = Tap(cluster.amqp_uri, "#")
    faculty, league = register(api, FACULTY), register(api, YOUTH_LEAGUE)
    made = published(api, activity(faculty["id"], [league["id"]], capacity=10, starts_at=at(1), ends_at=at(3),
                                   aims=["information_literacy", "mind_and_sentiment"]))
    path = f"/v1/activities/{made['id']}"
    eventually(lambda: api.get(f"{path}/surveys").status_code == 200, timeout=20)
    codes = [ok(api.post(f"{path}/registrations", {"person_id": f"s{n}", "email": f"s{n}@uni.edu",
                                                   "language": "en" if n % 2 else "zh"}), 201)["code"]
             for n in range(7)]
    ok(api.post(f"{path}/start"))
    for code in codes[:6]:  # one registrant does not come
        ok(api.post(f"{path}/check-ins", {"code": code}))
    assert ok(api.post(f"{path}/complete"))["status"] == "completed"

    def invitations():
        tap.drain(0.3)
        return [json.loads(body)["data"] for properties, body in tap.messages
                if properties.type == "survey.invitations_issued"]
    issued = eventually(invitations, timeout=30)[0]
    assert sorted(i["email"] for i in issued["invitations"]) == [f"s{n}@uni.edu" for n in range(6)]
    assert all("token" not in i for i in issued["invitations"]), "the tokens go to notify by RPC, not on the bus"
    tokens = eventually(lambda: len(survey_tokens(smtp)) == 6 and survey_tokens(smtp), timeout=30)
    survey = ok(api.get(f"{path}/surveys/immediate"))
    assert survey["status"] == "open" and survey["invited_count"] == 6
    assert [i["key"] for i in survey["aim_items"]] == ["aim_information_literacy", "aim_mind_and_sentiment"]

    for token in tokens[:5]:
        ok(anonymous.post("/v1/respond", {"answers": ANSWERS}, headers={"Authorization": f"Survey {token}"}), 201)
    closed = ok(api.post(f"{path}/surveys/immediate/close"))
    assert closed["status"] == "closed" and closed["response_count"] == 5
    late = anonymous.post("/v1/respond", {"answers": ANSWERS}, headers={"Authorization": f"Survey {tokens[5]}"})
    assert late.status_code == 409

    def evaluated():
        tap.drain(0.3)
        return [json.loads(body)["data"] for properties, body in tap.messages if properties.type == "partner.evaluated"]
    evaluations = eventually(lambda: len(evaluated()) == 2 and evaluated(), timeout=20)
    assert {e["partner_id"] for e in evaluations} == {faculty["id"], league["id"]}
    assert all(e["outcome_share_agreeing"] == 0.75 and e["attendance_ratio"] == 0.6 for e in evaluations)
    tap.close()

    term = ok(api.get("/v1/scores?by=activity"))["term_id"]
    report = ok(api.get(f"/v1/terms/{term}/report"))
    assert report["summary"]["responses"] == 5 and report["summary"]["invited"] == 6
    assert report["scores"]["activity"][made["id"]]["immediate"]["items"]["knowledge"]["share"] == 1.0
    page = api.get(f"/v1/terms/{term}/report?format=html&unit={league['id']}")
    assert page.status_code == 200 and page.text.count("data:image/png;base64,") >= 3
