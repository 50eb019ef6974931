"""Jobs that run on the clock: check-in reminders and the weekly digest.

Both are restart-safe: a reminder is marked done only after its notice is stored, and a notice's id is
deterministic (``reminder:<registration>``, ``digest:<person>:<ISO week>``), so a job re-run after a crash
adds nothing and nobody gets a digest twice in a week.
"""
from __future__ import annotations

import logging

from services.common.clock import utcnow
from services.notify.audience import Notice, reminder_notices
from services.notify.background import BackgroundLoop
from services.notify.domain import facts_of
from services.notify.messenger import Messenger
from services.notify.people import DIGEST_HORIZON, digest_activities, digest_id, digest_week, person_inbox

log = logging.getLogger(__name__)


def activity_facts(activity: dict) -> dict[str, set[str]]:
    return facts_of({}, activity)


class Scheduler(BackgroundLoop):
    identifier = "notify-scheduler"

    def setup(self):
        super().setup()
        self.messenger = Messenger(self.store, self.renderer)
        self._digested: set[str] = set()  # digests known to exist: not looked up again in this process

    def interval(self) -> float:
        return max(1.0, self.settings.common.delivery_poll_seconds * 5)

    def worker_teardown(self, worker_ctx):
        """Runs on its own clock, not after every worker."""

    def tick(self) -> int:
        return self.send_reminders() + self.send_digests()

    def send_reminders(self) -> int:
        now = utcnow()
        told = 0
        for registration in self.store.due_reminders(now):
            if registration["starts_at_time"] > now and registration.get("status") == "confirmed":
                known = self.store.preferences_for([registration["person_id"]])
                told += self.messenger.tell(reminder_notices(registration, known), now)

            def done(doc: dict) -> None:
                doc["reminder_pending"] = False
            self.store.change_registration(registration["id"], done)
        return told

    def send_digests(self) -> int:
        now = utcnow()
        week = digest_week(now, self.settings.common.display_timezone)
        if week is None:
            return 0
        told = 0
        upcoming = None
        for prefs in self.store.digest_readers():
            key = digest_id(prefs.person_id, week)
            channels = [c for c in prefs.channels if c != "email" or prefs.email]
            if not channels or key in self._digested:
                continue
            if self.store.notice_exists(key):
                self._digested.add(key)
                continue
            if upcoming is None:
                upcoming = self.store.upcoming_activities(now, now + DIGEST_HORIZON)
            chosen = digest_activities(prefs, upcoming, activity_facts)
            if not chosen:
                continue  # nothing to tell this week (yet): looked at again on the next round
            told += self.messenger.tell([Notice(
                id=key, recipient=person_inbox(prefs.person_id), template="weekly_digest", event_id=key,
                event_type="digest.weekly", inbox="inbox" in channels,
                email=prefs.email if "email" in channels else None, language=prefs.language,
                context={"week": week, "activities": [_for_template(a) for a in chosen]})], now)
            self._digested.add(key)
            log.info("weekly digest %s: %d activities", key, len(chosen))
        return told


def _for_template(activity: dict) -> dict:
    return {"activity_id": activity["id"], "title": activity["title"], "venue": activity.get("venue"),
            "starts_at": activity["starts_at"].isoformat()}
