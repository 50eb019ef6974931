"""The qualification review: every step, every refusal, the rubric and what each step announces."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.catalogue import check_data
from services.partners import review
from services.partners.domain import IllegalTransition, Partner, PartnerRuleBroken

NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
ALL_FIVES = {"legal_qualification": 5, "resource_fit": 5, "reputation": 5, "safety_compliance": 5,
             "past_performance": 5}


def museum(status: str = "applied") -> Partner:
    partner = Partner.register("prt_m", name={"zh": "上海科技馆", "en": "SSTM"}, level="outside",
                               kind="science_museum", now=NOW)
    partner.status = status
    return partner


def under_review(**kwargs) -> Partner:
    partner = museum()
    review.start_review(partner, by="office", at=NOW, **kwargs)
    return partner


def scored(*sheets: dict) -> Partner:
    partner = under_review()
    for n, scores in enumerate(sheets):
        review.score(partner, reviewer=f"r{n}", scores=scores, comment="", by="office", at=NOW)
    return partner


def decide(partner: Partner, outcome: str, reason: str = "", conditions: list | None = None):
    return review.decide(partner, outcome=outcome, reason=reason, conditions=conditions or [], by="chair", at=NOW,
                         valid_days=365, notice_days=30, zone="Asia/Shanghai")


def test_from_applied_to_approved_each_step_recorded_and_announced():
    partner = museum()
    started = review.start_review(partner, by="office", at=NOW, reason="applied in October",
                                  evidence=[{"title": "licence", "ref": "doc://1", "kind": "licence"}])
    assert (partner.status, started["previous_status"], started["decided_by"]) == ("under_review", "applied",
                                                                                   "office")
    assert check_data("partner.review_started", started, producing=True)
    review.score(partner, reviewer="张", scores=ALL_FIVES, comment="", by="office", at=NOW)
    review.score(partner, reviewer="李", scores=dict(ALL_FIVES, reputation=3), comment="", by="office", at=NOW)
    event_type, data = decide(partner, "approved", reason="fits well")
    assert event_type == "partner.approved" and partner.status == "approved"
    assert check_data("partner.approved", data, producing=True)
    assert data["conditions"] == [] and data["expires_at"] == "2027-11-01T02:00:00.000Z"
    assert data["weighted_total"] == 96.0
    assert partner.renewal_due_on == "2027-10-02"
    assert partner.review is None and partner.past_reviews[0]["decision"]["reviewers"] == 2
    assert [h["status"] for h in partner.status_history] == ["applied", "under_review", "approved"]
    assert partner.status_history[-1]["by"] == "chair" and partner.status_history[-1]["reason"] == "fits well"


def test_the_tally_weighs_each_criterion_and_shows_each_reviewer():
    partner = scored(ALL_FIVES, {key: 0 for key in ALL_FIVES})
    result = review.tally(partner.review)
    assert result["weighted_total"] == 50.0 and result["criterion_means"]["reputation"] == 2.5
    assert [sheet["reviewer"] for sheet in partner.review["scoresheets"]] == ["r0", "r1"]


def test_a_configured_rubric_is_used():
    rubric = {"criteria": [{"key": "fit", "label": {"zh": "匹配"}, "weight": 3},
                           {"key": "safety", "label": {"zh": "安全"}, "weight": 1}],
              "scale": 10, "pass_mark": 70, "conditional_mark": 50, "min_reviewers": 1}
    partner = under_review(rubric=rubric)
    result = review.score(partner, reviewer="r", scores={"fit": 10, "safety": 2}, comment="", by="o", at=NOW)
    assert result["weighted_total"] == 80.0
    assert decide(partner, "approved")[0] == "partner.approved"


def test_a_second_sheet_of_the_same_reviewer_replaces_the_first():
    partner = scored(ALL_FIVES)
    review.score(partner, reviewer="r0", scores={key: 1 for key in ALL_FIVES}, comment="", by="o", at=NOW)
    assert len(partner.review["scoresheets"]) == 1 and partner.review["scoresheets"][0]["revised"]


def test_approval_with_conditions_and_rejection():
    partner = scored(dict(ALL_FIVES, reputation=2, past_performance=2), dict(ALL_FIVES, reputation=2))
    event_type, data = decide(partner, "approved_with_conditions", conditions=["insurance for every event"])
    assert (event_type, partner.status, data["conditions"]) == ("partner.approved", "approved_with_conditions",
                                                                ["insurance for every event"])
    other = scored(ALL_FIVES, ALL_FIVES)
    event_type, data = decide(other, "rejected", reason="no licence")
    assert (event_type, other.status, other.approval) == ("partner.rejected", "rejected", None)
    assert check_data("partner.rejected", data, producing=True)


@pytest.mark.parametrize("sheets, outcome, reason, conditions, field", [
    ((ALL_FIVES,), "approved", "", [], "scores"),  # one reviewer of two
    ((dict.fromkeys(ALL_FIVES, 2),) * 2, "approved", "", [], "outcome"),  # 40 < pass mark 60
    ((dict.fromkeys(ALL_FIVES, 1),) * 2, "approved_with_conditions", "", ["x"], "outcome"),  # 20 < 45
    ((ALL_FIVES,) * 2, "approved_with_conditions", "", [], "conditions"),
    ((ALL_FIVES,) * 2, "approved", "", ["x"], "conditions"),
    ((ALL_FIVES,) * 2, "rejected", "  ", [], "reason"),
    ((ALL_FIVES,) * 2, "adopted", "", [], "outcome"),
])
def test_decisions_the_rules_refuse(sheets, outcome, reason, conditions, field):
    partner = scored(*sheets)
    with pytest.raises(PartnerRuleBroken) as caught:
        decide(partner, outcome, reason, conditions)
    assert caught.value.field == field
    assert partner.status == "under_review" and partner.review is not None


@pytest.mark.parametrize("scores", [
    {key: 5 for key in list(ALL_FIVES)[:-1]},  # one criterion missing
    dict(ALL_FIVES, charisma=3),  # unknown criterion
    dict(ALL_FIVES, reputation=6),  # out of range
    dict(ALL_FIVES, reputation=-1),
])
def test_scoresheets_the_rubric_refuses(scores):
    partner = under_review()
    with pytest.raises(PartnerRuleBroken) as caught:
        review.score(partner, reviewer="r", scores=scores, comment="", by="o", at=NOW)
    assert caught.value.field == "scores" and partner.review["scoresheets"] == []


@pytest.mark.parametrize("rubric", [
    {"criteria": [], "scale": 5, "pass_mark": 60, "conditional_mark": 45, "min_reviewers": 1},
    {"criteria": [{"key": "a", "label": {"zh": "a"}, "weight": 1}] * 2, "scale": 5, "pass_mark": 60,
     "conditional_mark": 45, "min_reviewers": 1},
    {"criteria": [{"key": "a", "label": {"zh": "a"}, "weight": 1}], "scale": 5, "pass_mark": 40,
     "conditional_mark": 45, "min_reviewers": 1},
])
def test_rubrics_that_cannot_be_scored_are_refused(rubric):
    with pytest.raises(PartnerRuleBroken):
        review.start_review(museum(), by="o", at=NOW, rubric=rubric)


@pytest.mark.parametrize("status", ["under_review", "suspended", "retired"])
def test_a_review_cannot_start_from(status):
    with pytest.raises(IllegalTransition):
        review.start_review(museum(status), by="o", at=NOW)


def test_only_one_review_is_open_at_a_time_and_steps_need_an_open_review():
    partner = under_review()
    with pytest.raises(IllegalTransition):
        review.start_review(partner, by="o", at=NOW)
    idle = museum()
    for step in (lambda: review.score(idle, reviewer="r", scores=ALL_FIVES, comment="", by="o", at=NOW),
                 lambda: decide(idle, "approved"),
                 lambda: review.add_evidence(idle, {"title": "t", "ref": "r"}, by="o", at=NOW)):
        with pytest.raises(IllegalTransition):
            step()


def test_evidence_is_listed_by_reference_once():
    partner = under_review()
    review.add_evidence(partner, {"title": "licence", "ref": "doc://1", "kind": "licence"}, by="o", at=NOW)
    with pytest.raises(PartnerRuleBroken):
        review.add_evidence(partner, {"title": "again", "ref": "doc://1", "kind": "licence"}, by="o", at=NOW)
    assert [item["ref"] for item in partner.review["evidence"]] == ["doc://1"]


def test_a_rejected_partner_may_be_reviewed_again_and_a_renewal_keeps_it_working():
    partner = scored(ALL_FIVES, ALL_FIVES)
    decide(partner, "rejected", reason="incomplete file")
    assert review.start_review(partner, by="o", at=NOW)["status"] == "under_review"
    approved = scored(ALL_FIVES, ALL_FIVES)
    decide(approved, "approved")
    data = review.start_review(approved, by="o", at=NOW, history={"performance_index": 0.8})
    assert (data["status"], data["previous_status"]) == ("approved", "approved") and approved.may_organize
    assert approved.review["renewal"] and approved.review["suggested_scores"]["past_performance"] == 4


def test_suspension_and_reinstatement_return_to_the_former_status():
    partner = scored(ALL_FIVES, ALL_FIVES)
    decide(partner, "approved_with_conditions", conditions=["x"])
    with pytest.raises(PartnerRuleBroken):
        review.suspend(partner, reason="", by="o", at=NOW)
    data = review.suspend(partner, reason="safety incident", by="chair", at=NOW)
    assert (partner.status, data["previous_status"]) == ("suspended", "approved_with_conditions")
    assert check_data("partner.suspended", data, producing=True) and not partner.may_organize
    with pytest.raises(IllegalTransition):
        review.suspend(partner, reason="again", by="chair", at=NOW)
    with pytest.raises(IllegalTransition):
        review.start_review(partner, by="o", at=NOW)
    data = review.reinstate(partner, reason="resolved", by="chair", at=NOW)
    assert partner.status == "approved_with_conditions" and data["previous_status"] == "suspended"
    with pytest.raises(IllegalTransition):
        review.reinstate(partner, reason="", by="chair", at=NOW)


@pytest.mark.parametrize("status", ["applied", "under_review", "rejected", "retired"])
def test_a_suspension_is_refused_from(status):
    with pytest.raises(IllegalTransition):
        review.suspend(museum(status), reason="why", by="o", at=NOW)


def test_retiring_closes_an_open_review_and_is_final():
    partner = under_review()
    data = review.retire(partner, reason="closed down", by="chair", at=NOW)
    assert partner.status == "retired" and partner.review is None
    assert partner.past_reviews[0]["decision"]["outcome"] == "withdrawn"
    assert check_data("partner.retired", data, producing=True)
    for step in (lambda: review.retire(partner, reason="", by="o", at=NOW),
                 lambda: review.start_review(partner, by="o", at=NOW),
                 lambda: review.reinstate(partner, reason="", by="o", at=NOW)):
        with pytest.raises(IllegalTransition):
            step()


def test_campus_units_may_be_suspended_and_reinstated_to_active():
    faculty = Partner.register("prt_f", name={"zh": "文学院"}, level="campus", kind="faculty", now=NOW)
    review.suspend(faculty, reason="x", by="o", at=NOW)
    review.reinstate(faculty, reason="", by="o", at=NOW)
    assert faculty.status == "active"


def test_the_partner_is_asked_to_renew_once_per_approval():
    partner = scored(ALL_FIVES, ALL_FIVES)
    decide(partner, "approved")
    assert review.renewal_notice(partner, "2027-10-01") is None
    data = review.renewal_notice(partner, "2027-10-02")
    assert data == {"partner_id": "prt_m", "expires_at": "2027-11-01T02:00:00.000Z"}
    assert check_data("partner.renewal_due", data, producing=True)
    assert review.renewal_notice(partner, "2027-10-03") is None
    # a renewed approval asks again when its own time comes
    review.start_review(partner, by="o", at=NOW + timedelta(days=340))
    for n in range(2):
        review.score(partner, reviewer=f"r{n}", scores=ALL_FIVES, comment="", by="o", at=NOW)
    review.decide(partner, outcome="approved", reason="", conditions=[], by="c", at=NOW + timedelta(days=341),
                  valid_days=365, notice_days=30, zone="Asia/Shanghai")
    assert review.renewal_notice(partner, "2027-10-05") is None
    assert review.renewal_notice(partner, "2028-12-31")["expires_at"].startswith("2028-10")
