"""Partners reacting on the real broker and store to what events and evaluation announce, once per event."""
from __future__ import annotations

import pika
import pytest

from services.common.envelope import Envelope
from tests.support.api import eventually
from tests.support.settle import bus_settled
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

ORGANIZERS = [{"partner_id": "prt_01aaaaaaaaaaaaaaaaaaaaaaaa", "name": {"zh": "图书馆"}, "role": "lead",
               "level": "library"},
              {"partner_id": "prt_01bbbbbbbbbbbbbbbbbbbbbbbb", "name": {"zh": "上海科技馆"}, "role": "co_organizer",
               "level": "outside"}]
PUBLISHED = {
    "activity_id": "act_01cccccccccccccccccccccccc", "title": {"zh": "科学与艺术展"}, "activity_type": "exhibition",
    "paths": ["resources"], "themes": ["science"], "starts_at": "2026-12-05T02:00:00.000Z",
    "ends_at": "2026-12-05T04:00:00.000Z", "venue": None, "organizers": ORGANIZERS,
    "published_at": "2026-11-01T00:00:00.000Z",
}
COMPLETED = dict(PUBLISHED, aims=["innovation"], capacity=200, registered_count=180, checked_in_count=150,
                 no_show_count=30, volunteer_count=12, completed_at="2026-12-05T04:30:00.000Z",
                 contributions=[{"partner_id": ORGANIZERS[1]["partner_id"], "kind": "space", "committed": "hall",
                                 "delivered": True}])
EVALUATED = {"partner_id": ORGANIZERS[1]["partner_id"], "activity_id": PUBLISHED["activity_id"],
             "role": "co_organizer", "outcome_share_agreeing": 0.85, "response_count": 90, "attendance_ratio": 0.83,
             "contributions_delivered_ratio": 1.0, "evaluated_at": "2026-12-20T00:00:00.000Z"}


def send(tap: Tap, event_type: str, source: str, data: dict, times: int = 2) -> None:
    envelope = Envelope(type=event_type, source=source, data=data, correlationid="cor_test")
    for _ in range(times):  # the broker may deliver any message again
        tap.publish(event_type, envelope.to_json().encode(), pika.BasicProperties(
            message_id=envelope.id, content_type="application/cloudevents+json", delivery_mode=2))


def test_completion_and_evaluation_fill_the_history_once_in_any_order(cluster):
    tap = Tap(cluster.amqp_uri, "none")
    send(tap, "partner.evaluated", "/synergy/evaluation", EVALUATED)
    send(tap, "activity.completed", "/synergy/events", COMPLETED)
    send(tap, "activity.published", "/synergy/events", PUBLISHED)
    tap.close()
    records = cluster.db("partners")["collaborations"]
    key = f"{ORGANIZERS[1]['partner_id']}:{PUBLISHED['activity_id']}"

    def complete():
        record = records.find_one({"_id": key})
        return record if record and record.get("evaluation") and record.get("contributions") and \
            record.get("recorded_at") else None
    record = eventually(complete, timeout=20)
    assert record["role"] == "co_organizer" and record["completed_at"] == "2026-12-05T04:30:00.000Z"
    assert record["contributions"] == [{"kind": "space", "committed": "hall", "delivered": True}]
    assert record["evaluation"]["outcome_share_agreeing"] == 0.85
    bus_settled(cluster)  # a redelivery of any of the three has been handled too
    record = records.find_one({"_id": key})
    assert len(record["_applied"]) == 3, "each of the three events applied once, redeliveries ignored"
    assert records.count_documents({"activity_id": PUBLISHED["activity_id"]}) == 2
