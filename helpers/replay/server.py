"""The loopback server that stands in for the three APIs.

SDKs reach it through their documented base-URL settings (OpenAI, Anthropic) or an installed HTTP
client (Hugging Face). Each request path starts with the provider (`/openai/v1/...`,
`/anthropic/v1/...`, `/hf/<host>/...`), which tells the server which API is being spoken to.
Per provider the server either replays fixtures or, in record mode, forwards upstream and saves
what came back. Streams are written chunk by chunk with their recorded delays.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..providers import BACKGROUND_PATHS, PROVIDERS
from . import batches
from .faults import ERROR_FAULTS, Fault, FaultQueue
from .fixture import Exchange
from .store import FixtureStore, Match

MISS_STATUS = 404

# Limits on what a client may send. The SDKs send ~15 short headers and bodies of a few KB.
MAX_REQUEST_LINE = 8192
MAX_HEADER_LINE = 8192
MAX_HEADERS = 64
MAX_HEADER_BYTES = 32 * 1024
MAX_BODY_BYTES = 20 * 1024 * 1024
# Seconds a connection may sit in one socket read or write (an idle keep-alive connection, a
# client that stopped reading). The server's own waits (recorded delays, faults) are sleeps, not
# socket operations, so a stream of any length at recorded speed is unaffected.
SOCKET_TIMEOUT = 30.0
# The request log keeps the last REQUEST_LOG_LIMIT records, and a body only up to LOGGED_BODY_BYTES
# (a larger one is kept as its size and SHA-256), so memory stays flat however long a kernel runs.
REQUEST_LOG_LIMIT = 1000
LOGGED_BODY_BYTES = 64 * 1024
WARNINGS_KEPT = 200
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass
class RequestRecord:
    provider: str
    method: str
    host: str
    path: str
    body: Any
    status: int = 0
    fixture: str | None = None
    fault: str | None = None
    note: str = ""
    at: float = field(default_factory=time.time)
    body_bytes: int = 0
    # Set when the body was too large to keep: `body` is then None.
    body_sha256: str | None = None


class RequestLog(Sequence[RequestRecord]):
    """The requests a server received, as `requests_for()` returns them.

    Only the last `REQUEST_LOG_LIMIT` records are kept, but `len()` counts every request ever
    received, so the lesson idiom ``mark = len(log)`` … ``log[mark:]`` keeps working after old
    records are dropped: indices are absolute, and a slice yields the kept records in its range.
    Indexing a dropped record raises `IndexError`. Iteration yields the kept records.
    """

    def __init__(self, kept: list[RequestRecord], total: int) -> None:
        self._kept = kept
        self._total = max(total, len(kept))
        self.dropped = self._total - len(kept)

    def __len__(self) -> int:
        return self._total

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            start, stop, step = index.indices(self._total)
            return [
                self._kept[i - self.dropped] for i in range(start, stop, step) if i >= self.dropped
            ]
        position = index + self._total if index < 0 else index
        if not self.dropped <= position < self._total:
            raise IndexError(
                f"요청 기록 {index}번은 없습니다(지금까지 {self._total}개, "
                f"오래된 {self.dropped}개는 지워졌습니다)."
            )
        return self._kept[position - self.dropped]

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self._kept)

    def __reversed__(self) -> Iterator[RequestRecord]:
        return reversed(self._kept)

    def __contains__(self, value: object) -> bool:
        return value in self._kept

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        for position, record in enumerate(self._kept, self.dropped):
            if record == value and position >= start and (stop is None or position < stop):
                return position
        raise ValueError(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestLog | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"RequestLog({self._kept!r}, total={self._total})"


class _Refusal(Exception):
    """A request the server answers with a 4xx before (or instead of) handling it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback_host(value: str | None, port: int) -> bool:
    """True for a Host header naming this loopback server (127.0.0.1, localhost, [::1]).

    A page in a browser that rebinds its own domain to 127.0.0.1 still sends that domain as Host,
    so checking it keeps web pages from talking to the server. A port, when given, must be ours.
    """
    if not value:
        return False
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value.partition("]")
        name += bracket
    else:
        name = value.partition(":")[0]
        rest = value[len(name) :]
    if rest and not rest.startswith(":"):
        return False
    return name in LOOPBACK_HOSTS and (not rest or rest[1:] == str(port))


