"""Campus systems' broker users for tests, made by hand through the management API (what an operator could do
without Synergy's tools): a user, its rights on the test's vhost, its reply queue, and optionally the tag that
binds it to a partner (``synergy-partner:<partner id>``, docs/activities.md). Users are broker-wide: every name
is unique and every user made here is deleted when the test ends."""
from __future__ import annotations

import base64
import json
import re
import secrets
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import pytest

from tests.support import broker


def management(method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    """(status, decoded body) of one management API call as the test broker's administrator."""
    parts = urlsplit(broker.BASE_URI)
    token = base64.b64encode(f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}"
                             .encode()).decode()
    request = urllib.request.Request(f"{broker.MANAGEMENT}/api/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Basic {token}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


@dataclass(frozen=True)
class CampusUser:
    name: str
    password: str
    uri: str  # AMQP URI of the test's vhost with this user's credentials

    @property
    def reply_queue(self) -> str:
        return f"synergy.replies.{self.name}"


def vhost_of(vhost_uri: str) -> str:
    return unquote(urlsplit(vhost_uri).path[1:]) or "/"


def uri_as(vhost_uri: str, user: str, password: str) -> str:
    parts = urlsplit(vhost_uri)
    return f"{parts.scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}:" \
           f"{parts.port or 5672}{parts.path}"


def make_campus_user(vhost_uri: str, partner_id: str | None = None, prefix: str = "campus-test") -> CampusUser:
    name, password = f"{prefix}-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    vhost = quote(vhost_of(vhost_uri), safe="")
    tags = f"synergy-partner:{partner_id}" if partner_id else ""
    assert management("PUT", f"users/{name}", {"password": password, "tags": tags})[0] in (201, 204)
    rights = {"configure": "^$", "write": r"^synergy\.ingress$", "read": f"^{re.escape(f'synergy.replies.{name}')}$"}
    assert management("PUT", f"permissions/{vhost}/{name}", rights)[0] in (201, 204)
    queue = {"durable": True, "auto_delete": False, "arguments": {}}
    assert management("PUT", f"queues/{vhost}/{quote(f'synergy.replies.{name}', safe='')}", queue)[0] in (201, 204)
    return CampusUser(name, password, uri_as(vhost_uri, name, password))


def delete_user(name: str) -> None:
    management("DELETE", f"users/{quote(name, safe='')}")


@pytest.fixture
def campus_users(vhost_uri):
    """``make(partner_id=None)``: a new campus user on the test's vhost, bound to ``partner_id`` if given."""
    made: list[str] = []

    def make(partner_id: str | None = None) -> CampusUser:
        user = make_campus_user(vhost_uri, partner_id)
        made.append(user.name)
        return user
    yield make
    for name in made:
        delete_user(name)
