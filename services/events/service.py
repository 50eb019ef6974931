"""The events service's entrypoints: RPC for the gateway and other services, events, the clock, the ingress."""
from __future__ import annotations

import logging

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.timer import timer

from services.common.config import Settings, env
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.policy import EVERYTHING, Reader
from services.common.service import ServiceBase, rpc
from services.events import bus_commands
from services.events.domain import Actor
from services.events.ingress import IngressRequest, ingress_handler
from services.events.store import EventsStore
from services.events.usecases import EventsApp

log = logging.getLogger(__name__)
HAND_OVER_TIMEOUT = 10  # seconds: a stopped notify must not hold registrations up


class _Injected:
    """Another dependency of the same worker, looked up when used (dependencies are injected in any order)."""

    def __init__(self, service, name: str):
        self._service, self._name = service, name

    def __getattr__(self, attr):
        return getattr(getattr(self._service, self._name), attr)


class App(DependencyProvider):
    """The use cases, over this worker's store and partners proxy."""

    def setup(self):
        self.settings = Settings.from_env()
        self.retention_days = int(env("PERSONAL_DATA_RETENTION_DAYS"))
        self.task_reminder_days = float(env("TASK_REMINDER_DAYS"))
        self.venue_holds_per_partner = int(env("VENUE_HOLDS_PER_PARTNER"))

    def get_dependency(self, worker_ctx):
        service = worker_ctx.service
        return EventsApp(_Injected(service, "store"), _Injected(service, "partners"),
                         display_timezone=self.settings.display_timezone, retention_days=self.retention_days,
                         task_reminder_days=self.task_reminder_days,
                         venue_holds_per_partner=self.venue_holds_per_partner)


def reader_of(raw: dict | None) -> Reader:
    """The reader the gateway names for a request; none named: a service (or a test) asking for itself."""
    return EVERYTHING if raw is None else Reader.of(raw)


