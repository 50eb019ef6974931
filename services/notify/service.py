"""The notify service's entrypoints: webhook endpoints and deliveries (owner-scoped), inboxes, preferences,
and the events it turns into messages."""
from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from nameko.rpc import RpcProxy

from services.common import ids
from services.common.catalogue import announce
from services.common.clock import parse_iso, utcnow
from services.common.documents import REVISION
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.service import ServiceBase, rpc
from services.common.validation import load
from services.notify import audience, fanout, schemas
from services.notify.delivery import DeliveryWorker
from services.notify.domain import OWNER, Delivery, DeliveryRuleBroken, Endpoint, facts_of
from services.notify.fanout import every_event
from services.notify.mailer import EmailWorker
from services.notify.messenger import Messenger
from services.notify.people import FOLLOWS, Preferences, reminder_due
from services.notify.rendering import renderer_for
from services.notify.scheduler import Scheduler
from services.notify.settings import NotifySettings
from services.notify.store import NotifyStore
from services.notify.views import delivery_view, endpoint_view, preferences_view
from services.notify.webhooks import UnsafeEndpoint, check_url, new_secret

HELD_TOKEN_TTL = timedelta(hours=24)  # a token handed over for an email that is never made is dropped


class NotifyService(ServiceBase):
    name = "notify"

    store: NotifyStore = ServiceDatabase(NotifyStore)
    events = RpcProxy("events")  # who organizes an activity, for webhook audiences
    outbox = OutboxRelay("endpoints")
    deliveries = DeliveryWorker()
    emails_worker = EmailWorker()
    scheduler = Scheduler()

    @property
    def settings(self) -> NotifySettings:
        return NotifySettings.from_env()

    def _messenger(self) -> Messenger:
        return Messenger(self.store, renderer_for(self.settings.common.display_timezone))

    # webhook endpoints: every call names the owner; another partner's endpoint is "not found"
    def _check_url(self, url: str) -> None:
        try:
            check_url(url, allow_private=self.settings.common.webhook_allow_private)
        except UnsafeEndpoint as exc:
            raise ValidationFailed(str(exc), {"errors": {"url": [str(exc)]}}) from None

    def _owned(self, owner_partner_id: str, endpoint_id: str) -> Endpoint:
        return self._owned_at(owner_partner_id, endpoint_id)[0]

    def _owned_at(self, owner_partner_id: str, endpoint_id: str) -> tuple[Endpoint, int]:
        found = self.store.endpoint_at(str(endpoint_id))
        if found is None or found[0].owner_partner_id != owner_partner_id:
            raise NotFound(f"No endpoint {endpoint_id} of {owner_partner_id}.", {"endpoint_id": endpoint_id})
        return found

    @rpc
    def register_endpoint(self, owner_partner_id: str, payload: dict) -> dict:
        """Subscribe a partner system; the answer carries the secret, the only time it is shown."""
        data = load(schemas.EndpointRegistration(), payload)
        owner = load(schemas.Owner(), {"owner_partner_id": owner_partner_id})["owner_partner_id"]
        self._check_url(data["url"])
        now = utcnow()
        endpoint = Endpoint(id=ids.new_id("ep"), owner_partner_id=owner, secret=new_secret(), status="enabled",
                            created_at=now, updated_at=now, **data)
        self.store.add_endpoint(endpoint)
        return endpoint_view(endpoint) | {"secret": endpoint.secret}

    @rpc
    def list_endpoints(self, owner_partner_id: str) -> list[dict]:
        return [endpoint_view(e) for e in self.store.endpoints_of(str(owner_partner_id))]

    @rpc
    def get_endpoint(self, owner_partner_id: str, endpoint_id: str) -> dict:
        endpoint, rev = self._owned_at(owner_partner_id, endpoint_id)
        return endpoint_view(endpoint) | {REVISION: rev}

    @rpc
    def endpoint_owner(self, endpoint_id: str) -> str:
        """Whose endpoint this is (the gateway authorizes by it)."""
        endpoint = self.store.endpoint(str(endpoint_id))
        if endpoint is None:
            raise NotFound(f"No endpoint {endpoint_id}.", {"endpoint_id": endpoint_id})
        return endpoint.owner_partner_id

    @rpc
    def update_endpoint(self, owner_partner_id: str, endpoint_id: str, payload: dict,
                        expected_rev: int | None = None) -> dict:
        """Change URL, types, filters or description; disable, or enable again (its health starts afresh). With
        ``expected_rev``, only if the endpoint is still at that revision (else ``PreconditionFailed``)."""
        self._owned(owner_partner_id, endpoint_id)
        data = load(schemas.EndpointChange(), payload)
        if "url" in data:
            self._check_url(data["url"])
        now = utcnow()

        def change(endpoint: Endpoint):
            status = data.pop("status", None)
            for key, value in data.items():
                setattr(endpoint, key, value)
            endpoint.updated_at = now
            if status == "enabled":
                endpoint.enable(now)
            elif status == "disabled":
                disabled = endpoint.disable(OWNER, now)
                return [announce("endpoint.disabled", disabled, subject=endpoint.id)] if disabled else None
            return None
        endpoint, rev = self.store.change_endpoint(str(endpoint_id), change, expected_rev)
        return endpoint_view(endpoint) | {REVISION: rev}

    @rpc
    def rotate_secret(self, owner_partner_id: str, endpoint_id: str, payload: dict | None = None) -> dict:
        """A new secret, shown once; the old one keeps signing (both signatures sent) for the overlap."""
        self._owned(owner_partner_id, endpoint_id)
        data = load(schemas.SecretRotation(), payload or {})
        hours = data["overlap_hours"]
        overlap = self.settings.rotation_overlap if hours is None else timedelta(hours=hours)
        secret = new_secret()

        def change(endpoint: Endpoint) -> None:
            endpoint.rotate(secret, utcnow(), overlap)
        return endpoint_view(self.store.change_endpoint(str(endpoint_id), change)[0]) | {"secret": secret}

    # deliveries
    @rpc
    def deliveries_of(self, owner_partner_id: str, endpoint_id: str, query: dict | None = None) -> dict:
        """A page of deliveries with every attempt, newest first; ``next`` continues (``before=``)."""
        self._owned(owner_partner_id, endpoint_id)
        params = load(schemas.DeliveryQuery(), query or {})
        items = self.store.deliveries_of(str(endpoint_id), params.get("state"), params["limit"], params.get("before"))
        return {"items": [delivery_view(d) for d in items],
                "next": items[-1]["id"] if items and len(items) == params["limit"] else None}

    def _owned_delivery(self, owner_partner_id: str, delivery_id_: str) -> Delivery:
        delivery = self.store.delivery(str(delivery_id_))
        if delivery is None or delivery.owner_partner_id != owner_partner_id:
            raise NotFound(f"No delivery {delivery_id_} of {owner_partner_id}.", {"delivery_id": delivery_id_})
        return delivery

    @rpc
    def get_delivery(self, owner_partner_id: str, delivery_id_: str) -> dict:
        return delivery_view(asdict(self._owned_delivery(owner_partner_id, delivery_id_)), with_body=True)

    @rpc
    def replay_delivery(self, owner_partner_id: str, delivery_id_: str) -> dict:
        """Send one delivery again, same ``webhook-id``, the retry schedule from its start."""
        delivery = self._owned_delivery(owner_partner_id, delivery_id_)
        endpoint = self._owned(owner_partner_id, delivery.endpoint_id)
        if endpoint.status != "enabled":
            raise Conflict(f"Endpoint {endpoint.id} is disabled; enable it before replaying.",
                           {"endpoint_id": endpoint.id})
        try:
            replayed = self.store.change_delivery(delivery.id, lambda d: d.replay(utcnow()))
        except DeliveryRuleBroken as exc:
            raise Conflict(str(exc), {"delivery_id": delivery.id}) from None
        self.deliveries.kick()
        return delivery_view(asdict(replayed))

    @rpc
    def replay_failed(self, owner_partner_id: str, endpoint_id: str, payload: dict) -> dict:
        """Every failed delivery of the endpoint created since a time, sent again."""
        endpoint = self._owned(owner_partner_id, endpoint_id)
        since = load(schemas.ReplaySince(), payload)["since"]
        if endpoint.status != "enabled":
            raise Conflict(f"Endpoint {endpoint.id} is disabled; enable it before replaying.",
                           {"endpoint_id": endpoint.id})
        replayed = []
        for found in self.store.failed_since(endpoint.id, since):
            try:
                self.store.change_delivery(found, lambda d: d.replay(utcnow()))
                replayed.append(found)
            except DeliveryRuleBroken:
                continue  # already pending again
        self.deliveries.kick()
        return {"replayed": replayed, "count": len(replayed)}

    # emails: the ones that failed are the dead letters of email, kept with every attempt
    @rpc
    def hold_tokens(self, tokens: dict) -> None:
        """Tokens for the one email each goes in (a registration's confirmation, by its registration id; a survey
        invitation, by its invitation id), handed over by RPC so that no event carries them."""
        self.store.hold_tokens({str(k): str(v) for k, v in dict(tokens).items()}, utcnow() + HELD_TOKEN_TTL)

    @rpc
    def emails(self, query: dict | None = None) -> list[dict]:
        params = load(schemas.EmailQuery(), query or {})
        return [email.view() for email in self.store.emails_in(params["state"], params["limit"])]

    @rpc
    def retry_email(self, email_id: str) -> dict:
        try:
            retried = self.store.change_email(str(email_id), lambda e: e.retry(utcnow()))
        except DeliveryRuleBroken as exc:
            raise Conflict(str(exc), {"email_id": email_id}) from None
        self.emails_worker.kick()
        return retried.view()

    # inboxes: a partner (its id), a person ("person:<id>"), the coordination group ("coordination_group")
    @rpc
    def inbox_of(self, recipient_id: str, query: dict | None = None) -> dict:
        params = load(schemas.InboxQuery(), query or {})
        items = self.store.inbox_of(str(recipient_id), unread_only=params["unread"], before=params.get("before"),
                                    limit=params["limit"])
        more = len(items) == params["limit"]
        return {"items": [{k: v for k, v in i.items() if k != "cursor"} | {"cursor": i["cursor"]} for i in items],
                "next": items[-1]["cursor"] if more and items else None,
                "unread": self.store.unread_count(str(recipient_id))}

    @rpc
    def mark_inbox_item(self, recipient_id: str, item_id: str, payload: dict) -> dict:
        read = load(schemas.InboxMark(), payload)["read"]
        return self.store.mark_read(str(recipient_id), str(item_id), read, utcnow())

    # people's preferences
    @rpc
    def get_preferences(self, person_id: str) -> dict:
        """A person's preferences (the defaults, at revision 0, until they are set)."""
        prefs, rev = self.store.preferences_at(self._person(person_id))
        return preferences_view(prefs or Preferences(person_id=person_id)) | {REVISION: rev}

    @rpc
    def set_preferences(self, person_id: str, payload: dict, expected_rev: int | None = None) -> dict:
        """Set them as a whole; with ``expected_rev`` only on that revision (0: while never set)."""
        data = load(schemas.PreferencesInput(), payload)
        follow = data.pop("follow")
        prefs = Preferences(person_id=self._person(person_id), updated_at=utcnow(), **data,
                            **{f"follow_{name}": follow.get(name, []) for name in FOLLOWS})
        rev = self.store.save_preferences(prefs, expected_rev)
        return preferences_view(prefs) | {REVISION: rev}

    @staticmethod
    def _person(person_id: str) -> str:
        return load(schemas.Person(), {"person_id": person_id})["person_id"]

    # what notify hears
    def _activity_news(self, envelope, values: dict) -> None:
        data = envelope.data
        self.store.remember_activity(data["activity_id"], values, envelope.id)
        facts = facts_of(data, self.store.activity(data["activity_id"]))
        registrants = self.store.registrants_of(data["activity_id"]) if envelope.type != "activity.published" else []
        subscribers = self.store.subscribers(facts)
        known = self.store.preferences_for(r["person_id"] for r in registrants)
        self._messenger().tell(audience.activity_notices(envelope.type, envelope.id, data, registrants=registrants,
                                                         subscribers=subscribers, known=known), utcnow())

    @event_handler("activity.published")
    def activity_published(self, envelope) -> None:
        self._activity_news(envelope, _activity_values(envelope.data, "published"))

    @event_handler("activity.updated")
    def activity_updated(self, envelope) -> None:
        self._activity_news(envelope, _activity_values(envelope.data, "published"))
        self._reschedule(envelope.data["activity_id"], envelope.data["starts_at"], envelope.data["title"])

    @event_handler("activity.cancelled")
    def activity_cancelled(self, envelope) -> None:
        self._activity_news(envelope, {"status": "cancelled"})
        self._reschedule(envelope.data["activity_id"], None, envelope.data["title"])

    @event_handler("activity.postponed")
    def activity_postponed(self, envelope) -> None:
        new_start = envelope.data.get("new_starts_at")
        values = ({"status": "published", "starts_at": parse_iso(new_start)} if new_start
                  else {"status": "postponed"})
        self._activity_news(envelope, values)
        self._reschedule(envelope.data["activity_id"], new_start, envelope.data["title"])

    def _reschedule(self, activity_id: str, starts_at: str | None, title: dict) -> None:
        """Registrants' reminders follow the activity's time; none for a cancelled or undated activity."""
        for registration in self.store.registrants_of(activity_id):
            def change(doc: dict) -> None:
                doc["title"] = title
                if starts_at is None:
                    doc["reminder_pending"] = False
                    return
                moved = doc.get("starts_at") != starts_at
                doc["starts_at"], doc["starts_at_time"] = starts_at, parse_iso(starts_at)
                doc["reminder_due_at"] = reminder_due(parse_iso(starts_at), self.settings.reminder_hours)
                if moved and doc.get("status") == "confirmed" and doc["reminder_due_at"] > utcnow():
                    doc["reminder_pending"] = True
            self.store.change_registration(registration["id"], change)

    def _registration_news(self, envelope, status: str) -> None:
        data = envelope.data
        person = data["person"]
        starts = parse_iso(data["starts_at"])
        due = reminder_due(starts, self.settings.reminder_hours)
        self.store.remember_registration(data["registration_id"], {
            "activity_id": data["activity_id"], "person_id": person["person_id"], "email": person["email"],
            "language": person["language"], "status": status, "title": data["title"],
            "starts_at": data["starts_at"], "starts_at_time": starts, "code": data.get("code"),
            "reminder_due_at": due, "reminder_pending": status == "confirmed" and due > utcnow()}, envelope.id)
        if envelope.type != "registration.cancelled" and not self.store.registration_anonymised(
                data["registration_id"]):  # a late event about a forgotten registration tells nobody
            known = self.store.preferences_for([person["person_id"]])
            held = self.store.held_tokens_of([data["registration_id"]])
            notices = audience.registration_notices(envelope.type, envelope.id, data, known,
                                                    self.settings.attendee_link, held.get(data["registration_id"]))
            self._messenger().tell(notices, utcnow())
            self.store.drop_held_tokens(held)  # in the email now (blanked once sent); kept nowhere else
        self.scheduler.kick()

    @event_handler("registration.confirmed")
    def registration_confirmed(self, envelope) -> None:
        self._registration_news(envelope, "confirmed")

    @event_handler("registration.waitlisted")
    def registration_waitlisted(self, envelope) -> None:
        self._registration_news(envelope, "waitlisted")

    @event_handler("registration.promoted")
    def registration_promoted(self, envelope) -> None:
        self._registration_news(envelope, "confirmed")

    @event_handler("registration.cancelled")
    def registration_cancelled(self, envelope) -> None:
        self._registration_news(envelope, "cancelled")

    @event_handler("personal_data.anonymised")
    def personal_data_anonymised(self, envelope) -> None:
        """What notify kept of an activity's registrants (addresses, codes, sent emails) goes too."""
        self.store.anonymise_activity(envelope.data["activity_id"])

    def _partner_news(self, envelope) -> None:
        self._messenger().tell(audience.partner_notices(envelope.type, envelope.id, envelope.data), utcnow())

    @event_handler("partner.review_started")
    def partner_review_started(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("partner.approved")
    def partner_approved(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("partner.rejected")
    def partner_rejected(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("partner.suspended")
    def partner_suspended(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("partner.reinstated")
    def partner_reinstated(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("partner.retired")
    def partner_retired(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("agreement.expiring")
    def agreement_expiring(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("agreement.expired")
    def agreement_expired(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("partner.renewal_due")
    def partner_renewal_due(self, envelope) -> None:
        self._partner_news(envelope)

    @event_handler("activity.organizer_suspended")
    def organizer_suspended(self, envelope) -> None:
        self._messenger().tell(audience.organizer_suspended_notices(envelope.id, envelope.data), utcnow())

    @event_handler("activity.organizer_updated")
    def organizer_updated(self, envelope) -> None:
        self._messenger().tell(audience.organizer_updated_notices(envelope.id, envelope.data), utcnow())

    @event_handler("activity.task_due")
    def task_due(self, envelope) -> None:
        self._messenger().tell(audience.task_due_notices(envelope.id, envelope.data), utcnow())

    @event_handler("survey.invitations_issued")
    def survey_invitations_issued(self, envelope) -> None:
        held = self.store.held_tokens_of(i["invitation_id"] for i in envelope.data["invitations"])
        notices = audience.survey_invitation_notices(envelope.id, envelope.data, self.settings.survey_link, held)
        self._messenger().tell(notices, utcnow())
        self.store.drop_held_tokens(held)  # in the emails now (blanked once sent)

    @event_handler("endpoint.disabled")
    def endpoint_disabled(self, envelope) -> None:
        self._messenger().tell(audience.endpoint_disabled_notices(envelope.id, envelope.data), utcnow())

    @every_event
    def fan_out_webhooks(self, envelope) -> None:
        """One delivery per endpoint whose owner may read the event, in its owner's view (notify.fanout)."""
        activity_id = envelope.data.get("activity_id")
        activity = self.store.activity(activity_id) if activity_id else None
        for delivery in fanout.deliveries_for(envelope, self.store.enabled_endpoints(), activity,
                                              fanout.organizers_from(self.events), utcnow()):
            self.store.add_delivery_once(delivery)  # keyed by event and endpoint: a redelivery adds none

def _activity_values(data: dict, status: str) -> dict:
    return {"status": status, "title": data["title"], "starts_at": parse_iso(data["starts_at"]),
            "venue": data.get("venue"), "themes": data.get("themes", []), "paths": data.get("paths", []),
            "activity_type": data.get("activity_type"),
            "organizer_ids": [o["partner_id"] for o in data.get("organizers", [])]}
