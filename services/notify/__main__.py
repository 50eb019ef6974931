"""``python -m services.notify``: run the notify service."""
import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.runner import run  # noqa: E402
from services.notify.service import NotifyService  # noqa: E402

run(NotifyService)
