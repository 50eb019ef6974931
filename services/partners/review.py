"""The qualification review: the scientific evaluation and selection of partners the paper asks for.

Statuses and the steps between them (every step records who, when and why; anything else is refused)::

    applied | rejected --start_review--> under_review
    active | approved | approved_with_conditions --start_review--> (status kept: renewal or optional review)
    (open review) --decide--> approved | approved_with_conditions | rejected
    active | approved | approved_with_conditions --suspend--> suspended --reinstate--> (the status before)
    any but retired --retire--> retired

Reviewers of the coordination group score each criterion of a rubric (0..scale); the decision shows every
reviewer's scores, the mean per criterion and the weighted total (0..100). An approval needs the pass mark, an
approval with conditions the conditional mark, and lasts ``valid_days``; the partner is asked to renew
``notice_days`` before it lapses.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.common import ids
from services.common.clock import isoformat
from services.partners.domain import IllegalTransition, Partner, PartnerRuleBroken

DEFAULT_RUBRIC: dict = {
    "criteria": [
        {"key": "legal_qualification", "label": {"zh": "法律资质", "en": "Legal qualification"}, "weight": 25},
        {"key": "resource_fit", "label": {"zh": "资源匹配度", "en": "Resource fit"}, "weight": 25},
        {"key": "reputation", "label": {"zh": "社会声誉", "en": "Reputation"}, "weight": 20},
        {"key": "safety_compliance", "label": {"zh": "安全与合规", "en": "Safety and compliance"}, "weight": 15},
        {"key": "past_performance", "label": {"zh": "以往合作表现", "en": "Past performance"}, "weight": 15},
    ],
    "scale": 5,
    "pass_mark": 60,
    "conditional_mark": 45,
    "min_reviewers": 2,
}
OUTCOMES = ("approved", "approved_with_conditions", "rejected")
REVIEW_FROM = {"applied": "under_review", "rejected": "under_review", "active": "active", "approved": "approved",
               "approved_with_conditions": "approved_with_conditions"}
SUSPEND_FROM = ("active", "approved", "approved_with_conditions")


def default_rubric() -> dict:
    return copy.deepcopy(DEFAULT_RUBRIC)


def check_rubric(rubric: dict) -> dict:
    """A rubric that can be scored: unique criteria with positive weights, marks within 0..100."""
    keys = [criterion["key"] for criterion in rubric["criteria"]]
    if not keys:
        raise PartnerRuleBroken("A rubric needs at least one criterion.", "rubric")
    if len(keys) != len(set(keys)):
        raise PartnerRuleBroken("Each criterion appears once in a rubric.", "rubric")
    if any(criterion["weight"] <= 0 for criterion in rubric["criteria"]):
        raise PartnerRuleBroken("Every criterion needs a positive weight.", "rubric")
    if not 0 <= rubric["conditional_mark"] <= rubric["pass_mark"] <= 100:
        raise PartnerRuleBroken("Marks must satisfy 0 <= conditional_mark <= pass_mark <= 100.", "rubric")
    return rubric


def tally(review: dict) -> dict:
    """Mean score per criterion over the reviewers, and the weighted total on 0..100 (None before any score)."""
    rubric, sheets = review["rubric"], review["scoresheets"]
    means = {}
    for criterion in rubric["criteria"]:
        values = [sheet["scores"][criterion["key"]] for sheet in sheets]
        means[criterion["key"]] = round(sum(values) / len(values), 3) if values else None
    if not sheets:
        return {"criterion_means": means, "weighted_total": None, "reviewers": 0}
    weights = sum(criterion["weight"] for criterion in rubric["criteria"])
    total = sum(criterion["weight"] * means[criterion["key"]] for criterion in rubric["criteria"])
    return {"criterion_means": means, "weighted_total": round(100 * total / (weights * rubric["scale"]), 1),
            "reviewers": len(sheets)}


def suggested_past_performance(summary: dict | None, scale: int) -> int | None:
    """Past performance from evaluation, turned into a suggested score for the rubric (None: no evidence)."""
    index = (summary or {}).get("performance_index")
    return None if index is None else round(index * scale)


def status_event(partner: Partner, previous: str, reason: str, by: str, at: datetime) -> dict:
    return {"partner_id": partner.id, "status": partner.status, "previous_status": previous, "reason": reason,
            "decided_by": by, "decided_at": isoformat(at), "name": partner.name, "level": partner.level,
            "kind": partner.kind, "status_seq": partner.status_seq}


def _move(partner: Partner, new_status: str, *, step: str, reason: str, by: str, at: datetime) -> dict:
    previous = partner.status
    partner.status = new_status
    partner.updated_at = at
    partner.status_history.append({"status": new_status, "previous_status": previous, "step": step,
                                   "reason": reason, "by": by, "at": at})
    return status_event(partner, previous, reason, by, at)


def _open_review(partner: Partner, step: str) -> dict:
    if partner.review is None:
        raise IllegalTransition(partner.id, partner.status, step, "No qualification review is open.")
    return partner.review


def start_review(partner: Partner, *, by: str, at: datetime, reason: str = "", rubric: dict | None = None,
                 evidence: list[dict] | None = None, history: dict | None = None) -> dict:
    """Open a review; returns the data of ``partner.review_started``."""
    if partner.review is not None:
        raise IllegalTransition(partner.id, partner.status, "put under review", "A review is already open.")
    if partner.status not in REVIEW_FROM:
        raise IllegalTransition(partner.id, partner.status, "put under review")
    rubric = check_rubric(copy.deepcopy(rubric) if rubric else default_rubric())
    partner.review = {
        "id": ids.new_id("rev"), "started_at": at, "started_by": by, "reason": reason,
        "renewal": partner.approval is not None,
        "rubric": rubric, "scoresheets": [],
        "evidence": [dict(item, added_by=by, added_at=at) for item in evidence or []],
        "history": history,
        "suggested_scores": {"past_performance": suggested_past_performance(history, rubric["scale"])},
    }
    return _move(partner, REVIEW_FROM[partner.status], step="review_started", reason=reason, by=by, at=at)


def add_evidence(partner: Partner, item: dict, *, by: str, at: datetime) -> None:
    review = _open_review(partner, "given evidence")
    if any(existing["ref"] == item["ref"] for existing in review["evidence"]):
        raise PartnerRuleBroken("This evidence is already listed.", "ref")
    review["evidence"].append(dict(item, added_by=by, added_at=at))


def score(partner: Partner, *, reviewer: str, scores: dict, comment: str, by: str, at: datetime) -> dict:
    """A reviewer's scoresheet (a second sheet by the same reviewer replaces the first); returns the tally."""
    review = _open_review(partner, "scored")
    rubric = review["rubric"]
    wanted = {criterion["key"] for criterion in rubric["criteria"]}
    unknown, missing = sorted(set(scores) - wanted), sorted(wanted - set(scores))
    if unknown or missing:
        raise PartnerRuleBroken("Score every criterion of the rubric and nothing else"
                                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                                + (f"; missing: {', '.join(missing)}" if missing else "") + ".", "scores")
    out_of_range = sorted(key for key, value in scores.items() if not 0 <= value <= rubric["scale"])
    if out_of_range:
        raise PartnerRuleBroken(f"Scores go from 0 to {rubric['scale']}: {', '.join(out_of_range)}.", "scores")
    sheets = [sheet for sheet in review["scoresheets"] if sheet["reviewer"] != reviewer]
    revised = len(sheets) != len(review["scoresheets"])
    sheets.append({"reviewer": reviewer, "scores": dict(scores), "comment": comment, "recorded_by": by, "at": at,
                   "revised": revised})
    review["scoresheets"] = sheets
    partner.updated_at = at
    return tally(review)


