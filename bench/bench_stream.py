"""Streaming display figures.

0. `helpers.display.StreamView` rendering a 5,000-chunk replayed OpenAI stream (speed 0) against
   plain iteration over the same stream that only collects the text (target ≤ 1.3×).
1. For reference, the same view with throttling switched off (one re-render per chunk): why the
   throttle exists. No target.

The stream is an authored fixture built with the replay builder in a temporary folder and served
by a `ReplayServer`, read through the real OpenAI SDK. Times are the process's CPU time (SDK,
server thread and view together), medians of 7 interleaved runs, so other load on the machine
does not blur the ratio. Rendering goes through a real IPython
`InteractiveShell` whose display publisher keeps every message in memory (IPython's
`capture_output`), so `display(..., display_id=True)` / `.update()` run for real; what is left
out is the kernel's ZMQ serialization of each update and the browser's rendering.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.harness import compare, figure

CHUNKS = 5_000
REPEATS = 7
QUESTION = [{"role": "user", "content": "벤치마크용 긴 답변을 주세요."}]


def _answer() -> str:
    from helpers.replay.tokens import pieces

    text = " 토큰" * CHUNKS  # " 토큰" is one token-like piece, so the stream has CHUNKS text chunks
    assert len(pieces(text)) == CHUNKS
    return text


def figures() -> list[dict]:
    import openai
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from helpers.display import StreamView
    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file
    from helpers.replay.server import ReplayServer
    from helpers.replay.store import FixtureStore

    answer = _answer()
    body = {"messages": QUESTION, "model": "gpt-5.4-mini", "stream": True}
    request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    exchange = build_exchange({**request, "query": "", "body": body}, {"answer": answer})

    with tempfile.TemporaryDirectory() as tmp:
        dump_file(exchange, Path(tmp) / "long-stream.json")
        server = ReplayServer(FixtureStore([Path(tmp)]), speed=0, strict=True)
        client = openai.OpenAI(api_key="bench", base_url=server.base_url("openai"), max_retries=0)
        InteractiveShell.instance()
        try:

            def open_stream():
                return client.chat.completions.create(
                    model="gpt-5.4-mini", messages=QUESTION, stream=True
                )

            def plain() -> str:
                parts = []
                for chunk in open_stream():
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                text = "".join(parts)
                assert text == answer
                return text

            def viewed(**settings) -> StreamView:
                with capture_output(), StreamView(mode="notebook", **settings) as view:
                    for chunk in open_stream():
                        if chunk.choices and chunk.choices[0].delta.content:
                            view.add(chunk.choices[0].delta.content)
                assert view.text == answer and view.chunks == CHUNKS
                return view

            renders = viewed().renders
            # CPU time of this process (SDK, server thread and view together): what the view adds,
            # without the noise of whatever else the machine is running.
            throttled = compare(viewed, plain, repeats=REPEATS, warmup=1, clock=time.process_time)
            unthrottled = compare(
                lambda: viewed(interval=0, chars_per_second=1e18),
                plain,
                repeats=REPEATS,
                clock=time.process_time,
            )
        finally:
            InteractiveShell.clear_instance()
            server.close()

    return [
        figure(
            f"StreamView, {CHUNKS:,}-chunk replayed stream",
            "StreamView",
            "plain loop",
            throttled,
            target=1.3,
            note=f"speed 0; CPU time; real InteractiveShell, capturing publisher; {renders} renders",
        ),
        figure(
            "(ref.) StreamView without throttle",
            "render per chunk",
            "plain loop",
            unthrottled,
            note=f"{CHUNKS:,} renders; shows why updates are throttled",
        ),
    ]