class EventsService(ServiceBase):
    name = "events"

    store: EventsStore = ServiceDatabase(EventsStore)
    outbox = OutboxRelay("activities", "rosters", "venues")
    partners = RpcProxy("partners")
    notify = RpcProxy("notify")
    app: EventsApp = App()

    # joint activities
    @rpc
    def create_activity(self, payload: dict, actor: dict | None = None) -> dict:
        return self.app.create(payload, Actor.of(actor))

    @rpc
    def add_occurrence(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.add_occurrence(activity_id, payload, Actor.of(actor))

    @rpc
    def get_activity(self, activity_id: str, reader: dict | None = None) -> dict:
        """The activity as ``reader`` (``policy.Reader.as_dict``) sees it; whole when a service asks for itself."""
        return self.app.get(activity_id, reader_of(reader))

    @rpc
    def edit_activity(self, activity_id: str, payload: dict, actor: dict | None = None,
                      expected_rev: int | None = None) -> dict:
        """Edit; with ``expected_rev`` only if the activity is still at that revision (else ``PreconditionFailed``)."""
        return self.app.edit(activity_id, payload, Actor.of(actor), expected_rev)

    @rpc
    def organizers_of(self, activity_id: str) -> list[dict]:
        """Who organizes an activity: ``[{partner_id, role}]`` (the gateway's policy asks, to scope partner keys)."""
        return self.app.organizers_of(activity_id)

    @rpc
    def submit_activity(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.submit(activity_id, Actor.of(actor))

    @rpc
    def approve_activity(self, activity_id: str, payload: dict | None = None, actor: dict | None = None) -> dict:
        return self.app.approve(activity_id, payload or {}, Actor.of(actor))

    @rpc
    def return_activity(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.return_for_changes(activity_id, payload, Actor.of(actor))

    @rpc
    def publish_activity(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.publish(activity_id, Actor.of(actor))

    @rpc
    def start_activity(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.start(activity_id, Actor.of(actor))

    @rpc
    def complete_activity(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.complete(activity_id, Actor.of(actor))

    @rpc
    def archive_activity(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.archive(activity_id, Actor.of(actor))

    @rpc
    def cancel_activity(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.cancel(activity_id, payload, Actor.of(actor))

    @rpc
    def postpone_activity(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.postpone(activity_id, payload, Actor.of(actor))

    @rpc
    def add_co_organizer(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.add_co_organizer(activity_id, payload, Actor.of(actor))

    @rpc
    def set_contributions(self, activity_id: str, partner_id: str, payload: dict, actor: dict | None = None,
                          expected_rev: int | None = None) -> dict:
        return self.app.set_contributions(activity_id, partner_id, payload, Actor.of(actor), expected_rev)

    @rpc
    def set_tasks(self, activity_id: str, partner_id: str, payload: dict, actor: dict | None = None,
                  expected_rev: int | None = None) -> dict:
        return self.app.set_tasks(activity_id, partner_id, payload, Actor.of(actor), expected_rev)

    @rpc
    def list_activities(self, query: dict | None = None, reader: dict | None = None) -> dict:
        return self.app.listing(query, reader_of(reader))

    @rpc
    def calendar(self, query: dict | None = None) -> str:
        return self.app.calendar(query)

    # venues
    @rpc
    def register_venue(self, payload: dict) -> dict:
        return self.app.register_venue(payload)

    @rpc
    def get_venue(self, venue_id: str, reader: dict | None = None) -> dict:
        return self.app.venue(venue_id, reader_of(reader))

    @rpc
    def list_venues(self) -> dict:
        return self.app.venues()

    # registration and attendance
    @rpc
    def register(self, activity_id: str, payload: dict) -> dict:
        return self.app.register(activity_id, payload, hand_over=self._hand_over_token)

    def _hand_over_token(self, registration_id: str, token: str) -> None:
        """The attendee token goes to notify by RPC, for the confirmation email only: never into an event (the
        outbox and dead letters would keep it). Without notify the registration still answers with its token."""
        try:
            with eventlet.Timeout(HAND_OVER_TIMEOUT):
                self.notify.hold_tokens({registration_id: token})
        except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - the email then comes without its link
            log.warning("attendee token of %s not handed to notify: %s", registration_id, type(exc).__name__)

    @rpc
    def get_registration(self, activity_id: str, registration_id: str) -> dict:
        return self.app.registration(activity_id, registration_id)

    @rpc
    def cancel_registration(self, activity_id: str, registration_id: str) -> dict:
        return self.app.cancel_registration(activity_id, registration_id)

    @rpc
    def attendee_of(self, token_hash: str) -> dict | None:
        """The registration an attendee token opens, by the token's hash (the token itself never travels here):
        ``{activity_id, registration_id}``, or None (the gateway authenticates attendees by it)."""
        return self.app.attendee_of(token_hash)

    @rpc
    def registrations(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.registrations(activity_id, Actor.of(actor))

    @rpc
    def check_in(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.check_in(activity_id, payload, Actor.of(actor))

    # volunteers
    @rpc
    def add_volunteer_role(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.add_role(activity_id, payload, Actor.of(actor))

    @rpc
    def add_volunteer_shift(self, activity_id: str, payload: dict, actor: dict | None = None) -> dict:
        return self.app.add_shift(activity_id, payload, Actor.of(actor))

    @rpc
    def volunteer_shifts(self, activity_id: str) -> dict:
        return self.app.shifts(activity_id)

    @rpc
    def volunteering(self, activity_id: str, actor: dict | None = None) -> dict:
        return self.app.volunteering(activity_id, Actor.of(actor))

    @rpc
    def sign_up_volunteer(self, activity_id: str, payload: dict) -> dict:
        return self.app.sign_up(activity_id, payload)

    @rpc
    def cancel_volunteer_sign_up(self, activity_id: str, signup_id: str) -> dict:
        return self.app.cancel_sign_up(activity_id, signup_id)

    @rpc
    def confirm_volunteer_hours(self, activity_id: str, signup_id: str, payload: dict,
                                actor: dict | None = None) -> dict:
        return self.app.confirm_hours(activity_id, signup_id, payload, Actor.of(actor))

    # people
    @rpc
    def participation(self, person_id: str) -> dict:
        return self.app.participation(person_id)

    @rpc
    def participation_export(self, query: dict | None = None) -> dict:
        """Everyone's participation over a date range or term, cursor paged (the transcript system's export)."""
        return self.app.participation_export(query)

    @rpc
    def participation_csv(self, query: dict | None = None) -> str:
        return self.app.participation_csv(query)

    @rpc
    def survey_recipients(self, activity_id: str) -> list[dict]:
        """For evaluation: checked-in registrants and confirmed volunteers, [{person_id, email, language}]."""
        return self.app.survey_recipients(activity_id)

    # the partner read model, fed by partners' events
    @event_handler("partner.registered")
    def learn_partner(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.updated")
    def partner_updated(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.review_started")
    def partner_review_started(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.approved")
    def partner_approved(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.rejected")
    def partner_rejected(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.suspended")
    def partner_suspended(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.reinstated")
    def partner_reinstated(self, envelope) -> None:
        self.app.partner_changed(envelope)

    @event_handler("partner.retired")
    def partner_retired(self, envelope) -> None:
        self.app.partner_changed(envelope)

    # the clock
    @timer(interval=float(env("EVENTS_SWEEP_SECONDS")))
    def sweep(self) -> None:
        self.app.sweep()

    @timer(interval=float(env("TASK_REMINDER_CHECK_SECONDS")))
    def remind_tasks_regularly(self) -> None:
        """Safe on any number of instances: each reminder is marked in the same write as its event."""
        announced = self.app.remind_tasks()
        if announced:
            log.info("task reminders announced: %d", announced)

    # campus systems publishing over the bus
    @ingress_handler
    def ingress(self, request: IngressRequest) -> dict:
        return bus_commands.run(self.app, request)
