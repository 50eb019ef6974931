"""``python -m services.partners``: run the partners service."""
import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.runner import run  # noqa: E402
from services.partners.service import PartnersService  # noqa: E402

run(PartnersService)
