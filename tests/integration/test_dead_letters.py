"""A handler that keeps failing: the message is retried a bounded number of times, then dead-lettered,
listed and replayed. nameko's default would have acked and lost it."""
from __future__ import annotations

import os
import subprocess
import sys

import pika
import pytest

from deploy.launcher import ROOT
from services.common.bus import handler_queue_name
from services.common.catalogue import announce
from services.common.deadletters import DeadLetterQueue
from tests.support.api import eventually
from tests.support.tap import Tap

pytestmark = pytest.mark.broker


@pytest.fixture
def failing_service(vhost_uri, tmp_path):
    attempts, succeed = tmp_path / "attempts", tmp_path / "succeed"
    attempts.touch()
    env = dict(os.environ, AMQP_URI=vhost_uri, EVENT_DELIVERY_LIMIT="3", PYTHONPATH=str(ROOT),
               ATTEMPTS_FILE=str(attempts), SUCCEED_FILE=str(succeed))
    log = open(tmp_path / "failing.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.failing_service"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    queue = handler_queue_name("failing", "on_survey_prepared")

    def consuming():  # declared, bound, then consumed: a consumer means a message published now reaches it
        connection = pika.BlockingConnection(pika.URLParameters(vhost_uri))
        try:
            return connection.channel().queue_declare(queue, passive=True).method.consumer_count > 0
        except pika.exceptions.ChannelClosedByBroker:
            return False
        finally:
            if connection.is_open:
                connection.close()
    eventually(consuming, timeout=30, interval=0.3)
    yield attempts, succeed
    proc.terminate()
    proc.wait(20)
    log.close()


def publish(uri: str, body: bytes, message_id: str, routing_key: str = "survey.prepared") -> None:
    tap = Tap(uri)
    tap.publish(routing_key, body, pika.BasicProperties(message_id=message_id, delivery_mode=2,
                                                        content_type="application/cloudevents+json"))
    tap.close()


def test_a_failing_message_is_retried_then_dead_lettered_and_can_be_replayed(vhost_uri, failing_service):
    attempts, succeed = failing_service
    event = announce("survey.prepared", {"survey_id": "srv_1", "activity_id": "act_1", "item_count": 7})
    publish(vhost_uri, event.to_json().encode(), event.id)

    dlq = DeadLetterQueue(vhost_uri)
    try:
        letters = eventually(lambda: dlq.list(), timeout=20)
        assert [letter.message_id for letter in letters] == [event.id]
        assert letters[0].reason == "delivery_limit"
        assert letters[0].queue == handler_queue_name("failing", "on_survey_prepared")
        # one first delivery plus EVENT_DELIVERY_LIMIT redeliveries, then no more
        assert attempts.read_text().split() == [event.id] * 4
        assert len(dlq.list()) == 1, "listing must not consume"

        succeed.touch()
        assert dlq.replay(event.id) is True
        eventually(lambda: len(attempts.read_text().split()) == 5, timeout=10)
        assert dlq.list() == []
    finally:
        dlq.close()


def test_a_message_that_is_not_an_envelope_goes_straight_to_the_dead_letters(vhost_uri, failing_service):
    attempts, _ = failing_service
    publish(vhost_uri, b"{not json", "poison-1")
    dlq = DeadLetterQueue(vhost_uri)
    try:
        letters = eventually(lambda: dlq.list(), timeout=15)
        assert [(letter.message_id, letter.reason) for letter in letters] == [("poison-1", "rejected")]
        assert attempts.read_text() == "", "the handler never saw it"
        assert dlq.discard("poison-1") is True
        assert dlq.list() == []
    finally:
        dlq.close()
