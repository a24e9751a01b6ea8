"""Record mode under attack and under load: split keys, foreign hosts, name races, failed saves.

Every upstream here is a fake on loopback; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import openai
import pytest

from helpers.replay import record as record_module
from helpers.replay.fixture import load_file
from helpers.replay.hosts import RefusedHost, check_host, refusal_reason
from helpers.replay.scrub import KEY_SHAPED, SCRUBBED, replace_spans, scrub_stream
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore

SECRET = "sk-proj-" + "Q" * 40
HF_SECRET = "hf_" + "T" * 34
QUESTION = [{"role": "user", "content": "안녕하세요"}]
TIMEOUT = 10


def _chunk(content: str, finish: str | None = None) -> str:
    delta = {"content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    event = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return "data: " + json.dumps({**event, "choices": [choice]}, ensure_ascii=False) + "\n\n"


# The model streams the key token by token: no single event holds it.
TOKENS = ["제 키는 ", "sk-", "proj-", "Q" * 20, "Q" * 20, " 입니다."]
TOKEN_STREAM = [_chunk(t) for t in TOKENS[:-1]] + [_chunk(TOKENS[-1], "stop"), "data: [DONE]\n\n"]
# The key arrives whole in one event, but a TCP write cuts that event in two.
WHOLE_STREAM = _chunk(f"키: {SECRET} 끝", "stop") + "data: [DONE]\n\n"
TCP_CUT = WHOLE_STREAM.index(SECRET) + 14


class FakeUpstream(BaseHTTPRequestHandler):
    """Answers like the APIs; which answer depends on the model named in the request."""

    seen: list[tuple[str, str, dict[str, str]]] = []
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _note(self) -> None:
        with FakeUpstream.lock:
            FakeUpstream.seen.append((self.command, self.path, dict(self.headers.items())))

    def do_GET(self):
        self._note()
        self._send_json({"id": self.path})

    def do_POST(self):
        self._note()
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        model = body.get("model", "")
        if not body.get("stream"):
            time.sleep(0.1)  # long enough for concurrent requests to overlap
            self._send_json(_completion(model))
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        if model == "cut":
            self.send_header("content-length", "100000")  # promises more than it sends
        self.end_headers()
        for piece in _stream_for(model):
            self.wfile.write(piece.encode())
            self.wfile.flush()
            time.sleep(0.05)  # each write reaches the recorder as its own chunk

    def _send_json(self, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _stream_for(model: str) -> list[str]:
    if model == "tcp-split":
        return [WHOLE_STREAM[:TCP_CUT], WHOLE_STREAM[TCP_CUT:]]
    if model == "cut":
        return [_chunk("안녕")]
    return TOKEN_STREAM if model == "tokens" else [_chunk("안녕", "stop"), "data: [DONE]\n\n"]


def _completion(model: str) -> dict:
    message = {"role": "assistant", "content": f"답변({model})"}
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture
def upstream():
    FakeUpstream.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstream)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def recorder(tmp_path, upstream):
    server = ReplayServer(FixtureStore([tmp_path / "none"]), speed=0)
    server.modes = {"openai": "record", "huggingface": "record"}
    server.upstreams["openai"] = upstream
    server.record_dir = tmp_path / "recorded"
    yield server
    server.close()


def _client(server: ReplayServer, key: str = "test") -> openai.OpenAI:
    return openai.OpenAI(
        api_key=key, base_url=server.base_url("openai"), max_retries=0, timeout=TIMEOUT
    )


def _wait_for(condition, seconds: float = 5.0) -> None:
    """The server saves a recording just after the answer went out: give it that moment."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def _settled(server: ReplayServer) -> bool:
    """Every request has been answered and its recording saved (or given up)."""
    return all(r.fixture or r.note or r.status >= 400 for r in server.requests_for())


def _recordings(server: ReplayServer) -> list:
    _wait_for(lambda: _settled(server))
    return [load_file(p) for p in sorted(server.record_dir.glob("*.json"))]


def _replayed_text(server: ReplayServer, model: str) -> str:
    """Replay what was recorded through the real SDK, as a learner would see it."""
    replay = ReplayServer(FixtureStore([server.record_dir]), speed=0, strict=True)
    try:
        chunks = _client(replay).chat.completions.create(
            model=model, messages=QUESTION, stream=True
        )
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finally:
        replay.close()


# --- 1. a key split across the pieces of a stream ------------------------------------------------


