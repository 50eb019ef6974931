"""Webhooks tell a partner only what the API would: on the real cluster, one activity's whole life (returned with
review comments, organizers' parts, a registrant checked in, completed, archived) is watched by `*` endpoints of
its lead organizer, its co-organizer and an unrelated partner; each real receiver gets what its owner may read
through the API, in the view its owner would get, and nothing else."""
from __future__ import annotations

import json

import pytest

from tests.e2e.test_walking_skeleton import FACULTY, YOUTH_LEAGUE, register
from tests.integration.test_events_flows import activity, at, ok
from tests.support.api import eventually
from tests.support.settle import bus_settled

pytestmark = pytest.mark.cluster

CLUB = {"name": {"zh": "读书会", "en": "Reading club"}, "level": "campus", "kind": "student_club"}
REVIEW_SECRET, LEAD_PART, CO_PART = "budget-line-7-unclear", "lead-hall-and-funding", "co-ten-guides"
STUDENT = {"person_id": "stu_audience", "email": "stu_audience@uni.edu", "language": "en"}

# event type -> who receives it: (lead, co-organizer, unrelated partner)
EXPECTED = {
    "activity.submitted": (True, True, False),
    "activity.returned": (True, True, False),
    "activity.approved": (True, True, False),
    "activity.published": (True, True, True),
    "activity.started": (True, True, True),
    "activity.completed": (True, True, True),
    "activity.archived": (True, True, False),
    "survey.prepared": (True, True, False),
    "participation.recorded": (True, True, False),
    "activity.updated": (True, True, True),  # published: the public view to others
    "activity.cancelled": (True, True, False),  # a draft called off: its organizers only
    "partner.review_started": (False, True, False),  # the co-organizer's own review: its own affair
}


def subscribe_everything(api, partner_id: str, url: str) -> dict:
    response = api.post(f"/v1/partners/{partner_id}/webhook-endpoints", {"url": url, "event_types": ["*"]})
    assert response.status_code == 201, response.text
    return response.json()


def live_one_activity(api, lead: str, co: str) -> str:
    made = ok(api.post("/v1/activities", activity(lead, [co], capacity=10, starts_at=at(1), ends_at=at(3))), 201)
    path = f"/v1/activities/{made['id']}"
    for partner_id, part in ((lead, LEAD_PART), (co, CO_PART)):
        ok(api.put(f"{path}/organizers/{partner_id}/contributions",
                   {"contributions": [{"kind": "funding", "committed": part, "delivered": True}]}))
    ok(api.post(f"{path}/submit"))
    ok(api.post(f"{path}/return", {"reasons": [REVIEW_SECRET], "comments": REVIEW_SECRET}))
    ok(api.post(f"{path}/submit"))
    ok(api.post(f"{path}/approve", {"comments": REVIEW_SECRET}))
    ok(api.post(f"{path}/publish"))
    etag = api.get(path).headers["ETag"]
    ok(api.patch(path, json={"description": "open to all"}, headers={"If-Match": etag}))
    code = ok(api.post(f"{path}/registrations", {k: STUDENT[k] for k in ("person_id", "email")}), 201)["code"]
    ok(api.post(f"{path}/start"))
    ok(api.post(f"{path}/check-ins", {"code": code}))
    ok(api.post(f"{path}/complete"))
    ok(api.post(f"{path}/archive"))
    draft = ok(api.post("/v1/activities", activity(lead, [co], starts_at=at(30), ends_at=at(32))), 201)
    ok(api.post(f"/v1/activities/{draft['id']}/cancel", {"reason": REVIEW_SECRET}))  # never published
    return made["id"]


