"""The replay server stays up and honest under corrupt fixtures and hostile or careless clients."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx2
import openai
import pytest

from helpers.replay import server as server_module
from helpers.replay.server import RequestLog, RequestRecord, _Handler, is_loopback_host
from tests.conftest import author, openai_request

QUESTION = [{"role": "user", "content": "안녕하세요?"}]
ANSWER = "안녕하세요, 무엇을 도와드릴까요?"
BODY = {"messages": QUESTION, "model": "gpt-5.4-mini"}


def oa(server) -> openai.OpenAI:
    return openai.OpenAI(api_key="test", base_url=server.base_url("openai"), max_retries=0)


def ask(server) -> str:
    reply = oa(server).chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    return reply.choices[0].message.content


def raw_exchange(port: int, request: bytes, *, timeout: float = 5.0) -> bytes:
    """Send `request` on a fresh connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def post(port: int, body: bytes = b"{}", host: str | None = None, extra: str = "") -> bytes:
    host = f"127.0.0.1:{port}" if host is None else host
    head = (
        "POST /openai/v1/chat/completions HTTP/1.1\r\n"
        f"Host: {host}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    )
    return raw_exchange(port, head.encode() + body)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> dict:
    return json.loads(response.partition(b"\r\n\r\n")[2])


# --- 1. one corrupt fixture is skipped, the rest are served -----------------------------------


def _good_fixture_data(fixture_dir: Path) -> dict:
    path = author(fixture_dir, "template", openai_request({**BODY, "model": "other"}), answer="-")
    data = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    return data


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


CORRUPTIONS = {
    "headers-list": (lambda d: d["response"].update(headers=[["a", "b"]]), "response.headers"),
    "headers-string": (lambda d: d["response"].update(headers="x"), "response.headers"),
    "header-crlf": (
        lambda d: d["response"].update(headers={"x-a": "1\r\nset-cookie: evil"}),
        "response.headers",
    ),
    "huge-delay": (lambda d: d["response"].update(delay=1e300), "response.delay"),
    "status-text": (lambda d: d["response"].update(status="ok"), "response.status"),
    "events-not-pairs": (lambda d: d["response"].update(events=[1, 2]), "response"),
    "request-not-object": (lambda d: d.update(request="POST /"), "request"),
    "meta-list": (lambda d: d.update(meta=[1]), "meta"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_fixture_is_skipped_naming_file_and_field(fixture_dir, make_server, case):
    author(fixture_dir, "good", openai_request(BODY), answer=ANSWER)
    data = _good_fixture_data(fixture_dir)
    corrupt, field = CORRUPTIONS[case]
    if case == "events-not-pairs":
        data["response"].pop("body", None)
    corrupt(data)
    (fixture_dir / f"bad-{case}.json").write_text(json.dumps(data), encoding="utf-8")

    server = make_server(speed=1.0)
    assert [e.name for e in server.store.exchanges] == ["good"]
    (error,) = server.store.errors
    assert f"bad-{case}.json" in error and field in error and "건너뜁니다" in error
    assert ask(server) == ANSWER


def test_a_stream_with_a_huge_delay_is_skipped(fixture_dir, make_server):
    author(fixture_dir, "good", openai_request(BODY), answer=ANSWER)
    path = author(fixture_dir, "slow", openai_request({**BODY, "stream": True}), answer=ANSWER)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["response"]["events"][1][0] = 86400
    path.write_text(json.dumps(data), encoding="utf-8")
    server = make_server()
    assert (
        "slow.json" in server.store.errors[0] and "response.events[1][0]" in server.store.errors[0]
    )
    assert ask(server) == ANSWER


@pytest.mark.parametrize("levels", [100, 100_000])
def test_deeply_nested_fixture_is_skipped(fixture_dir, make_server, levels):
    author(fixture_dir, "good", openai_request(BODY), answer=ANSWER)
    data = _good_fixture_data(fixture_dir)
    text = json.dumps(data).replace('"body": {', '"body": {"deep": ' + _deep(levels) + ", ", 1)
    (fixture_dir / "deep.json").write_text(text, encoding="utf-8")
    server = make_server()
    assert len(server.store.exchanges) == 1
    assert "deep.json" in server.store.errors[0] and "중첩" in server.store.errors[0]
    assert ask(server) == ANSWER


def test_setup_survives_a_corrupt_fixture(clean_env, tmp_path, monkeypatch):
    import helpers
    from helpers import replay

    folder = tmp_path / "extra"
    folder.mkdir()
    data = _good_fixture_data(folder)
    data["response"]["headers"] = ["not", "an", "object"]
    (folder / "broken-headers.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("LLM_LAB_FIXTURES", str(folder))
    monkeypatch.setattr(replay, "_server", None)
    try:
        status = helpers.setup(mode="replay", quiet=True)
        assert any("broken-headers.json" in m and "response.headers" in m for m in status.messages)
        assert len(replay.get_server().store.exchanges) > 100, "the shipped fixtures still load"
    finally:
        server = replay.get_server(create=False)
        if server is not None:
            server.close()


# --- 2. a burst of connections is queued, not reset --------------------------------------------


def test_listen_backlog_holds_a_burst(fixture_dir, make_server):
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    assert server._httpd.request_queue_size >= 512
    request = json.dumps(BODY).encode()
    barrier = threading.Barrier(150)
    failures: list[BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            assert status_of(post(server.port, request)) == 200
        except (OSError, AssertionError) as exc:
            failures.append(exc)

    threads = [threading.Thread(target=one) for _ in range(150)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []


# --- 3. the request log stays bounded; marks keep working --------------------------------------


def test_request_log_is_bounded_and_marks_still_work(fixture_dir, make_server, monkeypatch):
    monkeypatch.setattr(server_module, "REQUEST_LOG_LIMIT", 5)
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    client = oa(server)
    for _ in range(8):
        client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    assert len(server.requests) == 5
    seen = server.requests_for("openai")
    assert len(seen) == 8 and seen.dropped == 3 and len(list(seen)) == 5
    mark = len(server.requests_for("openai"))
    from helpers.replay.faults import Fault

    server.faults.add(Fault("server_error", "openai"))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    client.chat.completions.create(model="gpt-5.4-mini", messages=QUESTION)
    after = server.requests_for("openai")[mark:]
    assert [r.status for r in after] == [500, 200], "a mark taken after the bound still slices"
    assert server.requests_for("openai")[-1].status == 200
    assert server.requests_for("anthropic") == []


def test_request_log_view_indexing():
    records = [RequestRecord("openai", "POST", "h", f"/{i}", None) for i in range(3)]
    log = RequestLog(records, total=10)
    assert len(log) == 10 and log[7] is records[0] and log[-1] is records[2]
    assert log[8:] == records[1:] and log[:7] == [] and log[5:9] == records[:2]
    with pytest.raises(IndexError, match="지워졌습니다"):
        log[0]
    assert list(reversed(log)) == records[::-1] and records[1] in log and log.index(records[1]) == 8


def test_a_large_request_body_is_not_kept(fixture_dir, make_server):
    server = make_server()
    big = json.dumps({**BODY, "padding": "x" * 1_000_000}).encode()
    assert status_of(post(server.port, big)) == 404
    (record,) = server.requests_for()
    assert record.body is None and record.body_bytes == len(big)
    assert record.body_sha256 is not None and len(record.body_sha256) == 64
    small = json.dumps(BODY).encode()
    post(server.port, small)
    assert server.requests_for()[-1].body == BODY, "ordinary bodies are still kept"


def test_warnings_are_bounded(fixture_dir, make_server):
    server = make_server()
    for i in range(server_module.WARNINGS_KEPT + 5):
        server._warn(f"w{i}")
    assert len(server.warnings) == server_module.WARNINGS_KEPT and server.warnings[-1].endswith(
        "204"
    )


# --- 4. timeouts and size limits ----------------------------------------------------------------


def test_idle_connection_is_closed_after_the_socket_timeout(make_server, monkeypatch):
    assert _Handler.timeout is not None and _Handler.timeout >= 20, "long enough for slow readers"
    monkeypatch.setattr(_Handler, "timeout", 0.3)
    server = make_server()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        start = time.perf_counter()
        assert sock.recv(10) == b"", "the server hung up on the idle connection"
        assert time.perf_counter() - start < 4


def test_too_many_headers_are_refused(make_server):
    server = make_server()
    extra = "".join(f"x-h{i}: v\r\n" for i in range(server_module.MAX_HEADERS + 1))
    response = post(server.port, extra=extra)
    assert status_of(response) == 431 and "헤더" in body_of(response)["error"]["message"]


def test_a_too_long_header_line_is_refused(make_server):
    server = make_server()
    response = post(server.port, extra=f"x-long: {'a' * (server_module.MAX_HEADER_LINE + 10)}\r\n")
    assert status_of(response) == 431 and "헤더" in body_of(response)["error"]["message"]


def test_a_too_large_body_is_refused_before_it_is_read(make_server):
    server = make_server()
    head = (
        f"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Length: {server_module.MAX_BODY_BYTES + 1}\r\n\r\n"
    )
    response = raw_exchange(server.port, head.encode())
    assert status_of(response) == 413 and "본문" in body_of(response)["error"]["message"]
    assert server.requests_for() == [], "nothing was logged or buffered"


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_a_bad_content_length_is_a_400(make_server, length):
    server = make_server()
    head = (
        f"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    response = raw_exchange(server.port, head.encode())
    assert status_of(response) == 400 and "Content-Length" in body_of(response)["error"]["message"]


# --- 5. a malformed request line --------------------------------------------------------------


@pytest.mark.parametrize("line", [b"GARBAGE\r\n", b"GET / SPDY/9\r\n", b"A B C D\r\n"])
def test_a_malformed_request_line_is_a_clean_korean_400(make_server, capsys, line):
    server = make_server()
    response = raw_exchange(server.port, line + b"\r\n")
    assert status_of(response) == 400
    assert "요청 줄" in body_of(response)["error"]["message"]
    time.sleep(0.05)
    assert "Traceback" not in capsys.readouterr().err


def test_an_unknown_method_is_a_korean_501(make_server, capsys):
    server = make_server()
    head = f"PATCH /openai/v1/x HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n"
    response = raw_exchange(server.port, head.encode())
    assert status_of(response) == 501 and "PATCH" in body_of(response)["error"]["message"]
    assert "Traceback" not in capsys.readouterr().err


# --- 6. only loopback Host values ---------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", ""])
def test_a_foreign_host_is_refused(fixture_dir, make_server, host):
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    response = post(server.port, json.dumps(BODY).encode(), host=host.format(port=server.port))
    assert status_of(response) == 421
    assert "루프백" in body_of(response)["error"]["message"]
    assert server.requests_for() == []


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST"]
)
def test_loopback_hosts_are_served(fixture_dir, make_server, host):
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    response = post(server.port, json.dumps(BODY).encode(), host=host.format(port=server.port))
    assert status_of(response) == 200


def test_is_loopback_host():
    assert is_loopback_host("127.0.0.1:8000", 8000) and is_loopback_host("[::1]", 8000)
    assert not is_loopback_host("[::1]x:8000", 8000) and not is_loopback_host(None, 1)
    assert not is_loopback_host("127.0.0.1.evil.example:8000", 8000)


def test_sdk_clients_send_a_loopback_host(fixture_dir, make_server):
    from helpers.replay import hf_client_factory

    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    assert ask(server) == ANSWER
    with hf_client_factory(server.url)() as http:
        reply = http.post("https://api.openai.com/v1/chat/completions", json=BODY)
    assert reply.status_code != 421, "huggingface's redirected client names the loopback host"


# --- 7. no second response behind one already sent ----------------------------------------------


def test_an_error_after_the_answer_closes_the_connection_instead_of_a_second_response(
    fixture_dir, make_server, monkeypatch
):
    """As when record mode fails to save after passing a 200 through: no 500 behind the 200."""
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    sent = _Handler.send_exchange

    def send_then_fail(self, *args, **kwargs):
        sent(self, *args, **kwargs)
        raise OSError(28, "No space left on device")  # what a failed save raises

    monkeypatch.setattr(_Handler, "send_exchange", send_then_fail)
    body = json.dumps(BODY).encode()
    head = (
        "POST /openai/v1/chat/completions HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    # keep-alive: the server must close the connection rather than write a 500 behind the 200
    response = raw_exchange(server.port, head.encode() + body)
    assert response.count(b"HTTP/1.1 ") == 1 and status_of(response) == 200
    assert body_of(response)["choices"][0]["message"]["content"] == ANSWER
    assert any("내부 오류" in w and "ok" in w for w in server.warnings), (
        "reported, naming the fixture"
    )


def test_an_internal_error_before_any_answer_is_still_a_500(fixture_dir, make_server, monkeypatch):
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(server.store, "find", broken)
    response = post(server.port, json.dumps(BODY).encode())
    assert status_of(response) == 500 and "boom" in body_of(response)["error"]["message"]


def test_stdlib_client_still_works_on_keep_alive(fixture_dir, make_server):
    author(fixture_dir, "ok", openai_request(BODY), answer=ANSWER)
    server = make_server()
    with httpx2.Client(base_url=server.url) as http:
        for _ in range(3):
            assert http.post("/openai/v1/chat/completions", json=BODY).status_code == 200
