"""Collaboration history: what a partner did in joint activities and how well it went, learned from the bus.

One record per partner and activity, filled in by whichever event comes first: ``activity.published`` (role,
title, when), ``activity.completed`` (contributions committed and delivered), ``partner.evaluated`` (the
performance evaluation measured). The summary is what reviews and recommendations read.
"""
from __future__ import annotations

from statistics import mean


def collaboration_key(partner_id: str, activity_id: str) -> str:
    return f"{partner_id}:{activity_id}"


def from_published(data: dict) -> list[tuple[str, dict]]:
    """(partner id, fields) for each organizer of a published activity."""
    return [(org["partner_id"], {"role": org["role"], "title": data["title"], "starts_at": data["starts_at"],
                                 "activity_type": data.get("activity_type"), "paths": list(data.get("paths", [])),
                                 "themes": list(data.get("themes", []))})
            for org in data["organizers"]]


def from_completed(data: dict) -> list[tuple[str, dict]]:
    """(partner id, fields) for each organizer of a completed activity: its contributions and the turnout."""
    out = []
    for org in data["organizers"]:
        contributions = [{"kind": c["kind"], "committed": c["committed"], "delivered": bool(c["delivered"])}
                         for c in data.get("contributions", []) if c["partner_id"] == org["partner_id"]]
        out.append((org["partner_id"], {"role": org["role"], "title": data["title"], "starts_at": data["starts_at"],
                                        "completed_at": data["completed_at"], "contributions": contributions,
                                        "checked_in_count": data.get("checked_in_count")}))
    return out


def from_evaluated(data: dict) -> tuple[str, dict]:
    """(partner id, fields) from an evaluation of the partner's part in an activity."""
    evaluation = {key: data.get(key) for key in ("outcome_share_agreeing", "response_count", "attendance_ratio",
                                                  "contributions_delivered_ratio", "evaluated_at")}
    return data["partner_id"], {"role": data["role"], "evaluation": evaluation}


def merge(record: dict, fields: dict) -> None:
    """Fold what an event says into the record; what it does not say is kept."""
    for key, value in fields.items():
        if value is not None:
            record[key] = value


def _mean(values: list) -> float | None:
    present = [value for value in values if value is not None]
    return round(mean(present), 3) if present else None


def summarize(records: list[dict]) -> dict:
    """Counts, last engagement, contributions delivered, and the performance evaluation measured."""
    contributions = [c for record in records for c in record.get("contributions", [])]
    evaluations = [record["evaluation"] for record in records if record.get("evaluation")]
    completed = [record["completed_at"] for record in records if record.get("completed_at")]
    starts = [record["starts_at"] for record in records if record.get("starts_at")]
    outcome = _mean([e.get("outcome_share_agreeing") for e in evaluations])
    attendance = _mean([e.get("attendance_ratio") for e in evaluations])
    delivered_eval = _mean([e.get("contributions_delivered_ratio") for e in evaluations])
    delivered = sum(1 for c in contributions if c["delivered"])
    parts = [value for value in (outcome, attendance, delivered_eval) if value is not None]
    return {
        "activities": len(records),
        "as_lead": sum(1 for record in records if record.get("role") == "lead"),
        "as_co_organizer": sum(1 for record in records if record.get("role") == "co_organizer"),
        "last_engagement": max(completed) if completed else None,  # the last activity it completed with us
        "latest_activity_starts_at": max(starts) if starts else None,  # may lie ahead: a published activity
        "contributions_committed": len(contributions),
        "contributions_delivered": delivered,
        "evaluated": len(evaluations),
        "mean_outcome_share_agreeing": outcome,
        "mean_attendance_ratio": attendance,
        "mean_contributions_delivered_ratio": delivered_eval,
        "performance_index": round(mean([min(max(p, 0.0), 1.0) for p in parts]), 3) if parts else None,
    }
