"""Finding published activities: search terms for titles, the cursor of the listing, the iCalendar feed.

Full-text search on titles works on every store: each activity keeps ``title_terms``, a scalar array of
the words of its English title (and their prefixes) and of the characters and character pairs of its
Chinese title; a query matches when the activity holds every term of the query.
"""
from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from services.common.clock import parse_iso
from services.common.contracts.public import PUBLIC_STATUSES

# The calendar also keeps once-published activities that were called off, so subscribers' copies follow.
CALENDAR_STATUSES = PUBLIC_STATUSES + ("cancelled", "postponed", "archived")
ICAL_STATUS = {"cancelled": "CANCELLED", "postponed": "TENTATIVE"}
_WORD = re.compile(r"[0-9a-z]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
MIN_PREFIX = 2


def title_terms(title: dict) -> list[str]:
    terms: set[str] = set()
    for text in title.values():
        lowered = (text or "").lower()
        for word in _WORD.findall(lowered):
            terms.update(word[:n] for n in range(MIN_PREFIX, len(word) + 1))
        for run in _CJK.findall(lowered):
            terms.update(run)
            terms.update(run[i:i + 2] for i in range(len(run) - 1))
    return sorted(terms)


def query_terms(query: str) -> list[str]:
    """The terms an activity must hold to match ``query``."""
    lowered = query.lower()
    terms = {word for word in _WORD.findall(lowered) if len(word) >= MIN_PREFIX}
    for run in _CJK.findall(lowered):
        terms.update([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    return sorted(terms)


def sort_key(starts_at: datetime, activity_id: str) -> str:
    """Listing order (start time, then id), one sortable string so a cursor is a single range condition.

    The time is written compact (``20261205T020000000000Z``), not as ISO 8601: the embedded store reads a string
    that begins with an ISO date as a date and then finds nothing in a range over it."""
    return f"{starts_at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}|{activity_id}"


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, activity_id = key.split("|", 1)
        parse_iso(stamp)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("Not a cursor of this listing.") from None
    return key


def _text(title: dict) -> str:
    return title["zh"] + (f" / {title['en']}" if title.get("en") else "")


def calendar(activities: list[dict], *, display_zone: str, now: datetime, name: str = "Synergy") -> bytes:
    """An RFC 5545 calendar of activities (as the store shows them)."""
    zone = ZoneInfo(display_zone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Synergy//joint activities//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", display_zone)
    for activity in activities:
        event = icalendar.Event()
        event.add("uid", f"{activity['id']}@synergy")
        event.add("dtstamp", now)
        if activity.get("all_day"):
            first = activity["starts_at"].astimezone(zone).date()
            last = (activity["ends_at"] - timedelta(microseconds=1)).astimezone(zone).date()
            event.add("dtstart", first)
            event.add("dtend", last + timedelta(days=1))  # DTEND of a date is exclusive
        else:
            event.add("dtstart", activity["starts_at"])
            event.add("dtend", activity["ends_at"])
        event.add("summary", _text(activity["title"]))
        if activity.get("venue"):
            event.add("location", activity["venue"])
        organizers = ", ".join(o["name"]["zh"] for o in activity["organizers"])
        description = f"{organizers}\n{activity.get('description', '')}".strip()
        event.add("description", description)
        categories = [activity["activity_type"], *activity.get("paths", []), *activity.get("themes", [])]
        event.add("categories", categories)
        event.add("status", ICAL_STATUS.get(activity["status"], "CONFIRMED"))
        event.add("sequence", activity.get("sequence", 0))
        event.add("x-synergy-organizers", ",".join(o["partner_id"] for o in activity["organizers"]))
        cal.add_component(event)
    return cal.to_ical()
