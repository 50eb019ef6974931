"""Webhooks on the wire: the reference verifier accepts what we send; unsafe URLs are refused."""
from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from services.notify.verify import InvalidWebhook, StillHandling, WebhookReceiver
from services.notify.webhooks import UnsafeEndpoint, body_of, check_url, new_secret, signed_headers

EVENT_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def test_secrets_are_whsec_and_24_to_64_random_bytes():
    secret = new_secret()
    raw = base64.b64decode(secret.removeprefix("whsec_"))
    assert secret.startswith("whsec_") and 24 <= len(raw) <= 64
    assert new_secret() != secret


def test_the_reference_verifier_accepts_our_signature_and_refuses_tampering():
    secret = new_secret()
    body = body_of("activity.published", EVENT_TIME, {"activity_id": "act_1", "title": {"zh": "讲座"}})
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["data"]["activity_id"] == "act_1"
    with pytest.raises(InvalidWebhook):
        WebhookReceiver(secret).verify(body.replace("act_1", "act_2"), headers)
    with pytest.raises(InvalidWebhook):
        WebhookReceiver(new_secret()).verify(body, headers)


def test_old_timestamps_are_refused_and_retries_are_deduplicated():
    secret = new_secret()
    body = body_of("activity.published", EVENT_TIME, {"activity_id": "act_1"})
    stale = signed_headers(secret, "msg_1", datetime.now(UTC) - timedelta(minutes=6), body)
    receiver = WebhookReceiver(secret)
    with pytest.raises(InvalidWebhook):
        receiver.verify(body, stale)
    fresh = signed_headers(secret, "msg_1", datetime.now(UTC), body)
    assert receiver.receive(body, fresh)["type"] == "activity.published"
    assert receiver.receive(body, fresh) is None


def test_a_webhook_being_handled_is_neither_new_nor_done_until_settled_or_forgotten():
    secret = new_secret()
    body = body_of("activity.published", EVENT_TIME, {"activity_id": "act_1"})
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)
    receiver = WebhookReceiver(secret, remember=2)
    assert receiver.begin(body, headers)["data"]["activity_id"] == "act_1"
    with pytest.raises(StillHandling):
        receiver.begin(body, headers)
    receiver.forget(headers)  # handling failed: the retry is new again
    assert receiver.begin(body, headers) is not None
    receiver.settle(headers)
    assert receiver.begin(body, headers) is None and receiver.receive(body, headers) is None
    for n in (2, 3):  # only the last ``remember`` ids are kept
        receiver.receive(body_of("x", EVENT_TIME, {}), signed_headers(secret, f"msg_{n}", datetime.now(UTC),
                                                                      body_of("x", EVENT_TIME, {})))
    assert receiver.receive(body, headers) is not None, "msg_1 was forgotten to make room"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest",
                                 "http://[::1]/x", "http://192.168.0.5/", "ftp://example.org/x",
                                 "http://user:pw@example.org/x", "http://localhost/x", "http://100.64.0.9/x",
                                 "http://[::ffff:127.0.0.1]/x", "http://224.0.0.1/x", "http://0.0.0.0/x",
                                 "http://[fe80::1]/x", "http://192.0.2.10/x"])
def test_urls_to_private_addresses_are_refused(url):
    with pytest.raises(UnsafeEndpoint):
        check_url(url, allow_private=False)


def test_private_addresses_are_allowed_only_when_configured_for_development():
    check_url("http://127.0.0.1:9/x", allow_private=True)
    with pytest.raises(UnsafeEndpoint):
        check_url("ftp://127.0.0.1/x", allow_private=True)


def test_public_addresses_pass():
    from services.notify.webhooks import is_public_address
    assert is_public_address("8.8.8.8") and is_public_address("2001:4860:4860::8888")
    assert not is_public_address("::ffff:10.0.0.1")
