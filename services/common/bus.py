"""The shape of the bus, declared in one place, and a publisher that waits for the broker's confirm.

- ``synergy.events``: topic exchange, routing key = event type. Its alternate exchange ``synergy.unrouted``
  keeps any event that no queue is bound for, so a publish is never silently dropped.
- every handler has its own quorum queue ``synergy.<service>.<method>`` with a delivery limit; a message that
  keeps failing is dead-lettered (at-least-once) through ``synergy.dlx`` into ``synergy.dead-letter``.
"""
from __future__ import annotations

import json
import logging
import threading

import kombu
from kombu import serialization

from services.common.envelope import CONTENT_TYPE, Envelope

log = logging.getLogger(__name__)

EVENTS_EXCHANGE = "synergy.events"
UNROUTED_EXCHANGE = "synergy.unrouted"
UNROUTED_QUEUE = "synergy.unrouted"
DEAD_LETTER_EXCHANGE = "synergy.dlx"
DEAD_LETTER_QUEUE = "synergy.dead-letter"
# Where campus systems with a RabbitMQ user of their own publish straight onto the bus (deploy/rabbitmq/
# definitions.json gives them write access to this exchange only); the events service consumes the queue.
INGRESS_EXCHANGE = "synergy.ingress"
REPLY_QUEUE_PREFIX = "synergy.replies."  # + the RabbitMQ user name: the only queue such a user may read


def reply_queue_of(user: str) -> str:
    """A campus system's reply queue: the only queue the ingress answers it on, the only one it may read."""
    return REPLY_QUEUE_PREFIX + user


# Let kombu (and so nameko) decode structured CloudEvents bodies.
serialization.register(
    "cloudevents", lambda value: json.dumps(value, ensure_ascii=False), json.loads,
    content_type=CONTENT_TYPE, content_encoding="utf-8",
)
ACCEPT = ["json", "cloudevents"]


def events_exchange() -> kombu.Exchange:
    return kombu.Exchange(EVENTS_EXCHANGE, type="topic", durable=True,
                          arguments={"alternate-exchange": UNROUTED_EXCHANGE})


def dead_letter_exchange() -> kombu.Exchange:
    return kombu.Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)


def ingress_exchange() -> kombu.Exchange:
    """Where campus systems publish commands (the events service consumes them); unroutable ones are kept."""
    return kombu.Exchange(INGRESS_EXCHANGE, type="topic", durable=True,
                          arguments={"alternate-exchange": UNROUTED_EXCHANGE})


def handler_queue_name(service: str, method: str) -> str:
    return f"synergy.{service}.{method}"


def quorum_queue(name: str, exchange: kombu.Exchange, routing_key: str, delivery_limit: int) -> kombu.Queue:
    """A durable quorum queue that dead-letters after ``delivery_limit`` redeliveries, losing nothing: at-least-once
    dead-lettering holds only with ``x-overflow: reject-publish`` (else RabbitMQ falls back to at-most-once), and
    a full queue then refuses a publish (the publisher's confirm is a nack) instead of dropping what it holds.

    RabbitMQ cannot redeclare a queue with other arguments: a queue made by an older version must be drained and
    deleted once before the service that declares it starts (docs/architecture.md)."""
    return kombu.Queue(
        name,
        exchange=exchange,
        routing_key=routing_key,
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def handler_queue(service: str, method: str, event_type: str, delivery_limit: int) -> kombu.Queue:
    """The queue of one event handler."""
    return quorum_queue(handler_queue_name(service, method), events_exchange(), event_type, delivery_limit)


def declare_topology(connection: kombu.Connection) -> None:
    """Exchanges, the two safety-net queues and the ingress; idempotent, run by every process at start."""
    with connection.channel() as channel:
        unrouted = kombu.Exchange(UNROUTED_EXCHANGE, type="fanout", durable=True)
        kombu.Queue(UNROUTED_QUEUE, exchange=unrouted, durable=True)(channel).declare()
        events_exchange()(channel).declare()
        kombu.Queue(DEAD_LETTER_QUEUE, exchange=dead_letter_exchange(), routing_key="#",
                    durable=True)(channel).declare()
        ingress_exchange()(channel).declare()


class Publisher:
    """Publishes envelopes persistently and returns only once the broker has confirmed them."""

    def __init__(self, amqp_uri: str):
        self._uri = amqp_uri
        self._lock = threading.Lock()
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def _ensure(self) -> kombu.Producer:
        if self._producer is None:
            self._connection = kombu.Connection(self._uri, transport_options={"confirm_publish": True})
            declare_topology(self._connection)
            self._producer = kombu.Producer(self._connection.channel(), exchange=events_exchange())
        return self._producer

    def publish(self, envelope: Envelope) -> None:
        with self._lock:
            try:
                producer = self._ensure()
                producer.publish(
                    envelope.to_json().encode("utf-8"), routing_key=envelope.type, exchange=events_exchange(),
                    serializer=None, retry=False, **envelope.amqp_properties(),
                )
            except Exception:
                self.close()
                raise

    def close(self) -> None:
        try:
            if self._connection is not None:
                self._connection.release()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail again; nothing to do
            log.debug("closing publisher connection failed", exc_info=True)
        self._connection = None
        self._producer = None
