"""``python -m services.gateway``: run the HTTP gateway."""
import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.runner import run  # noqa: E402
from services.gateway.service import GatewayService  # noqa: E402

run(GatewayService)