def test_a_key_cut_by_a_tcp_write_is_scrubbed_from_the_recording(recorder):
    chunks = _client(recorder).chat.completions.create(
        model="tcp-split", messages=QUESTION, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == f"키: {SECRET} 끝"

    (fixture,) = _recordings(recorder)
    assert len(fixture.events) >= 2, "the key really arrived in two pieces"
    assert SECRET not in fixture.wire_body().decode()
    assert _replayed_text(recorder, "tcp-split") == f"키: {SCRUBBED} 끝"


def test_a_key_streamed_token_by_token_is_scrubbed_across_events(recorder):
    chunks = _client(recorder).chat.completions.create(
        model="tokens", messages=QUESTION, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "".join(TOKENS)

    (fixture,) = _recordings(recorder)
    assert len(fixture.events) == len(TOKEN_STREAM), "each piece keeps its place and delay"
    replayed = _replayed_text(recorder, "tokens")
    assert replayed == f"제 키는 {SCRUBBED} 입니다."
    assert not KEY_SHAPED.search(replayed)


def test_scrub_stream_reads_anthropic_text_deltas_across_events_and_pieces():
    def delta(text: str) -> str:
        payload = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}
        payload["delta"]["text"] = text
        return "event: content_block_delta\ndata: " + json.dumps(payload) + "\n\n"

    wire = "".join(delta(t) for t in ["키 ", "sk-ant-", "api03-" + "A" * 30, " 끝"])
    pieces = [wire[i : i + 7] for i in range(0, len(wire), 7)]  # cut everywhere, mid-escape too
    scrubbed = scrub_stream(pieces)

    assert len(scrubbed) == len(pieces)
    texts = []
    for line in "".join(scrubbed).splitlines():
        if line.startswith("data: "):
            texts.append(json.loads(line[6:])["delta"]["text"])
    assert "".join(texts) == f"키 {SCRUBBED} 끝"


def test_replace_spans_keeps_piece_boundaries():
    pieces = ["ab", "", "cdef", "gh"]
    assert replace_spans(pieces, [(1, 5, "X"), (6, 7, "Y")]) == ["aX", "", "f", "Yh"]


# --- 2. only the provider's own hosts are reached -------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "host"),
    [
        ("huggingface", "router.huggingface.co"),
        ("huggingface", "huggingface.co"),
        ("openai", "api.openai.com"),
        ("anthropic", "api.anthropic.com"),
    ],
)
def test_the_providers_own_hosts_are_allowed(provider, host):
    assert refusal_reason(provider, host) is None
    assert check_host(provider, host) == host


@pytest.mark.parametrize(
    ("provider", "host", "why"),
    [
        ("huggingface", "evil.example", "허용 목록에 없는"),
        ("huggingface", "huggingface.co@127.0.0.1:8080", "사용자 정보"),
        ("huggingface", "huggingface.co%40127.0.0.1", "사용자 정보"),
        ("huggingface", "huggingface%2eco", "인코딩"),
        ("huggingface", "huggingface.co:8443", "포트"),
        ("huggingface", "127.0.0.1", "IP 주소"),
        ("huggingface", "2130706433", "IP 주소"),
        ("huggingface", "0x7f.0.0.1", "IP 주소"),
        ("huggingface", "[::1]", "IP 주소"),
        ("huggingface", "huggingface.co.", "형식"),
        ("huggingface", "router.huggingface.co.evil.example", "허용 목록에 없는"),
        ("huggingface", "HUGGINGFACE.CO", "소문자"),
        ("huggingface", "", "비어"),
        ("openai", "router.huggingface.co", "허용 목록에 없는"),
    ],
)
def test_other_hosts_are_refused_with_a_reason(provider, host, why):
    reason = refusal_reason(provider, host)
    assert reason is not None and why in reason
    with pytest.raises(RefusedHost, match="요청을 전달하지 않습니다"):
        check_host(provider, host)


def _request(server: ReplayServer, method: str, path: str, body: bytes = b"", **headers):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


SECRET_HEADERS = {"authorization": f"Bearer {HF_SECRET}", "cookie": "session=secret"}


def test_a_foreign_host_in_an_hf_path_is_refused_and_never_contacted(recorder, upstream):
    recorder.upstreams["huggingface"] = upstream  # a forward would reach the fake
    status, text = _request(recorder, "GET", "/hf/evil.example/api/models/x", **SECRET_HEADERS)

    assert status == 403
    message = json.loads(text)["error"]
    assert "evil.example" in message and "허용 목록에 없는" in message
    assert FakeUpstream.seen == [], "not a byte, not a header, went out"
    assert list(recorder.record_dir.glob("*")) == [] if recorder.record_dir.exists() else True


