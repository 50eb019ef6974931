"""Reads show each reader only what it may see, and one partner cannot take what is not its own, over HTTP on
the real cluster: activity listings as each reader's view, venue bookings as busy slots for others, venues held
from submission with the owner's consent and a quota, suspended and retired partners' keys refused, and
re-approval waived by the coordination group only."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.api import Api, eventually
from tests.support.world import issue_key

pytestmark = pytest.mark.cluster

# What anyone may know of a published activity (as in the calendar); nothing more reaches a non-organizer.
PUBLIC_FIELDS = {"id", "title", "activity_type", "paths", "themes", "elements", "audience", "aims", "brand",
                 "series", "occurrence", "description", "starts_at", "ends_at", "all_day", "venue", "venue_id",
                 "capacity", "registration_opens_at", "registration_closes_at", "status", "published_at",
                 "sequence", "organizers", "completed_at"}
ORGANIZER_REF = {"partner_id", "name", "role", "level"}
QUOTA = 2


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def campus(api: Api, name: str, kind: str = "faculty", **extra) -> str:
    body = {"name": {"zh": name, "en": name}, "level": "campus", "kind": kind, **extra}
    return ok(api.post("/v1/partners", body), 201)["id"]


def lecture(lead: str, co: list[str] | None = None, hours: float = 48, **extra) -> dict:
    return {"title": {"zh": "讲座", "en": f"Lecture of {lead}"}, "activity_type": "lecture", "paths": ["activity"],
            "starts_at": at(hours), "ends_at": at(hours + 2), "lead_organizer": lead, "co_organizers": co or [],
            **extra}


def through(api: Api, activity_id: str, *steps: str) -> dict:
    made = {}
    for step in steps:
        made = ok(api.post(f"/v1/activities/{activity_id}/{step}"))
    return made


def key_of(admin: Api, base_url: str, kind: str, partner_id: str | None = None) -> Api:
    return Api(base_url, issue_key(admin, kind, partner_id)["key"])


@pytest.fixture
def world(make_cluster):
    handle = make_cluster()
    handle.start(extra_env={"VENUE_HOLDS_PER_PARTNER": str(QUOTA), "API_PARTNER_STANDING_SECONDS": "1"})
    return handle


def test_a_listing_shows_each_reader_its_view_public_fields_to_non_organizers(world):
    admin, url = world.api, world.cluster.gateway_url
    faculty, archive = campus(admin, "历史学院"), campus(admin, "档案馆")
    league = campus(admin, "校团委", "youth_league")
    mine = ok(admin.post("/v1/activities", lecture(faculty, [league])), 201)["id"]
    ok(admin.put(f"/v1/activities/{mine}/organizers/{league}/contributions",
                 {"contributions": [{"kind": "funding", "committed": "20000 yuan"}]}))
    through(admin, mine, "submit")
    ok(admin.post(f"/v1/activities/{mine}/return", {"reasons": ["name a speaker"], "comments": "internal note"}))
    through(admin, mine, "submit", "approve", "publish")
    ok(admin.post("/v1/activities", lecture(faculty, hours=72)), 201)  # a draft
    readers = {name: key_of(admin, url, "partner", pid) for name, pid in
               (("faculty", faculty), ("league", league), ("archive", archive))}
    readers |= {"staff": key_of(admin, url, "staff"), "campus": key_of(admin, url, "campus_system")}

    for name, reader in readers.items():
        items = ok(reader.get("/v1/activities"))["items"]
        assert [item["id"] for item in items] == [mine], (name, "drafts are never listed by default")
        item = items[0]
        if name == "archive":  # not an organizer: what anyone may know, nothing of the organizers' work
            assert set(item) <= PUBLIC_FIELDS, set(item) - PUBLIC_FIELDS
            assert all(set(org) == ORGANIZER_REF for org in item["organizers"]), item["organizers"]
            assert "20000" not in str(item) and "internal note" not in str(item)
        else:  # an organizer, staff, a campus system: the activity as GET /v1/activities/{id} shows it to them
            read = ok(reader.get(f"/v1/activities/{mine}"))
            assert {k: v for k, v in item.items() if k != "revision"} == read, name
            assert read["reviews"] and read["history"]
    archive_key = readers["archive"]
    assert archive_key.get("/v1/activities?status=draft").status_code == 403
    only_public = ok(archive_key.get(f"/v1/activities?organizer={faculty}"))["items"]
    assert [set(i) <= PUBLIC_FIELDS for i in only_public] == [True]
    assert archive_key.get(f"/v1/activities/{mine}").status_code == 404, "reading it whole stays the organizers'"


def test_a_venue_shows_others_bookings_as_busy_slots_and_a_conflict_names_no_one(world):
    admin, url = world.api, world.cluster.gateway_url
    faculty, archive = campus(admin, "历史学院"), campus(admin, "档案馆")
    hall = ok(admin.post("/v1/venues", {"name": "Lecture hall", "kind": "library_space"}), 201)["id"]
    theirs = ok(admin.post("/v1/activities", lecture(faculty, venue_id=hall, hours=30)), 201)["id"]
    through(admin, theirs, "submit")
    ours = ok(admin.post("/v1/activities", lecture(archive, venue_id=hall, hours=60)), 201)["id"]
    through(admin, ours, "submit")
    their_draft = ok(admin.post("/v1/activities", lecture(faculty, venue_id=hall, hours=90)), 201)["id"]
    archive_key = key_of(admin, url, "partner", archive)

    bookings = ok(archive_key.get(f"/v1/venues/{hall}"))["bookings"]
    own = [b for b in bookings if b.get("activity_id") == ours]
    assert len(own) == 1 and own[0]["title"]["en"] == f"Lecture of {archive}"
    others = [b for b in bookings if b.get("activity_id") != ours]
    assert len(others) == 1 and set(others[0]) == {"starts_at", "ends_at", "busy"}, others
    assert faculty not in str(bookings) and theirs not in str(bookings) and their_draft not in str(bookings)
    everything = ok(key_of(admin, url, "staff").get(f"/v1/venues/{hall}"))["bookings"]
    assert {b["activity_id"] for b in everything} == {theirs, ours}, "staff see every booking (a draft holds none)"

    clash = archive_key.post("/v1/activities", lecture(archive, venue_id=hall, hours=30))
    assert clash.status_code == 409 and clash.headers["content-type"] == "application/problem+json"
    problem = clash.json()
    assert "venue_id" in problem["errors"] and "taken" in problem["detail"]
    assert theirs not in str(problem) and faculty not in str(problem) and "Lecture of" not in str(problem)


def test_a_venue_is_held_from_submission_with_its_owners_consent_and_within_a_quota(world):
    admin, url = world.api, world.cluster.gateway_url
    faculty, archive = campus(admin, "历史学院"), campus(admin, "档案馆")
    club = campus(admin, "读书会", resources=[{"kind": "space", "name": "Reading room"}])
    hall = ok(admin.post("/v1/venues", {"name": "Lecture hall", "kind": "library_space"}), 201)["id"]
    faculty_key, archive_key = key_of(admin, url, "partner", faculty), key_of(admin, url, "partner", archive)
    club_key = key_of(admin, url, "partner", club)

    # a draft holds nothing: two drafts may name the same time; the first submitted holds it
    first = ok(faculty_key.post("/v1/activities", lecture(faculty, venue_id=hall)), 201)["id"]
    second = ok(archive_key.post("/v1/activities", lecture(archive, venue_id=hall)), 201)["id"]
    assert ok(admin.get(f"/v1/venues/{hall}"))["bookings"] == []
    ok(archive_key.post(f"/v1/activities/{second}/submit"))
    refused = faculty_key.post(f"/v1/activities/{first}/submit")
    assert refused.status_code == 409, refused.text
    assert ok(admin.get(f"/v1/activities/{first}"))["status"] == "draft", "a refused submission changes nothing"

    # another partner's space: only its owner (or the coordination group) books it
    room = eventually(lambda: [v for v in ok(admin.get("/v1/venues"))["items"] if v["partner_id"] == club])[0]["id"]
    count = world.db("events")["activities"].count_documents({})
    taken = archive_key.post("/v1/activities", lecture(archive, venue_id=room, hours=100))
    assert taken.status_code == 403 and "venue_id" in str(taken.json()), taken.text
    assert world.db("events")["activities"].count_documents({}) == count, "a refused draft stores nothing"
    draft = ok(archive_key.post("/v1/activities", lecture(archive, hours=100)), 201)["id"]
    assert archive_key.patch(f"/v1/activities/{draft}", {"venue_id": room}).status_code == 403
    ok(club_key.post("/v1/activities", lecture(club, venue_id=room, hours=100)), 201)
    ok(admin.patch(f"/v1/activities/{draft}", {"venue_id": room, "starts_at": at(120), "ends_at": at(122)}))

    # a quota of held future bookings per partner (QUOTA set for this cluster; archive holds one already)
    for n in range(QUOTA - 1):
        more = ok(archive_key.post("/v1/activities", lecture(archive, venue_id=hall, hours=200 + 10 * n)), 201)
        ok(archive_key.post(f"/v1/activities/{more['id']}/submit"))
    over = ok(archive_key.post("/v1/activities", lecture(archive, venue_id=hall, hours=400)), 201)["id"]
    beyond = archive_key.post(f"/v1/activities/{over}/submit")
    assert beyond.status_code == 409 and "venue_id" in beyond.json()["errors"], beyond.text
    assert str(QUOTA) in beyond.json()["detail"]
    assert ok(admin.get(f"/v1/activities/{over}"))["status"] == "draft"
    assert over not in str(ok(admin.get(f"/v1/venues/{hall}"))["bookings"])


def test_keys_of_a_suspended_or_retired_partner_are_refused_and_work_again_when_reinstated(world):
    admin, url = world.api, world.cluster.gateway_url
    faculty, archive = campus(admin, "历史学院"), campus(admin, "档案馆")
    key, retired_key = key_of(admin, url, "partner", faculty), key_of(admin, url, "partner", archive)
    routes = [("GET", f"/v1/partners/{faculty}"), ("GET", "/v1/activities"), ("GET", "/v1/venues"),
              ("GET", f"/v1/partners/{faculty}/inbox"), ("POST", "/v1/activities")]

    def answers(api: Api) -> list[int]:
        return [api.session.request(method, url + path, json=lecture(faculty) if method == "POST" else None,
                                    timeout=15).status_code for method, path in routes]
    assert all(code < 400 for code in answers(key))
    ok(admin.post(f"/v1/partners/{faculty}/suspend", {"reason": "audit"}))
    eventually(lambda: answers(key) == [403] * len(routes), timeout=15)
    refused = key.get("/v1/activities")
    assert refused.headers["content-type"] == "application/problem+json" and "suspended" in refused.json()["detail"]
    ok(admin.post(f"/v1/partners/{faculty}/reinstate", {"reason": "cleared"}))
    eventually(lambda: all(code < 400 for code in answers(key)), timeout=15)

    ok(admin.post(f"/v1/partners/{archive}/retire", {"reason": "closed"}))
    eventually(lambda: retired_key.get("/v1/venues").status_code == 403, timeout=15)
    assert "retired" in retired_key.get("/v1/venues").json()["detail"]


def test_only_the_coordination_group_waives_re_approval(world):
    admin, url = world.api, world.cluster.gateway_url
    faculty = campus(admin, "历史学院")
    activity = ok(admin.post("/v1/activities", lecture(faculty)), 201)["id"]
    through(admin, activity, "submit", "approve", "publish")
    before = ok(admin.get(f"/v1/activities/{activity}"))
    move = {"starts_at": at(30), "ends_at": at(31), "waive_reapproval": True}
    for refused in (key_of(admin, url, "staff"), key_of(admin, url, "partner", faculty)):
        answer = refused.patch(f"/v1/activities/{activity}", move)
        assert answer.status_code == 403 and answer.headers["content-type"] == "application/problem+json", answer.text
        assert ok(admin.get(f"/v1/activities/{activity}")) == before, "a refused waiver changes nothing"
    staff_edit = ok(key_of(admin, url, "staff").patch(f"/v1/activities/{activity}", dict(move, waive_reapproval=False)))
    assert staff_edit["status"] == "submitted", "without a waiver a moved activity goes back for approval"
    through(admin, activity, "approve")
    waived = ok(admin.patch(f"/v1/activities/{activity}", {"starts_at": at(40), "ends_at": at(41),
                                                           "waive_reapproval": True}))
    assert waived["status"] == "published"
