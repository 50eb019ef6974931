"""The notify service's entrypoints."""
from __future__ import annotations

from services.common import ids
from services.common.clock import utcnow
from services.common.config import Settings
from services.common.errors import NotFound, ValidationFailed
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.service import ServiceBase, rpc
from services.common.validation import load
from services.notify import schemas
from services.notify.delivery import DeliveryWorker
from services.notify.domain import Delivery, Endpoint, published_inbox_items
from services.notify.store import NotifyStore
from services.notify.webhooks import UnsafeEndpoint, body_of, check_url, new_secret


def endpoint_view(endpoint: Endpoint) -> dict:
    """An endpoint as its owner may see it later: everything but the secret."""
    return {"id": endpoint.id, "owner_partner_id": endpoint.owner_partner_id, "url": endpoint.url,
            "event_types": endpoint.event_types, "description": endpoint.description, "status": endpoint.status,
            "created_at": endpoint.created_at}


class NotifyService(ServiceBase):
    name = "notify"

    store: NotifyStore = ServiceDatabase(NotifyStore)
    deliveries = DeliveryWorker()

    @rpc
    def register_endpoint(self, payload: dict) -> dict:
        data = load(schemas.EndpointRegistration(), payload)
        try:
            check_url(data["url"], allow_private=Settings.from_env().webhook_allow_private)
        except UnsafeEndpoint as exc:
            raise ValidationFailed(str(exc), {"errors": {"url": [str(exc)]}}) from None
        endpoint = Endpoint(id=ids.new_id("ep"), secret=new_secret(), status="enabled", created_at=utcnow(), **data)
        self.store.add_endpoint(endpoint)
        return endpoint_view(endpoint) | {"secret": endpoint.secret}

    @rpc
    def get_endpoint(self, endpoint_id: str) -> dict:
        endpoint = self.store.endpoint(str(endpoint_id))
        if endpoint is None:
            raise NotFound(f"No endpoint {endpoint_id}.", {"endpoint_id": endpoint_id})
        return endpoint_view(endpoint)

    @rpc
    def deliveries_of(self, endpoint_id: str) -> list[dict]:
        self.get_endpoint(endpoint_id)
        return [{k: v for k, v in d.items() if k != "body"} for d in self.store.deliveries_of(str(endpoint_id))]

    @rpc
    def inbox_of(self, recipient_id: str) -> list[dict]:
        return self.store.inbox_of(str(recipient_id))

    @event_handler("activity.published")
    def activity_published(self, envelope) -> None:
        now = utcnow()
        for item in published_inbox_items(envelope.id, envelope.data, now):
            self.store.add_inbox_item_once(item)
        self._fan_out(envelope, now)

    def _fan_out(self, envelope, now) -> None:
        """One delivery per interested endpoint, keyed by event and endpoint so a redelivery adds none."""
        body = body_of(envelope.type, envelope.moment, envelope.data)
        for endpoint in self.store.enabled_endpoints():
            if endpoint.wants(envelope.type):
                self.store.add_delivery_once(Delivery(
                    id=f"msg_{envelope.id.removeprefix('evt_')}_{endpoint.id.removeprefix('ep_')}",
                    endpoint_id=endpoint.id, owner_partner_id=endpoint.owner_partner_id, event_id=envelope.id,
                    event_type=envelope.type, body=body, state="pending", next_attempt_at=now, created_at=now))
