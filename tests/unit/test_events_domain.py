"""Joint activities: the rules of drafting and publishing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.catalogue import check_data
from services.events.domain import ActivityRuleBroken, IllegalTransition, JointActivity, Organizer

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def org(pid: str, role: str = "co_organizer") -> Organizer:
    return Organizer(partner_id=pid, role=role, name={"zh": pid}, level="campus")


def draft(organizers=None, ends=None) -> JointActivity:
    return JointActivity.draft(
        "act_1", organizers=organizers or [org("p1", "lead"), org("p2")], starts_at=START,
        ends_at=ends or START + timedelta(hours=2), now=NOW, title={"zh": "讲座"}, activity_type="lecture",
        paths=["activity"], themes=[], venue="Hall")


def test_a_draft_needs_exactly_one_lead():
    with pytest.raises(ActivityRuleBroken) as caught:
        draft([org("p1"), org("p2")])
    assert caught.value.field == "lead_organizer"
    with pytest.raises(ActivityRuleBroken):
        draft([org("p1", "lead"), org("p2", "lead")])


def test_a_partner_is_organizer_only_once():
    with pytest.raises(ActivityRuleBroken) as caught:
        draft([org("p1", "lead"), org("p1")])
    assert caught.value.field == "co_organizers"


def test_an_activity_ends_after_it_starts():
    with pytest.raises(ActivityRuleBroken) as caught:
        draft(ends=START)
    assert caught.value.field == "ends_at"


def test_publishing_announces_what_consumers_need_and_only_once():
    activity = draft()
    data = activity.publish(NOW)
    assert activity.status == "published" and activity.published_at == NOW
    assert check_data("activity.published", data, producing=True) == data
    assert [(o["partner_id"], o["role"]) for o in data["organizers"]] == [("p1", "lead"), ("p2", "co_organizer")]
    assert data["starts_at"] == "2026-12-05T02:00:00.000Z"
    with pytest.raises(IllegalTransition) as caught:
        activity.publish(NOW)
    assert caught.value.current == "published"
    assert [step["status"] for step in activity.history] == ["draft", "published"]
