"""One joint activity from end to end, over HTTP, against the real service processes, broker and store."""
from __future__ import annotations

import json

import pytest

from services.notify.verify import WebhookReceiver
from tests.support.activities import approve_partner, publish_through_approval
from tests.support.api import eventually
from tests.support.settle import bus_settled

pytestmark = pytest.mark.cluster

FACULTY = {"name": {"zh": "历史学院", "en": "School of History"}, "level": "campus", "kind": "faculty",
           "themes": ["history"]}
YOUTH_LEAGUE = {"name": {"zh": "校团委", "en": "Youth League Committee"}, "level": "campus", "kind": "youth_league"}
MUSEUM = {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"}, "level": "outside",
          "kind": "science_museum"}


def lecture(lead: str, co: list[str]) -> dict:
    return {"title": {"zh": "科学与艺术讲座", "en": "Science and Art lecture"}, "activity_type": "lecture",
            "paths": ["activity", "resources"], "themes": ["science", "art"],
            "starts_at": "2026-12-05T10:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00",
            "venue": "Library lecture hall", "lead_organizer": lead, "co_organizers": co}


def published_notices(api, partner_id: str) -> list[dict]:
    """A partner's inbox items about published activities (its review decisions are told there too)."""
    items = api.get(f"/v1/partners/{partner_id}/inbox").json()["items"]
    return [item for item in items if item["event_type"] == "activity.published"]


