"""Joint activities: drafting, every lifecycle transition, edits and re-approval, organizers and their parts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.catalogue import check_data
from services.events.domain import (
    TRANSITIONS,
    ActivityRuleBroken,
    Actor,
    IllegalTransition,
    JointActivity,
    NotPermitted,
    Organizer,
)

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
GROUP = Actor("key_admin")
LEAD_ACTOR = Actor("key_p1", "p1")
CO_ACTOR = Actor("key_p2", "p2")
GOOD = {"p1": "active", "p2": "approved"}


def org(pid: str, role: str = "co_organizer") -> Organizer:
    return Organizer(partner_id=pid, role=role, name={"zh": pid}, level="campus")


def draft(organizers=None, ends=None, **extra) -> JointActivity:
    return JointActivity.draft(
        "act_1", organizers=organizers or [org("p1", "lead"), org("p2")], starts_at=START,
        ends_at=ends or START + timedelta(hours=2), now=NOW, title={"zh": "讲座"}, activity_type="lecture",
        paths=["activity"], themes=[], venue="Hall", **extra)


def approved() -> JointActivity:
    activity = draft()
    activity.submit(NOW, LEAD_ACTOR)
    activity.approve(NOW, GROUP, "fine")
    return activity


def published() -> JointActivity:
    activity = approved()
    activity.publish(NOW, LEAD_ACTOR, GOOD)
    return activity


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


def test_an_activity_ends_after_it_starts_and_registration_closes_in_time():
    with pytest.raises(ActivityRuleBroken) as caught:
        draft(ends=START)
    assert caught.value.field == "ends_at"
    with pytest.raises(ActivityRuleBroken) as caught:
        draft(registration_opens_at=START, registration_closes_at=START - timedelta(days=1))
    assert caught.value.field == "registration_closes_at"


def test_the_happy_path_through_every_state_records_who_and_when():
    activity = draft()
    submitted = activity.submit(NOW, LEAD_ACTOR)
    assert submitted["status"] == "submitted" and submitted["previous_status"] == "draft"
    assert check_data("activity.submitted", submitted, producing=True)
    decision = activity.approve(NOW, GROUP, "well planned")
    assert check_data("activity.approved", decision, producing=True)
    assert activity.reviews == [{"decision": "approved", "by": "key_admin", "at": NOW, "comments": "well planned",
                                 "reasons": []}]
    data = activity.publish(NOW, LEAD_ACTOR, GOOD)
    assert check_data("activity.published", data, producing=True) == data
    assert [(o["partner_id"], o["role"]) for o in data["organizers"]] == [("p1", "lead"), ("p2", "co_organizer")]
    assert data["starts_at"] == "2026-12-05T02:00:00.000Z"
    assert check_data("activity.started", activity.start(NOW, LEAD_ACTOR), producing=True)
    activity.organizers[1].contributions = [{"kind": "funding", "committed": 5000, "delivered": True}]
    completed = activity.complete(NOW, LEAD_ACTOR, {"registered": 10, "checked_in": 8, "no_show": 2,
                                                    "volunteers": 3})
    assert check_data("activity.completed", completed, producing=True)
    assert completed["contributions"] == [{"partner_id": "p2", "kind": "funding", "committed": 5000,
                                           "delivered": True}]
    assert (completed["checked_in_count"], completed["no_show_count"]) == (8, 2)
    assert check_data("activity.archived", activity.archive(NOW, GROUP), producing=True)
    assert [step["status"] for step in activity.history] == ["draft", "submitted", "approved", "published",
                                                             "in_progress", "completed", "archived"]


def test_returned_with_reasons_then_submitted_again():
    activity = draft()
    activity.submit(NOW, LEAD_ACTOR)
    with pytest.raises(ActivityRuleBroken) as caught:
        activity.return_for_changes(NOW, GROUP, [])
    assert caught.value.field == "reasons"
    returned = activity.return_for_changes(NOW, GROUP, ["no budget"], "add the funding")
    assert check_data("activity.returned", returned, producing=True)
    assert activity.status == "returned" and returned["reasons"] == ["no budget"]
    activity.submit(NOW, LEAD_ACTOR)
    assert activity.status == "submitted"


ILLEGAL = [(state, wanted) for state in TRANSITIONS for wanted in ("submit", "approve", "publish", "start",
                                                                    "complete", "archive")]


def in_state(state: str) -> JointActivity:
    activity = draft()
    activity.status = state
    return activity


def attempt(activity: JointActivity, wanted: str) -> None:
    actions = {"submit": lambda: activity.submit(NOW, GROUP),
               "approve": lambda: activity.approve(NOW, GROUP, partner_statuses=GOOD),
               "publish": lambda: activity.publish(NOW, GROUP, GOOD), "start": lambda: activity.start(NOW, GROUP),
               "complete": lambda: activity.complete(NOW, GROUP, {}), "archive": lambda: activity.archive(NOW, GROUP)}
    actions[wanted]()


@pytest.mark.parametrize(("state", "wanted"), ILLEGAL)
def test_every_transition_is_allowed_only_from_its_states(state, wanted):
    target = {"submit": "submitted", "approve": "approved", "publish": "published", "start": "in_progress",
              "complete": "completed", "archive": "archived"}[wanted]
    allowed_from = {"submit": {"draft", "returned", "postponed"},
                    "approve": {"submitted"}, "publish": {"approved"}, "start": {"published"},
                    "complete": {"in_progress"}, "archive": {"completed", "cancelled"}}[wanted]
    activity = in_state(state)
    if state in allowed_from:
        attempt(activity, wanted)
        assert activity.status == target
    else:
        with pytest.raises(IllegalTransition) as caught:
            attempt(activity, wanted)
        assert caught.value.current == state and state in str(caught.value)
        assert activity.status == state


@pytest.mark.parametrize("state", ["draft", "submitted", "returned", "approved", "published", "in_progress"])
def test_cancel_and_postpone_from_any_live_state_with_a_reason(state):
    activity = in_state(state)
    with pytest.raises(ActivityRuleBroken):
        activity.cancel(NOW, GROUP, "  ")
    data = activity.cancel(NOW, GROUP, "typhoon")
    assert activity.status == "cancelled" and activity.status_reason == "typhoon"
    assert check_data("activity.cancelled", data, producing=True)
    later = in_state(state)
    moved = later.postpone(NOW, GROUP, "speaker ill", START + timedelta(days=7), START + timedelta(days=7, hours=2))
    assert check_data("activity.postponed", moved, producing=True)
    assert later.status == "postponed" and later.starts_at == START + timedelta(days=7)
    assert moved["new_starts_at"] == "2026-12-12T02:00:00.000Z"


@pytest.mark.parametrize("state", ["completed", "archived", "cancelled"])
def test_finished_activities_cannot_be_cancelled_or_postponed(state):
    with pytest.raises(IllegalTransition):
        in_state(state).cancel(NOW, GROUP, "late")
    with pytest.raises(IllegalTransition):
        in_state(state).postpone(NOW, GROUP, "late")


def test_a_postponed_activity_is_submitted_again_and_needs_both_new_times():
    activity = approved()
    with pytest.raises(ActivityRuleBroken):
        activity.postpone(NOW, GROUP, "rain", START + timedelta(days=1), None)
    activity.postpone(NOW, GROUP, "rain")
    activity.submit(NOW, LEAD_ACTOR)
    assert activity.status == "submitted"


def test_only_the_coordination_group_approves_returns_and_waives():
    activity = draft()
    activity.submit(NOW, LEAD_ACTOR)
    for act in (lambda: activity.approve(NOW, LEAD_ACTOR), lambda: activity.return_for_changes(NOW, CO_ACTOR, ["x"])):
        with pytest.raises(NotPermitted):
            act()
    published_ = published()
    with pytest.raises(NotPermitted):
        published_.edit({"title": {"zh": "新"}}, NOW, LEAD_ACTOR, waive_reapproval=True)


def test_the_lead_edits_the_activity_a_co_organizer_only_its_own_part():
    activity = draft()
    with pytest.raises(NotPermitted):
        activity.edit({"description": "x"}, NOW, CO_ACTOR)
    with pytest.raises(NotPermitted):
        activity.submit(NOW, CO_ACTOR)
    activity.set_contributions("p2", [{"kind": "speakers", "committed": "two curators"}], CO_ACTOR, NOW)
    activity.set_tasks("p2", [{"title": "posters", "due_at": NOW, "done": False}], CO_ACTOR, NOW)
    with pytest.raises(NotPermitted):
        activity.set_contributions("p1", [], CO_ACTOR, NOW)
    activity.set_contributions("p1", [{"kind": "space", "committed": "hall"}], GROUP, NOW)
    assert activity.organizer("p2").contributions[0]["committed"] == "two curators"
    with pytest.raises(ActivityRuleBroken):
        activity.set_tasks("p9", [], GROUP, NOW)


@pytest.mark.parametrize("name,value", [("title", {"zh": "新标题"}), ("starts_at", START - timedelta(hours=1)),
                                        ("venue", "Room 2"), ("venue_id", "ven_2")])
def test_changing_title_time_or_venue_of_a_published_activity_sends_it_back(name, value):
    activity = published()
    outcome = activity.edit({name: value}, NOW, LEAD_ACTOR)
    assert outcome["sent_back"] is True and activity.status == "submitted"
    assert list(outcome["changes"]) == [name]
    data = activity.updated_data(outcome["changes"], True)
    assert check_data("activity.updated", data, producing=True)
    with pytest.raises(ActivityRuleBroken):
        activity.approve(NOW, GROUP, partner_statuses={"p1": "active", "p2": "suspended"})
    activity.approve(NOW, GROUP, partner_statuses=GOOD)
    assert activity.status == "published", "a re-approved activity that was public is public again"


def test_a_waived_change_stays_published_and_minor_edits_never_go_back():
    activity = published()
    outcome = activity.edit({"title": {"zh": "新标题"}}, NOW, GROUP, waive_reapproval=True)
    assert outcome["sent_back"] is False and activity.status == "published"
    assert outcome["changes"]["title"] == {"before": {"zh": "讲座"}, "after": {"zh": "新标题"}}
    outcome = activity.edit({"description": "more", "capacity": 50}, NOW, LEAD_ACTOR)
    assert outcome["sent_back"] is False and set(outcome["changes"]) == {"description", "capacity"}
    assert activity.sequence == 2
    approved_ = approved()
    assert approved_.edit({"starts_at": START + timedelta(hours=1), "ends_at": START + timedelta(hours=3)},
                          NOW, LEAD_ACTOR)["sent_back"] is True
    assert approved_.status == "submitted"
    assert draft().edit({"title": {"zh": "x"}}, NOW, LEAD_ACTOR)["sent_back"] is False


def test_edits_keep_the_invariants_and_refuse_finished_activities():
    with pytest.raises(ActivityRuleBroken):
        draft().edit({"ends_at": START - timedelta(hours=1)}, NOW, LEAD_ACTOR)
    with pytest.raises(IllegalTransition):
        in_state("completed").edit({"description": "x"}, NOW, GROUP)


def test_only_partners_in_good_standing_organize_a_published_activity():
    activity = approved()
    with pytest.raises(ActivityRuleBroken) as caught:
        activity.publish(NOW, LEAD_ACTOR, {"p1": "active", "p2": "applied"})
    assert caught.value.field == "co_organizers" and "applied" in str(caught.value)
    with pytest.raises(ActivityRuleBroken) as caught:
        activity.publish(NOW, LEAD_ACTOR, {"p1": "suspended", "p2": "approved"})
    assert caught.value.field == "lead_organizer"
    assert activity.status == "approved"
    activity.publish(NOW, LEAD_ACTOR, {"p1": "active", "p2": "approved_with_conditions"})
    with pytest.raises(ActivityRuleBroken):
        activity.add_co_organizer(org("p3"), LEAD_ACTOR, "under_review")
    changes = activity.add_co_organizer(org("p3"), LEAD_ACTOR, "approved")
    assert [o.partner_id for o in activity.organizers] == ["p1", "p2", "p3"]
    assert [o["partner_id"] for o in changes["organizers"]["after"]] == ["p1", "p2", "p3"]
    assert check_data("activity.updated", activity.updated_data(changes, False), producing=True)
    with pytest.raises(NotPermitted):
        activity.add_co_organizer(org("p4"), CO_ACTOR, "approved")


def test_a_suspended_organizer_flags_an_upcoming_activity_once():
    activity = published()
    data = activity.organizer_suspended("p2", NOW)
    assert check_data("activity.organizer_suspended", data, producing=True)
    assert data["lead_partner_id"] == "p1"
    assert activity.organizer_suspended("p2", NOW) is None
    assert in_state("completed").organizer_suspended("p2", NOW) is None
    activity.organizer_reinstated("p2")
    assert activity.suspended_organizers == []


def test_the_venue_is_taken_with_setup_and_teardown():
    activity = draft(setup_minutes=30, teardown_minutes=15)
    assert activity.occupies() == (START - timedelta(minutes=30), START + timedelta(hours=2, minutes=15))
