"""Publishing from outside over the bus: campus systems put command envelopes on ``synergy.ingress``.

A campus system publishes (with pika or any AMQP 0-9-1 client) a CloudEvents envelope to the topic exchange
``synergy.ingress`` with routing key = the command type, ``reply_to`` = its own queue and optionally
``correlation_id``. Commands:

- ``activity.submit``: ``data`` is exactly the body of ``POST /v1/activities``; the activity is drafted and
  submitted for approval in one write. The activity id is derived from the sender and the envelope id, so a
  redelivered or re-sent request creates nothing new and gets the same answer.
- ``activity.publish``: ``data`` is ``{"activity_id": ...}`` of an approved activity.

The answer goes to ``reply_to`` (default exchange), with the request's ``correlation_id`` (else its
``message_id``): ``{"status": "accepted", "request_id", "activity_id", "activity_status"}`` or
``{"status": "refused", "request_id", "title", "detail", "errors"}``. Validation is that of the HTTP path.
A request is acknowledged only after its answer is confirmed by the broker; a failure that is not a refusal
(store down) requeues it, and after the delivery limit it is dead-lettered: never lost, never half-applied.

When RabbitMQ's validated ``user_id`` property names a user bound to a partner (``INGRESS_PARTNERS``), the
request acts as that partner: it may submit only activities that partner leads, and publish only those; an
envelope whose ``partnerid`` extension names another partner is refused. An unbound sender that names a
``partnerid`` acts as that partner (never with more rights than the coordination group's own systems).
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
from services.common.bus import DEAD_LETTER_EXCHANGE, ingress_exchange
from services.common.config import Settings, env
from services.common.envelope import Envelope, EnvelopeError
from services.common.errors import DECLARED, ConcurrentUpdate, SynergyError
from services.common.handlers import DeadLetteringQueueConsumer, retry_pause

log = logging.getLogger(__name__)

COMMANDS = ("activity.submit", "activity.publish")


def ingress_queue(service: str, delivery_limit: int) -> kombu.Queue:
    return kombu.Queue(
        f"synergy.{service}.ingress", exchange=ingress_exchange(), routing_key="activity.*", durable=True,
        queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": delivery_limit,
                         "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE, "x-dead-letter-strategy": "at-least-once"})


def bound_partners(text: str | None = None) -> dict[str, str]:
    """``INGRESS_PARTNERS``: ``user:prt_…`` pairs separated by commas."""
    text = env("INGRESS_PARTNERS") if text is None else text
    pairs = [item.split(":", 1) for item in text.split(",") if ":" in item]
    return {user.strip(): partner.strip() for user, partner in pairs if user.strip() and partner.strip()}


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


def parse(body: bytes, properties: dict, partners: dict[str, str]) -> IngressRequest:
    try:
        raw = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise Refused("Malformed request", f"The body is not JSON: {exc}") from None
    if isinstance(raw, dict):
        raw.setdefault("correlationid", properties.get("correlation_id") or ids.new_id("cor"))
    try:
        envelope = Envelope.from_dict(raw)
    except EnvelopeError as exc:
        raise Refused("Not an envelope", str(exc)) from None
    if envelope.type not in COMMANDS:
        raise Refused("Unknown command", f"{envelope.type!r} is not one of {', '.join(COMMANDS)}.",
                      {"type": [f"One of {', '.join(COMMANDS)}."]})
    sender = properties.get("user_id") or ""
    bound, claimed = partners.get(sender), raw.get("partnerid")
    if claimed is not None and not isinstance(claimed, str):
        raise Refused("Not an envelope", "partnerid must be a partner id.", {"partnerid": ["A partner id."]})
    if bound and claimed and claimed != bound:
        raise Refused("Wrong sender", f"Broker user {sender} is bound to {bound}, not {claimed}.",
                      {"partnerid": [f"This sender acts for {bound} only."]})
    return IngressRequest(type=envelope.type, data=envelope.data, request_id=envelope.id, sender=sender,
                          partner_id=bound or claimed or None, correlation_id=envelope.correlationid)


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
    reply_to = message.properties.get("reply_to")
    if not reply_to:
        log.info("ingress request %s has no reply_to; answer: %s", reply.get("request_id"), reply["status"])
        return
    correlation = message.properties.get("correlation_id") or message.properties.get("message_id") or ""
    replies.send(reply_to, correlation, reply)


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
        self.partners = bound_partners()
        super().setup()

    def stop(self):
        super().stop()
        self.replies.close()

    def _answer(self, message, reply: dict) -> None:
        answer(self.replies, message, reply)

    def handle_message(self, body, message):
        try:
            request = parse(message.body, message.properties, self.partners)
        except Refused as exc:
            try:
                self._answer(message, refusal(message.properties.get("message_id"), exc.title, exc.detail,
                                              exc.errors))
                self.queue_consumer.ack_message(message)
            except Exception:  # noqa: BLE001 - the answer could not be sent: try again later
                log.exception("could not answer a refused ingress request")
                self.queue_consumer.requeue_message(message)
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
            count = int(message.headers.get("x-delivery-count", 0) or 0)
            log.warning("ingress request %s failed (delivery %d): %s", request.request_id, count + 1, failure)
            eventlet.sleep(retry_pause(count))
            self.queue_consumer.requeue_message(message)
        return result, exc_info


ingress_handler = IngressConsumer.decorator
