"""Figures: lesson 06's comparison waits for the slowest provider, not for the sum of them.

Three authored streams — OpenAI, Anthropic, Hugging Face — are timed with the builder's ``timing``
option to take 1.0 s, 1.5 s and 2.0 s at replay speed 1 (first token after 0.3 s each). The
requests are the ones ``helpers.compare``'s canonical calls really send, captured first.

1. ``compare.run`` over the three providers (concurrent) vs. the slowest provider's call alone:
   target ≤ 1.15.
2. The same run with ``concurrent=False`` vs. the slowest alone: ≈ 4.5 / 2.0 = 2.25, for reference.

``BENCH_REPEATS`` (default 3) sets the number of interleaved rounds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bench.harness import compare as ab
from bench.harness import figure

TOTALS = {"openai": 1.0, "anthropic": 1.5, "huggingface": 2.0}
FIRST_TOKEN = 0.3
TARGET = 1.15
ANSWER = "토큰은 모델이 텍스트를 나누어 처리하는 가장 작은 단위입니다. " * 4


def _clients(server):
    import anthropic
    import openai
    from huggingface_hub import InferenceClient

    key = "bench-key-not-a-real-key"
    return {
        "openai": openai.OpenAI(api_key=key, base_url=server.base_url("openai")),
        "anthropic": anthropic.Anthropic(api_key=key, base_url=server.base_url("anthropic")),
        "huggingface": InferenceClient(token="hf_replay_mode_placeholder_not_a_real_token"),
    }


def figures() -> list[dict]:
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    from helpers import catalog
    from helpers import compare as cmp
    from helpers.replay import hf_client_factory
    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file
    from helpers.replay.server import ReplayServer
    from helpers.replay.store import FixtureStore

    models = {provider: catalog.default_model(provider) for provider in TOTALS}
    task = cmp.Task(
        id="bench", kind="설명", prompt="토큰이 무엇인지 설명해 주세요.", max_tokens=400
    )
    slowest = max(TOTALS, key=TOTALS.get)
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))

    with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
        folder = Path(scratch) / "fixtures"
        folder.mkdir()
        capture = Path(scratch) / "capture.jsonl"
        capture.touch()
        server = ReplayServer(FixtureStore([folder]), speed=1, strict=True)
        set_client_factory(hf_client_factory(server.url))
        try:
            # 1. Capture the exact requests the canonical calls send (answered by placeholders).
            server.capture_path = capture
            clients = _clients(server)
            cmp.run(clients, models, [task], progress=False)
            server.capture_path = None
            for line in capture.read_text(encoding="utf-8").splitlines():
                request = json.loads(line)
                provider = request["provider"]
                spec = {
                    "name": f"bench-{provider}",
                    "answer": ANSWER,
                    "timing": {"first_token": FIRST_TOKEN, "total": TOTALS[provider]},
                }
                dump_file(build_exchange(request, spec), folder / f"bench-{provider}.json")
            server.store.reload()

            # 2. Time the comparison against the slowest provider alone.
            def checked(comparison):
                failed = [r.error for r in comparison.results if r.error]
                if failed:
                    raise RuntimeError(f"benchmark calls failed: {failed}")

            def concurrent() -> None:
                checked(cmp.run(clients, models, [task], progress=False))

            def sequential() -> None:
                checked(cmp.run(clients, models, [task], progress=False, concurrent=False))

            def slowest_alone() -> None:
                result = cmp.call(slowest, clients[slowest], models[slowest], task)
                if result.error:
                    raise RuntimeError(result.error)

            together = ab(concurrent, slowest_alone, repeats=repeats, warmup=1)
            one_by_one = ab(sequential, slowest_alone, repeats=repeats)
        finally:
            set_client_factory(default_client_factory)
            server.close()

    times = " / ".join(f"{p} {t:g} s" for p, t in TOTALS.items())
    return [
        figure(
            "compare: 3 providers concurrently vs slowest alone",
            "compare.run (concurrent)",
            f"{slowest} alone",
            together,
            target=TARGET,
            note=f"replayed stream times {times}",
        ),
        figure(
            "compare: 3 providers one after another vs slowest alone",
            "compare.run (concurrent=False)",
            f"{slowest} alone",
            one_by_one,
            target="≈ 2.25 (reference)",
            note="what the concurrent run saves",
        ),
    ]
