"""Events announced by the notify service."""
from __future__ import annotations

from services.common.contracts import EventType

EVENT_TYPES: tuple[EventType, ...] = ()
