"""What a campus system does to publish a joint activity over the bus: a small pika client of the ingress.

    client = IngressClient("amqp://guest:guest@127.0.0.1:5672/")
    answer = client.ask("activity.submit", {...the body of POST /v1/activities...})
    # {"status": "accepted", "activity_id": "act_…", "activity_status": "submitted", ...}
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pika

INGRESS_EXCHANGE = "synergy.ingress"


def envelope(command: str, data: dict, request_id: str | None = None, source: str = "/campus/portal",
             partner_id: str | None = None) -> dict:
    message = {"specversion": "1.0", "id": request_id or f"req_{uuid.uuid4().hex}", "source": source,
               "type": command, "time": datetime.now(UTC).isoformat(), "datacontenttype": "application/json",
               "data": data}
    if partner_id:
        message["partnerid"] = partner_id  # CloudEvents extension: the partner the sender acts for
    return message


class IngressClient:
    def __init__(self, amqp_uri: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.reply_queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue

    def send(self, body: bytes, routing_key: str, *, user_id: str | None = None) -> str:
        correlation_id = uuid.uuid4().hex
        properties = pika.BasicProperties(content_type="application/cloudevents+json", delivery_mode=2,
                                          reply_to=self.reply_queue, correlation_id=correlation_id,
                                          user_id=user_id)
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

    def ask(self, command: str, data: dict, *, request_id: str | None = None, user_id: str | None = None,
            partner_id: str | None = None) -> dict:
        message = envelope(command, data, request_id, partner_id=partner_id)
        return self.answer(self.send(json.dumps(message).encode(), command, user_id=user_id))

    def close(self) -> None:
        self.connection.close()
