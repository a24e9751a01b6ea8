"""helpers.setup() also points huggingface_hub's *async* client at the replay server."""

from __future__ import annotations

import asyncio
import os

import helpers

FAKE_HF_KEY = "hf_" + "t" * 34


def test_async_inference_client_streams_from_the_replay_server(clean_env):
    from huggingface_hub import AsyncInferenceClient

    helpers.setup(mode="replay", quiet=True)

    async def answer() -> str:
        client = AsyncInferenceClient(token=os.getenv("HF_TOKEN"))
        stream = await client.chat_completion(
            model="meta-llama/Llama-3.1-8B-Instruct",
            messages=[
                {"role": "user", "content": "비동기 프로그래밍을 한 문장으로 설명해 주세요."}
            ],
            max_tokens=600,
            stream=True,
        )
        parts = [c.choices[0].delta.content async for c in stream if c.choices]
        await client.close()
        return "".join(p for p in parts if p)

    assert asyncio.run(answer()).startswith("비동기 프로그래밍은")
    assert helpers.replay.requests_seen("huggingface")[-1].path == "/v1/chat/completions"


def test_async_client_factory_is_restored_when_huggingface_goes_live(clean_env, monkeypatch):
    from huggingface_hub.utils import _http

    helpers.setup(mode="replay", quiet=True)
    assert _http._GLOBAL_ASYNC_CLIENT_FACTORY is not _http.default_async_client_factory
    monkeypatch.setenv("HF_TOKEN", FAKE_HF_KEY)
    helpers.setup(
        mode={"huggingface": "live", "openai": "replay", "anthropic": "replay"}, quiet=True
    )
    assert _http._GLOBAL_ASYNC_CLIENT_FACTORY is _http.default_async_client_factory
