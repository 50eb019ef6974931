"""What a campus system does to publish a joint activity over the bus: a small pika client of the ingress.

    client = IngressClient("amqp://museum-ticketing:…@127.0.0.1:5672/")   # its own broker user
    answer = client.ask("activity.submit", {...the body of POST /v1/activities...})
    # {"status": "accepted", "activity_id": "act_…", "activity_status": "submitted", ...}

It sends as a well-behaved system does: ``user_id`` = its broker user (RabbitMQ checks it), ``reply_to`` = its
own reply queue ``synergy.replies.<user>`` (the only queue the ingress answers on), and reads that queue. A test
may leave either out (``None``) or name another one to play a hostile sender.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pika

INGRESS_EXCHANGE = "synergy.ingress"
REPLY_QUEUE_PREFIX = "synergy.replies."
OWN = "(own)"  # default of user_id and reply_to: the sender's own user and reply queue


def envelope(command: str, data: dict, request_id: str | None = None, source: str = "/campus/portal",
             partner_id: str | None = None) -> dict:
    message = {"specversion": "1.0", "id": request_id or f"req_{uuid.uuid4().hex}", "source": source,
               "type": command, "time": datetime.now(UTC).isoformat(), "datacontenttype": "application/json",
               "data": data}
    if partner_id:
        message["partnerid"] = partner_id  # CloudEvents extension: the partner the sender acts for
    return message


class IngressClient:
    def __init__(self, amqp_uri: str, reply_queue: str | None = None):
        self.user = unquote(urlsplit(amqp_uri).username or "guest")
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.reply_queue = reply_queue or REPLY_QUEUE_PREFIX + self.user

    def send(self, body: bytes, routing_key: str, *, user_id: str | None = OWN, reply_to: str | None = OWN) -> str:
        correlation_id = uuid.uuid4().hex
        properties = pika.BasicProperties(content_type="application/cloudevents+json", delivery_mode=2,
                                          reply_to=self.reply_queue if reply_to == OWN else reply_to,
                                          correlation_id=correlation_id,
                                          user_id=self.user if user_id == OWN else user_id)
        self.channel.basic_publish(INGRESS_EXCHANGE, routing_key, body, properties, mandatory=True)
        return correlation_id

    def answer(self, correlation_id: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get(self.reply_queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.1)
            elif properties.correlation_id == correlation_id:
                return json.loads(body)
        raise TimeoutError(f"no answer to {correlation_id} within {timeout}s")

    def waiting(self) -> list[dict]:
        """Every answer waiting on the reply queue now (taken off it)."""
        found = []
        while True:
            method, _, body = self.channel.basic_get(self.reply_queue, auto_ack=True)
            if method is None:
                return found
            found.append(json.loads(body))

    def ask(self, command: str, data: dict, *, request_id: str | None = None, user_id: str | None = OWN,
            partner_id: str | None = None, reply_to: str | None = OWN, timeout: float = 20.0) -> dict:
        message = envelope(command, data, request_id, partner_id=partner_id)
        return self.answer(self.send(json.dumps(message).encode(), command, user_id=user_id, reply_to=reply_to),
                           timeout)

    def close(self) -> None:
        self.connection.close()
