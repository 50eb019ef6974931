"""Registration and attendance: capacity, window, eligibility, waitlist with promotion, check-in, no-shows.

All registrations (and volunteer sign-ups, see volunteers.py) of one activity live in that activity's roster
document, so that deciding who gets the last seat is one compare-and-set write: of two people registering
for the last seat exactly one is confirmed, the other waitlisted. Personal data are only what is needed
(person id, e-mail, language) and are anonymised a configurable time after the activity.

Each registration has an attendee token (``att_…``, services/common/tokens.py): shown once, in the answer to the
registration and in its confirmation, kept only as its hash. With it the person reads and cancels that one
registration and nothing else; it stops working when the personal data are anonymised.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common import tokens
from services.common.clock import isoformat

LANGUAGES = ("zh", "en")
HOLDS_SEAT = ("confirmed", "checked_in")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
OPEN_FOR_REGISTRATION = ("published",)
OPEN_FOR_CHECK_IN = ("published", "in_progress")
CHECK_IN_EARLY = timedelta(hours=3)


def new_attendee_token() -> tuple[str, str]:
    """A new attendee token and the hash that is kept of it."""
    token = tokens.new_token(tokens.ATTENDEE)
    return token, tokens.token_hash(token)


class RegistrationRefused(Exception):
    """A rule of registration refuses the request; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "_schema", conflict: bool = False):
        super().__init__(message)
        self.field = field
        self.conflict = conflict


@dataclass(frozen=True)
class ActivityView:
    """What registration needs to know of the activity, read from it at the moment of each request."""

    activity_id: str
    title: dict
    status: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    audience: tuple[str, ...]

    @property
    def hours(self) -> float:
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 2)


def new_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            return code


def anonymous(person: dict, salt: str) -> dict:
    """A person reduced to a stable, meaningless id: counts stay right, nobody can be found again."""
    digest = hashlib.sha256(f"{salt}:{person.get('person_id', '')}".encode()).hexdigest()[:16]
    return {"person_id": f"anon_{digest}", "email": "", "language": person.get("language", "zh")}


