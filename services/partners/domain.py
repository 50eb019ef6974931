"""The partner registry: who the library can work with, at which level, with what to offer.

The qualification review lives in review.py, agreements in agreements.py, the collaboration history in
history.py, recommendations in recommend.py and CSV bulk work in bulk.py.
"""
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

# What a partner may offer to joint work.
RESOURCE_KINDS = ("space", "expert", "collection", "database", "funding", "student_reach", "technical_skill")

STATUSES = ("active", "applied", "under_review", "approved", "approved_with_conditions", "rejected", "suspended",
            "retired")
# A partner may lead or co-organize a published activity only in one of these (the agreed contract).
MAY_ORGANIZE = ("active", "approved", "approved_with_conditions")

# Units inside the university need no qualification review; outside institutions start as applicants.
INITIAL_STATUS = {"library": "active", "campus": "active", "outside": "applied"}

# Fields of a contact only the coordination group and the partner itself may see.
PRIVATE_CONTACT_FIELDS = ("phone", "email")
# Profile fields a partner's record may change after registration.
EDITABLE = ("name", "themes", "description", "contacts", "resources")


class PartnerRuleBroken(Exception):
    """A rule of the registry or the review refuses the request; ``field`` names what is wrong."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IllegalTransition(Exception):
    """The partner's current status does not allow the step."""

    def __init__(self, partner_id: str, current: str, step: str, why: str = ""):
        super().__init__(f"Partner {partner_id} is {current}; it cannot be {step}." + (f" {why}" if why else ""))
        self.current = current
        self.step = step


def kind_fits_level(level: str, kind: str) -> bool:
    return kind in KINDS_BY_LEVEL.get(level, ())


def name_key(name: dict) -> str:
    """What makes two registrations the same unit: the Chinese name, case and spaces ignored."""
    return "".join(name["zh"].split()).casefold()


def search_text(name: dict) -> str:
    """Both names, lower case, for searching in either language."""
    return f"{name['zh']} {name.get('en', '')}".casefold()


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
    contacts: list[dict] = field(default_factory=list)
    resources: list[dict] = field(default_factory=list)
    status_history: list[dict] = field(default_factory=list)
    review: dict | None = None
    past_reviews: list[dict] = field(default_factory=list)
    approval: dict | None = None
    renewal_due_on: str | None = None
    renewal_notified_for: str | None = None
    suspended_from: str | None = None
    updated_at: datetime | None = None
    profile_seq: int = 0

    @classmethod
    def register(cls, partner_id: str, *, name: dict, level: str, kind: str, now: datetime,
                 themes: list[str] | None = None, description: str = "", contacts: list[dict] | None = None,
                 resources: list[dict] | None = None, registered_by: str = "system") -> Partner:
        if not kind_fits_level(level, kind):
            raise PartnerRuleBroken(f"A {kind} is not a unit at the {level} level.", "kind")
        partner = cls(id=partner_id, name=name, level=level, kind=kind, status=INITIAL_STATUS[level],
                      registered_at=now, themes=sorted(set(themes or [])), description=description,
                      contacts=list(contacts or []), resources=list(resources or []))
        partner.status_history.append({"status": partner.status, "previous_status": None, "reason": "registered",
                                       "by": registered_by, "at": now})
        return partner

    @property
    def may_organize(self) -> bool:
        return self.status in MAY_ORGANIZE

    @property
    def resource_kinds(self) -> list[str]:
        return sorted({item["kind"] for item in self.resources})

    @property
    def status_seq(self) -> int:
        """Grows with every status change: lets readers of our events keep the latest status they saw."""
        return len(self.status_history)

    def offered_spaces(self) -> list[dict]:
        """The spaces among the resources, as events carry them (events keeps each as a venue)."""
        return [{"name": item["name"], "capacity": item.get("capacity"), "location": item.get("location", ""),
                 "description": item.get("description", "")}
                for item in self.resources if item["kind"] == "space"]

    def registered_event(self) -> dict:
        return {"partner_id": self.id, "name": self.name, "level": self.level, "kind": self.kind,
                "status": self.status, "status_seq": self.status_seq, "spaces": self.offered_spaces(),
                "profile_seq": self.profile_seq}

    def update_profile(self, changes: dict, now: datetime) -> dict | None:
        """Apply the given profile fields; returns the data of ``partner.updated``, or None if nothing changed."""
        if self.status == "retired":
            raise IllegalTransition(self.id, self.status, "updated", "A retired partner's record is kept as it was.")
        if "themes" in changes:
            changes = dict(changes, themes=sorted(set(changes["themes"])))
        changed = sorted(key for key in EDITABLE if key in changes and changes[key] != getattr(self, key))
        if not changed:
            return None
        for key in changed:
            setattr(self, key, changes[key])
        self.updated_at = now
        self.profile_seq += 1
        return {"partner_id": self.id, "name": self.name, "level": self.level, "kind": self.kind,
                "status": self.status, "changed": changed, "status_seq": self.status_seq,
                "spaces": self.offered_spaces(), "profile_seq": self.profile_seq}


def visible_contacts(contacts: list[dict], include_private: bool) -> list[dict]:
    """Contacts as a reader may see them: phone and email only for the coordination group and the partner."""
    if include_private:
        return [dict(contact) for contact in contacts]
    return [{k: v for k, v in contact.items() if k not in PRIVATE_CONTACT_FIELDS} for contact in contacts]
