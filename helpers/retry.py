"""One small retry policy for LLM API calls, for where the SDK does not retry or you need more.

The OpenAI and Anthropic SDKs retry by themselves (`max_retries`, 2 by default); huggingface_hub's
`InferenceClient` does not retry at all. `RetryPolicy` is what lesson 07 builds instead of a
dependency: exponential backoff with *full jitter* (each wait is drawn uniformly between 0 and the
exponential cap, so many clients that failed together do not come back together), the server's
`Retry-After` / `retry-after-ms` honoured, a cap on attempts and on total time, and never a retry
for a request that cannot succeed unchanged (4xx other than 408, 409 and 429; 402 is a spent
balance, not a busy server).

Clock, sleep and random are fields of the policy so tests drive it with a fake clock:

    policy = RetryPolicy(max_attempts=4, base_delay=0.5)
    answer = policy.call(client.chat.completions.create, model=..., messages=...)
    answer = await policy.call_async(async_client.chat.completions.create, model=..., ...)
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import math
import random as _random
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# 4xx answers worth sending again unchanged: request timeout, conflict (lock), rate limit.
RETRYABLE_4XX = frozenset({408, 409, 429})


def _loaded(module: str, *names: str) -> tuple[type, ...]:
    """Exception classes from a module only if it is already imported.

    An exception can only be an instance of a class whose module is loaded, so checking this way
    never pays for importing an SDK the caller does not use.
    """
    mod = sys.modules.get(module)
    if mod is None:
        return ()
    return tuple(cls for name in names if isinstance(cls := getattr(mod, name, None), type))


def _response_of(error: BaseException) -> Any:
    try:
        return getattr(error, "response", None)
    except Exception:  # httpx raises RuntimeError for a response that was never set
        return None


def status_of(error: BaseException) -> int | None:
    """The HTTP status behind an exception from any of the three SDKs, or None (no answer)."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    response = _response_of(error)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def headers_of(error: BaseException) -> Mapping[str, str]:
    """Response headers behind an exception (case-insensitive for httpx), or an empty dict."""
    headers = getattr(_response_of(error), "headers", None)
    return headers if headers is not None else {}


def retry_after(error: BaseException, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, then `retry-after` (seconds or an
    HTTP date, measured from `now`, default the wall clock). None when it did not say."""
    headers = headers_of(error)
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            continue
        if math.isfinite(seconds):  # "nan" or "inf" is not a wait anyone can honour
            return max(0.0, seconds)
    value = headers.get("retry-after")
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return None


def is_retryable(error: BaseException) -> bool:
    """True when sending the same request again may succeed.

    Retry: 408, 409, 429, every 5xx (529 overloaded included), timeouts and dropped connections.
    Never: other 4xx (400 bad request, 401 key, 402 credits, 403 permission, 404 model, 422),
    a server that says `x-should-retry: false`, and errors raised before anything was sent
    (a missing key, a wrong argument).
    """
    status = status_of(error)
    if status is not None and status >= 400:
        if str(headers_of(error).get("x-should-retry", "")).lower() == "false":
            return False
        return status in RETRYABLE_4XX or status >= 500
    transient = (
        *_loaded("openai", "APIConnectionError"),  # APITimeoutError is a subclass
        *_loaded("anthropic", "APIConnectionError", "RetryableError"),
        *_loaded("httpx2", "TransportError"),  # connect/read timeouts, dropped connections
        *_loaded("httpx", "TransportError"),
        *_loaded("huggingface_hub.errors", "InferenceTimeoutError", "OverloadedError"),
        TimeoutError,
        ConnectionError,
    )
    return isinstance(error, transient)


@dataclass(frozen=True)
class RetryEvent:
    """One failed attempt that will be retried: what failed and how long we wait."""

    attempt: int  # 1 = the first call
    error: BaseException
    delay: float
    elapsed: float
    server_asked: bool  # the delay came from Retry-After

    def describe(self) -> str:
        status = status_of(self.error)
        what = type(self.error).__name__ + (f" {status}" if status else "")
        why = "서버가 요청한 Retry-After" if self.server_asked else "지수 백오프 + 지터"
        return f"↻ {self.attempt}번째 시도 실패({what}) → {self.delay:.2f}초 뒤 다시 시도 ({why})"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a call on transient failures: exponential backoff with full jitter, Retry-After
    honoured, at most `max_attempts` calls and `max_elapsed` seconds in all.

    The n-th retry waits `random() * min(max_delay, base_delay * 2**(n-1))` seconds, unless the
    server said how long (then exactly that). When the next wait would cross `max_elapsed`, the
    policy gives up at once instead of sleeping for nothing. Giving up re-raises the last
    exception with a Korean note saying how many attempts were made.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_elapsed: float = 60.0
    verbose: bool = False
    on_retry: Callable[[RetryEvent], None] | None = field(default=None, repr=False)
    retryable: Callable[[BaseException], bool] = field(default=is_retryable, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)
    async_sleep: Callable[[float], Awaitable[Any]] = field(
        default=asyncio.sleep, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts는 1 이상이어야 합니다 (첫 호출도 한 번으로 셉니다).")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_elapsed < 0:
            raise ValueError("base_delay, max_delay, max_elapsed는 0 이상이어야 합니다.")

    def backoff(self, retry: int) -> float:
        """Wait before the `retry`-th retry (1-based): full jitter under an exponential cap."""
        cap = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return self.random() * cap

    def _next_delay(self, error: Exception, attempt: int, start: float) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up (the caller re-raises).

        Giving up leaves a Korean note on `error` saying why.
        """
        elapsed = self.clock() - start
        if not self.retryable(error):
            _note(
                error, "helpers.retry: 다시 보내도 같은 결과가 나올 오류라 재시도하지 않았습니다."
            )
            return None
        if attempt >= self.max_attempts:
            _note(
                error,
                f"helpers.retry: {attempt}번 시도했지만 모두 실패해 포기했습니다 "
                f"({elapsed:.2f}초 경과).",
            )
            return None
        asked = retry_after(error)
        server_asked = asked is not None and asked > 0
        delay = asked if server_asked else self.backoff(attempt)
        if elapsed + delay > self.max_elapsed:
            _note(
                error,
                f"helpers.retry: 다음 대기({delay:.2f}초)가 시간 예산 {self.max_elapsed:g}초를 "
                f"넘어 {attempt}번째 시도에서 멈췄습니다.",
            )
            return None
        event = RetryEvent(attempt, error, delay, elapsed, server_asked)
        if self.verbose:
            print(event.describe())
        if self.on_retry is not None:
            self.on_retry(event)
        return delay

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, retried on transient failures as this policy says."""
        start = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except Exception as error:
                delay = self._next_delay(error, attempt, start)
                if delay is None:
                    raise
            self.sleep(delay)

    async def call_async(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """`await fn(*args, **kwargs)`, retried like `call`, waiting with `async_sleep`.

        For async clients (`AsyncOpenAI`, `AsyncAnthropic`, `AsyncInferenceClient`): the waits are
        `await`ed, so other tasks keep running while this one backs off.
        """
        start = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await fn(*args, **kwargs)
            except Exception as error:
                delay = self._next_delay(error, attempt, start)
                if delay is None:
                    raise
            await self.async_sleep(delay)

    def wrap(self, fn: Callable[..., T]) -> Callable[..., T]:
        """`fn` with this policy around every call (usable as a decorator)."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            return self.call(fn, *args, **kwargs)

        return wrapper


def _note(error: BaseException, text: str) -> None:
    if text not in getattr(error, "__notes__", ()):
        error.add_note(text)
