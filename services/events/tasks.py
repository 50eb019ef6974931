"""Organizers' tasks and their deadline reminders.

A task (``title``, ``due_at``, ``done``) is reminded once, ``ahead`` of its deadline (or at once if it is set
later than that), while its activity is still to take place. The reminder is marked in the task
(``reminded_at``) in the same compare-and-set write of the activity as the ``activity.task_due`` event that
announces it, so any number of instances may look for due tasks at the same time: one of them announces it.
Replacing an organizer's tasks keeps the mark of every task kept as it was (same title and deadline).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.common.clock import isoformat

# Statuses of an activity still to take place: its tasks are reminded.
REMINDABLE = ("draft", "submitted", "returned", "approved", "published", "in_progress", "postponed")


def carry_reminders(old: list[dict], new: list[dict]) -> list[dict]:
    """The new tasks, each keeping the reminder of an old task with the same title and deadline."""
    reminded = {(task["title"], task["due_at"]): task.get("reminded_at") for task in old}
    return [dict(task, reminded_at=reminded.get((task["title"], task["due_at"]))) for task in new]


def waiting(task: dict) -> bool:
    """Not done and not reminded yet."""
    return not task.get("done") and task.get("reminded_at") is None


def next_due(status: str, tasks: list[dict]) -> datetime | None:
    """The earliest deadline still to be reminded (stored as a scalar so the clock finds it), or None."""
    if status not in REMINDABLE:
        return None
    return min((task["due_at"] for task in tasks if waiting(task)), default=None)


def is_due(task: dict, now: datetime, ahead: timedelta) -> bool:
    return waiting(task) and task["due_at"] - ahead <= now


def shown(tasks: list[dict]) -> list[dict[str, Any]]:
    """Tasks as they travel in events: deadlines as RFC 3339 text, without the reminder's bookkeeping."""
    return [{"title": task["title"], "due_at": isoformat(task["due_at"]), "done": bool(task.get("done"))}
            for task in tasks]
