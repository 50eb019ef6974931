"""The webhook helper over real HTTP: verification, deduplication, and a failed handler letting the retry in."""
from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from synergy_client.webhooks import WebhookReceiver, serve

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes....").decode()


def send(url: str, msg_id: str, payload: dict, secret: str = SECRET) -> int:
    body = json.dumps(payload)
    now = datetime.now(UTC)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign(msg_id, now, body), "content-type": "application/json"}
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def hooks():
    handled, failures = [], []

    def handler(event):
        if failures:
            failures.pop()
            raise RuntimeError("the museum's database is down")
        handled.append(event)

    server = serve(WebhookReceiver(SECRET), handler, path="/hooks")
    yield server.url + "/hooks", handled, failures
    server.stop()


def test_verified_webhooks_are_handled_once_and_forgeries_refused(hooks):
    url, handled, _ = hooks
    event = {"type": "activity.published", "timestamp": "2026-11-26T00:00:00Z", "data": {"activity_id": "act_1"}}
    assert send(url, "msg_1", event) == 204
    assert send(url, "msg_1", event) == 204
    assert send(url, "msg_2", event, secret="whsec_" + base64.b64encode(b"another secret......").decode()) == 401
    assert [e["data"]["activity_id"] for e in handled] == ["act_1"]
    assert send(url.replace("/hooks", "/elsewhere"), "msg_3", event) == 404


def test_a_handler_that_fails_answers_500_and_the_retry_is_handled(hooks):
    url, handled, failures = hooks
    failures.append(True)
    event = {"type": "activity.published", "timestamp": "2026-11-26T00:00:00Z", "data": {"activity_id": "act_2"}}
    assert send(url, "msg_9", event) == 500
    assert send(url, "msg_9", event) == 204
    assert [e["data"]["activity_id"] for e in handled] == ["act_2"]


def test_a_retry_overtaking_a_slow_first_copy_is_not_acknowledged_before_it_is_handled():
    started, release, handled = threading.Event(), threading.Event(), []

    def slow_then_failing(event):
        started.set()
        release.wait(10)
        if not handled:
            handled.append("failed once")
            raise RuntimeError("the museum's database went away")
        handled.append(event["data"]["activity_id"])

    server = serve(WebhookReceiver(SECRET), slow_then_failing, path="/hooks")
    url = server.url + "/hooks"
    event = {"type": "activity.published", "timestamp": "2026-11-26T00:00:00Z", "data": {"activity_id": "act_3"}}
    try:
        first = []
        sender = threading.Thread(target=lambda: first.append(send(url, "msg_slow", event)))
        sender.start()
        assert started.wait(10)
        assert send(url, "msg_slow", event) == 409, "the retry is told to come back, not that it is done"
        release.set()
        sender.join(10)
        assert first == [500]
        assert send(url, "msg_slow", event) == 204 and handled == ["failed once", "act_3"]
        assert send(url, "msg_slow", event) == 204 and len(handled) == 2, "now a duplicate"
    finally:
        server.stop()


def test_an_old_timestamp_is_refused(hooks):
    url, handled, _ = hooks
    body = json.dumps({"type": "x", "data": {}})
    old = datetime.fromtimestamp(time.time() - 3600, UTC)
    headers = {"webhook-id": "msg_old", "webhook-timestamp": str(int(old.timestamp())),
               "webhook-signature": Webhook(SECRET).sign("msg_old", old, body)}
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 401 and handled == []
