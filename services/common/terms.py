"""Terms of the academic year, shared by every service that reports by term.

A term is named ``<year>-spring`` (1 February to 31 July) or ``<year>-autumn`` (1 August to 31 January), by the
date in the display zone.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

TERM_PATTERN = re.compile(r"^((?:19|2\d)\d{2})-(spring|autumn)$")  # years 1900-2999: every day has a date


def term_bounds(term_id: str) -> tuple[date, date]:
    """First and last day of a named term."""
    match = TERM_PATTERN.match(term_id)
    if not match:
        raise ValueError(f"not a term: {term_id!r} (e.g. 2026-autumn)")
    year, season = int(match.group(1)), match.group(2)
    if season == "spring":
        return date(year, 2, 1), date(year, 7, 31)
    return date(year, 8, 1), date(year + 1, 1, 31)


def term_of(moment: datetime, zone: str) -> str:
    day = moment.astimezone(ZoneInfo(zone)).date()
    if 2 <= day.month <= 7:
        return f"{day.year}-spring"
    return f"{day.year if day.month >= 8 else day.year - 1}-autumn"
