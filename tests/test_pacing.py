"""`helpers.pacing` on a fake clock: `TokenBucket` bursts up to capacity, then `rate` per second;
`RateLimiter` holds requests *and* tokens per minute, threaded and async; `estimate_tokens`."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time

import pytest

from helpers import tokencount
from helpers.pacing import RateLimiter, TokenBucket, estimate_tokens
from tests import fault_cases


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def time(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_burst_then_steady_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=5, capacity=3, clock=clock.time, sleep=clock.sleep)
    taken = []
    for _ in range(8):
        bucket.acquire()
        taken.append(round(clock.now, 6))
    assert taken == [0.0, 0.0, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_idle_time_refills_only_up_to_capacity():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, capacity=2, clock=clock.time, sleep=clock.sleep)
    assert bucket.try_acquire() and bucket.try_acquire()
    assert not bucket.try_acquire(), "empty, and try_acquire never waits"
    clock.now += 60  # a long pause earns no more than `capacity` tokens
    assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]
    assert bucket.acquire() == pytest.approx(0.5), "acquire reports how long it waited"


def test_many_threads_never_exceed_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=4, clock=clock.time, sleep=clock.sleep)
    taken: list[int] = []

    def worker() -> None:
        for _ in range(10):
            bucket.acquire()
            taken.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 80
    # 80 tokens: 4 saved up plus 76 earned at 10 per second.
    assert clock.now >= 7.6 - 1e-9


def test_bad_settings_are_refused_in_korean():
    with pytest.raises(ValueError, match="0보다"):
        TokenBucket(rate=0)
    with pytest.raises(ValueError, match="1 이상"):
        TokenBucket(rate=1, capacity=0.5)


def test_context_manager_takes_a_token():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=1, clock=clock.time, sleep=clock.sleep)
    with bucket:
        pass
    assert not bucket.try_acquire()


# --- RateLimiter: requests per minute and tokens per minute ---------------------------------------


def limiter(clock: FakeClock, **options) -> RateLimiter:
    return RateLimiter(clock=clock.time, sleep=clock.sleep, **options)


def times_of(bucket: RateLimiter, clock: FakeClock, costs: list[int]) -> list[float]:
    taken = []
    for cost in costs:
        bucket.acquire(tokens=cost)
        taken.append(round(clock.now, 6))
    return taken


def test_requests_bind_when_calls_are_small():
    clock = FakeClock()
    bucket = limiter(clock, rpm=60, tpm=1_000_000, request_burst=2)
    assert times_of(bucket, clock, [10] * 5) == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_tokens_bind_when_calls_are_large():
    clock = FakeClock()
    # 6000 requests a minute would allow 100 a second; 600 tokens a minute is 10 a second.
    bucket = limiter(clock, rpm=6000, tpm=600, token_burst=100)
    assert times_of(bucket, clock, [50] * 5) == [0.0, 0.0, 5.0, 10.0, 15.0]


def test_the_slower_limit_sets_each_wait():
    clock = FakeClock()
    bucket = limiter(clock, rpm=60, tpm=600, request_burst=1, token_burst=100)
    # 1st: both free, 10 tokens left. 2nd (10 tokens): the tokens are there (20 by then), the
    # request slot needs 1 s. 3rd (100 tokens): a slot at 2 s, but from the 10 tokens left at 1 s
    # the 100 are there only at 1 + 90 / 10 = 10 s.
    assert times_of(bucket, clock, [90, 10, 100]) == [0.0, 1.0, 10.0]


def test_waiting_for_tokens_does_not_spend_a_request_slot():
    clock = FakeClock()
    bucket = limiter(clock, rpm=60, tpm=600, request_burst=1, token_burst=100)
    assert bucket.try_acquire(tokens=100)
    clock.now += 1.0  # one request slot back, only 10 tokens
    assert not bucket.try_acquire(tokens=50), "tokens are short"
    assert bucket.try_acquire(tokens=10), "the request slot was not taken by the refused call"
    assert bucket.available() == {"requests": pytest.approx(0), "tokens": pytest.approx(0)}


def test_a_call_larger_than_the_whole_token_limit_is_refused_at_once():
    clock = FakeClock()
    bucket = limiter(clock, rpm=60, tpm=1000)
    with pytest.raises(ValueError, match="영원히"):
        bucket.try_acquire(tokens=5000)  # first the call that never waits: a bug cannot hang here
    with pytest.raises(ValueError, match="영원히 보낼 수 없습니다") as caught:
        bucket.acquire(tokens=1001)
    assert "1,001" in str(caught.value) and "1,000" in str(caught.value)
    assert clock.now == 0 and bucket.available() == {"requests": 60, "tokens": 1000}
    assert bucket.acquire(tokens=1000) == 0, "exactly the whole limit can go"


def test_a_failed_call_keeps_what_it_took():
    clock = FakeClock()
    bucket = limiter(clock, rpm=60, tpm=1000)

    def failing_call() -> None:
        bucket.acquire(tokens=400)
        raise TimeoutError("server did not answer")

    with pytest.raises(TimeoutError):
        failing_call()
    assert bucket.available() == {"requests": 59, "tokens": 600}


def test_every_retry_counts_against_the_limits():
    from helpers.explain import sdk_status_error
    from helpers.retry import RetryPolicy

    clock = FakeClock()
    bucket = limiter(clock, rpm=60, tpm=1000, token_burst=1000)
    failures = [sdk_status_error("openai", 429), sdk_status_error("openai", 500)]

    def attempt() -> str:
        bucket.acquire(tokens=300)  # each attempt, retries included, takes its estimate
        if failures:
            raise failures.pop(0)
        return "답"

    retry = RetryPolicy(base_delay=0, clock=clock.time, sleep=clock.sleep, random=lambda: 0)
    assert retry.call(attempt) == "답"
    available = bucket.available()
    assert available["requests"] == pytest.approx(57)
    assert available["tokens"] == pytest.approx(100), "three attempts took 900 of 1000 tokens"


def test_settle_gives_back_unused_tokens_and_charges_overuse():
    clock = FakeClock()
    bucket = limiter(clock, tpm=600, token_burst=100)
    bucket.acquire(tokens=80)
    bucket.settle(estimated=80, actual=30)  # the answer was short: 50 come back
    assert bucket.available()["tokens"] == pytest.approx(70)
    bucket.settle(estimated=10, actual=100)  # used 90 more than estimated: below zero
    assert bucket.available()["tokens"] == pytest.approx(-20)
    assert bucket.acquire(tokens=0) == pytest.approx(2.0), "the overuse is waited off first"
    bucket.settle(estimated=1000, actual=0)
    assert bucket.available()["tokens"] == 100, "never above the burst"
    with pytest.raises(ValueError, match="0 이상"):
        bucket.settle(estimated=-1, actual=0)


def test_update_from_headers_only_lowers():
    clock = FakeClock()
    bucket = limiter(clock, rpm=5000, tpm=4_000_000)
    bucket.acquire(tokens=1_000_000)
    # The server has seen fewer requests than we sent (some are still in flight) but its
    # token count is higher than ours: take the lower of each.
    limits = bucket.update_from(
        {"x-ratelimit-remaining-requests": "3", "x-ratelimit-remaining-tokens": "3500000"}
    )
    assert limits.requests.remaining == 3
    assert bucket.available() == {"requests": 3, "tokens": 3_000_000}
    assert [bucket.try_acquire(1) for _ in range(4)] == [True, True, True, False]


def test_update_from_an_anthropic_error_uses_the_combined_tokens():
    from helpers.explain import sdk_status_error

    clock = FakeClock()
    bucket = limiter(clock, rpm=4000, tpm=2_400_000)
    error = sdk_status_error(
        "anthropic",
        429,
        {
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-tokens-remaining": "1200",
            "anthropic-ratelimit-output-tokens-remaining": "50",
        },
    )
    bucket.update_from(error)
    assert bucket.available() == {"requests": 0, "tokens": 1200}
    assert bucket.acquire(tokens=0) == pytest.approx(60 / 4000), "waits for the next request slot"


def test_update_from_what_was_already_read_and_from_nothing():
    from helpers.ratelimit import Limit, RateLimits

    clock = FakeClock()
    bucket = limiter(clock, rpm=60)
    bucket.update_from(RateLimits(provider="openai", requests=Limit(60, 10, 1.0)))
    assert bucket.available() == {"requests": 10, "tokens": None}
    assert not bucket.update_from({"content-type": "application/json"})
    assert bucket.available() == {"requests": 10, "tokens": None}


class VirtualTime:
    """An event loop clock that jumps to the next wake-up once every task is asleep.

    Concurrent sleeps overlap as they would in real time, yet nothing really sleeps.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    async def run(self, coroutines) -> list:
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        while pending := [task for task in tasks if not task.done()]:
            await asyncio.sleep(0)
            if len(self._sleepers) == len(pending):  # everyone waits: move time on
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
        return [task.result() for task in tasks]


