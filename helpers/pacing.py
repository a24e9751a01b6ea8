"""Pacing many requests under a rate limit: token buckets for requests and for tokens.

A rate limit such as "60 requests per minute" is best respected before the server has to say 429.
A token bucket holds up to `capacity` tokens and gains `rate` tokens per second; each request takes
one and waits when none is left. Short bursts up to `capacity` go out at once, and over a longer
run the pace never exceeds `rate`. (A semaphore is the other half of pacing: it limits how many
requests are *in flight* at once, not how many start per second.)

Clock and sleep are injectable so tests run it on a fake clock.

`RateLimiter` is the same idea for limits counted two ways at once, as the providers count them:
requests per minute *and* tokens per minute. Each call takes one request and its estimated tokens
(`estimate_tokens`: the prompt counted offline plus the most output the request allows), and waits
until both are free. It has an `async` twin that waits with `asyncio.sleep`, so many tasks can
share one limiter without blocking the event loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from . import tokencount
from .ratelimit import RateLimits, read_rate_limits

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


class _Level:
    """One refilling quantity: `rate` per second up to `capacity`. Not locked; its owner locks."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.level = capacity
        self.last = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
        self.last = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` is there (0 when it is there now)."""
        missing = amount - self.level
        return 0.0 if missing <= _EPSILON * max(1.0, amount) else missing / self.rate


def _positive(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name}는 0보다 큰 수여야 합니다. 받은 값: {value!r}")
    return float(value)


class RateLimiter:
    """Requests per minute (`rpm`) and tokens per minute (`tpm`), both respected before each call.

    `acquire(tokens=n)` waits until one request and `n` tokens are free, then takes both at once
    (taking a request slot while still waiting for tokens would waste it). A call that needs more
    tokens than `token_burst` can never go out and is refused with a `ValueError` at once.

    Both limits refill continuously, `rpm / 60` and `tpm / 60` per second, up to a burst that is a
    full minute's worth by default. OpenAI says "Rate limits can be applied over shorter periods -
    for example, 1 request per second for a 60 RPM limit" (OpenAI Help Center, "How can I solve
    429: 'Too Many Requests' errors?", https://help.openai.com/en/articles/5955604), so pass a
    smaller `request_burst` when bursts still get 429.

    Nothing taken is given back when the call fails. The same article: "As unsuccessful requests
    contribute to your per-minute limit, continuously resending a request won't work." We found
    no statement from Anthropic or Hugging Face either way; counting failures there too is our
    assumption, the cautious one. So every retry must `acquire` again, as lesson 07 does with
    `TokenBucket`.

    Thread-safe; the lock is only held for arithmetic, never across a sleep, so the async variant
    never blocks the event loop either.
    """

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        request_burst: float | None = None,
        token_burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        rpm = _positive(rpm, "rpm(분당 요청 수)")
        tpm = _positive(tpm, "tpm(분당 토큰 수)")
        if rpm is None and tpm is None:
            raise ValueError("rpm(분당 요청 수)과 tpm(분당 토큰 수) 중 하나는 정해야 합니다.")
        request_burst = _positive(request_burst, "request_burst") or rpm
        token_burst = _positive(token_burst, "token_burst") or tpm
        if request_burst is not None and request_burst < 1:
            raise ValueError("request_burst는 1 이상이어야 합니다 (요청 하나는 한 번에 나갑니다).")
        now = clock()
        self._requests = None if rpm is None else _Level(rpm / 60, request_burst, now)
        self._tokens = None if tpm is None else _Level(tpm / 60, token_burst, now)
        self.rpm, self.tpm = rpm, tpm
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._lock = threading.Lock()

    @classmethod
    def from_limits(cls, source: Any, *, share: float = 1.0, **options: Any) -> RateLimiter:
        """A limiter sized from the limits an answer reported, then told what remains.

        `source` is anything `update_from` takes. `share` keeps part of the limit for other
        programs using the same key (0.5: half of it). Hugging Face reports its own window
        (`w=300` seconds), converted here to a per-minute rate. Other keywords go to the
        constructor (`request_burst`, `clock`, ...).
        """
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise ValueError(f"share는 0보다 크고 1 이하인 비율이어야 합니다. 받은 값: {share!r}")
        limits = source if isinstance(source, RateLimits) else read_rate_limits(source)

        def per_minute(limit: Any) -> float | None:
            if limit is None or not limit.limit:
                return None
            window = limit.window_seconds or 60.0
            return limit.limit * 60.0 / window * share

        rpm = per_minute(limits.requests)
        tpm = per_minute(limits.tokens or limits.input_tokens)
        if rpm is None and tpm is None:
            raise ValueError(
                "응답에 한도 값(limit)이 없어 속도를 정할 수 없습니다. "
                "RateLimiter(rpm=..., tpm=...)로 직접 정하세요."
            )
        limiter = cls(rpm, tpm, **options)
        limiter.update_from(limits)
        return limiter

    @property
    def token_burst(self) -> float | None:
        """The most tokens one call may take (None when tokens are not limited)."""
        return None if self._tokens is None else self._tokens.capacity

    def _check(self, tokens: float) -> float:
        if isinstance(tokens, bool) or not isinstance(tokens, int | float) or not tokens >= 0:
            raise ValueError(f"tokens는 0 이상의 수여야 합니다. 받은 값: {tokens!r}")
        if self._tokens is not None and tokens > self._tokens.capacity:
            raise ValueError(
                f"이 요청은 토큰 {tokens:,.0f}개가 필요하지만 한 번에 쓸 수 있는 토큰은 "
                f"{self._tokens.capacity:,.0f}개(분당 한도)라 영원히 보낼 수 없습니다. "
                "프롬프트를 나누거나 max_tokens를 줄이세요."
            )
        return float(tokens)

    def _take_or_wait(self, tokens: float) -> float:
        """Take both now and return 0, or take nothing and return how long to wait."""
        with self._lock:
            now = self._clock()
            levels = self._levels(tokens)
            for level, _ in levels:
                level.refill(now)
            wait = max((level.wait_for(amount) for level, amount in levels), default=0.0)
            if wait > 0:
                return wait
            for level, amount in levels:
                level.level -= amount
            return 0.0

    def _levels(self, tokens: float) -> list[tuple[_Level, float]]:
        pairs = []
        if self._requests is not None:
            pairs.append((self._requests, 1.0))
        if self._tokens is not None:
            pairs.append((self._tokens, tokens))
        return pairs

    def try_acquire(self, tokens: float = 0) -> bool:
        """Take one request and `tokens` tokens if both are free now; never waits."""
        return self._take_or_wait(self._check(tokens)) == 0

    def acquire(self, tokens: float = 0) -> float:
        """Take one request and `tokens` tokens, waiting until both are free; returns seconds waited."""
        tokens = self._check(tokens)
        waited = 0.0
        while (wait := self._take_or_wait(tokens)) > 0:
            self._sleep(wait)
            waited += wait
        return waited

    async def acquire_async(self, tokens: float = 0) -> float:
        """`acquire` for asyncio: waits with `await async_sleep(...)`, so other tasks run meanwhile."""
        tokens = self._check(tokens)
        waited = 0.0
        while (wait := self._take_or_wait(tokens)) > 0:
            await self._async_sleep(wait)
            waited += wait
        return waited

    def settle(self, estimated: float, actual: float) -> None:
        """Correct a call's token estimate once its `usage` is known.

        Tokens estimated but not used are given back (up to the burst); tokens used beyond the
        estimate are taken now, even below zero, so the next calls wait for them. Call it only
        after a call that succeeded with `usage`: a failed call keeps its whole estimate, because
        the provider counted it too (see the class docstring).
        """
        if self._tokens is None:
            return
        for name, value in (("estimated", estimated), ("actual", actual)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{name}는 0 이상의 토큰 수여야 합니다. 받은 값: {value!r}")
        with self._lock:
            self._tokens.refill(self._clock())
            self._tokens.level = min(self._tokens.capacity, self._tokens.level + estimated - actual)

    def update_from(self, source: Any) -> RateLimits:
        """Believe the server when it says fewer remain than this limiter thinks.

        `source` is an answer's headers, raw response or error (or `RateLimits` already read).
        Available requests and tokens drop to the server's `remaining` when that is lower; they
        never rise, since calls still in flight may not be counted by the server yet. For Anthropic
        the combined `tokens` count is used (input tokens when only those are reported), as
        `estimate_tokens` counts input and output together. Returns what was read.
        """
        limits = source if isinstance(source, RateLimits) else read_rate_limits(source)
        tokens = limits.tokens or limits.input_tokens
        with self._lock:
            now = self._clock()
            for level, limit in ((self._requests, limits.requests), (self._tokens, tokens)):
                if level is None or limit is None or limit.remaining is None:
                    continue
                level.refill(now)
                level.level = min(level.level, float(limit.remaining))
        return limits

    def available(self) -> dict[str, float | None]:
        """Requests and tokens free right now (None for a kind that is not limited)."""
        with self._lock:
            now = self._clock()
            result: dict[str, float | None] = {}
            for name, level in (("requests", self._requests), ("tokens", self._tokens)):
                if level is None:
                    result[name] = None
                else:
                    level.refill(now)
                    result[name] = level.level
            return result


def _max_output(request: Mapping[str, Any]) -> int:
    # OpenAI Chat Completions: max_completion_tokens (max_tokens is its deprecated older name);
    # Anthropic Messages and Hugging Face chat_completion: max_tokens.
    for name in ("max_completion_tokens", "max_tokens", "max_output_tokens", "max_new_tokens"):
        value = request.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}는 0 이상의 정수여야 합니다. 받은 값: {value!r}")
        return value
    return 0


def estimate_tokens(**request: Any) -> int:
    """Tokens a call will count against a tokens-per-minute limit, before it is sent.

    Pass the keyword arguments you are about to give `create(...)`. The estimate is the prompt
    counted offline (`helpers.tokencount.count_messages`, Anthropic's `system` included) plus the
    most output the request allows (`max_completion_tokens` / `max_tokens`) times `n`, because the
    limiter counts what a call may use before it runs: "Usage needs are estimated from this value
    [max_tokens], so reducing it will decrease the chance that you unexpectedly receive a rate
    limit error." (OpenAI Help Center, "Rate limit advice",
    https://help.openai.com/en/articles/6891753-rate-limit-advice, quoted from an archived copy).
    Without a maximum only the prompt is counted. The counts use o200k_base, the tokenizer of
    current OpenAI models; for Claude and Llama they are a rough guide, and tools or images are not
    counted. `settle()` with the real `usage` corrects the estimate afterwards.
    """
    messages = request.get("messages", [])
    if not isinstance(messages, Sequence) or isinstance(messages, str | bytes):
        raise TypeError(
            "messages는 {'role': ..., 'content': ...} 사전의 리스트여야 합니다. "
            f"받은 값의 자료형: {type(messages).__name__}"
        )
    if not all(isinstance(message, Mapping) for message in messages):
        raise TypeError("messages의 항목은 모두 {'role': ..., 'content': ...} 사전이어야 합니다.")
    system = request.get("system")
    if system:  # Anthropic takes the system prompt beside the messages, not among them
        messages = [{"role": "system", "content": system}, *messages]
    n = request.get("n")
    n = 1 if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n은 1 이상의 정수여야 합니다. 받은 값: {n!r}")
    return tokencount.count_messages(messages) + _max_output(request) * n
