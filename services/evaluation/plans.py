"""Terms and the coordination group's term plan: targets per path, activity type, outcome dimension and level
of partnership, and how far the term has come towards each.

Terms (services/common/terms.py) are named ``<year>-spring`` or ``<year>-autumn`` by the date an activity starts
in the display zone; a plan may set other dates for its term.
A count target is *met* when enough activities have completed, *on track* when those completed plus those
published and still to come reach it, and *behind* otherwise. An outcome target (a share agreeing) is met
when the share reaches it, behind when even the upper end of its interval falls short, uncertain between.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.evaluation import statistics
from services.evaluation.domain import partnership_level
from services.evaluation.scoring import TOO_FEW
from services.evaluation.templates import AGREEING

COUNT_DIMENSIONS = ("all", "path", "activity_type", "aim", "level")


def matches(activity: dict, dimension: str, key: str | None) -> bool:
    if dimension == "all":
        return True
    if dimension == "path":
        return key in activity.get("paths", [])
    if dimension == "activity_type":
        return activity.get("activity_type") == key
    if dimension == "aim":
        return key in (activity.get("aims") or [])
    if dimension == "level":
        return partnership_level([o["level"] for o in activity.get("organizers", [])]) == key
    return False


@dataclass
class TermPlan:
    term_id: str
    starts_on: date
    ends_on: date
    targets: list[dict]
    set_by: str
    set_at: datetime
    title: dict[str, str] = field(default_factory=dict)
    report_generated_at: datetime | None = None

    def elapsed(self, today: date) -> float:
        total = (self.ends_on - self.starts_on).days + 1
        return min(1.0, max(0.0, ((today - self.starts_on).days + 1) / total))

    def progress(self, activities: list[dict], immediate_answers: list[dict], today: date, minimum: int) -> dict:
        """Each target with what has been reached; ``behind`` lists the targets falling behind."""
        rows = [self._progress_of(target, activities, immediate_answers, minimum) for target in self.targets]
        return {"term_id": self.term_id, "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
                "elapsed": self.elapsed(today), "targets": rows,
                "behind": [row for row in rows if row["status"] == "behind"]}

    @staticmethod
    def _progress_of(target: dict, activities: list[dict], answers: list[dict], minimum: int) -> dict:
        row = dict(target)
        if target.get("measure", "activities") == "share_agreeing":
            values = [a[target["key"]] for a in answers if isinstance(a.get(target["key"]), int)]
            n = len(values)
            row["n"] = n
            if n < minimum:
                row.update(status="too_few", label=TOO_FEW)
                return row
            agreeing = sum(1 for value in values if value in AGREEING)
            interval = statistics.wilson(agreeing, n)
            row.update(share=agreeing / n, ci_low=interval.low, ci_high=interval.high)
            row["status"] = ("met" if agreeing / n >= target["target"] else
                             "behind" if interval.high < target["target"] else "uncertain")
            return row
        chosen = [a for a in activities if matches(a, target["dimension"], target.get("key"))]
        completed = sum(1 for a in chosen if a.get("status") == "completed")
        scheduled = sum(1 for a in chosen if a.get("status") == "published")
        row.update(completed=completed, scheduled=scheduled)
        row["status"] = ("met" if completed >= target["target"] else
                         "on_track" if completed + scheduled >= target["target"] else "behind")
        return row
