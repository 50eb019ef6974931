"""The example consumer in docs/notify.md, run as its own process against a real delivery from the cluster."""
from __future__ import annotations

import json
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
    """A process whose stdout lines are collected as JSON as they come."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.lines: list[dict] = []
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def test_the_example_receiver_verifies_a_real_delivery_and_skips_a_replayed_one(make_cluster):
    cluster = start(make_cluster)
    api = cluster.api
    museum = register(api, MUSEUM)
    port = free_port()
    hook = subscribe(api, museum["id"], f"http://127.0.0.1:{port}/synergy")
    receiver = Process([sys.executable, "examples/museum_webhook_receiver.py", "--port", str(port)],
                       env={"WEBHOOK_SECRET": hook["secret"], "PATH": "/usr/bin:/bin"})
    try:
        eventually(lambda: receiver.lines and "listening" in receiver.lines[0], timeout=10)
        publish_event(cluster.amqp_uri, "activity.published", activity_data("act_example", [museum["id"]]))
        delivered = settled(api, museum["id"], hook["id"])[0]
        event = eventually(lambda: [line for line in receiver.lines if "type" in line], timeout=10)[0]
        assert event == {"webhook_id": delivered["id"], "type": "activity.published",
                         "data": event["data"]} and event["data"]["activity_id"] == "act_example"
        assert [a["status_code"] for a in delivered["attempts"]] == [204]

        replay = api.post(f"/v1/partners/{museum['id']}/webhook-deliveries/{delivered['id']}/replay")
        assert replay.status_code == 202
        eventually(lambda: {"duplicate": delivered["id"]} in receiver.lines, timeout=10)

        forged = requests.post(f"http://127.0.0.1:{port}/synergy", data=b"{}", timeout=5, headers={
            "webhook-id": "msg_forged", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"})
        assert forged.status_code == 401
    finally:
        receiver.stop()
