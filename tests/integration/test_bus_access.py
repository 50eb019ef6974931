"""A campus system's RabbitMQ user, made in the test's own vhost by the same command as operators use
(``deploy.bus_access.grant``): it may publish to the ingress exchange and read its own reply queue, and nothing
else; nor may it claim to be another user (RabbitMQ checks the ``user_id`` property, on which the events service
relies)."""
from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import kombu
import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from deploy import bus_access
from services.common.bus import DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, INGRESS_EXCHANGE, declare_topology
from tests.support import broker

pytestmark = pytest.mark.broker

INGRESS_TAP = "synergy.test.ingress-tap"  # stands in for the events service's own ingress queue
PARTNER = "prt_" + "0123456789abcdefghjkmnpqrs"


@pytest.fixture
def campus_user(vhost_uri):
    """A campus user granted on the test's vhost, revoked at the end."""
    with kombu.Connection(vhost_uri) as connection:
        declare_topology(connection)
    made = bus_access.grant(vhost_uri, f"campus-test-{uuid.uuid4().hex[:8]}", PARTNER)
    yield made.user, made.password, made.vhost
    bus_access.revoke(vhost_uri, made.user)


def connect(user: str, password: str, vhost: str) -> pika.BlockingConnection:
    host = urlsplit(broker.BASE_URI).hostname or "127.0.0.1"
    return pika.BlockingConnection(pika.ConnectionParameters(host=host, virtual_host=vhost,
                                                             credentials=pika.PlainCredentials(user, password)))


def taken(connection, channel, queue: str, timeout: float = 10.0):
    """The next message of ``queue``, waiting for it a little: confirmed is not yet deliverable everywhere."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = channel.basic_get(queue, auto_ack=True)
        if got[0] is not None:
            return got
        connection.sleep(0.05)
    raise AssertionError(f"nothing arrived on {queue}")


def refused(connection, action) -> int:
    """The reply code with which the broker closed the channel that tried ``action``."""
    channel = connection.channel()
    channel.confirm_delivery()
    with pytest.raises(ChannelClosedByBroker) as closed:
        action(channel)
    return closed.value.reply_code


def test_a_campus_user_may_only_publish_to_ingress_and_read_its_own_reply_queue(campus_user, vhost_uri):
    name, password, vhost = campus_user
    reply_queue = f"synergy.replies.{name}"
    body = b'{"type": "registration.requested"}'
    with connect(name, password, vhost) as campus, pika.BlockingConnection(pika.URLParameters(vhost_uri)) as ops:
        tap = ops.channel()
        tap.queue_declare(INGRESS_TAP, durable=True)
        tap.queue_bind(INGRESS_TAP, INGRESS_EXCHANGE, "#")
        channel = campus.channel()
        channel.confirm_delivery()
        channel.basic_publish(INGRESS_EXCHANGE, "registration.requested", body,
                              pika.BasicProperties(user_id=name, delivery_mode=2))
        ops_channel = ops.channel()
        ops_channel.confirm_delivery()
        method, properties, received = taken(ops, ops_channel, INGRESS_TAP)
        assert received == body and properties.user_id == name

        # a reply for it arrives on its own queue, which it may read
        ops_channel.basic_publish("", reply_queue, b"accepted")
        method, _, reply = taken(campus, channel, reply_queue)
        assert reply == b"accepted"

        publish = "basic_publish"
        assert refused(campus, lambda ch: getattr(ch, publish)(EVENTS_EXCHANGE, "activity.published", body)) == 403
        assert refused(campus, lambda ch: getattr(ch, publish)("", DEAD_LETTER_QUEUE, body)) == 403
        assert refused(campus, lambda ch: ch.basic_get(DEAD_LETTER_QUEUE)) == 403
        assert refused(campus, lambda ch: ch.basic_get(INGRESS_TAP)) == 403
        assert refused(campus, lambda ch: ch.queue_declare("its-own-queue")) == 403
        assert refused(campus, lambda ch: ch.exchange_declare("its-own-exchange", "topic")) == 403
        # it cannot pass itself off as another user: RabbitMQ refuses a user_id that is not the sender's
        assert refused(campus, lambda ch: getattr(ch, publish)(
            INGRESS_EXCHANGE, "registration.requested", body, pika.BasicProperties(user_id="campus-other"))) == 406
        assert ops_channel.basic_get(INGRESS_TAP, auto_ack=True)[0] is None, "nothing refused got through"
