"""The webhook worker: sends due deliveries in the background, never in the path of the bus.

A delivery is claimed with a lease before it is sent and recorded after. A crash between sending and
recording lets the lease lapse and the same delivery (same ``webhook-id``) go out again; at no other point can
a healthy endpoint receive a message twice. Pending deliveries live in the store, so they survive restarts.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta

import eventlet
import requests
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.common import failpoints, metrics
from services.common.clock import utcnow
from services.common.config import Settings
from services.common.errors import ConcurrentUpdate
from services.common.mongo import database
from services.notify.domain import Delivery
from services.notify.store import NotifyStore
from services.notify.webhooks import UnsafeEndpoint, check_url, signed_headers

log = logging.getLogger(__name__)

PER_ENDPOINT = 4  # concurrent requests to one endpoint
BATCH = 100


def retry_after(response: requests.Response | None) -> timedelta | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After", "")
    if value.isdigit():
        return timedelta(seconds=int(value))
    return None


class DeliveryWorker(DependencyProvider):
    def setup(self):
        self.settings = Settings.from_env()
        self.store = NotifyStore(database(self.container.service_name, self.settings))
        self.session = requests.Session()
        self.limits: dict[str, Semaphore] = defaultdict(lambda: Semaphore(PER_ENDPOINT))
        self.pool = eventlet.GreenPool(50)
        self._wake = Event()
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier="webhook-delivery")

    def stop(self):
        self._running = False
        self.kick()
        self.pool.waitall()

    def kill(self):
        self._running = False
        self.kick()

    def kick(self):
        if not self._wake.ready():
            self._wake.send(True)

    def worker_teardown(self, worker_ctx):
        self.kick()

    def get_dependency(self, worker_ctx):
        return self

    def _run(self):
        while self._running:
            with eventlet.Timeout(self.settings.delivery_poll_seconds, False):
                self._wake.wait()
            if self._wake.ready():
                self._wake.reset()
            try:
                self.dispatch_due()
            except Exception:  # noqa: BLE001 - the worker must outlive store outages
                log.exception("webhook dispatch failed")
                eventlet.sleep(1)

    def dispatch_due(self) -> int:
        now = utcnow()
        lease = timedelta(seconds=self.settings.webhook_timeout_seconds + 30)
        started = 0
        for delivery, rev in self.store.due_deliveries(now, BATCH):
            claimed = self.store.claim(delivery, rev, now + lease)
            if claimed is None:
                continue
            self.pool.spawn_n(self._attempt, delivery, claimed)
            started += 1
        return started

    def _attempt(self, delivery: Delivery, rev: int) -> None:
        endpoint = self.store.endpoint(delivery.endpoint_id)
        if endpoint is None or endpoint.status != "enabled":
            delivery.state = "failed"
            delivery.attempts.append({"at": utcnow(), "status_code": None, "latency_ms": 0,
                                      "error": "endpoint disabled", "next_attempt_at": None})
            self._save(delivery, rev)
            return
        with self.limits[endpoint.id]:
            response, error = None, None
            started = time.monotonic()
            try:
                check_url(endpoint.url, allow_private=self.settings.webhook_allow_private)
                headers = signed_headers(endpoint.secret, delivery.id, utcnow(), delivery.body)
                response = self.session.post(endpoint.url, data=delivery.body.encode("utf-8"), headers=headers,
                                             timeout=self.settings.webhook_timeout_seconds,
                                             allow_redirects=False)
            except UnsafeEndpoint as exc:
                error = f"unsafe endpoint: {exc}"
            except requests.RequestException as exc:
                error = type(exc).__name__
            latency = int((time.monotonic() - started) * 1000)
        failpoints.reach("webhook.after_send")
        outcome = delivery.record(now=utcnow(), status_code=response.status_code if response is not None else None,
                                  latency_ms=latency, error=error, retry_after=retry_after(response))
        self._save(delivery, rev)
        metrics.WEBHOOK_DELIVERIES.labels("notify", outcome).inc()
        if outcome == "gone":
            self.store.set_endpoint_status(endpoint.id, "disabled")
            log.warning("endpoint %s answered 410 Gone: disabled", endpoint.id)
        log.info("webhook %s to %s: %s (%s, %d ms)", delivery.id, endpoint.id, outcome,
                 response.status_code if response is not None else error, latency)

    def _save(self, delivery: Delivery, rev: int) -> None:
        try:
            self.store.save_delivery(delivery, rev)
        except ConcurrentUpdate:
            log.warning("delivery %s changed while being sent; its record of this attempt is dropped", delivery.id)
