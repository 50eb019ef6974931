"""Venues and their bookings: one venue is never taken by two activities at once, setup and teardown included.

Every booking of a venue lives in the venue's own document, so a booking is one compare-and-set write of that
document: of two units booking the same venue at the same time exactly one wins, on MongoDB and on the
embedded store alike. The loser is told that the time is taken, and when: never which activity holds it or who
organizes it (another partner's plans are not its to learn; see views.py for what each reader sees).

A library space is anyone's to name; a space a partner offers (``partner_id``) is named for an activity only by
that partner or by the coordination group (its consent): ``check_chosen_by``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

VENUE_KINDS = ("library_space", "partner_space")
KEEP_PAST = timedelta(days=2)  # bookings that ended longer ago are dropped from the venue's document


class VenueRetired(Exception):
    """The venue takes no new bookings: its partner no longer offers it or may not offer it now."""

    def __init__(self, venue: Venue):
        super().__init__(f"{venue.name} ({venue.id}) is retired and takes no new bookings: {venue.retired_reason}.")


class VenueNotYours(Exception):
    """A partner named a space another partner offers: only its owner or the coordination group books it."""

    def __init__(self, venue: Venue):
        super().__init__(f"{venue.name} ({venue.id}) is offered by {venue.partner_id}: only that partner, or the "
                         "coordination group on its word, books it for an activity.")


class VenueTaken(Exception):
    def __init__(self, venue: Venue, holder: dict):
        self.venue_name = venue.name
        self.taken = {"starts_at": holder["starts_at"], "ends_at": holder["ends_at"]}
        super().__init__(self.describe(UTC))

    def describe(self, zone: tzinfo) -> str:
        """When the venue is taken (in ``zone``): not by which activity, nor whose."""
        when = " – ".join(self.taken[key].astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
                          for key in ("starts_at", "ends_at"))
        return f"{self.venue_name} is taken {when}, setup and teardown included."


@dataclass
class Venue:
    id: str
    name: str
    kind: str
    created_at: datetime
    partner_id: str | None = None
    capacity: int | None = None
    address: str = ""
    bookings: list[dict] = field(default_factory=list)
    # a space a partner offers (offers.py): its key among the partner's spaces and what is known of the offer
    offer_key: str | None = None
    offered: bool = True
    offer_seq: int = -1
    partner_status: str | None = None
    status_seq: int = -1
    retired_at: datetime | None = None
    retired_reason: str = ""

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def check_chosen_by(self, partner_id: str | None) -> None:
        """``VenueNotYours`` unless the venue is a library space, the chooser's own, or the coordination group's
        choice (``partner_id`` None); ``VenueRetired`` if it takes no new bookings."""
        if self.partner_id is not None and partner_id is not None and partner_id != self.partner_id:
            raise VenueNotYours(self)
        if self.retired:
            raise VenueRetired(self)

    def holder_of(self, starts_at: datetime, ends_at: datetime, activity_id: str) -> dict | None:
        """The booking of another activity that overlaps ``[starts_at, ends_at)``, if any."""
        for booking in self.bookings:
            if booking["activity_id"] != activity_id and booking["starts_at"] < ends_at \
                    and starts_at < booking["ends_at"]:
                return booking
        return None

    def book(self, *, activity_id: str, title: dict, organizer_id: str, organizer_name: dict,
             starts_at: datetime, ends_at: datetime, now: datetime) -> dict:
        """Hold the venue for an activity (replacing its earlier hold); ``VenueTaken`` if another holds it,
        ``VenueRetired`` if the venue takes no new bookings (those it holds stay)."""
        if self.retired:
            raise VenueRetired(self)
        holder = self.holder_of(starts_at, ends_at, activity_id)
        if holder is not None:
            raise VenueTaken(self, holder)
        self.release(activity_id)
        booking = {"activity_id": activity_id, "title": title, "organizer_id": organizer_id,
                   "organizer_name": organizer_name, "starts_at": starts_at, "ends_at": ends_at, "booked_at": now}
        self.bookings.append(booking)
        self.bookings.sort(key=lambda b: b["starts_at"])
        self.bookings[:] = [b for b in self.bookings if b["ends_at"] > now - KEEP_PAST]
        return booking

    def release(self, activity_id: str) -> bool:
        before = len(self.bookings)
        self.bookings[:] = [b for b in self.bookings if b["activity_id"] != activity_id]
        return len(self.bookings) != before

    def holds(self, activity_id: str) -> dict | None:
        return next((b for b in self.bookings if b["activity_id"] == activity_id), None)
