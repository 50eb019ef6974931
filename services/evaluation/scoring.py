"""Outcome scores: share agreeing with a Wilson interval, means with counts, response rates; and the synergy
analysis that compares joint with single-organizer activities and partnerships by level.

Below the minimum number of answers a score is "too few to score" and carries no share and no mean, so that
nobody reads a bare number off three responses. Responses within one activity are treated as independent:
the intervals say how sure we are about the respondents we asked, not about the activities as clusters.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from services.evaluation import statistics
from services.evaluation.domain import partnership_level
from services.evaluation.templates import (
    AGREEING,
    FOLLOW_UP,
    FOLLOW_UP_OUTCOMES,
    IMMEDIATE,
    OUTCOMES,
    SATISFACTION,
)

TOO_FEW = {"zh": "样本过少，不予评分", "en": "too few to score"}
SCORED_ITEMS = {IMMEDIATE: OUTCOMES + (SATISFACTION,), FOLLOW_UP: FOLLOW_UP_OUTCOMES + (SATISFACTION,)}
LEVELS = ("library", "campus", "outside")


def item_score(values: list[int], minimum: int) -> dict:
    """One item's score: count, and (enough answers) agreeing, share, Wilson interval and mean."""
    n = len(values)
    if n < minimum:
        return {"n": n, "status": "too_few", "label": TOO_FEW, "minimum": minimum}
    agreeing = sum(1 for value in values if value in AGREEING)
    interval = statistics.wilson(agreeing, n)
    return {"n": n, "status": "scored", "agreeing": agreeing, "share": agreeing / n, "ci_low": interval.low,
            "ci_high": interval.high, "mean": statistics.mean(values)}


def score_set(answers: list[dict], invited: int, stage: str, minimum: int) -> dict:
    """The scores of one group of responses of one stage."""
    n = len(answers)
    items = {key: item_score([a[key] for a in answers if isinstance(a.get(key), int)], minimum)
             for key in SCORED_ITEMS[stage]}
    return {"stage": stage, "responses": n, "invited": invited,
            "response_rate": (n / invited) if invited else None,
            "status": "scored" if n >= minimum else "too_few", "items": items}


def activity_level(activity: dict) -> str:
    return partnership_level([org["level"] for org in activity.get("organizers", [])])


def is_joint(activity: dict) -> bool:
    return len(activity.get("organizers", [])) > 1


GROUPINGS: dict[str, Callable[[dict], Iterable[str]]] = {
    "activity": lambda a: [a["activity_id"]],
    "organizer": lambda a: [org["partner_id"] for org in a.get("organizers", [])],
    "path": lambda a: a.get("paths", []),
    "activity_type": lambda a: [a.get("activity_type", "other")],
    "level": lambda a: [activity_level(a)],
    "term": lambda a: [a["term_id"]] if a.get("term_id") else [],
    "joint": lambda a: ["co_organized" if is_joint(a) else "single_organizer"],
}


def scores_by(grouping: str, activities: list[dict], responses: dict[str, list[dict]], minimum: int,
              stages: tuple[str, ...] = (IMMEDIATE, FOLLOW_UP)) -> dict[str, dict]:
    """Scores of every group of ``grouping``; ``responses`` maps activity id to its responses (with stage)."""
    answers: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    invited: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    for activity in activities:
        for group in GROUPINGS[grouping](activity):
            counts[group] += 1
            for stage in stages:
                invited[group][stage] += activity.get("invited", {}).get(stage, 0)
            for response in responses.get(activity["activity_id"], []):
                answers[group][response["stage"]].append(response["answers"])
    return {group: {"activities": counts[group],
                    **{stage: score_set(answers[group][stage], invited[group][stage], stage, minimum)
                       for stage in stages}}
            for group in sorted(counts)}


def outcome_share(answers: list[dict], minimum: int) -> float | None:
    """The share of agreeing answers over the four outcome statements; None under the minimum of responses."""
    if len(answers) < minimum:
        return None
    values = [a[key] for a in answers for key in OUTCOMES if isinstance(a.get(key), int)]
    return sum(1 for value in values if value in AGREEING) / len(values) if values else None


def _tally(answers: list[dict], key: str) -> tuple[int, int]:
    values = [a[key] for a in answers if isinstance(a.get(key), int)]
    return sum(1 for value in values if value in AGREEING), len(values)