def register(api, payload) -> dict:
    response = api.post("/v1/partners", payload)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_published_activity_reaches_every_service_once_and_survives_a_restart(cluster, webhook_server):
    api = cluster.api
    faculty, league, museum = register(api, FACULTY), register(api, YOUTH_LEAGUE), register(api, MUSEUM)
    organizers = [faculty["id"], league["id"], museum["id"]]
    assert museum["status"] == "applied"

    hook = api.post("/v1/webhook-endpoints", {"owner_partner_id": museum["id"], "url": webhook_server.url + "/hooks",
                                              "event_types": ["activity.published"]})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in api.get(f"/v1/webhook-endpoints/{hook.json()['id']}").json()

    created = api.post("/v1/activities", lecture(faculty["id"], [league["id"], museum["id"]]))
    assert created.status_code == 201, created.text
    activity_id = created.json()["id"]
    assert created.json()["status"] == "draft"

    # an outside institution organizes a published activity only once it is approved
    for step in ("submit", "approve"):
        assert api.post(f"/v1/activities/{activity_id}/{step}").status_code == 200
    refused = api.post(f"/v1/activities/{activity_id}/publish")
    assert refused.status_code == 422, refused.text
    assert "co_organizers" in refused.json()["errors"] and "applied" in refused.json()["detail"]
    approve_partner(cluster, museum)
    published = api.post(f"/v1/activities/{activity_id}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    # partners recorded the collaboration on every organizer
    for partner_id, role in zip(organizers, ["lead", "co_organizer", "co_organizer"], strict=True):
        collaborations = eventually(lambda pid=partner_id: api.get(f"/v1/partners/{pid}").json()["collaborations"],
                                    timeout=5)
        assert [(c["activity_id"], c["role"]) for c in collaborations] == [(activity_id, role)]

    # evaluation prepared the outcome survey
    surveys = eventually(lambda: api.get(f"/v1/activities/{activity_id}/surveys").status_code == 200
                         and api.get(f"/v1/activities/{activity_id}/surveys").json()["surveys"], timeout=5)
    assert len(surveys) == 1
    assert [item["key"] for item in surveys[0]["items"]] == ["knowledge", "confidence", "application", "awareness",
                                                             "satisfaction"]

    # notify delivered one signed webhook and told every organizer in its inbox
    received = eventually(lambda: webhook_server.to("/hooks"), timeout=5)
    assert len(received) == 1
    payload = WebhookReceiver(secret).receive(received[0].body, received[0].headers)
    assert payload["type"] == "activity.published"
    assert payload["data"]["activity_id"] == activity_id
    for partner_id in organizers:
        inbox = eventually(lambda pid=partner_id: published_notices(api, pid), timeout=5)
        assert [item["activity_id"] for item in inbox] == [activity_id]

    deliveries = eventually(lambda: [d for d in api.get(f"/v1/webhook-endpoints/{hook.json()['id']}/deliveries")
                                     .json()["items"] if d["state"] == "delivered"], timeout=5)
    assert deliveries[0]["attempts"][0]["status_code"] == 200

    # stop everything, start again: all is still there and nothing is delivered a second time
    cluster.stop()
    cluster.start()
    bus_settled(cluster)  # whatever the restart sends again (unsent events, unacknowledged messages) is handled
    assert api.get(f"/v1/activities/{activity_id}").json()["status"] == "published"
    assert len(api.get(f"/v1/partners/{museum['id']}").json()["collaborations"]) == 1
    assert len(api.get(f"/v1/activities/{activity_id}/surveys").json()["surveys"]) == 1
    assert len(webhook_server.to("/hooks")) == 1
    for partner_id in organizers:
        assert len(published_notices(api, partner_id)) == 1


def counts(cluster) -> dict:
    return {
        "partners": cluster.db("partners")["partners"].count_documents({}),
        "activities": cluster.db("events")["activities"].count_documents({}),
        "published": cluster.db("events")["activities"].count_documents({"status": "published"}),
        "surveys": cluster.db("evaluation")["surveys"].count_documents({}),
        "inbox": cluster.db("notify")["inbox"].count_documents({}),
    }


BAD_PARTNERS = [
    ({"level": "campus", "kind": "faculty"}, "name"),
    ({"name": {"zh": "x"}, "level": "campus", "kind": 7}, "kind"),
    ({"name": {"zh": "x"}, "level": "campus", "kind": "faculty", "homepage": "http://x"}, "homepage"),
    ({"name": {"zh": "x"}, "level": "campus", "kind": "faculty", "$where": "1"}, "$where"),
    ({"name": {"zh": "x", "a.b": "y"}, "level": "campus", "kind": "faculty"}, "name.a.b"),
    ({"name": {"zh": "x"}, "level": "outside", "kind": "faculty"}, "kind"),
    ({"name": "History", "level": "campus", "kind": "faculty"}, "name"),
]


def test_bad_input_is_refused_with_the_field_named_and_nothing_stored_or_announced(cluster):
    api = cluster.api
    lead = register(api, FACULTY)
    before = counts(cluster)

    for payload, field in BAD_PARTNERS:
        response = api.post("/v1/partners", payload)
        assert response.status_code == 422, (payload, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422
        assert field in json.dumps(problem["errors"]), (field, problem)

    malformed = api.post("/v1/partners", data=b"{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.headers["content-type"] == "application/problem+json"

    unknown = api.post("/v1/activities", lecture(lead["id"], ["prt_01aaaaaaaaaaaaaaaaaaaaaaaa"]))
    assert unknown.status_code == 422, unknown.text
    assert "co_organizers" in unknown.json()["errors"]

    wrong_types = dict(lecture(lead["id"], []), paths="activity", starts_at="next tuesday")
    response = api.post("/v1/activities", wrong_types)
    assert response.status_code == 422
    assert set(response.json()["errors"]) >= {"paths", "starts_at"}

    backwards = dict(lecture(lead["id"], []), ends_at="2026-12-05T09:00:00+08:00")
    assert "ends_at" in api.post("/v1/activities", backwards).json()["errors"]

    naive = dict(lecture(lead["id"], []), starts_at="2026-12-05T10:00:00")
    assert "starts_at" in api.post("/v1/activities", naive).json()["errors"]

    assert counts(cluster) == before

    created = api.post("/v1/activities", lecture(lead["id"], [])).json()
    assert publish_through_approval(api, created["id"]).status_code == 200
    eventually(lambda: (counts(cluster)["surveys"], counts(cluster)["inbox"]) ==  # every reaction has settled
               (before["surveys"] + 1, before["inbox"] + 1), timeout=10)
    settled = counts(cluster)
    twice = api.post(f"/v1/activities/{created['id']}/publish")
    assert twice.status_code == 409
    assert twice.headers["content-type"] == "application/problem+json"
    assert "published" in twice.json()["detail"]
    missing = api.post("/v1/activities/act_01aaaaaaaaaaaaaaaaaaaaaaaa/publish")
    assert missing.status_code == 404
    bus_settled(cluster)
    assert counts(cluster) == settled


def test_the_api_refuses_callers_without_a_valid_key(cluster):
    from tests.support.api import Api
    anonymous = Api(cluster.cluster.gateway_url, None)
    wrong = Api(cluster.cluster.gateway_url, "syn_admin_wrong")
    for api in (anonymous, wrong):
        response = api.post("/v1/partners", FACULTY)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert api.get("/v1/partners").status_code == 401
    assert cluster.db("partners")["partners"].count_documents({}) == 0
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/ready").json()["ready"] is True
