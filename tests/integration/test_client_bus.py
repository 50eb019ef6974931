"""The bus publisher on the real broker: confirmed CloudEvents envelopes, replies by correlation id, refusals,
time-outs, unroutable messages, a missing exchange, and a connection lost between two publishes."""
from __future__ import annotations

import base64
import json
import threading
import urllib.request
import uuid
from urllib.parse import quote, unquote, urlsplit

import pika
import pytest

from deploy.launcher import free_port
from services.common.envelope import CONTENT_TYPE, Envelope
from synergy_client.bus import BusError, BusPublisher, IngressMissing, Refused, ReplyTimeout, Unroutable
from tests.support import broker
from tests.support.api import eventually

pytestmark = pytest.mark.broker

EXCHANGE = "test.ingress"


class Responder:
    """Stands in for an ingress: consumes from a queue bound to the exchange and answers as told."""

    def __init__(self, uri: str, answer):
        self.answer, self.received = answer, []
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        channel = self.connection.channel()
        channel.exchange_declare(EXCHANGE, "topic", durable=False, auto_delete=True)
        self.queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(self.queue, EXCHANGE, "activity.#")
        channel.basic_consume(self.queue, self._on_message, auto_ack=True)
        self.channel, self.stopped = channel, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.is_set():
            self.connection.process_data_events(time_limit=0.1)
        self.connection.close()

    def _on_message(self, channel, method, properties, body):
        self.received.append((properties, body))
        reply = self.answer(Envelope.from_body(body))
        if reply is None:
            return
        content_type, payload = reply
        channel.basic_publish("", properties.reply_to, json.dumps(payload).encode(), pika.BasicProperties(
            correlation_id=properties.correlation_id, content_type=content_type))

    def stop(self):
        self.stopped.set()
        self.thread.join(5)


@pytest.fixture
def responder(vhost_uri):
    made = []

    def make(answer):
        made.append(Responder(vhost_uri, answer))
        return made[-1]
    yield make
    for one in made:
        one.stop()


def accept(envelope):
    return "application/json", {"accepted": True, "activity_id": "act_1", "echo": envelope.data["title"]}


def test_a_request_is_a_confirmed_cloudevents_envelope_and_its_reply_comes_back(vhost_uri, responder):
    ingress = responder(accept)
    with BusPublisher(vhost_uri, source="/campus/youth-league", exchange=EXCHANGE) as bus:
        answer = bus.request("activity.submit", {"title": {"zh": "志愿服务日"}}, subject="yl-7")
        second = bus.request("activity.submit", {"title": {"zh": "第二次"}})
    assert answer == {"accepted": True, "activity_id": "act_1", "echo": {"zh": "志愿服务日"}}
    assert second["echo"] == {"zh": "第二次"}
    properties, body = ingress.received[0]
    envelope = Envelope.from_body(body)  # the services' own parser accepts it
    assert (envelope.type, envelope.source, envelope.subject) == ("activity.submit",
                                                                  "/campus/youth-league", "yl-7")
    assert properties.message_id == envelope.id and properties.type == envelope.type
    assert properties.correlation_id == envelope.correlationid and properties.app_id == envelope.source
    assert properties.content_type == CONTENT_TYPE and properties.delivery_mode == 2
    assert properties.reply_to.startswith("amq.gen-")


def test_a_refusal_is_raised_with_its_problem(vhost_uri, responder):
    responder(lambda env: ("application/problem+json", {"title": "Invalid input", "status": 422,
                                                        "errors": {"starts_at": ["Missing."]}}))
    with BusPublisher(vhost_uri, source="/x", exchange=EXCHANGE) as bus, pytest.raises(Refused) as caught:
        bus.request("activity.submit", {"title": {"zh": "x"}})
    assert caught.value.problem["errors"] == {"starts_at": ["Missing."]}


def test_a_refused_answer_is_raised(vhost_uri, responder):
    responder(lambda env: ("application/json", {"status": "refused", "request_id": env.id, "title": "Invalid input",
                                                "errors": {"lead_organizer": ["Unknown partner."]}}))
    with BusPublisher(vhost_uri, source="/x", exchange=EXCHANGE) as bus, pytest.raises(Refused) as caught:
        bus.request("activity.submit", {"title": {"zh": "x"}})
    assert caught.value.problem["errors"] == {"lead_organizer": ["Unknown partner."]}