def compare(name_a: str, answers_a: list[dict], name_b: str, answers_b: list[dict], minimum: int) -> dict:
    """Group a against group b on each outcome: both shares with Wilson intervals, the difference with
    Newcombe's interval and a two-proportion z test. A difference is called real only when its interval
    excludes zero."""
    result = {"a": name_a, "b": name_b, "items": {}}
    for key in OUTCOMES + (SATISFACTION,):
        (xa, na), (xb, nb) = _tally(answers_a, key), _tally(answers_b, key)
        entry: dict = {"n_a": na, "n_b": nb}
        if na < minimum or nb < minimum:
            entry.update(status="too_few", label=TOO_FEW, minimum=minimum)
        else:
            wa, wb = statistics.wilson(xa, na), statistics.wilson(xb, nb)
            diff = statistics.newcombe_difference(xa, na, xb, nb)
            z, p = statistics.two_proportion_z(xa, na, xb, nb)
            entry.update(status="scored", agreeing_a=xa, agreeing_b=xb, share_a=xa / na, share_b=xb / nb,
                         ci_a=[wa.low, wa.high], ci_b=[wb.low, wb.high], difference=xa / na - xb / nb,
                         difference_ci=[diff.low, diff.high], z=z, p_value=p,
                         real=diff.low > 0 or diff.high < 0)
        result["items"][key] = entry
    return result


def synergy_analysis(activities: list[dict], responses: dict[str, list[dict]], minimum: int) -> dict:
    """Do joint activities do better? Co-organized against single-organizer, and each pair of levels."""
    by_joint: dict[str, list[dict]] = defaultdict(list)
    by_level: dict[str, list[dict]] = defaultdict(list)
    activity_counts: dict[str, int] = defaultdict(int)
    for activity in activities:
        answers = [r["answers"] for r in responses.get(activity["activity_id"], []) if r["stage"] == IMMEDIATE]
        joint = "co_organized" if is_joint(activity) else "single_organizer"
        level = activity_level(activity)
        by_joint[joint] += answers
        by_level[level] += answers
        activity_counts[joint] += 1
        activity_counts[level] += 1
    answers_of = {**by_joint, **by_level}
    groups = {name: {"activities": activity_counts[name], "responses": len(answers_of.get(name, []))}
              for name in ("co_organized", "single_organizer") + LEVELS}
    level_pairs = [("campus", "library"), ("outside", "library"), ("outside", "campus")]
    return {
        "groups": groups,
        "joint_vs_single": compare("co_organized", by_joint["co_organized"], "single_organizer",
                                   by_joint["single_organizer"], minimum),
        "levels": [compare(a, by_level[a], b, by_level[b], minimum) for a, b in level_pairs],
        "level_scores": {level: score_set(by_level[level], 0, IMMEDIATE, minimum) for level in LEVELS},
        "note": {"en": "Shares agreeing (4-5) among immediate-survey answers; 95% intervals (Wilson for a share, "
                       "Newcombe for a difference). A difference is real when its interval excludes zero.",
                 "zh": "即时问卷中选择同意（4–5）的比例；95% 置信区间（单一比例用 Wilson，差值用 Newcombe）。"
                       "差值的区间不含 0 时，才视为确有差异。"},
    }


def _ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def partner_evaluations(activity: dict, answers: list[dict], minimum: int, evaluated_at: str) -> list[dict]:
    """For each organizer of a completed activity: outcomes, attendance against plan, contributions delivered
    against committed. Attendance is measured against capacity, or against registrations without one."""
    share = outcome_share(answers, minimum)
    planned = activity.get("capacity") or activity.get("registered_count")
    attendance = _ratio(activity.get("checked_in_count"), planned)
    result = []
    for org in activity.get("organizers", []):
        committed = [c for c in activity.get("contributions", []) if c.get("partner_id") == org["partner_id"]]
        delivered = sum(1 for c in committed if c.get("delivered"))
        result.append({"partner_id": org["partner_id"], "activity_id": activity["activity_id"], "role": org["role"],
                       "outcome_share_agreeing": share, "response_count": len(answers),
                       "attendance_ratio": attendance,
                       "contributions_delivered_ratio": _ratio(delivered, len(committed)),
                       "evaluated_at": evaluated_at})
    return result
