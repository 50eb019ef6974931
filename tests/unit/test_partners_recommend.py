"""Recommendations: only partners that may organize, ranked by the points of reasons that are all shown."""
from __future__ import annotations

from datetime import UTC, datetime

from services.partners.recommend import recommend


def partner(pid: str, status: str = "approved", themes=(), resources=(), conditions=()) -> dict:
    return {"id": pid, "name": {"zh": pid}, "level": "outside", "kind": "museum", "status": status,
            "themes": list(themes), "resources": [{"kind": kind, "name": f"{kind} of {pid}"} for kind in resources],
            "approval": {"conditions": list(conditions)}}


def test_candidates_are_ranked_by_explained_points():
    partners = [partner("a", themes=["science"]),
                partner("b", themes=["science"], resources=["space"]),
                partner("c", status="applied", themes=["science"], resources=["space"]),
                partner("d", themes=["poetry"]),
                partner("e", status="approved_with_conditions", themes=["science"], conditions=["insurance"])]
    summaries = {"a": {"performance_index": 0.9, "evaluated": 2, "activities": 3}}
    items = recommend(partners, summaries, themes=["science"], paths=["space"], resources=["space"], limit=10)
    assert [item["partner_id"] for item in items] == ["b", "a", "e"]
    for item in items:
        assert item["score"] == round(sum(reason["points"] for reason in item["reasons"]), 2)
        assert all(reason["text"]["zh"] and reason["text"]["en"] for reason in item["reasons"])
    codes = {item["partner_id"]: [reason["code"] for reason in item["reasons"]] for item in items}
    assert codes == {"b": ["theme", "resource", "path"], "a": ["theme", "performance", "experience"],
                     "e": ["theme", "conditions"]}
    assert "space of b" in items[0]["reasons"][1]["text"]["en"]


def test_the_limit_is_kept_and_nothing_fits_nothing():
    partners = [partner(str(n), themes=["x"]) for n in range(5)]
    assert len(recommend(partners, {}, themes=["x"], paths=[], resources=[], limit=2)) == 2
    assert recommend(partners, {}, themes=["y"], paths=[], resources=[], limit=2) == []


def test_a_lapsed_approval_is_a_reason_against():
    lapsed = partner("a", themes=["x"])
    lapsed["approval"]["expires_at"] = datetime(2026, 1, 1, tzinfo=UTC)
    (item,) = recommend([lapsed], {}, themes=["x"], paths=[], resources=[], limit=5,
                        now=datetime(2026, 6, 1, tzinfo=UTC))
    assert [reason["code"] for reason in item["reasons"]] == ["theme", "lapsed"] and item["score"] == 0.0
    assert "2026-01-01" in item["reasons"][1]["text"]["en"]
