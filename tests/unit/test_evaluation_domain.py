"""Survey templates, the survey's lifecycle and the answers it accepts, scores, plans and reports."""
from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.terms import term_bounds, term_of
from services.evaluation import reports, scoring, templates
from services.evaluation.domain import (
    Survey,
    SurveyRuleBroken,
    new_response_id,
    new_token,
    partnership_level,
    token_hash,
)
from services.evaluation.plans import TermPlan

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


def activity(activity_id="act_1", activity_type="lecture", paths=("activity",), levels=("library",), aims=(),
             **extra) -> dict:
    organizers = [{"partner_id": f"prt_{n}", "name": {"zh": f"单位{n}", "en": f"Unit {n}"},
                   "role": "lead" if n == 0 else "co_organizer", "level": level} for n, level in enumerate(levels)]
    return {"activity_id": activity_id, "title": {"zh": "讲座", "en": "Lecture"}, "activity_type": activity_type,
            "paths": list(paths), "themes": [], "starts_at": "2026-12-05T02:00:00.000Z",
            "ends_at": "2026-12-05T04:00:00.000Z", "venue": None, "organizers": organizers,
            "organizer_ids": [o["partner_id"] for o in organizers], "aims": list(aims), "status": "completed",
            "term_id": "2026-autumn", **extra}


def open_survey(**kwargs) -> tuple[Survey, list[str]]:
    survey = Survey.prepare_for(activity(**kwargs), NOW)
    survey.schedule(NOW, timedelta(days=14), kwargs.get("aims"))
    tokens = [new_token() for _ in range(3)]
    survey.open(tokens, NOW)
    return survey, tokens


FULL = {"knowledge": 5, "confidence": 4, "application": 4, "awareness": 3, "satisfaction": 5}


def test_the_template_follows_the_activity_type_and_paths_with_both_languages_and_a_labelled_scale():
    survey = Survey.prepare_for(activity(activity_type="film", paths=("space", "resources")), NOW)
    assert survey.topic == "events_programs"
    assert [i["key"] for i in survey.items] == ["knowledge", "confidence", "application", "awareness",
                                                "satisfaction"]
    assert all(i["required"] and i["zh"] and i["en"] for i in survey.items)
    assert [i["key"] for i in survey.path_items] == ["path_space", "path_resources"]
    assert not any(i["required"] for i in survey.path_items + survey.open_items)
    assert [i["key"] for i in survey.open_items] == ["liked_most", "improve"]
    assert [p["value"] for p in survey.scale] == [1, 2, 3, 4, 5]
    assert all(p["zh"] and p["en"] for p in survey.scale), "every point of the scale is labelled"
    assert survey.scale[0]["en"] == "Strongly disagree" and survey.scale[-1]["en"] == "Strongly agree"
    assert templates.topic_for("other", ["space"]) == "space"
    assert templates.topic_for("other", ["activity"]) == "events_programs"
    assert Survey.prepare_for(activity(activity_type="exhibition"), NOW).topic == "digital_special_collections"
    follow_up = Survey.prepare_for(activity(), NOW, templates.FOLLOW_UP)
    assert [i["key"] for i in follow_up.items] == ["applied", "continued_benefit", "confidence_lasting",
                                                   "satisfaction"]


def test_aims_become_optional_items_and_unknown_aims_are_skipped():
    survey = Survey.prepare_for(activity(), NOW)
    survey.schedule(NOW, timedelta(days=14), ["information_literacy", "not_a_dimension", "innovation_ability"])
    assert [i["key"] for i in survey.aim_items] == ["aim_information_literacy", "aim_innovation_ability"]
    assert "信息素养" in survey.aim_items[0]["zh"] and "information literacy" in survey.aim_items[0]["en"]


def test_organizers_add_a_few_questions_before_the_survey_opens_and_never_edit_the_core():
    survey = Survey.prepare_for(activity(), NOW)
    options = [{"value": "wechat", "zh": "微信"}, {"value": "poster", "zh": "海报"}]
    survey.set_organizer_questions([{"zh": "您从哪里得知本活动？", "type": "choice", "required": True,
                                     "options": options}])
    assert survey.organizer_items[0]["key"] == "org_1"
    with pytest.raises(SurveyRuleBroken):
        survey.set_organizer_questions([{"zh": "q", "type": "text"}] * 4)
    core_before = [dict(i) for i in survey.items]
    survey.schedule(NOW, timedelta(days=14))
    with pytest.raises(SurveyRuleBroken) as caught:
        survey.set_organizer_questions([])
    assert caught.value.conflict
    assert survey.items == core_before


