"""At-least-once delivery with exactly-once effect: redelivered events, and crashes around the outbox."""
from __future__ import annotations

import pika
import pytest

from services.common import failpoints
from tests.e2e.test_walking_skeleton import FACULTY, MUSEUM, YOUTH_LEAGUE, lecture, register
from tests.support.activities import approve_partner
from tests.support.api import eventually
from tests.support.settle import bus_settled, handlers_idle
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster


def effects(cluster, activity_id: str) -> dict:
    """Every reaction to one published activity, counted in each service's own store."""
    return {
        "collaborations": cluster.db("partners")["collaborations"].count_documents({"activity_id": activity_id}),
        "surveys": cluster.db("evaluation")["surveys"].count_documents({"activity_id": activity_id}),
        "inbox": cluster.db("notify")["inbox"].count_documents({"activity_id": activity_id}),
        "deliveries": cluster.db("notify")["deliveries"].count_documents({}),
    }


EXPECTED = {"collaborations": 3, "surveys": 1, "inbox": 3, "deliveries": 1}


def setup_activity(cluster, webhook_server) -> tuple[str, str]:
    """An approved activity (submitted and approved, its events relayed), ready to be published."""
    api = cluster.api
    faculty, league, museum = register(api, FACULTY), register(api, YOUTH_LEAGUE), register(api, MUSEUM)
    approve_partner(cluster, museum)
    hook = api.post("/v1/webhook-endpoints", {"owner_partner_id": museum["id"], "url": webhook_server.url + "/in",
                                              "event_types": ["activity.published"]})
    assert hook.status_code == 201, hook.text
    created = api.post("/v1/activities", lecture(faculty["id"], [league["id"], museum["id"]]))
    assert created.status_code == 201, created.text
    activity_id = created.json()["id"]
    for step in ("submit", "approve"):
        assert api.post(f"/v1/activities/{activity_id}/{step}").status_code == 200
    eventually(lambda: cluster.db("events")["activities"].find_one({"_id": activity_id})["outbox_pending"] is False,
               timeout=10)
    return activity_id, hook.json()["id"]


def restart_events_with_failpoint(cluster, webhook_server, failpoint: str) -> str:
    """The cluster up, an approved activity, then events again with a process that dies at ``failpoint``."""
    cluster.start()
    activity_id, _ = setup_activity(cluster, webhook_server)
    cluster.stop("events")
    cluster.start("events", extra_env={"SYNERGY_FAILPOINT": failpoint})
    return activity_id


def test_a_redelivered_event_has_no_second_effect(cluster, webhook_server):
    tap = Tap(cluster.amqp_uri, "activity.published")
    activity_id, _ = setup_activity(cluster, webhook_server)
    assert cluster.api.post(f"/v1/activities/{activity_id}/publish").status_code == 200
    eventually(lambda: effects(cluster, activity_id) == EXPECTED, timeout=10)
    eventually(lambda: len(webhook_server.to("/in")) == 1, timeout=10)

    properties, body = eventually(lambda: tap.drain(0.3), timeout=5)[0]
    for _ in range(2):  # the broker may redeliver any message; here it happens twice
        tap.publish("activity.published", body, pika.BasicProperties(
            message_id=properties.message_id, content_type=properties.content_type, delivery_mode=2))
    tap.close()
    bus_settled(cluster)
    assert effects(cluster, activity_id) == EXPECTED
    assert len(webhook_server.to("/in")) == 1


def test_a_crash_between_the_write_and_its_event_loses_nothing(make_cluster, webhook_server):
    cluster = make_cluster()
    activity_id = restart_events_with_failpoint(cluster, webhook_server, "outbox.before_publish")

    try:
        cluster.api.post(f"/v1/activities/{activity_id}/publish")
    except Exception:  # noqa: BLE001 - the reply may or may not get out before the process dies
        pass
    assert cluster.cluster.wait_exit("events") == failpoints.EXIT_CODE
    stored = cluster.db("events")["activities"].find_one({"_id": activity_id})
    assert stored["status"] == "published" and stored["outbox_pending"] is True
    handlers_idle(cluster)  # had it been published before the crash, it would have been handled by now
    assert effects(cluster, activity_id) == {"collaborations": 0, "surveys": 0, "inbox": 0, "deliveries": 0}

    cluster.start("events")
    eventually(lambda: effects(cluster, activity_id) == EXPECTED, timeout=15)
    eventually(lambda: len(webhook_server.to("/in")) == 1, timeout=10)
    eventually(lambda: cluster.db("events")["activities"].find_one({"_id": activity_id})["outbox_pending"] is False)
    bus_settled(cluster)
    assert len(webhook_server.to("/in")) == 1
    assert effects(cluster, activity_id) == EXPECTED


def test_a_crash_after_publishing_but_before_marking_sends_again_without_a_second_effect(make_cluster,
                                                                                         webhook_server):
    cluster = make_cluster()
    activity_id = restart_events_with_failpoint(cluster, webhook_server, "outbox.after_publish")
    tap = Tap(cluster.amqp_uri, "activity.published")

    try:
        cluster.api.post(f"/v1/activities/{activity_id}/publish")
    except Exception:  # noqa: BLE001 - the reply may or may not get out before the process dies
        pass
    assert cluster.cluster.wait_exit("events") == failpoints.EXIT_CODE
    assert cluster.db("events")["activities"].find_one({"_id": activity_id})["outbox_pending"] is True
    eventually(lambda: effects(cluster, activity_id) == EXPECTED, timeout=10)

    cluster.start("events")
    eventually(lambda: cluster.db("events")["activities"].find_one({"_id": activity_id})["outbox_pending"] is False,
               timeout=10)
    seen = eventually(lambda: len(tap.drain(0.3)) >= 2 and tap.messages, timeout=10)
    assert len({properties.message_id for properties, _ in seen}) == 1, "the same event, sent twice"
    tap.close()
    bus_settled(cluster)  # the second copy has been handled everywhere
    assert effects(cluster, activity_id) == EXPECTED
    assert len(webhook_server.to("/in")) == 1
