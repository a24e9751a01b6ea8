"""Every replay fault kind, provoked through each of the three real SDKs (shared by the lesson 07
tests of `helpers.explain` and `helpers.retry`).

`provoke(calls, provider, kind)` injects one fault and makes the call that meets it: a JSON request
for error, slow and disconnect faults; a stream read to the end for stream faults. SDK retries are
off and timeouts short, so the exception the learner would see comes straight back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest
from huggingface_hub import InferenceClient, set_client_factory
from huggingface_hub.utils._http import default_client_factory

from helpers.replay import hf_client_factory
from helpers.replay.faults import Fault
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore
from tests.conftest import anthropic_request, author, hf_request, openai_request

QUESTION = [{"role": "user", "content": "재시도가 왜 필요한가요?"}]
ANSWER = "잠깐 생긴 실패는 다시 보내면 대개 성공하기 때문입니다. 그래서 재시도를 둡니다."
OA_MODEL, AN_MODEL, HF_MODEL = (
    "gpt-5.4-mini",
    "claude-sonnet-4-6",
    "meta-llama/Llama-3.1-8B-Instruct",
)
PROVIDERS = ("openai", "anthropic", "huggingface")
TIMEOUT = 0.3

# fault kind -> (explain() kind, retryable): the contract lesson 07 teaches.
EXPECTED: dict[str, tuple[str, bool]] = {
    "rate_limit": ("rate_limit", True),
    "server_error": ("server", True),
    "unavailable": ("unavailable", True),
    "overloaded": ("overloaded", True),
    "credits": ("credits", False),
    "forbidden": ("permission", False),
    "slow": ("timeout", True),
    "drip": ("timeout", True),
    "cut_stream": ("stream_cut", True),
    "disconnect": ("connection", True),
}
STREAM_KINDS = ("drip", "cut_stream")
OPTIONS: dict[str, dict[str, Any]] = {
    "rate_limit": {"retry_after": 0.01},
    "slow": {"delay": 1.0},
    "drip": {"delay": 1.0, "after_events": 4},
    "cut_stream": {"after_events": 4},
}


def author_answers(folder) -> None:
    author(folder, "oa", openai_request({"messages": QUESTION, "model": OA_MODEL}), answer=ANSWER)
    author(
        folder,
        "oa-s",
        openai_request({"messages": QUESTION, "model": OA_MODEL, "stream": True}),
        answer=ANSWER,
    )
    body = {"max_tokens": 100, "messages": QUESTION, "model": AN_MODEL}
    author(folder, "an", anthropic_request(body), answer=ANSWER)
    author(folder, "an-s", anthropic_request({**body, "stream": True}), answer=ANSWER)
    hf = {"model": HF_MODEL, "messages": QUESTION, "max_tokens": 100}
    path = "/v1/chat/completions"
    author(folder, "hf", hf_request({**hf, "stream": False}, path), answer=ANSWER)
    author(folder, "hf-s", hf_request({**hf, "stream": True}, path), answer=ANSWER)


def make_calls(server: ReplayServer) -> dict[str, Callable[[bool], str]]:
    """provider -> call(stream) returning the whole answer text."""
    oa = openai.OpenAI(
        api_key="test", base_url=server.base_url("openai"), max_retries=0, timeout=TIMEOUT
    )
    an = anthropic.Anthropic(
        api_key="test", base_url=server.base_url("anthropic"), max_retries=0, timeout=TIMEOUT
    )
    hf = InferenceClient(token="hf_replay_mode_placeholder_not_a_real_token", timeout=TIMEOUT)

    def call_openai(stream: bool) -> str:
        if not stream:
            reply = oa.chat.completions.create(model=OA_MODEL, messages=QUESTION)
            return reply.choices[0].message.content
        chunks = oa.chat.completions.create(model=OA_MODEL, messages=QUESTION, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    def call_anthropic(stream: bool) -> str:
        if not stream:
            return (
                an.messages.create(model=AN_MODEL, max_tokens=100, messages=QUESTION)
                .content[0]
                .text
            )
        with an.messages.stream(model=AN_MODEL, max_tokens=100, messages=QUESTION) as events:
            return "".join(events.text_stream)

    def call_hf(stream: bool) -> str:
        if not stream:
            output = hf.chat_completion(model=HF_MODEL, messages=QUESTION, max_tokens=100)
            return output.choices[0].message.content
        chunks = hf.chat_completion(model=HF_MODEL, messages=QUESTION, max_tokens=100, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    return {"openai": call_openai, "anthropic": call_anthropic, "huggingface": call_hf}


@pytest.fixture(scope="module")
def fault_server(tmp_path_factory):
    # One server for a whole test module: starting and stopping one costs half a second.
    folder = tmp_path_factory.mktemp("fault-fixtures")
    author_answers(folder)
    server = ReplayServer(FixtureStore([folder]), speed=0)
    yield server
    server.close()


@pytest.fixture
def fault_lab(fault_server):
    """(server, calls) with answers for QUESTION from all three providers, HF routed to it."""
    server = fault_server
    server.faults.clear()
    set_client_factory(hf_client_factory(server.url))
    yield server, make_calls(server)
    server.faults.clear()
    set_client_factory(default_client_factory)


def inject(server: ReplayServer, provider: str, kind: str, times: int = 1) -> None:
    server.faults.add(Fault(kind, provider, times, **OPTIONS.get(kind, {})))


def provoke(server: ReplayServer, calls: dict, provider: str, kind: str) -> BaseException:
    """Inject `kind` once for `provider`, make the call that meets it, return what it raised."""
    inject(server, provider, kind)
    try:
        calls[provider](kind in STREAM_KINDS)
    except Exception as error:  # noqa: BLE001 - the exception is the result under test
        return error
    raise AssertionError(f"{kind} for {provider} did not fail")
