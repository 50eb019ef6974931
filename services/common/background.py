"""A loop in the background of a service: woken after every worker, polling besides, outliving outages.

The outbox relay and notify's senders and scheduler are such loops. Their work lives in the store, so whatever a
crash interrupts is found again by the next process, and a wake-up after each worker makes new work leave at once.
"""
from __future__ import annotations

import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0


class WokenLoop(DependencyProvider):
    """Subclasses set ``identifier``, give ``interval()`` and ``tick()``, and may tidy up in ``finish()``."""

    identifier = "background-loop"

    def setup(self):
        self._wake = Event()
        self._running = False

    def interval(self) -> float:
        raise NotImplementedError

    def tick(self) -> object:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once the loop has ended."""

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier=self.identifier)

    def stop(self):
        self._running = False
        self.kick()

    def kill(self):
        self.stop()

    def kick(self):
        if not self._wake.ready():
            self._wake.send(True)

    def worker_teardown(self, worker_ctx):
        self.kick()

    def get_dependency(self, worker_ctx):
        return self

    def _run(self):
        backoff = 0.1
        while self._running:
            with eventlet.Timeout(self.interval(), False):
                self._wake.wait()
            if self._wake.ready():
                self._wake.reset()
            if not self._running:
                break
            try:
                self.tick()
                backoff = 0.1
            except Exception:  # noqa: BLE001 - the loop must outlive broker, store and network outages
                log.exception("%s failed; trying again in %.1fs", self.identifier, backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        self.finish()
