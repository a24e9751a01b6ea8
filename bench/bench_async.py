"""Async SDK clients against the replay server at recorded speed.

50 different replayed requests (AsyncOpenAI JSON and streams, AsyncAnthropic JSON), each first
sent alone, then all at once with ``asyncio.gather``. Recorded delays are real sleeps at speed 1,
so when the server serves requests side by side the whole burst takes about as long as its
slowest request: the figure is the burst's wall time against the slowest single request
(target ≤ 1.2), taken in one run. Failures (target 0) are counted with SDK retries off.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import Comparison, figure

CONCURRENT = 50
OPENAI_MODEL = "gpt-5.4-mini"
CLAUDE = "claude-sonnet-4-6"
SPEED = 1.0


def _question(index: int) -> list[dict]:
    return [{"role": "user", "content": f"{index}번 질문입니다. 숫자 {index}를 소개해 주세요."}]


def _answer(index: int) -> str:
    return f"{index}번 답변입니다. " * (1 + index % 4)


def _author(folder: Path) -> None:
    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file

    openai_path = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    anthropic_path = {"method": "POST", "host": "api.anthropic.com", "path": "/v1/messages"}
    for index in range(CONCURRENT):
        body = {"model": OPENAI_MODEL, "messages": _question(index)}
        params = {"model": CLAUDE, "max_tokens": 256, "messages": _question(index)}
        specs = [
            (f"oa-{index}", openai_path, body, {"timing": {"total": "profile"}}),
            (f"oa-stream-{index}", openai_path, {**body, "stream": True}, {}),
            (f"an-{index}", anthropic_path, params, {"timing": {"total": "profile"}}),
        ]
        for name, request, request_body, extra in specs:
            exchange = build_exchange(
                {**request, "query": "", "body": request_body},
                {"name": name, "answer": _answer(index), **extra},
            )
            dump_file(exchange, folder / f"{name}.json")


async def _burst(server) -> tuple[list[float], float, float, int]:
    import anthropic
    import openai

    oa = openai.AsyncOpenAI(api_key="bench", base_url=server.base_url("openai"), max_retries=0)
    an = anthropic.AsyncAnthropic(
        api_key="bench", base_url=server.base_url("anthropic"), max_retries=0
    )

    async def call(index: int) -> str:
        kind = index % 3
        if kind == 0:
            reply = await oa.chat.completions.create(model=OPENAI_MODEL, messages=_question(index))
            return reply.choices[0].message.content
        if kind == 1:
            stream = await oa.chat.completions.create(
                model=OPENAI_MODEL, messages=_question(index), stream=True
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        message = await an.messages.create(model=CLAUDE, max_tokens=256, messages=_question(index))
        return message.content[0].text

    async def timed(index: int) -> tuple[float, bool]:
        started = time.perf_counter()
        try:
            ok = await call(index) == _answer(index)
        except Exception:  # noqa: BLE001 - a failed request is what this figure counts
            ok = False
        return time.perf_counter() - started, ok

    try:
        await timed(0)  # warm up imports and connection pools
        alone = [(await timed(i))[0] for i in range(CONCURRENT)]
        started = time.perf_counter()
        together = await asyncio.gather(*(timed(i) for i in range(CONCURRENT)))
        wall = time.perf_counter() - started
    finally:
        await oa.close()
        await an.close()
    failures = sum(not ok for _, ok in together)
    return alone, max(alone), wall, failures


def figures() -> list[dict]:
    from helpers.replay.server import ReplayServer
    from helpers.replay.store import FixtureStore

    with tempfile.TemporaryDirectory() as tmp:
        _author(Path(tmp))
        server = ReplayServer(FixtureStore([Path(tmp)]), speed=SPEED, strict=True)
        try:
            alone, slowest, wall, failures = asyncio.run(_burst(server))
        finally:
            server.close()
    return [
        figure(
            f"{CONCURRENT} concurrent async requests vs the slowest alone (speed {SPEED:g})",
            f"{CONCURRENT} at once",
            "slowest alone",
            Comparison((wall,), (slowest,)),
            target=1.2,
            note=(
                f"failures {failures}/{CONCURRENT} (target 0); alone {min(alone):.2f}–"
                f"{slowest:.2f} s, {sum(alone):.1f} s one after another"
            ),
        )
    ]


if __name__ == "__main__":
    for row in figures():
        print(row)
