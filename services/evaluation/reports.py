"""Term reports: for the coordination group (every activity of the term) and per unit (the activities it
organized). One set of data, three forms: JSON for scripts, CSV for spreadsheets, and an HTML page with
charts for people (see charts.py and report.html).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.common.clock import isoformat
from services.evaluation import charts, scoring
from services.evaluation.plans import TermPlan
from services.evaluation.templates import FOLLOW_UP, IMMEDIATE, TOPIC_NAMES

COORDINATION_GROUP = "coordination_group"
GROUPINGS = ("term", "joint", "level", "path", "activity_type", "organizer", "activity")
ITEM_NAMES = {
    "knowledge": {"zh": "知识", "en": "Knowledge"}, "confidence": {"zh": "信心", "en": "Confidence"},
    "application": {"zh": "应用", "en": "Application"}, "awareness": {"zh": "认知", "en": "Awareness"},
    "satisfaction": {"zh": "满意度", "en": "Satisfaction"}, "applied": {"zh": "已应用", "en": "Applied"},
    "continued_benefit": {"zh": "持续受益", "en": "Continued benefit"},
    "confidence_lasting": {"zh": "信心持续", "en": "Lasting confidence"},
}
GROUP_NAMES = {
    "co_organized": {"zh": "联合举办", "en": "co-organized"}, "single_organizer": {"zh": "单独举办",
                                                                               "en": "single organizer"},
    "library": {"zh": "馆内", "en": "library"}, "campus": {"zh": "校内", "en": "campus"},
    "outside": {"zh": "校外", "en": "outside"},
}


def organizer_names(activities: list[dict]) -> dict[str, dict]:
    names = {}
    for activity in activities:
        for org in activity.get("organizers", []):
            names[org["partner_id"]] = org["name"]
    return names


def build(*, term_id: str, scope: str, activities: list[dict], responses: dict[str, list[dict]],
          plan: TermPlan | None, partner_evaluations: list[dict], minimum: int, now: datetime, today: date) -> dict:
    """The report's data; ``scope`` is ``coordination_group`` or a partner id (a unit's report)."""
    if scope != COORDINATION_GROUP:
        activities = [a for a in activities if scope in a.get("organizer_ids", [])]
        partner_evaluations = [e for e in partner_evaluations if e["partner_id"] == scope]
    names = organizer_names(activities)
    all_answers = [r for a in activities for r in responses.get(a["activity_id"], [])]
    immediate = [r["answers"] for r in all_answers if r["stage"] == IMMEDIATE]
    invited = sum(a.get("invited", {}).get(IMMEDIATE, 0) for a in activities)
    scores = {grouping: scoring.scores_by(grouping, activities, responses, minimum) for grouping in GROUPINGS}
    if scope != COORDINATION_GROUP:
        scores["organizer"] = {k: v for k, v in scores["organizer"].items() if k == scope}
    return {
        "term_id": term_id,
        "scope": {"kind": "coordination_group"} if scope == COORDINATION_GROUP else
                 {"kind": "unit", "partner_id": scope, "name": names.get(scope, {"zh": scope, "en": scope})},
        "generated_at": isoformat(now),
        "minimum_responses": minimum,
        "summary": {
            "activities": len(activities),
            "completed": sum(1 for a in activities if a.get("status") == "completed"),
            "co_organized": sum(1 for a in activities if scoring.is_joint(a)),
            "invited": invited,
            "responses": len(immediate),
            "follow_up_responses": sum(1 for r in all_answers if r["stage"] == FOLLOW_UP),
            "response_rate": len(immediate) / invited if invited else None,
        },
        "scores": scores,
        "synergy": scoring.synergy_analysis(activities, responses, minimum),
        "plan": plan.progress(activities, immediate, today, minimum) if plan and scope == COORDINATION_GROUP
        else None,
        "partners": sorted(partner_evaluations, key=lambda e: (e["partner_id"], e["activity_id"])),
        "organizers": names,
        "activities": [{
            "activity_id": a["activity_id"], "title": a.get("title", {}), "activity_type": a.get("activity_type"),
            "topic": a.get("topic"), "paths": a.get("paths", []), "status": a.get("status"),
            "level": scoring.activity_level(a), "co_organized": scoring.is_joint(a),
            "organizers": [o["partner_id"] for o in a.get("organizers", [])],
            "starts_at": a.get("starts_at"), "invited": a.get("invited", {}).get(IMMEDIATE, 0),
            "responses": sum(1 for r in responses.get(a["activity_id"], []) if r["stage"] == IMMEDIATE),
        } for a in sorted(activities, key=lambda a: a.get("starts_at") or "")],
    }


CSV_FIELDS = ["section", "grouping", "group", "stage", "item", "activities", "n", "agreeing", "share", "ci_low",
              "ci_high", "mean", "status", "target", "completed", "scheduled", "difference", "difference_ci_low",
              "difference_ci_high", "p_value"]


def _csv_rows(report: dict) -> list[dict]:
    rows = []
    for grouping, groups in report["scores"].items():
        for group, entry in groups.items():
            for stage in (IMMEDIATE, FOLLOW_UP):
                for item, score in entry[stage]["items"].items():
                    rows.append({"section": "scores", "grouping": grouping, "group": group, "stage": stage,
                                 "item": item, "activities": entry["activities"], **{
                                     k: score.get(k) for k in ("n", "agreeing", "share", "ci_low", "ci_high",
                                                               "mean", "status")}})
    synergy = report["synergy"]
    for comparison in [synergy["joint_vs_single"], *synergy["levels"]]:
        for item, entry in comparison["items"].items():
            ci = entry.get("difference_ci") or [None, None]
            rows.append({"section": "synergy", "grouping": f"{comparison['a']} - {comparison['b']}",
                         "group": comparison["a"], "stage": IMMEDIATE, "item": item, "n": entry["n_a"],
                         "status": entry["status"], "share": entry.get("share_a"),
                         "difference": entry.get("difference"), "difference_ci_low": ci[0],
                         "difference_ci_high": ci[1], "p_value": entry.get("p_value")})
    for target in (report["plan"] or {}).get("targets", []):
        rows.append({"section": "plan", "grouping": target["dimension"], "group": target.get("key") or "",
                     "item": target.get("measure", "activities"), "target": target["target"],
                     "completed": target.get("completed"), "scheduled": target.get("scheduled"),
                     "share": target.get("share"), "n": target.get("n"), "status": target["status"]})
    return rows


def to_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in _csv_rows(report):
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()})
    return out.getvalue()


_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


_TEMPLATES.filters["pct"] = _pct


def to_html(report: dict) -> str:
    """A page a person would rather look at than read: the charts first, the tables after."""
    images = {
        "outcomes": charts.outcome_chart(report["scores"]["term"], ITEM_NAMES),
        "synergy": charts.synergy_chart(report["synergy"], ITEM_NAMES),
        "levels": charts.level_chart(report["synergy"]["level_scores"], ITEM_NAMES),
    }
    if report["plan"]:
        images["plan"] = charts.plan_chart(report["plan"])
    per_type = defaultdict(dict, report["scores"]["activity_type"])
    return _TEMPLATES.get_template("report.html").render(
        report=report, images=images, item_names=ITEM_NAMES, group_names=GROUP_NAMES, topics=TOPIC_NAMES,
        per_type=per_type, titles={a["activity_id"]: a["title"] for a in report["activities"]},
        outcomes=list(scoring.SCORED_ITEMS[IMMEDIATE]), stages=(IMMEDIATE, FOLLOW_UP))