def test_a_survey_opens_once_keeps_only_token_hashes_and_closes():
    survey = Survey.prepare_for(activity(), NOW)
    assert survey.schedule(NOW, timedelta(days=14)) is True
    assert survey.schedule(NOW, timedelta(days=14)) is False
    assert survey.due_to_open(NOW)
    tokens = [new_token(), new_token()]
    opened = survey.open(tokens, NOW + timedelta(hours=1))
    assert opened["invited_count"] == 2 and opened["closes_at"] == "2026-12-19T07:00:00.000Z"
    assert survey.token_hashes == [token_hash(t) for t in tokens]
    assert not any(t in str(survey.__dict__) for t in tokens), "no token is kept in the clear"
    with pytest.raises(SurveyRuleBroken):
        survey.open(tokens, NOW)
    assert not survey.due_to_close(NOW + timedelta(days=13)) and survey.due_to_close(NOW + timedelta(days=15))
    assert survey.close(7, NOW + timedelta(days=15))["response_count"] == 7
    with pytest.raises(SurveyRuleBroken):
        survey.close(7, NOW + timedelta(days=16))


def test_tokens_are_long_random_and_response_ids_are_random_too():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 40 for t in tokens)
    ids = {new_response_id() for _ in range(100)}
    assert len(ids) == 100 and all(i.startswith("rsp_") and len(i) == 36 for i in ids)


def test_answers_are_checked_item_by_item():
    survey, _ = open_survey()
    assert survey.check_answers(dict(FULL, liked_most="  the speaker  ")) == dict(FULL, liked_most="the speaker")
    cases = [
        ({k: v for k, v in FULL.items() if k != "awareness"}, "awareness"),
        (dict(FULL, knowledge=6), "knowledge"),
        (dict(FULL, knowledge=0), "knowledge"),
        (dict(FULL, knowledge="5"), "knowledge"),
        (dict(FULL, knowledge=4.5), "knowledge"),
        (dict(FULL, knowledge=True), "knowledge"),
        (dict(FULL, surprise=3), "surprise"),
        (dict(FULL, improve="x" * 2001), "improve"),
        (dict(FULL, path_activity=9), "path_activity"),
    ]
    for answers, field in cases:
        with pytest.raises(SurveyRuleBroken) as caught:
            survey.check_answers(answers)
        assert field in caught.value.errors, (answers, caught.value.errors)


def test_responses_are_refused_before_opening_and_after_closing():
    prepared = Survey.prepare_for(activity(), NOW)
    with pytest.raises(SurveyRuleBroken, match="not open"):
        prepared.accepting(NOW)
    survey, _ = open_survey()
    survey.accepting(NOW + timedelta(days=1))
    with pytest.raises(SurveyRuleBroken, match="late responses"):
        survey.accepting(NOW + timedelta(days=14))
    survey.close(0, NOW + timedelta(days=2))
    with pytest.raises(SurveyRuleBroken, match="closed"):
        survey.accepting(NOW + timedelta(days=3))


def test_the_form_shows_one_language_with_every_scale_point_labelled():
    survey, _ = open_survey()
    form = survey.form("en")
    assert form["scale"][0] == {"value": 1, "label": "Strongly disagree"}
    assert form["items"][0]["text"].startswith("I learned")
    assert survey.form("zh")["scale"][4]["label"] == "非常同意"


def test_partnership_level_is_the_widest_among_organizers():
    assert partnership_level(["library"]) == "library"
    assert partnership_level(["library", "campus"]) == "campus"
    assert partnership_level(["campus", "outside", "library"]) == "outside"


def responses(activity_id: str, values: list[int], stage="immediate") -> list[dict]:
    keys = templates.OUTCOMES + ("satisfaction",)
    return [{"activity_id": activity_id, "stage": stage, "answers": {k: v for k in keys}} for v in values]


