"""The demo data: a library, campus units and outside institutions, and joint activities between them.

Every step calls the public API, so the demo shows what a real office would do. Outside institutions are
registered (they start as applicants under review); the activities are organized by units that need no
review, so they can be published at once.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from services.common.clock import isoformat, utcnow
from synergy_client import SynergyClient

PARTNERS: list[dict[str, Any]] = [
    {"name": {"zh": "图书馆阅读推广部", "en": "Library Reading Promotion"}, "level": "library",
     "kind": "library_department", "themes": ["reading"]},
    {"name": {"zh": "历史学院", "en": "School of History"}, "level": "campus", "kind": "faculty",
     "themes": ["history"]},
    {"name": {"zh": "校团委", "en": "Youth League Committee"}, "level": "campus", "kind": "youth_league"},
    {"name": {"zh": "学生读书会", "en": "Student Reading Club"}, "level": "campus", "kind": "student_club"},
    {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"}, "level": "outside",
     "kind": "science_museum", "themes": ["science"]},
    {"name": {"zh": "上海市档案馆", "en": "Shanghai Municipal Archives"}, "level": "outside", "kind": "archive"},
]

# (title, type, paths, days from now, lead index, co-organizer indexes)
ACTIVITIES = [
    ({"zh": "史料里的城市", "en": "The city in historical sources"}, "lecture", ["activity", "resources"], 14, 1, [0]),
    ({"zh": "经典共读月", "en": "Classics reading month"}, "reading_promotion", ["activity"], 21, 0, [2, 3]),
]


def steps(publish: bool = True) -> list[Callable[[SynergyClient], dict | None]]:
    ids: list[str] = []

    def partner(payload: dict) -> Callable[[SynergyClient], dict]:
        def run(client: SynergyClient) -> dict:
            made = client.register_partner(payload)
            ids.append(made.id)
            return {"kind": "partner", "id": made.id, "name": made.name, "status": made.status}
        return run

    def activity(title, activity_type, paths, days, lead, co) -> Callable[[SynergyClient], dict]:
        def run(client: SynergyClient) -> dict:
            starts = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
            made = client.create_activity({
                "title": title, "activity_type": activity_type, "paths": paths,
                "starts_at": isoformat(starts), "ends_at": isoformat(starts + timedelta(hours=2)),
                "venue": "Library lecture hall", "lead_organizer": ids[lead],
                "co_organizers": [ids[i] for i in co]})
            if publish:
                made = client.publish_reviewed(made.id)
            return {"kind": "activity", "id": made.id, "name": made.title, "status": made.status}
        return run

    return [partner(p) for p in PARTNERS] + [activity(*a) for a in ACTIVITIES]
