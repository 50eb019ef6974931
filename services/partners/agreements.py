"""Agreements (MoU) between the library or a campus unit and a partner, and the notices before they end.

``agreement.expiring`` is announced 60, 30 and 7 days before ``ends_on`` and ``agreement.expired`` on that day,
each once. Which notices were given is written in the agreement itself, in the same write as the event, so the
job may run any number of times, on any number of instances, after any restart: a notice already marked is
never given again. A notice whose day had passed when the agreement was signed is skipped, and when the job
was down across several notice days only the nearest is given (days_left says how near the end is).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.partners.domain import PartnerRuleBroken

NOTICE_DAYS = (60, 30, 7)
COMMITMENT_KINDS = ("space", "funding", "speakers", "collections", "publicity", "volunteers", "other")
SIDES = ("counterpart", "partner")  # who commits something
PARTIES = ("counterpart", "partner")  # who signs
LIBRARY = "library"  # the counterpart when it is the library itself


def bound_partners(partner_id: str, counterpart: str) -> list[str]:
    """The partners an agreement binds (who may read it): the partner, and the counterpart unless it is the
    library itself."""
    return [partner_id] + ([counterpart] if counterpart != LIBRARY else [])


def expiring_mark(days: int) -> str:
    return f"expiring:{days}"


EXPIRED_MARK = "expired"


@dataclass
class Agreement:
    id: str
    partner_id: str
    counterpart: str
    scope: str
    starts_on: str
    ends_on: str
    commitments: list[dict]
    signed_by: list[dict]
    signed_at: datetime
    recorded_by: str
    status: str = "in_force"
    activity_ids: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    skipped_notices: list[str] = field(default_factory=list)
    next_notice_on: str | None = None
    history: list[dict] = field(default_factory=list)

    @classmethod
    def sign(cls, agreement_id: str, *, partner_id: str, counterpart: str, scope: str, starts_on: date,
             ends_on: date, commitments: list[dict], signed_by: list[dict], today: date, now: datetime,
             recorded_by: str, activity_ids: list[str] | None = None) -> Agreement:
        if ends_on <= starts_on:
            raise PartnerRuleBroken("An agreement must end after it starts.", "ends_on")
        if ends_on <= today:
            raise PartnerRuleBroken("An agreement that has already ended cannot be signed.", "ends_on")
        if {signature["party"] for signature in signed_by} != set(PARTIES):
            raise PartnerRuleBroken("Both sides sign: the partner and the counterpart (the library or the campus "
                                    "unit).", "signed_by")
        if any(signature["signed_on"] > today for signature in signed_by):
            raise PartnerRuleBroken("A signature cannot be dated in the future.", "signed_by")
        agreement = cls(id=agreement_id, partner_id=partner_id, counterpart=counterpart, scope=scope,
                        starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(),
                        commitments=[dict(item) for item in commitments],
                        signed_by=[dict(item, signed_on=item["signed_on"].isoformat()) for item in signed_by],
                        signed_at=now, recorded_by=recorded_by, activity_ids=sorted(set(activity_ids or [])))
        days_left = (ends_on - today).days
        agreement.skipped_notices = [expiring_mark(days) for days in NOTICE_DAYS if days_left < days]
        agreement.next_notice_on = agreement._next_notice_on()
        agreement.history.append({"step": "signed", "by": recorded_by, "at": now})
        return agreement

    def signed_event(self) -> dict:
        return {"agreement_id": self.id, "partner_id": self.partner_id, "counterpart": self.counterpart,
                "starts_on": self.starts_on, "ends_on": self.ends_on, "scope": self.scope}

    def _given(self, mark: str) -> bool:
        return mark in self.notices or mark in self.skipped_notices

    def _next_notice_on(self) -> str | None:
        if self.status != "in_force":
            return None
        ends = date.fromisoformat(self.ends_on)
        days = [d for d in NOTICE_DAYS if not self._given(expiring_mark(d))]
        return (ends - timedelta(days=max(days))).isoformat() if days else self.ends_on

    def days_left(self, today: date) -> int:
        return (date.fromisoformat(self.ends_on) - today).days

    def due_notices(self, today: date, now: datetime) -> list[tuple[str, dict]]:
        """The notices due on ``today`` not given yet, marked as given: [(event type, data)]."""
        if self.status != "in_force":
            return []
        left = self.days_left(today)
        base = {"agreement_id": self.id, "partner_id": self.partner_id, "ends_on": self.ends_on}
        due = [days for days in NOTICE_DAYS if left <= days and not self._given(expiring_mark(days))]
        out: list[tuple[str, dict]] = []
        if left <= 0:
            self.skipped_notices += [expiring_mark(days) for days in due]
            self.notices.append(EXPIRED_MARK)
            self.status = "expired"
            self.history.append({"step": "expired", "by": "system", "at": now})
            out.append(("agreement.expired", base))
        elif due:
            nearest = min(due)
            self.skipped_notices += [expiring_mark(days) for days in due if days != nearest]
            self.notices.append(expiring_mark(nearest))
            out.append(("agreement.expiring", dict(base, days_left=nearest)))
        self.next_notice_on = self._next_notice_on()
        return out

    def link_activity(self, activity_id: str, *, by: str, at: datetime) -> bool:
        """Record that an activity was run under this agreement; False if it was linked already."""
        if activity_id in self.activity_ids:
            return False
        self.activity_ids = sorted([*self.activity_ids, activity_id])
        self.history.append({"step": "activity_linked", "activity_id": activity_id, "by": by, "at": at})
        return True
