"""People's notification preferences, the weekly digest, and check-in reminders: the rules, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LANGUAGES = ("zh-CN", "en")
CHANNELS = ("email", "inbox")
IMMEDIATE, WEEKLY_DIGEST = "immediate", "weekly_digest"
# What a person may choose to hear about (``events``); the default is all of them.
PERSONAL_EVENTS = ("activity.published", "activity.updated", "activity.cancelled", "activity.postponed",
                   "registration.confirmed", "registration.waitlisted", "registration.promoted",
                   "checkin.reminder")
# Activity news that a person in weekly-digest mode reads in the digest instead of at once. Everything that
# concerns the person's own registrations (changes, cancellations, confirmations, reminders) comes at once.
NEWS = ("activity.published", "activity.updated")
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 8  # Monday 08:00 in the display zone
DIGEST_HORIZON = timedelta(days=14)
FOLLOWS = ("organizer", "theme", "path", "activity_type")


def language_of(value: str | None) -> str:
    """zh-CN for any Chinese tag, else en."""
    return "zh-CN" if (value or "").lower().startswith("zh") else "en"


def person_inbox(person_id: str) -> str:
    return f"person:{person_id}"


@dataclass
class Preferences:
    person_id: str
    email: str | None = None
    language: str = "zh-CN"
    channels: list[str] = field(default_factory=lambda: list(CHANNELS))
    mode: str = IMMEDIATE
    events: list[str] = field(default_factory=lambda: list(PERSONAL_EVENTS))
    # activities the person subscribes to: any organizer / theme / path / type listed (top-level scalar arrays,
    # so that the store can find subscribers by equality)
    follow_organizer: list[str] = field(default_factory=list)
    follow_theme: list[str] = field(default_factory=list)
    follow_path: list[str] = field(default_factory=list)
    follow_activity_type: list[str] = field(default_factory=list)
    updated_at: datetime | None = None

    @classmethod
    def default_for(cls, person_id: str, email: str | None, language: str | None) -> Preferences:
        """Someone who never chose: email and inbox, at once, everything, in the language they registered in."""
        return cls(person_id=person_id, email=email, language=language_of(language))

    def follows(self) -> dict[str, list[str]]:
        return {name: getattr(self, f"follow_{name}") for name in FOLLOWS}

    def subscribed_to(self, facts: dict[str, set[str]]) -> bool:
        """Whether an activity with these facts is one the person follows (any follow matching is enough)."""
        return any(set(values) & facts.get(name, set()) for name, values in self.follows().items())

    def hears(self, event: str) -> bool:
        return event in self.events

    def channels_now(self, event: str, *, own_registration: bool) -> list[str]:
        """The channels by which to tell the person now; empty if not now (digest) or not at all."""
        if not self.hears(event):
            return []
        if self.mode == WEEKLY_DIGEST and event in NEWS and not own_registration:
            return []
        return [c for c in self.channels if c != "email" or self.email]


def digest_week(now: datetime, zone: str) -> str | None:
    """The ISO week whose digest is due at ``now`` (from Monday 08:00 local time), else None."""
    local = now.astimezone(ZoneInfo(zone))
    monday = (local - timedelta(days=local.weekday())).replace(hour=DIGEST_HOUR, minute=0, second=0,
                                                                microsecond=0)
    if local < monday:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def digest_id(person_id: str, week: str) -> str:
    """One digest per person and week, whatever restarts happen."""
    return f"digest:{person_id}:{week}"


def digest_activities(preferences: Preferences, upcoming: list[dict], facts_of_activity) -> list[dict]:
    """The upcoming activities a person follows (all of them if the person follows nothing), soonest first."""
    chosen = [a for a in upcoming
              if not any(preferences.follows().values()) or preferences.subscribed_to(facts_of_activity(a))]
    return sorted(chosen, key=lambda a: a["starts_at"])


def reminder_due(starts_at: datetime, hours_before: float) -> datetime:
    return starts_at - timedelta(hours=hours_before)


def registration_status(current: str | None, new: str) -> str:
    """Events may arrive out of order: a cancellation (or anonymisation) is final, and a late 'waitlisted' never
    undoes a place."""
    if current in ("cancelled", "anonymised") or (current == "confirmed" and new == "waitlisted"):
        return current
    return new
