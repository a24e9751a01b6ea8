"""Lab 09-limits: concurrency and rate-limiter settings for given limits, judged by simulation.

A job of identical requests runs on a virtual clock: each request waits for one of
``max_concurrency`` slots (what an ``asyncio.Semaphore`` does), then for ``helpers.pacing.
RateLimiter(rpm, tpm).acquire(tokens=prompt + max_tokens)``, is sent, and holds its slot for
``latency_s`` seconds. The provider is modelled as continuously refilling buckets holding this job's
share of the key's limits, starting full — the same model ``RateLimiter`` uses, so a limiter set to
exactly the share never sees a 429 and one set any higher does. Identical requests make the order in
which waiting tasks get through irrelevant, so slots are filled in turn.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...pacing import RateLimiter
from .. import Feedback, check_signature, register, run_learner

__all__ = ["LIMITS_EXAMPLE", "SCENARIOS", "best_settings", "simulate_settings"]

# How much slower than the best settings an answer may be: the lab's "not needlessly low".
MIN_THROUGHPUT = 0.8
# Minutes of steady work per job, so the first minute's saved-up burst does not dominate.
JOB_MINUTES = 6

SCENARIOS: list[dict[str, Any]] = [
    # Tokens bind: 200,000 / (1,500 + 500) = 100 requests a minute, below the 500 allowed.
    dict(rpm=500, tpm=200_000, prompt_tokens=1500, max_tokens=500, latency_s=6.0, share=1.0),
    # Requests bind: short classification calls; two in flight could send 80 a minute.
    dict(rpm=60, tpm=1_000_000, prompt_tokens=300, max_tokens=50, latency_s=1.5, share=1.0),
    # Half of the key, long answers: two in flight could send 80 a minute, the share allows 50.
    dict(rpm=1000, tpm=400_000, prompt_tokens=2000, max_tokens=2000, latency_s=1.5, share=0.5),
    # Half of a small key, fast answers: only the request budget keeps this job at 60 a minute.
    dict(rpm=120, tpm=400_000, prompt_tokens=400, max_tokens=200, latency_s=0.5, share=0.5),
]

LIMITS_EXAMPLE = dict(SCENARIOS[0])


def best_settings(
    rpm: float, tpm: float, prompt_tokens: int, max_tokens: int, latency_s: float, share=1.0
) -> dict[str, Any]:
    """The settings the simulation compares with: the share of both limits, and just enough
    concurrency to keep the tighter of them busy."""
    rpm_budget, tpm_budget = rpm * share, tpm * share
    per_minute = min(rpm_budget, tpm_budget / (prompt_tokens + max_tokens))
    return {
        "max_concurrency": max(1, math.ceil(per_minute * latency_s / 60)),
        "rpm": rpm_budget,
        "tpm": tpm_budget,
    }


class _Bucket:
    """The provider's view of one limit: `rate` per second up to `capacity`, full at start."""

    def __init__(self, per_minute: float) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60
        self.level = per_minute
        self.last = 0.0

    def take(self, amount: float, now: float) -> bool:
        self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
        self.last = now
        # The limiter forgives float dust the same way (helpers.pacing._EPSILON).
        if self.level + 1e-6 * max(1.0, amount) < amount:
            return False
        self.level = max(0.0, self.level - amount)
        return True


@dataclass
class JobResult:
    requests: int
    minutes: float
    refused_requests: int
    refused_tokens: int
    first_refusal_at: float | None

    @property
    def per_minute(self) -> float:
        return self.requests / self.minutes if self.minutes else float("inf")


def run_job(
    settings: Mapping[str, Any], limits: Mapping[str, Any], requests: int | None = None
) -> JobResult:
    """Simulate ``requests`` identical calls with these settings; raises ValueError as
    ``RateLimiter`` does for a budget that can never let one request through."""
    tokens = limits["prompt_tokens"] + limits["max_tokens"]
    share = limits.get("share", 1.0)
    if requests is None:
        best = best_settings(**limits)
        per_minute = min(best["rpm"], best["tpm"] / tokens)
        requests = max(10, math.ceil(JOB_MINUTES * per_minute))
    now = 0.0

    def clock() -> float:
        return now

    def sleep(seconds: float) -> None:
        nonlocal now
        now += seconds

    rpm, tpm = settings.get("rpm"), settings.get("tpm")
    limiter = None
    if rpm is not None or tpm is not None:
        limiter = RateLimiter(rpm, tpm, clock=clock, sleep=sleep)
    request_bucket = _Bucket(limits["rpm"] * share)
    token_bucket = _Bucket(limits["tpm"] * share)
    slots = [0.0] * int(settings["max_concurrency"])
    refused_requests = refused_tokens = 0
    first_refusal = None
    finished = 0.0
    for _ in range(requests):
        now = max(now, heapq.heappop(slots))
        if limiter is not None:
            limiter.acquire(tokens=tokens)
        ok_requests = request_bucket.take(1, now)
        ok_tokens = ok_requests and token_bucket.take(tokens, now)
        if not ok_requests:
            refused_requests += 1
        elif not ok_tokens:
            refused_tokens += 1
        if not (ok_requests and ok_tokens) and first_refusal is None:
            first_refusal = now
        done = now + limits["latency_s"]
        finished = max(finished, done)
        heapq.heappush(slots, done)
    return JobResult(requests, finished / 60, refused_requests, refused_tokens, first_refusal)


