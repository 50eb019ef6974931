"""Who hears what, and the rules of delivery: endpoints, deliveries, retries, inbox items."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Standard Webhooks / Svix-like schedule: the wait before each retry. After the last, the delivery has failed.
RETRY_SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                  timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))
JITTER = 0.2  # +-20 % so that many failed deliveries do not come back at the same instant
MAX_RETRY_AFTER = timedelta(hours=10)


@dataclass
class Endpoint:
    id: str
    owner_partner_id: str
    url: str
    event_types: list[str]
    description: str
    secret: str
    status: str
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return self.status == "enabled" and ("*" in self.event_types or event_type in self.event_types)


@dataclass
class Attempt:
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    next_attempt_at: datetime | None


@dataclass
class Delivery:
    """One event to one endpoint. Its id is the ``webhook-id``: the same on every retry."""

    id: str
    endpoint_id: str
    owner_partner_id: str
    event_id: str
    event_type: str
    body: str
    state: str
    next_attempt_at: datetime
    created_at: datetime
    attempts: list[dict] = field(default_factory=list)
    lease_until: datetime | None = None
    delivered_at: datetime | None = None

    def record(self, *, now: datetime, status_code: int | None, latency_ms: int, error: str | None,
               retry_after: timedelta | None = None, rng: random.Random | None = None) -> str:
        """Record one attempt and decide what follows: 'delivered', 'retry', 'failed' or 'gone'."""
        self.lease_until = None
        if status_code is not None and 200 <= status_code < 300:
            self.state, self.delivered_at, outcome = "delivered", now, "delivered"
            self.next_attempt_at = now
        elif status_code == 410:
            self.state, outcome = "failed", "gone"
        else:
            wait = next_wait(len(self.attempts), retry_after if status_code in (429, 503) else None, rng)
            if wait is None:
                self.state, outcome = "failed", "failed"
            else:
                self.next_attempt_at, outcome = now + wait, "retry"
        self.attempts.append({"at": now, "status_code": status_code, "latency_ms": latency_ms, "error": error,
                              "next_attempt_at": self.next_attempt_at if outcome == "retry" else None})
        return outcome


def next_wait(failures_before: int, retry_after: timedelta | None = None,
              rng: random.Random | None = None) -> timedelta | None:
    """The pause before the next attempt, or None when the schedule is used up.

    A server's Retry-After is honoured when longer than the schedule (never beyond 10 h).
    """
    if failures_before >= len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[failures_before]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    wait = base * factor
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return wait


@dataclass
class InboxItem:
    id: str
    recipient_id: str
    event_id: str
    event_type: str
    subject: dict[str, str]
    body: dict[str, str]
    created_at: datetime
    activity_id: str | None = None
    read: bool = False


def published_inbox_items(event_id: str, data: dict, now: datetime) -> list[InboxItem]:
    """Every organizer of a published activity is told in its inbox, in both languages."""
    title = data["title"]
    items = []
    for org in data["organizers"]:
        role_zh = "主办" if org["role"] == "lead" else "协办"
        role_en = "lead organizer" if org["role"] == "lead" else "co-organizer"
        items.append(InboxItem(
            id=f"{event_id}:{org['partner_id']}", recipient_id=org["partner_id"], event_id=event_id,
            event_type="activity.published", activity_id=data["activity_id"], created_at=now,
            subject={"zh": f"活动已发布：{title['zh']}", "en": f"Activity published: {title.get('en') or title['zh']}"},
            body={"zh": f"您作为{role_zh}单位参与的活动「{title['zh']}」已发布，开始时间 {data['starts_at']}。",
                  "en": f"The activity \"{title.get('en') or title['zh']}\" that you take part in as {role_en} "
                        f"has been published; it starts at {data['starts_at']}."},
        ))
    return items
