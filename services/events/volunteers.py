"""Volunteers (the practice path): roles, shifts, sign-up, and hours the organizer confirms.

Roles, shifts and sign-ups live in the activity's roster (registration.py), one document per activity, so a
shift never takes more volunteers than it has places for.
"""
from __future__ import annotations

from datetime import datetime

from services.common.clock import isoformat
from services.events.registration import RegistrationRefused, Roster

MAX_EXTRA_HOURS = 4.0  # confirmed hours may exceed the shift's length by this much (preparation, clean-up)


def add_role(roster: Roster, role_id: str, name: dict, description: str) -> dict:
    role = {"role_id": role_id, "name": name, "description": description}
    roster.roles.append(role)
    return role


def add_shift(roster: Roster, shift_id: str, role_id: str, starts_at: datetime, ends_at: datetime,
              places: int) -> dict:
    if not any(r["role_id"] == role_id for r in roster.roles):
        raise RegistrationRefused(f"No role {role_id} at this activity.", "role_id")
    if ends_at <= starts_at:
        raise RegistrationRefused("A shift must end after it starts.", "ends_at")
    shift = {"shift_id": shift_id, "role_id": role_id, "starts_at": starts_at, "ends_at": ends_at,
             "places": places}
    roster.shifts.append(shift)
    return shift


def _shift(roster: Roster, shift_id: str) -> dict:
    for shift in roster.shifts:
        if shift["shift_id"] == shift_id:
            return shift
    raise RegistrationRefused(f"No shift {shift_id} at this activity.", "shift_id")


def sign_up(roster: Roster, signup_id: str, shift_id: str, person: dict, status: str, now: datetime) -> dict:
    if roster.anonymised_at is not None or status not in ("approved", "published", "in_progress"):
        raise RegistrationRefused(f"The activity is {status}; volunteers sign up once it is approved.",
                                  conflict=True)
    shift = _shift(roster, shift_id)
    if shift["ends_at"] <= now:
        raise RegistrationRefused("This shift is over.", "shift_id", True)
    active = [s for s in roster.signups if s["shift_id"] == shift_id and s["state"] != "cancelled"]
    if any(s["person"]["person_id"] == person["person_id"] for s in active):
        raise RegistrationRefused(f"{person['person_id']} already signed up for this shift.", "person_id", True)
    if len(active) >= shift["places"]:
        raise RegistrationRefused("This shift is full.", "shift_id", True)
    signup = {"signup_id": signup_id, "shift_id": shift_id, "role_id": shift["role_id"], "person": dict(person),
              "state": "signed_up", "hours": None, "signed_up_at": now, "confirmed_at": None}
    roster.signups.append(signup)
    return signup


def _signup(roster: Roster, signup_id: str) -> dict:
    for signup in roster.signups:
        if signup["signup_id"] == signup_id:
            return signup
    raise KeyError(signup_id)


def cancel_sign_up(roster: Roster, signup_id: str) -> dict:
    signup = _signup(roster, signup_id)
    if signup["state"] != "signed_up":
        raise RegistrationRefused(f"Sign-up {signup_id} is {signup['state']}.", conflict=True)
    signup["state"] = "cancelled"
    return signup


def confirm_hours(roster: Roster, signup_id: str, hours: float, activity_id: str,
                  now: datetime) -> tuple[dict, list[tuple[str, dict]]]:
    """The organizer confirms how long a volunteer served; announced for the person's participation record."""
    signup = _signup(roster, signup_id)
    if signup["state"] == "cancelled":
        raise RegistrationRefused(f"Sign-up {signup_id} was cancelled.", conflict=True)
    shift = _shift(roster, signup["shift_id"])
    if now < shift["starts_at"]:
        raise RegistrationRefused("Hours are confirmed once the shift has begun.", conflict=True)
    longest = (shift["ends_at"] - shift["starts_at"]).total_seconds() / 3600 + MAX_EXTRA_HOURS
    if not 0 < hours <= longest:
        raise RegistrationRefused(f"Hours must be more than 0 and at most {longest:g} for this shift.", "hours")
    signup.update(state="confirmed", hours=round(float(hours), 2), confirmed_at=now)
    recorded = {"person_id": signup["person"]["person_id"], "activity_id": activity_id, "kind": "volunteered",
                "hours": signup["hours"], "recorded_at": isoformat(now)}
    return signup, [("participation.recorded", recorded)]
