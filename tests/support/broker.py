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


def handler_backlog(amqp_uri: str) -> dict[str, int]:
    """Messages still to be handled (waiting or being handled: ready + unacknowledged) on each queue a service
    consumes in the vhost of ``amqp_uri``.

    Asked of the queues themselves (``rabbitmqctl``), as the management API's counts are up to a statistics
    interval (5 s) old: an old zero would let a test go on while a message is still on its way.
    """
    vhost = unquote(urlsplit(amqp_uri).path[1:]) or "/"
    listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "--no-table-headers",
                             "name", "messages_ready", "messages_unacknowledged"],
                            check=True, capture_output=True, text=True, timeout=60).stdout
    backlog = {}
    for line in listed.splitlines():
        name, ready, unacked = line.split()
        if name.startswith("synergy.") and name not in SAFETY_NETS and not name.startswith("synergy.replies."):
            backlog[name] = int(ready) + int(unacked)
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
    vhost = unquote(urlsplit(amqp_uri).path[1:]) or "/"
    listed = subprocess.run(["rabbitmqctl", "-q", "list_bindings", "-p", vhost, "--no-table-headers",
                             "source_name", "routing_key", "destination_name", "destination_kind"],
                            check=True, capture_output=True, text=True, timeout=60).stdout
    bound = set()
    for line in listed.splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[0] == exchange and fields[3] == "queue" and fields[2].startswith("synergy.") \
                and _topic_matches(fields[1], routing_key):
            bound.add(fields[2])
    return bound
