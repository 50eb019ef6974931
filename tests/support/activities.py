"""Helpers for tests that need a published activity: the approval path, and partners in good standing."""
from __future__ import annotations

import pika

from services.common.catalogue import announce
from services.common.clock import isoformat, utcnow
from tests.support.api import eventually
from tests.support.tap import Tap


def publish_through_approval(api, activity_id: str):
    """Submit, approve (as the coordination group) and publish; returns the publish response."""
    for step in ("submit", "approve"):
        response = api.post(f"/v1/activities/{activity_id}/{step}")
        assert response.status_code == 200, response.text
    return api.post(f"/v1/activities/{activity_id}/publish")


def approve_partner(cluster, partner: dict, status: str = "approved") -> None:
    """Announce ``partner.approved`` on the bus as the partners service does, and wait until events knows it."""
    data = {"partner_id": partner["id"], "status": status, "previous_status": partner["status"], "reason": "",
            "decided_by": "coordination_group", "decided_at": isoformat(utcnow()), "name": partner["name"],
            "level": partner["level"], "kind": partner["kind"], "conditions": [],
            "expires_at": "2028-12-31T00:00:00.000Z"}
    send_partner_event(cluster, "partner.approved", data)
    directory = cluster.db("events")["partner_directory"]
    eventually(lambda: (directory.find_one({"_id": partner["id"]}) or {}).get("status") == status, timeout=15)


def send_partner_event(cluster, event_type: str, data: dict) -> str:
    envelope = announce(event_type, data, subject=data["partner_id"])
    tap = Tap(cluster.amqp_uri, "none.nothing")
    try:
        tap.publish(event_type, envelope.to_json().encode(), pika.BasicProperties(**envelope.amqp_properties()))
    finally:
        tap.close()
    return envelope.id
