"""Publishing straight onto Synergy's ingress exchange, for campus systems that speak AMQP.

    from synergy_client.bus import BusPublisher
    with BusPublisher("amqp://youth-league:…@broker:5672/", source="/campus/youth-league") as bus:
        answer = bus.request("activity.submit", draft, timeout=30)   # the ingress's reply, decoded

The URI's user is the system's own broker user (``synergy bus-access grant``, docs/activities.md). Each message
is a CloudEvents 1.0 envelope in structured mode, exactly as the services publish them
(``services.common.envelope``, docs/envelope.md), published persistently with a publisher confirm and
``mandatory`` (an exchange that routes it nowhere is an error, not a silent drop), with ``user_id`` = that user
(the broker checks it; Synergy's ingress executes nothing without it), ``reply_to`` naming the reply queue
and ``correlation_id`` equal to the envelope's ``correlationid``. Synergy's ingress answers only on the sender's
own reply queue ``synergy.replies.<user>``, which is the default on ``synergy.ingress``; on another exchange the
default is an exclusive queue of this publisher. A reply is any message on that queue with the same correlation
id. A lost connection is reopened with exponential
backoff and jitter and the same envelope (same id: the ingress deduplicates by it) is published again.
"""
from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pika
from pika.exceptions import AMQPChannelError, AMQPConnectionError, NackError, UnroutableError

from services.common import ids
from services.common.envelope import Envelope
from synergy_client.errors import SynergyClientError

log = logging.getLogger(__name__)

INGRESS_EXCHANGE = "synergy.ingress"
REPLY_QUEUE_PREFIX = "synergy.replies."
PROBLEM = "application/problem+json"


def broker_user(amqp_uri: str) -> str:
    return unquote(urlsplit(amqp_uri).username or "guest")


def own_reply_queue(amqp_uri: str) -> str:
    """The reply queue of the URI's broker user: the only one Synergy's ingress answers it on."""
    return REPLY_QUEUE_PREFIX + broker_user(amqp_uri)


class BusError(SynergyClientError):
    """The broker refused or could not take the message."""


class Unroutable(BusError):
    """The ingress exchange routed the message to no queue (no consumer bound for its type)."""


class IngressMissing(BusError):
    """The ingress exchange does not exist on this broker (or the user may not publish to it)."""


class ReplyTimeout(BusError):
    """No reply came within the time allowed. The message itself was confirmed by the broker."""

    def __init__(self, envelope_id: str, timeout: float):
        super().__init__(f"no reply to {envelope_id} within {timeout:g}s (the message was confirmed)")
        self.envelope_id = envelope_id


class Refused(BusError):
    """The ingress answered with a problem document (RFC 9457)."""

    def __init__(self, problem: dict[str, Any]):
        self.problem = problem
        super().__init__(f"{problem.get('status', '')} {problem.get('title', 'refused')}: "
                         f"{problem.get('detail', '')}".strip())


@dataclass
class BusReply:
    correlation_id: str
    body: Any
    properties: pika.BasicProperties


def is_refusal(answer: BusReply) -> bool:
    """A problem document (by content type, or by a 4xx/5xx ``status`` with a ``title``),
    ``{"status": "refused", ...}`` or ``{"accepted": false, ...}``."""
    body = answer.body
    if answer.properties.content_type == PROBLEM:
        return True
    if not isinstance(body, dict):
        return False
    if body.get("accepted") is False or body.get("status") == "refused":
        return True
    return isinstance(body.get("status"), int) and body["status"] >= 400 and "title" in body


def envelope_for(event_type: str, data: dict[str, Any], *, source: str, subject: str | None = None,
                 correlation_id: str | None = None) -> Envelope:
    return Envelope(type=event_type, source=source, data=data, subject=subject,
                    correlationid=correlation_id or ids.new_id("cor"))


