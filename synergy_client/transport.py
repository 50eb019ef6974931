"""HTTP mechanics: the bearer key, retries with exponential backoff and jitter, problem+json errors.

What is retried (and only that):
- 429 Too Many Requests on any request: the API refused it before acting; ``Retry-After`` is honoured;
- 502/503/504 and 500, and connection failures, on idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) and
  on any request carrying an ``Idempotency-Key`` (the API answers a repeat with the first result);
- a failure to connect at all, on any request (nothing was sent);
- 409 with ``Retry-After`` on a request carrying an ``Idempotency-Key``: the first request with that key is
  still running; its answer is replayed once it is done.
"""
from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from synergy_client.errors import ApiError, ConnectionFailed, error_for

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = "synergy-client/0.1"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2**n))."""

    attempts: int = 5              # tries in all, the first included
    base: float = 0.5              # seconds
    cap: float = 30.0              # no single wait is longer (Retry-After included)
    jitter: bool = True

    def backoff(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * (2 ** retry))
        return rng.uniform(0, ceiling) if self.jitter else ceiling


NO_RETRY = RetryPolicy(attempts=1)


def retry_after_seconds(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now()).total_seconds())


@dataclass
class Reply:
    """One HTTP answer: status, headers and the decoded body (``None`` when empty)."""

    status: int
    headers: Mapping[str, str]
    body: Any

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")


def _problem_of(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        return payload
    return {"title": response.reason or "Error", "status": response.status_code,
            "detail": response.text[:500] if response.text else ""}


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: Exception) -> str:
    text = str(exc)
    for needle, reason in (("Connection refused", "connection refused"), ("timed out", "timed out"),
                           ("Name or service not known", "unknown host"), ("NameResolution", "unknown host"),
                           ("No route to host", "no route to host")):
        if needle in text:
            return reason
    return type(exc).__name__


def _decode(response: requests.Response) -> Any:
    if not response.content:
        return None
    if "json" in response.headers.get("Content-Type", ""):
        return response.json()
    return response.text


class Transport:
    def __init__(self, base_url: str, api_key: str | None, *, timeout: float = 15.0,
                 retry: RetryPolicy = RetryPolicy(), session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json, application/problem+json"
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    def __repr__(self) -> str:  # never the key
        return f"Transport({self.shown_url!r})"

    @property
    def shown_url(self) -> str:
        """The base URL as it may be printed: without a password in it."""
        return without_password(self.base_url)

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
                data: bytes | None = None, content_type: str | None = None) -> Reply:
        """``json_body`` is sent as JSON; or ``data`` as it is, with ``content_type``."""
        method = method.upper()
        policy = retry or self.retry
        headers = dict(headers or {})
        retryable = method in IDEMPOTENT_METHODS or "Idempotency-Key" in headers
        if data is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(policy.attempts):
            last = attempt == policy.attempts - 1
            try:
                response = self.session.request(method, url, data=data, params=query, headers=headers,
                                                timeout=self.timeout)
            except requests.ConnectionError as exc:
                never_sent = isinstance(exc, requests.ConnectTimeout) or "Connection refused" in str(exc)
                if last or not (retryable or never_sent):
                    raise ConnectionFailed(f"cannot reach {self.shown_url} ({_reason(exc)})") from None
                self.sleep(policy.backoff(attempt, self.rng))
                continue
            except requests.Timeout:
                if last or not retryable:
                    raise ConnectionFailed(f"no answer from {self.shown_url} within {self.timeout:g}s") from None
                self.sleep(policy.backoff(attempt, self.rng))
                continue
            status = response.status_code
            if status < 400:
                return Reply(status, response.headers, _decode(response))
            in_progress = status == 409 and "Idempotency-Key" in headers and "Retry-After" in response.headers
            again = status == 429 or in_progress or (status in RETRY_STATUSES and retryable)
            if again and not last:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                wait = policy.backoff(attempt, self.rng) if wait is None else wait
                self.sleep(min(wait, policy.cap))
                continue
            raise error_for(status, _problem_of(response), dict(response.headers))
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


__all__ = ["ApiError", "NO_RETRY", "Reply", "RetryPolicy", "Transport", "retry_after_seconds"]
