"""The webhook worker: sends due deliveries in the background, never in the path of the bus.

A delivery is claimed with a lease only when a slot of its endpoint is free (at most
``WEBHOOK_CONCURRENCY_PER_ENDPOINT`` requests to one endpoint at a time), sent, then recorded. A crash between
sending and recording lets the lease lapse and the same delivery (same ``webhook-id``) go out again; at no
other point can a healthy endpoint receive a message twice. Pending deliveries live in the store, so they
survive restarts. The endpoint's health follows each attempt: 410 Gone disables it at once, failing for days
disables it too, and either announces ``endpoint.disabled`` so that its owner is told.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta

from eventlet.semaphore import Semaphore

from services.common import failpoints, metrics
from services.common.catalogue import announce
from services.common.clock import utcnow
from services.common.errors import ConcurrentUpdate
from services.notify import transport
from services.notify.background import BackgroundLoop
from services.notify.domain import ENABLED, FAILING, GONE, Delivery, Endpoint
from services.notify.webhooks import signed_headers

log = logging.getLogger(__name__)

BATCH = 100
LEASE_MARGIN = timedelta(seconds=10)  # beyond the deadline of the whole attempt: time to record it


def retry_after(answer: transport.Answer | None) -> timedelta | None:
    if answer is None:
        return None
    value = next((v for k, v in answer.headers.items() if k.lower() == "retry-after"), "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    return None


class DeliveryWorker(BackgroundLoop):
    identifier = "webhook-delivery"

    def setup(self):
        super().setup()
        self.limits: dict[str, Semaphore] = defaultdict(lambda: Semaphore(self.settings.per_endpoint))

    def tick(self) -> int:
        return self.dispatch_due()

    def dispatch_due(self) -> int:
        now = utcnow()
        lease = timedelta(seconds=self.settings.common.webhook_timeout_seconds) + LEASE_MARGIN
        started = 0
        busy = [endpoint_id for endpoint_id, slot in self.limits.items() if slot.balance <= 0]
        for delivery, rev in self.store.due_deliveries(now, BATCH, skip_endpoints=busy):
            slot = self.limits[delivery.endpoint_id]
            if not slot.acquire(blocking=False):
                continue  # the endpoint is busy: the delivery stays due, unclaimed, for a later round
            claimed = self.store.claim(delivery, rev, now + lease)
            if claimed is None:
                slot.release()
                continue
            self.pool.spawn_n(self._attempt, delivery, claimed, slot)
            started += 1
        return started

    def _attempt(self, delivery: Delivery, rev: int, slot: Semaphore) -> None:
        try:
            endpoint = self.store.endpoint(delivery.endpoint_id)
            if endpoint is None or endpoint.status != ENABLED:
                delivery.abandon(utcnow(), "endpoint disabled")
                self._save(delivery, rev)
                return
            self._send(endpoint, delivery, rev)
        finally:
            slot.release()
            self.kick()

    def _send(self, endpoint: Endpoint, delivery: Delivery, rev: int) -> None:
        answer, error = None, None
        started = time.monotonic()
        try:
            now = utcnow()
            headers = signed_headers(endpoint.signing_secrets(now), delivery.id, now, delivery.body)
            answer = transport.post(endpoint.url, delivery.body.encode("utf-8"), headers,
                                    allow_private=self.settings.common.webhook_allow_private,
                                    seconds=self.settings.common.webhook_timeout_seconds)
        except transport.AttemptFailed as exc:
            error = str(exc)
            if error == transport.NOT_ALLOWED:
                started = time.monotonic()  # no timing either: an address refused is refused at once
        latency = int((time.monotonic() - started) * 1000)
        failpoints.reach("webhook.after_send")
        status = answer.status if answer is not None else None
        outcome = delivery.record(now=utcnow(), status_code=status, latency_ms=latency, error=error,
                                  retry_after=retry_after(answer))
        self._save(delivery, rev)
        metrics.WEBHOOK_DELIVERIES.labels("notify", outcome).inc()
        self._follow_health(endpoint.id, outcome)
        log.info("webhook %s to %s: %s (%s, %d ms)", delivery.id, endpoint.id, outcome, status or error, latency)

    def _follow_health(self, endpoint_id: str, outcome: str) -> None:
        """Healthy again, failing for too long, or gone: the endpoint's state follows its attempts."""
        now = utcnow()
        current = self.store.endpoint(endpoint_id)
        if current is None or (outcome == "delivered" and current.failing_since is None):
            return

        def change(endpoint: Endpoint):
            if outcome == "delivered":
                endpoint.note_success()
                return None
            reason = GONE if outcome == "gone" else None
            if reason is None and endpoint.note_failure(now, self.settings.disable_after):
                reason = FAILING
            disabled = endpoint.disable(reason, now) if reason else None
            if disabled:
                log.warning("endpoint %s disabled: %s", endpoint.id, reason)
                return [announce("endpoint.disabled", disabled, subject=endpoint.id)]
            return None
        self.store.change_endpoint(endpoint_id, change)

    def _save(self, delivery: Delivery, rev: int) -> None:
        try:
            self.store.save_delivery(delivery, rev)
        except ConcurrentUpdate:
            log.warning("delivery %s changed while being sent; its record of this attempt is dropped", delivery.id)