def never_sleep(seconds: float) -> None:
    raise AssertionError("acquire_async must not block the event loop with time.sleep")


def test_fifty_tasks_share_one_limiter_on_a_virtual_clock():
    options = {"rpm": 600, "tpm": 12_000, "request_burst": 5, "token_burst": 2000}
    costs = [100 + 10 * (i % 7) for i in range(50)]

    clock = FakeClock()
    sequential = limiter(clock, **options)
    one_at_a_time = times_of(sequential, clock, sorted(costs))

    loop_time = VirtualTime()
    shared = RateLimiter(
        clock=loop_time.time, sleep=never_sleep, async_sleep=loop_time.sleep, **options
    )
    taken: list[tuple[float, int]] = []

    async def task(cost: int) -> float:
        waited = await shared.acquire_async(tokens=cost)
        taken.append((loop_time.now, cost))
        return waited

    waits = asyncio.run(loop_time.run([task(cost) for cost in costs]))
    assert len(taken) == 50 and max(waits) > 0
    # Neither limit is ever exceeded: over any stretch [a, b], at most burst + rate * (b - a).
    for i, (start, _) in enumerate(taken):
        for j in range(i, len(taken)):
            span = taken[j][0] - start
            assert j - i + 1 <= 5 + 10 * span + 1e-6
            assert sum(cost for _, cost in taken[i : j + 1]) <= 2000 + 200 * span + 1e-6
    # Concurrent waits overlap: 50 tasks finish about when one caller doing them in turn would.
    assert taken[-1][0] == pytest.approx(one_at_a_time[-1], abs=0.2)
    assert taken[-1][0] < sum(waits) / 10, "the waits overlapped instead of adding up"


