"""Publishing from outside over the bus: campus systems put command envelopes on ``synergy.ingress``.

A campus system publishes (with pika or any AMQP 0-9-1 client) a CloudEvents envelope to the topic exchange
``synergy.ingress`` as its own broker user, with routing key = the command type, ``user_id`` = that user and
optionally ``correlation_id``. Commands:

- ``activity.submit``: ``data`` is exactly the body of ``POST /v1/activities``; the activity is drafted and
  submitted for approval in one write. The activity id is derived from the sender and the envelope id, so a
  redelivered or re-sent request creates nothing new and gets the same answer.
- ``activity.publish``: ``data`` is ``{"activity_id": ...}`` of an approved activity.

Who sends is the broker's word alone: RabbitMQ refuses a ``user_id`` that is not the connection's user, and a
message without one is not executed and not answered (nobody can say whose reply queue is the sender's; it is
logged). The sender acts for the partner its broker user is bound to (``services.common.bus_users``) with exactly
the rights of that partner's API key (``services.common.policy``); a user bound to no partner is refused, and so
is an envelope whose ``partnerid`` extension names another partner. Nothing on the bus acts as the coordination
group.

The answer goes only to the sender's own reply queue ``synergy.replies.<user>`` (default exchange), with the
request's ``correlation_id`` (else its ``message_id``): ``{"status": "accepted", "request_id", "activity_id",
"activity_status"}`` or ``{"status": "refused", "request_id", "title", "detail", "errors"}``. A ``reply_to``
naming any other queue is refused (answered on the sender's own queue; nothing is written elsewhere).
Validation is that of the HTTP path. A request is acknowledged only after its answer is confirmed by the broker;
a failure that is not a refusal (store or management API down) requeues it, and after the delivery limit it is
dead-lettered: never lost, never half-applied.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import partial

import eventlet
import kombu
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer

from services.common import failpoints, ids
from services.common.bus import ingress_exchange, quorum_queue, reply_queue_of
from services.common.bus_users import Bindings, Management, ManagementError
from services.common.config import Settings, env
from services.common.envelope import Envelope, EnvelopeError
from services.common.errors import DECLARED, ConcurrentUpdate, SynergyError
from services.common.handlers import DeadLetteringQueueConsumer, retry_pause
from services.common.validation import JsonRefused, bounded_json

log = logging.getLogger(__name__)

COMMANDS = ("activity.submit", "activity.publish")


def ingress_queue(service: str, delivery_limit: int) -> kombu.Queue:
    return quorum_queue(f"synergy.{service}.ingress", ingress_exchange(), "activity.*", delivery_limit)


@dataclass(frozen=True)
class IngressRequest:
    type: str
    data: dict
    request_id: str
    sender: str
    partner_id: str | None
    correlation_id: str


class Refused(Exception):
    def __init__(self, title: str, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.title, self.detail, self.errors = title, detail, errors or {}


def parse(body: bytes, properties: dict, partner_id: str | None) -> IngressRequest:
    """The request of ``properties["user_id"]`` (checked by the broker), bound to ``partner_id``; ``Refused``
    with the reason otherwise."""
    sender = properties["user_id"]
    try:
        raw = bounded_json(body)
    except JsonRefused as exc:
        raise Refused("Malformed request", f"The body is not acceptable JSON: {exc.detail}") from None
    if isinstance(raw, dict):
        raw.setdefault("correlationid", properties.get("correlation_id") or ids.new_id("cor"))
    try:
        envelope = Envelope.from_dict(raw)
    except EnvelopeError as exc:
        raise Refused("Not an envelope", str(exc)) from None
    if envelope.type not in COMMANDS:
        raise Refused("Unknown command", f"{envelope.type!r} is not one of {', '.join(COMMANDS)}.",
                      {"type": [f"One of {', '.join(COMMANDS)}."]})
    own = reply_queue_of(sender)
    if properties.get("reply_to") not in (None, "", own):
        raise Refused("Wrong reply queue", f"Answers go only to the sender's own reply queue {own}.",
                      {"reply_to": [f"{own} or none."]})
    if partner_id is None:
        raise Refused("Unbound sender", f"Broker user {sender} is bound to no partner: it may not act on the bus "
                      "(the coordination group binds it: synergy bus-access grant).", {"user_id": ["Not bound."]})
    claimed = raw.get("partnerid")
    if claimed is not None and not isinstance(claimed, str):
        raise Refused("Not an envelope", "partnerid must be a partner id.", {"partnerid": ["A partner id."]})
    if claimed is not None and claimed != partner_id:
        raise Refused("Wrong sender", f"Broker user {sender} is bound to {partner_id}, not {claimed}.",
                      {"partnerid": [f"This sender acts for {partner_id} only."]})
    return IngressRequest(type=envelope.type, data=envelope.data, request_id=envelope.id, sender=sender,
                          partner_id=partner_id, correlation_id=envelope.correlationid)


def refusal(request_id: str | None, title: str, detail: str, errors: dict | None = None) -> dict:
    return {"status": "refused", "request_id": request_id, "title": title, "detail": detail, "errors": errors or {}}


class ReplySender:
    """Sends answers to the sender's queue and waits for the broker's confirm."""

    def __init__(self, amqp_uri: str):
        self.uri = amqp_uri
        self.lock = threading.Lock()
        self.connection: kombu.Connection | None = None
        self.producer: kombu.Producer | None = None

    def send(self, reply_to: str, correlation_id: str, answer: dict) -> None:
        with self.lock:
            try:
                if self.producer is None:
                    self.connection = kombu.Connection(self.uri, transport_options={"confirm_publish": True})
                    self.producer = kombu.Producer(self.connection.channel())
                self.producer.publish(json.dumps(answer, ensure_ascii=False).encode(), exchange="",
                                      routing_key=reply_to, serializer=None, content_type="application/json",
                                      content_encoding="utf-8", correlation_id=correlation_id, retry=False)
            except Exception:
                self.close()
                raise

    def close(self) -> None:
        try:
            if self.connection is not None:
                self.connection.release()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; nothing to do
            log.debug("closing reply connection failed", exc_info=True)
        self.connection = self.producer = None


def answer(replies: ReplySender, message, reply: dict) -> None:
    """To the sender's own reply queue only (whatever ``reply_to`` says); a message without a sender, nowhere."""
    sender = message.properties.get("user_id")
    if not sender:
        log.warning("ingress message %s carries no user_id: not executed, not answered",
                    message.properties.get("message_id"))
        return
    correlation = message.properties.get("correlation_id") or message.properties.get("message_id") or ""
    replies.send(reply_queue_of(sender), correlation, reply)


