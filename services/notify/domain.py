"""The rules of webhook delivery: endpoints, their secrets and filters, deliveries, retries; inbox items."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Standard Webhooks / Svix-like schedule: the wait before each retry. After the last, the delivery has failed.
RETRY_SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                  timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))
JITTER = 0.2  # +-20 % so that many failed deliveries do not come back at the same instant
MAX_RETRY_AFTER = timedelta(hours=10)
FILTERS = ("organizer", "theme", "path", "activity_type")
ENABLED, DISABLED = "enabled", "disabled"
GONE, FAILING, OWNER = "gone", "failing", "owner"


class DeliveryRuleBroken(Exception):
    """A rule of endpoints or deliveries refuses the request (e.g. replaying a delivery still pending)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def facts_of(data: dict, activity: dict | None = None) -> dict[str, set[str]]:
    """What an event is about, for filters: its organizers, themes, paths and activity type.

    An event that names only its activity (``activity.cancelled``) is completed from what notify knows of it.
    """
    organizers = {o["partner_id"] for o in data.get("organizers") or [] if isinstance(o, dict)}
    organizers |= {data[k] for k in ("partner_id", "lead_partner_id", "owner_partner_id") if data.get(k)}
    facts = {"organizer": organizers, "theme": set(data.get("themes") or []), "path": set(data.get("paths") or []),
             "activity_type": {data["activity_type"]} if data.get("activity_type") else set()}
    if activity:
        facts["organizer"] |= set(activity.get("organizer_ids") or [])
        facts["theme"] |= set(activity.get("themes") or [])
        facts["path"] |= set(activity.get("paths") or [])
        if activity.get("activity_type"):
            facts["activity_type"].add(activity["activity_type"])
    return facts


def passes(filters: dict[str, list[str]], facts: dict[str, set[str]]) -> bool:
    """Every filter given must be met by at least one of its values; an event silent on a filtered field fails."""
    return all(not wanted or facts.get(name, set()) & set(wanted) for name, wanted in filters.items())


@dataclass
class Endpoint:
    """A partner system's URL that receives signed webhooks for the event types (and filters) it chose."""

    id: str
    owner_partner_id: str
    url: str
    event_types: list[str]
    description: str
    secret: str
    status: str
    created_at: datetime
    filters: dict[str, list[str]] = field(default_factory=dict)
    previous_secrets: list[dict] = field(default_factory=list)  # [{secret, expires_at}] during a rotation
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    updated_at: datetime | None = None

    def wants(self, event_type: str, facts: dict[str, set[str]] | None = None) -> bool:
        """Whether this endpoint subscribed to the event (``*``: every public type) and its filters pass. Whether its
        owner may read the event is the policy's to say (``policy.webhook_view``, asked by notify.fanout)."""
        if self.status != ENABLED or not ("*" in self.event_types or event_type in self.event_types):
            return False
        return passes(self.filters, facts or {})

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, then those of a rotation still in its overlap period: each signs every message."""
        return [self.secret] + [s["secret"] for s in self.previous_secrets if s["expires_at"] > now]

    def rotate(self, new_secret: str, now: datetime, overlap: timedelta) -> None:
        """A new secret signs from now on; the old one also signs until ``now + overlap``."""
        kept = [s for s in self.previous_secrets if s["expires_at"] > now]
        if overlap > timedelta(0):
            kept.append({"secret": self.secret, "expires_at": now + overlap})
        self.secret, self.previous_secrets, self.updated_at = new_secret, kept, now

    def note_success(self) -> bool:
        """An attempt succeeded: the endpoint is healthy again. True if that changed anything."""
        changed = self.failing_since is not None
        self.failing_since = None
        return changed

    def note_failure(self, now: datetime, disable_after: timedelta) -> bool:
        """An attempt failed. True if the endpoint has now been failing for too long and must be disabled."""
        if self.failing_since is None:
            self.failing_since = now
        return self.status == ENABLED and now - self.failing_since >= disable_after

    def disable(self, reason: str, now: datetime) -> dict | None:
        """Disable the endpoint; the ``endpoint.disabled`` data, or None if it was disabled already."""
        if self.status == DISABLED:
            return None
        self.status, self.disabled_reason, self.disabled_at, self.updated_at = DISABLED, reason, now, now
        return {"endpoint_id": self.id, "owner_partner_id": self.owner_partner_id, "reason": reason}

    def enable(self, now: datetime) -> None:
        self.status, self.disabled_reason, self.disabled_at = ENABLED, None, None
        self.failing_since, self.updated_at = None, now


@dataclass
class Attempt:
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    next_attempt_at: datetime | None


@dataclass
class Delivery:
    """One event to one endpoint. Its id is the ``webhook-id``: the same on every retry and replay."""

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
    round_start: int = 0  # attempts made before the last replay: the schedule starts again after a replay
    replays: int = 0

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
            wait = next_wait(len(self.attempts) - self.round_start,
                             retry_after if status_code in (429, 503) else None, rng)
            if wait is None:
                self.state, outcome = "failed", "failed"
            else:
                self.next_attempt_at, outcome = now + wait, "retry"
        self.attempts.append({"at": now, "status_code": status_code, "latency_ms": latency_ms, "error": error,
                              "next_attempt_at": self.next_attempt_at if outcome == "retry" else None})
        return outcome

    def abandon(self, now: datetime, reason: str) -> None:
        """Give up without sending (the endpoint is disabled or gone); a replay can bring it back."""
        self.state, self.lease_until = "failed", None
        self.attempts.append({"at": now, "status_code": None, "latency_ms": 0, "error": reason,
                              "next_attempt_at": None})

    def replay(self, now: datetime) -> None:
        """Send again, same ``webhook-id``, with the retry schedule from its start."""
        if self.state == "pending":
            raise DeliveryRuleBroken(f"Delivery {self.id} is still pending; it will be sent anyway.")
        self.state, self.next_attempt_at, self.lease_until = "pending", now, None
        self.round_start, self.replays = len(self.attempts), self.replays + 1


def next_wait(failures_before: int, retry_after: timedelta | None = None,
              rng: random.Random | None = None, schedule: tuple[timedelta, ...] = RETRY_SCHEDULE) -> timedelta | None:
    """The pause before the next attempt, or None when the schedule is used up.

    A server's Retry-After is honoured when longer than the schedule (never beyond 10 h).
    """
    if failures_before >= len(schedule):
        return None
    base = schedule[failures_before]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    wait = base * factor
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return wait


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The ``webhook-id`` of one event to one endpoint: deterministic, so a redelivered event adds nothing."""
    return f"msg_{event_id.removeprefix('evt_')}_{endpoint_id.removeprefix('ep_')}"


