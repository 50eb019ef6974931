"""Partners over HTTP on the real processes, broker and store: the review and what events learns of it, refusals,
contacts, CSV bulk work, and the paper's cases loaded as demo data."""
from __future__ import annotations

import json

import pytest

from deploy import demo
from tests.support.api import eventually
from tests.support.settle import bus_settled
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

MUSEUM = {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"}, "level": "outside",
          "kind": "science_museum", "themes": ["science", "art"],
          "contacts": [{"name": "王老师", "role": "联络人", "phone": "+86 21 6862 2000", "email": "w@sstm.org"}],
          "resources": [{"kind": "space", "name": "临展厅", "capacity": 2000, "location": "浦东"}]}
SCORES = {"legal_qualification": 5, "resource_fit": 5, "reputation": 4, "safety_compliance": 4,
          "past_performance": 3}


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def patch(api, path: str, body: dict):
    return api.session.patch(api.base_url + path, json=body, timeout=15)


def directory_status(cluster, partner_id: str) -> str | None:
    known = cluster.db("events")["partner_directory"].find_one({"_id": partner_id})
    return known and known["status"]


def published_types(tap: Tap, subject: str) -> list[str]:
    found = []
    for _, body in tap.drain(0.3):
        envelope = json.loads(body)
        if envelope.get("subject") == subject:
            found.append(envelope["type"])
    return found


def test_a_review_from_applied_to_approved_is_announced_and_learned_by_events(cluster):
    api = cluster.api
    tap = Tap(cluster.amqp_uri, "partner.#")
    museum = ok(api.post("/v1/partners", MUSEUM), 201)
    pid = museum["id"]
    eventually(lambda: directory_status(cluster, pid) == "applied", timeout=15)

    # refusals first: nothing changes, nothing is announced
    assert "scores" in problem(api.post(f"/v1/partners/{pid}/review/scores", {"reviewer": "张"}), 422)["errors"]
    assert problem(api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "approved"}), 409)["status"] == 409
    assert problem(api.post(f"/v1/partners/{pid}/suspend", {"reason": "x"}), 409)
    assert problem(api.post(f"/v1/partners/{pid}/review", {"rubric": "strict"}), 422)["errors"]["rubric"]
    assert problem(api.post("/v1/partners/prt_01aaaaaaaaaaaaaaaaaaaaaaaa/review"), 404)

    started = ok(api.post(f"/v1/partners/{pid}/review", {"reason": "applied in October",
                                                          "evidence": [{"title": "licence", "ref": "doc://1"}]}))
    assert started["status"] == "under_review"
    eventually(lambda: directory_status(cluster, pid) == "under_review", timeout=15)
    ok(api.post(f"/v1/partners/{pid}/review/scores", {"reviewer": "张", "scores": SCORES}))
    too_few = problem(api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "approved"}), 422)
    assert "scores" in too_few["errors"]
    current = ok(api.post(f"/v1/partners/{pid}/review/scores", {"reviewer": "李", "scores": SCORES}))
    assert current["tally"] == {"reviewers": 2, "weighted_total": 87.0, "criterion_means": {
        "legal_qualification": 5.0, "resource_fit": 5.0, "reputation": 4.0, "safety_compliance": 4.0,
        "past_performance": 3.0}}
    decided = ok(api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "approved", "reason": "fits"}))
    assert decided["status"] == "approved" and decided["approval"]["weighted_total"] == 87.0
    eventually(lambda: directory_status(cluster, pid) == "approved", timeout=15)

    review = ok(api.get(f"/v1/partners/{pid}/review"))
    decision = review["past"][0]["decision"]
    assert [sheet["reviewer"] for sheet in review["past"][0]["scoresheets"]] == ["张", "李"]
    assert decision["weighted_total"] == 87.0 and decision["by"] == "bootstrap-admin"

    ok(api.post(f"/v1/partners/{pid}/suspend", {"reason": "safety incident"}))
    eventually(lambda: directory_status(cluster, pid) == "suspended", timeout=15)
    ok(api.post(f"/v1/partners/{pid}/reinstate"))
    eventually(lambda: directory_status(cluster, pid) == "approved", timeout=15)

    types = eventually(lambda: (lambda seen: seen if len(seen) >= 5 else None)(
        published_types(tap, pid)), timeout=15)
    assert types == ["partner.registered", "partner.review_started", "partner.approved", "partner.suspended",
                     "partner.reinstated"]
    approved = next(json.loads(body) for _, body in tap.messages if json.loads(body)["type"] == "partner.approved")
    assert approved["data"]["previous_status"] == "under_review" and approved["data"]["expires_at"]
    tap.close()

    # the profile changes, and a bad change is refused naming the field
    assert ok(patch(api, f"/v1/partners/{pid}", {"themes": ["science", "history"]}))["themes"] == ["history",
                                                                                                  "science"]
    assert "contacts" in problem(patch(api, f"/v1/partners/{pid}", {"contacts": [{"email": "x"}]}), 422)["errors"]
    assert problem(patch(api, "/v1/partners/prt_01aaaaaaaaaaaaaaaaaaaaaaaa", {"themes": []}), 404)

    # contacts: the admin sees phone and email; the search finds it in either language
    assert ok(api.get(f"/v1/partners/{pid}"))["contacts"][0]["phone"] == "+86 21 6862 2000"
    assert [p["id"] for p in ok(api.get("/v1/partners?q=science%20and"))["items"]] == [pid]
    assert ok(api.get("/v1/partners?status=approved&resource=space&theme=history"))["items"][0]["id"] == pid
    assert "status" in problem(api.get("/v1/partners?status=sleeping"), 422)["errors"]
    found = ok(api.post("/v1/partners/recommendations", {"themes": ["science"], "resources": ["space"]}))
    assert found["items"][0]["partner_id"] == pid and found["items"][0]["reasons"]


