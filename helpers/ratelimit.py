"""Reading the rate-limit headers a provider sends with every answer, into one small typed object.

Each provider says how much of its limit is left in its own dialect:

- OpenAI: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`; `reset` is a Go-style duration
  until the limit is full again ("1s", "6m0s", "12ms", "14h29m11.04s"). The OpenAI guide "Rate
  limits" (https://developers.openai.com/api/docs/guides/rate-limits; its header table, with the
  sample values "1s" and "6m0s", as tracked at
  https://spybara.com/openai/api/history/docs/en/2026-06-24-2202..2026-06-26-1757/) describes
  `reset` as "The time until the rate limit (based on requests) resets to its initial state." Azure OpenAI sends bare integer seconds and -1 for "not reported"
  (https://github.com/openai/openai-dotnet/issues/838); both are understood.
- Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,
  reset}`; `reset` is a moment in RFC 3339 ("YYYY-MM-DDTHH:MM:SSZ"), "Time when the request limit
  resets (RFC 3339)" (https://docs.aws.amazon.com/claude-platform/latest/userguide/rate-limits.html,
  which follows Anthropic's own "Rate limits" page). A public recording with all twelve headers:
  tidyllm's cassette tests/testthat/claude/api.anthropic.com/v1/messages-e050b5-POST.R
  (https://rdrr.io/cran/tidyllm/src/tests/testthat/claude/api.anthropic.com/v1/messages-e050b5-POST.R).
- Hugging Face Hub: the IETF draft pair `ratelimit: "api";r=0;t=55` and `ratelimit-policy:
  "fixed window";"api";q=500;w=300`, read by huggingface_hub's own
  `huggingface_hub.utils.parse_ratelimit_headers` (reused here, not copied). `InferenceClient`
  returns only the body, so these reach a lesson only through an error's response.

A value that cannot be read becomes None with a Korean note in `problems`; reading never raises.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .retry import headers_of

__all__ = ["Limit", "RateLimits", "parse_duration", "read_rate_limits"]

KINDS = ("requests", "tokens", "input_tokens", "output_tokens")
_KIND_LABELS = {
    "requests": "요청 수",
    "tokens": "토큰 수",
    "input_tokens": "입력 토큰 수",
    "output_tokens": "출력 토큰 수",
}

# One Go duration term: a number and its unit; "ms" must be tried before "m".
_DURATION_TERM = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|h|m|s)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_COUNT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Limit:
    """One limit as the server reported it: its size, what is left, seconds until it is full."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None
    window_seconds: float | None = (
        None  # only Hugging Face says it (`w=`); the others mean a minute
    )

    def describe(self) -> str:
        size = "?" if self.limit is None else f"{self.limit:,}"
        left = "?" if self.remaining is None else f"{self.remaining:,}"
        reset = "" if self.reset_seconds is None else f", {self.reset_seconds:g}초 뒤 다 찹니다"
        return f"{left} / {size} 남음{reset}"


@dataclass(frozen=True)
class RateLimits:
    """Every limit one answer reported; a kind the provider does not use is None."""

    provider: str | None = None
    requests: Limit | None = None
    tokens: Limit | None = None
    input_tokens: Limit | None = None
    output_tokens: Limit | None = None
    problems: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return any(getattr(self, kind) is not None for kind in KINDS)

    def describe(self) -> str:
        """Korean lines a lesson can print; says so when the answer carried no limits."""
        lines = [
            f"{_KIND_LABELS[kind]}: {limit.describe()}"
            for kind in KINDS
            if (limit := getattr(self, kind)) is not None
        ]
        if not lines:
            lines.append("이 응답에는 요청 한도 헤더가 없습니다.")
        lines.extend(f"⚠ {problem}" for problem in self.problems)
        return "\n".join(lines)


def parse_duration(text: str) -> float | None:
    """Seconds in an OpenAI reset value: a Go duration ("6m0s", "20ms") or bare seconds ("30").

    None for anything else (empty, negative, "soon", "1x").
    """
    value = text.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    total, position = 0.0, 0
    for match in _DURATION_TERM.finditer(value):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return total if value and position == len(value) else None


def _seconds_until(text: str, now: float) -> float | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:  # RFC 3339 always carries an offset; a bare time is not one
        return None
    return max(0.0, moment.timestamp() - now)


