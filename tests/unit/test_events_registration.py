"""Registration, waitlist, check-in, volunteers, venues and the listing's search terms: the pure rules."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from services.common.catalogue import check_data
from services.events import volunteers
from services.events.listing import calendar, decode_cursor, encode_cursor, query_terms, title_terms
from services.events.registration import ActivityView, RegistrationRefused, Roster, participation_items
from services.events.venues import Venue, VenueTaken

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def view(**changes) -> ActivityView:
    base = dict(activity_id="act_1", title={"zh": "讲座"}, status="published", starts_at=START,
                ends_at=START + timedelta(hours=2), capacity=2, opens_at=None, closes_at=None, audience=())
    base.update(changes)
    return ActivityView(**base)


def person(n: int) -> dict:
    return {"person_id": f"s{n}", "email": f"s{n}@uni.edu", "language": "zh"}


def test_seats_then_waitlist_then_promotion_in_order():
    roster = Roster("act_1")
    states = [roster.register(f"r{n}", person(n), None, view(), NOW)[0]["state"] for n in range(4)]
    assert states == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    events = roster.cancel("r0", view(), NOW)
    assert [kind for kind, _ in events] == ["registration.cancelled", "registration.promoted"]
    assert events[1][1]["registration_id"] == "r2" and len(events[1][1]["code"]) == 8
    for kind, data in events:
        assert check_data(kind, data, producing=True)
    assert [r["state"] for r in roster.registrations] == ["cancelled", "confirmed", "confirmed", "waitlisted"]
    assert roster.promote(view(capacity=3), NOW)[0][1]["registration_id"] == "r3"


def test_registration_refuses_duplicates_closed_windows_ineligible_people_and_unpublished_activities():
    roster = Roster("act_1")
    roster.register("r1", person(1), None, view(), NOW)
    with pytest.raises(RegistrationRefused) as caught:
        roster.register("r2", person(1), None, view(), NOW)
    assert caught.value.field == "person_id" and caught.value.conflict
    for refused in (view(status="approved"), view(opens_at=NOW + timedelta(days=1)),
                    view(closes_at=NOW - timedelta(seconds=1)), view(starts_at=NOW - timedelta(hours=1))):
        with pytest.raises(RegistrationRefused):
            roster.register("r3", person(3), None, refused, NOW)
    with pytest.raises(RegistrationRefused) as caught:
        roster.register("r4", person(4), "public", view(audience=("undergraduate",)), NOW)
    assert caught.value.field == "audience"
    assert roster.register("r5", person(5), "undergraduate", view(audience=("undergraduate",)), NOW)[0]["code"]
    assert len(roster.registrations) == 2


def test_check_in_by_code_records_attendance_and_no_shows_at_the_end():
    roster = Roster("act_1")
    first, _ = roster.register("r1", person(1), None, view(), NOW)
    roster.register("r2", person(2), None, view(), NOW)
    at_start = START + timedelta(minutes=5)
    with pytest.raises(RegistrationRefused):
        roster.check_in(first["code"], view(), NOW)  # too early
    with pytest.raises(RegistrationRefused) as caught:
        roster.check_in("ZZZZZZZZ", view(), at_start)
    assert caught.value.field == "code"
    item, events = roster.check_in(first["code"].lower(), view(), at_start)
    assert item["state"] == "checked_in"
    assert events == [("participation.recorded", {"person_id": "s1", "activity_id": "act_1", "kind": "attended",
                                                  "hours": 2.0, "recorded_at": "2026-12-05T02:05:00.000Z"})]
    assert check_data(*events[0], producing=True)
    with pytest.raises(RegistrationRefused):
        roster.check_in(first["code"], view(), at_start)
    assert roster.mark_no_shows() == 1
    assert roster.attendance() == {"registered": 2, "checked_in": 1, "no_show": 1, "waitlisted": 0, "volunteers": 0}
    assert roster.survey_recipients() == [person(1)]
    assert participation_items(roster, "s1", view())[0]["kind"] == "attended"


def test_anonymising_keeps_counts_and_forgets_people_once():
    roster = Roster("act_1")
    roster.register("r1", person(1), None, view(), NOW)
    kind, data = roster.anonymise(NOW)
    assert check_data(kind, data, producing=True) and data["registrations"] == 1
    assert roster.registrations[0]["person"]["email"] == ""
    assert roster.registrations[0]["person"]["person_id"].startswith("anon_")
    assert roster.anonymise(NOW) is None
    assert roster.survey_recipients() == []
    with pytest.raises(RegistrationRefused):
        roster.register("r2", person(2), None, view(), NOW)


def test_volunteers_sign_up_for_shifts_with_places_and_get_hours_confirmed():
    roster = Roster("act_1")
    volunteers.add_role(roster, "rol_1", {"zh": "引导员"}, "guides visitors")
    with pytest.raises(RegistrationRefused):
        volunteers.add_shift(roster, "sft_x", "rol_missing", START, START + timedelta(hours=2), 1)
    volunteers.add_shift(roster, "sft_1", "rol_1", START, START + timedelta(hours=2), 1)
    signup = volunteers.sign_up(roster, "vol_1", "sft_1", person(1), "published", NOW)
    with pytest.raises(RegistrationRefused):
        volunteers.sign_up(roster, "vol_2", "sft_1", person(2), "published", NOW)  # full
    with pytest.raises(RegistrationRefused):
        volunteers.sign_up(roster, "vol_3", "sft_1", person(3), "draft", NOW)
    with pytest.raises(RegistrationRefused):
        volunteers.confirm_hours(roster, "vol_1", 2, "act_1", NOW)  # before the shift
    with pytest.raises(RegistrationRefused) as caught:
        volunteers.confirm_hours(roster, "vol_1", 99, "act_1", START + timedelta(hours=3))
    assert caught.value.field == "hours"
    confirmed, events = volunteers.confirm_hours(roster, signup["signup_id"], 2.5, "act_1", START + timedelta(hours=3))
    assert confirmed["state"] == "confirmed" and events[0][1]["kind"] == "volunteered"
    assert check_data(*events[0], producing=True)
    assert roster.attendance()["volunteers"] == 1 and roster.survey_recipients() == [person(1)]
    assert participation_items(roster, "s1", view())[0]["hours"] == 2.5


def test_a_venue_is_never_booked_twice_and_the_refusal_says_when_but_not_by_whom():
    venue = Venue("ven_1", "Lecture hall", "library_space", NOW)
    venue.book(activity_id="act_1", title={"zh": "讲座"}, organizer_id="prt_a", organizer_name={"zh": "文学院"},
               starts_at=START, ends_at=START + timedelta(hours=2), now=NOW)
    with pytest.raises(VenueTaken) as caught:
        venue.book(activity_id="act_2", title={"zh": "展览"}, organizer_id="prt_b", organizer_name={"zh": "团委"},
                   starts_at=START + timedelta(hours=1, minutes=59), ends_at=START + timedelta(hours=4), now=NOW)
    refusal = str(caught.value)
    assert "taken" in refusal and "act_1" not in refusal and "prt_a" not in refusal and "文学院" not in refusal
    assert "讲座" not in refusal, "another partner's plans are not told in a refusal"
    venue.book(activity_id="act_2", title={"zh": "展览"}, organizer_id="prt_b", organizer_name={"zh": "团委"},
               starts_at=START + timedelta(hours=2), ends_at=START + timedelta(hours=4), now=NOW)
    venue.book(activity_id="act_1", title={"zh": "讲座"}, organizer_id="prt_a", organizer_name={"zh": "文学院"},
               starts_at=START - timedelta(hours=1), ends_at=START + timedelta(hours=1), now=NOW)
    assert [b["activity_id"] for b in venue.bookings] == ["act_1", "act_2"], "an activity rebooks its own hold"
    assert venue.release("act_1") and not venue.release("act_1")


def test_title_terms_find_chinese_and_english_words_and_prefixes():
    terms = title_terms({"zh": "科学与艺术讲座", "en": "Science and Art lecture"})
    assert set(query_terms("科学")) <= set(terms) and set(query_terms("艺术讲座")) <= set(terms)
    assert set(query_terms("Sci LECT")) <= set(terms)
    assert not set(query_terms("历史")) <= set(terms)
    assert query_terms("a") == []


def test_a_cursor_round_trips_and_a_forged_one_is_refused():
    key = "2026-12-05T02:00:00.000Z|act_1"
    assert decode_cursor(encode_cursor(key)) == key
    for bad in ("!!!", encode_cursor("nonsense"), encode_cursor("yesterday|act_1")):
        with pytest.raises(ValueError):
            decode_cursor(bad)


def test_the_calendar_parses_with_icalendar_and_holds_the_events():
    activities = [
        {"id": "act_1", "title": {"zh": "讲座", "en": "Lecture"}, "starts_at": START,
         "ends_at": START + timedelta(hours=2), "venue": "Hall", "activity_type": "lecture", "paths": ["activity"],
         "themes": ["science"], "status": "published", "sequence": 2,
         "organizers": [{"partner_id": "prt_a", "name": {"zh": "文学院"}}]},
        {"id": "act_2", "title": {"zh": "书展"}, "starts_at": datetime(2026, 12, 4, 16, 0, tzinfo=UTC),
         "ends_at": datetime(2026, 12, 6, 16, 0, tzinfo=UTC), "all_day": True, "venue": None,
         "activity_type": "exhibition", "paths": ["space"], "themes": [], "status": "published",
         "organizers": [{"partner_id": "prt_b", "name": {"zh": "团委"}}]},
    ]
    parsed = icalendar.Calendar.from_ical(calendar(activities, display_zone="Asia/Shanghai", now=NOW))
    events = parsed.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == ["act_1@synergy", "act_2@synergy"]
    assert str(events[0]["summary"]) == "讲座 / Lecture" and events[0].decoded("dtstart") == START
    assert int(events[0]["sequence"]) == 2 and str(events[0]["location"]) == "Hall"
    assert events[1].decoded("dtstart").isoformat() == "2026-12-05"
    assert events[1].decoded("dtend").isoformat() == "2026-12-07"
