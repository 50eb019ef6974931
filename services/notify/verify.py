"""For partners' developers: verify a Synergy webhook and drop duplicates.

    from services.notify.verify import WebhookReceiver
    receiver = WebhookReceiver(secret="whsec_...")
    event = receiver.receive(request_body_bytes, request_headers)   # raises InvalidWebhook
    if event is None: ...   # a retry of a message already handled

Verification is the reference ``standardwebhooks`` implementation: constant-time comparison, timestamps
within five minutes, every ``v1`` signature in the header tried (so both secrets work during rotation).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class InvalidWebhook(Exception):
    pass


class WebhookReceiver:
    def __init__(self, secret: str, remember: int = 10_000):
        self._webhook = Webhook(secret)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any]:
        try:
            return self._webhook.verify(body, dict(headers))
        except WebhookVerificationError as exc:
            raise InvalidWebhook(str(exc)) from None

    def receive(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """The verified payload, or None when this ``webhook-id`` was already received."""
        payload = self.verify(body, headers)
        msg_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        if msg_id in self._seen:
            return None
        self._seen[msg_id] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return payload

    def forget(self, headers: Mapping[str, str]) -> None:
        """Forget a ``webhook-id`` whose handling failed, so that the sender's retry is handled again."""
        msg_id = {k.lower(): v for k, v in headers.items()}.get("webhook-id")
        self._seen.pop(msg_id, None)