class _Reader:
    """Collects the numbers of one header family and the Korean notes on values it could not read."""

    def __init__(self, headers: Mapping[str, str], now: float) -> None:
        self.headers = headers
        self.now = now
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    def count(self, name: str) -> int | None:
        value = self._raw(name)
        if value is None:
            return None
        if not _COUNT.fullmatch(value.strip()):
            self.problems.append(f"{name} 값 {value!r}을(를) 정수로 읽을 수 없어 무시했습니다.")
            return None
        number = int(value)
        if number < 0:  # Azure sends -1 when it does not report the limit
            self.problems.append(
                f"{name} 값 {value!r}은(는) 한도를 알려 주지 않는 값이라 무시했습니다."
            )
            return None
        return number

    def reset(self, name: str, parse: Any) -> float | None:
        value = self._raw(name)
        if value is None:
            return None
        seconds = parse(value)
        if seconds is None:
            self.problems.append(f"{name} 값 {value!r}을(를) 시간으로 읽을 수 없어 무시했습니다.")
        return seconds

    def limit(self, limit: str, remaining: str, reset: str, parse: Any) -> Limit | None:
        if all(self._raw(name) is None for name in (limit, remaining, reset)):
            return None
        return Limit(self.count(limit), self.count(remaining), self.reset(reset, parse))


def _openai(reader: _Reader) -> dict[str, Limit | None]:
    return {
        kind: reader.limit(
            f"x-ratelimit-limit-{kind}",
            f"x-ratelimit-remaining-{kind}",
            f"x-ratelimit-reset-{kind}",
            parse_duration,
        )
        for kind in ("requests", "tokens")
    }


def _anthropic(reader: _Reader) -> dict[str, Limit | None]:
    def until(text: str) -> float | None:
        return _seconds_until(text, reader.now)

    limits = {}
    for kind in KINDS:
        prefix = "anthropic-ratelimit-" + kind.replace("_", "-")
        limits[kind] = reader.limit(
            f"{prefix}-limit", f"{prefix}-remaining", f"{prefix}-reset", until
        )
    return limits


def _huggingface(reader: _Reader) -> dict[str, Limit | None]:
    from huggingface_hub.utils import parse_ratelimit_headers

    info = parse_ratelimit_headers(reader.headers)
    if info is None:
        reader.problems.append(
            f"ratelimit 값 {reader.headers.get('ratelimit')!r}을(를) 읽을 수 없어 무시했습니다."
        )
        return {}
    window = None if info.window_seconds is None else float(info.window_seconds)
    return {"requests": Limit(info.limit, info.remaining, float(info.reset_in_seconds), window)}


def _headers_from(source: Any) -> Mapping[str, str]:
    if isinstance(source, BaseException):
        return headers_of(source)
    headers = getattr(source, "headers", None)  # an SDK raw response or an httpx response
    if headers is not None and not isinstance(source, Mapping):
        return headers
    if isinstance(source, Mapping):
        if any(isinstance(key, str) and key != key.lower() for key in source):
            # A plain dict is case-sensitive; HTTP header names are not.
            return {str(key).lower(): value for key, value in source.items()}
        return source
    raise TypeError(
        "요청 한도는 응답 헤더(dict), SDK의 raw 응답(`with_raw_response`), 또는 API 예외에서 "
        f"읽습니다. 받은 값의 자료형: {type(source).__name__}"
    )


def read_rate_limits(source: Any, *, now: float | None = None) -> RateLimits:
    """The rate limits one answer reported, from its headers, raw response or error.

    `now` (Unix seconds, default the wall clock) turns Anthropic's reset moments into seconds.
    Headers of no known family give an empty (falsy) `RateLimits`.
    """
    headers = _headers_from(source)
    reader = _Reader(headers, time.time() if now is None else now)
    names = {str(name).lower() for name in headers}
    if any(name.startswith("x-ratelimit-") for name in names):
        provider, limits = "openai", _openai(reader)
    elif any(name.startswith("anthropic-ratelimit-") for name in names):
        provider, limits = "anthropic", _anthropic(reader)
    elif "ratelimit" in names:
        provider, limits = "huggingface", _huggingface(reader)
    else:
        return RateLimits()
    return RateLimits(provider=provider, problems=tuple(reader.problems), **limits)