class BusPublisher:
    def __init__(self, amqp_uri: str, *, source: str, exchange: str = INGRESS_EXCHANGE,
                 reply_queue: str | None = None, reconnect_attempts: int = 5, backoff_base: float = 0.5,
                 backoff_cap: float = 10.0, rng: random.Random | None = None):
        """``reply_queue``: the queue answers come to; by default the user's own ``synergy.replies.<user>`` on
        Synergy's ingress, else an exclusive queue declared per connection."""
        self.amqp_uri = amqp_uri
        self.source = source
        self.exchange = exchange
        self.named_reply_queue = reply_queue or (own_reply_queue(amqp_uri) if exchange == INGRESS_EXCHANGE else None)
        self.user = broker_user(amqp_uri)
        self.reconnect_attempts = reconnect_attempts
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.rng = rng or random.Random()
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._reply_queue: str | None = None
        self._replies: dict[str, BusReply] = {}
        self.connections_opened = 0

    def __repr__(self) -> str:
        return f"BusPublisher(exchange={self.exchange!r})"  # never the URI: it carries the password

    def __enter__(self) -> BusPublisher:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- connection ----

    def connect(self) -> None:
        """Open the connection, a confirming channel and the exclusive reply queue (retrying with backoff)."""
        for attempt in range(self.reconnect_attempts):
            try:
                self._open()
                return
            except AMQPChannelError as exc:
                self.close()
                raise BusError(f"the broker refused the reply queue: {exc}") from None
            except AMQPConnectionError as exc:
                if attempt == self.reconnect_attempts - 1:
                    raise BusError(f"cannot reach the broker: {type(exc).__name__}") from None
                wait = self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))
                log.warning("broker unreachable (%s); retrying in %.1fs", type(exc).__name__, wait)
                time.sleep(wait)

    def _open(self) -> None:
        self.close()
        self.connections_opened += 1
        self._connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
        self._channel = self._connection.channel()
        self._channel.confirm_delivery()
        if self.named_reply_queue:
            self._reply_queue = self.named_reply_queue
        else:
            self._reply_queue = self._channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self._channel.basic_consume(self._reply_queue, self._on_reply, auto_ack=True)

    def _on_reply(self, channel, method, properties: pika.BasicProperties, body: bytes) -> None:
        if not properties.correlation_id:
            return
        try:
            decoded: Any = json.loads(body) if body else None
        except ValueError:
            decoded = body.decode("utf-8", "replace")
        self._replies[properties.correlation_id] = BusReply(properties.correlation_id, decoded, properties)

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.close()
            except AMQPConnectionError:
                pass
        self._connection = self._channel = self._reply_queue = None

    def poll(self, seconds: float = 0.0) -> None:
        """Let the connection do its I/O for a moment: take replies, notice a connection the broker closed."""
        if not self.connected:
            return
        try:
            self._connection.process_data_events(time_limit=seconds)
        except AMQPConnectionError:
            self.close()

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.is_open and self._channel.is_open

    # ---- publishing ----

    def publish(self, envelope: Envelope, *, reply: bool = True) -> None:
        """Publish one envelope and wait for the broker's confirm; reconnects and republishes when the
        connection is lost on the way."""
        for attempt in range(self.reconnect_attempts):
            if not self.connected:
                self.connect()
            properties = pika.BasicProperties(**envelope.amqp_properties(), user_id=self.user,
                                              reply_to=self._reply_queue if reply else None)
            try:
                self._channel.basic_publish(self.exchange, envelope.type, envelope.to_json().encode("utf-8"),
                                            properties, mandatory=True)
                return
            except UnroutableError:
                raise Unroutable(f"{self.exchange} routed {envelope.type} nowhere") from None
            except NackError:
                raise BusError(f"the broker refused {envelope.id}") from None
            except AMQPChannelError as exc:
                self.close()
                raise IngressMissing(f"cannot publish to {self.exchange}: {exc}") from None
            except AMQPConnectionError as exc:
                self.close()
                if attempt == self.reconnect_attempts - 1:
                    raise BusError(f"connection lost while publishing: {type(exc).__name__}") from None
                time.sleep(self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt)))

    def wait_for_reply(self, correlation_id: str, timeout: float) -> BusReply:
        deadline = time.monotonic() + timeout
        while correlation_id not in self._replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReplyTimeout(correlation_id, timeout)
            self._connection.process_data_events(time_limit=min(left, 0.5))
        return self._replies.pop(correlation_id)

    def request(self, event_type: str, data: dict[str, Any], *, subject: str | None = None,
                timeout: float = 30.0, correlation_id: str | None = None) -> Any:
        """Publish an event and return the decoded reply; raise ``Refused`` when the reply is a problem."""
        envelope = envelope_for(event_type, data, source=self.source, subject=subject,
                                correlation_id=correlation_id)
        answer = None
        for attempt in range(self.reconnect_attempts):
            self.publish(envelope)
            try:
                answer = self.wait_for_reply(envelope.correlationid, timeout)
                break
            except AMQPConnectionError:
                # the reply queue went with the connection: publish the same envelope (same id) again
                self.close()
                if attempt == self.reconnect_attempts - 1:
                    raise BusError(f"connection lost while waiting for the reply to {envelope.id}") from None
        if is_refusal(answer):
            raise Refused(answer.body if isinstance(answer.body, dict) else {"detail": str(answer.body)})
        return answer.body

    def send(self, event_type: str, data: dict[str, Any], *, subject: str | None = None) -> Envelope:
        """Publish without waiting for a reply (the broker's confirm is still awaited)."""
        envelope = envelope_for(event_type, data, source=self.source, subject=subject)
        self.publish(envelope, reply=False)
        return envelope
