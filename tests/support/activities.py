"""Helpers for tests that need a published activity: the approval path, and partners in good standing."""
from __future__ import annotations

from tests.support.api import eventually


def publish_through_approval(api, activity_id: str):
    """Submit, approve (as the coordination group) and publish; returns the publish response."""
    for step in ("submit", "approve"):
        response = api.post(f"/v1/activities/{activity_id}/{step}")
        assert response.status_code == 200, response.text
    return api.post(f"/v1/activities/{activity_id}/publish")


REVIEW_SCORES = {"legal_qualification": 5, "resource_fit": 5, "reputation": 4, "safety_compliance": 4,
                 "past_performance": 3}


def qualify(api, pid: str, status: str = "approved") -> None:
    """Qualify an outside partner through the partners API: review, two scoresheets, decision."""
    assert api.post(f"/v1/partners/{pid}/review").status_code == 200
    for reviewer in ("张", "李"):
        scored = api.post(f"/v1/partners/{pid}/review/scores", {"reviewer": reviewer, "scores": REVIEW_SCORES})
        assert scored.status_code == 200, scored.text
    decision = {"outcome": status, "reason": "qualified"}
    if status == "approved_with_conditions":
        decision["conditions"] = ["publicity reviewed by the library"]
    decided = api.post(f"/v1/partners/{pid}/review/decision", decision)
    assert decided.status_code == 200, decided.text


def approve_partner(cluster, partner: dict, status: str = "approved") -> None:
    """Qualify a partner, and wait until events has learned the new status from the bus."""
    pid = partner["id"]
    qualify(cluster.api, pid, status)
    directory = cluster.db("events")["partner_directory"]
    eventually(lambda: (directory.find_one({"_id": pid}) or {}).get("status") == status, timeout=15)
