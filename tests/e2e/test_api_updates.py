"""No update is lost, over HTTP on the real cluster: the ETag names the object's revision and If-Match is a
compare-and-set in the service that owns the object, on every update route that takes it.

Without If-Match an update applies to the current revision (as before ETags); with a stale or unknown tag it is
412 and changes nothing; of updates racing from the same revision exactly one wins.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.activities import approve_partner, publish_through_approval
from tests.support.api import Api, eventually
from tests.support.settle import bus_settled
from tests.support.world import created, endpoint_body, lecture, partner_body

pytestmark = pytest.mark.cluster


def refused_412(response) -> bool:
    return response.status_code == 412 and response.headers["content-type"] == "application/problem+json" \
        and response.json()["type"].endswith("precondition_failed")


def race(base_url: str, key: str, method: str, path: str, bodies: list[dict], etag: str) -> list:
    """The same update, from the same revision, sent at once by as many clients as there are bodies."""
    def send(body: dict):
        return Api(base_url, key).session.request(method, base_url + path, json=body, headers={"If-Match": etag},
                                                  timeout=30)
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_updates_from_the_same_revision_race_and_exactly_one_wins(cluster):
    admin, base = cluster.api, cluster.cluster.gateway_url
    museum = created(admin.post("/v1/partners", partner_body()))
    path = f"/v1/partners/{museum['id']}"
    stored = cluster.db("partners")["partners"]

    read = admin.get(path)
    etag = read.headers["ETag"]
    assert "revision" not in read.json(), "the revision travels in the ETag"
    bodies = [{"description": f"written by client {n}"} for n in range(6)]
    answers = race(base, cluster.key, "PATCH", path, bodies, etag)
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) == 1, [a.status_code for a in answers]
    assert all(refused_412(a) for a in answers if a is not winners[0]), [a.text for a in answers]
    winner = bodies[answers.index(winners[0])]["description"]
    assert stored.find_one({"_id": museum["id"]})["description"] == winner
    assert admin.get(path).json()["description"] == winner
    assert winners[0].headers["ETag"] == admin.get(path).headers["ETag"], "the PATCH answer's ETag is GET's"
    history = stored.find_one({"_id": museum["id"]})["status_history"]
    assert len(history) == 1, "the losers changed nothing"


def test_if_match_on_every_update_route(cluster):
    admin, base = cluster.api, cluster.cluster.gateway_url
    museum, league = (created(admin.post("/v1/partners", partner_body(kind, level)))
                      for kind, level in (("museum", "outside"), ("youth_league", "campus")))
    approve_partner(cluster, museum)  # its events have reached the activities below before any tag is read

    def check(read_path: str, method: str, write_path: str, body: dict, changed, bad_body: dict | None = None,
              stored_revision=None, answers_as_get: bool = True):
        """Current tag 200 (and the answer's tag is GET's, or names the same revision where the update answers
        another shape than GET), the same tag again 412 and nothing changed, a tag this API never made 412, bad
        input with the current tag 422 and nothing changed."""
        first = admin.get(read_path)
        assert first.status_code == 200, first.text
        tag = first.headers["ETag"]
        send = getattr(admin, method)
        done = send(write_path, body, headers={"If-Match": tag})
        assert done.status_code == 200, done.text
        assert changed(admin.get(read_path).json())
        after = admin.get(read_path).headers["ETag"]
        if answers_as_get:
            assert done.headers["ETag"] == after
        assert done.headers["ETag"].split("-")[0] == after.split("-")[0] != tag.split("-")[0]
        if stored_revision:  # what the setup set going on the bus (a partner's events on its activities) is done
            bus_settled(cluster)
        before = stored_revision() if stored_revision else None
        stale = send(write_path, body, headers={"If-Match": tag})
        assert refused_412(stale), stale.text
        for forged in ('"r999999-0000000000000000"', '"made-up"', 'W/' + after, after.strip('"')):
            assert refused_412(send(write_path, body, headers={"If-Match": forged})), forged
        if bad_body is not None:
            for header in (after, tag, "made-up"):  # bad input is 422, whatever If-Match says
                assert send(write_path, bad_body, headers={"If-Match": header}).status_code == 422
        assert admin.get(read_path).headers["ETag"] == after, "refused updates changed nothing"
        if stored_revision:
            assert stored_revision() == before

    # a partner's profile
    partners = cluster.db("partners")["partners"]
    check(f"/v1/partners/{museum['id']}", "patch", f"/v1/partners/{museum['id']}", {"description": "old maps"},
          lambda p: p["description"] == "old maps", {"level": "mars"},
          lambda: partners.find_one({"_id": museum["id"]})["_rev"])
    # without If-Match: applied to the current revision, as before ETags
    plain = admin.patch(f"/v1/partners/{museum['id']}", {"description": "no tag"})
    assert plain.status_code == 200 and plain.headers["ETag"] == admin.get(f"/v1/partners/{museum['id']}").headers[
        "ETag"]

    # an activity, and an organizer's part of it (tagged as the activity)
    activities = cluster.db("events")["activities"]
    activity = created(admin.post("/v1/activities", lecture(museum["id"], [league["id"]])))
    apath = f"/v1/activities/{activity['id']}"
    check(apath, "patch", apath, {"description": "with a quiz"}, lambda a: a["description"] == "with a quiz",
          {"capacity": -3}, lambda: activities.find_one({"_id": activity["id"]})["_rev"])
    check(apath, "put", f"{apath}/organizers/{league['id']}/contributions",
          {"contributions": [{"kind": "volunteers", "committed": "ten guides"}]},
          lambda a: a["organizers"][1]["contributions"][0]["committed"] == "ten guides", {"contributions": "x"})
    check(apath, "put", f"{apath}/organizers/{league['id']}/tasks",
          {"tasks": [{"title": "posters", "due_at": "2026-12-01T10:00:00+08:00"}]},
          lambda a: a["organizers"][1]["tasks"][0]["title"] == "posters", {"tasks": [{}]})

    # the survey's own questions (before it opens)
    assert publish_through_approval(admin, activity["id"]).status_code == 200
    survey = f"{apath}/surveys/immediate"
    eventually(lambda: admin.get(survey).status_code == 200, timeout=20)
    check(survey, "put", f"{survey}/questions", {"questions": [{"zh": "地图有用吗？", "type": "text"}]},
          lambda s: len(s["organizer_items"]) == 1, {"questions": "x"})

    # a webhook endpoint of the museum (for an event that will not happen here: no delivery moves it)
    hook = endpoint_body(museum["id"]) | {"event_types": ["agreement.expired"]}
    endpoint = created(admin.post("/v1/webhook-endpoints", hook))
    epath = f"/v1/partners/{museum['id']}/webhook-endpoints/{endpoint['id']}"
    check(epath, "patch", epath, {"description": "CMS"}, lambda e: e["description"] == "CMS", {"url": "ftp://x"})

    # settings made on first write: the default's tag stands for "never written" (revision 0)
    prefs = "/v1/people/stu_wu/notification-preferences"
    check(prefs, "put", prefs, {"mode": "weekly_digest", "channels": ["inbox"]},
          lambda p: p["mode"] == "weekly_digest", {"mode": "hourly"},
          lambda: cluster.db("notify")["preferences"].find_one({"_id": "stu_wu"})["_rev"])
    rubric = admin.get("/v1/partner-review-rubric").json()
    check("/v1/partner-review-rubric", "put", "/v1/partner-review-rubric", rubric | {"min_reviewers": 1},
          lambda r: r["min_reviewers"] == 1, {"criteria": []})
    plan = "/v1/terms/2026-autumn/plan"
    assert admin.put(plan, {"targets": [{"dimension": "all", "target": 1}]}).status_code == 200
    check(plan, "put", plan, {"targets": [{"dimension": "all", "target": 5}]},
          lambda p: p["plan"]["targets"][0]["target"] == 5, {"targets": [{"dimension": "moon", "target": 1}]},
          answers_as_get=False)  # the PUT answers the plan; GET, the plan and its progress

    # a never-written object: revision 0 is "only if nobody wrote it first"
    zhao = "/v1/people/stu_zhao/notification-preferences"
    fresh = admin.get(zhao).headers["ETag"]
    assert fresh.startswith('"r0-')
    digest = {"mode": "weekly_digest", "channels": ["inbox"]}
    assert admin.put(zhao, digest, headers={"If-Match": fresh}).status_code == 200
    again = admin.put(zhao, {"mode": "immediate", "channels": ["inbox"]}, headers={"If-Match": fresh})
    assert refused_412(again), again.text
    assert admin.get(zhao).json()["mode"] == "weekly_digest"
    assert Api(base, None).get("/health").status_code == 200