def test_scores_are_too_few_below_the_minimum_and_otherwise_carry_share_interval_and_mean():
    acts = [activity("act_a", levels=("library",), invited={"immediate": 10}),
            activity("act_b", levels=("library", "outside"), invited={"immediate": 20})]
    answers = {"act_a": responses("act_a", [5, 4, 2]), "act_b": responses("act_b", [5, 5, 4, 3, 1, 4])}
    by_activity = scoring.scores_by("activity", acts, answers, minimum=5)
    few = by_activity["act_a"]["immediate"]
    assert few["status"] == "too_few" and few["response_rate"] == pytest.approx(0.3)
    assert few["items"]["knowledge"] == {"n": 3, "status": "too_few", "label": scoring.TOO_FEW, "minimum": 5}
    enough = by_activity["act_b"]["immediate"]["items"]["knowledge"]
    assert (enough["n"], enough["agreeing"], enough["share"]) == (6, 4, pytest.approx(4 / 6))
    assert (round(enough["ci_low"], 4), round(enough["ci_high"], 4)) == (0.3000, 0.9032)  # Wilson 4/6 by hand
    assert enough["mean"] == pytest.approx(22 / 6)
    by_org = scoring.scores_by("organizer", acts, answers, minimum=5)
    assert by_org["prt_0"]["activities"] == 2 and by_org["prt_0"]["immediate"]["responses"] == 9
    assert by_org["prt_1"]["immediate"]["responses"] == 6
    by_level = scoring.scores_by("level", acts, answers, minimum=5)
    assert set(by_level) == {"library", "outside"}
    assert scoring.scores_by("term", acts, answers, 5)["2026-autumn"]["immediate"]["invited"] == 30


def test_synergy_compares_joint_and_single_with_newcombe_and_says_when_the_difference_is_real():
    joint = [activity(f"act_j{n}", levels=("library", "campus")) for n in range(2)]
    single = [activity(f"act_s{n}", levels=("library",)) for n in range(2)]
    answers = {"act_j0": responses("act_j0", [5] * 28), "act_j1": responses("act_j1", [4] * 28 + [2] * 14),
               "act_s0": responses("act_s0", [5] * 24 + [1] * 16), "act_s1": responses("act_s1", [4] * 24 + [3] * 16)}
    result = scoring.synergy_analysis(joint + single, answers, minimum=5)
    knowledge = result["joint_vs_single"]["items"]["knowledge"]
    assert (knowledge["agreeing_a"], knowledge["n_a"], knowledge["agreeing_b"], knowledge["n_b"]) == (56, 70, 48, 80)
    assert [round(v, 4) for v in knowledge["difference_ci"]] == [0.0524, 0.3339]  # Newcombe's published example
    assert knowledge["real"] is True and knowledge["p_value"] < 0.01
    assert result["groups"]["co_organized"] == {"activities": 2, "responses": 70}
    campus_vs_library = result["levels"][0]
    assert (campus_vs_library["a"], campus_vs_library["b"]) == ("campus", "library")
    assert result["levels"][1]["items"]["knowledge"]["status"] == "too_few"  # no outside partner at all


def test_partner_evaluation_measures_attendance_against_plan_and_contributions_against_commitments():
    record = activity(levels=("library", "outside"), capacity=100, registered_count=120, checked_in_count=80,
                      contributions=[{"partner_id": "prt_1", "kind": "venue", "committed": "hall", "delivered": True},
                                     {"partner_id": "prt_1", "kind": "experts", "committed": 2, "delivered": False}])
    answers = [r["answers"] for r in responses("act_1", [5, 5, 4, 2, 1])]
    lead, co = scoring.partner_evaluations(record, answers, 5, "2026-12-20T00:00:00.000Z")
    assert lead["role"] == "lead" and lead["contributions_delivered_ratio"] is None
    assert co["contributions_delivered_ratio"] == 0.5 and co["attendance_ratio"] == 0.8
    assert co["outcome_share_agreeing"] == pytest.approx(0.6) and co["response_count"] == 5
    assert scoring.partner_evaluations(record, answers[:4], 5, "x")[0]["outcome_share_agreeing"] is None


def test_terms_are_named_by_season_in_the_display_zone():
    assert term_of(datetime(2026, 12, 5, tzinfo=UTC), "Asia/Shanghai") == "2026-autumn"
    assert term_of(datetime(2027, 1, 20, tzinfo=UTC), "Asia/Shanghai") == "2026-autumn"
    assert term_of(datetime(2027, 1, 31, 17, tzinfo=UTC), "Asia/Shanghai") == "2027-spring"  # 1 Feb in Shanghai
    assert term_bounds("2027-spring") == (date(2027, 2, 1), date(2027, 7, 31))
    with pytest.raises(ValueError):
        term_bounds("2027-winter")


def plan() -> TermPlan:
    return TermPlan(term_id="2026-autumn", starts_on=date(2026, 8, 1), ends_on=date(2027, 1, 31), set_by="admin",
                    set_at=NOW, targets=[
                        {"dimension": "activity_type", "key": "lecture", "measure": "activities", "target": 2},
                        {"dimension": "level", "key": "outside", "measure": "activities", "target": 3},
                        {"dimension": "path", "key": "activity", "measure": "activities", "target": 3},
                        {"dimension": "outcome", "key": "knowledge", "measure": "share_agreeing", "target": 0.9},
                    ])


