"""Campus systems' broker users: which partner each acts for, as the broker itself says, through its management API.

A campus system publishes on ``synergy.ingress`` as a RabbitMQ user of its own. RabbitMQ checks the ``user_id``
property of every message against the connection's user, so that property is who sent it. The partner such a user
acts for is kept on the user itself, as the tag ``synergy-partner:<partner id>``: the broker is the one place that
knows both the user and its binding, so granting, revoking (deleting the user) and reading the binding need no
restart, no file and no second store that could disagree with the broker (``deploy/bus_access.py`` grants).

The management API is found from the broker's AMQP URI (same host, port 15672, or 15671 over TLS, with the same
credentials), or from ``RABBITMQ_MANAGEMENT_URL`` (``http(s)://[user:password@]host:port``). Credentials are never
logged or shown.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

PARTNER_TAG = "synergy-partner:"
USER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")   # safe in a queue name, a tag and a permission pattern
PARTNER_ID = re.compile(r"prt_[0-9a-z]{26}")


class ManagementError(Exception):
    """The management API could not be reached or refused the call (``status``: its HTTP status, 0 if none)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


def partner_of(user: dict[str, Any] | None) -> str | None:
    """The partner a broker user (as the management API describes it) is bound to, if any."""
    tags = (user or {}).get("tags") or []
    tags = tags.split(",") if isinstance(tags, str) else tags
    bound = [tag[len(PARTNER_TAG):] for tag in tags if tag.startswith(PARTNER_TAG)]
    return bound[0] if len(bound) == 1 and PARTNER_ID.fullmatch(bound[0]) else None


@dataclass(frozen=True)
class Management:
    """The RabbitMQ management HTTP API (``/api``) as one user of it."""

    base_url: str
    username: str
    password: str = field(repr=False)
    timeout: float = 10.0

    @classmethod
    def for_broker(cls, amqp_uri: str, management_url: str = "") -> Management:
        """The management API of the broker of ``amqp_uri`` (or at ``management_url``, with its own credentials
        if it carries some)."""
        broker = urlsplit(amqp_uri)
        if management_url:
            given = urlsplit(management_url)
            base = f"{given.scheme}://{given.hostname}" + (f":{given.port}" if given.port else "")
            if given.username:
                return cls(base + given.path.rstrip("/"), unquote(given.username), unquote(given.password or ""))
            return cls(base + given.path.rstrip("/"), unquote(broker.username or "guest"),
                       unquote(broker.password or "guest"))
        scheme, port = ("https", 15671) if broker.scheme == "amqps" else ("http", 15672)
        return cls(f"{scheme}://{broker.hostname or '127.0.0.1'}:{port}", unquote(broker.username or "guest"),
                   unquote(broker.password or "guest"))

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, decoded body); a 404 is an answer, any other error status raises ``ManagementError``."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(f"{self.base_url}/api/{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Basic {token}",
                                                  "content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return 404, None
            raise ManagementError(f"{method} /api/{path.split('/')[0]}/…: HTTP {exc.code}", exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ManagementError(f"management API at {self.base_url} unreachable: {exc}") from None

    def user(self, name: str) -> dict | None:
        status, found = self.call("GET", f"users/{quote(name, safe='')}")
        return found if status == 200 else None


class Bindings:
    """Broker user -> partner, read from the broker; each answer is kept ``ttl`` seconds (a grant or a revocation
    is seen within that time; a revoked user cannot connect at all, so this only bounds what it queued before)."""

    def __init__(self, management: Management, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.management, self.ttl, self.clock = management, ttl, clock
        self._known: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def partner_of(self, user: str) -> str | None:
        """The partner ``user`` acts for, or None; raises ``ManagementError`` when the broker cannot say."""
        with self._lock:
            cached = self._known.get(user)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        partner = partner_of(self.management.user(user))
        with self._lock:
            self._known[user] = (self.clock(), partner)
        return partner
