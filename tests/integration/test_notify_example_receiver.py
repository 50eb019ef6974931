"""The example consumer (examples/museum_webhooks.py), run as its own process against a real delivery from the
cluster, a replay of it, and a forgery."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import requests

from deploy.launcher import ROOT, free_port
from tests.e2e.test_walking_skeleton import MUSEUM, register
from tests.integration.test_notify_webhooks import activity_data, settled, start, subscribe
from tests.support.api import eventually
from tests.support.tap import publish_event

pytestmark = pytest.mark.cluster


class Process:
    """The example's process; its stdout lines (JSON) and stderr lines collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.lines: list[dict] = []
        self.log: list[str] = []
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True).start()

    def _read(self, stream, as_json: bool) -> None:
        for line in stream:
            (self.lines.append(json.loads(line)) if as_json else self.log.append(line))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def test_the_example_receiver_verifies_a_real_delivery_and_skips_a_replayed_one(make_cluster):
    cluster = start(make_cluster)
    api = cluster.api
    museum = register(api, MUSEUM)
    port = free_port()
    url = f"http://127.0.0.1:{port}/synergy-hooks"
    hook = subscribe(api, museum["id"], url)
    env = {"WEBHOOK_SECRET": hook["secret"], "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "HOME": os.environ.get("HOME", "/tmp")}
    receiver = Process([sys.executable, "-m", "examples.museum_webhooks", "--port", str(port)], env=env)
    try:
        eventually(lambda: any("listening on" in line for line in receiver.log), timeout=20)
        publish_event(cluster.amqp_uri, "activity.published", activity_data("act_example", [museum["id"]]))
        delivered = settled(api, museum["id"], hook["id"])[0]
        event = eventually(lambda: receiver.lines, timeout=10)[0]
        assert event["type"] == "activity.published" and event["activity_id"] == "act_example"
        assert [a["status_code"] for a in delivered["attempts"]] == [204]

        replay = api.post(f"/v1/partners/{museum['id']}/webhook-deliveries/{delivered['id']}/replay")
        assert replay.status_code == 202

        def replayed():
            found = api.get(f"/v1/partners/{museum['id']}/webhook-deliveries/{delivered['id']}").json()
            return [a["status_code"] for a in found["attempts"]] == [204, 204]
        eventually(replayed, timeout=15)
        assert len(receiver.lines) == 1, "the replay (same webhook-id) was acknowledged, not handled again"

        forged = requests.post(url, data=b"{}", timeout=5, headers={
            "webhook-id": "msg_forged", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"})
        assert forged.status_code == 401
    finally:
        receiver.stop()
    assert len(receiver.lines) == 1
