"""Record mode against a fake upstream on loopback: secrets scrubbed, streams intact."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import openai
import pytest

from helpers.replay.fixture import load_file
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore

SECRET = "sk-proj-" + "Q" * 40
QUESTION = [{"role": "user", "content": f"내 키는 {SECRET} 입니다. 외워 주세요."}]
SSE = [
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"안녕"},"finish_reason":null}]}\n\n',
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"하세요"},"finish_reason":"stop"}]}\n\n',
    "data: [DONE]\n\n",
]


class FakeUpstream(BaseHTTPRequestHandler):
    seen_auth: list[str] = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        FakeUpstream.seen_auth.append(self.headers.get("authorization", ""))
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("set-cookie", "session=secret")
            self.end_headers()
            for event in SSE:
                self.wfile.write(event.encode())
                self.wfile.flush()
            return
        payload = {
            "id": "chatcmpl-x",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-5.4-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": f"기억했습니다: {SECRET}"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        }
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-ratelimit-remaining-requests", "99")
        self.send_header("set-cookie", "session=secret")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def wait_until_saved(server: ReplayServer, seconds: float = 5.0) -> None:
    """A recording is saved just after its answer went out; wait (boundedly) for every save."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(r.fixture or r.note or r.status >= 400 for r in server.requests_for()):
            return
        time.sleep(0.02)


@pytest.fixture
def upstream():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstream)
    Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_record_forwards_saves_and_scrubs(tmp_path, upstream):
    server = ReplayServer(FixtureStore([tmp_path / "none"]), speed=0)
    server.modes = {"openai": "record"}
    server.upstreams["openai"] = upstream
    server.record_dir = tmp_path / "recorded"
    try:
        client = openai.OpenAI(api_key=SECRET, base_url=server.base_url("openai"), max_retries=0)
        reply = client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
        assert SECRET in reply.choices[0].message.content, "the learner gets the real answer"
        assert FakeUpstream.seen_auth[-1] == f"Bearer {SECRET}", "the key reached upstream"

        chunks = client.chat.completions.create(
            model="gpt-5.4-mini", messages=QUESTION, stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "안녕하세요"
        wait_until_saved(server)
    finally:
        server.close()

    files = sorted((tmp_path / "recorded").glob("*.json"))
    assert len(files) == 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text and "session=secret" not in text and "<scrubbed>" in text
        exchange = load_file(path)
        assert exchange.origin == "recorded"
        assert exchange.meta["recorded"] and exchange.meta["sdk"]["openai"]
        assert exchange.meta["model"] == "gpt-5.4-mini"
    json_fixture, stream_fixture = (load_file(p) for p in files)
    assert json_fixture.headers["x-ratelimit-remaining-requests"] == "99"
    assert stream_fixture.wire_body().decode() == "".join(SSE), "the stream is kept byte for byte"


def test_record_reports_an_unreachable_upstream_in_korean(tmp_path):
    server = ReplayServer(FixtureStore([tmp_path]), speed=0)
    server.modes = {"openai": "record"}
    server.upstreams["openai"] = "http://127.0.0.1:9"  # discard port: nothing listens
    try:
        client = openai.OpenAI(api_key="test", base_url=server.base_url("openai"), max_retries=0)
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
        assert caught.value.status_code == 502 and "연결하지 못했습니다" in str(caught.value)
    finally:
        server.close()
