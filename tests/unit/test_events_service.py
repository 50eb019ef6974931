"""The events service through nameko's worker_factory on mongomock: every write path refuses bad input and
leaves no trace; partner events, retention, venue holds and the RPC for evaluation."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import mongomock
import pytest
from nameko.testing.services import worker_factory

from services.common import tokens
from services.common.catalogue import announce
from services.common.errors import Conflict, Forbidden, NotFound, RuleBroken, ValidationFailed
from services.events.service import EventsService
from services.events.store import EventsStore
from services.events.usecases import EventsApp

LEAD = "prt_01aaaaaaaaaaaaaaaaaaaaaaaa"
CO = "prt_01bbbbbbbbbbbbbbbbbbbbbbbb"
MUSEUM = "prt_01cccccccccccccccccccccccc"
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
GROUP = {"by": "key_admin"}


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world():
    db = mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["unit"]
    store = EventsStore(db)
    store.ensure_indexes()
    for pid, status in ((LEAD, "active"), (CO, "active"), (MUSEUM, "applied")):
        store.remember_partner({"partner_id": pid, "name": {"zh": pid[-4:]}, "level": "campus", "kind": "faculty",
                                "status": status})
    partners = Mock()
    partners.get_partner.side_effect = NotFound("no such partner")
    clock = Clock(NOW)
    app = EventsApp(store, partners, clock=clock)
    service = worker_factory(EventsService, store=store, partners=partners, app=app)
    return service, store, clock


def body(**changes) -> dict:
    base = {"title": {"zh": "讲座", "en": "Lecture"}, "activity_type": "lecture", "paths": ["activity"],
            "starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=2)).isoformat(),
            "lead_organizer": LEAD, "co_organizers": [CO], "capacity": 1}
    base.update(changes)
    return base


def published(service, **changes) -> dict:
    made = service.create_activity(body(**changes), GROUP)
    service.submit_activity(made["id"], GROUP)
    service.approve_activity(made["id"], {}, GROUP)
    return service.publish_activity(made["id"], GROUP)


def trace(store: EventsStore) -> dict:
    """Everything stored and every event waiting to be announced."""
    return {name: [(d["_id"], d.get("_rev"), len(d.get("outbox", []))) for d in coll.find().sort("_id", 1)]
            for name, coll in (("activities", store.activities), ("venues", store.venues),
                               ("rosters", store.rosters))}


def test_every_write_path_refuses_bad_input_names_the_field_and_leaves_no_trace(world):
    service, store, clock = world
    venue = service.register_venue({"name": "Hall", "kind": "library_space"})
    act = published(service, venue_id=venue["id"])
    aid = act["id"]
    registration = service.register(aid, {"person_id": "s1", "email": "s1@uni.edu"})
    service.add_volunteer_role(aid, {"name": {"zh": "引导"}}, GROUP)
    role_id = service.volunteer_shifts(aid)["roles"][0]["role_id"]
    service.add_volunteer_shift(aid, {"role_id": role_id, "starts_at": START.isoformat(),
                                      "ends_at": (START + timedelta(hours=2)).isoformat(), "places": 1}, GROUP)
    shift_id = service.volunteer_shifts(aid)["shifts"][0]["shift_id"]
    signup = service.sign_up_volunteer(aid, {"shift_id": shift_id, "person_id": "v1", "email": "v1@uni.edu"})
    before = trace(store)

    cases = [
        (lambda: service.create_activity(body(title={"zh": ""}), GROUP), "title"),
        (lambda: service.create_activity(body(paths=["nowhere"]), GROUP), "paths"),
        (lambda: service.create_activity(body(aims=["happiness"]), GROUP), "aims"),
        (lambda: service.create_activity(body(capacity=-1), GROUP), "capacity"),
        (lambda: service.create_activity(body(venue_id="ven_nope"), GROUP), "venue_id"),
        (lambda: service.create_activity(body(venue_id="ven_01aaaaaaaaaaaaaaaaaaaaaaaa"), GROUP), "venue_id"),
        (lambda: service.create_activity(body(registration_closes_at=(START + timedelta(days=1)).isoformat()),
                                         GROUP), "registration_closes_at"),
        (lambda: service.create_activity(body(**{"$set": 1}), GROUP), "$set"),
        (lambda: service.edit_activity(aid, {}, GROUP), "_schema"),
        (lambda: service.edit_activity(aid, {"lead_organizer": CO}, GROUP), "lead_organizer"),
        (lambda: service.edit_activity(aid, {"ends_at": (START - timedelta(hours=1)).isoformat()}, GROUP), "ends_at"),
        (lambda: service.return_activity(aid, {"reasons": []}, GROUP), "reasons"),
        (lambda: service.approve_activity(aid, {"comments": 7}, GROUP), "comments"),
        (lambda: service.cancel_activity(aid, {}, GROUP), "reason"),
        (lambda: service.postpone_activity(aid, {"reason": "x", "new_starts_at": START.isoformat()}, GROUP),
         "new_ends_at"),
        (lambda: service.add_co_organizer(aid, {"partner_id": "museum"}, GROUP), "partner_id"),
        (lambda: service.add_co_organizer(aid, {"partner_id": MUSEUM}, GROUP), "partner_id"),
        (lambda: service.set_contributions(aid, CO, {"contributions": [{"kind": "gold", "committed": 1}]}, GROUP),
         "contributions"),
        (lambda: service.set_contributions(aid, CO, {"contributions": [{"kind": "funding", "committed": True}]},
                                           GROUP), "contributions"),
        (lambda: service.set_tasks(aid, CO, {"tasks": [{"title": "x", "due_at": "2026-12-01T10:00:00"}]}, GROUP),
         "tasks"),
        (lambda: service.register_venue({"name": "Museum hall", "kind": "partner_space"}), "partner_id"),
        (lambda: service.register_venue({"name": "", "kind": "library_space"}), "name"),
        (lambda: service.register(aid, {"person_id": "s2", "email": "not-an-email"}), "email"),
        (lambda: service.register(aid, {"person_id": "s 2", "email": "s2@uni.edu"}), "person_id"),
        (lambda: service.register(aid, {"person_id": "s2", "email": "s2@uni.edu", "language": "fr"}), "language"),
        (lambda: service.check_in(aid, {"code": "short"}, GROUP), "code"),
        (lambda: service.add_volunteer_role(aid, {"name": "guide"}, GROUP), "name"),
        (lambda: service.add_volunteer_shift(aid, {"role_id": role_id, "starts_at": START.isoformat(),
                                                   "ends_at": START.isoformat(), "places": 0}, GROUP), "places"),
        (lambda: service.add_volunteer_shift(aid, {"role_id": "rol_x", "starts_at": START.isoformat(),
                                                   "ends_at": (START + timedelta(hours=1)).isoformat(),
                                                   "places": 1}, GROUP), "role_id"),
        (lambda: service.sign_up_volunteer(aid, {"shift_id": "sft_x", "person_id": "v2", "email": "v2@u.edu"}),
         "shift_id"),
        (lambda: service.confirm_volunteer_hours(aid, signup["signup_id"], {"hours": -1}, GROUP), "hours"),
        (lambda: service.list_activities({"limit": 0}), "limit"),
        (lambda: service.calendar({"status": "draft"}), "status"),
        (lambda: service.calendar({"status": "submitted"}), "status"),
        (lambda: service.calendar({"from": "yesterday"}), "from"),
    ]
    for attempt, field in cases:
        with pytest.raises((ValidationFailed, RuleBroken)) as caught:
            attempt()
        details = caught.value.details
        named = set(details.get("errors", {})) | ({details["field"]} if "field" in details else set())
        assert any(field in name for name in named), (field, caught.value)
    for attempt in (lambda: service.register(aid, {"person_id": "s1", "email": "s1@uni.edu"}),
                    lambda: service.check_in(aid, {"code": registration["code"]}, GROUP),  # weeks too early
                    lambda: service.confirm_volunteer_hours(aid, signup["signup_id"], {"hours": 1}, GROUP),
                    lambda: service.publish_activity(aid, GROUP)):
        with pytest.raises(Conflict):
            attempt()
    with pytest.raises(NotFound):
        service.cancel_registration(aid, "reg_missing")
    with pytest.raises(NotFound):
        service.register("act_missing", {"person_id": "s2", "email": "s2@uni.edu"})
    assert trace(store) == before


def test_partners_act_only_within_their_part(world):
    service, store, _ = world
    as_co = {"by": "key_co", "partner_id": CO}
    with pytest.raises(Forbidden):
        service.create_activity(body(), as_co)  # a partner drafts only what it leads
    act = service.create_activity(body(), {"by": "key_lead", "partner_id": LEAD})
    with pytest.raises(Forbidden):
        service.edit_activity(act["id"], {"description": "mine now"}, as_co)
    with pytest.raises(Forbidden):
        service.set_tasks(act["id"], LEAD, {"tasks": []}, as_co)
    done = service.set_tasks(act["id"], CO, {"tasks": [{"title": "posters", "due_at": START.isoformat()}]}, as_co)
    assert done["organizers"][1]["tasks"][0]["title"] == "posters"
    service.submit_activity(act["id"], {"by": "key_lead", "partner_id": LEAD})
    with pytest.raises(Forbidden):
        service.approve_activity(act["id"], {}, {"by": "key_lead", "partner_id": LEAD})


def test_partner_events_feed_the_read_model_in_order_and_flag_a_suspended_organizer_once(world):
    service, store, _ = world
    act = published(service)

    def status_event(kind: str, status: str, decided_at: str):
        return announce(kind, {"partner_id": CO, "status": status, "previous_status": "active", "reason": "audit",
                               "decided_by": "group", "decided_at": decided_at, "name": {"zh": "团委"},
                               "level": "campus", "kind": "youth_league"}, subject=CO)
    suspended = status_event("partner.suspended", "suspended", "2026-11-02T00:00:00Z")
    service.partner_suspended(suspended)
    service.partner_suspended(suspended)  # redelivered
    outbox = [e["type"] for e in store.activities.find_one({"_id": act["id"]})["outbox"]]
    assert outbox.count("activity.organizer_suspended") == 1
    assert store.partner(CO)["status"] == "suspended"
    service.partner_reinstated(status_event("partner.reinstated", "active", "2026-11-01T00:00:00Z"))  # older
    assert store.partner(CO)["status"] == "suspended", "an older decision never overwrites a newer one"
    service.partner_reinstated(status_event("partner.reinstated", "active", "2026-11-03T00:00:00Z"))
    assert store.partner(CO)["status"] == "active"
    assert store.activities.find_one({"_id": act["id"]})["suspended_organizers"] == []


def test_raising_capacity_promotes_the_waitlist_and_recipients_are_those_who_came(world):
    service, store, clock = world
    act = published(service)
    first = service.register(act["id"], {"person_id": "s1", "email": "s1@uni.edu"})
    second = service.register(act["id"], {"person_id": "s2", "email": "s2@uni.edu"})
    assert second["state"] == "waitlisted"
    service.edit_activity(act["id"], {"capacity": 2}, GROUP)
    assert service.get_registration(act["id"], second["registration_id"])["state"] == "confirmed"
    clock.now = START + timedelta(minutes=1)
    service.check_in(act["id"], {"code": first["code"]}, GROUP)
    assert service.survey_recipients(act["id"]) == [{"person_id": "s1", "email": "s1@uni.edu", "language": "zh"}]
    with pytest.raises(Forbidden):
        service.check_in(act["id"], {"code": first["code"]}, {"by": "k", "partner_id": MUSEUM})


def test_personal_data_are_anonymised_after_the_retention_period_and_announced_once(world):
    service, store, clock = world
    act = published(service)
    made = service.register(act["id"], {"person_id": "s1", "email": "s1@uni.edu"})
    assert made["personal_data_kept_until"] == "2026-06-03T04:00:00.000Z".replace("2026", "2027")
    clock.now = START + timedelta(minutes=1)
    assert service.app.sweep() == {"anonymised": 0, "moved": 1}
    assert service.get_activity(act["id"])["status"] == "in_progress", "started on time"
    clock.now = START + timedelta(days=179)
    assert service.app.sweep() == {"anonymised": 0, "moved": 1}
    assert service.get_activity(act["id"])["status"] == "completed", "finished on time"
    clock.now = START + timedelta(days=181)
    assert service.app.sweep() == {"anonymised": 1, "moved": 0}
    assert service.app.sweep() == {"anonymised": 0, "moved": 0}
    roster = store.rosters.find_one({"_id": act["id"]})
    assert roster["registrations"][0]["person"]["email"] == ""
    assert [e["type"] for e in roster["outbox"]].count("personal_data.anonymised") == 1
    assert roster["person_ids"] != ["s1"] and service.participation("s1")["items"] == []


def test_each_registration_has_an_attendee_token_shown_once_and_kept_only_as_a_hash(world):
    service, store, clock = world
    act = published(service)
    handed: list[tuple[str, str]] = []
    first = service.app.register(act["id"], {"person_id": "s1", "email": "s1@uni.edu"},
                                 hand_over=lambda registration_id, token: handed.append((registration_id, token)))
    second = service.register(act["id"], {"person_id": "s2", "email": "s2@uni.edu"})
    token = first["attendee_token"]
    assert token.startswith("att_") and len(token) == 47 and token != second["attendee_token"]
    stored = store.rosters.find_one({"_id": act["id"]})
    assert token not in str(stored), "only the hash is kept; the events (outbox) carry no token"
    assert handed == [(first["registration_id"], token)], "handed to notify by RPC, for the confirmation email"
    assert service.attendee_of(tokens.token_hash(token)) == {"activity_id": act["id"],
                                                             "registration_id": first["registration_id"]}
    assert service.attendee_of(tokens.token_hash(second["attendee_token"]))["registration_id"] == \
        second["registration_id"]
    assert service.attendee_of(tokens.token_hash("att_" + "A" * 43)) is None
    shown = service.get_registration(act["id"], second["registration_id"])
    assert "attendee_token" not in shown and "attendee_hash" not in shown
    assert (shown["state"], shown["waitlist_position"]) == ("waitlisted", 1)
    listed = service.registrations(act["id"], GROUP)["items"]
    assert all("attendee_hash" not in item and "attendee_token" not in item for item in listed)
    service.cancel_registration(act["id"], first["registration_id"])
    promoted = service.get_registration(act["id"], second["registration_id"])
    assert (promoted["state"], promoted["waitlist_position"]) == ("confirmed", None) and promoted["code"]
    clock.now = START + timedelta(days=181)
    service.app.sweep()
    service.app.sweep()
    service.app.sweep()
    assert store.rosters.find_one({"_id": act["id"]})["attendee_hashes"] == []
    assert service.attendee_of(tokens.token_hash(token)) is None, "the link ends with the data it leads to"


def test_a_hold_left_behind_by_a_crash_does_not_block_the_venue(world):
    service, store, clock = world
    venue = service.register_venue({"name": "Hall", "kind": "library_space"})
    store.change_venue(venue["id"], lambda v: v.book(activity_id="act_ghost", title={"zh": "幽灵"},
                                                     organizer_id=LEAD, organizer_name={"zh": "x"},
                                                     starts_at=START, ends_at=START + timedelta(hours=2),
                                                     now=NOW) and None)
    with pytest.raises(Conflict):
        service.create_activity(body(venue_id=venue["id"]), GROUP)  # the ghost might still be being created
    clock.now = NOW + timedelta(minutes=10)
    made = service.create_activity(body(venue_id=venue["id"]), GROUP)
    assert [b["activity_id"] for b in service.get_venue(venue["id"])["bookings"]] == ["act_ghost"], \
        "a draft holds nothing"
    service.submit_activity(made["id"], GROUP)
    assert [b["activity_id"] for b in service.get_venue(venue["id"])["bookings"]] == [made["id"]]


def test_a_series_gets_occurrences_each_with_its_own_registrations_and_booking(world):
    service, store, _ = world
    venue = service.register_venue({"name": "Hall", "kind": "library_space"})
    first = published(service, venue_id=venue["id"], registration_closes_at=(START - timedelta(hours=1)).isoformat())
    week = timedelta(days=7)
    with pytest.raises(Conflict):
        service.add_occurrence(first["id"], {"starts_at": START.isoformat(),
                                             "ends_at": (START + timedelta(hours=1)).isoformat()}, GROUP)
    assert service.get_activity(first["id"])["series"] is None, "a refused occurrence changes nothing"
    with pytest.raises(ValidationFailed):
        service.add_occurrence(first["id"], {"starts_at": (START + week).isoformat()}, GROUP)
    with pytest.raises(Forbidden):
        service.add_occurrence(first["id"], {"starts_at": (START + week).isoformat(),
                                             "ends_at": (START + week + timedelta(hours=2)).isoformat()},
                               {"by": "k", "partner_id": CO})
    second = service.add_occurrence(first["id"], {"starts_at": (START + week).isoformat(),
                                                  "ends_at": (START + week + timedelta(hours=2)).isoformat()}, GROUP)
    assert (second["status"], second["series"], second["occurrence"]) == ("draft", first["id"], 2)
    assert second["registration_closes_at"] == START + week - timedelta(hours=1)
    assert [o["partner_id"] for o in second["organizers"]] == [LEAD, CO]
    assert service.get_activity(first["id"])["occurrence"] == 1
    assert store.roster(second["id"]).registrations == []
    assert len(service.get_venue(venue["id"])["bookings"]) == 1, "a draft occurrence holds nothing"
    service.submit_activity(second["id"], GROUP)
    assert len(service.get_venue(venue["id"])["bookings"]) == 2, "it holds the venue from its submission"


def test_a_co_organizer_joining_a_published_activity_is_announced_so_partners_record_it(world):
    service, store, _ = world
    act = service.create_activity(body(co_organizers=[]), GROUP)
    service.add_co_organizer(act["id"], {"partner_id": CO, "responsibility": "speakers"}, GROUP)
    assert store.activities.find_one({"_id": act["id"]})["outbox"] == [], "a draft's changes are not announced"
    store.remember_partner({"partner_id": MUSEUM, "name": {"zh": "馆"}, "level": "outside", "kind": "museum",
                            "status": "approved"}, "2026-11-02T00:00:00Z")
    service.submit_activity(act["id"], GROUP)
    service.approve_activity(act["id"], {}, GROUP)
    service.publish_activity(act["id"], GROUP)
    joined = service.add_co_organizer(act["id"], {"partner_id": MUSEUM}, GROUP)
    assert [o["partner_id"] for o in joined["organizers"]] == [LEAD, CO, MUSEUM]
    updated = store.activities.find_one({"_id": act["id"]})["outbox"][-1]
    assert updated["type"] == "activity.updated" and list(updated["data"]["changes"]) == ["organizers"]


def partner_event(kind: str, spaces: list[dict] | None, *, profile_seq: int = 0, status: str = "active",
                  status_seq: int = 1):
    data = {"partner_id": MUSEUM, "name": {"zh": "科技馆"}, "level": "outside", "kind": "science_museum",
            "status": status, "status_seq": status_seq}
    if spaces is not None:
        data.update(spaces=spaces, profile_seq=profile_seq)
    if kind == "partner.updated":
        data["changed"] = ["resources"]
    elif kind != "partner.registered":
        data.update(previous_status="approved", reason="audit", decided_by="group",
                    decided_at="2026-11-02T00:00:00Z")
    return announce(kind, data, subject=MUSEUM)


def space(name: str = "Dome theatre", capacity: int | None = 120) -> dict:
    return {"name": name, "capacity": capacity, "location": "Pudong", "description": ""}


def test_spaces_partners_offer_become_venues_kept_in_step_and_retired_venues_take_no_new_bookings(world):
    service, store, clock = world
    registered = partner_event("partner.registered", [space(), space("Roof garden", None)])
    service.learn_partner(registered)
    service.learn_partner(registered)  # redelivered: the same venues, not new ones
    offered = {v["name"]: v for v in service.list_venues()["items"]}
    assert set(offered) == {"Dome theatre", "Roof garden"} and store.venues.count_documents({}) == 2
    dome = offered["Dome theatre"]
    assert dome | {"id": None} == {"id": None, "name": "Dome theatre", "kind": "partner_space", "partner_id": MUSEUM,
                                   "capacity": 120, "address": "Pudong", "status": "open", "retired_at": None,
                                   "retired_reason": "", "offered_by_partner": True}
    act = service.create_activity(body(venue_id=dome["id"]), GROUP)
    service.submit_activity(act["id"], GROUP)
    with pytest.raises(Conflict) as taken:
        service.create_activity(body(venue_id=dome["id"], lead_organizer=CO, co_organizers=[]), GROUP)
    assert "taken" in taken.value.message and act["id"] not in taken.value.message

    # the partner drops the dome and enlarges the garden; an older profile arriving late changes nothing
    clock.now = NOW + timedelta(hours=1)
    service.partner_updated(partner_event("partner.updated", [space("roof  GARDEN", 40)], profile_seq=2))
    service.partner_updated(partner_event("partner.updated", [space(), space("Roof garden", 10)], profile_seq=1))
    now_offered = {v["name"]: v for v in service.list_venues()["items"]}
    assert now_offered["Dome theatre"]["status"] == "retired"
    assert now_offered["Dome theatre"]["retired_reason"] == "the partner no longer offers it"
    assert now_offered["roof  GARDEN"]["capacity"] == 40 and now_offered["roof  GARDEN"]["status"] == "open"
    assert [b["activity_id"] for b in service.get_venue(dome["id"])["bookings"]] == [act["id"]], "bookings stay"
    before = trace(store)
    with pytest.raises(RuleBroken) as refused:
        service.create_activity(body(venue_id=dome["id"], starts_at=(START + timedelta(days=3)).isoformat(),
                                     ends_at=(START + timedelta(days=3, hours=1)).isoformat()), GROUP)
    assert "retired" in refused.value.message and refused.value.details["field"] == "venue_id"
    assert trace(store) == before

    # suspension retires every space; reinstatement reopens those still offered; an older status is ignored
    garden = now_offered["roof  GARDEN"]["id"]
    service.partner_suspended(partner_event("partner.suspended", None, status="suspended", status_seq=3))
    service.partner_reinstated(partner_event("partner.reinstated", None, status="approved", status_seq=2))
    assert service.get_venue(garden)["retired_reason"] == "the partner is suspended"
    service.partner_reinstated(partner_event("partner.reinstated", None, status="approved", status_seq=4))
    assert service.get_venue(garden)["status"] == "open" and service.get_venue(dome["id"])["status"] == "retired"


def test_an_older_profile_arriving_after_a_newer_one_never_opens_a_space_no_longer_offered(world):
    service, store, _ = world
    service.partner_updated(partner_event("partner.updated", [], profile_seq=2))  # offers nothing any more
    service.learn_partner(partner_event("partner.registered", [space()], profile_seq=0))  # late: offered the dome
    assert service.list_venues()["items"] == [], "the venues follow the newest profile, whatever came last"
    assert store.offer_of(MUSEUM) == {"spaces": [], "profile_seq": 2}
    service.partner_updated(partner_event("partner.updated", [space("Roof garden")], profile_seq=3))
    service.partner_updated(partner_event("partner.updated", [space()], profile_seq=1))  # late again
    assert [(v["name"], v["status"]) for v in service.list_venues()["items"]] == [("Roof garden", "open")]


def test_venues_entered_by_hand_are_not_touched_by_partner_profiles(world):
    service, store, _ = world
    hand = service.register_venue({"name": "Museum hall", "kind": "partner_space", "partner_id": MUSEUM})
    service.partner_updated(partner_event("partner.updated", [], profile_seq=1))
    assert service.get_venue(hand["id"])["status"] == "open"


def outbox_of(store: EventsStore, activity_id: str, event_type: str) -> list[dict]:
    return [e["data"] for e in store.activities.find_one({"_id": activity_id})["outbox"] if e["type"] == event_type]


def test_a_co_organizer_changing_its_part_is_announced_for_the_lead_and_the_same_part_again_is_not(world):
    service, store, _ = world
    as_co = {"by": "key_co", "partner_id": CO}
    act = service.create_activity(body(), GROUP)
    contributions = {"contributions": [{"kind": "funding", "committed": 5000}]}
    service.set_contributions(act["id"], CO, contributions, as_co)
    service.set_contributions(act["id"], CO, contributions, as_co)  # nothing changed: nothing announced
    service.set_tasks(act["id"], CO, {"tasks": [{"title": "posters", "due_at": START.isoformat()}]}, as_co)
    announced = outbox_of(store, act["id"], "activity.organizer_updated")
    assert [(a["part"], a["partner_id"], a["lead_partner_id"], a["by"]) for a in announced] == [
        ("contributions", CO, LEAD, "key_co"), ("tasks", CO, LEAD, "key_co")]
    assert announced[0]["before"] == [] and announced[0]["after"][0]["committed"] == 5000
    assert announced[1]["after"] == [{"title": "posters", "due_at": "2026-12-05T02:00:00.000Z", "done": False}]


def test_a_task_is_reminded_once_days_before_its_deadline_and_a_rewrite_of_the_same_task_does_not_remind_again(
        world):
    service, store, clock = world
    as_co = {"by": "key_co", "partner_id": CO}
    act = service.create_activity(body(), GROUP)
    due = NOW + timedelta(days=5)
    posters = {"title": "posters", "due_at": due.isoformat()}
    service.set_tasks(act["id"], CO, {"tasks": [posters, {"title": "hall", "due_at": due.isoformat(),
                                                          "done": True}]}, as_co)
    assert service.app.remind_tasks() == 0, "five days ahead is not yet within two"
    clock.now = due - timedelta(days=2, seconds=1)
    assert service.app.remind_tasks() == 0
    clock.now = due - timedelta(days=2)
    assert service.app.remind_tasks() == 1
    assert service.app.remind_tasks() == 0, "reminded once"
    reminders = outbox_of(store, act["id"], "activity.task_due")
    assert [(r["partner_id"], r["task"], r["due_at"], r["days_ahead"]) for r in reminders] == [
        (CO, "posters", "2026-11-06T08:00:00.000Z", 2.0)]
    service.set_tasks(act["id"], CO, {"tasks": [posters]}, as_co)  # the same task written again
    assert service.app.remind_tasks() == 0
    later = dict(posters, due_at=(due + timedelta(days=1)).isoformat())
    service.set_tasks(act["id"], CO, {"tasks": [later]}, as_co)  # a new deadline is reminded in its turn
    clock.now = due - timedelta(days=1)
    assert service.app.remind_tasks() == 1
    service.cancel_activity(act["id"], {"reason": "rain"}, GROUP)
    service.set_tasks(act["id"], CO, {"tasks": [dict(posters, title="refunds")]}, GROUP)
    assert service.app.remind_tasks() == 0, "a cancelled activity's tasks are not reminded"
    assert "next_task_due" not in service.get_activity(act["id"])


def test_task_reminders_follow_the_configured_days(world):
    _, store, clock = world
    app = EventsApp(store, Mock(), clock=clock, task_reminder_days=7)
    service = worker_factory(EventsService, store=store, app=app)
    act = service.create_activity(body(), GROUP)
    speaker = {"title": "speaker", "due_at": (NOW + timedelta(days=6)).isoformat()}
    service.set_tasks(act["id"], LEAD, {"tasks": [speaker]}, GROUP)
    assert app.remind_tasks() == 1


def test_the_participation_export_pages_everyone_over_a_range_or_term_and_refuses_bad_input(world):
    service, store, clock = world
    first = published(service)
    second = published(service, starts_at=(START + timedelta(days=1)).isoformat(),
                       ends_at=(START + timedelta(days=1, hours=2)).isoformat(), capacity=5)
    codes = {}
    for act, people in ((first, ["s1"]), (second, ["s3", "s1", "s2"])):
        for person in people:
            codes[act["id"], person] = service.register(act["id"], {"person_id": person,
                                                                    "email": f"{person}@uni.edu"})["code"]
    service.add_volunteer_role(second["id"], {"name": {"zh": "引导"}}, GROUP)
    role_id = service.volunteer_shifts(second["id"])["roles"][0]["role_id"]
    service.add_volunteer_shift(second["id"], {"role_id": role_id, "starts_at": START.isoformat(),
                                               "ends_at": (START + timedelta(hours=3)).isoformat(), "places": 2},
                                GROUP)
    shift_id = service.volunteer_shifts(second["id"])["shifts"][0]["shift_id"]
    signup = service.sign_up_volunteer(second["id"], {"shift_id": shift_id, "person_id": "v1", "email": "v@uni.edu"})
    clock.now = START + timedelta(days=1, minutes=1)
    service.confirm_volunteer_hours(second["id"], signup["signup_id"], {"hours": 2.5}, GROUP)
    for key in ((second["id"], "s1"), (second["id"], "s3")):
        service.check_in(key[0], {"code": codes[key]}, GROUP)  # s1 and s3 came to the second; s2 did not

    whole = service.participation_export({"term": "2026-autumn"})
    rows = [(r["person_id"], r["activity_id"], r["attended"], r["volunteer_hours"]) for r in whole["items"]]
    assert rows == [("s1", second["id"], True, 0.0), ("s3", second["id"], True, 0.0),
                    ("v1", second["id"], False, 2.5)]
    assert whole["from"] == "2026-08-01" and whole["to"] == "2027-01-31" and whole["next_cursor"] is None
    assert whole["items"][0]["date"] == "2026-12-06" and "email" not in str(whole)
    pages, cursor = [], None
    while True:
        page = service.participation_export({"from": "2026-12-01", "to": "2026-12-31", "limit": 1,
                                             **({"cursor": cursor} if cursor else {})})
        pages += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == whole["items"]
    assert service.participation_export({"from": "2026-12-07", "to": "2026-12-31"})["items"] == []
    first_cursor = service.participation_export({"term": "2026-autumn", "limit": 1})["next_cursor"]
    assert service.participation_export({"from": "2026-12-07", "to": "2026-12-31", "cursor": first_cursor}) \
        ["items"] == [], "a cursor never brings in rows outside the range asked for"
    assert service.participation_csv({"from": "2026-12-06", "to": "2026-12-06"}).splitlines() == [
        "person_id,activity_id,title,date,attended,volunteer_hours",
        f"s1,{second['id']},讲座,2026-12-06,true,0", f"s3,{second['id']},讲座,2026-12-06,true,0",
        f"v1,{second['id']},讲座,2026-12-06,false,2.5"]

    term = {"term": "2026-autumn"}
    for bad, field in (({}, "from"), ({"from": "2026-12-01"}, "to"),
                       ({"from": "2026-12-31", "to": "2026-12-01"}, "to"),
                       ({"from": "yesterday", "to": "2026-12-01"}, "from"),
                       ({"from": "2026-13-01", "to": "2026-12-01"}, "from"),
                       ({"from": "2026-01-01", "to": "2027-12-31"}, "to"), ({"term": "2026-winter"}, "term"),
                       (dict(term, **{"from": "2026-12-01"}), "term"), (dict(term, cursor="nonsense"), "cursor"),
                       (dict(term, limit=0), "limit"), (dict(term, **{"$where": 1}), "$where"),
                       ({"term": "0000-spring"}, "term"), ({"term": "9999-autumn"}, "term"),
                       ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
                       ({"from": "0001-01-01", "to": "0001-01-02"}, "from")):
        with pytest.raises(ValidationFailed) as refused:
            service.participation_export(bad)
        assert field in refused.value.details["errors"], (bad, refused.value.details)
    with pytest.raises(ValidationFailed):
        service.participation_csv({"term": "2026-autumn", "limit": 5})


def test_the_participation_export_reads_on_across_growing_batches_of_activities(world):
    service, store, clock = world
    made = []
    for n in range(11):  # more than the first few batches of activities the export reads at a time
        starts = START + timedelta(hours=3 * n)
        act = published(service, starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=2)).isoformat())
        code = service.register(act["id"], {"person_id": f"p{n:02d}", "email": f"p{n}@uni.edu"})["code"]
        clock.now = starts + timedelta(minutes=1)
        service.check_in(act["id"], {"code": code}, GROUP)
        made.append(act["id"])
    span = {"from": "2026-12-01", "to": "2026-12-31"}
    whole = service.participation_export(dict(span, limit=200))
    assert [(r["person_id"], r["activity_id"]) for r in whole["items"]] == [
        (f"p{n:02d}", made[n]) for n in range(11)]
    pages, cursor = [], None
    while True:
        page = service.participation_export(dict(span, limit=3, **({"cursor": cursor} if cursor else {})))
        pages += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == whole["items"]
    assert len(service.participation_csv(span).splitlines()) == 12


def test_what_events_asked_partners_directly_is_not_undone_by_a_late_event_of_an_older_status(world):
    """Asked when the read model had not heard of the partner yet, partners answer its current status; its older
    events, still on the way, must not take the model back to a status the partner has left."""
    service, store, _ = world
    newcomer = "prt_01dddddddddddddddddddddddd"
    partners = service.app.partners
    partners.get_partner.side_effect = None
    partners.get_partner.return_value = {"id": newcomer, "name": {"zh": "馆"}, "level": "outside",
                                         "kind": "museum", "status": "approved", "status_seq": 3}
    service.create_activity(body(co_organizers=[newcomer]), GROUP)
    assert store.partner(newcomer)["status"] == "approved"
    late = announce("partner.registered", {"partner_id": newcomer, "name": {"zh": "馆"}, "level": "outside",
                                           "kind": "museum", "status": "applied", "status_seq": 1}, subject=newcomer)
    service.learn_partner(late)
    assert store.partner(newcomer)["status"] == "approved"
