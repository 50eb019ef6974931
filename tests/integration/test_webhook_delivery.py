"""Webhook delivery against a real local HTTP server: retried after failure with the same id; 410 disables."""
from __future__ import annotations

import pytest

from services.common.clock import parse_iso
from services.notify.verify import WebhookReceiver
from tests.e2e.test_walking_skeleton import FACULTY, MUSEUM, lecture, register
from tests.support.activities import approve_partner, publish_through_approval
from tests.support.api import eventually

pytestmark = pytest.mark.cluster


def publish_one(cluster, webhook_server, path: str) -> tuple[dict, str]:
    api = cluster.api
    faculty, museum = register(api, FACULTY), register(api, MUSEUM)
    hook = api.post("/v1/webhook-endpoints", {"owner_partner_id": museum["id"], "url": webhook_server.url + path,
                                              "event_types": ["activity.published"]}).json()
    approve_partner(cluster, museum)
    activity = api.post("/v1/activities", lecture(faculty["id"], [museum["id"]])).json()
    assert publish_through_approval(api, activity["id"]).status_code == 200
    return hook, activity["id"]


def test_a_failing_endpoint_gets_the_same_message_again_until_it_accepts(cluster, webhook_server):
    webhook_server.behaviour.queued.append((500, {}, 0.0))
    hook, activity_id = publish_one(cluster, webhook_server, "/flaky")

    received = eventually(lambda: len(webhook_server.to("/flaky")) >= 2 and webhook_server.to("/flaky"),
                          timeout=12)
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
    receiver = WebhookReceiver(hook["secret"])
    assert receiver.receive(received[1].body, received[1].headers)["data"]["activity_id"] == activity_id

    def delivered():
        items = cluster.api.get(f"/v1/webhook-endpoints/{hook['id']}/deliveries").json()["items"]
        return items and items[0]["state"] == "delivered" and items[0]
    delivery = eventually(delivered, timeout=5)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    first, second = delivery["attempts"]
    pause = (parse_iso(first["next_attempt_at"]) - parse_iso(first["at"])).total_seconds()
    assert 4.0 <= pause <= 6.0, "first retry planned 5 s (+-20 % jitter) after the failure"
    assert parse_iso(second["at"]) >= parse_iso(first["next_attempt_at"]), "not sent before it was due"


def test_410_gone_disables_the_endpoint_at_once(cluster, webhook_server):
    webhook_server.behaviour.default = (410, {}, 0.0)
    hook, _ = publish_one(cluster, webhook_server, "/gone")
    eventually(lambda: cluster.api.get(f"/v1/webhook-endpoints/{hook['id']}").json()["status"] == "disabled",
               timeout=10)
    deliveries = cluster.api.get(f"/v1/webhook-endpoints/{hook['id']}/deliveries").json()["items"]
    assert [(d["state"], [a["status_code"] for a in d["attempts"]]) for d in deliveries] == [("failed", [410])]
    assert len(webhook_server.to("/gone")) == 1