def test_acquire_async_lets_other_tasks_run_while_it_waits():
    bucket = RateLimiter(rpm=1200, request_burst=1, sleep=never_sleep)  # real asyncio.sleep
    ticks = []

    async def ticker() -> None:
        for _ in range(100):
            ticks.append(1)
            await asyncio.sleep(0.002)

    async def main() -> float:
        background = asyncio.create_task(ticker())
        await bucket.acquire_async()
        waited = await bucket.acquire_async()  # 1200 a minute: the next slot is 0.05 s away
        background.cancel()
        return waited

    waited = asyncio.run(main())
    assert waited == pytest.approx(0.05, rel=0.2)
    assert len(ticks) >= 5, "the event loop kept running during the wait"


def test_many_threads_share_one_rate_limiter():
    clock = FakeClock()
    bucket = limiter(clock, rpm=600, tpm=6000, request_burst=4, token_burst=400)
    taken: list[int] = []

    def worker() -> None:
        for _ in range(10):
            bucket.acquire(tokens=50)
            taken.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 80
    # 80 × 50 = 4000 tokens: 400 saved up, 3600 earned at 100 per second.
    assert clock.now >= 36 - 1e-6


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "하나는 정해야"),
        ({"rpm": 0}, "0보다 큰"),
        ({"tpm": -5}, "0보다 큰"),
        ({"rpm": True}, "0보다 큰"),
        ({"rpm": "60"}, "0보다 큰"),
        ({"rpm": 60, "request_burst": 0.5}, "1 이상"),
        ({"tpm": 100, "token_burst": 0}, "0보다 큰"),
    ],
)
def test_bad_limiter_settings_are_refused_in_korean(options, message):
    with pytest.raises(ValueError, match=message):
        RateLimiter(**options)


@pytest.mark.parametrize("tokens", [-1, True, "10", float("nan")])
def test_bad_token_counts_are_refused_in_korean(tokens):
    bucket = RateLimiter(rpm=60, tpm=1000)
    with pytest.raises(ValueError, match="0 이상"):
        bucket.acquire(tokens=tokens)
    assert bucket.available() == {"requests": 60, "tokens": 1000}, "nothing was taken"


def test_requests_only_limiter_ignores_token_counts():
    clock = FakeClock()
    bucket = limiter(clock, rpm=60, request_burst=1)
    assert bucket.token_burst is None
    assert times_of(bucket, clock, [10**9, 10**9]) == [0.0, 1.0]


# --- estimate_tokens: what a call counts before it is sent ----------------------------------------

MESSAGES = [{"role": "user", "content": "다음 단어를 영어 한 단어로 번역해 주세요: 사과"}]


def test_estimate_is_the_prompt_plus_the_most_output_allowed():
    prompt = tokencount.count_messages(MESSAGES)
    assert estimate_tokens(model="m", messages=MESSAGES) == prompt
    assert estimate_tokens(messages=MESSAGES, max_completion_tokens=10) == prompt + 10
    assert estimate_tokens(messages=MESSAGES, max_tokens=10, n=3) == prompt + 30
    assert (
        estimate_tokens(messages=MESSAGES, max_tokens=None, max_completion_tokens=7) == prompt + 7
    )