class IngressQueueConsumer(DeadLetteringQueueConsumer):
    """A body the broker's content type says is JSON but is not: answered as refused, not silently dropped."""

    def on_decode_error(self, message, exc):
        if not hasattr(self, "replies"):
            self.replies = ReplySender(Settings.from_env().amqp_uri)
        try:
            answer(self.replies, message, refusal(message.properties.get("message_id"), "Malformed request",
                                                  f"The body is not JSON: {exc}"))
            message.ack()
        except Exception:  # noqa: BLE001 - no answer possible: keep the message in the dead letters
            log.exception("could not answer an undecodable ingress request")
            message.reject(requeue=False)


class IngressConsumer(Consumer):
    """The entrypoint: the decorated method receives an ``IngressRequest`` and returns the accepted answer."""

    queue_consumer = IngressQueueConsumer()

    def __init__(self, **kwargs):
        super().__init__(queue=None, requeue_on_error=True, expected_exceptions=DECLARED, **kwargs)

    def setup(self):
        settings = Settings.from_env()
        self.queue = ingress_queue(self.container.service_name, settings.event_delivery_limit)
        self.replies = ReplySender(settings.amqp_uri)
        self.bindings = Bindings(Management.for_broker(settings.amqp_uri, env("RABBITMQ_MANAGEMENT_URL")))
        super().setup()

    def stop(self):
        super().stop()
        self.replies.close()

    def _answer(self, message, reply: dict) -> None:
        answer(self.replies, message, reply)

    def _try_later(self, message, request_id: str | None, failure: BaseException) -> None:
        """Not answered: the request goes back after a pause and is tried again (dead-lettered at the limit)."""
        count = int(message.headers.get("x-delivery-count", 0) or 0)
        log.warning("ingress request %s failed (delivery %d): %s", request_id, count + 1, failure)
        eventlet.sleep(retry_pause(count))
        self.queue_consumer.requeue_message(message)

    def handle_message(self, body, message):
        sender = message.properties.get("user_id")
        if not sender:  # who sent it is unknown: nothing to execute, nobody to answer
            log.warning("ingress message %s carries no user_id: not executed, not answered",
                        message.properties.get("message_id"))
            self.queue_consumer.ack_message(message)
            return
        try:
            request = parse(message.body, message.properties, self.bindings.partner_of(sender))
        except ManagementError as exc:
            self._try_later(message, message.properties.get("message_id"), exc)
            return
        except Refused as exc:
            try:
                self._answer(message, refusal(message.properties.get("message_id"), exc.title, exc.detail,
                                              exc.errors))
                self.queue_consumer.ack_message(message)
            except Exception as failure:  # noqa: BLE001 - the answer could not be sent: try again later
                self._try_later(message, message.properties.get("message_id"), failure)
            return
        context_data = {"correlation_id": request.correlation_id}
        try:
            self.container.spawn_worker(self, (request,), {}, context_data=context_data,
                                        handle_result=partial(self.handle_result, message, request))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, request, worker_ctx, result=None, exc_info=None):
        exc = exc_info[1] if exc_info else None
        failpoints.reach("ingress.before_answer")
        try:
            if exc is None:
                self._answer(message, result)
            elif isinstance(exc, SynergyError) and not isinstance(exc, ConcurrentUpdate):
                errors = exc.details.get("errors") or ({exc.details["field"]: [exc.message]}
                                                       if "field" in exc.details else {})
                self._answer(message, refusal(request.request_id, exc.title, exc.message, errors))
            else:
                raise exc
            self.queue_consumer.ack_message(message)
        except Exception as failure:  # noqa: BLE001 - not answered: the request goes back and is tried again
            self._try_later(message, request.request_id, failure)
        return result, exc_info


ingress_handler = IngressConsumer.decorator
