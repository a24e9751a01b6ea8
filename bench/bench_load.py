"""Replay server under load.

0. 200 replayed requests at once through the real SDKs (OpenAI and Anthropic clients on one
   server, JSON answers and streams mixed) with SDK retries off: failed requests (target 0) and
   the median latency of one of them against the same request sent alone (target ≤ 1.2).
1. Resident memory of a server process after 10,000 requests against after 1,000 (target ≤ 1.1):
   the request log and warnings are bounded, so a long session does not grow.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import Comparison, figure

QUESTION = [{"role": "user", "content": "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."}]
ANSWER = "자연어 처리는 컴퓨터가 사람의 언어를 이해하고 생성하도록 돕는 기술입니다."
OPENAI_BODY = {"messages": QUESTION, "model": "gpt-5.4-mini"}
ANTHROPIC_BODY = {"max_tokens": 256, "messages": QUESTION, "model": "claude-sonnet-4-6"}
CONCURRENT = 200
SINGLE_RUNS = 40
RSS_SHORT, RSS_LONG = 1_000, 10_000


def _author(folder: Path) -> None:
    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file

    openai_request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    anthropic_request = {"method": "POST", "host": "api.anthropic.com", "path": "/v1/messages"}
    for name, request, body in [
        ("oa-json", openai_request, OPENAI_BODY),
        ("oa-stream", openai_request, {**OPENAI_BODY, "stream": True}),
        ("an-json", anthropic_request, ANTHROPIC_BODY),
        ("an-stream", anthropic_request, {**ANTHROPIC_BODY, "stream": True}),
    ]:
        exchange = build_exchange(
            {**request, "query": "", "body": body}, {"name": name, "answer": ANSWER}
        )
        dump_file(exchange, folder / f"{name}.json")


def _calls(server):
    import anthropic
    import openai

    oa = openai.OpenAI(api_key="bench", base_url=server.base_url("openai"), max_retries=0)
    an = anthropic.Anthropic(api_key="bench", base_url=server.base_url("anthropic"), max_retries=0)

    def oa_json() -> str:
        reply = oa.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
        return reply.choices[0].message.content

    def oa_stream() -> str:
        stream = oa.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    def an_json() -> str:
        return an.messages.create(**ANTHROPIC_BODY).content[0].text

    def an_stream() -> str:
        with an.messages.stream(**ANTHROPIC_BODY) as stream:
            return "".join(stream.text_stream)

    return [oa_json, oa_stream, an_json, an_stream]


def _timed(call) -> tuple[float, bool]:
    start = time.perf_counter()
    try:
        ok = call() == ANSWER
    except Exception:  # noqa: BLE001 - a failed request is what this figure counts
        ok = False
    return time.perf_counter() - start, ok


def _concurrency() -> tuple[Comparison, int, float]:
    from helpers.replay.server import ReplayServer
    from helpers.replay.store import FixtureStore

    with tempfile.TemporaryDirectory() as tmp:
        _author(Path(tmp))
        server = ReplayServer(FixtureStore([Path(tmp)]), speed=0, strict=True)
        try:
            calls = _calls(server)
            for call in calls:  # warm up imports, connection pools and the server's threads
                _timed(call)
            alone = [_timed(calls[i % len(calls)])[0] for i in range(SINGLE_RUNS)]
            barrier = threading.Barrier(CONCURRENT)

            def together(index: int) -> tuple[float, bool]:
                barrier.wait()
                return _timed(calls[index % len(calls)])

            with ThreadPoolExecutor(CONCURRENT) as pool:
                started = time.perf_counter()
                results = list(pool.map(together, range(CONCURRENT)))
                wall = time.perf_counter() - started
        finally:
            server.close()
    failures = sum(not ok for _, ok in results)
    return Comparison(tuple(t for t, _ in results), tuple(alone)), failures, wall


SERVER_CODE = """
import sys
from pathlib import Path
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore
server = ReplayServer(FixtureStore([Path(sys.argv[1])]), speed=0, strict=True)
print(server.port, flush=True)
sys.stdin.read()
"""


def _rss_bytes(pid: int) -> int:
    import os

    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _memory() -> Comparison:
    import httpx2

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        _author(Path(tmp))
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE, tmp],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(proc.stdout.readline())
            url = f"http://127.0.0.1:{port}/openai/v1/chat/completions"
            # Each body differs (a miss is logged with its diff), as a long session's would.
            with httpx2.Client() as http:
                sent = 0

                def send(until: int) -> None:
                    nonlocal sent
                    while sent < until:
                        body = OPENAI_BODY if sent % 2 else {**OPENAI_BODY, "user": f"u{sent}"}
                        http.post(url, content=json.dumps(body))
                        sent += 1

                send(RSS_SHORT)
                short = _rss_bytes(proc.pid)
                send(RSS_LONG)
                long = _rss_bytes(proc.pid)
        finally:
            proc.stdin.close()
            proc.wait(10)
    return Comparison((float(long),), (float(short),))


def figures() -> list[dict]:
    burst, failures, wall = _concurrency()
    memory = _memory()
    p95 = statistics.quantiles(burst.a_times, n=20)[-1]
    return [
        figure(
            f"{CONCURRENT} concurrent SDK requests, p50 vs one alone (retries off)",
            f"{CONCURRENT} at once",
            "one alone",
            burst,
            target=1.2,
            note=(
                f"failures {failures}/{CONCURRENT} (target 0); p95 {p95 * 1000:.1f} ms; "
                f"all {CONCURRENT} in {wall:.2f} s = {wall / CONCURRENT * 1000:.1f} ms each, "
                "client and server sharing one GIL"
            ),
        ),
        figure(
            f"server RSS after {RSS_LONG:,} requests vs after {RSS_SHORT:,}",
            f"RSS @ {RSS_LONG:,}",
            f"RSS @ {RSS_SHORT:,}",
            memory,
            target=1.1,
            note=(
                f"{memory.a_median / 2**20:.1f} MB vs {memory.b_median / 2**20:.1f} MB "
                "(values shown as seconds are bytes)"
            ),
        ),
    ]


if __name__ == "__main__":
    for row in figures():
        print(row)