def test_each_partners_endpoint_gets_only_the_events_and_fields_its_owner_may_read(cluster, webhook_server):
    api = cluster.api
    lead, co, stranger = register(api, FACULTY)["id"], register(api, YOUTH_LEAGUE)["id"], register(api, CLUB)["id"]
    owners = {"lead": lead, "co": co, "stranger": stranger}
    hooks = {name: subscribe_everything(api, pid, f"{webhook_server.url}/{name}") for name, pid in owners.items()}
    assert api.post(f"/v1/partners/{co}/review").status_code == 200
    activity_id = live_one_activity(api, lead, co)

    def delivered(name: str) -> list[dict]:
        items = api.get(f"/v1/partners/{owners[name]}/webhook-endpoints/{hooks[name]['id']}/deliveries",
                        params={"limit": 100}).json()["items"]
        return items
    eventually(lambda: {"activity.archived", "participation.recorded", "activity.cancelled"} <=
               {d["event_type"] for d in delivered("lead")}, timeout=40)
    bus_settled(cluster)  # every event is handled: every delivery it makes is stored
    eventually(lambda: all(d["state"] == "delivered" for name in owners for d in delivered(name)), timeout=20)

    got = {name: {} for name in owners}
    for name in owners:
        for received in webhook_server.to(f"/{name}"):
            event = json.loads(received.body)
            got[name].setdefault(event["type"], []).append(event["data"])
    for event_type, expected in EXPECTED.items():
        seen = tuple(event_type in got[name] for name in ("lead", "co", "stranger"))
        assert seen == expected, (event_type, seen)

    stranger_bodies = " ".join(r.body.decode() for r in webhook_server.to("/stranger"))
    for secret in (REVIEW_SECRET, LEAD_PART, CO_PART, STUDENT["person_id"], STUDENT["email"]):
        assert secret not in stranger_bodies, secret
    assert set(got["stranger"]) <= {"activity.published", "activity.started", "activity.completed",
                                    "activity.updated"}, got["stranger"].keys()
    completed = {name: got[name]["activity.completed"][0] for name in owners}
    assert "contributions" not in completed["stranger"] and "registered_count" not in completed["stranger"]
    assert completed["stranger"]["activity_id"] == activity_id
    assert [c["committed"] for c in completed["lead"]["contributions"]] == [LEAD_PART]
    assert [c["committed"] for c in completed["co"]["contributions"]] == [CO_PART]
    assert got["lead"]["activity.returned"][0]["reasons"] == [REVIEW_SECRET], "organizers keep the whole story"
    assert got["stranger"]["activity.updated"][0]["changes"] == {"description": {"before": "",
                                                                                 "after": "open to all"}}
    assert got["co"]["participation.recorded"][0]["person_id"] == STUDENT["person_id"]
    assert {d["partner_id"] for d in got["co"]["partner.review_started"]} == {co}
    assert not any(e["data"].get("partner_id") not in (None, owners[name])
                   for name in owners for r in webhook_server.to(f"/{name}")
                   if (e := json.loads(r.body))["type"].startswith("partner."))


# --- where a webhook goes: the address that was checked, within one deadline ------------------------------------

PUBLIC_ADDRESS = "93.184.216.34"  # globally routable; never actually reached here (connect is refused below)


def deliver_in_process(monkeypatch, url: str) -> dict:
    """One attempt of a due delivery by the real worker code, in this process, on mongomock; the attempt."""
    from datetime import UTC, datetime, timedelta

    import mongomock
    import requests

    from services.notify.delivery import DeliveryWorker
    from services.notify.domain import Delivery, Endpoint
    from services.notify.settings import NotifySettings
    from services.notify.store import NotifyStore

    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "0")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2")
    store = NotifyStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"])
    now = datetime.now(UTC)
    endpoint = Endpoint(id="ep_1", owner_partner_id="prt_1", url=url, event_types=["*"], description="",
                        secret="whsec_" + "A" * 44, status="enabled", created_at=now)
    store.add_endpoint(endpoint)
    delivery = Delivery(id="msg_1", endpoint_id="ep_1", owner_partner_id="prt_1", event_id="evt_1",
                        event_type="activity.published", body="{}", state="pending",
                        next_attempt_at=now - timedelta(seconds=1), created_at=now)
    store.add_delivery_once(delivery)
    worker = DeliveryWorker()
    worker.settings, worker.store, worker.session = NotifySettings.from_env(), store, requests.Session()
    (due, rev), = store.due_deliveries(now, 10)
    worker._send(endpoint, due, store.claim(due, rev, now + timedelta(seconds=30)))
    return store.deliveries.find_one({"_id": "msg_1"})["attempts"][0]