def decide(partner: Partner, *, outcome: str, reason: str, conditions: list[str], by: str, at: datetime,
           valid_days: int, notice_days: int, zone: str) -> tuple[str, dict]:
    """Close the open review with a decision; returns the event type and its data."""
    review = _open_review(partner, "decided on")
    if partner.status in ("suspended", "retired"):
        raise IllegalTransition(partner.id, partner.status, "decided on")
    if outcome not in OUTCOMES:
        raise PartnerRuleBroken(f"The outcome is one of {', '.join(OUTCOMES)}.", "outcome")
    result = tally(review)
    rubric = review["rubric"]
    if result["reviewers"] < rubric["min_reviewers"]:
        raise PartnerRuleBroken(f"At least {rubric['min_reviewers']} reviewers must score before a decision; "
                                f"{result['reviewers']} did.", "scores")
    total = result["weighted_total"]
    if outcome == "approved" and total < rubric["pass_mark"]:
        raise PartnerRuleBroken(f"An approval needs a weighted total of {rubric['pass_mark']}; it is {total}.",
                                "outcome")
    if outcome == "approved_with_conditions":
        if total < rubric["conditional_mark"]:
            raise PartnerRuleBroken(f"An approval with conditions needs {rubric['conditional_mark']}; it is "
                                    f"{total}.", "outcome")
        if not conditions:
            raise PartnerRuleBroken("Name the conditions of the approval.", "conditions")
    elif conditions:
        raise PartnerRuleBroken("Only an approval with conditions has conditions.", "conditions")
    if outcome == "rejected" and not reason.strip():
        raise PartnerRuleBroken("A rejection must say why.", "reason")

    review.update(decision={"outcome": outcome, "reason": reason, "conditions": list(conditions), "by": by,
                            "at": at, **result})
    partner.past_reviews.append(review)
    partner.review = None
    data = _move(partner, outcome, step="decided", reason=reason, by=by, at=at)
    if outcome == "rejected":
        partner.approval, partner.renewal_due_on = None, None
        return "partner.rejected", data
    expires = at + timedelta(days=valid_days)
    partner.approval = {"decided_at": at, "expires_at": expires, "conditions": list(conditions),
                        "weighted_total": total, "review_id": review["id"]}
    partner.renewal_due_on = (expires - timedelta(days=notice_days)).astimezone(ZoneInfo(zone)).date().isoformat()
    return "partner.approved", dict(data, conditions=list(conditions), expires_at=isoformat(expires),
                                    weighted_total=total)


