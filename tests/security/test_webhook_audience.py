"""Webhooks tell a partner only what the API would: on the real cluster, one activity's whole life (returned with
review comments, organizers' parts, a registrant checked in, completed, archived) is watched by `*` endpoints of
its lead organizer, its co-organizer and an unrelated partner; each real receiver gets what its owner may read
through the API, in the view its owner would get, and nothing else."""
from __future__ import annotations

import json

import pytest

from tests.e2e.test_walking_skeleton import FACULTY, YOUTH_LEAGUE, register
from tests.integration.test_events_flows import activity, at, ok
from tests.support.api import eventually
from tests.support.settle import bus_settled

pytestmark = pytest.mark.cluster

CLUB = {"name": {"zh": "读书会", "en": "Reading club"}, "level": "campus", "kind": "student_club"}
REVIEW_SECRET, LEAD_PART, CO_PART = "budget-line-7-unclear", "lead-hall-and-funding", "co-ten-guides"
STUDENT = {"person_id": "stu_audience", "email": "stu_audience@uni.edu", "language": "en"}

# event type -> who receives it: (lead, co-organizer, unrelated partner)
EXPECTED = {
    "activity.submitted": (True, True, False),
    "activity.returned": (True, True, False),
    "activity.approved": (True, True, False),
    "activity.published": (True, True, True),
    "activity.started": (True, True, True),
    "activity.completed": (True, True, True),
    "activity.archived": (True, True, False),
    "survey.prepared": (True, True, False),
    "participation.recorded": (True, True, False),
    "partner.review_started": (False, True, False),  # the co-organizer's own review: its own affair
}


def subscribe_everything(api, partner_id: str, url: str) -> dict:
    response = api.post(f"/v1/partners/{partner_id}/webhook-endpoints", {"url": url, "event_types": ["*"]})
    assert response.status_code == 201, response.text
    return response.json()


def live_one_activity(api, lead: str, co: str) -> str:
    made = ok(api.post("/v1/activities", activity(lead, [co], capacity=10, starts_at=at(1), ends_at=at(3))), 201)
    path = f"/v1/activities/{made['id']}"
    for partner_id, part in ((lead, LEAD_PART), (co, CO_PART)):
        ok(api.put(f"{path}/organizers/{partner_id}/contributions",
                   {"contributions": [{"kind": "funding", "committed": part, "delivered": True}]}))
    ok(api.post(f"{path}/submit"))
    ok(api.post(f"{path}/return", {"reasons": [REVIEW_SECRET], "comments": REVIEW_SECRET}))
    ok(api.post(f"{path}/submit"))
    ok(api.post(f"{path}/approve", {"comments": REVIEW_SECRET}))
    ok(api.post(f"{path}/publish"))
    code = ok(api.post(f"{path}/registrations", {k: STUDENT[k] for k in ("person_id", "email")}), 201)["code"]
    ok(api.post(f"{path}/start"))
    ok(api.post(f"{path}/check-ins", {"code": code}))
    ok(api.post(f"{path}/complete"))
    ok(api.post(f"{path}/archive"))
    return made["id"]


def test_each_partners_endpoint_gets_only_the_events_and_fields_its_owner_may_read(cluster, webhook_server):
    api = cluster.api
    lead, co, stranger = register(api, FACULTY)["id"], register(api, YOUTH_LEAGUE)["id"], register(api, CLUB)["id"]
    owners = {"lead": lead, "co": co, "stranger": stranger}
    hooks = {name: subscribe_everything(api, pid, f"{webhook_server.url}/{name}") for name, pid in owners.items()}
    assert api.post(f"/v1/partners/{co}/review").status_code == 200
    activity_id = live_one_activity(api, lead, co)

    def delivered(name: str) -> list[dict]:
        items = api.get(f"/v1/partners/{owners[name]}/webhook-endpoints/{hooks[name]['id']}/deliveries",
                        params={"limit": 100}).json()["items"]
        return items
    eventually(lambda: {"activity.archived", "participation.recorded"} <=
               {d["event_type"] for d in delivered("lead")}, timeout=40)
    bus_settled(cluster)  # every event is handled: every delivery it makes is stored
    eventually(lambda: all(d["state"] == "delivered" for name in owners for d in delivered(name)), timeout=20)

    got = {name: {} for name in owners}
    for name in owners:
        for received in webhook_server.to(f"/{name}"):
            event = json.loads(received.body)
            got[name].setdefault(event["type"], []).append(event["data"])
    for event_type, expected in EXPECTED.items():
        seen = tuple(event_type in got[name] for name in ("lead", "co", "stranger"))
        assert seen == expected, (event_type, seen)

    stranger_bodies = " ".join(r.body.decode() for r in webhook_server.to("/stranger"))
    for secret in (REVIEW_SECRET, LEAD_PART, CO_PART, STUDENT["person_id"], STUDENT["email"]):
        assert secret not in stranger_bodies, secret
    assert set(got["stranger"]) <= {"activity.published", "activity.started", "activity.completed",
                                    "activity.updated"}, got["stranger"].keys()
    completed = {name: got[name]["activity.completed"][0] for name in owners}
    assert "contributions" not in completed["stranger"] and "registered_count" not in completed["stranger"]
    assert completed["stranger"]["activity_id"] == activity_id
    assert [c["committed"] for c in completed["lead"]["contributions"]] == [LEAD_PART]
    assert [c["committed"] for c in completed["co"]["contributions"]] == [CO_PART]
    assert got["lead"]["activity.returned"][0]["reasons"] == [REVIEW_SECRET], "organizers keep the whole story"
    assert got["co"]["participation.recorded"][0]["person_id"] == STUDENT["person_id"]
    assert {d["partner_id"] for d in got["co"]["partner.review_started"]} == {co}
    assert not any(e["data"].get("partner_id") not in (None, owners[name])
                   for name in owners for r in webhook_server.to(f"/{name}")
                   if (e := json.loads(r.body))["type"].startswith("partner."))
