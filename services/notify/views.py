"""How notify's objects are shown to their owners: endpoints without secrets, deliveries, preferences."""
from __future__ import annotations

from services.notify.domain import Endpoint
from services.notify.people import Preferences


def endpoint_view(endpoint: Endpoint) -> dict:
    """An endpoint as its owner may see it later: everything but the secrets."""
    return {"id": endpoint.id, "owner_partner_id": endpoint.owner_partner_id, "url": endpoint.url,
            "event_types": endpoint.event_types, "filters": endpoint.filters, "description": endpoint.description,
            "status": endpoint.status, "disabled_reason": endpoint.disabled_reason,
            "failing_since": endpoint.failing_since, "created_at": endpoint.created_at,
            "rotation_ends_at": max((s["expires_at"] for s in endpoint.previous_secrets), default=None)}


def delivery_view(delivery: dict, with_body: bool = False) -> dict:
    shown = {k: v for k, v in delivery.items() if k not in ("body", "lease_until", "round_start")}
    return shown | ({"body": delivery["body"]} if with_body else {})


def preferences_view(prefs: Preferences) -> dict:
    return {"person_id": prefs.person_id, "email": prefs.email, "language": prefs.language,
            "channels": prefs.channels, "mode": prefs.mode, "events": prefs.events,
            "follow": prefs.follows(), "updated_at": prefs.updated_at}
