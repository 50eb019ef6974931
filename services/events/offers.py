"""Spaces that partners offer, kept as venues in step with what partners announce.

Each space a partner lists among its resources (``spaces`` in ``partner.registered`` / ``partner.updated``)
is a venue whose id is derived from the partner id and the space's name, so a redelivered or repeated event
finds the same venue. Events may arrive in any order: the venues follow the newest profile kept per partner
(highest ``profile_seq``, see usecases) and the partner's standing the highest ``status_seq``. A venue is
retired (kept, with its bookings, but taking no new ones) while its partner no longer offers it or is
suspended, rejected or retired; it opens again when both are right again.
"""
from __future__ import annotations

from datetime import datetime

from services.common import ids
from services.common.contracts.partners import space_key
from services.events.venues import Venue

# A partner in one of these offers nothing: its venues are retired.
CLOSED_STANDING = ("suspended", "rejected", "retired")


def venue_id_of(partner_id: str, key: str) -> str:
    return ids.derived_id("ven", partner_id, key)


def new_venue(partner_id: str, space: dict, now: datetime) -> Venue:
    key = space_key(space["name"])
    return Venue(id=venue_id_of(partner_id, key), name=space["name"], kind="partner_space", created_at=now,
                 partner_id=partner_id, offer_key=key, offered=False)


def learn_offer(venue: Venue, space: dict | None, seq: int) -> None:
    """The partner's profile at ``seq`` offers ``space`` (None: no longer offers it); older profiles are ignored."""
    if seq < venue.offer_seq:
        return
    venue.offer_seq = seq
    venue.offered = space is not None
    if space is not None:
        venue.name = space["name"]
        venue.capacity = space.get("capacity")
        venue.address = space.get("location") or ""


def learn_standing(venue: Venue, status: str, seq: int | None) -> None:
    """The partner's status; without a ``status_seq`` (an earlier version of partners) the newest arrival wins."""
    if seq is None or seq >= venue.status_seq:
        venue.partner_status = status
        venue.status_seq = venue.status_seq if seq is None else seq


def settle(venue: Venue, now: datetime) -> None:
    """Retire or reopen the venue after what was learned."""
    if not venue.offered:
        reason = "the partner no longer offers it"
    elif venue.partner_status in CLOSED_STANDING:
        reason = f"the partner is {venue.partner_status}"
    else:
        reason = ""
    if reason and venue.retired_at is None:
        venue.retired_at = now
    if not reason:
        venue.retired_at = None
    venue.retired_reason = reason