def test_plan_progress_says_what_is_met_on_track_or_falling_behind():
    acts = [activity("act_a"), activity("act_b", levels=("library", "outside")),
            activity("act_c", activity_type="film", status="published")]
    answers = [{"knowledge": v} for v in [5, 5, 4, 2, 1, 1]]
    progress = plan().progress(acts, answers, date(2026, 12, 1), minimum=5)
    status = {(t["dimension"], t["key"]): t["status"] for t in progress["targets"]}
    assert status == {("activity_type", "lecture"): "met", ("level", "outside"): "behind",
                      ("path", "activity"): "on_track", ("outcome", "knowledge"): "behind"}
    assert [t["key"] for t in progress["behind"]] == ["outside", "knowledge"]
    assert 0.5 < progress["elapsed"] < 0.7


def report_data() -> dict:
    acts = [activity("act_a", levels=("library", "campus"), invited={"immediate": 12}),
            activity("act_b", levels=("library",), invited={"immediate": 9}),
            activity("act_c", activity_type="exhibition", levels=("library", "outside"), invited={"immediate": 3})]
    answers = {"act_a": responses("act_a", [5, 5, 4, 4, 3, 2, 5]), "act_b": responses("act_b", [4, 3, 2, 2, 5, 1]),
               "act_c": responses("act_c", [5, 4])}
    evaluations = scoring.partner_evaluations(dict(acts[0], capacity=20, checked_in_count=12),
                                              [r["answers"] for r in answers["act_a"]], 5, "2026-12-20T00:00:00Z")
    return reports.build(term_id="2026-autumn", scope=reports.COORDINATION_GROUP, activities=acts,
                         responses=answers, plan=plan(), partner_evaluations=evaluations, minimum=5, now=NOW,
                         today=date(2026, 12, 5))


def test_a_report_comes_as_data_csv_and_an_html_page_with_charts(tmp_path):
    report = report_data()
    assert report["summary"]["responses"] == 15 and report["summary"]["invited"] == 24
    assert report["scores"]["activity"]["act_c"]["immediate"]["status"] == "too_few"
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(report))))
    knowledge_a = next(r for r in rows if r["grouping"] == "activity" and r["group"] == "act_a"
                       and r["stage"] == "immediate" and r["item"] == "knowledge")
    assert knowledge_a["share"] == f"{5 / 7:.4f}" and knowledge_a["status"] == "scored"
    few = next(r for r in rows if r["group"] == "act_c" and r["item"] == "knowledge" and r["stage"] == "immediate")
    assert few["status"] == "too_few" and few["share"] == "" and few["mean"] == ""
    assert {r["section"] for r in rows} == {"scores", "synergy", "plan"}
    page = reports.to_html(report)
    assert page.count("data:image/png;base64,") == 4
    assert "样本过少，不予评分" in page or "too few" in page
    assert "落后" in page and "Falling behind" in page
    performance = page.split("承诺兑现 Contributions delivered")[1].split("</table>")[0]
    assert performance.count("none committed") == 2, "an organizer that committed nothing is told, not blank"
    assert "60%" in performance, "12 checked in of a capacity of 20"
    first = page.split("data:image/png;base64,")[1].split('"')[0]
    assert base64.b64decode(first).startswith(b"\x89PNG")


def test_a_unit_report_keeps_only_the_units_activities():
    report = reports.build(term_id="2026-autumn", scope="prt_1",
                           activities=[activity("act_a", levels=("library", "campus")), activity("act_b")],
                           responses={}, plan=plan(), partner_evaluations=[], minimum=5, now=NOW,
                           today=date(2026, 12, 5))
    assert [a["activity_id"] for a in report["activities"]] == ["act_a"]
    assert report["plan"] is None and report["scope"] == {"kind": "unit", "partner_id": "prt_1",
                                                          "name": {"zh": "单位1", "en": "Unit 1"}}
    assert list(report["scores"]["organizer"]) == ["prt_1"]


def test_an_outcome_target_with_too_few_answers_is_shown_as_such_on_the_page():
    report = reports.build(term_id="2026-autumn", scope=reports.COORDINATION_GROUP,
                           activities=[activity("act_a")], responses={}, plan=plan(), partner_evaluations=[],
                           minimum=5, now=NOW, today=date(2026, 12, 5))
    outcome = next(t for t in report["plan"]["targets"] if t["measure"] == "share_agreeing")
    assert outcome["status"] == "too_few" and "share" not in outcome
    page = reports.to_html(report)
    row = page.split("outcome: knowledge (share agreeing)")[1].split("</tr>")[0]
    assert "90%" in row and "too few to score" in row
