"""``python -m services.events``: run the events service."""
import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.runner import run  # noqa: E402
from services.events.service import EventsService  # noqa: E402

run(EventsService)
