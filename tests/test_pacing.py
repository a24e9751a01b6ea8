"""`helpers.pacing.TokenBucket` on a fake clock: bursts up to capacity, then `rate` per second."""

from __future__ import annotations

import threading

import pytest

from helpers.pacing import TokenBucket


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
