"""Standard Webhooks on the wire: secrets, the body, the signature headers, and where we refuse to send.

Signing uses the reference ``standardwebhooks`` package; partners verify with the same package (see
services/notify/verify.py for the helper given to consumers).
"""
from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
from datetime import datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from services.common.clock import isoformat


def new_secret(nbytes: int = 32) -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def body_of(event_type: str, event_time: datetime, data: dict) -> str:
    """The webhook body: ``{type, timestamp, data}``; fixed once, so every retry sends the same bytes."""
    return json.dumps({"type": event_type, "timestamp": isoformat(event_time), "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def signed_headers(secrets_: str | list[str], msg_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """Standard Webhooks headers; with several secrets (a rotation's overlap) one ``v1,`` signature per secret,
    space-separated, so that a consumer holding either secret accepts the message."""
    keys = [secrets_] if isinstance(secrets_, str) else list(secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": " ".join(Webhook(key).sign(msg_id, sent_at, body) for key in keys),
        "content-type": "application/json",
        "user-agent": "Synergy-Webhooks/1",
    }


class UnsafeEndpoint(ValueError):
    """The URL would make the server call somewhere it must not (server-side request forgery)."""


def check_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise UnsafeEndpoint("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeEndpoint("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeEndpoint("Credentials in the URL are not accepted; authenticate by the signature.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        infos = []
    # one answer for a name that does not resolve and one that resolves inside: the error tells nothing of either
    if not infos or not all(is_public_address(info[4][0]) for info in infos):
        raise UnsafeEndpoint("The URL's host does not resolve to public addresses only.")


def is_public_address(text: str) -> bool:
    """Globally routable unicast only: no loopback, private, link-local, shared (100.64/10), documentation,
    reserved, unspecified or multicast address, also when written as an IPv4-mapped IPv6 address."""
    address = ipaddress.ip_address(text.split("%")[0])
    mapped = getattr(address, "ipv4_mapped", None)
    return all(a.is_global and not a.is_multicast for a in (address, mapped) if a is not None)
