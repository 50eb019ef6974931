"""For partners' developers: verify a Synergy webhook and drop duplicates.

    from services.notify.verify import WebhookReceiver
    receiver = WebhookReceiver(secret="whsec_...")
    event = receiver.receive(request_body_bytes, request_headers)   # raises InvalidWebhook
    if event is None: ...   # a retry of a message already handled

Verification is the reference ``standardwebhooks`` implementation: constant-time comparison, timestamps
within five minutes, every ``v1`` signature in the header tried (so both secrets work during rotation).

A server that handles webhooks on several threads uses ``begin``/``settle``/``forget`` instead of ``receive``: a
retry that arrives while the first copy is still being handled raises ``StillHandling`` (answer it with a non-2xx,
so that it is retried later) rather than being acknowledged as done: if the first copy then fails, the event is
not lost.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class InvalidWebhook(Exception):
    pass


class StillHandling(Exception):
    """A copy of this ``webhook-id`` is being handled right now: it is not done yet, nor failed."""


def webhook_id(headers: Mapping[str, str]) -> str | None:
    return {k.lower(): v for k, v in headers.items()}.get("webhook-id")


class WebhookReceiver:
    """Verifies, and remembers the last ``remember`` webhook ids; safe to share between threads."""

    def __init__(self, secret: str, remember: int = 10_000):
        self._webhook = Webhook(secret)
        self._seen: OrderedDict[str, bool] = OrderedDict()  # webhook id -> settled (False: being handled)
        self._remember = remember
        self._lock = threading.Lock()

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any]:
        try:
            return self._webhook.verify(body, dict(headers))
        except WebhookVerificationError as exc:
            raise InvalidWebhook(str(exc)) from None

    def receive(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """The verified payload, or None when this ``webhook-id`` was already received (handled at once)."""
        payload = self.verify(body, headers)
        with self._lock:
            if self._remembers(webhook_id(headers), settled=True):
                return None
        return payload

    def begin(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """The verified payload to handle, then ``settle`` or ``forget``; None when already handled;
        ``StillHandling`` when another copy is being handled now."""
        payload = self.verify(body, headers)
        msg_id = webhook_id(headers)
        with self._lock:
            if self._seen.get(msg_id) is False:
                raise StillHandling(f"{msg_id} is being handled")
            if self._remembers(msg_id, settled=False):
                return None
        return payload

    def settle(self, headers: Mapping[str, str]) -> None:
        """The webhook ``begin`` gave was handled: later copies are duplicates."""
        with self._lock:
            msg_id = webhook_id(headers)
            if msg_id in self._seen:
                self._seen[msg_id] = True

    def forget(self, headers: Mapping[str, str]) -> None:
        """Forget a ``webhook-id`` whose handling failed, so that the sender's retry is handled again."""
        with self._lock:
            self._seen.pop(webhook_id(headers), None)

    def _remembers(self, msg_id: str | None, *, settled: bool) -> bool:
        """True if ``msg_id`` is known; else remember it (as ``settled`` or being handled). Under the lock."""
        if msg_id in self._seen:
            return True
        self._seen[msg_id] = settled
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return False