def suspend(partner: Partner, *, reason: str, by: str, at: datetime) -> dict:
    if partner.status not in SUSPEND_FROM:
        raise IllegalTransition(partner.id, partner.status, "suspended")
    if not reason.strip():
        raise PartnerRuleBroken("A suspension must say why.", "reason")
    partner.suspended_from = partner.status
    return _move(partner, "suspended", step="suspended", reason=reason, by=by, at=at)


def reinstate(partner: Partner, *, reason: str, by: str, at: datetime) -> dict:
    if partner.status != "suspended":
        raise IllegalTransition(partner.id, partner.status, "reinstated", "Only a suspended partner is reinstated.")
    back_to = partner.suspended_from or "active"
    partner.suspended_from = None
    return _move(partner, back_to, step="reinstated", reason=reason, by=by, at=at)


def retire(partner: Partner, *, reason: str, by: str, at: datetime) -> dict:
    if partner.status == "retired":
        raise IllegalTransition(partner.id, partner.status, "retired", "It is retired already.")
    if partner.review is not None:
        partner.review["decision"] = {"outcome": "withdrawn", "reason": "partner retired", "by": by, "at": at}
        partner.past_reviews.append(partner.review)
        partner.review = None
    partner.renewal_due_on = None
    return _move(partner, "retired", step="retired", reason=reason, by=by, at=at)


def renewal_notice(partner: Partner, today: str) -> dict | None:
    """The data of ``partner.renewal_due`` once per approval, when its notice day has come; else None."""
    if partner.approval is None or partner.renewal_due_on is None or partner.renewal_due_on > today:
        return None
    if partner.status not in ("approved", "approved_with_conditions"):
        return None
    expires_at = isoformat(partner.approval["expires_at"])
    partner.renewal_due_on = None
    if partner.renewal_notified_for == expires_at:
        return None
    partner.renewal_notified_for = expires_at
    return {"partner_id": partner.id, "expires_at": expires_at}