def _describe(limits: Mapping[str, Any]) -> str:
    share = limits.get("share", 1.0)
    return (
        f"RPM {limits['rpm']:,}, TPM {limits['tpm']:,}, 요청당 {limits['prompt_tokens']:,}+"
        f"{limits['max_tokens']:,} 토큰, 응답 {limits['latency_s']:g}초"
        + (f", 몫 {share:.0%}" if share != 1 else "")
    )


def _settings_problem(settings: Any) -> tuple[str, str] | None:
    """(failure, hint) when the returned value is not a settings dict."""
    if not isinstance(settings, Mapping):
        return (
            f"돌려준 값이 dict가 아닙니다({type(settings).__name__}).",
            '`{"max_concurrency": ..., "rpm": ..., "tpm": ...}`를 돌려주세요.',
        )
    missing = [k for k in ("max_concurrency", "rpm", "tpm") if k not in settings]
    unknown = [k for k in settings if k not in ("max_concurrency", "rpm", "tpm")]
    if missing or unknown:
        return (
            "dict의 키가 다릅니다"
            + (f"(없는 키: {', '.join(map(repr, missing))})" if missing else "")
            + (f"(모르는 키: {', '.join(map(repr, unknown))})" if unknown else "")
            + ".",
            '키는 정확히 `"max_concurrency"`, `"rpm"`, `"tpm"`입니다. 제한하지 않을 값은 `None`으로 두세요.',
        )
    c = settings["max_concurrency"]
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        return (
            f"`max_concurrency`는 1 이상의 정수여야 합니다(받은 값: {c!r}).",
            "`asyncio.Semaphore`의 크기는 정수입니다. `math.ceil(...)`은 정수를 돌려줍니다.",
        )
    for key in ("rpm", "tpm"):
        value = settings[key]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            return (
                f"`{key}`는 0보다 큰 수나 `None`이어야 합니다(받은 값: {value!r}).",
                "예산은 한도에 `share`를 곱한 값입니다.",
            )
    return None


def _binding(settings: Mapping[str, Any], limits: Mapping[str, Any]) -> str:
    tokens = limits["prompt_tokens"] + limits["max_tokens"]
    c = settings["max_concurrency"]
    bounds = {
        f"동시성 × 지연: 동시에 {c}개, 요청마다 {limits['latency_s']:g}초라 분당 최대 "
        f"{c * 60 / limits['latency_s']:,.1f}개": c * 60 / limits["latency_s"],
    }
    if settings["rpm"] is not None:
        bounds[f"요청 예산: 분당 {settings['rpm']:,.1f}개"] = settings["rpm"]
    if settings["tpm"] is not None:
        bounds[
            f"토큰 예산: 분당 {settings['tpm']:,.0f} 토큰 ÷ 요청당 {tokens:,} 토큰 = 분당 "
            f"{settings['tpm'] / tokens:,.1f}개"
        ] = settings["tpm"] / tokens
    return min(bounds, key=bounds.__getitem__)


def simulate_settings(settings: Any, **limits: Any) -> dict[str, Any]:
    """Print what a job does with ``settings`` under ``limits`` and return the numbers."""
    problem = _settings_problem(settings)
    if problem:
        print(f"설정을 쓸 수 없습니다: {problem[0]} {problem[1]}")
        return {"ok": False, "problem": problem[0]}
    try:
        result = run_job(settings, limits)
    except ValueError as exc:
        print(f"이 설정으로는 요청을 하나도 보낼 수 없습니다: {exc}")
        return {"ok": False, "problem": str(exc)}
    best = run_job(best_settings(**limits), limits, requests=result.requests)
    ratio = best.minutes / result.minutes if result.minutes else 1.0
    print(f"한도: {_describe(limits)}")
    print(
        f"설정: 동시성 {settings['max_concurrency']}, rpm {settings['rpm']}, tpm {settings['tpm']}"
    )
    print(
        f"요청 {result.requests}개를 가짜 시계로 {result.minutes:.1f}분에 끝냈습니다"
        f"(분당 {result.per_minute:,.1f}개, 가장 빠른 설정의 {ratio:.0%})."
    )
    print(f"429 거절: 요청 한도 {result.refused_requests}번, 토큰 한도 {result.refused_tokens}번")
    return {
        "ok": result.refused_requests + result.refused_tokens == 0 and ratio >= MIN_THROUGHPUT,
        "requests": result.requests,
        "minutes": result.minutes,
        "per_minute": result.per_minute,
        "throughput_ratio": ratio,
        "refused_requests": result.refused_requests,
        "refused_tokens": result.refused_tokens,
    }


