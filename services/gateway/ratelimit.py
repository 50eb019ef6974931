"""Rate limits: a token bucket per key (an API key, or a client address) in this gateway process.

Each key may make ``per_minute`` requests a minute on average and burst up to that many at once. The buckets live
in this process's memory: with N gateway instances a key may make up to N times as many requests, and a restart
forgets the counts. A shared limit would need a shared counter and a store round trip on every request (and the
embedded store's lack of atomic increments), which the present single-gateway deployments do not warrant; the
limit is documented as per process (README, docs/api.md).

The table is bounded: a bucket that has refilled is the same as no bucket, so it is dropped; and when more than
``max_keys`` keys are active at once (many client addresses), the least recently used are dropped first (down to
90 %, so that a flood of new keys does not sweep the table on every request).
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic, max_keys: int = 10_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the request may go ahead; else the seconds to wait before the next one may."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - since) * self.rate)
            taken = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if taken else tokens, now)  # most recently used last
            if len(self._buckets) > self.max_keys:
                self._evict(now)
            return 0.0 if taken else (1.0 - tokens) / self.rate

    def _evict(self, now: float) -> None:
        """Drop the buckets that have refilled by now; then, while still too many, the least recently used."""
        full = [k for k, (tokens, since) in self._buckets.items()
                if tokens + (now - since) * self.rate >= self.capacity]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys * 0.9:  # room to spare: not a sweep on every new key
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
