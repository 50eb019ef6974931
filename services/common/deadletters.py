"""Dead letters: the messages handlers gave up on, visible and replayable, never silently dropped.

    python -m services.common.deadletters list [--limit N]
    python -m services.common.deadletters replay MESSAGE_ID
    python -m services.common.deadletters discard MESSAGE_ID

Listing peeks: messages are read without acknowledgement and go back when the channel closes. Replaying puts
a message back on the queue it died in (from its ``x-death`` header), confirmed, before removing it here.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import pika

from services.common.bus import DEAD_LETTER_QUEUE
from services.common.config import Settings


@dataclass
class DeadLetter:
    message_id: str | None
    type: str | None
    queue: str | None
    reason: str | None
    count: int
    routing_key: str
    body: bytes
    properties: pika.BasicProperties
    delivery_tag: int

    def summary(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "type": self.type, "queue": self.queue, "reason": self.reason,
                "count": self.count, "routing_key": self.routing_key, "size": len(self.body)}


def _dead_letter(method, properties, body) -> DeadLetter:
    deaths = (properties.headers or {}).get("x-death") or [{}]
    first = deaths[0]
    return DeadLetter(message_id=properties.message_id, type=properties.type, queue=first.get("queue"),
                      reason=first.get("reason"), count=int(first.get("count", 0)), routing_key=method.routing_key,
                      body=body, properties=properties, delivery_tag=method.delivery_tag)


class DeadLetterQueue:
    def __init__(self, amqp_uri: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))

    def close(self) -> None:
        self.connection.close()

    def _browse(self, channel, limit: int):
        for _ in range(limit):
            method, properties, body = channel.basic_get(DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                return
            yield _dead_letter(method, properties, body)

    def list(self, limit: int = 100) -> list[DeadLetter]:
        channel = self.connection.channel()
        try:
            return list(self._browse(channel, limit))
        finally:
            channel.close()  # unacknowledged messages return to the queue

    def _take(self, message_id: str, act) -> bool:
        channel = self.connection.channel()
        channel.confirm_delivery()
        try:
            for letter in self._browse(channel, 10_000):
                if letter.message_id == message_id:
                    act(channel, letter)
                    channel.basic_ack(letter.delivery_tag)
                    return True
            return False
        finally:
            channel.close()

    def replay(self, message_id: str) -> bool:
        """Send the message back to the queue it died in; True if it was found."""
        def back(channel, letter: DeadLetter) -> None:
            if not letter.queue:
                raise ValueError(f"{message_id} has no x-death queue; cannot tell where it belongs")
            headers = {k: v for k, v in (letter.properties.headers or {}).items() if not k.startswith("x-")}
            properties = pika.BasicProperties(
                content_type=letter.properties.content_type, content_encoding=letter.properties.content_encoding,
                message_id=letter.message_id, correlation_id=letter.properties.correlation_id,
                type=letter.properties.type, app_id=letter.properties.app_id,
                timestamp=letter.properties.timestamp, delivery_mode=2, headers=headers)
            channel.basic_publish("", letter.queue, letter.body, properties, mandatory=True)
        return self._take(message_id, back)

    def discard(self, message_id: str) -> bool:
        return self._take(message_id, lambda channel, letter: None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deadletters", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="show dead-lettered messages (JSON lines)")
    listing.add_argument("--limit", type=int, default=100)
    for name in ("replay", "discard"):
        sub.add_parser(name, help=f"{name} one message by its id").add_argument("message_id")
    args = parser.parse_args(argv)
    queue = DeadLetterQueue(Settings.from_env().amqp_uri)
    try:
        if args.command == "list":
            for letter in queue.list(args.limit):
                print(json.dumps(letter.summary(), ensure_ascii=False))
            return 0
        done = getattr(queue, args.command)(args.message_id)
        print(f"{args.command}: {args.message_id}" if done else f"not found: {args.message_id}")
        return 0 if done else 1
    finally:
        queue.close()


if __name__ == "__main__":
    sys.exit(main())
