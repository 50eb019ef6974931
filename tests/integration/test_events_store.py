"""The events store on both the embedded Mongo-wire server and mongomock: queries mean the same on each."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.events.domain import JointActivity, Organizer
from services.events.registration import Roster
from services.events.venues import Venue
from tests.integration.test_stores import db  # noqa: F401 - the two-store fixture

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def make(n: int, lead: str, *, status: str = "published", themes=(), title=None) -> JointActivity:
    start = NOW + timedelta(days=n)
    activity = JointActivity.draft(
        f"act_{n}", organizers=[Organizer(lead, "lead", {"zh": lead}, "campus")], starts_at=start,
        ends_at=start + timedelta(hours=2), now=NOW, title=title or {"zh": f"讲座{n}", "en": f"Lecture {n}"},
        activity_type="lecture" if n % 2 else "film", paths=["activity"], themes=list(themes), venue=None)
    activity.status = status
    return activity


def test_listing_queries_filter_search_and_page_alike(db):  # noqa: F811
    from services.events.store import EventsStore
    store = EventsStore(db)
    store.ensure_indexes()
    for n, lead, status, themes in [(3, "p1", "published", ["a"]), (1, "p2", "published", ["a", "b"]),
                                    (2, "p1", "draft", ["b"]), (4, "p2", "in_progress", [])]:
        store.add(make(n, lead, status=status, themes=themes))
    store.add(make(5, "p1", title={"zh": "红色经典诵读", "en": "Classic recitation"}))
    public = ("published", "in_progress", "completed")
    ids = lambda **kw: [a["id"] for a in store.find(statuses=public, **kw)]  # noqa: E731
    assert ids() == ["act_1", "act_3", "act_4", "act_5"]
    assert ids(organizer="p1") == ["act_3", "act_5"]
    assert ids(theme="a") == ["act_1", "act_3"]
    assert ids(type="film") == ["act_4"]
    assert ids(status="draft") == ["act_2"]
    assert ids(q="经典 recit") == ["act_5"] and ids(q="lecture 33") == [] and ids(q="lect") == ["act_1", "act_3",
                                                                                                 "act_4"]
    first = store.find(statuses=public, limit=2)
    assert [a["id"] for a in store.find(statuses=public, after_key=store.sort_key_of(first[-1]))] == ["act_4", "act_5"]
    # one status, no other condition an index could serve: the range over the listing key alone pages on
    published = store.find(status="published", limit=1)
    assert [a["id"] for a in store.find(status="published", after_key=store.sort_key_of(published[-1]))] == [
        "act_3", "act_5"]
    assert ids(starts_from=NOW + timedelta(days=3), starts_before=NOW + timedelta(days=5)) == ["act_3", "act_4"]
    assert sorted(store.due("published", "starts_at", NOW + timedelta(days=3, hours=1))) == ["act_1", "act_3"]
    assert sorted(store.live_ids_of_partner("p2")) == ["act_1", "act_4"]
    assert store.ended_before(NOW + timedelta(days=2)) == ["act_1"]
    store.change("act_1", lambda a: setattr(a, "retention_done", True))
    assert store.ended_before(NOW + timedelta(days=2)) == []
    assert isinstance(store.load("act_3").starts_at, datetime)


def test_rosters_venues_and_the_partner_directory_round_trip(db):  # noqa: F811
    from services.events.store import EventsStore
    store = EventsStore(db)
    store.ensure_indexes()
    store.change_roster("act_1", lambda r: r.registrations.append(
        {"registration_id": "r1", "person": {"person_id": "s1", "email": "e", "language": "zh"}, "state": "confirmed",
         "registered_at": NOW, "code": "ABCDEFGH"}) and None)
    roster = store.roster("act_1")
    assert isinstance(roster, Roster) and roster.registrations[0]["registered_at"] == NOW
    assert [r.activity_id for r in store.rosters_of_person("s1")] == ["act_1"]
    assert store.rosters_of_person("s2") == []

    store.add_venue(Venue("ven_1", "Hall", "library_space", NOW))
    store.change_venue("ven_1", lambda v: v.book(activity_id="act_1", title={"zh": "x"}, organizer_id="p1",
                                                 organizer_name={"zh": "p1"}, starts_at=NOW + timedelta(days=1),
                                                 ends_at=NOW + timedelta(days=1, hours=2), now=NOW) and None)
    venue = store.venue("ven_1")
    assert venue.holds("act_1")["starts_at"] == NOW + timedelta(days=1)
    assert venue.holder_of(NOW + timedelta(days=1, hours=1), NOW + timedelta(days=2), "act_2")["activity_id"] == "act_1"

    partner = {"partner_id": "p1", "name": {"zh": "x"}, "level": "campus", "kind": "faculty"}
    assert store.remember_partner(dict(partner, status="applied"), "2026-11-01T00:00:00Z")
    assert store.remember_partner(dict(partner, status="approved"), "2026-11-03T00:00:00Z")
    assert not store.remember_partner(dict(partner, status="under_review"), "2026-11-02T00:00:00Z")
    assert store.partner("p1")["status"] == "approved"
    store.partners.insert_one({"_id": "p2", "name": {"zh": "y"}, "level": "campus", "kind": "faculty",
                               "status": "active"})  # as the first version wrote it
    assert store.remember_partner(dict(partner, partner_id="p2", status="suspended"), "2026-11-03T00:00:00Z")
    assert store.partner("p2")["status"] == "suspended"


def test_old_activities_without_the_retention_mark_are_found_and_done_ones_never_again(db):  # noqa: F811
    from services.events.store import EventsStore
    store = EventsStore(db)
    for n in range(3):
        store.add(make(n, "p1"))
    store.activities.insert_one({"_id": "act_legacy", "ends_at": NOW, "_rev": 1})  # written before the field
    for n in range(2):
        store.change(f"act_{n}", lambda a: setattr(a, "retention_done", True))
    assert sorted(store.ended_before(NOW + timedelta(days=30))) == ["act_2", "act_legacy"]


def test_activities_of_the_first_version_are_backfilled_for_the_listing(db):  # noqa: F811
    from services.events.store import EventsStore, _to_doc
    store = EventsStore(db)
    old = _to_doc(make(1, "p1"))
    for name in ("listing_key", "title_terms", "lead_id", "elements", "reviews", "sequence", "retention_done"):
        old.pop(name)
    old["sort_key"] = "2026-11-02T08:00:00.000Z|act_1"  # the listing key of an earlier version
    old["_rev"] = 1
    store.activities.insert_one(old)
    assert store.find(statuses=("published",), q="lecture") == [], "not searchable yet"
    store.ensure_indexes()
    assert [a["id"] for a in store.find(statuses=("published",), q="lecture")] == ["act_1"]
    assert "sort_key" not in store.activities.find_one({"_id": "act_1"})
    assert store.backfill() == 0
