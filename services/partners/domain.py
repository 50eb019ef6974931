"""Partners: who the library can work with, at which level, and the record of what they did together."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The three levels of cooperation and the kinds of unit at each (domain.md).
KINDS_BY_LEVEL: dict[str, tuple[str, ...]] = {
    "library": ("coordinating_department", "library_department"),
    "campus": ("faculty", "publicity_office", "student_affairs", "youth_league", "academic_affairs",
               "graduate_school", "logistics", "student_club", "alumni_fund"),
    "outside": ("museum", "science_museum", "archive", "publisher", "bookstore", "theatre", "ngo",
                "reading_club", "government", "company", "foundation"),
}
LEVELS = tuple(KINDS_BY_LEVEL)
ALL_KINDS = tuple(kind for kinds in KINDS_BY_LEVEL.values() for kind in kinds)

# Units inside the university need no qualification review; outside institutions start as applicants.
INITIAL_STATUS = {"library": "active", "campus": "active", "outside": "applied"}


def kind_fits_level(level: str, kind: str) -> bool:
    return kind in KINDS_BY_LEVEL.get(level, ())


@dataclass
class Partner:
    id: str
    name: dict[str, str]
    level: str
    kind: str
    status: str
    registered_at: datetime
    themes: list[str] = field(default_factory=list)
    description: str = ""

    @classmethod
    def register(cls, partner_id: str, *, name: dict, level: str, kind: str, now: datetime,
                 themes: list[str] | None = None, description: str = "") -> Partner:
        if not kind_fits_level(level, kind):
            raise ValueError(f"a {kind} is not a unit at the {level} level")
        return cls(id=partner_id, name=name, level=level, kind=kind, status=INITIAL_STATUS[level],
                   registered_at=now, themes=sorted(set(themes or [])), description=description)

    def registered_event(self) -> dict:
        return {"partner_id": self.id, "name": self.name, "level": self.level, "kind": self.kind,
                "status": self.status}


@dataclass
class Collaboration:
    """One partner's part in one joint activity, as learned from the bus."""

    partner_id: str
    activity_id: str
    role: str
    title: dict[str, str]
    starts_at: str
    recorded_at: datetime

    @property
    def key(self) -> str:
        return f"{self.partner_id}:{self.activity_id}"


def collaborations_from_published(data: dict, now: datetime) -> list[Collaboration]:
    """Each organizer of a published activity gains a collaboration record."""
    return [Collaboration(partner_id=org["partner_id"], activity_id=data["activity_id"], role=org["role"],
                          title=data["title"], starts_at=data["starts_at"], recorded_at=now)
            for org in data["organizers"]]
