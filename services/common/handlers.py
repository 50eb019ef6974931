"""``event_handler``: nameko's event consumer, made safe for at-least-once work.

nameko's own handler acks and drops a message whose handler raised. This one instead consumes from a quorum
queue with a delivery limit and a dead-letter exchange (bus.handler_queue), requeues on error after a short
growing pause, and so dead-letters a message once the limit is reached. A message that is not a valid
envelope or whose data breaks the catalogue can never succeed: it is rejected straight to the dead letters.
The handler method receives the ``Envelope``; its worker runs under the envelope's correlation id.
"""
from __future__ import annotations

import logging
from functools import partial

import eventlet
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from services.common import metrics
from services.common.bus import handler_queue
from services.common.catalogue import UnknownEventType, check_data
from services.common.config import Settings
from services.common.envelope import Envelope, EnvelopeError

log = logging.getLogger(__name__)


def retry_pause(delivery_count: int) -> float:
    """Seconds to wait before a failed message goes back to its queue."""
    return min(0.05 * (2 ** delivery_count), 2.0)


class DeadLetteringQueueConsumer(QueueConsumer):
    """kombu acks (drops) a message it cannot decode; here it is rejected to the dead letters instead."""

    def on_decode_error(self, message, exc):
        log.error("dead-lettering undecodable message %s: %s", message.properties.get("message_id"), exc)
        message.reject(requeue=False)


class EventHandler(Consumer):
    queue_consumer = DeadLetteringQueueConsumer()

    def __init__(self, event_type: str, **kwargs):
        self.event_type = event_type
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self):
        settings = Settings.from_env()
        self.queue = handler_queue(self.container.service_name, self.method_name, self.event_type,
                                   settings.event_delivery_limit)
        super().setup()

    def handle_message(self, body, message):
        try:
            envelope = Envelope.from_body(message.body)
            if envelope.type != self.event_type:
                raise EnvelopeError(f"type {envelope.type!r} on the queue of {self.event_type!r}")
            check_data(envelope.type, envelope.data, producing=False)
        except (EnvelopeError, ValidationError, UnknownEventType) as exc:
            log.error("dead-lettering message %s: %s", message.properties.get("message_id"), exc)
            metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.event_type, "dead_lettered").inc()
            message.reject(requeue=False)
            return
        context_data = {"correlation_id": envelope.correlationid, "event_id": envelope.id}
        try:
            self.container.spawn_worker(self, (envelope,), {}, context_data=context_data,
                                        handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.event_type, "handled").inc()
            self.queue_consumer.ack_message(message)
            return
        metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.event_type, "failed").inc()
        count = int(message.headers.get("x-delivery-count", 0) or 0)
        log.warning("handler %s failed on %s (delivery %d): %s", self.method_name,
                    message.properties.get("message_id"), count + 1, exc_info[1])
        eventlet.sleep(retry_pause(count))
        self.queue_consumer.requeue_message(message)


event_handler = EventHandler.decorator
