"""Hostile input changes nothing, over real HTTP on the real cluster: deep or oversized JSON, values that would be
coerced, control characters, oversized request lines and headers, trickled bodies, anonymous floods, attendee
token guessing. Each refusal is ``application/problem+json`` and stores nothing.

One cluster serves the module, with a small anonymous limit and a short body deadline. Tests that spend the
per-address limit send from their own loopback address (127.0.0.x), so that none spends another's.
"""
from __future__ import annotations

import http.client
import json
import secrets
import socket
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pymongo
import pytest
import requests
from pymongo import monitoring

from deploy.launcher import Cluster, isolated_env
from services.common import tokens
from services.events.registration import Roster
from services.events.store import EventsStore, _roster_doc
from tests.support import broker
from tests.support.activities import publish_through_approval
from tests.support.api import Api
from tests.support.world import created, lecture, partner_body

pytestmark = pytest.mark.cluster

ANONYMOUS_LIMIT = 10
BODY_SECONDS = 3
PROBLEM = "application/problem+json"


class Hostile:
    def __init__(self, cluster: Cluster, key: str, mongo, prefix: str):
        self.cluster, self.key, self.mongo, self.prefix = cluster, key, mongo, prefix
        self.api = Api(cluster.gateway_url, key)
        parts = urlsplit(cluster.gateway_url)
        self.host, self.port = parts.hostname, parts.port

    def db(self, service: str):
        return self.mongo[f"{self.prefix}{service}"]

    def request(self, method: str, path: str, source: str = "127.0.0.1", headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, dict, bytes]:
        """One request from a chosen loopback address (the gateway limits anonymous callers per address)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=20, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def hostile(rabbitmq, mongo_uri, mongo_client, tmp_path_factory):
    vhost = broker.create_vhost()
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    key = "syn_admin_" + secrets.token_urlsafe(16)
    env = isolated_env(broker.uri_for(vhost), mongo_uri, prefix, key)
    env.update({"API_ANONYMOUS_RATE_LIMIT_PER_MINUTE": str(ANONYMOUS_LIMIT),
                "API_BODY_READ_SECONDS": str(BODY_SECONDS)})
    log_dir = tmp_path_factory.mktemp("hostile-log")
    cluster = Cluster(env=env, log_dir=Path(log_dir))
    try:
        cluster.start()
        yield Hostile(cluster, key, mongo_client, prefix)
    finally:
        cluster.stop()
        for service in ("partners", "events", "evaluation", "notify", "gateway"):
            mongo_client.drop_database(f"{prefix}{service}")
        broker.delete_vhost(vhost)


def is_problem(status: int, headers: dict, body: bytes) -> dict:
    assert headers.get("content-type", "").startswith(PROBLEM), (status, headers, body[:300])
    payload = json.loads(body)
    assert payload["status"] == status, payload
    return payload


def test_json_nested_deeper_than_the_limit_is_a_problem_not_a_server_error(hostile):
    for depth in (40, 5000):
        body = b'{"name": ' + b"[" * depth + b"]" * depth + b', "level": "campus", "kind": "faculty"}'
        status, headers, raw = hostile.request("POST", "/v1/partners", body=body, headers={
            "Authorization": f"Bearer {hostile.key}", "Content-Type": "application/json"})
        assert status == 400, (depth, status, raw[:300])
        assert "deep" in is_problem(status, headers, raw)["detail"]
    huge = b'{"description": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    status, headers, raw = hostile.request("POST", "/v1/partners", body=huge, headers={
        "Authorization": f"Bearer {hostile.key}", "Content-Type": "application/json"})
    assert status == 413
    is_problem(status, headers, raw)
    # announced, never sent: refused at once, and the connection closed rather than drained
    status, headers, raw = hostile.request("POST", "/v1/partners", headers={
        "Authorization": f"Bearer {hostile.key}", "Content-Type": "application/json", "Content-Length": str(10**10)})
    assert status == 413 and headers["connection"] == "close"
    is_problem(status, headers, raw)
    assert hostile.db("partners")["partners"].count_documents({}) == 0


def test_a_refused_oversized_body_is_answered_not_reset(hostile):
    """A client still sending a body the server refused must read the 413, not a connection reset: the server
    stops writing and drains what is in flight before it closes (a close with unread data sends a reset, and the
    client's kernel then drops the answer it had not read yet)."""
    body = b"x" * (1024 * 1024 + 64 * 1024)
    head = (f"POST /v1/partners HTTP/1.1\r\nHost: {hostile.host}\r\nAuthorization: Bearer {hostile.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((hostile.host, hostile.port), timeout=20) as connection:
        connection.sendall(head)
        for start in range(0, len(body), 64 * 1024):  # still sending after the server has answered
            connection.sendall(body[start:start + 64 * 1024])
            time.sleep(0.01)
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert hostile.db("partners")["partners"].count_documents({}) == 0


def test_values_are_never_coerced_into_the_type_a_field_wants(hostile):
    lead = created(hostile.api.post("/v1/partners", partner_body("faculty", "campus")))["id"]
    activities = hostile.db("events")["activities"]
    before = activities.count_documents({})
    for field, value in (("capacity", 2.5), ("capacity", "3"), ("capacity", True), ("all_day", "yes"),
                         ("all_day", 1), ("setup_minutes", 1.0)):
        answer = hostile.api.post("/v1/activities", lecture(lead, []) | {field: value})
        assert answer.status_code == 422, (field, value, answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert field in answer.json()["errors"], (field, value, answer.json())
    assert activities.count_documents({}) == before
    venue = hostile.api.post("/v1/venues", {"name": "Reading room", "kind": "library_space", "capacity": 12.7})
    assert venue.status_code == 422 and "capacity" in venue.json()["errors"], venue.text
    fine = hostile.api.post("/v1/activities", lecture(lead, []) | {"capacity": 3, "all_day": False})
    assert created(fine)["capacity"] == 3


def test_control_characters_are_refused_and_cannot_shadow_a_name(hostile):
    partners = hostile.db("partners")["partners"]
    before = partners.count_documents({})
    name = f"Museum {uuid.uuid4().hex[:6]}"
    for bad in (f"{name}\x00one", f"{name}\x1b[31m", f"{name}\ud800", f"{name}\ufffe"):
        body = {"name": {"zh": name, "en": bad}, "level": "outside", "kind": "museum"}
        answer = hostile.api.post("/v1/partners", data=json.dumps(body, ensure_ascii=True),
                                  headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, (bad, answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert "name" in answer.json()["errors"], answer.json()
    assert partners.count_documents({}) == before
    plain = hostile.api.post("/v1/partners", {"name": {"zh": name, "en": name}, "level": "outside",
                                              "kind": "museum"})
    assert plain.status_code == 201, plain.text
    prose = hostile.api.patch(f"/v1/partners/{plain.json()['id']}", {"description": "Line one\nline two\tend"})
    assert prose.status_code == 200, prose.text


def test_framing_refusals_are_problems_too(hostile):
    auth = {"Authorization": f"Bearer {hostile.key}"}
    for cursor_length, expected in ((10_000, 414), (2_000, 400)):
        status, headers, raw = hostile.request("GET", "/v1/partners?cursor=" + "a" * cursor_length, headers=auth)
        assert status == expected, (cursor_length, status, raw[:200])
        is_problem(status, headers, raw)
    status, headers, raw = hostile.request("GET", "/v1/partners", headers={**auth, "X-Filler": "f" * 9000})
    assert status == 431, (status, raw[:200])
    is_problem(status, headers, raw)
    status, headers, raw = hostile.request("POST", "/v1/partners", body=b"{}", headers={
        **auth, "Content-Type": "application/json", "Content-Length": "-4"})
    assert status == 400, (status, raw[:200])
    is_problem(status, headers, raw)


def test_attendee_tokens_meet_the_address_limit_before_any_lookup(hostile):
    lead = created(hostile.api.post("/v1/partners", partner_body("faculty", "campus")))["id"]
    aid = created(hostile.api.post("/v1/activities", lecture(lead, [])))["id"]
    assert publish_through_approval(hostile.api, aid).status_code == 200
    registration = created(hostile.api.post(f"/v1/activities/{aid}/registrations",
                                            {"person_id": "stu_wang", "email": "stu_wang@uni.edu"}))
    path = f"/v1/activities/{aid}/registrations/{registration['registration_id']}"
    own = {"Authorization": f"Attendee {registration['attendee_token']}"}
    assert hostile.request("GET", path, source="127.0.0.7", headers=own)[0] == 200
    for _ in range(ANONYMOUS_LIMIT + 2):
        forged = {"Authorization": "Attendee att_" + secrets.token_urlsafe(32)}
        status, headers, raw = hostile.request("GET", path, source="127.0.0.7", headers=forged)
        if status == 429:
            break
        assert status == 401, raw
    assert status == 429 and int(headers["retry-after"]) >= 1, (status, raw)
    is_problem(status, headers, raw)
    # the address is over its limit: even the right token is not looked up; another address is served
    assert hostile.request("GET", path, source="127.0.0.7", headers=own)[0] == 429
    assert hostile.request("GET", path, source="127.0.0.8", headers=own)[0] == 200
    index = hostile.db("events")["attendee_tokens"].find_one({"registration_id": registration["registration_id"]})
    assert index is not None and index["activity_id"] == aid


def test_public_routes_are_limited_per_address_and_metrics_need_a_key(hostile):
    answers = [hostile.request("GET", "/v1/calendar.ics", source="127.0.0.9") for _ in range(ANONYMOUS_LIMIT + 1)]
    assert [status for status, _, _ in answers[:ANONYMOUS_LIMIT]] == [200] * ANONYMOUS_LIMIT
    status, headers, raw = answers[-1]
    assert status == 429 and int(headers["retry-after"]) >= 1
    is_problem(status, headers, raw)
    assert hostile.request("GET", "/openapi.json", source="127.0.0.9")[0] == 429
    assert hostile.request("GET", "/v1/calendar.ics", source="127.0.0.10")[0] == 200
    # probes stay answered (the readiness check is cached, not repeated per call)
    assert {hostile.request("GET", "/ready", source="127.0.0.9")[0] for _ in range(3)} == {200}
    status, headers, raw = hostile.request("GET", "/metrics", source="127.0.0.11")
    assert status == 401
    is_problem(status, headers, raw)
    keyed = hostile.request("GET", "/metrics", source="127.0.0.11", headers={"Authorization": f"Bearer {hostile.key}"})
    assert keyed[0] == 200 and b"synergy_http_requests_total" in keyed[2]


def trickle(hostile: Hostile, outcome: list, stop: threading.Event) -> None:
    """Send a POST's headers, then its body one byte at a time until the gateway answers or closes."""
    sock = socket.create_connection((hostile.host, hostile.port), timeout=1)
    sock.sendall((f"POST /v1/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {hostile.key}\r\n"
                  "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{").encode())
    answer = b""
    try:
        while not stop.is_set():
            try:
                answer = sock.recv(4096)
                break  # an answer, or b"" for a closed connection
            except TimeoutError:
                sock.sendall(b" ")
    except OSError:
        pass
    finally:
        sock.close()
    outcome.append(answer)


def test_a_trickled_body_is_cut_while_other_requests_are_served(hostile):
    outcomes: list[bytes] = []
    stop = threading.Event()
    senders = [threading.Thread(target=trickle, args=(hostile, outcomes, stop), daemon=True) for _ in range(12)]
    for sender in senders:
        sender.start()
    try:
        time.sleep(0.5)  # let the trickling clients take their places first (no condition to wait for here)
        served = hostile.api.get("/v1/partners")
        assert served.status_code == 200, served.text
        for sender in senders:
            sender.join(timeout=BODY_SECONDS * 6)
        assert len(outcomes) == len(senders), "a trickling client was never cut"
        for answer in outcomes:
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert any(answer.startswith(b"HTTP/1.1 408") for answer in outcomes)
        assert PROBLEM.encode() in next(a for a in outcomes if a)
    finally:
        stop.set()


def test_no_body_shape_makes_a_server_error_on_any_operation(hostile):
    """Every operation that takes a body gets a deep one, an oversized one and wrongly typed ones: 4xx only."""
    document = hostile.api.get("/openapi.json").json()
    bodies = [b"[" * 3000 + b"]" * 3000, b'{"a":' * 100 + b"1" + b"}" * 100, b"\"\\ud800\"",
              b'{"x": "' + b"y" * (1024 * 1024) + b'"}', b'{"capacity": 1e999}', b"[1, 2.5, true, null]"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch") or "requestBody" not in operation:
                continue
            concrete = path.replace("{", "").replace("}", "")
            for body in bodies:
                answer = requests.request(method, hostile.cluster.gateway_url + concrete, data=body, timeout=30,
                                          headers={"Authorization": f"Bearer {hostile.key}",
                                                   "Content-Type": "application/json"})
                assert answer.status_code < 500, (method, path, body[:40], answer.status_code, answer.text[:300])
                if answer.status_code >= 400:
                    assert answer.headers["content-type"].startswith(PROBLEM), (method, path, answer.headers)


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.finds: list[tuple[str, dict]] = []

    def started(self, event):
        if event.command_name == "find":
            self.finds.append((event.command["find"], dict(event.command.get("filter", {}))))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_an_attendee_token_is_found_by_its_indexed_hash_and_old_registrations_are_indexed_on_start(mongo_uri):
    commands = Commands()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[commands])
    name = f"t{uuid.uuid4().hex[:8]}_events"
    try:
        store = EventsStore(client[name])
        digest = tokens.token_hash("att_" + secrets.token_urlsafe(32))
        # a roster written before the token index existed
        roster = Roster("act_old")
        roster.registrations.append({"registration_id": "reg_old", "attendee_hash": digest, "state": "confirmed",
                                    "person": {"person_id": "stu_old"}})
        client[name]["rosters"].insert_one(_roster_doc(roster))
        store.ensure_indexes()
        commands.finds.clear()
        found = store.roster_of_attendee(digest)
        assert found is not None and found.by_attendee_hash(digest)["registration_id"] == "reg_old"
        assert store.roster_of_attendee("0" * 64) is None
        assert commands.finds and all(list(query) == ["_id"] for _, query in commands.finds), commands.finds
    finally:
        client.drop_database(name)
        client.close()