class Rebinding:
    """A resolver whose answer for one name changes: public first, then the loopback receiver (TTL 0)."""

    def __init__(self, monkeypatch, name: str, answers: list[str]):
        import socket
        self.name, self.answers, self.asked, self.connected = name, list(answers), 0, []
        real_resolve, real_connect = socket.getaddrinfo, socket.socket.connect

        def resolve(host, port, *args, **kwargs):
            if host != self.name:
                return real_resolve(host, port, *args, **kwargs)
            self.asked += 1
            address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]

        def connect(sock, address):
            self.connected.append(address[0])
            if address[0] == PUBLIC_ADDRESS:
                raise ConnectionRefusedError("not leaving the test machine")
            return real_connect(sock, address)
        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        monkeypatch.setattr(socket.socket, "connect", connect)


def test_a_dns_answer_that_changes_after_the_check_never_sends_the_webhook_to_loopback(monkeypatch,
                                                                                       webhook_server):
    port = webhook_server.url.rsplit(":", 1)[1]
    resolver = Rebinding(monkeypatch, "rebind.example", [PUBLIC_ADDRESS, "127.0.0.1"])
    attempt = deliver_in_process(monkeypatch, f"http://rebind.example:{port}/internal")
    assert webhook_server.received == [], "the request reached the loopback receiver"
    assert resolver.asked == 1 and resolver.connected == [PUBLIC_ADDRESS], "resolved once, sent to that address"
    assert attempt["status_code"] is None and attempt["error"]


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["10.0.0.7"], ["169.254.169.254"]])
def test_an_attempt_to_a_refused_address_says_only_that_whatever_listens_there(monkeypatch, webhook_server,
                                                                               answers):
    port = webhook_server.url.rsplit(":", 1)[1]
    resolver = Rebinding(monkeypatch, "inside.example", answers)
    attempts = [deliver_in_process(monkeypatch, f"http://inside.example:{p}/x") for p in (port, "1")]
    assert resolver.connected == [] and webhook_server.received == []
    assert [(a["status_code"], a["error"]) for a in attempts] == [(None, "address not allowed")] * 2
    assert all(a["latency_ms"] == 0 for a in attempts), "no timing to tell an open port from a closed one"


class TricklingReceiver:
    """A real HTTP receiver that reads the request, then answers one byte every ``pause`` seconds for a minute:
    never slow enough for a per-read timeout, far too slow for a whole answer."""

    def __init__(self, pause: float = 0.3):
        import socketserver
        import threading
        import time
        self.connections: list[tuple[float, bytes]] = []
        self.closed_at: list[float] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                head = b""
                while b"\r\n\r\n" not in head:
                    head += self.request.recv(65536)
                outer.connections.append((time.monotonic(), head))
                answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"." * 400
                try:
                    for byte in answer:
                        self.request.sendall(bytes([byte]))
                        time.sleep(pause)
                except OSError:
                    outer.closed_at.append(time.monotonic())

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slow"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_trickling_its_answer_is_cut_at_the_deadline_and_never_sent_the_message_twice(make_cluster):
    import time

    from tests.e2e.test_walking_skeleton import MUSEUM
    from tests.integration.test_notify_webhooks import activity_data, deliveries, start, subscribe
    from tests.support.tap import publish_event

    receiver = TricklingReceiver()
    try:
        cluster = start(make_cluster, WEBHOOK_TIMEOUT_SECONDS="2")  # a lease of 2 + 10 s
        api = cluster.api
        museum = register(api, MUSEUM)["id"]
        hook = subscribe(api, museum, receiver.url)
        publish_event(cluster.amqp_uri, "activity.published", activity_data("act_trickle", [museum]))
        eventually(lambda: receiver.connections, timeout=15)
        sent = receiver.connections[0][0]
        attempt = eventually(lambda: (found := deliveries(api, museum, hook["id"])) and found[0]["attempts"]
                             and found[0]["attempts"][0], timeout=15)
        recorded = time.monotonic()
        assert attempt["status_code"] is None and attempt["error"] == "deadline passed", attempt
        assert recorded - sent < 6, "cut at the 2 s deadline, long before the lease lapses"
        assert 1900 <= attempt["latency_ms"] <= 4000, attempt
        assert len(receiver.connections) == 1, "not sent again while the first attempt was still reading"
        eventually(lambda: receiver.closed_at, timeout=5)
    finally:
        receiver.stop()
