"""Joint activities: what they are, who organizes them, and the states they move through.

Lifecycle: draft → submitted → approved (or returned, then submitted again) → published → in_progress →
completed → archived. From any live state an activity may be cancelled or postponed, with a reason; a
postponed one is submitted again. Changing the title, time or venue of an approved or published activity
sends it back for approval unless the coordination group waives it; a re-approved activity that had been
published is published again at once. The coordination group acts with no partner of its own
(``Actor.partner_id is None``); the lead organizer edits the activity, each co-organizer only its own
contributions and tasks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.common.clock import isoformat
from services.events import tasks

PATHS = ("resources", "space", "service", "activity", "practice")
ELEMENTS = ("resource", "space", "service", "activity", "exhibition", "practice")
ACTIVITY_TYPES = ("reading_promotion", "lecture", "exhibition", "human_library", "essay_contest", "quiz",
                  "classic_recitation", "film", "workshop", "volunteer_service", "vr_experience", "other")
# The outcome dimensions of cultural cultivation (domain.md).
AIMS = ("ideology_morality", "information_literacy", "value_guidance", "mind_and_sentiment",
        "humanistic_literacy", "overall_literacy", "emotion_management", "practical_ability", "innovation_ability")
AUDIENCES = ("undergraduate", "postgraduate", "staff", "alumni", "public")
CONTRIBUTION_KINDS = ("funding", "space", "speakers", "collections", "volunteers", "publicity")
LEAD, CO_ORGANIZER = "lead", "co_organizer"
# Partner statuses that may organize (lead or co-organize) a published activity (agreed with partners).
MAY_ORGANIZE = ("active", "approved", "approved_with_conditions")

LIVE = ("draft", "submitted", "returned", "approved", "published", "in_progress")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted", "cancelled", "postponed"),
    "submitted": ("approved", "published", "returned", "cancelled", "postponed"),
    "returned": ("submitted", "cancelled", "postponed"),
    "approved": ("published", "submitted", "cancelled", "postponed"),
    "published": ("in_progress", "submitted", "cancelled", "postponed"),
    "in_progress": ("completed", "cancelled", "postponed"),
    "postponed": ("submitted", "cancelled"),
    "completed": ("archived",),
    "cancelled": ("archived",),
    "archived": (),
}
SUBMITTABLE = ("draft", "returned", "postponed")
# A change of these sends an approved or published activity back for approval.
NEEDS_APPROVAL = ("title", "starts_at", "ends_at", "venue", "venue_id")
EDITABLE = ("title", "activity_type", "paths", "themes", "elements", "audience", "aims", "brand", "series",
            "occurrence", "description", "starts_at", "ends_at", "all_day", "venue", "venue_id", "setup_minutes",
            "teardown_minutes", "capacity", "registration_opens_at", "registration_closes_at")
EDITABLE_IN = ("draft", "submitted", "returned", "approved", "published", "postponed")
# A venue is held from submission: a draft holds nothing (it may only name a venue that is free when named).
HOLDS_VENUE = ("submitted", "returned", "approved", "published", "in_progress")


def holds_venue(status: str, history: list[dict]) -> bool:
    """Whether an activity in ``status`` holds its venue: from submission on, and while postponed once submitted."""
    if status == "postponed":
        return any(step.get("status") == "submitted" for step in history)
    return status in HOLDS_VENUE


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


class NotPermitted(Exception):
    """The actor may not do this to this activity (e.g. a co-organizer editing the title)."""


@dataclass(frozen=True)
class Actor:
    by: str
    partner_id: str | None = None

    @property
    def is_coordination_group(self) -> bool:
        return self.partner_id is None

    @classmethod
    def of(cls, raw: dict | None) -> Actor:
        raw = raw or {}
        return cls(by=str(raw.get("by") or "coordination_group"), partner_id=raw.get("partner_id") or None)


COORDINATION = Actor("coordination_group")


@dataclass
class Organizer:
    partner_id: str
    role: str
    name: dict[str, str]
    level: str
    responsibility: str = ""
    contributions: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)

    def ref(self) -> dict:
        return {"partner_id": self.partner_id, "name": self.name, "role": self.role, "level": self.level}


def _plain(value: Any) -> Any:
    """A value as it travels in events: datetimes as RFC 3339 text."""
    return isoformat(value) if isinstance(value, datetime) else value


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
    elements: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    aims: list[str] = field(default_factory=list)
    brand: str | None = None
    series: str | None = None
    occurrence: int | None = None
    all_day: bool = False
    venue_id: str | None = None
    setup_minutes: int = 0
    teardown_minutes: int = 0
    capacity: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    reviews: list[dict] = field(default_factory=list)
    status_reason: str = ""
    sequence: int = 0
    suspended_organizers: list[str] = field(default_factory=list)
    completed_at: datetime | None = None
    retention_done: bool = False
    origin: dict = field(default_factory=dict)

    @classmethod
    def draft(cls, activity_id: str, *, organizers: list[Organizer], starts_at: datetime, ends_at: datetime,
              now: datetime, **details) -> JointActivity:
        leads = [org for org in organizers if org.role == LEAD]
        if len(leads) != 1:
            raise ActivityRuleBroken("An activity has exactly one lead organizer.", "lead_organizer")
        seen = [org.partner_id for org in organizers]
        if len(seen) != len(set(seen)):
            raise ActivityRuleBroken("A partner appears only once among the organizers.", "co_organizers")
        activity = cls(id=activity_id, organizers=organizers, starts_at=starts_at, ends_at=ends_at,
                       status="draft", created_at=now, **details)
        activity.check()
        activity.history.append({"status": "draft", "at": now, "by": "", "reason": ""})
        return activity

    # invariants ---------------------------------------------------------------------------------------------
    def check(self) -> None:
        if self.ends_at <= self.starts_at:
            raise ActivityRuleBroken("An activity must end after it starts.", "ends_at")
        if self.ends_at - self.starts_at > timedelta(days=92):
            raise ActivityRuleBroken("An activity lasts at most 92 days; use a series for more.", "ends_at")
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens and closes and closes <= opens:
            raise ActivityRuleBroken("Registration must close after it opens.", "registration_closes_at")
        if closes and closes > self.ends_at:
            raise ActivityRuleBroken("Registration closes before the activity ends.", "registration_closes_at")
        if self.capacity is not None and self.capacity < 0:
            raise ActivityRuleBroken("Capacity cannot be negative.", "capacity")

    @property
    def lead(self) -> Organizer:
        return next(org for org in self.organizers if org.role == LEAD)

    def organizer(self, partner_id: str) -> Organizer:
        for org in self.organizers:
            if org.partner_id == partner_id:
                return org
        raise ActivityRuleBroken(f"{partner_id} does not organize {self.id}.", "partner_id")

    @property
    def holds_venue(self) -> bool:
        return self.venue_id is not None and holds_venue(self.status, self.history)

    def occupies(self) -> tuple[datetime, datetime]:
        """The time the venue is taken: setup before, teardown after."""
        return (self.starts_at - timedelta(minutes=self.setup_minutes),
                self.ends_at + timedelta(minutes=self.teardown_minutes))

    # who may do what ----------------------------------------------------------------------------------------
    def _lead_or_group(self, actor: Actor, what: str) -> None:
        if not (actor.is_coordination_group or actor.partner_id == self.lead.partner_id):
            raise NotPermitted(f"Only the lead organizer or the coordination group may {what}.")

    def require_organizer(self, actor: Actor, what: str) -> None:
        """Any organizer of this activity, or the coordination group."""
        if not (actor.is_coordination_group or actor.partner_id in {o.partner_id for o in self.organizers}):
            raise NotPermitted(f"Only an organizer of this activity or the coordination group may {what}.")

    @staticmethod
    def _group(actor: Actor, what: str) -> None:
        if not actor.is_coordination_group:
            raise NotPermitted(f"Only the coordination group may {what}.")

    # lifecycle ----------------------------------------------------------------------------------------------
    def _move(self, wanted: str, now: datetime, actor: Actor, reason: str = "") -> str:
        if wanted not in TRANSITIONS.get(self.status, ()):
            raise IllegalTransition(self.id, self.status, wanted)
        previous, self.status = self.status, wanted
        self.status_reason = reason
        self.history.append({"status": wanted, "at": now, "by": actor.by, "reason": reason})
        return previous

    def step_data(self, previous: str, actor: Actor, now: datetime, comments: str = "",
              reasons: list[str] | None = None) -> dict:
        return {"activity_id": self.id, "title": self.title, "status": self.status, "previous_status": previous,
                "organizers": [o.ref() for o in self.organizers], "starts_at": isoformat(self.starts_at),
                "ends_at": isoformat(self.ends_at), "by": actor.by, "at": isoformat(now), "comments": comments,
                "reasons": list(reasons or [])}

    def submit(self, now: datetime, actor: Actor) -> dict:
        """Ask the coordination group to approve; returns the data of ``activity.submitted``."""
        self._lead_or_group(actor, "submit an activity")
        if self.status not in SUBMITTABLE:  # approved or published ones go back only through a material edit
            raise IllegalTransition(self.id, self.status, "submitted")
        previous = self._move("submitted", now, actor)
        return self.step_data(previous, actor, now)

    def approve(self, now: datetime, actor: Actor, comments: str = "",
                partner_statuses: dict[str, str] | None = None) -> dict:
        """The coordination group approves; an activity that was already public is public again at once
        (its organizers must still be in good standing, as at publication)."""
        self._group(actor, "approve an activity")
        if self.status != "submitted":
            raise IllegalTransition(self.id, self.status, "approved")
        wanted = "published" if self.published_at else "approved"
        if wanted == "published":
            self.check_organizers_may_organize(partner_statuses or {})
        previous = self._move(wanted, now, actor)
        self.reviews.append({"decision": "approved", "by": actor.by, "at": now, "comments": comments,
                             "reasons": []})
        return self.step_data(previous, actor, now, comments)

    def return_for_changes(self, now: datetime, actor: Actor, reasons: list[str], comments: str = "") -> dict:
        self._group(actor, "return an activity")
        if not reasons:
            raise ActivityRuleBroken("Say why the activity is returned.", "reasons")
        previous = self._move("returned", now, actor, "; ".join(reasons))
        self.reviews.append({"decision": "returned", "by": actor.by, "at": now, "comments": comments,
                             "reasons": list(reasons)})
        return self.step_data(previous, actor, now, comments, reasons)

    def publish(self, now: datetime, actor: Actor = COORDINATION,
                partner_statuses: dict[str, str] | None = None) -> dict:
        """Make the approved activity public; returns the data of ``activity.published``.

        Every organizer must be a partner in good standing (``MAY_ORGANIZE``); ``partner_statuses`` maps each
        organizer to its status as the read model knows it.
        """
        self._lead_or_group(actor, "publish an activity")
        if self.status != "approved":
            raise IllegalTransition(self.id, self.status, "published")
        self.check_organizers_may_organize(partner_statuses or {})
        self._move("published", now, actor)
        self.published_at = now
        return self.published_data(now)

    def check_organizers_may_organize(self, partner_statuses: dict[str, str]) -> None:
        for org in self.organizers:
            status = partner_statuses.get(org.partner_id, "unknown")
            if status not in MAY_ORGANIZE:
                field_ = "lead_organizer" if org.role == LEAD else "co_organizers"
                raise ActivityRuleBroken(f"{org.partner_id} is {status}; only approved partners may organize a "
                                         "published activity.", field_)

    def start(self, now: datetime, actor: Actor) -> dict:
        self._lead_or_group(actor, "start an activity")
        previous = self._move("in_progress", now, actor)
        return self.step_data(previous, actor, now)

    def complete(self, now: datetime, actor: Actor, attendance: dict[str, int]) -> dict:
        """The activity took place; ``attendance`` holds the counts of registrations and volunteers."""
        self._lead_or_group(actor, "complete an activity")
        self._move("completed", now, actor)
        self.completed_at = now
        data = self.published_data(self.published_at or now)
        data.update(aims=list(self.aims), capacity=self.capacity, completed_at=isoformat(now),
                    registered_count=attendance.get("registered", 0),
                    checked_in_count=attendance.get("checked_in", 0),
                    no_show_count=attendance.get("no_show", 0), volunteer_count=attendance.get("volunteers", 0),
                    contributions=[{"partner_id": o.partner_id, "kind": c["kind"], "committed": c["committed"],
                                    "delivered": bool(c.get("delivered"))}
                                   for o in self.organizers for c in o.contributions])
        return data

    def archive(self, now: datetime, actor: Actor) -> dict:
        self._lead_or_group(actor, "archive an activity")
        previous = self._move("archived", now, actor)
        return self.step_data(previous, actor, now)

    def cancel(self, now: datetime, actor: Actor, reason: str) -> dict:
        self._lead_or_group(actor, "cancel an activity")
        if not reason.strip():
            raise ActivityRuleBroken("Say why the activity is cancelled.", "reason")
        self._move("cancelled", now, actor, reason)
        self.sequence += 1  # calendar copies learn of the cancellation
        return {"activity_id": self.id, "title": self.title, "reason": reason,
                "organizers": [o.ref() for o in self.organizers], "starts_at": isoformat(self.starts_at),
                "was_published": self.published_at is not None}

    def postpone(self, now: datetime, actor: Actor, reason: str, new_starts_at: datetime | None = None,
                 new_ends_at: datetime | None = None) -> dict:
        """Postpone with a reason; with a new time (both ends) the activity moves to it at once."""
        self._lead_or_group(actor, "postpone an activity")
        if not reason.strip():
            raise ActivityRuleBroken("Say why the activity is postponed.", "reason")
        if (new_starts_at is None) != (new_ends_at is None):
            raise ActivityRuleBroken("Give both the new start and the new end, or neither.", "new_ends_at")
        old_start = self.starts_at
        if new_starts_at is not None:
            self.starts_at, self.ends_at = new_starts_at, new_ends_at
            self.check()
        self._move("postponed", now, actor, reason)
        self.sequence += 1
        return {"activity_id": self.id, "title": self.title, "reason": reason,
                "organizers": [o.ref() for o in self.organizers], "starts_at": isoformat(old_start),
                "new_starts_at": _plain(new_starts_at), "new_ends_at": _plain(new_ends_at),
                "was_published": self.published_at is not None}

    # edits --------------------------------------------------------------------------------------------------
    def edit(self, changes: dict[str, Any], now: datetime, actor: Actor, waive_reapproval: bool = False) -> dict:
        """Apply edits; returns ``{"changes": {field: {before, after}}, "sent_back": bool}``.

        Title, time or venue of an approved or published activity send it back for approval unless the
        coordination group waives that.
        """
        self._lead_or_group(actor, "edit an activity")
        if waive_reapproval:
            self._group(actor, "waive re-approval")
        if self.status not in EDITABLE_IN:
            raise IllegalTransition(self.id, self.status, "edited")
        made: dict[str, dict] = {}
        for name, value in changes.items():
            if name not in EDITABLE:
                raise ActivityRuleBroken(f"{name} cannot be edited here.", name)
            before = getattr(self, name)
            if before != value:
                made[name] = {"before": _plain(before), "after": _plain(value)}
                setattr(self, name, value)
        self.check()
        material = [name for name in made if name in NEEDS_APPROVAL]
        sent_back = bool(material) and self.status in ("approved", "published") and not waive_reapproval
        if sent_back:
            self._move("submitted", now, actor, "changed: " + ", ".join(material))
        if made and self.published_at is not None:
            self.sequence += 1
        return {"changes": made, "sent_back": sent_back}

    def updated_data(self, changes: dict, sent_back: bool) -> dict:
        data = self.published_data(self.published_at)
        data.update(changes=changes, sent_back_for_approval=sent_back)
        return data

    # organizers, contributions, tasks -----------------------------------------------------------------------
    def add_co_organizer(self, organizer: Organizer, actor: Actor, partner_status: str) -> dict:
        """Add a co-organizer; returns the changes (``organizers`` before and after), announced if published."""
        self._lead_or_group(actor, "add a co-organizer")
        if self.status not in LIVE and self.status != "postponed":
            raise IllegalTransition(self.id, self.status, "joined by another organizer")
        if any(o.partner_id == organizer.partner_id for o in self.organizers):
            raise ActivityRuleBroken("A partner appears only once among the organizers.", "partner_id")
        if self.status in ("published", "in_progress") and partner_status not in MAY_ORGANIZE:
            raise ActivityRuleBroken(f"{organizer.partner_id} is {partner_status}; only approved partners may "
                                     "organize a published activity.", "partner_id")
        before = [o.ref() for o in self.organizers]
        organizer.role = CO_ORGANIZER
        self.organizers.append(organizer)
        if self.published_at is not None:
            self.sequence += 1
        return {"organizers": {"before": before, "after": [o.ref() for o in self.organizers]}}

    def _own_part(self, partner_id: str, actor: Actor) -> Organizer:
        organizer = self.organizer(partner_id)
        if not (actor.is_coordination_group or actor.partner_id == partner_id):
            raise NotPermitted("An organizer edits only its own contributions and tasks.")
        if self.status in ("archived",):
            raise IllegalTransition(self.id, self.status, "edited")
        return organizer

    def set_contributions(self, partner_id: str, contributions: list[dict], actor: Actor,
                          now: datetime) -> dict | None:
        """Replace the organizer's contributions; the data of ``activity.organizer_updated``, or None if the same."""
        organizer = self._own_part(partner_id, actor)
        before = organizer.contributions
        organizer.contributions = [dict(c) for c in contributions]
        return self._part_changed(organizer, "contributions", before, organizer.contributions, actor, now)

    def set_tasks(self, partner_id: str, tasks_: list[dict], actor: Actor, now: datetime) -> dict | None:
        """Replace the organizer's tasks (a task kept as it was keeps its reminder); announced like contributions."""
        organizer = self._own_part(partner_id, actor)
        before = organizer.tasks
        organizer.tasks = tasks.carry_reminders(before, [dict(t) for t in tasks_])
        return self._part_changed(organizer, "tasks", tasks.shown(before), tasks.shown(organizer.tasks), actor, now)

    def _part_changed(self, organizer: Organizer, part: str, before: list[dict], after: list[dict], actor: Actor,
                      now: datetime) -> dict | None:
        if before == after:
            return None
        return {"activity_id": self.id, "title": self.title, "status": self.status,
                "starts_at": isoformat(self.starts_at), "partner_id": organizer.partner_id,
                "lead_partner_id": self.lead.partner_id, "part": part, "before": before, "after": after,
                "by": actor.by, "at": isoformat(now)}

    def remind_tasks(self, now: datetime, ahead: timedelta) -> list[dict]:
        """Mark every task due within ``ahead`` as reminded; the data of one ``activity.task_due`` each."""
        if self.status not in tasks.REMINDABLE:
            return []
        due = []
        for organizer in self.organizers:
            for task in organizer.tasks:
                if tasks.is_due(task, now, ahead):
                    task["reminded_at"] = now
                    due.append({"activity_id": self.id, "title": self.title, "starts_at": isoformat(self.starts_at),
                                "partner_id": organizer.partner_id, "lead_partner_id": self.lead.partner_id,
                                "task": task["title"], "due_at": isoformat(task["due_at"]),
                                "days_ahead": ahead / timedelta(days=1)})
        return due

    @property
    def next_task_due(self) -> datetime | None:
        return tasks.next_due(self.status, [task for organizer in self.organizers for task in organizer.tasks])

    def organizer_suspended(self, partner_id: str, now: datetime) -> dict | None:
        """Flag an upcoming live activity whose organizer was suspended; the data of the event, or None."""
        if self.status not in LIVE or self.ends_at <= now or partner_id in self.suspended_organizers:
            return None
        self.suspended_organizers.append(partner_id)
        return {"activity_id": self.id, "partner_id": partner_id, "lead_partner_id": self.lead.partner_id,
                "title": self.title, "starts_at": isoformat(self.starts_at)}

    def organizer_reinstated(self, partner_id: str) -> None:
        if partner_id in self.suspended_organizers:
            self.suspended_organizers.remove(partner_id)

    # series -------------------------------------------------------------------------------------------------
    def join_series(self, series: str, actor: Actor) -> None:
        """Make this activity the first occurrence of a series (it keeps its registrations)."""
        self._lead_or_group(actor, "start a series")
        if self.series is None:
            self.series, self.occurrence = series, 1

    def occurrence_at(self, activity_id: str, *, starts_at: datetime, ends_at: datetime, number: int,
                      now: datetime, actor: Actor) -> JointActivity:
        """A new draft occurrence of this activity's series at another time, with its own registrations."""
        self._lead_or_group(actor, "add an occurrence")
        shift = starts_at - self.starts_at
        organizers = [Organizer(o.partner_id, o.role, dict(o.name), o.level, o.responsibility)
                      for o in self.organizers]
        return JointActivity.draft(
            activity_id, organizers=organizers, starts_at=starts_at, ends_at=ends_at, now=now,
            title=dict(self.title), activity_type=self.activity_type, paths=list(self.paths),
            themes=list(self.themes), venue=self.venue, description=self.description,
            elements=list(self.elements), audience=list(self.audience), aims=list(self.aims), brand=self.brand,
            series=self.series or self.id, occurrence=number, all_day=self.all_day, venue_id=self.venue_id,
            setup_minutes=self.setup_minutes, teardown_minutes=self.teardown_minutes, capacity=self.capacity,
            registration_opens_at=self.registration_opens_at + shift if self.registration_opens_at else None,
            registration_closes_at=self.registration_closes_at + shift if self.registration_closes_at else None)

    # what consumers learn -----------------------------------------------------------------------------------
    def published_data(self, published_at: datetime) -> dict:
        return {
            "activity_id": self.id,
            "title": self.title,
            "activity_type": self.activity_type,
            "paths": list(self.paths),
            "themes": list(self.themes),
            "starts_at": isoformat(self.starts_at),
            "ends_at": isoformat(self.ends_at),
            "venue": self.venue,
            "organizers": [o.ref() for o in self.organizers],
            "published_at": isoformat(published_at),
        }
