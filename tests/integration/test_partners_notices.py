"""The agreement notices on the real broker and store: two partners instances run the job every second, and each
notice is announced exactly once, also after both restart."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deploy.launcher import Cluster
from tests.support.api import eventually
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

FAST = {"AGREEMENT_CHECK_SECONDS": "0.5"}
SCORES = dict.fromkeys(("legal_qualification", "resource_fit", "reputation", "safety_compliance",
                        "past_performance"), 5)


def approved_museum(api) -> str:
    museum = api.post("/v1/partners", {"name": {"zh": "上海科技馆"}, "level": "outside", "kind": "science_museum"})
    pid = museum.json()["id"]
    assert api.post(f"/v1/partners/{pid}/review").status_code == 200
    for reviewer in ("张", "李"):
        assert api.post(f"/v1/partners/{pid}/review/scores", {"reviewer": reviewer, "scores": SCORES}).ok
    decided = api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "approved"})
    assert decided.status_code == 200, decided.text
    return pid


def sign(api, partner_id: str, days: int) -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    response = api.post("/v1/agreements", {
        "partner_id": partner_id, "scope": f"{days} days", "starts_on": (today - timedelta(days=300)).isoformat(),
        "ends_on": (today + timedelta(days=days)).isoformat(),
        "signed_by": [{"party": "partner", "name": "馆长", "signed_on": today.isoformat()},
                      {"party": "counterpart", "name": "图书馆馆长", "signed_on": today.isoformat()}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def notices(tap: Tap) -> list[tuple[str, str, int | None]]:
    """The notices announced, one per event id: two relays may both publish a pending event (at-least-once), and
    consumers deduplicate by id, so a second copy is not a second notice; a second id would be."""
    tap.drain(0.5)
    found = {e["id"]: e for e in (json.loads(body) for _, body in tap.messages)}
    return sorted((e["data"]["agreement_id"], e["type"], e["data"].get("days_left")) for e in found.values()
                  if e["type"] in ("agreement.expiring", "agreement.expired"))


def wait_for_notices(tap: Tap, expected: list, timeout: float) -> None:
    """Wait until exactly ``expected`` was announced; the failure shows what was."""
    seen: list = []

    def check() -> bool:
        seen[:] = notices(tap)
        return seen == expected
    try:
        eventually(check, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"announced {seen}, expected {expected}") from None


def test_each_notice_is_announced_once_by_two_instances_and_after_restarts(make_cluster, tmp_path):
    cluster = make_cluster()
    cluster.start("evaluation", "notify", wait=False)
    cluster.start("partners", "events", "gateway", extra_env=FAST)
    second = Cluster(env=dict(cluster.cluster.env, **FAST), log_dir=tmp_path / "second")
    second.start("partners", wait=False)
    tap = Tap(cluster.amqp_uri, "agreement.#")
    try:
        api = cluster.api
        pid = approved_museum(api)
        bad = api.post("/v1/agreements", {"partner_id": pid, "scope": "x", "starts_on": "2026-01-01",
                                          "ends_on": "2025-01-01", "signed_by": []})
        assert bad.status_code == 422 and "signed_by" in bad.json()["errors"], bad.text
        assert api.post(f"/v1/agreements/{'agr_missing'}/activities", {"activity_id": "x"}).status_code == 422
        assert api.post("/v1/agreements/check?on=someday").status_code == 422
        assert cluster.db("partners")["agreements"].count_documents({}) == 0
        agreements = {days: sign(api, pid, days) for days in (60, 45, 30, 7, 10)}
        # the 10-day agreement reaches its last day: its ends_on moves to today, as if time had passed
        ten = agreements[10]
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        collection = cluster.db("partners")["agreements"]
        eventually(lambda: collection.find_one({"_id": ten})["outbox_pending"] is False, timeout=15)
        doc = collection.find_one({"_id": ten})
        assert collection.update_one({"_id": ten, "_rev": doc["_rev"]}, {"$set": {
            "ends_on": today, "next_notice_on": today, "_rev": doc["_rev"] + 1}}).modified_count == 1

        expected = sorted([(agreements[60], "agreement.expiring", 60), (agreements[30], "agreement.expiring", 30),
                           (agreements[7], "agreement.expiring", 7), (ten, "agreement.expired", None)])
        wait_for_notices(tap, expected, timeout=45)  # two instances ticking on a busy machine
        time.sleep(3.0)  # both instances have ticked several more times
        assert notices(tap) == expected

        # both instances stop and start again: the job runs at once on start, and nothing is announced twice
        second.stop()
        cluster.stop("partners")
        cluster.start("partners", wait=False, extra_env=FAST)
        second.start("partners", wait=False)
        eventually(lambda: api.post("/v1/agreements/check").status_code == 200, timeout=30)
        time.sleep(3.0)
        assert notices(tap) == expected
        assert api.post("/v1/agreements/check").json()["announced"] == {
            "agreement.expiring": 0, "agreement.expired": 0, "partner.renewal_due": 0}
        stored = {agreement_id: collection.find_one({"_id": agreement_id}) for agreement_id in agreements.values()}
        assert stored[ten]["status"] == "expired" and stored[agreements[45]]["notices"] == []
        assert stored[agreements[60]]["notices"] == ["expiring:60"]
    finally:
        tap.close()
        second.stop()
