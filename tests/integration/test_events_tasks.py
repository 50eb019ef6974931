"""Organizers' parts and task reminders on the real broker and store: two events instances look for due tasks
every half second, and each reminder is announced once and reaches the organizer's inbox once."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from deploy.launcher import Cluster
from tests.e2e.test_walking_skeleton import FACULTY, YOUTH_LEAGUE, register
from tests.support.api import eventually
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

FAST = {"TASK_REMINDER_CHECK_SECONDS": "0.5"}


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def announced(tap: Tap, event_type: str) -> dict[str, dict]:
    """Events of a type by id: two relays may publish one event twice; consumers count it once, so do we."""
    tap.drain(0.5)
    return {e["id"]: e["data"] for e in (json.loads(body) for _, body in tap.messages) if e["type"] == event_type}


def test_a_task_is_reminded_once_by_two_instances_and_the_lead_hears_of_a_co_organizers_part(make_cluster,
                                                                                             tmp_path):
    cluster = make_cluster()
    cluster.start("partners", "evaluation", "notify", wait=False)
    cluster.start("events", "gateway", extra_env=FAST)
    second = Cluster(env=dict(cluster.cluster.env, **FAST), log_dir=tmp_path / "second")
    second.start("events", wait=False)
    tap = Tap(cluster.amqp_uri, "activity.#")
    try:
        api = cluster.api
        faculty, league = register(api, FACULTY), register(api, YOUTH_LEAGUE)
        made = api.post("/v1/activities", {
            "title": {"zh": "读书会", "en": "Reading club"}, "activity_type": "reading_promotion",
            "paths": ["activity"], "starts_at": at(72), "ends_at": at(74), "lead_organizer": faculty["id"],
            "co_organizers": [league["id"]]})
        assert made.status_code == 201, made.text
        part = f"/v1/activities/{made.json()['id']}/organizers/{league['id']}"
        bad = api.put(f"{part}/tasks", {"tasks": [{"title": "posters", "due_at": "tomorrow"}]})
        assert bad.status_code == 422 and "tasks" in bad.json()["errors"], bad.text
        tasks = {"tasks": [{"title": "posters", "due_at": at(24)}, {"title": "hall", "due_at": at(200)}]}
        assert api.put(f"{part}/tasks", tasks).status_code == 200

        reminders = eventually(lambda: announced(tap, "activity.task_due"), timeout=30)
        time.sleep(3.0)  # both instances have ticked several more times
        reminders = announced(tap, "activity.task_due")
        assert [(r["task"], r["partner_id"]) for r in reminders.values()] == [("posters", league["id"])]
        changes = announced(tap, "activity.organizer_updated")
        assert [(c["part"], c["partner_id"], c["lead_partner_id"]) for c in changes.values()] == [
            ("tasks", league["id"], faculty["id"])]

        inbox = cluster.db("notify")["inbox"]
        eventually(lambda: inbox.count_documents({"event_type": "activity.task_due"}) == 1, timeout=15)
        eventually(lambda: inbox.count_documents({"event_type": "activity.organizer_updated"}) == 1, timeout=15)
        assert inbox.find_one({"event_type": "activity.task_due"})["recipient_id"] == league["id"]
        assert inbox.find_one({"event_type": "activity.organizer_updated"})["recipient_id"] == faculty["id"]
        stored = cluster.db("events")["activities"].find_one({"_id": made.json()["id"]})
        co_tasks = next(o["tasks"] for o in stored["organizers"] if o["partner_id"] == league["id"])
        assert [t["reminded_at"] is not None for t in co_tasks] == [True, False]
    finally:
        tap.close()
        second.stop()
