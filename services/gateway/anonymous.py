"""Callers without an API key: limited per client address, and the public answers kept a few seconds.

Public routes (the calendar, the API's documents, the catalogue, unknown paths) and attendee tokens are served to
anyone, so what limits them is the client address: ``API_ANONYMOUS_RATE_LIMIT_PER_MINUTE`` requests a minute per
address and gateway process, then 429 with ``Retry-After``. An attendee token counts *before* it is looked up,
so a client guessing tokens costs the events service nothing once over the limit. The probes (``/health``,
``/ready``) are not limited: orchestrators call them, and ``/ready`` answers from a two-second cache, so callers
do not multiply its checks (a broker connection, a ping to every service).

A route may keep its answer for ``cache_seconds`` per path and query (the calendar: a query may list 2000
activities); the cache holds at most ``MAX_ANSWERS`` answers, the oldest dropped first.
"""
from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from services.common.config import env
from services.gateway.intake import BadRequest
from services.gateway.ratelimit import RateLimiter

MAX_ANSWERS = 256


@functools.lru_cache(maxsize=1)
def anonymous_limiter() -> RateLimiter:
    return RateLimiter(int(env("API_ANONYMOUS_RATE_LIMIT_PER_MINUTE")))


def limit_address(request: Request) -> None:
    """Count one anonymous request of the client's address; 429 once it is over its limit."""
    wait = anonymous_limiter().take(f"address:{request.remote_addr}")
    if wait:
        raise BadRequest(429, "Too many requests", "Too many requests without a key from this address; wait and "
                         "retry.", "rate_limited", {"Retry-After": RateLimiter.retry_after(wait)})


class AnswerCache:
    """Answers of public routes by path and query, each kept for its route's ``cache_seconds``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._answers: OrderedDict[str, tuple[float, bytes, int, list]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Response | None:
        with self._lock:
            found = self._answers.get(key)
        if found is None or found[0] < self.clock():
            return None
        _, body, status, headers = found
        return Response(body, status=status, headers=headers)

    def put(self, key: str, response: Response, seconds: float) -> None:
        kept = (self.clock() + seconds, response.get_data(), response.status_code, list(response.headers.items()))
        with self._lock:
            self._answers.pop(key, None)
            self._answers[key] = kept
            while len(self._answers) > MAX_ANSWERS:
                self._answers.popitem(last=False)


ANSWERS = AnswerCache()


def answer(request: Request, run: Callable[[], Response], *, limited: bool, cache_seconds: float) -> Response:
    """A public route's answer: the address's limit first, then a kept answer or a fresh one."""
    if limited:
        limit_address(request)
    if not cache_seconds or request.method != "GET":
        return run()
    key = request.full_path
    kept = ANSWERS.get(key)
    if kept is not None:
        return kept
    response = run()
    ANSWERS.put(key, response, cache_seconds)
    return response
