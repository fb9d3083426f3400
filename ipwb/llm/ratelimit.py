"""Per-user rate limiting with a token bucket.

A bucket per user holds up to ``capacity`` tokens and refills continuously at
``per_minute / 60`` tokens a second; each model call takes one. Bursts are allowed, a
sustained flood is not. The clock is injectable so tests step time instead of sleeping.
In a multi-worker Odoo deployment each worker has its own buckets (the limit is then per
worker); a shared limiter can implement :class:`Limiter` on top of the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from ipwb.llm.errors import RateLimited

Clock = Callable[[], float]


class Limiter(Protocol):
    def acquire(self, user: str) -> None:
        """Take one token for ``user`` or raise :class:`RateLimited`."""


class TokenBucketLimiter:
    def __init__(self, capacity: int, per_minute: float, clock: Clock = time.monotonic) -> None:
        if capacity < 1 or per_minute <= 0:
            raise ValueError("a token bucket needs capacity >= 1 and a positive refill rate")
        self.capacity = float(capacity)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user → (tokens, last refill time)
        self._lock = threading.Lock()

    def acquire(self, user: str) -> None:
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(user, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[user] = (tokens, now)
                raise RateLimited(user, (1.0 - tokens) / self.rate)
            self._buckets[user] = (tokens - 1.0, now)

    def available(self, user: str) -> float:
        """Tokens ``user`` could spend now (for display)."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(user, (self.capacity, now))
            return min(self.capacity, tokens + (now - last) * self.rate)