def test_estimate_counts_anthropics_separate_system_prompt():
    system = "당신은 번역가입니다. 한 단어로만 답하세요."
    with_system = [{"role": "system", "content": system}, *MESSAGES]
    assert (
        estimate_tokens(system=system, messages=MESSAGES, max_tokens=20)
        == tokencount.count_messages(with_system) + 20
    )
    blocks = [{"type": "text", "text": system}]
    assert estimate_tokens(system=blocks, messages=MESSAGES) == tokencount.count_messages(
        with_system
    )


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        ({"messages": "안녕하세요"}, TypeError, "리스트"),
        ({"messages": ["안녕하세요"]}, TypeError, "사전"),
        ({"messages": MESSAGES, "max_tokens": -1}, ValueError, "0 이상의 정수"),
        ({"messages": MESSAGES, "max_completion_tokens": 1.5}, ValueError, "0 이상의 정수"),
        ({"messages": MESSAGES, "n": 0}, ValueError, "1 이상"),
    ],
)
def test_estimate_refuses_bad_requests_in_korean(request_, error, message):
    with pytest.raises(error, match=message):
        estimate_tokens(**request_)


def test_estimate_feeds_the_limiter():
    clock = FakeClock()
    request = {"model": "m", "messages": MESSAGES, "max_completion_tokens": 10}
    cost = estimate_tokens(**request)
    bucket = limiter(clock, rpm=1000, tpm=60, token_burst=cost * 2)
    assert times_of(bucket, clock, [cost] * 3) == [0.0, 0.0, float(cost)]


# --- sized from what the server reports -----------------------------------------------------------


def test_from_limits_takes_the_size_from_one_answer():
    from tests.test_ratelimit_headers import fixture_headers

    headers = fixture_headers("07-ratelimit-headers-openai")
    clock = FakeClock()
    bucket = RateLimiter.from_limits(headers, clock=clock.time, sleep=clock.sleep)
    assert (bucket.rpm, bucket.tpm) == (5000, 4_000_000)
    assert bucket.available() == {
        "requests": int(headers["x-ratelimit-remaining-requests"]),
        "tokens": int(headers["x-ratelimit-remaining-tokens"]),
    }
    half = RateLimiter.from_limits(headers, share=0.5, clock=clock.time)
    assert (half.rpm, half.tpm) == (2500, 2_000_000)
    assert half.available() == {"requests": 2500, "tokens": 2_000_000}


def test_from_limits_converts_huggingfaces_window_to_a_minute():
    clock = FakeClock()
    bucket = RateLimiter.from_limits(
        {"ratelimit": '"api";r=12;t=55', "ratelimit-policy": '"fixed window";"api";q=500;w=300'},
        clock=clock.time,
    )
    assert bucket.rpm == 100 and bucket.tpm is None
    assert bucket.available()["requests"] == 12


@pytest.mark.parametrize(
    ("source", "share", "message"),
    [
        ({"content-type": "application/json"}, 1.0, "한도 값"),
        ({"x-ratelimit-remaining-requests": "3"}, 1.0, "한도 값"),
        ({"x-ratelimit-limit-requests": "60"}, 0, "비율"),
        ({"x-ratelimit-limit-requests": "60"}, 1.5, "비율"),
    ],
)
def test_from_limits_refuses_what_it_cannot_size_in_korean(source, share, message):
    with pytest.raises(ValueError, match=message):
        RateLimiter.from_limits(source, share=share)


# --- with a real async client, through the replay server ------------------------------------------

fault_server = fault_cases.fault_server
fault_lab = fault_cases.fault_lab


def test_async_client_tasks_paced_by_one_limiter(fault_lab):
    import openai

    from tests.fault_cases import ANSWER, OA_MODEL, QUESTION

    server, _ = fault_lab
    before = len(server.requests_for("openai"))
    request = {"model": OA_MODEL, "messages": QUESTION}
    cost = estimate_tokens(**request)
    # 6000 a minute is 100 a second: after a burst of 5, twenty calls take at least 0.15 s.
    bucket = RateLimiter(rpm=6000, tpm=10**7, request_burst=5, sleep=never_sleep)
    seen = []

    async def main() -> list[str]:
        client = openai.AsyncOpenAI(
            api_key="test", base_url=server.base_url("openai"), max_retries=0
        )
        in_flight = asyncio.Semaphore(4)

        async def one() -> str:
            async with in_flight:
                await bucket.acquire_async(tokens=cost)
                seen.append(time.perf_counter())
                raw = await client.chat.completions.with_raw_response.create(**request)
                bucket.update_from(raw)
                return raw.parse().choices[0].message.content

        answers = await asyncio.gather(*(one() for _ in range(20)))
        await client.close()
        return answers

    assert asyncio.run(main()) == [ANSWER] * 20
    assert len(server.requests_for("openai")) - before == 20
    assert seen[-1] - seen[0] >= 0.15 - 0.01
