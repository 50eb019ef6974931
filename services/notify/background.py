"""The background loops of the notify service, on the shared woken-loop mechanics (services/common/background.py).

The webhook sender, the email sender and the scheduler (reminders, weekly digest) are such loops. Their work
lives in the store, so whatever a crash interrupts is found again by the next process.
"""
from __future__ import annotations

import logging

import eventlet

from services.common.background import WokenLoop
from services.common.mongo import database
from services.notify.rendering import renderer_for
from services.notify.settings import NotifySettings
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)


class BackgroundLoop(WokenLoop):
    identifier = "notify-loop"

    def setup(self):
        super().setup()
        self.settings = NotifySettings.from_env()
        self.store = NotifyStore(database(self.container.service_name, self.settings.common))
        self.renderer = renderer_for(self.settings.common.display_timezone)
        self.pool = eventlet.GreenPool(50)

    def interval(self) -> float:
        return self.settings.common.delivery_poll_seconds

    def stop(self):
        super().stop()
        self.pool.waitall()

    def kill(self):
        super().stop()