@pytest.fixture
def sink():
    """A loopback listener that only counts who connects to it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    connections: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            connections.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], connections
    stop.set()
    thread.join(TIMEOUT)
    listener.close()


def test_userinfo_cannot_point_the_real_hf_upstream_elsewhere(recorder, sink):
    port, connections = sink
    assert recorder.upstreams["huggingface"].endswith("router.huggingface.co")
    status, text = _request(
        recorder, "GET", f"/hf/huggingface.co@127.0.0.1:{port}/api/models/x", **SECRET_HEADERS
    )
    assert status == 403 and "사용자 정보" in text
    time.sleep(0.2)  # a connection, had one been made, would have been accepted by now
    assert connections == []


def test_allowed_hf_hosts_are_still_forwarded(recorder, upstream):
    recorder.upstreams["huggingface"] = upstream
    assert _request(recorder, "GET", "/hf/huggingface.co/api/models/x")[0] == 200
    body = json.dumps({"model": "m", "messages": QUESTION}).encode()
    path = "/hf/router.huggingface.co/v1/chat/completions"
    assert _request(recorder, "POST", path, body, **{"content-type": "application/json"})[0] == 200
    assert [p for _, p, _ in FakeUpstream.seen] == ["/api/models/x", "/v1/chat/completions"]


# --- 3. N recordings give N files -----------------------------------------------------------------


def test_twelve_concurrent_recordings_give_twelve_files(recorder):
    client = _client(recorder)

    def ask(index: int) -> str:
        reply = client.chat.completions.create(model=f"m{index}", messages=QUESTION)
        return reply.choices[0].message.content

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(ask, range(12)))
    assert answers == [f"답변(m{i})" for i in range(12)]

    recordings = _recordings(recorder)
    assert len(recordings) == 12
    assert sorted(r.body["model"] for r in recordings) == sorted(f"m{i}" for i in range(12))
    assert len({r.name for r in recordings}) == 12


def test_sequential_streams_each_keep_their_recording(recorder):
    client = _client(recorder)
    for index in range(5):
        chunks = client.chat.completions.create(model=f"s{index}", messages=QUESTION, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "안녕"
    assert sorted(r.body["model"] for r in _recordings(recorder)) == [f"s{i}" for i in range(5)]


def test_a_recording_from_an_earlier_session_is_not_overwritten(recorder):
    recorder.record_dir.mkdir(parents=True)
    earlier = recorder.record_dir / "001-openai-v1-chat-completions.json"
    earlier.write_text('{"earlier": true}\n', encoding="utf-8")

    _client(recorder).chat.completions.create(model="new", messages=QUESTION)

    _wait_for(lambda: _settled(recorder))
    assert earlier.read_text(encoding="utf-8") == '{"earlier": true}\n'
    saved = load_file(recorder.record_dir / "002-openai-v1-chat-completions.json")
    assert saved.body["model"] == "new"


# --- 4. nothing is written behind an answer that went out -------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_failed_save_does_not_answer_the_next_request(recorder, monkeypatch, stream):
    def full_disk(exchange, path):
        raise OSError(28, "디스크 공간이 부족합니다")

    monkeypatch.setattr(record_module, "dump_file", full_disk)
    connection = http.client.HTTPConnection("127.0.0.1", recorder.port, timeout=TIMEOUT)
    headers = {"content-type": "application/json", "authorization": "Bearer test"}
    try:
        for model in ("first", "second"):
            body = json.dumps({"model": model, "messages": QUESTION, "stream": stream})
            connection.request("POST", "/openai/v1/chat/completions", body, headers)
            response = connection.getresponse()
            text = response.read().decode()
            assert response.status == 200, f"{model}: {text[:200]}"
            assert "안녕" in text if stream else f"답변({model})" in text
            _wait_for(lambda: _settled(recorder))  # the save has been tried and has failed
            pending, _, _ = select.select([connection.sock], [], [], 0.2)
            assert pending == [], "nothing (no 500, no hang-up) follows the answer"
    finally:
        connection.close()

    _wait_for(lambda: _settled(recorder))
    warnings = [w for w in recorder.warnings if "저장하지 못했습니다" in w]
    assert len(warnings) == 2 and "001-openai-v1-chat-completions.json" in warnings[0]
    assert list(recorder.record_dir.glob("*.json")) == [], "no empty reserved file is left"


def test_an_upstream_cut_mid_stream_writes_no_second_answer(recorder):
    body = json.dumps({"model": "cut", "messages": QUESTION, "stream": True}).encode()
    request = (
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    received = b""
    with socket.create_connection(("127.0.0.1", recorder.port), timeout=3) as conn:
        conn.sendall(request)
        with contextlib.suppress(TimeoutError):  # read all the server sends, until it hangs up
            while chunk := conn.recv(65536):
                received += chunk

    assert received.startswith(b"HTTP/1.1 200") and "안녕".encode() in received
    assert received.count(b"HTTP/1.1 ") == 1, "no 502 written into the stream"
    _wait_for(lambda: any("도중에 끊겼습니다" in w for w in recorder.warnings))
    assert any("도중에 끊겼습니다" in w for w in recorder.warnings)
    assert list(recorder.record_dir.glob("*.json")) == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://huggingface.co/api/models/x", True),
        ("https://huggingface.co//evil.example/x", True),
        ("https://huggingface.co@evil.example/x", False),
        ("https://evil.example/x", False),
        ("https://huggingface.co:444/x", False),
        ("http://127.0.0.1:5/x", False),
    ],
)
def test_the_built_url_is_checked_again_whatever_the_path_held(url, allowed):
    owner = SimpleNamespace(upstreams={"huggingface": "https://router.huggingface.co"})
    assert record_module._reaches_expected_host(owner, "huggingface", url) is allowed
