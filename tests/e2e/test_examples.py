"""The examples under examples/ run against the real cluster, as a partner's developer would run them."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pika
import pytest
from standardwebhooks.webhooks import Webhook

from deploy import bus_access
from deploy.launcher import ROOT, free_port
from synergy_client import SynergyClient
from synergy_client.bus import INGRESS_EXCHANGE
from tests.support.api import eventually

MUSEUM = {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"}, "level": "outside",
          "kind": "science_museum"}
LEAGUE = {"name": {"zh": "校团委", "en": "Youth League Committee"}, "level": "campus", "kind": "youth_league"}


def example_env(cluster=None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNERGY_")}
    env["PYTHONPATH"] = str(ROOT)
    if cluster is not None:
        env.update(SYNERGY_API_URL=cluster.cluster.gateway_url, SYNERGY_API_KEY=cluster.key,
                   AMQP_URI=cluster.amqp_uri)
    return env


def run_example(module: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"examples.{module}", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def start_example(module: str, *args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", f"examples.{module}", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log.open("wb"), text=True)
    eventually(lambda: "listening on" in log.read_text() or proc.poll() is not None, timeout=20)
    assert proc.poll() is None, log.read_text()
    return proc


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def signed(secret: str, msg_id: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, UTC), body.decode())
    return body, {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": signature,
                  "content-type": "application/json"}


@pytest.mark.cluster
def test_the_faculty_portal_publishes_a_lecture_over_http(cluster):
    client = SynergyClient(cluster.cluster.gateway_url, cluster.key)
    league = client.register_partner(LEAGUE)
    first = run_example("faculty_portal", "--lecture-id", "hist-1", "--co", league.id, env=example_env(cluster))
    assert first.returncode == 0, first.stderr
    published = json.loads(first.stdout)
    assert published["status"] == "published"
    assert [o["role"] for o in published["organizers"]] == ["lead", "co_organizer"]
    lead = published["organizers"][0]["partner_id"]
    # every service reacted: the lead's collaboration, the survey, the co-organizer's inbox
    eventually(lambda: client.partner(lead).collaborations, timeout=20)
    eventually(lambda: [i for i in client.inbox(league.id) if i.activity_id == published["id"]], timeout=20)
    second = run_example("faculty_portal", "--lecture-id", "hist-2", env=example_env(cluster))
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["organizers"][0]["partner_id"] == lead  # found itself, not registered twice
    assert len([p for p in client.partners(kind="faculty")]) == 1

    refused = run_example("faculty_portal", "--lecture-id", "hist-3", "--co", "prt_01aaaaaaaaaaaaaaaaaaaaaaaa",
                          env=example_env(cluster))
    assert refused.returncode == 1 and "co_organizers" in json.loads(refused.stderr)["errors"]


def test_the_faculty_portal_reports_an_unreachable_cluster():
    env = dict(example_env(), SYNERGY_API_URL=f"http://127.0.0.1:{free_port()}", SYNERGY_API_KEY="k")
    assert run_example("faculty_portal", env=env).returncode == 3


@pytest.mark.cluster
def test_the_museum_receives_verifies_and_deduplicates_webhooks(cluster, tmp_path):
    client = SynergyClient(cluster.cluster.gateway_url, cluster.key)
    museum = client.register_partner(MUSEUM)
    port = free_port()
    url = f"http://127.0.0.1:{port}/synergy-hooks"
    endpoint = client.create_endpoint({"owner_partner_id": museum.id, "url": url,
                                       "event_types": ["activity.published"]})
    secret_file = tmp_path / "whsec.txt"
    secret_file.write_text(endpoint.secret)
    proc = start_example("museum_webhooks", "--secret-file", str(secret_file), "--port", str(port),
                         "--exit-after", "2", env=example_env(cluster), log=tmp_path / "museum.log")
    try:
        forged_body, forged_headers = signed("whsec_" + base64.b64encode(b"not the secret 0123456789").decode(),
                                             "msg_forged", {"type": "activity.published", "data": {}})
        assert post(url, forged_body, forged_headers) == 401
        assert post(url, b"{}", {"content-type": "application/json"}) == 401
        own_body, own_headers = signed(endpoint.secret, "msg_own_1", {
            "type": "activity.published", "timestamp": "2026-11-26T00:00:00Z",
            "data": {"activity_id": "act_own", "title": {"zh": "自测"}, "starts_at": "2026-12-01T02:00:00Z"}})
        assert post(url, own_body, own_headers) == 204
        assert post(url, own_body, own_headers) == 204  # a retry: answered, not handled twice

        lead = client.register_partner({"name": {"zh": "历史学院"}, "level": "campus", "kind": "faculty"})
        result = run_example("faculty_portal", "--lecture-id", "m-0", "--co", lead.id, env=example_env(cluster))
        assert result.returncode == 1  # a partner may not co-organize its own lecture: the portal is told why
        published = json.loads(run_example("faculty_portal", "--lecture-id", "m-1", env=example_env(cluster)).stdout)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["activity_id"] for line in lines] == ["act_own", published["id"]]
    assert lines[1]["type"] == "activity.published" and lines[1]["title"] == published["title"]["zh"]
    assert proc.returncode == 0
    # notify records the attempt once the answer is in: the receiver may have exited just before
    eventually(lambda: [d.state for d in client.deliveries(endpoint.id)] == ["delivered"], timeout=10)


INGRESS_QUEUE = "synergy.events.ingress"  # where the events service takes what comes in on the ingress


def ingress_consumed(amqp_uri: str) -> bool:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(INGRESS_EXCHANGE, passive=True)
        return channel.queue_declare(INGRESS_QUEUE, passive=True).method.consumer_count > 0
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        if connection.is_open:
            connection.close()


@pytest.mark.cluster
def test_the_youth_league_publishes_over_the_bus_and_gets_the_answer(cluster):
    assert eventually(lambda: ingress_consumed(cluster.amqp_uri), timeout=15), \
        f"no {INGRESS_EXCHANGE} exchange with the events service consuming {INGRESS_QUEUE}"
    client = SynergyClient(cluster.cluster.gateway_url, cluster.key)
    league = client.register_partner(LEAGUE)
    granted = bus_access.grant(cluster.amqp_uri, f"youth-league-{uuid.uuid4().hex[:8]}", league.id)
    env = dict(example_env(cluster), AMQP_URI=granted.uri_for(cluster.amqp_uri))  # the league's own broker user
    try:
        accepted = run_example("youth_league_bus", "submit", "--lead", league.id, env=env)
        assert accepted.returncode == 0, accepted.stderr
        answer = json.loads(accepted.stdout)
        assert answer["status"] == "accepted"
        activity = client.activity(answer["activity_id"])
        assert (activity.lead_organizer, activity.status) == (league.id, "submitted")
        refused = run_example("youth_league_bus", "submit", "--lead", "prt_01aaaaaaaaaaaaaaaaaaaaaaaa", env=env)
        assert refused.returncode == 1, refused
    finally:
        bus_access.revoke(cluster.amqp_uri, granted.user)


def test_the_youth_league_adds_each_participation_once_to_its_hours_ledger(tmp_path):
    """The receiving half of the youth league example, on the agreed participation.recorded contract."""
    secret = "whsec_" + base64.b64encode(b"youth league secret 0123456789").decode()
    (tmp_path / "whsec.txt").write_text(secret)
    port = free_port()
    proc = start_example("youth_league_bus", "hours", "--secret-file", str(tmp_path / "whsec.txt"), "--ledger",
                         str(tmp_path / "hours.json"), "--port", str(port), "--exit-after", "3",
                         env=example_env(), log=tmp_path / "league.log")
    url = f"http://127.0.0.1:{port}/hours"
    try:
        def participation(msg_id: str, person: str, activity: str, hours: float):
            return signed(secret, msg_id, {"type": "participation.recorded", "timestamp": "2026-12-01T00:00:00Z",
                                           "data": {"person_id": person, "activity_id": activity,
                                                    "kind": "volunteered", "hours": hours,
                                                    "recorded_at": "2026-12-01T00:00:00Z"}})
        assert post(url, *participation("msg_1", "per_a", "act_1", 3.5)) == 204
        assert post(url, *participation("msg_1", "per_a", "act_1", 3.5)) == 204   # the same delivery again
        assert post(url, *participation("msg_2", "per_a", "act_2", 2)) == 204
        assert post(url, *participation("msg_3", "per_a", "act_2", 2)) == 204     # the same fact, a new event
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    ledger = json.loads((tmp_path / "hours.json").read_text())
    assert ledger["hours"] == {"per_a": 5.5}
