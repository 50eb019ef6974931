"""The participation export for the youth league's second-classroom transcript system (第二课堂成绩单).

One row per person and activity that person took part in: attended (checked in) and the volunteer hours an
organizer confirmed. Rows come in the order of the activities' start (then activity id), then person id, so a
cursor (the last row's activity key and person) pages through a term exactly once. Only person ids travel, no
e-mail; rosters already anonymised after the retention period are left out, their ids mean nothing.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.common.spreadsheet import inert
from services.events.listing import decode_cursor, encode_cursor, sort_key
from services.events.registration import Roster

COLUMNS = ("person_id", "activity_id", "title", "date", "attended", "volunteer_hours")


def window(starts_on: date, ends_on: date, zone: str) -> tuple[datetime, datetime]:
    """From the first day's midnight to the midnight after the last day, in the display zone."""
    tz = ZoneInfo(zone)
    return datetime.combine(starts_on, time(), tz), datetime.combine(ends_on + timedelta(days=1), time(), tz)


def rows_of(activity: dict, roster: Roster, zone: str) -> list[dict]:
    """The activity's participants, by person id; nobody who neither came nor had hours confirmed."""
    if roster.anonymised_at is not None:
        return []
    attended = {r["person"]["person_id"] for r in roster.attended()}
    hours: dict[str, float] = {}
    for signup in roster.volunteered():
        person = signup["person"]["person_id"]
        hours[person] = hours.get(person, 0.0) + float(signup["hours"])
    day = activity["starts_at"].astimezone(ZoneInfo(zone)).date().isoformat()
    key = sort_key(activity["starts_at"], activity["id"])
    return [{"person_id": person, "activity_id": activity["id"], "title": activity["title"], "date": day,
             "starts_at": activity["starts_at"], "attended": person in attended,
             "volunteer_hours": round(hours.get(person, 0.0), 2), "_key": key}
            for person in sorted(attended | set(hours))]


def cursor_after(row: dict) -> str:
    return encode_cursor(f"{row['_key']}|{row['person_id']}")


def read_cursor(cursor: str) -> tuple[str, str, str]:
    """(activity sort key, activity id, person id) of the last row of the previous page; ValueError if not one."""
    key = decode_cursor(cursor)
    parts = key.split("|")
    if len(parts) != 3 or not all(parts):
        raise ValueError("Not a cursor of this export.")
    return f"{parts[0]}|{parts[1]}", parts[1], parts[2]


def shown(row: dict) -> dict:
    return {key: value for key, value in row.items() if not key.startswith("_")}


def to_csv(rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([inert(str(cell)) for cell in (row["person_id"], row["activity_id"], row["title"]["zh"],
                         row["date"], "true" if row["attended"] else "false", f"{row['volunteer_hours']:g}")])
    return out.getvalue()
