"""The events service's entrypoints."""
from __future__ import annotations

from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy

from services.common import ids
from services.common.catalogue import announce
from services.common.clock import utcnow
from services.common.errors import Conflict, NotFound, RuleBroken, ValidationFailed
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.service import ServiceBase, rpc
from services.common.validation import load
from services.events import schemas
from services.events.domain import CO_ORGANIZER, LEAD, ActivityRuleBroken, IllegalTransition, JointActivity, Organizer
from services.events.store import EventsStore


class EventsService(ServiceBase):
    name = "events"

    store: EventsStore = ServiceDatabase(EventsStore)
    outbox = OutboxRelay("activities")
    partners = RpcProxy("partners")

    def _organizer(self, partner_id: str, role: str, field: str) -> Organizer:
        """The organizer as the read model knows it; asks partners once if the model has not caught up."""
        known = self.store.partner(partner_id)
        if known is None:
            try:
                found = self.partners.get_partner(partner_id)
            except NotFound:
                raise RuleBroken(f"{partner_id} is not a registered partner.", {"field": field}) from None
            except RemoteError as exc:
                raise RuleBroken(f"Partner {partner_id} could not be checked: {exc.exc_type}",
                                 {"field": field}) from None
            known = {"partner_id": found["id"], "name": found["name"], "level": found["level"],
                     "kind": found["kind"], "status": found["status"], "status_seq": found.get("status_seq", 0)}
            self.store.remember_partner(known)
        return Organizer(partner_id=partner_id, role=role, name=known["name"], level=known["level"])

    @rpc
    def create_activity(self, payload: dict) -> dict:
        data = load(schemas.ActivityDraft(), payload)
        lead_id = data.pop("lead_organizer")
        co_ids = data.pop("co_organizers")
        organizers = [self._organizer(lead_id, LEAD, "lead_organizer")]
        organizers += [self._organizer(pid, CO_ORGANIZER, "co_organizers") for pid in co_ids]
        try:
            activity = JointActivity.draft(ids.new_id("act"), organizers=organizers, now=utcnow(), **data)
        except ActivityRuleBroken as exc:
            raise ValidationFailed(str(exc), {"errors": {exc.field or "_schema": [str(exc)]}}) from None
        self.store.add(activity)
        return self.store.get(activity.id)

    @rpc
    def get_activity(self, activity_id: str) -> dict:
        found = self.store.get(str(activity_id))
        if found is None:
            raise NotFound(f"No activity {activity_id}.", {"activity_id": activity_id})
        return found

    @rpc
    def publish_activity(self, activity_id: str) -> dict:
        def publish(activity: JointActivity):
            data = activity.publish(utcnow())
            return [announce("activity.published", data, subject=activity.id)]
        try:
            return self.store.change(str(activity_id), publish)
        except IllegalTransition as exc:
            raise Conflict(str(exc), {"status": exc.current, "wanted": exc.wanted}) from None

    @event_handler("partner.registered")
    def learn_partner(self, envelope) -> None:
        self.store.remember_partner(envelope.data)

    # the read model follows every change of a partner's status (partners' qualification review)
    @event_handler("partner.review_started")
    def learn_review_started(self, envelope) -> None:
        self.store.remember_partner(envelope.data)

    @event_handler("partner.approved")
    def learn_approved(self, envelope) -> None:
        self.store.remember_partner(envelope.data)

    @event_handler("partner.rejected")
    def learn_rejected(self, envelope) -> None:
        self.store.remember_partner(envelope.data)

    @event_handler("partner.suspended")
    def learn_suspended(self, envelope) -> None:
        self.store.remember_partner(envelope.data)

    @event_handler("partner.reinstated")
    def learn_reinstated(self, envelope) -> None:
        self.store.remember_partner(envelope.data)

    @event_handler("partner.retired")
    def learn_retired(self, envelope) -> None:
        self.store.remember_partner(envelope.data)
