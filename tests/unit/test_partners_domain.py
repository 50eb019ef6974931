"""Partners: levels and kinds, what registration announces, who sees contacts, and the collaboration history."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.catalogue import check_data
from services.common.errors import ValidationFailed
from services.common.validation import load
from services.partners import history
from services.partners.domain import (
    IllegalTransition,
    Partner,
    PartnerRuleBroken,
    name_key,
    search_text,
    visible_contacts,
)
from services.partners.schemas import PartnerProfile, PartnerRegistration

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_units_inside_the_university_are_active_and_outside_institutions_apply():
    faculty = Partner.register("prt_1", name={"zh": "文学院"}, level="campus", kind="faculty", now=NOW)
    museum = Partner.register("prt_2", name={"zh": "博物馆"}, level="outside", kind="museum", now=NOW)
    assert (faculty.status, museum.status) == ("active", "applied")
    assert faculty.may_organize and not museum.may_organize
    assert check_data("partner.registered", museum.registered_event(), producing=True)
    assert museum.status_history[0]["status"] == "applied"


def test_a_kind_must_belong_to_its_level():
    with pytest.raises(PartnerRuleBroken) as caught:
        Partner.register("prt_1", name={"zh": "x"}, level="library", kind="museum", now=NOW)
    assert caught.value.field == "kind"
    with pytest.raises(ValidationFailed) as refused:
        load(PartnerRegistration(), {"name": {"zh": "x"}, "level": "library", "kind": "museum"})
    assert "kind" in refused.value.details["errors"]


def test_themes_are_deduplicated_and_resources_give_their_kinds():
    partner = Partner.register("prt_1", name={"zh": "x"}, level="campus", kind="faculty", now=NOW,
                               themes=["b", "a", "b"], resources=[{"kind": "space", "name": "厅"},
                                                                  {"kind": "expert", "name": "张"},
                                                                  {"kind": "space", "name": "室"}])
    assert partner.themes == ["a", "b"]
    assert partner.resource_kinds == ["expert", "space"]


def test_names_are_searched_in_both_languages_and_compared_without_case_or_spaces():
    assert name_key({"zh": " 上海 科技馆 "}) == name_key({"zh": "上海科技馆"})
    assert "museum" in search_text({"zh": "上海科技馆", "en": "Shanghai Science and Technology MUSEUM"})


def test_phone_and_email_are_private():
    contacts = [{"name": "王老师", "role": "主任", "phone": "+86 21 1234", "email": "w@example.org"}]
    assert visible_contacts(contacts, False) == [{"name": "王老师", "role": "主任"}]
    assert visible_contacts(contacts, True) == contacts


def test_a_profile_update_names_what_changed_and_never_carries_contact_values():
    partner = Partner.register("prt_1", name={"zh": "x"}, level="campus", kind="faculty", now=NOW, themes=["a"])
    data = partner.update_profile({"themes": ["a"], "contacts": [{"name": "李", "phone": "123"}]}, NOW)
    assert data["changed"] == ["contacts"] and "123" not in str(data)
    assert check_data("partner.updated", data, producing=True)
    assert partner.update_profile({"themes": ["a"]}, NOW) is None
    partner.status = "retired"
    with pytest.raises(IllegalTransition):
        partner.update_profile({"description": "later"}, NOW)


@pytest.mark.parametrize("payload, field", [
    ({"contacts": [{"name": "x", "email": "not-an-email"}]}, "contacts"),
    ({"contacts": [{"name": "x", "phone": "call me"}]}, "contacts"),
    ({"resources": [{"kind": "castle", "name": "x"}]}, "resources"),
    ({"resources": [{"kind": "space", "name": "x", "capacity": 0}]}, "resources"),
    ({"themes": [""]}, "themes"),
    ({"level": "campus"}, "level"),
])
def test_bad_profiles_are_refused_naming_the_field(payload, field):
    with pytest.raises(ValidationFailed) as caught:
        load(PartnerProfile(), payload)
    assert field in caught.value.details["errors"]


PUBLISHED = {"activity_id": "act_1", "title": {"zh": "讲座"}, "starts_at": "2026-12-05T02:00:00.000Z",
             "activity_type": "lecture", "paths": ["activity"], "themes": ["science"],
             "organizers": [{"partner_id": "p1", "role": "lead"}, {"partner_id": "p2", "role": "co_organizer"}]}


def test_each_organizer_of_a_published_activity_gains_a_record_with_its_role():
    found = history.from_published(PUBLISHED)
    assert [(pid, fields["role"]) for pid, fields in found] == [("p1", "lead"), ("p2", "co_organizer")]
    assert history.collaboration_key("p1", "act_1") == "p1:act_1"


def test_completion_brings_each_organizer_its_own_contributions():
    completed = dict(PUBLISHED, completed_at="2026-12-05T05:00:00.000Z", checked_in_count=80, contributions=[
        {"partner_id": "p1", "kind": "space", "committed": "hall", "delivered": True},
        {"partner_id": "p2", "kind": "speakers", "committed": 2, "delivered": False}])
    found = dict(history.from_completed(completed))
    assert found["p2"]["contributions"] == [{"kind": "speakers", "committed": 2, "delivered": False}]
    assert found["p1"]["completed_at"] == "2026-12-05T05:00:00.000Z"


def test_the_summary_counts_roles_contributions_and_performance():
    records = [
        {"role": "lead", "starts_at": "2026-10-01T00:00:00.000Z",
         "contributions": [{"kind": "space", "committed": "hall", "delivered": True}],
         "evaluation": {"outcome_share_agreeing": 0.8, "attendance_ratio": 0.9, "contributions_delivered_ratio": 1.0}},
        {"role": "co_organizer", "starts_at": "2026-11-01T00:00:00.000Z",
         "completed_at": "2026-11-01T03:00:00.000Z",
         "contributions": [{"kind": "funding", "committed": 1000, "delivered": False}],
         "evaluation": {"outcome_share_agreeing": 0.6, "attendance_ratio": None,
                        "contributions_delivered_ratio": 0.0}},
    ]
    summary = history.summarize(records)
    assert (summary["as_lead"], summary["as_co_organizer"], summary["evaluated"]) == (1, 1, 2)
    assert (summary["contributions_committed"], summary["contributions_delivered"]) == (2, 1)
    assert summary["last_engagement"] == "2026-11-01T03:00:00.000Z"
    assert summary["latest_activity_starts_at"] == "2026-11-01T00:00:00.000Z"
    assert summary["mean_outcome_share_agreeing"] == 0.7 and summary["mean_attendance_ratio"] == 0.9
    assert summary["performance_index"] == round((0.7 + 0.9 + 0.5) / 3, 3)
    assert history.summarize([])["performance_index"] is None


def test_merging_keeps_what_an_event_does_not_say():
    record = {"role": "lead", "title": {"zh": "讲座"}}
    history.merge(record, {"role": "lead", "evaluation": {"response_count": 3}, "title": None})
    assert record == {"role": "lead", "title": {"zh": "讲座"}, "evaluation": {"response_count": 3}}
