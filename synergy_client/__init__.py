"""The Python client of Synergy: the HTTP API (``SynergyClient``), the bus (``synergy_client.bus``) and
webhooks (``synergy_client.webhooks``). It never imports nameko or eventlet."""
from synergy_client.client import SynergyClient, new_idempotency_key
from synergy_client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServerError,
    SynergyClientError,
    Unauthenticated,
    ValidationFailed,
)
from synergy_client.transport import RetryPolicy
from synergy_client.types import (
    Activity,
    Agreement,
    Delivery,
    InboxItem,
    Partner,
    Readiness,
    Survey,
    Venue,
    WebhookEndpoint,
)

__all__ = [
    "Activity", "Agreement", "ApiError", "BadRequest", "Conflict", "ConnectionFailed", "Delivery", "Forbidden",
    "InboxItem", "NotFound", "Partner", "PreconditionFailed", "RateLimited", "Readiness", "RetryPolicy",
    "ServerError", "Survey", "SynergyClient", "SynergyClientError", "Unauthenticated", "ValidationFailed",
    "Venue", "WebhookEndpoint", "new_idempotency_key",
]
