"""A RabbitMQ virtual host of its own for each test cluster, so tests never see each other's messages."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote, unquote, urlsplit

import pika

BASE_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("RABBITMQ_MANAGEMENT", "http://127.0.0.1:15672")


def _management(method: str, path: str, body: dict | None = None) -> bool:
    parts = urlsplit(BASE_URI)
    token = base64.b64encode(f"{parts.username or 'guest'}:{parts.password or 'guest'}".encode()).decode()
    request = urllib.request.Request(f"{MANAGEMENT}/api/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Basic {token}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except (urllib.error.URLError, OSError):
        return False


def create_vhost() -> str:
    """A fresh vhost where the test user may do anything; by the management API, else rabbitmqctl."""
    name = f"synergy-test-{uuid.uuid4().hex[:10]}"
    user = urlsplit(BASE_URI).username or "guest"
    if _management("PUT", f"vhosts/{quote(name, safe='')}"):
        _management("PUT", f"permissions/{quote(name, safe='')}/{user}",
                    {"configure": ".*", "write": ".*", "read": ".*"})
    elif shutil.which("rabbitmqctl"):
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
                       check=True, capture_output=True)
    else:
        raise RuntimeError("cannot create a RabbitMQ vhost: enable rabbitmq_management or install rabbitmqctl")
    return name


def delete_vhost(name: str) -> None:
    if not _management("DELETE", f"vhosts/{quote(name, safe='')}") and shutil.which("rabbitmqctl"):
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], check=False, capture_output=True)


def uri_for(vhost: str) -> str:
    parts = urlsplit(BASE_URI)
    return f"{parts.scheme}://{parts.netloc}/{quote(vhost, safe='')}"


SAFETY_NETS = ("synergy.unrouted", "synergy.dead-letter")  # kept for people to read, never consumed
UNACKNOWLEDGED = "(delivered, not yet acknowledged)"


def _vhost(amqp_uri: str) -> str:
    return unquote(urlsplit(amqp_uri).path[1:]) or "/"


def _rabbitmqctl(*args: str) -> list[list[str]]:
    listed = subprocess.run(["rabbitmqctl", "-q", *args, "--no-table-headers"], check=True, capture_output=True,
                            text=True, timeout=60).stdout
    return [line.split("\t") for line in listed.splitlines() if line.strip()]


def handler_backlog(amqp_uri: str, consumed_only: bool = False) -> dict[str, int]:
    """What is still to be handled in the vhost of ``amqp_uri``: the messages waiting on each queue a service
    consumes, and (under ``UNACKNOWLEDGED``) those delivered to a consumer and not yet acknowledged, i.e. being
    handled.

    Both are asked at the source: the waiting ones by a passive declare, the others of each channel. The counts
    ``list_queues`` and the management API give for quorum queues are refreshed every few seconds only, and an
    old zero would let a test go on while a message is still on its way. ``consumed_only``: only the queues that
    a running service consumes now (the messages of a stopped one wait for it and have no effect meanwhile).
    """
    vhost = _vhost(amqp_uri)
    names = [row[0] for row in _rabbitmqctl("list_queues", "-p", vhost, "name")
             if row[0].startswith("synergy.") and row[0] not in SAFETY_NETS
             and not row[0].startswith("synergy.replies.")]
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        declared = [channel.queue_declare(name, passive=True).method for name in names]
        backlog = {name: ok.message_count for name, ok in zip(names, declared, strict=True)
                   if ok.consumer_count or not consumed_only}
    finally:
        connection.close()
    backlog[UNACKNOWLEDGED] = sum(int(unacked) for channel_vhost, unacked in
                                  _rabbitmqctl("list_channels", "vhost", "messages_unacknowledged")
                                  if channel_vhost == vhost)
    return backlog


def _topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""
    def match(words: list[str], keys: list[str]) -> bool:
        if not words:
            return not keys
        if words[0] == "#":
            return any(match(words[1:], keys[i:]) for i in range(len(keys) + 1))
        return bool(keys) and words[0] in ("*", keys[0]) and match(words[1:], keys[1:])
    return match(pattern.split("."), routing_key.split("."))


def handler_queues_bound_for(amqp_uri: str, routing_key: str, exchange: str = "synergy.events") -> set[str]:
    """The services' queues that a message published on ``exchange`` with ``routing_key`` reaches."""
    rows = _rabbitmqctl("list_bindings", "-p", _vhost(amqp_uri), "source_name", "routing_key", "destination_name",
                        "destination_kind")
    return {destination for source, key, destination, kind in rows
            if source == exchange and kind == "queue" and destination.startswith("synergy.")
            and _topic_matches(key, routing_key)}
