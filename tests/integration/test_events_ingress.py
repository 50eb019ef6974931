"""A campus system publishes a joint activity over the bus with pika, as its own broker user bound to its partner,
and gets its answer on its reply queue."""
from __future__ import annotations

import json

import pytest

from services.common import failpoints
from tests.e2e.test_walking_skeleton import FACULTY, YOUTH_LEAGUE, register
from tests.integration.test_events_flows import activity
from tests.support.bus_users import campus_users  # noqa: F401 - a fixture
from tests.support.ingress_client import IngressClient, envelope

pytestmark = pytest.mark.cluster


def test_submit_and_publish_over_the_bus_validated_like_http_and_answered(make_cluster, campus_users):  # noqa: F811
    cluster = make_cluster()
    cluster.start()
    api = cluster.api
    faculty, league = register(api, FACULTY), register(api, YOUTH_LEAGUE)
    activities = cluster.db("events")["activities"]
    client = IngressClient(campus_users(faculty["id"]).uri)

    answer = client.ask("activity.submit", activity(faculty["id"]), request_id="req_portal_1")
    assert answer["status"] == "accepted" and answer["activity_status"] == "submitted", answer
    activity_id = answer["activity_id"]
    stored = api.get(f"/v1/activities/{activity_id}").json()
    assert stored["status"] == "submitted" and stored["origin"]["request_id"] == "req_portal_1"

    # the same request again (a re-send or a redelivery): the same answer, nothing new
    again = client.ask("activity.submit", activity(faculty["id"]), request_id="req_portal_1")
    assert again["activity_id"] == activity_id and activities.count_documents({}) == 1

    # refused exactly as over HTTP, with the fields named, and nothing stored
    bad = dict(activity(faculty["id"]), paths="activity", starts_at="next tuesday", homepage="x")
    refused = client.ask("activity.submit", bad)
    assert refused["status"] == "refused" and set(refused["errors"]) >= {"paths", "starts_at", "homepage"}
    unknown = client.ask("activity.submit", activity("prt_01aaaaaaaaaaaaaaaaaaaaaaaa"))
    assert unknown["status"] == "refused" and "lead_organizer" in unknown["errors"]
    not_json = client.answer(client.send(b"{nope", "activity.submit"))
    assert not_json["status"] == "refused" and not_json["title"] == "Malformed request"
    wrong = client.ask("activity.delete", {"activity_id": activity_id})
    assert wrong["status"] == "refused" and "type" in wrong["errors"]
    assert activities.count_documents({}) == 1

    # publishing needs the coordination group's approval first; then it goes over the bus too
    early = client.ask("activity.publish", {"activity_id": activity_id})
    assert early["status"] == "refused" and "submitted" in early["detail"]
    assert api.post(f"/v1/activities/{activity_id}/approve").status_code == 200
    done = client.ask("activity.publish", {"activity_id": activity_id})
    assert done == {"status": "accepted", "request_id": done["request_id"], "activity_id": activity_id,
                    "activity_status": "published"}
    client.close()

    # a broker user bound to a partner may act only for that partner (bound while the cluster runs)
    user = campus_users(league["id"])
    bound = IngressClient(user.uri)
    foreign = bound.ask("activity.submit", activity(faculty["id"]))
    assert foreign["status"] == "refused" and "lead_organizer" in foreign["errors"], foreign
    claimed = bound.ask("activity.submit", activity(faculty["id"]), partner_id=faculty["id"])
    assert claimed["status"] == "refused" and "partnerid" in claimed["errors"], claimed
    own = bound.ask("activity.submit", activity(league["id"]), partner_id=league["id"])
    assert own["status"] == "accepted", own
    created = api.get(f"/v1/activities/{own['activity_id']}").json()
    assert created["history"][-1]["by"] == f"amqp:{user.name}"
    bound.close()


def test_a_crash_after_the_write_and_before_the_answer_loses_nothing_and_creates_nothing_twice(
        make_cluster, campus_users):  # noqa: F811
    cluster = make_cluster()
    cluster.start()
    faculty = register(cluster.api, FACULTY)
    cluster.stop("events")
    cluster.start("events", extra_env={"SYNERGY_FAILPOINT": "ingress.before_answer"})
    client = IngressClient(campus_users(faculty["id"]).uri)
    correlation = client.send(json.dumps(envelope("activity.submit", activity(faculty["id"]), "req_crash")).encode(),
                              "activity.submit")
    assert cluster.cluster.wait_exit("events") == failpoints.EXIT_CODE
    activities = cluster.db("events")["activities"]
    assert activities.count_documents({}) == 1, "the activity was written before the crash"
    cluster.start("events")
    answer = client.answer(correlation, timeout=30)
    assert answer["status"] == "accepted" and answer["activity_id"] == activities.find_one()["_id"]
    assert activities.count_documents({}) == 1, "the redelivered request created nothing new"
    client.close()
