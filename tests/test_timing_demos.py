"""A demo's outcome must not depend on the replay speed.

Lesson 07's timeout demos race a client timeout against the server's timing. At learner defaults
the replay plays fixtures at their recorded speed, in CI at speed 0; a demo that only works at one
of them (a stream whose recorded first chunk arrives after the lesson's 0.3 s timeout) breaks
Run All for every learner. The drip and slow faults therefore set the timing alone, and the whole
lesson runs here at speeds 0, 0.5, 1 and 2 with the same outcome.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import nbformat
import pytest
from nbclient import NotebookClient

from helpers.replay.faults import Fault
from tests.conftest import author, openai_request
from tools.lessons import replay_env
from tools.output_text import output_text

ROOT = Path(__file__).resolve().parents[1]
LESSON_07 = ROOT / "notebooks" / "07_errors_retries.ipynb"
SPEEDS = (0, 0.5, 1, 2)
STREAM_BODY = {
    "model": "gpt-5.4-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
}


def first_chunk_and_gaps(server, speed: float) -> tuple[float, list[float]]:
    server.speed = speed
    start = time.perf_counter()
    arrivals = []
    with (
        httpx2.Client() as http,
        http.stream(
            "POST", f"{server.base_url('openai')}/chat/completions", json=STREAM_BODY, timeout=10
        ) as response,
    ):
        for _ in response.iter_raw():
            arrivals.append(time.perf_counter() - start)
    return arrivals[0], [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]


@pytest.fixture
def slow_stream(fixture_dir: Path, make_server):
    """A stream whose recorded first chunk comes after 0.44 s, as 07-story-stream's does."""
    author(
        fixture_dir,
        "story",
        openai_request(STREAM_BODY),
        answer="하나 둘 셋 넷 다섯 여섯 일곱 여덟 아홉 열",
        timing={"first_token": 0.44, "total": 0.6},
    )
    return make_server()


@pytest.mark.parametrize("speed", SPEEDS)
def test_a_short_drip_is_never_slower_than_the_lesson_timeout(slow_stream, speed):
    slow_stream.faults.add(Fault("drip", "openai", delay=0.02, after_events=1))
    first, gaps = first_chunk_and_gaps(slow_stream, speed)
    assert first < 0.2, f"speed {speed}: the recorded 0.44 s first chunk leaked through"
    assert max(gaps) < 0.2


@pytest.mark.parametrize("speed", SPEEDS)
def test_a_long_drip_always_stalls_past_the_lesson_timeout(slow_stream, speed):
    slow_stream.faults.add(Fault("drip", "openai", delay=0.6, after_events=5))
    first, gaps = first_chunk_and_gaps(slow_stream, speed)
    assert first < 0.2 and max(gaps) >= 0.55


def test_without_a_fault_the_recorded_timing_still_plays(slow_stream):
    # The check above can fail: this is the timing a drip must override.
    first, _ = first_chunk_and_gaps(slow_stream, 1)
    assert first >= 0.4


# Each marker is printed by one of lesson 07's timing demos; its absence means the demo took
# the other branch (a timeout that did not happen, or one that did).
MARKERS = (
    "초 만에 포기했습니다",  # §6: the slow first byte hits the 0.3 s timeout
    "서버가 받은 요청: [('응답 없음', 'slow'), (200, '-')]",  # §6: the retry gets an answer
    "(timeout=0.3초)",  # §6: a steady drip finishes under a 0.3 s read timeout
    "스트림 도중 시간 초과",  # §6: a 0.6 s stall mid-stream times out
)


def run_lesson_07(speed: float) -> str:
    nb = nbformat.read(LESSON_07, as_version=4)
    env = replay_env(strict=True)
    env["LLM_LAB_REPLAY_SPEED"] = str(speed)
    NotebookClient(nb, timeout=300, kernel_name="python3").execute(
        cwd=str(LESSON_07.parent), env=env
    )
    return "".join(output_text(o) for c in nb.cells for o in c.get("outputs", []))


def test_lesson_07_has_the_same_outcome_at_every_speed():
    with ThreadPoolExecutor(max_workers=len(SPEEDS)) as pool:
        texts = dict(zip(SPEEDS, pool.map(run_lesson_07, SPEEDS), strict=True))
    missing = {s: [m for m in MARKERS if m not in t] for s, t in texts.items()}
    assert missing == {s: [] for s in SPEEDS}
