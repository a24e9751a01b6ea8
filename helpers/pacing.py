"""Pacing many requests under a rate limit: a token bucket.

A rate limit such as "60 requests per minute" is best respected before the server has to say 429.
A token bucket holds up to `capacity` tokens and gains `rate` tokens per second; each request takes
one and waits when none is left. Short bursts up to `capacity` go out at once, and over a longer
run the pace never exceeds `rate`. (A semaphore is the other half of pacing: it limits how many
requests are *in flight* at once, not how many start per second.)

Clock and sleep are injectable so tests run it on a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Refills are float arithmetic: 0.9999999999 tokens is a whole token, or waits would shrink forever.
_EPSILON = 1e-9


class TokenBucket:
    """`rate` tokens per second, at most `capacity` saved up; `acquire()` blocks until one is free.

    Thread-safe: many worker threads may share one bucket.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate(초당 토큰 수)는 0보다 커야 합니다.")
        if capacity < 1:
            raise ValueError("capacity는 1 이상이어야 합니다 (요청 하나에 토큰 하나가 듭니다).")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(capacity)
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def try_acquire(self) -> bool:
        """Take a token if one is free now; never waits."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1 - _EPSILON:
                self._tokens = max(0.0, self._tokens - 1)
                return True
            return False

    def acquire(self) -> float:
        """Take one token, waiting until there is one; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill(self._clock())
                if self._tokens >= 1 - _EPSILON:
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                wait = (1 - self._tokens) / self.rate
            # Sleep outside the lock so other threads can refill and check meanwhile.
            self._sleep(wait)
            waited += wait

    def __enter__(self) -> TokenBucket:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        return None
