"""Joint activities: what they are, who organizes them, and the states they move through."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.common.clock import isoformat

PATHS = ("resources", "space", "service", "activity", "practice")
ACTIVITY_TYPES = ("reading_promotion", "lecture", "exhibition", "human_library", "essay_contest", "quiz",
                  "classic_recitation", "film", "workshop", "volunteer_service", "vr_experience", "other")
LEAD, CO_ORGANIZER = "lead", "co_organizer"

# state -> states it may move to. Approval, running and closing states come with the full lifecycle.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("published",),
    "published": (),
}


class ActivityRuleBroken(Exception):
    """A rule of joint activities refuses the change; ``field`` names what is wrong where one field is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IllegalTransition(Exception):
    def __init__(self, activity_id: str, current: str, wanted: str):
        super().__init__(f"Activity {activity_id} is {current}; it cannot become {wanted}.")
        self.current = current
        self.wanted = wanted


@dataclass
class Organizer:
    partner_id: str
    role: str
    name: dict[str, str]
    level: str


@dataclass
class JointActivity:
    id: str
    title: dict[str, str]
    activity_type: str
    paths: list[str]
    themes: list[str]
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    organizers: list[Organizer]
    status: str
    created_at: datetime
    published_at: datetime | None = None
    description: str = ""
    history: list[dict] = field(default_factory=list)

    @classmethod
    def draft(cls, activity_id: str, *, organizers: list[Organizer], starts_at: datetime, ends_at: datetime,
              now: datetime, **details) -> JointActivity:
        if ends_at <= starts_at:
            raise ActivityRuleBroken("An activity must end after it starts.", "ends_at")
        leads = [org for org in organizers if org.role == LEAD]
        if len(leads) != 1:
            raise ActivityRuleBroken("An activity has exactly one lead organizer.", "lead_organizer")
        seen = [org.partner_id for org in organizers]
        if len(seen) != len(set(seen)):
            raise ActivityRuleBroken("A partner appears only once among the organizers.", "co_organizers")
        activity = cls(id=activity_id, organizers=organizers, starts_at=starts_at, ends_at=ends_at,
                       status="draft", created_at=now, **details)
        activity.history.append({"status": "draft", "at": now})
        return activity

    @property
    def lead(self) -> Organizer:
        return next(org for org in self.organizers if org.role == LEAD)

    def _move(self, wanted: str, now: datetime) -> None:
        if wanted not in TRANSITIONS.get(self.status, ()):
            raise IllegalTransition(self.id, self.status, wanted)
        self.status = wanted
        self.history.append({"status": wanted, "at": now})

    def publish(self, now: datetime) -> dict:
        """Make the activity public; returns the data of ``activity.published``."""
        self._move("published", now)
        self.published_at = now
        return {
            "activity_id": self.id,
            "title": self.title,
            "activity_type": self.activity_type,
            "paths": list(self.paths),
            "themes": list(self.themes),
            "starts_at": isoformat(self.starts_at),
            "ends_at": isoformat(self.ends_at),
            "venue": self.venue,
            "organizers": [{"partner_id": o.partner_id, "name": o.name, "role": o.role, "level": o.level}
                           for o in self.organizers],
            "published_at": isoformat(now),
        }
