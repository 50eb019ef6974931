"""Standard Webhooks on the wire: secrets, the body, the signature headers, and where we refuse to send.

Signing uses the reference ``standardwebhooks`` package; partners verify with the same package (see
services/notify/verify.py for the helper given to consumers).
"""
from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from services.common.clock import isoformat
from services.notify.transport import AttemptFailed, checked_addresses, is_public_address

__all__ = ["UnsafeEndpoint", "body_of", "check_url", "is_public_address", "new_secret", "signed_headers"]


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
        checked_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private=False)
    except AttemptFailed:
        # one answer for a name that does not resolve and one that resolves inside: it tells nothing of either
        raise UnsafeEndpoint("The URL's host does not resolve to public addresses only.") from None
