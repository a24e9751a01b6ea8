"""`helpers.retry`: which failures are retried, how long it waits (on a fake clock), when it gives
up; and the policy against every replay fault kind through all three real SDKs."""

from __future__ import annotations

import asyncio
import email.utils
import time

import anthropic
import httpx2
import openai
import pytest

from helpers.explain import sdk_status_error
from helpers.replay.faults import KINDS
from helpers.retry import RetryPolicy, is_retryable, retry_after, status_of
from tests import fault_cases
from tests.fault_cases import ANSWER, EXPECTED, PROVIDERS, STREAM_KINDS, inject

fault_server = fault_cases.fault_server  # fixtures shared with test_explain.py
fault_lab = fault_cases.fault_lab


class FakeClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def policy(clock: FakeClock, random: float = 1.0, **options) -> RetryPolicy:
    return RetryPolicy(clock=clock.time, sleep=clock.sleep, random=lambda: random, **options)


class Script:
    """Raises the given exceptions in turn, then returns "답"; counts calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "답"


def busy(status: int = 429, provider: str = "openai", **headers: str) -> BaseException:
    return sdk_status_error(provider, status, {k.replace("_", "-"): v for k, v in headers.items()})


# --- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_transient_statuses_are_retried(provider, status):
    error = sdk_status_error(provider, status)
    assert status_of(error) == status
    assert is_retryable(error)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413, 422])
def test_other_4xx_are_never_retried(provider, status):
    clock = FakeClock()
    fn = Script(sdk_status_error(provider, status))
    with pytest.raises(Exception) as caught:
        policy(clock).call(fn)
    assert fn.calls == 1 and clock.sleeps == []
    assert "재시도하지 않았습니다" in caught.value.__notes__[0]


def test_server_saying_do_not_retry_wins_over_the_status():
    assert not is_retryable(busy(500, x_should_retry="false"))
    assert is_retryable(busy(500, x_should_retry="true"))
    assert not is_retryable(busy(400, x_should_retry="true")), "never a 4xx outside 408/409/429"


def test_transport_errors_and_code_errors():
    request = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions")
    assert is_retryable(httpx2.ReadTimeout("timed out", request=request))
    assert is_retryable(httpx2.ConnectError("refused", request=request))
    assert is_retryable(TimeoutError()) and is_retryable(ConnectionResetError())
    assert not is_retryable(ValueError("Model x is not supported by provider y."))
    assert not is_retryable(TypeError("unexpected keyword argument 'temperature'"))
    assert status_of(ValueError()) is None


# --- Retry-After ------------------------------------------------------------------------------


def test_retry_after_forms():
    assert retry_after(busy(retry_after="2")) == 2.0
    assert retry_after(busy(retry_after="1", retry_after_ms="250")) == 0.25, "ms is more precise"
    assert retry_after(busy(retry_after="1.5")) == 1.5
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after(busy(retry_after=when), now=1_000_000) == pytest.approx(30)
    assert retry_after(busy(retry_after="soon")) is None
    assert retry_after(busy()) is None
    assert retry_after(ValueError()) is None


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "2"},
        {"retry-after": "1", "retry-after-ms": "250"},
        {"retry-after": "1.5"},
        {"retry-after-ms": "oops", "retry-after": "3"},
        {"retry-after": "in a while"},
        {"retry-after": "HTTP-DATE"},
        {},
    ],
)
def test_retry_after_reads_what_the_sdks_read(provider, headers):
    """Lessons 04 and 07 teach one parser; it reads every header form the way both SDKs' own
    `_parse_retry_after_header` does (ms, then seconds allowing floats, then an HTTP-date)."""
    is_date = headers.get("retry-after") == "HTTP-DATE"
    if is_date:
        headers = {"retry-after": email.utils.formatdate(time.time() + 30, usegmt=True)}
    error = busy(provider=provider, **{k.replace("-", "_"): v for k, v in headers.items()})
    client = (
        openai.OpenAI(api_key="sk-test")
        if provider == "openai"
        else anthropic.Anthropic(api_key="sk-ant-test")
    )
    theirs = client._parse_retry_after_header(error.response.headers)
    ours = retry_after(error)
    if theirs is None:
        assert ours is None
    else:  # an HTTP-date has whole-second resolution and both sides read the clock
        assert ours == pytest.approx(theirs, abs=1.0 if is_date else 1e-9)


def test_retry_after_never_returns_a_wait_that_cannot_be_honoured():
    assert retry_after(busy(retry_after="nan")) is None
    assert retry_after(busy(retry_after="inf")) is None
    assert retry_after(busy(retry_after_ms="nan", retry_after="3")) == 3.0
    assert retry_after(busy(retry_after="-5")) == 0.0
    past = email.utils.formatdate(999_970, usegmt=True)
    assert retry_after(busy(retry_after=past), now=1_000_000) == 0.0


def test_retry_after_is_honoured_exactly():
    clock = FakeClock()
    fn = Script(busy(retry_after="0.3"), busy(retry_after_ms="1200", retry_after="9"))
    assert policy(clock, random=0.0).call(fn) == "답"
    assert clock.sleeps == [0.3, 1.2]


def test_a_zero_or_negative_retry_after_falls_back_to_backoff():
    clock = FakeClock()
    assert policy(clock, base_delay=0.5).call(Script(busy(retry_after="0"))) == "답"
    assert clock.sleeps == [0.5]


# --- backoff ----------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_with_full_jitter():
    top = policy(FakeClock(), random=1.0, base_delay=0.5, max_delay=8.0)
    assert [top.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    half = policy(FakeClock(), random=0.5, base_delay=0.5, max_delay=8.0)
    assert [half.backoff(n) for n in range(1, 4)] == [0.25, 0.5, 1.0]
    assert policy(FakeClock(), random=0.0).backoff(5) == 0.0, "full jitter reaches down to 0"


def test_waits_follow_the_backoff_between_attempts():
    clock = FakeClock()
    fn = Script(busy(500), busy(503), busy(529, "anthropic"))
    assert policy(clock, base_delay=0.5, max_attempts=4).call(fn) == "답"
    assert fn.calls == 4 and clock.sleeps == [0.5, 1.0, 2.0]


# --- giving up --------------------------------------------------------------------------------


def test_gives_up_after_max_attempts_with_the_last_error():
    clock = FakeClock()
    errors = [busy(500) for _ in range(5)]
    fn = Script(*errors)
    with pytest.raises(Exception) as caught:
        policy(clock, max_attempts=3).call(fn)
    assert caught.value is errors[2], "the last exception itself, not a wrapper"
    assert fn.calls == 3 and len(clock.sleeps) == 2
    assert "3번 시도했지만" in caught.value.__notes__[0]


def test_gives_up_when_the_next_wait_would_cross_the_time_budget():
    clock = FakeClock()
    fn = Script(busy(retry_after="30"))
    with pytest.raises(Exception) as caught:
        policy(clock, max_elapsed=5).call(fn)
    assert fn.calls == 1 and clock.sleeps == [], "no pointless sleep"
    assert "시간 예산 5초" in caught.value.__notes__[0]

    clock = FakeClock()
    fn = Script(*[busy(500) for _ in range(9)])
    with pytest.raises(openai.InternalServerError):
        policy(clock, base_delay=0.5, max_attempts=9, max_elapsed=2.5).call(fn)
    assert clock.sleeps == [0.5, 1.0], "1.5 s spent; waiting 2.0 more would cross 2.5 s"


def test_time_spent_inside_calls_counts_against_the_budget():
    clock = FakeClock()

    def slow_failure():
        clock.now += 4.0  # a call that itself takes 4 s, then fails
        raise busy(500)

    with pytest.raises(Exception) as caught:
        policy(clock, base_delay=0.5, max_elapsed=5).call(slow_failure)
    # 4 s call + 0.5 s wait fits in 5 s; after the second 4 s call, 8.5 s are gone: stop.
    assert clock.sleeps == [0.5]
    assert "2번째 시도에서 멈췄습니다" in caught.value.__notes__[0]


def test_reports_retries_and_wraps(capsys):
    clock = FakeClock()
    events = []
    retrying = policy(clock, base_delay=0.5, verbose=True, on_retry=events.append)
    assert retrying.call(Script(busy(429, retry_after="0.2"), busy(500))) == "답"
    assert [(e.attempt, e.delay, e.server_asked) for e in events] == [
        (1, 0.2, True),
        (2, 1.0, False),
    ]
    printed = capsys.readouterr().out
    assert "1번째 시도 실패(RateLimitError 429)" in printed and "Retry-After" in printed

    @retrying.wrap
    def ask(question):
        """Docstring kept."""
        return question + "?"

    assert ask("왜") == "왜?" and ask.__doc__ == "Docstring kept."


def test_bad_settings_are_refused_in_korean():
    with pytest.raises(ValueError, match="1 이상"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="0 이상"):
        RetryPolicy(base_delay=-1)


# --- against every fault kind, through the real SDKs -------------------------------------------


def test_every_fault_kind_is_covered():
    assert set(EXPECTED) == set(KINDS)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_policy_against_every_injected_fault(fault_lab, kind, provider):
    server, calls = fault_lab
    clock = FakeClock()
    before = len(server.requests_for(provider))
    inject(server, provider, kind)
    retrying = policy(clock, random=0.5, base_delay=0.2, max_attempts=3)
    _, retryable = EXPECTED[kind]
    stream = kind in STREAM_KINDS
    if retryable:
        assert retrying.call(calls[provider], stream) == ANSWER
        assert len(server.requests_for(provider)) - before == 2, "one failure, one retry"
        assert len(clock.sleeps) == 1
    else:
        with pytest.raises(Exception) as caught:
            retrying.call(calls[provider], stream)
        assert status_of(caught.value) in (402, 403)
        assert len(server.requests_for(provider)) - before == 1 and clock.sleeps == []


# --- call_async: the same policy for async clients -----------------------------------------------


class AsyncFakeClock(FakeClock):
    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def async_policy(clock: AsyncFakeClock, **options) -> RetryPolicy:
    return RetryPolicy(
        clock=clock.time,
        sleep=no_blocking_sleep,
        async_sleep=clock.async_sleep,
        random=lambda: 1.0,
        **options,
    )


def no_blocking_sleep(seconds: float) -> None:
    raise AssertionError("call_async must wait with async_sleep, never time.sleep")


def test_call_async_waits_like_call_without_blocking():
    errors = [busy(500), busy(503), busy(429, retry_after="2")]
    sync_clock = FakeClock()
    assert policy(sync_clock, base_delay=0.5).call(Script(*errors)) == "답"

    clock = AsyncFakeClock()
    fn = Script(*errors)

    async def answer() -> str:
        return fn()

    assert asyncio.run(async_policy(clock, base_delay=0.5).call_async(answer)) == "답"
    assert fn.calls == 4
    assert clock.sleeps == sync_clock.sleeps == [0.5, 1.0, 2.0]


def test_call_async_gives_up_with_the_same_korean_notes():
    clock = AsyncFakeClock()

    async def never() -> str:
        raise busy(500)

    with pytest.raises(openai.InternalServerError) as caught:
        asyncio.run(async_policy(clock, max_attempts=2, base_delay=0.1).call_async(never))
    assert "2번 시도했지만 모두 실패해 포기했습니다" in caught.value.__notes__[0]

    async def bad_request() -> str:
        raise busy(400)

    with pytest.raises(openai.BadRequestError) as caught:
        asyncio.run(async_policy(clock).call_async(bad_request))
    assert "재시도하지 않았습니다" in caught.value.__notes__[0]
    assert clock.sleeps == [0.1]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_call_async_with_the_real_async_clients(fault_lab, provider):
    from tests.fault_cases import AN_MODEL, OA_MODEL, QUESTION

    server, _ = fault_lab
    before = len(server.requests_for(provider))
    inject(server, provider, "rate_limit", times=2)
    clock = AsyncFakeClock()

    async def ask() -> str:
        if provider == "openai":
            client = openai.AsyncOpenAI(
                api_key="test", base_url=server.base_url("openai"), max_retries=0
            )
            call = client.chat.completions.create
            reply = await async_policy(clock).call_async(call, model=OA_MODEL, messages=QUESTION)
            text = reply.choices[0].message.content
        else:
            client = anthropic.AsyncAnthropic(
                api_key="test", base_url=server.base_url("anthropic"), max_retries=0
            )
            reply = await async_policy(clock).call_async(
                client.messages.create, model=AN_MODEL, max_tokens=100, messages=QUESTION
            )
            text = reply.content[0].text
        await client.close()
        return text

    assert asyncio.run(ask()) == ANSWER
    assert len(server.requests_for(provider)) - before == 3, "two 429s, then the answer"
    assert len(clock.sleeps) == 2 and all(wait > 0 for wait in clock.sleeps)
