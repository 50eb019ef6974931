"""Every paged list of the API pages the same way: ``cursor`` = the previous page's ``next_cursor``, the same in a
``Link: rel="next"`` header, null on the last page; walking the pages yields each item once. The names some lists
took before (``after``, ``before``) still work, and the document says they are deprecated."""
from __future__ import annotations

import pytest

from tests.support.activities import publish_through_approval
from tests.support.api import Api, eventually
from tests.support.world import agreement_body, created, endpoint_body, lecture, partner_body, person_body

pytestmark = pytest.mark.cluster

PAGE = 2


def walk(api: Api, path: str, params: dict | None = None) -> list[str]:
    """The ids of every item, following next_cursor; each next page is also the one the Link header names."""
    params = dict(params or {}, limit=PAGE)
    seen: list[str] = []
    page = api.get(path, params=params)
    while True:
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= PAGE
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            assert "next" not in page.links
            return seen
        following = api.get(path, params={**params, "cursor": body["next_cursor"]})
        by_link = api.session.get(api.base_url + page.links["next"]["url"], timeout=15)
        assert by_link.json()["items"] == following.json()["items"], page.links["next"]["url"]
        page = following


def all_at_once(api: Api, path: str, params: dict | None = None) -> list[str]:
    body = api.get(path, params=dict(params or {}, limit=200)).json()
    assert body["next_cursor"] is None
    return [item["id"] for item in body["items"]]


def test_every_paged_list_yields_each_item_once_by_cursor_and_by_link(cluster):
    api = cluster.api
    lead = created(api.post("/v1/partners", partner_body("faculty", "campus")))["id"]
    for _ in range(4):
        created(api.post("/v1/partners", partner_body("faculty", "campus")))
        created(api.post("/v1/api-keys", {"kind": "staff", "label": "desk"}))
        created(api.post("/v1/agreements", agreement_body(lead)))
    endpoint = created(api.post("/v1/webhook-endpoints", endpoint_body(lead)))["id"]
    person = person_body()
    for n in range(6):  # three published (the same person registered for each), three drafts
        activity = created(api.post("/v1/activities", lecture(lead, [])))["id"]
        if n < 3:
            assert publish_through_approval(api, activity).status_code == 200
            created(api.post(f"/v1/activities/{activity}/registrations", person))

    deliveries = f"/v1/partners/{lead}/webhook-endpoints/{endpoint}/deliveries"
    inbox, personal = f"/v1/partners/{lead}/inbox", f"/v1/people/{person['person_id']}/inbox"
    eventually(lambda: all(len(all_at_once(api, path)) >= 3 for path in (deliveries, inbox, personal)), timeout=20)
    lists = [("/v1/api-keys", {}), ("/v1/partners", {"level": "campus"}), ("/v1/agreements", {}),
             ("/v1/activities", {}), (deliveries, {}), (f"/v1/webhook-endpoints/{endpoint}/deliveries", {}),
             (inbox, {}), (personal, {})]
    for path, params in lists:
        each_once(api, path, params)


def each_once(api: Api, path: str, params: dict) -> None:
    everything = all_at_once(api, path, params)
    assert len(everything) > PAGE, (path, everything)
    walked = walk(api, path, params)
    assert len(walked) == len(set(walked)), (path, walked)
    assert sorted(walked) == sorted(everything), path


def test_a_listing_filtered_by_one_status_pages_on(cluster):
    api = cluster.api
    lead = created(api.post("/v1/partners", partner_body("faculty", "campus")))["id"]
    for _ in range(3):
        created(api.post("/v1/activities", lecture(lead, [])))
    each_once(api, "/v1/activities", {"status": "draft"})


def test_the_old_cursor_names_still_work_and_are_documented_as_deprecated(cluster):
    api = cluster.api
    lead = created(api.post("/v1/partners", partner_body("faculty", "campus")))["id"]
    for _ in range(3):
        created(api.post("/v1/agreements", agreement_body(lead)))
    first = api.get("/v1/agreements", params={"limit": 1}).json()
    by_cursor = api.get("/v1/agreements", params={"limit": 1, "cursor": first["next_cursor"]})
    by_old_name = api.get("/v1/agreements", params={"limit": 1, "after": first["next_cursor"]})
    assert by_cursor.json()["items"] == by_old_name.json()["items"] != first["items"]
    both = api.get("/v1/agreements", params={"limit": 1, "after": "x", "cursor": first["next_cursor"]})
    assert both.status_code == 422 and "after" in both.json()["errors"]
    inbox = api.get("/v1/coordination-group/inbox", params={"limit": 1, "before": "nonsense-but-short"})
    assert inbox.status_code == 200 and "next" in inbox.json() and "next_cursor" in inbox.json()

    document = api.get("/openapi.json").json()
    for path, old in (("/v1/agreements", "after"), ("/v1/partners", "after"), ("/v1/api-keys", "after"),
                      ("/v1/partners/{partner_id}/inbox", "before"),
                      ("/v1/partners/{partner_id}/webhook-endpoints/{endpoint_id}/deliveries", "before")):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert "cursor" in parameters and not parameters["cursor"].get("deprecated"), path
        assert parameters[old]["deprecated"] is True, path
    assert "cursor" in {p["name"] for p in document["paths"]["/v1/activities"]["get"]["parameters"]}
