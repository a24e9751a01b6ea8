"""Async SDK clients through the replay server: 50 requests at once, none failing, each answered
with its own fixture (a mixed-up answer would pass a count but not this)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import openai
import pytest

import helpers
from helpers.replay.server import ReplayServer
from tests.conftest import anthropic_request, author, openai_request

CONCURRENT = 50
OPENAI_MODEL = "gpt-5.4-mini"
CLAUDE = "claude-sonnet-4-6"


def question(index: int) -> list[dict]:
    return [{"role": "user", "content": f"{index}번 질문입니다. 숫자 {index}를 소개해 주세요."}]


def answer(index: int) -> str:
    return f"{index}번 답변입니다."


@pytest.fixture
def many(fixture_dir: Path) -> Path:
    for index in range(CONCURRENT):
        body = {"model": OPENAI_MODEL, "messages": question(index)}
        author(fixture_dir, f"oa-{index}", openai_request(body), answer=answer(index))
        author(
            fixture_dir,
            f"oa-stream-{index}",
            openai_request({**body, "stream": True}),
            answer=answer(index),
        )
        params = {"model": CLAUDE, "max_tokens": 128, "messages": question(index)}
        author(fixture_dir, f"an-{index}", anthropic_request(params), answer=answer(index))
    return fixture_dir


def clients(server: ReplayServer) -> tuple[openai.AsyncOpenAI, anthropic.AsyncAnthropic]:
    # Retries off: a reset connection must show as a failure, not be hidden by a second try.
    return (
        openai.AsyncOpenAI(api_key="t", base_url=server.base_url("openai"), max_retries=0),
        anthropic.AsyncAnthropic(api_key="t", base_url=server.base_url("anthropic"), max_retries=0),
    )


async def gather_outcomes(calls) -> list[object]:
    return await asyncio.gather(*calls, return_exceptions=True)


def check(outcomes: list[object], expected: list[str]) -> None:
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert failures == [], f"{len(failures)} of {len(outcomes)} failed: {failures[:3]!r}"
    assert outcomes == expected


def test_fifty_concurrent_async_openai_requests(many, make_server):
    server = make_server()
    oa, _ = clients(server)

    async def one(index: int) -> str:
        reply = await oa.chat.completions.create(model=OPENAI_MODEL, messages=question(index))
        return reply.choices[0].message.content

    async def run() -> list[object]:
        try:
            return await gather_outcomes(one(i) for i in range(CONCURRENT))
        finally:
            await oa.close()

    check(asyncio.run(run()), [answer(i) for i in range(CONCURRENT)])
    seen = server.requests_for("openai")
    assert len(seen) == CONCURRENT and all(r.status == 200 for r in seen)


def test_fifty_concurrent_mixed_async_openai_and_anthropic(many, make_server):
    server = make_server()
    oa, an = clients(server)

    async def openai_json(index: int) -> str:
        reply = await oa.chat.completions.create(model=OPENAI_MODEL, messages=question(index))
        return reply.choices[0].message.content

    async def openai_stream(index: int) -> str:
        stream = await oa.chat.completions.create(
            model=OPENAI_MODEL, messages=question(index), stream=True
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def anthropic_json(index: int) -> str:
        message = await an.messages.create(model=CLAUDE, max_tokens=128, messages=question(index))
        return message.content[0].text

    kinds = (openai_json, openai_stream, anthropic_json)

    async def run() -> list[object]:
        try:
            return await gather_outcomes(kinds[i % 3](i) for i in range(CONCURRENT))
        finally:
            await oa.close()
            await an.close()

    check(asyncio.run(run()), [answer(i) for i in range(CONCURRENT)])
    assert len(server.requests_for()) == CONCURRENT


def test_setup_points_async_clients_at_the_replay_server(clean_env):
    """helpers.setup() sets the base URLs both async SDK clients read, as their sync twins do."""
    helpers.setup(mode="replay", quiet=True)
    server = helpers.replay.get_server(create=False)
    oa, an = openai.AsyncOpenAI(), anthropic.AsyncAnthropic()
    assert str(oa.base_url).startswith(server.url + "/openai/")
    assert str(an.base_url).startswith(server.url + "/anthropic")
    asyncio.run(oa.close())
    asyncio.run(an.close())