def test_no_reply_in_time_raises_and_a_late_reply_to_another_request_is_not_taken(vhost_uri, responder):
    responder(lambda env: None)
    with BusPublisher(vhost_uri, source="/x", exchange=EXCHANGE) as bus, pytest.raises(ReplyTimeout):
        bus.request("activity.submit", {"title": {"zh": "x"}}, timeout=1.0)


def test_unroutable_and_missing_exchanges_are_errors_not_silent_drops(vhost_uri, responder):
    responder(accept)
    with BusPublisher(vhost_uri, source="/x", exchange=EXCHANGE) as bus:
        with pytest.raises(Unroutable):
            bus.send("partner.registered", {"partner_id": "prt_1"})  # bound keys are activity.#
    with BusPublisher(vhost_uri, source="/x", exchange="no.such.exchange") as bus, pytest.raises(IngressMissing):
        bus.send("activity.submit", {})


def test_an_unreachable_broker_is_reported_after_the_retries():
    bus = BusPublisher(f"amqp://guest:guest@127.0.0.1:{free_port()}/", source="/x", reconnect_attempts=2,
                       backoff_base=0.01)
    with pytest.raises(BusError, match="cannot reach the broker"):
        bus.connect()


def _management(method: str, path: str, body: dict | None = None):
    parts = urlsplit(broker.BASE_URI)
    token = base64.b64encode(f"{parts.username or 'guest'}:{parts.password or 'guest'}".encode()).decode()
    request = urllib.request.Request(f"{broker.MANAGEMENT}/api/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Basic {token}", "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def need_management(why: str) -> None:
    """The management API is part of the test set-up (bin/test and .ci/run enable it): without it, fail, saying so."""
    try:
        _management("GET", "overview")
    except OSError as exc:
        pytest.fail(f"the RabbitMQ management API ({broker.MANAGEMENT}) is needed {why}: {exc}; "
                    "enable it with `rabbitmq-plugins enable rabbitmq_management`")


def test_a_connection_closed_by_the_broker_is_reopened_and_the_message_published(vhost_uri, responder):
    need_management("to close a connection from the broker's side")
    vhost = quote(unquote(urlsplit(vhost_uri).path.lstrip("/")), safe="")

    def connections() -> set[str]:
        return {c["name"] for c in _management("GET", f"vhosts/{vhost}/connections")}

    ingress = responder(accept)
    before = eventually(connections, timeout=10)
    with BusPublisher(vhost_uri, source="/campus/youth-league", exchange=EXCHANGE, backoff_base=0.05) as bus:
        assert bus.request("activity.submit", {"title": {"zh": "一"}})["accepted"]
        ours = eventually(lambda: connections() - before, timeout=10)
        for name in ours:
            _management("DELETE", f"connections/{quote(name, safe='')}")
        eventually(lambda: bus.poll(0.2) or not bus.connected, timeout=20)
        answer = bus.request("activity.submit", {"title": {"zh": "二"}}, timeout=10)
        assert answer["echo"] == {"zh": "二"}
        assert bus.connected and bus.connections_opened == 2
    assert [Envelope.from_body(body).data["title"]["zh"] for _, body in ingress.received][-1] == "二"


def test_a_campus_user_that_may_not_declare_queues_uses_the_reply_queue_made_for_it(vhost_uri, responder):
    need_management("to make a restricted user")
    vhost = unquote(urlsplit(vhost_uri).path.lstrip("/"))
    user, password, replies = f"campus-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, "synergy.replies.campus-test"
    responder(accept)
    admin = pika.BlockingConnection(pika.URLParameters(vhost_uri))
    admin.channel().queue_declare(replies, durable=True)
    admin.close()
    _management("PUT", f"users/{user}", {"password": password, "tags": ""})
    _management("PUT", f"permissions/{quote(vhost, safe='')}/{user}",
                {"configure": "^$", "write": f"^{EXCHANGE}$", "read": f"^{replies}$"})
    try:
        campus_uri = f"amqp://{user}:{password}@{urlsplit(vhost_uri).hostname}:{urlsplit(vhost_uri).port or 5672}" \
                     f"/{quote(vhost, safe='')}"
        with pytest.raises(BusError):  # an exclusive queue of its own is refused to this user
            BusPublisher(campus_uri, source="/campus/x", exchange=EXCHANGE, reconnect_attempts=1).connect()
        with BusPublisher(campus_uri, source="/campus/x", exchange=EXCHANGE, reply_queue=replies) as bus:
            assert bus.request("activity.submit", {"title": {"zh": "受限"}})["echo"] == {"zh": "受限"}
    finally:
        _management("DELETE", f"users/{user}")
