"""The events service over HTTP and the bus, against the real processes, broker and store."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from synergy_client import SynergyClient
from tests.e2e.test_walking_skeleton import FACULTY, MUSEUM, YOUTH_LEAGUE, register
from tests.support.activities import approve_partner
from tests.support.api import Api, eventually
from tests.support.settle import bus_settled
from tests.support.tap import Tap
from tests.support.world import issue_key

pytestmark = pytest.mark.cluster


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def activity(lead: str, co: list[str] | None = None, **extra) -> dict:
    body = {"title": {"zh": "科学与艺术讲座", "en": "Science and Art lecture"}, "activity_type": "lecture",
            "paths": ["activity", "resources"], "themes": ["science"], "starts_at": at(48), "ends_at": at(50),
            "lead_organizer": lead, "co_organizers": co or []}
    body.update(extra)
    return body


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def published(api, body: dict) -> dict:
    made = ok(api.post("/v1/activities", body), 201)
    for step in ("submit", "approve", "publish"):
        made = ok(api.post(f"/v1/activities/{made['id']}/{step}"))
    return made


def types_seen(tap: Tap, seconds: float = 0.5) -> list[str]:
    return [properties.type for properties, _ in tap.drain(seconds)]


def concurrently(count: int, action) -> list:
    """Run ``action(i)`` in ``count`` threads released at the same moment; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = action(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_the_lifecycle_with_registration_check_in_volunteers_and_completion(cluster):
    api = cluster.api
    tap = Tap(cluster.amqp_uri, "#")
    faculty, league = register(api, FACULTY), register(api, YOUTH_LEAGUE)
    created = ok(api.post("/v1/activities", activity(faculty["id"], [league["id"]], starts_at=at(1), ends_at=at(3),
                                                     capacity=1, aims=["humanistic_literacy"])), 201)
    aid = created["id"]
    path = f"/v1/activities/{aid}"
    assert ok(api.post(f"{path}/submit"))["status"] == "submitted"
    returned = ok(api.post(f"{path}/return", {"reasons": ["name the speakers"], "comments": "almost"}))
    assert returned["status"] == "returned" and returned["reviews"][0]["reasons"] == ["name the speakers"]
    assert api.post(f"{path}/publish").status_code == 409
    ok(api.post(f"{path}/submit"))
    assert ok(api.post(f"{path}/approve", {"comments": "go"}))["status"] == "approved"
    assert ok(api.post(f"{path}/publish"))["status"] == "published"

    # the co-organizer's own part
    parts = ok(api.put(f"{path}/organizers/{league['id']}/contributions",
                       {"contributions": [{"kind": "volunteers", "committed": "ten guides", "delivered": True}]}))
    assert parts["organizers"][1]["contributions"][0]["committed"] == "ten guides"
    ok(api.put(f"{path}/organizers/{league['id']}/tasks", {"tasks": [{"title": "posters", "due_at": at(1)}]}))

    # an edit after publication is announced with what changed
    edited = ok(api.patch(path, {"description": "with a quiz", "capacity": 1}))
    assert edited["status"] == "published"

    # registration: a seat, the waitlist, promotion when the seat is given back
    first = ok(api.post(f"{path}/registrations", {"person_id": "s1", "email": "s1@uni.edu"}), 201)
    second = ok(api.post(f"{path}/registrations", {"person_id": "s2", "email": "s2@uni.edu", "language": "en"}), 201)
    assert (first["state"], second["state"]) == ("confirmed", "waitlisted")
    assert first["personal_data_kept_until"] > first["registered_at"]
    ok(api.post(f"{path}/registrations/{first['registration_id']}/cancel"))
    promoted = ok(api.get(f"{path}/registrations/{second['registration_id']}"))
    assert promoted["state"] == "confirmed" and promoted["code"]

    # volunteers
    role = ok(api.post(f"{path}/volunteer-roles", {"name": {"zh": "引导员", "en": "guide"}}), 201)["roles"][0]
    shift = ok(api.post(f"{path}/volunteer-shifts", {"role_id": role["role_id"], "starts_at": at(-0.2),
                                                     "ends_at": at(2), "places": 2}), 201)["shifts"][0]
    signup = ok(api.post(f"{path}/volunteers", {"shift_id": shift["shift_id"], "person_id": "v1",
                                                "email": "v1@uni.edu"}), 201)
    assert ok(api.get(f"{path}/volunteer-shifts"))["shifts"][0]["free"] == 1

    # the day: start, check in by code, hours, completion
    assert ok(api.post(f"{path}/start"))["status"] == "in_progress"
    checked = ok(api.post(f"{path}/check-ins", {"code": promoted["code"]}))
    assert checked["state"] == "checked_in"
    ok(api.post(f"{path}/volunteers/{signup['signup_id']}/hours", {"hours": 1.5}))
    done = ok(api.post(f"{path}/complete"))
    assert done["status"] == "completed"
    record = ok(api.get("/v1/people/v1/participation"))
    assert record["volunteer_hours"] == 1.5 and record["items"][0]["activity_id"] == aid
    assert ok(api.get("/v1/people/s2/participation"))["attended_count"] == 1

    with ClusterRpcProxy({"AMQP_URI": cluster.amqp_uri}) as rpc:
        recipients = rpc.events.survey_recipients(aid)
    assert sorted(r["person_id"] for r in recipients) == ["s2", "v1"]
    assert {r["email"] for r in recipients} == {"s2@uni.edu", "v1@uni.edu"}

    assert ok(api.post(f"{path}/archive"))["status"] == "archived"
    seen = eventually(lambda: "activity.archived" in types_seen(tap) and tap.messages, timeout=15)
    kinds = [properties.type for properties, _ in seen]
    for kind in ("activity.submitted", "activity.returned", "activity.approved", "activity.published",
                 "activity.updated", "registration.confirmed", "registration.waitlisted", "registration.cancelled",
                 "registration.promoted", "activity.started", "participation.recorded", "activity.completed",
                 "activity.archived"):
        assert kind in kinds, kind
    bodies = {properties.type: json.loads(body) for properties, body in seen}
    assert bodies["activity.updated"]["data"]["changes"] == {"description": {"before": "", "after": "with a quiz"}}
    completion = bodies["activity.completed"]["data"]
    assert (completion["registered_count"], completion["checked_in_count"], completion["volunteer_count"]) == (1, 1, 1)
    assert completion["aims"] == ["humanistic_literacy"] and "person" not in json.dumps(completion)
    assert completion["contributions"] == [{"partner_id": league["id"], "kind": "volunteers",
                                            "committed": "ten guides", "delivered": True}]
    tap.close()


def test_changing_the_time_sends_a_published_activity_back_unless_waived_and_cancel_postpone(cluster):
    api = cluster.api
    faculty = register(api, FACULTY)
    made = published(api, activity(faculty["id"]))
    path = f"/v1/activities/{made['id']}"
    moved = ok(api.patch(path, {"starts_at": at(47), "ends_at": at(49)}))
    assert moved["status"] == "submitted"
    assert ok(api.post(f"{path}/approve"))["status"] == "published"
    waived = ok(api.patch(path, {"title": {"zh": "新标题"}, "waive_reapproval": True}))
    assert waived["status"] == "published"
    postponed = ok(api.post(f"{path}/postpone", {"reason": "speaker ill"}))
    assert postponed["status"] == "postponed" and postponed["status_reason"] == "speaker ill"
    assert api.post(f"{path}/cancel", {}).status_code == 422
    assert ok(api.post(f"{path}/cancel", {"reason": "no new date"}))["status"] == "cancelled"
    assert api.post(f"{path}/publish").status_code == 409


def test_two_registrations_for_the_last_seat_exactly_one_wins_and_the_other_is_promoted_later(cluster):
    api = cluster.api
    faculty = register(api, FACULTY)
    made = published(api, activity(faculty["id"], capacity=3))
    path = f"/v1/activities/{made['id']}"
    ok(api.post(f"{path}/registrations", {"person_id": "early1", "email": "e1@uni.edu"}), 201)
    early = ok(api.post(f"{path}/registrations", {"person_id": "early2", "email": "e2@uni.edu"}), 201)

    responses = concurrently(2, lambda i: api.post(f"{path}/registrations",
                                                   {"person_id": f"last{i}", "email": f"l{i}@uni.edu"}))
    states = sorted(ok(r, 201)["state"] for r in responses)
    assert states == ["confirmed", "waitlisted"], "exactly one of two gets the last seat"
    many = concurrently(6, lambda i: api.post(f"{path}/registrations", {"person_id": f"p{i}", "email": f"p{i}@u.edu"}))
    assert [ok(r, 201)["state"] for r in many] == ["waitlisted"] * 6
    listing = ok(api.get(f"{path}/registrations"))
    assert listing["attendance"]["registered"] == 3 and listing["attendance"]["waitlisted"] == 7

    loser = next(r.json() for r in responses if r.json()["state"] == "waitlisted")
    ok(api.post(f"{path}/registrations/{early['registration_id']}/cancel"))
    assert ok(api.get(f"{path}/registrations/{loser['registration_id']}"))["state"] == "confirmed"
    assert sum(1 for r in ok(api.get(f"{path}/registrations"))["items"] if r["state"] == "confirmed") == 3


def test_two_units_submitting_for_one_venue_at_once_exactly_one_holds_it_and_learns_only_when(cluster):
    api = cluster.api
    faculty, league = register(api, FACULTY), register(api, YOUTH_LEAGUE)
    hall = ok(api.post("/v1/venues", {"name": "Library lecture hall", "kind": "library_space", "capacity": 200}), 201)
    leads = [faculty, league] * 3
    bodies = [activity(leads[i]["id"], venue_id=hall["id"], starts_at=at(24 + i * 0.25), ends_at=at(26),
                       setup_minutes=30) for i in range(6)]
    drafts = [ok(api.post("/v1/activities", body), 201) for body in bodies]
    assert ok(api.get(f"/v1/venues/{hall['id']}"))["bookings"] == [], "a draft holds no venue"
    responses = concurrently(6, lambda i: api.post(f"/v1/activities/{drafts[i]['id']}/submit"))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409, 409, 409], [r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    for refused in (r for r in responses if r.status_code == 409):
        detail = refused.json()["detail"]
        assert "taken" in detail and winner["id"] not in detail, "the time is taken; by whom is not told"
        assert winner["organizers"][0]["partner_id"] not in detail
        assert "venue_id" in refused.json()["errors"]
    statuses = sorted(ok(api.get(f"/v1/activities/{draft['id']}"))["status"] for draft in drafts)
    assert statuses == ["draft"] * 5 + ["submitted"], "a refused submission changes nothing"
    bookings = ok(api.get(f"/v1/venues/{hall['id']}"))["bookings"]
    assert [b["activity_id"] for b in bookings] == [winner["id"]]

    # setup time counts: ending 20 minutes before the winner starts still collides with its 30 minutes of setup
    start = datetime.fromisoformat(winner["starts_at"].replace("Z", "+00:00"))
    close = activity(league["id"], venue_id=hall["id"], starts_at=(start - timedelta(hours=2)).isoformat(),
                     ends_at=(start - timedelta(minutes=20)).isoformat())
    assert api.post("/v1/activities", close).status_code == 409
    clear = dict(close, ends_at=(start - timedelta(minutes=30)).isoformat())
    other = ok(api.post("/v1/activities", clear), 201)
    ok(api.post(f"/v1/activities/{other['id']}/submit"))
    # cancelling gives the venue back
    ok(api.post(f"/v1/activities/{winner['id']}/cancel", {"reason": "moved online"}))
    assert [b["activity_id"] for b in ok(api.get(f"/v1/venues/{hall['id']}"))["bookings"]] == [other["id"]]
    assert api.post("/v1/activities", dict(bodies[0], starts_at=winner["starts_at"])).status_code == 201


def test_a_space_a_partner_offers_becomes_a_venue_that_is_retired_when_the_partner_drops_it(cluster):
    api = cluster.api
    faculty, league = register(api, FACULTY), register(api, YOUTH_LEAGUE)
    dome = {"kind": "space", "name": "Dome theatre", "capacity": 120, "location": "Pudong"}
    museum = register(api, dict(MUSEUM, resources=[dome, {"kind": "expert", "name": "Guides"}]))

    def venues_of_museum() -> list[dict]:
        return [v for v in ok(api.get("/v1/venues"))["items"] if v["partner_id"] == museum["id"]]
    venue = eventually(venues_of_museum)[0]
    assert (venue["name"], venue["capacity"], venue["address"], venue["kind"], venue["status"]) == \
        ("Dome theatre", 120, "Pudong", "partner_space", "open")
    booked = ok(api.post("/v1/activities", activity(faculty["id"], venue_id=venue["id"])), 201)
    assert booked["venue"] == "Dome theatre"
    ok(api.post(f"/v1/activities/{booked['id']}/submit"))
    refused = api.post("/v1/activities", activity(league["id"], venue_id=venue["id"], starts_at=at(49),
                                                  ends_at=at(51)))
    assert refused.status_code == 409 and booked["id"] not in refused.json()["detail"]
    assert faculty["id"] not in refused.json()["detail"] and "taken" in refused.json()["detail"]

    ok(api.patch(f"/v1/partners/{museum['id']}", {"resources": [{"kind": "expert", "name": "Guides"}]}))
    retired = eventually(lambda: [v for v in venues_of_museum() if v["status"] == "retired"])[0]
    assert retired["id"] == venue["id"] and retired["retired_reason"] == "the partner no longer offers it"
    later = api.post("/v1/activities", activity(league["id"], venue_id=venue["id"], starts_at=at(100),
                                                ends_at=at(101)))
    assert later.status_code == 422 and "retired" in later.json()["detail"], later.text
    assert [b["activity_id"] for b in ok(api.get(f"/v1/venues/{venue['id']}"))["bookings"]] == [booked["id"]]
    assert len(venues_of_museum()) == 1, "the same space is the same venue, whatever was announced"


def test_listing_filters_search_and_pages_and_the_calendar_parses(cluster):
    api = cluster.api
    faculty, league, museum = register(api, FACULTY), register(api, YOUTH_LEAGUE), register(api, MUSEUM)
    approve_partner(cluster, museum)
    made = []
    for n in range(5):
        lead = faculty if n % 2 == 0 else league
        title = {"zh": f"红色经典诵读 {n}", "en": f"Classic recitation {n}"} if n < 3 else \
            {"zh": f"科学影展 {n}", "en": f"Science film {n}"}
        made.append(published(api, activity(lead["id"], [museum["id"]] if n == 4 else [], title=title,
                                            starts_at=at(24 * (n + 1)), ends_at=at(24 * (n + 1) + 2),
                                            themes=["red_culture"] if n < 3 else ["science"],
                                            activity_type="classic_recitation" if n < 3 else "film")))
    ok(api.post("/v1/activities", activity(faculty["id"])), 201)  # a draft is not listed

    def ids(query: str) -> list[str]:
        return [item["id"] for item in ok(api.get(f"/v1/activities?{query}"))["items"]]
    assert ids("") == [m["id"] for m in made]
    assert ids(f"organizer={league['id']}") == [made[1]["id"], made[3]["id"]]
    assert ids("theme=science") == [made[3]["id"], made[4]["id"]]
    assert ids("type=film&path=activity") == [made[3]["id"], made[4]["id"]]
    assert ids("q=经典") == [m["id"] for m in made[:3]]
    assert ids("q=recit") == [m["id"] for m in made[:3]]
    assert ids("q=影展 science") == [made[3]["id"], made[4]["id"]]
    pages, cursor = [], ""
    while True:
        page = ok(api.get(f"/v1/activities?limit=2{cursor}"))
        pages.append([item["id"] for item in page["items"]])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert [i for page in pages for i in page] == [m["id"] for m in made] and len(pages) == 3
    assert api.get("/v1/activities?cursor=nonsense").status_code == 422
    assert api.get("/v1/activities?type=opera").status_code == 422
    assert api.get("/v1/activities?$where=1").status_code == 422

    feed = api.get(f"/v1/calendar.ics?organizer={museum['id']}")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{made[4]['id']}@synergy"]
    assert str(events[0]["summary"]) == "科学影展 4 / Science film 4"
    whole = icalendar.Calendar.from_ical(api.get("/v1/calendar.ics?theme=red_culture").content).walk("VEVENT")
    assert len(whole) == 3
    first_start = datetime.fromisoformat(made[0]["starts_at"].replace("Z", "+00:00")).replace(microsecond=0)
    assert whole[0].decoded("dtstart") == first_start, "iCalendar times have whole seconds"

    # a cancelled activity leaves the listing but stays in the calendar as cancelled, so subscribers follow
    ok(api.post(f"/v1/activities/{made[0]['id']}/cancel", {"reason": "exam week"}))
    assert made[0]["id"] not in ids("theme=red_culture")
    def red_culture() -> list:  # the calendar is answered from a cache of a few seconds per query
        return icalendar.Calendar.from_ical(api.get("/v1/calendar.ics?theme=red_culture").content).walk("VEVENT")
    again = eventually(lambda: (found := red_culture()) and str(found[0]["status"]) == "CANCELLED" and found)
    assert [str(e["status"]) for e in again] == ["CANCELLED", "CONFIRMED", "CONFIRMED"]
    assert int(again[0]["sequence"]) == 1, "a cancellation is a new version of the calendar entry"


def test_anyone_may_subscribe_to_the_calendar_without_a_key_and_it_holds_published_activities_only(cluster):
    api = cluster.api
    anonymous = Api(api.base_url, None)
    faculty = register(api, FACULTY)
    shown = published(api, activity(faculty["id"], themes=["poetry"]))
    draft = ok(api.post("/v1/activities", activity(faculty["id"], themes=["poetry"])), 201)
    submitted = ok(api.post("/v1/activities", activity(faculty["id"], themes=["poetry"], starts_at=at(60),
                                                       ends_at=at(61))), 201)
    ok(api.post(f"/v1/activities/{submitted['id']}/submit"))
    ok(api.post(f"/v1/activities/{shown['id']}/registrations", {"person_id": "s1", "email": "s1@uni.edu"}), 201)

    feed = anonymous.get("/v1/calendar.ics?theme=poetry")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar"), feed.text
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{shown['id']}@synergy"]
    assert draft["id"] not in feed.text and submitted["id"] not in feed.text
    whole = anonymous.get("/v1/calendar.ics").text
    assert draft["id"] not in whole and "@uni.edu" not in whole and shown["id"] in whole
    for asked in ("status=draft", "status=submitted", "from=yesterday", "type=opera"):
        refused = anonymous.get(f"/v1/calendar.ics?{asked}")
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json", asked
    assert anonymous.get("/v1/activities").status_code == 401, "the JSON listing still needs a key"
    assert anonymous.get(f"/v1/activities/{draft['id']}").status_code == 401


def test_the_term_participation_export_for_the_transcript_system_as_json_pages_and_csv(cluster):
    api = cluster.api
    faculty = register(api, FACULTY)
    campus = Api(api.base_url, issue_key(api, "campus_system")["key"])
    partner = Api(api.base_url, issue_key(api, "partner", faculty["id"])["key"])
    made = published(api, activity(faculty["id"], starts_at=at(1), ends_at=at(3), capacity=10))
    codes = {person: ok(api.post(f"/v1/activities/{made['id']}/registrations",
                                 {"person_id": person, "email": f"{person}@uni.edu"}), 201)["code"]
             for person in ("s2", "s1", "s3")}
    for person in ("s1", "s2"):
        ok(api.post(f"/v1/activities/{made['id']}/check-ins", {"code": codes[person]}))
    day = datetime.fromisoformat(made["starts_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    span = f"from={(day - timedelta(days=1)).date()}&to={(day + timedelta(days=1)).date()}"

    first = ok(campus.get(f"/v1/participation?{span}&limit=1"))
    second = ok(campus.get(f"/v1/participation?{span}&limit=1&cursor={first['next_cursor']}"))
    assert [r["person_id"] for r in first["items"] + second["items"]] == ["s1", "s2"]
    assert second["next_cursor"] is None and first["items"][0]["attended"] is True
    csv_answer = api.get(f"/v1/participation.csv?{span}")
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text.splitlines() == [
        "person_id,activity_id,title,date,attended,volunteer_hours",
        f"s1,{made['id']},科学与艺术讲座,{day.date()},true,0", f"s2,{made['id']},科学与艺术讲座,{day.date()},true,0"]
    assert "@uni.edu" not in csv_answer.text
    with SynergyClient(api.base_url, campus.session.headers["Authorization"].removeprefix("Bearer ")) as client:
        span_args = dict(part.split("=") for part in span.split("&"))
        assert [r["person_id"] for r in client.participation_export(page_size=1, **span_args)] == ["s1", "s2"]
        assert client.participation_csv(**span_args) == csv_answer.text

    assert partner.get(f"/v1/participation?{span}").status_code == 403, "a partner never reads everyone's record"
    assert partner.get(f"/v1/participation.csv?{span}").status_code == 403
    for bad in ("from=2026-12-31&to=2026-12-01", "from=someday&to=2026-12-01", "from=2026-12-01",
                "term=2026-winter", f"{span}&cursor=nonsense", f"{span}&format=xml"):
        for path in ("/v1/participation", "/v1/participation.csv"):
            refused = campus.get(f"{path}?{bad}")
            assert refused.status_code == 422 and refused.json()["errors"], (path, bad, refused.text)


def test_every_write_route_refuses_bad_input_over_http_and_nothing_is_stored_or_announced(cluster):
    api = cluster.api
    faculty = register(api, FACULTY)
    hall = ok(api.post("/v1/venues", {"name": "Hall", "kind": "library_space"}), 201)
    made = published(api, activity(faculty["id"], venue_id=hall["id"]))
    path = f"/v1/activities/{made['id']}"
    registration = ok(api.post(f"{path}/registrations", {"person_id": "s1", "email": "s1@uni.edu"}), 201)
    # every reaction to the setup has happened: the partner's registration reaching events (which records it on
    # the live activity, moving its _rev), evaluation preparing the survey (survey.prepared on the bus)
    bus_settled(cluster)
    tap = Tap(cluster.amqp_uri, "#")

    def snapshot() -> dict:
        return {name: sorted((d["_id"], d["_rev"]) for d in cluster.db("events")[name].find())
                for name in ("activities", "rosters", "venues")}
    before = snapshot()
    writes = [
        ("post", "/v1/activities"), ("patch", path), ("post", f"{path}/submit"), ("post", f"{path}/approve"),
        ("post", f"{path}/return"), ("post", f"{path}/cancel"), ("post", f"{path}/postpone"),
        ("post", f"{path}/organizers"), ("put", f"{path}/organizers/{faculty['id']}/contributions"),
        ("put", f"{path}/organizers/{faculty['id']}/tasks"), ("post", "/v1/venues"),
        ("post", f"{path}/registrations"), ("post", f"{path}/check-ins"), ("post", f"{path}/volunteer-roles"),
        ("post", f"{path}/volunteer-shifts"), ("post", f"{path}/volunteers"),
    ]
    for method, url in writes:
        operator = getattr(api, method)(url, {"$where": "1"})
        malformed = getattr(api, method)(url, data=b"{no", headers={"content-type": "application/json"})
        if url.endswith("/submit"):
            assert operator.status_code == 409  # takes no body; the state decides (already published)
            continue
        assert operator.status_code == 422, (url, operator.text)
        assert operator.headers["content-type"] == "application/problem+json"
        assert "$where" in json.dumps(operator.json()["errors"]), (url, operator.text)
        assert malformed.status_code == 400, (url, malformed.text)
    wrong = [api.post(f"{path}/check-ins", {"code": "ZZZZZZZZ"}),
             api.post(f"{path}/registrations/{registration['registration_id']}x/cancel"),
             api.post(f"{path}/volunteers/vol_missing/hours", {"hours": 2}),
             api.patch("/v1/activities/act_missing", {"description": "x"})]
    assert [r.status_code for r in wrong] == [409, 404, 404, 404], [r.text for r in wrong]
    assert api.post(f"{path}/publish").status_code == 409
    bus_settled(cluster)  # anything announced is on the tap by now
    assert snapshot() == before
    assert tap.drain(0.3) == []
    tap.close()


def test_a_burst_of_forty_for_ten_seats_confirms_exactly_ten_and_refuses_nobody(cluster):
    api = cluster.api
    faculty = register(api, FACULTY)
    made = published(api, activity(faculty["id"], capacity=10))
    path = f"/v1/activities/{made['id']}"
    responses = concurrently(40, lambda i: api.post(f"{path}/registrations",
                                                    {"person_id": f"b{i}", "email": f"b{i}@uni.edu"}))
    states = [ok(r, 201)["state"] for r in responses]
    assert (states.count("confirmed"), states.count("waitlisted")) == (10, 30)
    stored = ok(api.get(f"{path}/registrations"))["items"]
    assert len({r["code"] for r in stored if r["state"] == "confirmed"}) == 10, "every seat has its own code"
    assert len(stored) == 40