@dataclass
class Roster:
    activity_id: str
    registrations: list[dict] = field(default_factory=list)
    roles: list[dict] = field(default_factory=list)
    shifts: list[dict] = field(default_factory=list)
    signups: list[dict] = field(default_factory=list)
    anonymised_at: datetime | None = None

    # registration -------------------------------------------------------------------------------------------
    def seats_taken(self) -> int:
        return sum(1 for r in self.registrations if r["state"] in HOLDS_SEAT)

    def find(self, registration_id: str) -> dict:
        for item in self.registrations:
            if item["registration_id"] == registration_id:
                return item
        raise KeyError(registration_id)

    def _event(self, kind: str, item: dict, activity: ActivityView) -> tuple[str, dict]:
        data = {"registration_id": item["registration_id"], "activity_id": activity.activity_id,
                "title": activity.title, "starts_at": isoformat(activity.starts_at), "person": dict(item["person"])}
        if kind in ("registration.confirmed", "registration.promoted"):
            data["code"] = item["code"]
        return kind, data

    def register(self, registration_id: str, person: dict, audience: str | None, activity: ActivityView,
                 now: datetime, attendee_hash: str | None = None) -> tuple[dict, list[tuple[str, dict]]]:
        """Confirm a seat, or waitlist when full; returns the registration and the events to announce.
        ``attendee_hash``: the hash of the registration's attendee token."""
        if self.anonymised_at is not None or activity.status not in OPEN_FOR_REGISTRATION:
            raise RegistrationRefused(f"Activity {activity.activity_id} is {activity.status}; registration is "
                                      "open only while it is published.", conflict=True)
        closes = activity.closes_at or activity.starts_at
        if activity.opens_at and now < activity.opens_at:
            raise RegistrationRefused(f"Registration opens at {isoformat(activity.opens_at)}.", conflict=True)
        if now >= closes:
            raise RegistrationRefused(f"Registration closed at {isoformat(closes)}.", conflict=True)
        if activity.audience and audience not in activity.audience:
            raise RegistrationRefused(f"This activity is for {', '.join(activity.audience)}.", "audience")
        for item in self.registrations:
            if item["person"]["person_id"] == person["person_id"] and item["state"] != "cancelled":
                raise RegistrationRefused(f"{person['person_id']} is already registered "
                                          f"({item['registration_id']}, {item['state']}).", "person_id", True)
        seat = activity.capacity is None or self.seats_taken() < activity.capacity
        item = {"registration_id": registration_id, "person": dict(person), "audience": audience,
                "state": "confirmed" if seat else "waitlisted", "registered_at": now,
                "code": new_code({r["code"] for r in self.registrations}) if seat else None,
                "promoted_at": None, "checked_in_at": None, "cancelled_at": None, "attendee_hash": attendee_hash}
        self.registrations.append(item)
        kind = "registration.confirmed" if seat else "registration.waitlisted"
        return item, [self._event(kind, item, activity)]

    def waitlist_positions(self) -> dict[str, int]:
        """Each waitlisted registration's place: 1 for the next to get a seat (the others are not in it)."""
        waiting = (r["registration_id"] for r in self.registrations if r["state"] == "waitlisted")
        return {registration_id: place for place, registration_id in enumerate(waiting, start=1)}

    def by_attendee_hash(self, digest: str) -> dict | None:
        return next((r for r in self.registrations if r.get("attendee_hash") == digest), None)

    def attendee_hashes(self) -> list[str]:
        return sorted(r["attendee_hash"] for r in self.registrations if r.get("attendee_hash"))

    def promote(self, activity: ActivityView, now: datetime) -> list[tuple[str, dict]]:
        """Give free seats to the waitlist, first come first served."""
        events = []
        for item in self.registrations:
            if activity.capacity is not None and self.seats_taken() >= activity.capacity:
                break
            if item["state"] == "waitlisted":
                item.update(state="confirmed", promoted_at=now, code=new_code({r["code"] for r in self.registrations}))
                events.append(self._event("registration.promoted", item, activity))
        return events

    def cancel(self, registration_id: str, activity: ActivityView, now: datetime) -> list[tuple[str, dict]]:
        item = self.find(registration_id)
        if item["state"] not in ("confirmed", "waitlisted"):
            raise RegistrationRefused(f"Registration {registration_id} is {item['state']}; it cannot be "
                                      "cancelled.", conflict=True)
        if now >= activity.starts_at:
            raise RegistrationRefused("The activity has started; registrations can no longer be cancelled.",
                                      conflict=True)
        item.update(state="cancelled", cancelled_at=now)
        events = [self._event("registration.cancelled", item, activity)]
        if activity.status in OPEN_FOR_REGISTRATION:
            events += self.promote(activity, now)
        return events

    def check_in(self, code: str, activity: ActivityView, now: datetime) -> tuple[dict, list[tuple[str, dict]]]:
        """The organizer checks a person in by the code of their registration."""
        if activity.status not in OPEN_FOR_CHECK_IN:
            raise RegistrationRefused(f"Activity {activity.activity_id} is {activity.status}; check-in is not "
                                      "open.", conflict=True)
        if now < activity.starts_at - CHECK_IN_EARLY or now > activity.ends_at:
            raise RegistrationRefused("Check-in is open from three hours before the start until the end.",
                                      conflict=True)
        wanted = code.strip().upper()
        item = next((r for r in self.registrations if r["code"] == wanted), None)
        if item is None:
            raise RegistrationRefused("No registration has this code.", "code")
        if item["state"] != "confirmed":
            raise RegistrationRefused(f"Registration {item['registration_id']} is {item['state']}.", "code", True)
        item.update(state="checked_in", checked_in_at=now)
        recorded = {"person_id": item["person"]["person_id"], "activity_id": activity.activity_id,
                    "kind": "attended", "hours": activity.hours, "recorded_at": isoformat(now)}
        return item, [("participation.recorded", recorded)]

    def mark_no_shows(self) -> int:
        """At completion: every confirmed registrant who never checked in is a no-show."""
        count = 0
        for item in self.registrations:
            if item["state"] == "confirmed":
                item["state"] = "no_show"
                count += 1
        return count

    # who took part: those who came (checked in) and volunteers whose hours were confirmed -------------------
    def attended(self) -> list[dict]:
        """The registrations checked in: who came."""
        return [r for r in self.registrations if r["state"] == "checked_in"]

    def volunteered(self) -> list[dict]:
        """The volunteer sign-ups whose hours were confirmed."""
        return [s for s in self.signups if s["state"] == "confirmed"]

    def attendance(self) -> dict[str, int]:
        states = [r["state"] for r in self.registrations]
        return {"registered": sum(1 for s in states if s in ("confirmed", "checked_in", "no_show")),
                "checked_in": states.count("checked_in"), "no_show": states.count("no_show"),
                "waitlisted": states.count("waitlisted"),
                "volunteers": len({s["person"]["person_id"] for s in self.volunteered()})}

    # personal data ------------------------------------------------------------------------------------------
    def survey_recipients(self) -> list[dict]:
        """Checked-in registrants and volunteers with confirmed hours, once each."""
        found: dict[str, dict] = {}
        people = [r["person"] for r in self.attended()] + [s["person"] for s in self.volunteered()]
        for person in people:
            if person.get("email"):
                found.setdefault(person["person_id"], dict(person))
        return list(found.values())

    def anonymise(self, now: datetime) -> tuple[str, dict] | None:
        if self.anonymised_at is not None:
            return None
        salt = secrets.token_hex(8)  # forgotten after this write: the mapping cannot be rebuilt
        for item in self.registrations + self.signups:
            item["person"] = anonymous(item["person"], salt)
        for item in self.registrations:
            item["attendee_hash"] = None  # the attendee link ends with the data it leads to
        self.anonymised_at = now
        return "personal_data.anonymised", {"activity_id": self.activity_id,
                                            "registrations": len(self.registrations),
                                            "anonymised_at": isoformat(now)}

    def person_ids(self) -> list[str]:
        return sorted({item["person"]["person_id"] for item in self.registrations + self.signups})


def participation_items(roster: Roster, person_id: str, activity: ActivityView) -> list[dict]:
    """One person's record at one activity: attended (with its length) and confirmed volunteer hours."""
    base = {"activity_id": activity.activity_id, "title": activity.title, "starts_at": isoformat(activity.starts_at)}
    items = [dict(base, kind="attended", hours=activity.hours, recorded_at=isoformat(r["checked_in_at"]))
             for r in roster.attended() if r["person"]["person_id"] == person_id]
    items += [dict(base, kind="volunteered", hours=s["hours"], recorded_at=isoformat(s["confirmed_at"]))
              for s in roster.volunteered() if s["person"]["person_id"] == person_id]
    return items