@dataclass
class InboxItem:
    """A message in the inbox of a partner (its id), a person (``person:<id>``) or ``coordination_group``."""

    id: str
    recipient_id: str
    event_id: str
    event_type: str
    subject: dict[str, str]
    body: dict[str, str]
    created_at: datetime
    activity_id: str | None = None
    read: bool = False
    read_at: datetime | None = None
    cursor: str = ""  # sorts newest last: creation time, then id; pages continue from it

    def __post_init__(self):
        if not self.cursor:
            self.cursor = f"{self.created_at.strftime('%Y%m%dT%H%M%S.%f')}|{self.id}"


EMAIL_RETRY_SCHEDULE = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                        timedelta(hours=6))


@dataclass
class OutgoingEmail:
    """One email to one address, kept until the SMTP server accepts it; retried, then failed (visible)."""

    id: str
    to: str
    language: str
    subject: str
    text: str
    html: str
    template: str
    event_id: str
    state: str
    next_attempt_at: datetime
    created_at: datetime
    attempts: list[dict] = field(default_factory=list)
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    activity_id: str | None = None
    round_start: int = 0  # attempts made before the last retry by hand
    holds_token: bool = False  # its text carries a token (a survey or attendee link): blanked once sent

    def view(self) -> dict:
        """What operators see of it: never its HTML, and never the text of an email that carries a token."""
        hidden = {"html", "lease_until", "round_start"} | ({"text"} if self.holds_token else set())
        return {k: v for k, v in vars(self).items() if k not in hidden}

    def retry(self, now: datetime) -> None:
        """An operator sends a failed email again (e.g. after fixing the SMTP settings)."""
        if self.state != "failed":
            raise DeliveryRuleBroken(f"Email {self.id} is {self.state}; only failed emails can be sent again.")
        self.state, self.next_attempt_at, self.round_start = "pending", now, len(self.attempts)

    def record(self, now: datetime, error: str | None, *, permanent: bool = False,
               rng: random.Random | None = None) -> str:
        """'sent', 'retry' or 'failed' (a permanent refusal such as a bad address fails at once)."""
        self.lease_until = None
        wait = None if error is None or permanent else next_wait(len(self.attempts) - self.round_start, None, rng,
                                                                 EMAIL_RETRY_SCHEDULE)
        if error is None:
            self.state, self.sent_at, outcome = "sent", now, "sent"
            if self.holds_token:  # delivered: the link was for its reader only, nobody needs it kept here
                self.text, self.html = "", ""
        elif wait is None:
            self.state, outcome = "failed", "failed"
        else:
            self.next_attempt_at, outcome = now + wait, "retry"
        self.attempts.append({"at": now, "error": error,
                              "next_attempt_at": self.next_attempt_at if outcome == "retry" else None})
        return outcome
