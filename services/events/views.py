"""What each reader sees of an activity and of a venue's bookings: one view per reader for every read.

Who reads what whole is the policy's decision (``services.common.policy.Reader``: every object, or those its
partner organizes); what is public of an activity is this service's: what anyone may know of a published
activity, as the calendar shows it. Reviews and their comments, the history, the organizers' contributions, tasks
and responsibilities, and where a request came from (``origin``) are the organizers' and the coordination group's.
"""
from __future__ import annotations

from collections.abc import Callable

from services.common.contracts.public import PUBLIC_ACTIVITY_FIELDS, public_organizers
from services.common.policy import Reader
from services.events.domain import holds_venue

BUSY_FIELDS = ("starts_at", "ends_at")


def organizer_ids(activity: dict) -> list[str]:
    return activity.get("organizer_ids") or [org["partner_id"] for org in activity["organizers"]]


def activity_view(activity: dict, reader: Reader) -> dict:
    """The activity whole for a reader who reads it whole; else its public fields and who organizes it."""
    if reader.reads_whole(organizer_ids(activity)):
        return activity
    shown = {name: value for name, value in activity.items() if name in PUBLIC_ACTIVITY_FIELDS}
    shown["organizers"] = public_organizers(activity["organizers"])
    return shown


def bookings_view(bookings: list[dict], holders: Callable[[list[str]], dict[str, dict]],
                  reader: Reader) -> list[dict]:
    """A venue's bookings for ``reader``: whole where it reads the activity whole; else only the time as busy,
    and nothing of an activity that holds no venue (a draft, a cancelled one: their hold is stale).
    ``holders(ids)`` gives the booking activities as ``{id: {organizer_ids, status, history}}``."""
    if reader.everything:
        return bookings
    known = holders([booking["activity_id"] for booking in bookings])
    shown = []
    for booking in bookings:
        activity = known.get(booking["activity_id"])
        if activity is not None and reader.reads_whole(activity["organizer_ids"]):
            shown.append(booking)
        elif activity is None or holds_venue(activity["status"], activity["history"]):
            shown.append({name: booking[name] for name in BUSY_FIELDS} | {"busy": True})
    return shown