def _judge_scenario(fb: Feedback, func: Any, limits: dict[str, Any], label: str) -> bool:
    settings = run_learner(
        func,
        **limits,
        what="choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share)",
    )
    problem = _settings_problem(settings)
    if problem:
        fb.fail(f"{label}: {problem[0]}", hint=problem[1])
        return False
    share = limits["share"]
    try:
        result = run_job(settings, limits)
    except ValueError:
        tokens = limits["prompt_tokens"] + limits["max_tokens"]
        fb.fail(
            f"{label}: `tpm` 예산 {settings['tpm']:,}이 요청 하나의 토큰 {tokens:,}개보다 작아 "
            "리미터가 요청을 하나도 보낼 수 없습니다.",
            hint="요청 하나는 프롬프트와 최대 출력을 합친 만큼 셉니다. 예산은 `tpm * share`입니다.",
        )
        return False
    if result.refused_requests:
        fb.fail(
            f"{label}: 요청 한도(RPM)를 넘어 429가 {result.refused_requests}번 났습니다"
            f"(처음: {result.first_refusal_at:.1f}초). 이 작업의 몫은 분당 "
            f"{limits['rpm'] * share:,.1f}개인데 `rpm` 설정은 {settings['rpm']}입니다.",
            hint="`rpm`은 `rpm * share`로 두세요. `None`이면 요청 수를 전혀 제한하지 않습니다."
            if share != 1 or settings["rpm"] is None
            else "`rpm`을 키의 한도보다 크게 두지 마세요.",
        )
        return False
    if result.refused_tokens:
        fb.fail(
            f"{label}: 토큰 한도(TPM)를 넘어 429가 {result.refused_tokens}번 났습니다"
            f"(처음: {result.first_refusal_at:.1f}초). 이 작업의 몫은 분당 "
            f"{limits['tpm'] * share:,.0f} 토큰인데 `tpm` 설정은 {settings['tpm']}입니다.",
            hint="`tpm`은 `tpm * share`로 두세요. 다른 프로그램이 나머지를 씁니다."
            if share != 1
            else "`tpm`을 키의 한도보다 크게 두지 마세요.",
        )
        return False
    best = run_job(best_settings(**limits), limits, requests=result.requests)
    ratio = best.minutes / result.minutes
    if ratio < MIN_THROUGHPUT:
        fb.fail(
            f"{label}: 429는 없지만 처리량이 가장 빠른 설정의 {ratio:.0%}입니다"
            f"(기준 {MIN_THROUGHPUT:.0%}). 발목을 잡는 것은 {_binding(settings, limits)}입니다.",
            hint="분당 보낼 수 있는 요청은 `min(rpm 예산, tpm 예산 / (prompt_tokens + max_tokens))`"
            "개이고, 이를 유지하려면 `math.ceil(분당 요청 × latency_s / 60)`개가 동시에 떠 있어야 "
            "합니다.",
        )
        return False
    needed = best_settings(**limits)["max_concurrency"]
    if settings["max_concurrency"] > 4 * needed:
        fb.info(
            f"{label}: 동시성 {settings['max_concurrency']}은 필요한 {needed}보다 훨씬 큽니다. "
            "한도는 지켜지지만 나머지 작업은 리미터 앞에서 기다리기만 합니다."
        )
    return True


@register("09-limits", "한도에 맞는 동시성과 속도 설정 고르기")
def _check_limits(answer: Any, fb: Feedback) -> None:
    needed = ["rpm", "tpm", "prompt_tokens", "max_tokens", "latency_s", "share"]
    usage = "def choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share=1.0)"
    if check_signature(fb, answer, "choose_settings", needed, usage) is None:
        return
    for n, limits in enumerate(SCENARIOS, 1):
        if not _judge_scenario(fb, answer, dict(limits), f"작업 {n}({_describe(limits)})"):
            return
    fb.ok(f"한도가 다른 작업 {len(SCENARIOS)}개 모두 429 없이 끝났습니다.")
    fb.ok(
        f"모든 작업에서 처리량이 가장 빠른 설정의 {MIN_THROUGHPUT:.0%} 이상입니다(요청 한도가 묶는 "
        "작업도, 토큰 한도가 묶는 작업도, 한도의 일부만 쓰는 작업도)."
    )
