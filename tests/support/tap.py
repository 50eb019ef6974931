"""A test's own view of the bus: a temporary queue bound to ``synergy.events`` that records what passes."""
from __future__ import annotations

import time

import pika

from services.common.bus import EVENTS_EXCHANGE, UNROUTED_EXCHANGE
from services.common.catalogue import announce
from services.common.envelope import Envelope


class Tap:
    def __init__(self, amqp_uri: str, routing_key: str = "#"):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(UNROUTED_EXCHANGE, "fanout", durable=True)
        self.channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True,
                                      arguments={"alternate-exchange": UNROUTED_EXCHANGE})
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, EVENTS_EXCHANGE, routing_key)
        self.messages: list[tuple[pika.BasicProperties, bytes]] = []

    def drain(self, seconds: float = 0.5) -> list[tuple[pika.BasicProperties, bytes]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.05)
                continue
            self.messages.append((properties, body))
        return self.messages

    def publish(self, routing_key: str, body: bytes, properties: pika.BasicProperties) -> None:
        self.channel.confirm_delivery()
        self.channel.basic_publish(EVENTS_EXCHANGE, routing_key, body, properties)

    def close(self) -> None:
        self.connection.close()


def publish_event(amqp_uri: str, event_type: str, data: dict, subject: str | None = None) -> Envelope:
    """Announce a catalogue-valid event as its producer would (checked strictly), on the real bus."""
    envelope = announce(event_type, data, subject=subject)
    tap = Tap(amqp_uri, routing_key="test.none")
    try:
        tap.publish(event_type, envelope.to_json().encode("utf-8"),
                    pika.BasicProperties(**envelope.amqp_properties()))
    finally:
        tap.close()
    return envelope
