"""The partners service's entrypoints: parse, call the domain, store, return."""
from __future__ import annotations

from services.common import ids
from services.common.catalogue import announce
from services.common.clock import utcnow
from services.common.errors import NotFound
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.service import ServiceBase, rpc
from services.common.validation import load
from services.partners import schemas
from services.partners.domain import Partner, collaborations_from_published
from services.partners.store import PartnerStore


class PartnersService(ServiceBase):
    name = "partners"

    store: PartnerStore = ServiceDatabase(PartnerStore)
    outbox = OutboxRelay("partners")

    @rpc
    def register_partner(self, payload: dict) -> dict:
        data = load(schemas.PartnerRegistration(), payload)
        partner = Partner.register(ids.new_id("prt"), now=utcnow(), **data)
        event = announce("partner.registered", partner.registered_event(), subject=partner.id)
        self.store.add(partner, [event])
        return self.store.get(partner.id)

    @rpc
    def get_partner(self, partner_id: str) -> dict:
        partner = self.store.get(str(partner_id))
        if partner is None:
            raise NotFound(f"No partner {partner_id}.", {"partner_id": partner_id})
        partner["collaborations"] = self.store.collaborations_of(partner["id"])
        return partner

    @rpc
    def find_partners(self, query: dict | None = None) -> dict:
        criteria = load(schemas.PartnerFilter(), query or {})
        items = self.store.find(**criteria)
        next_cursor = items[-1]["id"] if len(items) == criteria["limit"] else None
        return {"items": items, "next_cursor": next_cursor}

    @event_handler("activity.published")
    def record_collaboration(self, envelope) -> None:
        for collaboration in collaborations_from_published(envelope.data, utcnow()):
            self.store.record_collaboration(collaboration)
