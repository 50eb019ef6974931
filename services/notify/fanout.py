"""``every_public_event``: one consumer for every event type, so that any public type can reach webhooks.

Its quorum queue is bound to ``#`` on ``synergy.events``; it has the delivery limit and dead letters of every
other handler. Internal types (``public=False``: personal data or secrets) are acknowledged and never forwarded.
"""
from __future__ import annotations

from services.common.catalogue import CATALOGUE
from services.common.handlers import EventHandler


def is_public(event_type: str) -> bool:
    entry = CATALOGUE.get(event_type)
    return entry is not None and entry.public


class EveryEventHandler(EventHandler):
    def __init__(self, **kwargs):
        super().__init__("#", **kwargs)

    def accepts(self, event_type: str) -> bool:
        return True


every_event = EveryEventHandler.decorator
