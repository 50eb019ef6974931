"""Webhook subscriptions and delivery on the real cluster, against real local HTTP servers.

Subscriptions per partner with filters, public types only, secret rotation, slow / rate-limited / busy
endpoints, 410 and failing-for-days disabling (owner told), replay, and crashes in the middle of retries.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from services.common import failpoints
from services.common.clock import isoformat
from services.notify.verify import InvalidWebhook, WebhookReceiver
from tests.e2e.test_walking_skeleton import FACULTY, MUSEUM, lecture, register
from tests.support.activities import approve_partner, publish_through_approval
from tests.support.api import eventually
from tests.support.settle import bus_settled
from tests.support.tap import publish_event
from tests.support.webhook_server import WebhookServer

pytestmark = pytest.mark.cluster


def start(make_cluster, **notify_env):
    """The cluster with extra settings for notify only."""
    cluster = make_cluster()
    cluster.start("evaluation", wait=False)
    cluster.start("notify", wait=False, extra_env=notify_env)
    cluster.start("partners", "events", wait=False)
    cluster.start("gateway")
    # readiness is an RPC answer; the event queues are bound once the whole service has started
    log = cluster.cluster.log_dir / "notify.log"
    eventually(lambda: "notify ready" in log.read_text(errors="replace"), timeout=30)
    return cluster


def subscribe(api, partner_id: str, url: str, event_types=("activity.published",), **extra) -> dict:
    response = api.post(f"/v1/partners/{partner_id}/webhook-endpoints",
                        {"url": url, "event_types": list(event_types), **extra})
    assert response.status_code == 201, response.text
    return response.json()


def activity_data(activity_id: str, organizers: list[str], *, themes=("science",), starts_in=timedelta(days=3)):
    starts = datetime.now(UTC) + starts_in
    return {"activity_id": activity_id, "title": {"zh": "科学讲座", "en": "Science lecture"},
            "activity_type": "lecture", "paths": ["activity"], "themes": list(themes),
            "starts_at": isoformat(starts), "ends_at": isoformat(starts + timedelta(hours=2)), "venue": "Hall",
            "published_at": isoformat(datetime.now(UTC)),
            "organizers": [{"partner_id": pid, "name": {"zh": "单位"}, "role": "lead" if n == 0 else "co_organizer",
                            "level": "campus"} for n, pid in enumerate(organizers)]}


def deliveries(api, partner_id: str, endpoint_id: str) -> list[dict]:
    response = api.get(f"/v1/partners/{partner_id}/webhook-endpoints/{endpoint_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def settled(api, partner_id: str, endpoint_id: str, count: int = 1, state: str = "delivered") -> list[dict]:
    return eventually(lambda: (found := [d for d in deliveries(api, partner_id, endpoint_id) if d["state"] == state])
                      and len(found) >= count and found, timeout=20)


def test_endpoints_belong_to_a_partner_follow_their_filters_and_get_public_types_only(cluster, webhook_server):
    api = cluster.api
    faculty, museum = register(api, FACULTY), register(api, MUSEUM)
    approve_partner(cluster, museum)  # qualified before it subscribes: its review's events are not in this test
    mine = subscribe(api, museum["id"], webhook_server.url + "/mine", ["activity.published", "activity.cancelled"],
                     filters={"organizer": [museum["id"]]}, description="museum CMS")
    history = subscribe(api, museum["id"], webhook_server.url + "/history", ["*"], filters={"theme": ["history"]})
    everything = subscribe(api, faculty["id"], webhook_server.url + "/all", ["*"])
    assert mine["secret"].startswith("whsec_") and mine["filters"] == {"organizer": [museum["id"]]}

    # bad input: a clear error, nothing stored
    before = len(api.get(f"/v1/partners/{museum['id']}/webhook-endpoints").json()["items"])
    for payload, field in [({"url": webhook_server.url, "event_types": ["registration.confirmed"]}, "event_types"),
                           ({"url": webhook_server.url, "event_types": ["*"], "filters": {"colour": ["x"]}}, "filters"),
                           ({"url": "ftp://example.org/x", "event_types": ["*"]}, "url"),
                           ({"event_types": ["*"]}, "url"),
                           ({"url": webhook_server.url, "event_types": []}, "event_types"),
                           ({"url": webhook_server.url, "event_types": ["*"], "$where": "1"}, "$where")]:
        response = api.post(f"/v1/partners/{museum['id']}/webhook-endpoints", payload)
        assert response.status_code == 422, (payload, response.text)
        assert field in str(response.json()["errors"]), (field, response.json())
    assert api.post("/v1/partners/not-a-partner/webhook-endpoints",
                    {"url": webhook_server.url, "event_types": ["*"]}).status_code == 422
    listed = api.get(f"/v1/partners/{museum['id']}/webhook-endpoints").json()["items"]
    assert len(listed) == before == 2 and all("secret" not in e for e in listed)

    # the owner sees its own endpoints and deliveries only
    assert api.get(f"/v1/partners/{faculty['id']}/webhook-endpoints/{mine['id']}").status_code == 404
    assert api.get(f"/v1/partners/{faculty['id']}/webhook-endpoints/{mine['id']}/deliveries").status_code == 404
    assert "secret" not in api.get(f"/v1/partners/{museum['id']}/webhook-endpoints/{mine['id']}").json()

    activity = api.post("/v1/activities", lecture(faculty["id"], [museum["id"]])).json()
    assert publish_through_approval(api, activity["id"]).status_code == 200
    mine_received = eventually(lambda: webhook_server.to("/mine"), timeout=10)
    event = WebhookReceiver(mine["secret"]).receive(mine_received[0].body, mine_received[0].headers)
    assert event["type"] == "activity.published" and event["data"]["activity_id"] == activity["id"]
    eventually(lambda: {r.headers["webhook-id"] for r in webhook_server.to("/all")} and
               {d["event_type"] for d in deliveries(api, faculty["id"], everything["id"])} >=
               {"activity.published", "survey.prepared"}, timeout=10)

    # an internal type (personal data) never reaches any endpoint; a cancellation reaches the filtered one
    person = {"person_id": "stu_1", "email": "stu1@example.edu", "language": "en"}
    publish_event(cluster.amqp_uri, "registration.confirmed", {
        "registration_id": "reg_1", "activity_id": activity["id"], "title": activity["title"],
        "starts_at": "2026-12-05T02:00:00.000Z", "person": person, "code": "K7Q2"})
    publish_event(cluster.amqp_uri, "activity.cancelled", {
        "activity_id": activity["id"], "title": activity["title"], "reason": "venue flooded",
        "starts_at": "2026-12-05T02:00:00.000Z", "was_published": True,
        "organizers": [{"partner_id": museum["id"], "name": MUSEUM["name"], "role": "co_organizer",
                        "level": "outside"}]})
    eventually(lambda: len(webhook_server.to("/mine")) == 2, timeout=10)
    bus_settled(cluster)  # both events are handled: every delivery they make is stored
    types_to_all = {d["event_type"] for d in deliveries(api, faculty["id"], everything["id"])}
    assert "registration.confirmed" not in types_to_all and "activity.cancelled" in types_to_all
    assert webhook_server.to("/history") == [] and deliveries(api, museum["id"], history["id"]) == []
    assert len(webhook_server.to("/mine")) == 2
    assert all(b"stu1@example.edu" not in r.body for r in webhook_server.received)


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(cluster, webhook_server):
    api = cluster.api
    museum = register(api, MUSEUM)
    hook = subscribe(api, museum["id"], webhook_server.url + "/rot")
    base = f"/v1/partners/{museum['id']}/webhook-endpoints/{hook['id']}"
    assert api.post(base + "/rotate-secret", {"overlap_hours": -1}).status_code == 422
    assert api.post(base + "/rotate-secret", {"overlap_hours": 1, "x": 1}).status_code == 422
    rotated = api.post(base + "/rotate-secret", {"overlap_hours": 1})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["secret"]
    assert second != hook["secret"] and rotated.json()["rotation_ends_at"]
    assert "secret" not in api.get(base).json()

    publish_event(cluster.amqp_uri, "activity.published", activity_data("act_rot1", [museum["id"]]))
    first_message = eventually(lambda: webhook_server.to("/rot"), timeout=10)[0]
    assert len(first_message.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], second):
        assert WebhookReceiver(secret).verify(first_message.body, first_message.headers)["data"]["activity_id"] == \
            "act_rot1"

    third = api.post(base + "/rotate-secret", {"overlap_hours": 0}).json()["secret"]
    publish_event(cluster.amqp_uri, "activity.published", activity_data("act_rot2", [museum["id"]]))
    latest = eventually(lambda: len(webhook_server.to("/rot")) == 2 and webhook_server.to("/rot")[1], timeout=10)
    WebhookReceiver(third).verify(latest.body, latest.headers)
    WebhookReceiver(hook["secret"]).verify(latest.body, latest.headers)  # its overlap of one hour still runs
    with pytest.raises(InvalidWebhook):
        WebhookReceiver(second).verify(latest.body, latest.headers)


def test_slow_rate_limited_and_busy_endpoints_are_retried_without_holding_up_the_others(make_cluster):
    servers = {name: WebhookServer().start() for name in ("healthy", "slow", "limited", "busy")}
    try:
        servers["slow"].behaviour.queued.append((200, {}, 3.0))
        servers["limited"].behaviour.queued.append((429, {"Retry-After": "6"}, 0.0))
        servers["busy"].behaviour.default = (200, {}, 0.5)
        cluster = start(make_cluster, WEBHOOK_TIMEOUT_SECONDS="1", WEBHOOK_CONCURRENCY_PER_ENDPOINT="2")
        api = cluster.api
        museum = register(api, MUSEUM)
        hooks = {name: subscribe(api, museum["id"], server.url + "/h") for name, server in servers.items()}
        for n in range(6):
            publish_event(cluster.amqp_uri, "activity.published", activity_data(f"act_busy{n}", [museum["id"]]))

        settled(api, museum["id"], hooks["healthy"]["id"], 6)
        assert len(servers["healthy"].received) == 6
        pages = f"/v1/partners/{museum['id']}/webhook-endpoints/{hooks['healthy']['id']}/deliveries"
        first = api.get(pages, params={"limit": 4}).json()
        rest = api.get(pages, params={"limit": 4, "before": first["next"]}).json()
        assert len(first["items"]) == 4 and len(rest["items"]) == 2 and rest["next"] is None
        assert len({d["id"] for d in first["items"] + rest["items"]}) == 6
        assert api.get(pages, params={"before": "x'; drop"}).status_code == 422
        busy = settled(api, museum["id"], hooks["busy"]["id"], 6)
        assert servers["busy"].max_in_flight <= 2, "at most two requests at a time to one endpoint"
        assert all(len(d["attempts"]) == 1 for d in busy)

        slow = settled(api, museum["id"], hooks["slow"]["id"], 6)
        timed_out = [d for d in slow if len(d["attempts"]) == 2]
        assert len(timed_out) == 1 and timed_out[0]["attempts"][0]["error"] == "deadline passed"
        assert [a["status_code"] for a in timed_out[0]["attempts"]] == [None, 200]

        limited = settled(api, museum["id"], hooks["limited"]["id"], 6)
        retried = [d for d in limited if len(d["attempts"]) == 2]
        assert len(retried) == 1 and [a["status_code"] for a in retried[0]["attempts"]] == [429, 200]
        first = retried[0]["attempts"][0]
        wait = datetime.fromisoformat(first["next_attempt_at"]) - datetime.fromisoformat(first["at"])
        assert wait >= timedelta(seconds=6), "Retry-After honoured"
        ids = [r.headers["webhook-id"] for r in servers["limited"].received]
        assert len(ids) == 7 and len(set(ids)) == 6, "the retry carries the same webhook-id"
    finally:
        for server in servers.values():
            server.stop()


def test_410_or_failing_for_days_disables_an_endpoint_tells_its_owner_and_replay_brings_messages_back(
        make_cluster):
    gone, failing = WebhookServer().start(), WebhookServer().start()
    try:
        gone.behaviour.default = (410, {}, 0.0)
        failing.behaviour.default = (500, {}, 0.0)
        cluster = start(make_cluster, WEBHOOK_DISABLE_AFTER_DAYS="0.00003")  # about 2.6 s
        api = cluster.api
        museum = register(api, MUSEUM)
        since = isoformat(datetime.now(UTC) - timedelta(seconds=1))
        gone_hook = subscribe(api, museum["id"], gone.url + "/g")
        failing_hook = subscribe(api, museum["id"], failing.url + "/f")
        base = f"/v1/partners/{museum['id']}/webhook-endpoints"
        publish_event(cluster.amqp_uri, "activity.published", activity_data("act_gone", [museum["id"]]))

        def status(hook):
            return api.get(f"{base}/{hook['id']}").json()

        eventually(lambda: status(gone_hook)["status"] == "disabled", timeout=10)
        assert status(gone_hook)["disabled_reason"] == "gone" and len(gone.received) == 1
        eventually(lambda: status(failing_hook)["status"] == "disabled", timeout=20)
        assert status(failing_hook)["disabled_reason"] == "failing" and len(failing.received) == 2
        bus_settled(cluster)  # each endpoint.disabled has reached the owner's inbox (the second came seconds later)
        told = [i for i in api.get(f"/v1/partners/{museum['id']}/inbox").json()["items"]
                if i["event_type"] == "endpoint.disabled"]
        assert len(told) == 2 and any("410" in i["body"]["en"] for i in told)

        # replay: refused while disabled; after the fix and enabling, every failed message since a time goes again
        assert api.post(f"{base}/{gone_hook['id']}/replay", {"since": since}).status_code == 409
        assert api.post(f"{base}/{gone_hook['id']}/replay", {}).status_code == 422
        assert api.post(f"{base}/{gone_hook['id']}/replay", {"since": "2026-11-01T08:00:00"}).status_code == 422
        assert api.patch(f"{base}/{gone_hook['id']}", json={"status": "paused"}).status_code == 422
        gone.behaviour.default = (204, {}, 0.0)
        enabled = api.patch(f"{base}/{gone_hook['id']}", json={"status": "enabled"})
        assert enabled.status_code == 200 and enabled.json()["status"] == "enabled"
        replayed = api.post(f"{base}/{gone_hook['id']}/replay", {"since": since})
        assert replayed.status_code == 202 and replayed.json()["count"] == 1
        eventually(lambda: len(gone.received) == 2, timeout=10)
        delivered = settled(api, museum["id"], gone_hook["id"])[0]
        assert [a["status_code"] for a in delivered["attempts"]] == [410, 204]
        assert gone.received[0].headers["webhook-id"] == gone.received[1].headers["webhook-id"] == delivered["id"]

        # one message again, on demand; another partner cannot see or replay it
        other = register(api, FACULTY)
        assert api.post(f"/v1/partners/{other['id']}/webhook-deliveries/{delivered['id']}/replay").status_code == 404
        assert api.get(f"/v1/partners/{other['id']}/webhook-deliveries/{delivered['id']}").status_code == 404
        shown = api.get(f"/v1/partners/{museum['id']}/webhook-deliveries/{delivered['id']}").json()
        assert '"act_gone"' in shown["body"]
        again = api.post(f"/v1/partners/{museum['id']}/webhook-deliveries/{delivered['id']}/replay")
        assert again.status_code == 202, again.text
        eventually(lambda: len(gone.received) == 3, timeout=10)
        assert gone.received[2].headers["webhook-id"] == delivered["id"]
    finally:
        gone.stop()
        failing.stop()


def test_a_restart_in_the_middle_of_retries_loses_no_delivery(make_cluster, webhook_server):
    webhook_server.behaviour.queued.append((503, {}, 0.0))
    cluster = start(make_cluster)
    api = cluster.api
    museum = register(api, MUSEUM)
    hook = subscribe(api, museum["id"], webhook_server.url + "/r")
    publish_event(cluster.amqp_uri, "activity.published", activity_data("act_restart", [museum["id"]]))
    eventually(lambda: (found := deliveries(api, museum["id"], hook["id"])) and len(found[0]["attempts"]) == 1,
               timeout=10)
    cluster.kill("notify")  # a crash while the delivery waits for its retry
    cluster.start("notify")
    delivered = settled(api, museum["id"], hook["id"])[0]
    assert [a["status_code"] for a in delivered["attempts"]] == [503, 200]
    received = webhook_server.to("/r")
    assert len(received) == 2 and received[0].headers["webhook-id"] == received[1].headers["webhook-id"]


def test_a_crash_between_sending_and_recording_sends_once_more_with_the_same_webhook_id(make_cluster,
                                                                                         webhook_server):
    cluster = start(make_cluster, SYNERGY_FAILPOINT="webhook.after_send", WEBHOOK_TIMEOUT_SECONDS="2")
    api = cluster.api
    museum = register(api, MUSEUM)
    hook = subscribe(api, museum["id"], webhook_server.url + "/c")
    publish_event(cluster.amqp_uri, "activity.published", activity_data("act_crash", [museum["id"]]))
    assert cluster.cluster.wait_exit("notify") == failpoints.EXIT_CODE
    assert len(webhook_server.to("/c")) == 1
    stored = cluster.db("notify")["deliveries"].find_one({"endpoint_id": hook["id"]})
    assert stored["state"] == "pending" and stored["attempts"] == [] and stored["lease_until"] is not None

    cluster.start("notify", extra_env={"WEBHOOK_TIMEOUT_SECONDS": "2"})
    delivered = settled(api, museum["id"], hook["id"])[0]
    assert [a["status_code"] for a in delivered["attempts"]] == [200], "the attempt lost in the crash is not made up"
    received = webhook_server.to("/c")
    assert len(received) == 2 and {r.headers["webhook-id"] for r in received} == {delivered["id"]}
    time.sleep(1.5)
    assert len(webhook_server.to("/c")) == 2
