"""Rate limits per API key: a token bucket per key in this gateway process.

Each key may make ``per_minute`` requests a minute on average and burst up to that many at once. The buckets live
in this process's memory: with N gateway instances a key may make up to N times as many requests, and a restart
forgets the counts. A shared limit would need a shared counter and a store round trip on every request (and the
embedded store's lack of atomic increments), which the present single-gateway deployments do not warrant; the
limit is documented as per process (README, docs/api.md).
"""
from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic, max_keys: int = 10_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the request may go ahead; else the seconds to wait before the next one may."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - since) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_keys:
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.capacity}
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
