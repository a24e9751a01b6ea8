"""Replay engine figures.

0. The same replayed call against a server that only writes canned bytes: what the replay
   server itself adds, apart from the cost of the SDK speaking HTTP over a socket at all.
1. A replayed non-streaming call through the real OpenAI SDK and the loopback server, against the
   same call answered in-process by an `httpx2.MockTransport` (target ≤ 1.5×, median of 200).
2. `import helpers` in a fresh interpreter, as a share of its 150 ms budget (target ≤ 1.0).
3. `helpers.setup()` after imports, in a fresh interpreter, as a share of its 300 ms budget.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import Comparison, compare, figure

QUESTION = [{"role": "user", "content": "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."}]
CALLS = 200
FRESH_RUNS = 7


def _canned_server(response: bytes) -> tuple[str, object]:
    """The least a socket server can do: answer every request with the same bytes."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buffer = b""
            while data := conn.recv(65536):
                buffer += data
                while b"\r\n\r\n" in buffer:
                    head, _, rest = buffer.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    if len(rest) < length:
                        break
                    buffer = rest[length:]
                    conn.sendall(response)

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v1", listener


def _replay_vs_mock() -> tuple[Comparison, Comparison]:
    import httpx2
    import openai

    from helpers.replay.builder import build_exchange
    from helpers.replay.fixture import dump_file
    from helpers.replay.server import ReplayServer
    from helpers.replay.store import FixtureStore

    body = {"messages": QUESTION, "model": "gpt-5.4-mini"}
    request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    exchange = build_exchange({**request, "query": "", "body": body}, {"answer": "답변입니다."})
    wire = exchange.wire_body()

    with tempfile.TemporaryDirectory() as tmp:
        dump_file(exchange, Path(tmp) / "one.json")
        server = ReplayServer(FixtureStore([Path(tmp)]), speed=0, strict=True)
        try:
            replayed = openai.OpenAI(api_key="bench", base_url=server.base_url("openai"))

            def answer(_request: httpx2.Request) -> httpx2.Response:
                return httpx2.Response(
                    200, content=wire, headers={"content-type": "application/json"}
                )

            mocked = openai.OpenAI(
                api_key="bench",
                base_url="https://api.openai.com/v1",
                http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
            )

            def call(client: openai.OpenAI):
                return lambda: client.chat.completions.create(
                    model="gpt-5.4-mini", messages=QUESTION
                )

            head = (
                f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(wire)}"
            )
            canned_url, listener = _canned_server(head.encode() + b"\r\n\r\n" + wire)
            canned = openai.OpenAI(api_key="bench", base_url=canned_url)
            versus_mock = compare(call(replayed), call(mocked), repeats=CALLS, warmup=5)
            versus_socket = compare(call(replayed), call(canned), repeats=CALLS, warmup=5)
            listener.close()
            return versus_mock, versus_socket
        finally:
            server.close()


def _fresh_python(code: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "HF_TOKEN"))}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


IMPORT_CODE = "import time; t = time.perf_counter(); import helpers; print(time.perf_counter() - t)"
SETUP_CODE = (
    "import time, helpers, openai, anthropic, huggingface_hub; "
    "import helpers.session, helpers.replay.server; "
    "t = time.perf_counter(); helpers.setup(mode='replay', quiet=True); "
    "print(time.perf_counter() - t)"
)


def _budget(code: str, budget: float) -> Comparison:
    measured = tuple(_fresh_python(code) for _ in range(FRESH_RUNS))
    return Comparison(measured, (budget,) * len(measured))


def figures() -> list[dict]:
    import_result = _budget(IMPORT_CODE, 0.150)
    setup_result = _budget(SETUP_CODE, 0.300)
    versus_mock, versus_socket = _replay_vs_mock()
    return [
        figure(
            f"replayed call vs in-process mock (median of {CALLS})",
            "replay server",
            "MockTransport",
            versus_mock,
            target=1.5,
        ),
        figure(
            f"replayed call vs canned-bytes socket server (median of {CALLS})",
            "replay server",
            "canned socket",
            versus_socket,
            note="the replay server's own share; the rest is the SDK's HTTP over a socket",
        ),
        figure(
            f"import helpers (median of {FRESH_RUNS} fresh interpreters)",
            "import helpers",
            "budget 150 ms",
            import_result,
            target=1.0,
            note=f"{statistics.median(import_result.a_times) * 1000:.1f} ms",
        ),
        figure(
            f"helpers.setup() after imports (median of {FRESH_RUNS})",
            "setup()",
            "budget 300 ms",
            setup_result,
            target=1.0,
            note=f"{statistics.median(setup_result.a_times) * 1000:.1f} ms",
        ),
    ]