CSV_HEADER = "name_zh,name_en,level,kind,themes,description,resources,contacts\n"


def test_csv_import_is_all_or_nothing_unless_partial_is_asked(cluster):
    api = cluster.api
    text = CSV_HEADER + ("历史学院,School of History,campus,faculty,history,,,\n"
                         "坏单位,,campus,museum,,,,\n"
                         "樊登读书会,Fandeng,outside,reading_club,reading,,expert|领读人||,刘|经理|+86 29 1|l@f.org\n")
    headers = {"content-type": "text/csv"}
    refused = problem(api.post("/v1/partners/import", data=text.encode(), headers=headers), 422)
    assert list(refused["errors"]) == ["3"] and "kind" in refused["errors"]["3"]
    bus_settled(cluster)
    assert cluster.db("partners")["partners"].count_documents({}) == 0
    assert cluster.db("events")["partner_directory"].count_documents({}) == 0

    assert problem(api.post("/v1/partners/import", data=b"name_zh\nx\n", headers=headers), 422)["errors"]["_file"]
    assert problem(api.post("/v1/partners/import", json={"csv": text}), 415)
    assert problem(api.post("/v1/partners/import?mode=some", data=text.encode(), headers=headers), 422)

    partial = ok(api.post("/v1/partners/import?mode=partial", data=text.encode(), headers=headers), 201)
    assert [row["row"] for row in partial["imported"]] == [2, 4] and list(partial["errors"]) == ["3"]
    eventually(lambda: cluster.db("events")["partner_directory"].count_documents({}) == 2, timeout=15)
    assert ok(api.get(f"/v1/partners/imports/{partial['import_id']}"))["imported"] == partial["imported"]

    exported = api.get("/v1/partners.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "l@f.org" in exported.text and exported.text.count("\r\n") == 3
    again = problem(api.post("/v1/partners/import", data=exported.content, headers=headers), 422)
    assert set(again["errors"]) == {"2", "3"}, "names registered already are refused, per row"


def test_the_papers_cases_load_through_the_public_api_and_a_second_run_adds_nothing(cluster):
    ids = demo.load(cluster.cluster.gateway_url, cluster.key, log=lambda *_: None)
    api = cluster.api
    statuses = {short: ok(api.get(f"/v1/partners/{pid}"))["status"] for short, pid in ids.items()}
    assert statuses["sstm"] == "approved" and statuses["fandeng"] == "approved_with_conditions"
    assert statuses["zju_youth_league"] == "active"
    assert len(ok(api.get(f"/v1/partners/{ids['sstm']}/agreements"))["items"]) == 1
    eventually(lambda: len(ok(api.get(f"/v1/partners/{ids['sstm']}/history"))["collaborations"]) == 1, timeout=15)
    eventually(lambda: ok(api.get(f"/v1/partners/{ids['zju_alumni_fund']}"))["history"]["as_co_organizer"] == 1,
               timeout=15)
    counts = {name: cluster.db("partners")[name].count_documents({}) for name in ("partners", "agreements")}
    assert demo.load(cluster.cluster.gateway_url, cluster.key, log=lambda *_: None) == ids
    assert {name: cluster.db("partners")[name].count_documents({}) for name in ("partners", "agreements")} == counts
    assert cluster.db("events")["activities"].count_documents({}) == 4


def test_rejection_second_review_conditions_and_retirement_over_the_bus(cluster):
    api = cluster.api
    tap = Tap(cluster.amqp_uri, "partner.#")
    club = ok(api.post("/v1/partners", {"name": {"zh": "樊登读书会"}, "level": "outside", "kind": "reading_club"}),
              201)
    pid = club["id"]
    low = dict(dict.fromkeys(SCORES, 2), legal_qualification=3, resource_fit=3)  # weighted total 50

    def review_with(scores):
        ok(api.post(f"/v1/partners/{pid}/review"))
        for reviewer in ("张", "李"):
            ok(api.post(f"/v1/partners/{pid}/review/scores", {"reviewer": reviewer, "scores": scores}))

    review_with(low)
    assert "reason" in problem(api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "rejected"}), 422)["errors"]
    assert "outcome" in problem(api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "approved"}), 422)["errors"]
    ok(api.post(f"/v1/partners/{pid}/review/decision", {"outcome": "rejected", "reason": "no licence yet"}))
    eventually(lambda: directory_status(cluster, pid) == "rejected", timeout=15)

    review_with(low)  # applied again with its licence
    conditions = {"outcome": "approved_with_conditions", "conditions": ["no commercial promotion"]}
    assert ok(api.post(f"/v1/partners/{pid}/review/decision", conditions))["status"] == "approved_with_conditions"
    eventually(lambda: directory_status(cluster, pid) == "approved_with_conditions", timeout=15)

    assert ok(api.post(f"/v1/partners/{pid}/retire", {"reason": "club closed"}))["status"] == "retired"
    eventually(lambda: directory_status(cluster, pid) == "retired", timeout=15)
    for step in ("retire", "reinstate", "suspend", "review"):
        assert problem(api.post(f"/v1/partners/{pid}/{step}", {"reason": "x"}), 409)["status"] == 409

    types = eventually(lambda: (lambda seen: seen if len(seen) >= 6 else None)(published_types(tap, pid)),
                       timeout=15)
    bus_settled(cluster)  # every event partners wrote is published: a seventh would be on the tap now
    assert published_types(tap, pid) == ["partner.registered", "partner.review_started", "partner.rejected",
                                         "partner.review_started", "partner.approved", "partner.retired"], types
    tap.close()
