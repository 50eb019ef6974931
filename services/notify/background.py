"""A background loop inside the notify service: woken after every worker, polling besides.

The webhook sender, the email sender and the scheduler (reminders, weekly digest) are such loops. Their work
lives in the store, so whatever a crash interrupts is found again by the next process.
"""
from __future__ import annotations

import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common.mongo import database
from services.notify.rendering import Renderer
from services.notify.settings import NotifySettings
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)


class BackgroundLoop(DependencyProvider):
    identifier = "notify-loop"

    def setup(self):
        self.settings = NotifySettings.from_env()
        self.store = NotifyStore(database(self.container.service_name, self.settings.common))
        self.renderer = Renderer(self.settings.common.display_timezone)
        self.pool = eventlet.GreenPool(50)
        self._wake = Event()
        self._running = False

    def interval(self) -> float:
        return self.settings.common.delivery_poll_seconds

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier=self.identifier)

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

    def tick(self) -> int:
        raise NotImplementedError

    def _run(self):
        while self._running:
            with eventlet.Timeout(self.interval(), False):
                self._wake.wait()
            if self._wake.ready():
                self._wake.reset()
            if not self._running:
                break
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the loop must outlive store and network outages
                log.exception("%s failed; trying again", self.identifier)
                eventlet.sleep(1)