def _anthropic_request_id(seed: str) -> str:
    """A request id of Anthropic's format, the same for the same seed so that a notebook's saved
    output does not change between runs."""
    from .profiles import new_id

    return new_id("anthropic", "request", random.Random(seed))


def _error_body(provider: str, message: str, kind: str, seed: str = "") -> dict[str, Any]:
    if provider == "anthropic":
        return {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": _anthropic_request_id(f"{seed}:{kind}:{message}"),
        }
    if provider == "huggingface":
        return {"error": message}
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def _split_target(raw_path: str) -> tuple[str, str, str, str] | None:
    """'/openai/v1/models?x=1' -> ('openai', 'api.openai.com', '/v1/models', 'x=1')."""
    path, _, query = raw_path.partition("?")
    parts = path.split("/", 3)
    if len(parts) < 3:
        return None
    name = parts[1]
    if name == "hf":
        if len(parts) < 4:
            return None
        return "huggingface", parts[2].lower(), "/" + parts[3], query
    provider = PROVIDERS.get(name)
    if provider is None:
        return None
    return name, provider.hosts[0], "/" + path.split("/", 2)[2], query


class _Headers:
    """Request headers, looked up case-insensitively, in the order they arrived."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._lookup = {name.lower(): value for name, value in pairs}

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._lookup.get(name.lower(), default)

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small SSE writes must leave at once
    timeout = SOCKET_TIMEOUT  # an idle or stalled connection frees its thread
    _response_started = False  # set once a status line is written for the current request
    _record: RequestRecord | None = None
    server: _HTTPServer

    def parse_request(self) -> bool:
        # The stdlib parses headers with the email package, which costs more than the whole
        # replay; SDK requests are plain HTTP/1.1, so a line-by-line read is enough.
        self.command = ""  # the stdlib's error path reads it before a request line is parsed
        self.request_version = "HTTP/1.1"
        self.close_connection = True  # until the request is known to be well formed
        self._response_started = False
        self._record: RequestRecord | None = None
        line = self.raw_requestline.decode("latin-1")
        self.requestline = line.rstrip("\r\n")
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            return self._refuse(414, f"요청 줄이 너무 깁니다(최대 {MAX_REQUEST_LINE}바이트).")
        parts = line.split()
        if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
            return self._refuse(400, "요청 줄을 읽지 못했습니다(예: POST /openai/v1/... HTTP/1.1).")
        self.command, self.path, self.request_version = parts
        self.requestline = " ".join(parts)
        pairs: list[tuple[str, str]] = []
        size = 0
        while True:
            raw = self.rfile.readline(MAX_HEADER_LINE + 1)
            if raw in (b"\r\n", b"\n"):
                break
            if not raw:
                return False  # the client hung up in the middle of its headers
            if len(raw) > MAX_HEADER_LINE:
                return self._refuse(
                    431, f"요청 헤더 한 줄이 너무 깁니다(최대 {MAX_HEADER_LINE}바이트)."
                )
            size += len(raw)
            if len(pairs) >= MAX_HEADERS or size > MAX_HEADER_BYTES:
                return self._refuse(
                    431,
                    f"요청 헤더가 너무 많거나 큽니다(최대 {MAX_HEADERS}개, {MAX_HEADER_BYTES}바이트).",
                )
            name, colon, value = raw.decode("latin-1").partition(":")
            if not colon or not name.strip() or name != name.strip():
                return self._refuse(400, "요청 헤더의 형식이 잘못되었습니다.")
            pairs.append((name, value.strip()))
        self.headers = _Headers(pairs)  # type: ignore[assignment]
        if not is_loopback_host(self.headers.get("host"), self.server.server_address[1]):
            # 421 Misdirected Request: this server answers only for its own loopback address.
            return self._refuse(
                421,
                "리플레이 서버는 루프백 주소(127.0.0.1, localhost, [::1])로 온 요청만 받습니다"
                f"(Host: {self.headers.get('host')!r}).",
            )
        connection = (self.headers.get("connection") or "").lower()
        self.close_connection = connection == "close" or self.request_version == "HTTP/1.0"
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's error path (a too-long line, an unknown method), with a Korean body."""
        if code == 414:
            self._response_started = False  # the stdlib refuses it before parse_request runs
            text = "요청 줄이 너무 깁니다."
        elif code == 501:
            text = f"리플레이 서버가 지원하지 않는 메서드입니다: {self.command or '(없음)'}."
        else:
            text = f"리플레이 서버가 이 요청을 처리하지 못했습니다({code})."
        self._refuse(code, text)

    def _refuse(self, status: int, message: str) -> bool:
        """Answer a request the server will not handle, then close the connection."""
        self.close_connection = True
        if getattr(self, "_response_started", False):
            return False
        body = {"error": {"message": message, "type": "replay_bad_request"}}
        try:
            self.send_json(status, body, {"x-should-retry": "false"})
        except OSError:
            pass
        return False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the request log lives in ReplayServer.requests, not on stderr

    def do_GET(self) -> None:
        self._handle_safely()

    def do_POST(self) -> None:
        self._handle_safely()

    def do_DELETE(self) -> None:
        self._handle_safely()

    def _handle_safely(self) -> None:
        try:
            self._handle()
        except _Refusal as refusal:
            self._refuse(refusal.status, refusal.message)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:
            # Whatever went wrong, the learner gets an answer that says so, never a hang.
            record = self._record
            where = f" (픽스처 {record.fixture})" if record is not None and record.fixture else ""
            message = f"리플레이 서버 내부 오류{where}: {type(exc).__name__}: {exc}"
            self.server.owner._warn(message)
            self.close_connection = True
            if self._response_started:
                # An answer is already on the wire (a 200 before a failed save, a stream cut
                # short): a second one behind it would corrupt the connection. Closing it is the
                # only honest signal left.
                return
            try:
                body = {"error": {"message": message, "type": "replay_internal_error"}}
                self.send_json(500, body, {"x-should-retry": "false"})
            except OSError:
                pass

    def _read_body(self) -> bytes:
        too_large = f"요청 본문이 너무 큽니다(최대 {MAX_BODY_BYTES // (1024 * 1024)} MB)."
        encoding = (self.headers.get("transfer-encoding") or "").lower()
        if encoding:
            if encoding != "chunked" or self.headers.get("content-length") is not None:
                raise _Refusal(400, "요청의 Transfer-Encoding을 읽지 못했습니다.")
            pieces, total = [], 0
            while True:
                line = self.rfile.readline(1025).split(b";", 1)[0].strip()
                try:
                    size = int(line or b"0", 16)
                except ValueError:
                    raise _Refusal(
                        400, "요청 본문의 chunked 조각 크기를 읽지 못했습니다."
                    ) from None
                if size < 0:
                    raise _Refusal(400, "요청 본문의 chunked 조각 크기를 읽지 못했습니다.")
                if size == 0:
                    for _ in range(MAX_HEADERS):  # trailers, up to the blank line
                        if self.rfile.readline(MAX_HEADER_LINE + 1) in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(pieces)
                total += size
                if total > MAX_BODY_BYTES:
                    raise _Refusal(413, too_large)
                pieces.append(self._read_exactly(size))
                self.rfile.readline(3)
        text = self.headers.get("content-length") or "0"
        if not text.isdigit():
            raise _Refusal(400, f"요청의 Content-Length를 읽지 못했습니다: {text!r}")
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise _Refusal(413, too_large)
        return self._read_exactly(length) if length else b""

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) < size:
            raise ConnectionResetError("the client hung up in the middle of its body")
        return data

    def _handle(self) -> None:
        owner = self.server.owner
        target = _split_target(self.path)
        raw = self._read_body()
        if target is None:
            message = (
                f"리플레이 서버가 모르는 경로입니다: {self.path}. "
                "경로는 /openai/, /anthropic/, /hf/<host>/ 로 시작해야 합니다."
            )
            self.send_json(400, {"error": {"message": message, "type": "replay_bad_path"}})
            return
        provider, host, path, query = target
        batch_route = batches.route_for(provider, self.command, path)
        try:
            # A file upload is multipart form data: the batch book reads it, not json.
            multipart = batch_route is not None and batch_route.multipart
            body = json.loads(raw) if raw and not multipart else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            message = "리플레이 서버가 요청 본문을 JSON으로 읽지 못했습니다."
            self.send_json(400, _error_body(provider, message, "invalid_request_error"))
            return
        if (host, path) in BACKGROUND_PATHS and owner.modes.get(provider) != "record":
            self.send_json(404, {"error": "not served in replay mode"})
            return
        record = RequestRecord(provider, self.command, host, path, body, body_bytes=len(raw))
        if len(raw) > LOGGED_BODY_BYTES:
            record.body, record.body_sha256 = None, hashlib.sha256(raw).hexdigest()
        self._record = record
        owner._log(record)
        if batch_route is None:
            # a batch's own endpoints are not fixtures: the batch book lists its requests instead
            owner._capture(provider, self.command, host, path, query, body)
        fault = owner.faults.take(provider)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind in ERROR_FAULTS:
                self._send_fault(provider, fault, record)
                return
            elif fault.kind == "disconnect":
                # Hang up without a byte of answer, as a dropped connection would.
                record.note = "disconnect"
                self.close_connection = True
                return
        if owner.modes.get(provider) == "record":
            from .record import forward

            forward(self, owner, provider, host, path, query, raw, body, record)
            return
        if batch_route is not None:
            owner.batches.serve(self, batch_route, query, raw, body, record)
            return
        match = owner.store.find(self.command, host, path, query, body)
        if match.exchange is None or (not match.exact and owner.strict):
            if owner.capture_path is not None:
                self._send_placeholder(host, path, query, body, record)
            else:
                self._send_miss(provider, host, path, match, record)
            return
        if not match.exact:
            owner._warn(
                "[리플레이 경고] 매개변수가 다른 저장된 응답을 대신 돌려줍니다 "
                f"({match.exchange.name}). 다른 점:\n  - " + "\n  - ".join(match.differences)
            )
        record.fixture = match.exchange.name
        cut = fault.after_events if fault is not None and fault.kind == "cut_stream" else None
        drip = None
        if fault is not None and fault.kind == "drip":
            drip = (fault.after_events, fault.delay)
        self.send_exchange(match.exchange, owner.speed, cut_after=cut, drip=drip, record=record)

    def _send_placeholder(
        self, host: str, path: str, query: str, body: Any, record: RequestRecord
    ) -> None:
        """In capture mode an unanswered request gets a stand-in so the notebook keeps going."""
        from .builder import build_exchange

        request = {"method": self.command, "host": host, "path": path, "query": query}
        spec = {"name": "capture-placeholder", "answer": "(아직 작성하지 않은 답변입니다.)"}
        spec["models"] = ["placeholder-model"]
        spec["model_info"] = {"id": path.rsplit("/", 1)[-1], "inferenceProviderMapping": {}}
        exchange = build_exchange({**request, "body": body}, spec)
        record.note = "placeholder"
        self.send_exchange(exchange, 0, record=record)

    def _send_fault(self, provider: str, fault: Fault, record: RequestRecord) -> None:
        status, kind, message = ERROR_FAULTS[fault.kind]
        if provider == "openai" and kind in ("rate_limit_error", "overloaded_error"):
            kind = "requests" if kind == "rate_limit_error" else "server_error"
        headers = {"x-llm-lab-fault": fault.kind}
        if fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
            headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
        seed = f"{record.path}:{fault.times}:{len(self.server.owner.requests_for(provider))}"
        body = _error_body(provider, f"{message} (리플레이 서버가 주입한 장애)", kind, seed)
        record.status = status
        self.send_json(status, body, headers)

    def _send_miss(
        self, provider: str, host: str, path: str, match: Match, record: RequestRecord
    ) -> None:
        owner = self.server.owner
        lines = ["리플레이 모드: 이 요청에 맞는 저장된 응답이 없습니다."]
        lines.append(f"- 요청: {self.command} {host}{path}")
        lines.append(f"- 찾아본 픽스처: {owner.store.describe()}")
        if match.exchange is not None:
            lines.append(
                "- 대화 내용이 같은 저장된 응답은 있지만, 엄격 모드(LLM_LAB_REPLAY_STRICT=1)라서 "
                "매개변수가 다른 응답을 대신 쓰지 않습니다. 다른 점:"
            )
            lines.extend(f"    {d}" for d in match.differences)
        elif match.nearest is not None:
            lines.append(f"- 가장 비슷한 픽스처: {match.nearest.name} ({match.nearest.source})")
            lines.extend("    " + line for line in match.diff_text.splitlines()[:40])
        for error in owner.store.errors[:3]:
            lines.append(f"- 읽지 못한 픽스처: {error}")
        lines.append(
            "- 해결: 요청을 노트북의 원래 코드대로 되돌리거나, API 키를 설정하고 "
            'helpers.setup(mode="live")로 실제 API를 호출하거나, '
            "make record NB=<번호>로 이 요청을 녹화(record)하세요."
        )
        message = "\n".join(lines)
        record.status = MISS_STATUS
        record.note = "miss"
        with owner._lock:
            owner._note_warning(message)  # the SDK's exception shows it; printing it twice is noise
        headers = {"x-should-retry": "false", "x-llm-lab-miss": "1"}
        self.send_json(MISS_STATUS, _error_body(provider, message, "replay_miss"), headers)

    # --- writing responses ---------------------------------------------------------------------

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if self.close_connection:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        head = {"content-type": "application/json"}
        head.update((k, v) for k, v in (headers or {}).items() if k.lower() != "content-type")
        head["content-length"] = str(len(data))
        # One write for head and body: two small writes cost a round of wake-ups each.
        self._response_started = True
        self.wfile.write(self._head(status, head) + data)

    def send_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """A body that is not JSON (a file download), sent as it is."""
        head = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
        head["content-type"] = content_type
        head["content-length"] = str(len(data))
        self._response_started = True
        self.wfile.write(self._head(status, head) + data)

    def start_stream(self, status: int, headers: dict[str, str]) -> None:
        head = {
            k: v
            for k, v in headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        }
        head["transfer-encoding"] = "chunked"
        self._response_started = True
        self.wfile.write(self._head(status, head))

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def send_exchange(
        self,
        exchange: Exchange,
        speed: float,
        *,
        cut_after: int | None = None,
        drip: tuple[int, float] | None = None,
        record: RequestRecord | None = None,
    ) -> None:
        headers = {
            **exchange.headers,
            "x-llm-lab-fixture": exchange.name,
            "x-llm-lab-origin": exchange.origin,
        }
        if record is not None:
            record.status = exchange.status
        if drip is not None:
            # A drip fault sets the timing alone: the recorded delays would make a lesson's demo
            # (a stall longer than its timeout, a drip shorter than it) depend on the replay speed.
            speed = 0
        if exchange.events is None:
            if speed > 0 and exchange.delay > 0:
                # A non-streamed answer arrives only once it has been generated in full.
                time.sleep(exchange.delay * speed)
            if drip is not None:
                time.sleep(drip[1])
            self.send_json(exchange.status, exchange.wire_body(), headers)
            return
        try:
            self.start_stream(exchange.status, headers)
            for index, (delay, text) in enumerate(exchange.events):
                if cut_after is not None and index >= cut_after:
                    # Hang up without the closing chunk, as a failing network would.
                    self.close_connection = True
                    return
                if speed > 0 and delay > 0:
                    time.sleep(delay * speed)
                if drip is not None and index >= drip[0]:
                    time.sleep(drip[1])  # real seconds, whatever the replay speed
                self.write_chunk(text.encode())
            self.end_stream()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client went away mid-stream; nothing to clean up


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of parallel SDK calls (a thread pool in a
    # lesson, a benchmark) then sees connections reset before a thread can accept them.
    request_queue_size = 512
    # TIME_WAIT from the previous kernel must not push us off the fixed port; a live listener still does.
    allow_reuse_address = True
    owner: ReplayServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (a closed stream, a timeout) is normal here, not a server failure.
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ReplayServer:
    """One loopback server per process, shared by every provider in replay or record mode."""

    def __init__(
        self,
        store: FixtureStore | None = None,
        *,
        speed: float = 1.0,
        strict: bool = False,
        port: int = 0,
    ) -> None:
        self.store = store if store is not None else FixtureStore()
        self.speed = speed
        self.strict = strict
        self.modes: dict[str, str] = {}
        self.faults = FaultQueue()
        self.batches = batches.BatchBook(self)  # files and batches live as long as the server
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.request_counts: Counter[str] = Counter()  # every request ever logged, by provider
        self.record_dir: Path | None = None
        self.capture_path: Path | None = None
        self.upstreams = {
            name: os.environ.get(f"LLM_LAB_UPSTREAM_{name.upper()}", p.upstream)
            for name, p in PROVIDERS.items()
        }
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self.port_note = ""
        self._httpd = self._bind(port)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="llm-lab-replay", daemon=True
        )
        self._thread.start()

    def _bind(self, port: int) -> _HTTPServer:
        try:
            return _HTTPServer(("127.0.0.1", port), _Handler)
        except OSError:
            if port == 0:
                raise
            self.port_note = f"포트 {port}이(가) 사용 중이어서 빈 포트를 골랐습니다."
            return _HTTPServer(("127.0.0.1", 0), _Handler)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_url(self, provider: str) -> str:
        return f"{self.url}/{provider}{PROVIDERS[provider].base_path}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def requests_for(self, provider: str | None = None) -> RequestLog:
        """The requests received (for `provider`, or all): the last ones kept, all counted."""
        with self._lock:
            kept = [r for r in self.requests if provider in (None, r.provider)]
            if provider is None:
                total = sum(self.request_counts.values())
            else:
                total = self.request_counts[provider]
        return RequestLog(kept, total)

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)
            self.request_counts[record.provider] += 1

    def _note_warning(self, message: str) -> None:
        """Keep `message` in `warnings`, the last WARNINGS_KEPT of them (call with the lock held)."""
        self.warnings.append(message)
        if len(self.warnings) > WARNINGS_KEPT:
            del self.warnings[:-WARNINGS_KEPT]

    def _warn(self, message: str) -> None:
        with self._lock:
            self._note_warning(message)
        print(message, file=sys.stderr, flush=True)

    def _capture(
        self, provider: str, method: str, host: str, path: str, query: str, body: Any
    ) -> None:
        if self.capture_path is None:
            return
        line = {"provider": provider, "method": method, "host": host, "path": path}
        line.update(query=query, body=body)
        with self._lock, self.capture_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
