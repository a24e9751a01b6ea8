"""Batch lifecycles in replay: OpenAI's Batch API (files + batches) and Anthropic's Message Batches.

A batch is stateful, so it is not a fixture: the server keeps every uploaded file and batch in a
`BatchBook` (one per server, behind one lock) and answers each request inside a batch from the
fixture store exactly as a direct request to the same endpoint would be answered. Batch results
therefore reuse the lessons' own fixtures; a request with no fixture becomes a failed entry
(OpenAI: a line of the error file; Anthropic: an `errored` result), as a refused request would.

Time is virtual so that a notebook never waits and its saved output never changes between runs:
the clock starts on the newest authoring or recording day of the fixtures (09:00 UTC) and each
created object moves it on by a few seconds. Every `retrieve` advances a batch by exactly one step,
with its timestamps derived from the step before it:

- OpenAI: `validating` (create) → `in_progress` → `finalizing` → `completed`, or `failed` on the
  first poll when the input file does not validate (`errors.data` names the line and the code).
  `cancel` moves `validating`/`in_progress` to `cancelling`; the next poll shows `cancelled`.
- Anthropic: `in_progress` (create) → `in_progress` → `ended`. `cancel` moves `in_progress` to
  `canceling`; the next poll shows `ended` with every request `canceled`.

Expiry cannot be waited for, so it is a fault, the same way lessons inject a 429:
``replay.fault("batch_expired", provider="openai", finished=1)`` makes the next batch created for
that provider expire after its first `finished` requests (default 0); the rest are reported as
the real APIs report them (OpenAI: error-file lines with code `batch_expired`; Anthropic:
`expired` results). A failed batch needs no fault: upload a file that does not validate.

Wire facts (public recordings; descriptions only, nothing copied):
- OpenAI batch ids are `batch_` + 32 hex digits whose first 8 are `created_at` in hex
  (batch_69c3c347… created 1774437191 in ProjectTech4DevAI/kaapi-backend#723; batch_67760717…
  created 1735788312 in a public Chinese example). The same issue shows a real batch: in_progress 3 s
  after creation, finalizing 128 s later, completed 2 s after that, `expires_at` = created + 24 h,
  `model` set to the served snapshot, `usage` filled, `output_file_id` null when every request
  failed and `error_file_id` set.
- Uploaded files of purpose `batch` expire 30 days after creation and come back `processed`
  (a real answer passed through a proxy in BerriAI/litellm#37527); file ids are `file-` + 22
  base58 characters.
- A failed request's error-file line has `error: null` and the API's error under `response.body`
  (openai/openai-openapi#302). An expired request's line has `response: null` and
  `error: {code: "batch_expired", message: ...}`, and output lines look like
  `{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id": "req_…", "body"},
  "error": null}` (OpenAI's Batch API guide, platform.openai.com/docs/guides/batch). Validation errors are `BatchError(code, line, message, param)`
  with codes such as `invalid_json_line`, `duplicate_custom_id`, `url_mismatch`, `empty_file`
  (stdapi-ai/stdapi.ai#240, which quotes "This line is not parseable as valid JSON.").
- Anthropic answers compact JSON in the key order id, type, processing_status, request_counts,
  ended_at, created_at, expires_at, archived_at, cancel_initiated_at, results_url, with RFC 3339
  times carrying microseconds and `+00:00`, `expires_at` 24 h after creation and ids
  `msgbatch_01` + 22 base58 characters (a public README's curl transcript); `results_url` is an
  absolute URL, which the SDK requests as it stands, so in replay it names this server.

Not verified against a recording, chosen to be plausible and stated here: output-line ids
(`batch_req_` + 32 hex), cancelling an ended batch (or deleting an unended Anthropic batch)
answering 400, and the content types of file
downloads (`application/octet-stream`) and of Anthropic results (`application/binary`, what the
SDK asks for in `Accept`).

Record mode forwards batch requests unchanged. The real `results_url` then names
api.anthropic.com, so `results()` goes to the real API directly and is not recorded: a batch
lifecycle is stateful and is never replayed from recordings anyway, only from its requests' fixtures.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .profiles import ALPHABETS, new_id

if TYPE_CHECKING:
    from .server import ReplayServer, RequestRecord, _Handler

OPENAI_HOST = "api.openai.com"
ANTHROPIC_HOST = "api.anthropic.com"
DAY = 24 * 3600
FILE_LIFETIME = 30 * DAY
# Seconds between steps, after the real batch in kaapi-backend#723 (3 s, 128 s, 2 s).
TO_IN_PROGRESS, TO_FINALIZING, TO_COMPLETED, TO_FAILED = 3, 128, 2, 2
TO_CANCELLED, TO_ENDED = 20, 300
CREATE_STEP = 7  # the virtual clock's move per created object
FILE_PURPOSES = (
    "assistants",
    "batch",
    "fine-tune",
    "vision",
    "user_data",
    "evals",
)
MAX_CUSTOM_ID = 64
LIST_LIMIT = 20


class BatchRequestError(Exception):
    """A batch request the API would refuse: status, error type and a Korean message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


@dataclass(frozen=True)
class Route:
    provider: str
    action: str
    object_id: str = ""

    @property
    def multipart(self) -> bool:
        return self.action == "file_upload"


_OPENAI_ROUTES = (
    ("POST", re.compile(r"/v1/files"), "file_upload"),
    ("GET", re.compile(r"/v1/files"), "file_list"),
    ("GET", re.compile(r"/v1/files/(file-[A-Za-z0-9]+)"), "file_retrieve"),
    ("GET", re.compile(r"/v1/files/(file-[A-Za-z0-9]+)/content"), "file_content"),
    ("DELETE", re.compile(r"/v1/files/(file-[A-Za-z0-9]+)"), "file_delete"),
    ("POST", re.compile(r"/v1/batches"), "batch_create"),
    ("GET", re.compile(r"/v1/batches"), "batch_list"),
    ("GET", re.compile(r"/v1/batches/(batch_[A-Za-z0-9]+)"), "batch_retrieve"),
    ("POST", re.compile(r"/v1/batches/(batch_[A-Za-z0-9]+)/cancel"), "batch_cancel"),
)
_ANTHROPIC_ROUTES = (
    ("POST", re.compile(r"/v1/messages/batches"), "batch_create"),
    ("GET", re.compile(r"/v1/messages/batches"), "batch_list"),
    ("GET", re.compile(r"/v1/messages/batches/(msgbatch_[A-Za-z0-9]+)"), "batch_retrieve"),
    ("GET", re.compile(r"/v1/messages/batches/(msgbatch_[A-Za-z0-9]+)/results"), "results"),
    ("DELETE", re.compile(r"/v1/messages/batches/(msgbatch_[A-Za-z0-9]+)"), "batch_delete"),
    ("POST", re.compile(r"/v1/messages/batches/(msgbatch_[A-Za-z0-9]+)/cancel"), "batch_cancel"),
)


def route_for(provider: str, method: str, path: str) -> Route | None:
    """The batch endpoint `method path` names for `provider`, or None for any other request."""
    table = {"openai": _OPENAI_ROUTES, "anthropic": _ANTHROPIC_ROUTES}.get(provider, ())
    for wanted, pattern, action in table:
        found = pattern.fullmatch(path)
        if found and method == wanted:
            return Route(provider, action, found.group(1) if found.groups() else "")
    return None


# --- small pieces ----------------------------------------------------------------------------


def _rng(*parts: Any) -> random.Random:
    return random.Random(hashlib.sha256(repr(parts).encode()).hexdigest())


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def parse_multipart(content_type: str | None, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name -> (filename, bytes).

    Raises `BatchRequestError` (400, Korean) for a body that is not multipart form data.
    """
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise BatchRequestError(
            400,
            "invalid_request_error",
            "파일 업로드는 multipart/form-data로 보내야 합니다"
            f"(받은 Content-Type: {content_type or '(없음)'}).",
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart() or message.defects:
        raise BatchRequestError(
            400,
            "invalid_request_error",
            "파일 업로드 본문(multipart/form-data)을 읽지 못했습니다. 경계(boundary)가 맞는지 "
            "확인하세요.",
        )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = (part.get_filename(), payload)
    return fields


def _usage_of(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Batch `usage`: the answers' token counts summed (Chat Completions or Responses names)."""
    total = {"input": 0, "cached": 0, "output": 0, "reasoning": 0}
    for body in bodies:
        usage = body.get("usage") or {}
        total["input"] += usage.get("prompt_tokens", usage.get("input_tokens", 0)) or 0
        total["output"] += usage.get("completion_tokens", usage.get("output_tokens", 0)) or 0
        details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
        total["cached"] += details.get("cached_tokens", 0) or 0
        out = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
        total["reasoning"] += out.get("reasoning_tokens", 0) or 0
    return {
        "input_tokens": total["input"],
        "input_tokens_details": {"cached_tokens": total["cached"]},
        "output_tokens": total["output"],
        "output_tokens_details": {"reasoning_tokens": total["reasoning"]},
        "total_tokens": total["input"] + total["output"],
    }


def _page(items: list[Any], query: str, cursor: str) -> tuple[list[Any], bool]:
    """One page of a newest-first list: the items after the `cursor` id, at most `limit`, and
    whether more follow (the SDKs' auto-pagination asks again with the last id)."""
    params = parse_qs(query)
    try:
        limit = max(1, min(100, int(params.get("limit", [LIST_LIMIT])[0])))
    except ValueError:
        raise BatchRequestError(
            400, "invalid_request_error", "limit은 1~100 사이의 정수여야 합니다."
        ) from None
    after = params.get(cursor, [None])[0]
    ids = [item.id for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    return items[start : start + limit], start + limit < len(items)


# --- state ---------------------------------------------------------------------------------------


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def wire(self) -> dict[str, Any]:
        return {
            "object": "file",
            "id": self.id,
            "purpose": self.purpose,
            "filename": self.filename,
            "bytes": len(self.data),
            "created_at": self.created_at,
            "expires_at": self.created_at + FILE_LIFETIME,
            "status": "processed",
            "status_details": None,
        }


@dataclass
class Outcome:
    """One request's answer: `ok`, and the API's status and body (or why it has none)."""

    custom_id: str
    ok: bool
    status: int
    body: Any
    request_id: str


@dataclass
class OpenAIBatch:
    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    metadata: Any
    created_at: int
    lines: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    expire_after: int | None = None
    status: str = "validating"
    stamps: dict[str, int | None] = field(default_factory=dict)
    outcomes: list[Outcome] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    model: str | None = None


@dataclass
class AnthropicBatch:
    id: str
    created_at: float
    requests: list[dict[str, Any]]
    expire_after: int | None = None
    status: str = "in_progress"
    polls: int = 0
    ended_at: float | None = None
    cancel_initiated_at: float | None = None
    results: list[dict[str, Any]] | None = None


class BatchBook:
    """Every file and batch one replay server holds, and how each request on them is answered."""

    def __init__(self, owner: ReplayServer) -> None:
        self.owner = owner
        self.files: dict[str, StoredFile] = {}
        self.openai: dict[str, OpenAIBatch] = {}
        self.anthropic: dict[str, AnthropicBatch] = {}
        self._lock = threading.RLock()
        self._clock: int | None = None
        self._created = 0
        self._served = 0

    # --- clock and ids ---------------------------------------------------------------------

    def _epoch(self) -> int:
        days = []
        for exchange in self.owner.store.exchanges:
            day = exchange.meta.get("authored") or exchange.meta.get("recorded")
            if isinstance(day, str):
                days.append(day)
        try:
            start = int(datetime.fromisoformat(max(days)).replace(tzinfo=UTC).timestamp())
        except ValueError:
            start = int(time.time()) // DAY * DAY  # no dated fixture to agree with: today
        return start + 9 * 3600

    def _tick(self) -> int:
        if self._clock is None:
            self._clock = self._epoch()
        self._clock += CREATE_STEP
        self._created += 1
        return self._clock

    def _new_file_id(self, seed: Any) -> str:
        return "file-" + _token(_rng("file", self._created, seed), ALPHABETS["base58"], 22)

    # --- dispatch --------------------------------------------------------------------------

    def serve(
        self,
        handler: _Handler,
        route: Route,
        query: str,
        raw: bytes,
        body: Any,
        record: RequestRecord,
    ) -> None:
        """Answer one batch request on `handler` (record-mode forwarding happens before this)."""
        try:
            with self._lock:
                status, payload, content_type = getattr(self, f"_{route.provider}_{route.action}")(
                    route, query, raw, body, handler
                )
        except BatchRequestError as refusal:
            from .server import _error_body

            record.status = refusal.status
            record.note = "batch_refused"
            error = _error_body(route.provider, refusal.message, refusal.kind, record.path)
            self._send(handler, route.provider, refusal.status, error, None, record)
            return
        record.status = status
        record.note = f"batch:{route.action}"  # the request log tells batch traffic apart
        self._send(handler, route.provider, status, payload, content_type, record)

    def _send(
        self,
        handler: _Handler,
        provider: str,
        status: int,
        payload: Any,
        content_type: str | None,
        record: RequestRecord,
    ) -> None:
        from .fixture import json_text

        with self._lock:
            self._served += 1
            rng = _rng("request", record.path, self._served, status)
        headers = {"x-llm-lab-origin": "batch"}
        if provider == "openai":
            headers["x-request-id"] = new_id("openai", "request", rng)
        else:
            headers["request-id"] = new_id("anthropic", "request", rng)
        if isinstance(payload, list):  # JSONL lines, streamed one per chunk as a download is
            handler.start_stream(status, {"content-type": content_type or "", **headers})
            for line in payload:
                handler.write_chunk(line.encode())
            handler.end_stream()
            return
        if isinstance(payload, bytes):
            handler.send_bytes(status, payload, content_type or "application/octet-stream", headers)
            return
        handler.send_json(status, json_text(provider, payload, status).encode(), headers)

    def _take_expiry(self, provider: str) -> int | None:
        from .faults import BATCH_FAULTS

        fault = self.owner.faults.take(provider, kinds=BATCH_FAULTS)
        return None if fault is None else max(0, fault.finished)

    def _admit_requests(self, provider: str, items: list[tuple[str, str, str, Any]]) -> None:
        """A new batch's requests: listed for capture like direct requests (fixtures answer
        them, not the batch endpoints), and in strict replay required to have stored answers.

        Lenient replay lets such a request fail inside the batch, as a real one can; strict
        replay (CI) must not pass while a notebook prints an error line nobody meant to author,
        so the miss surfaces where a direct request's miss would: as an SDK exception.
        """
        for _, host, path, body in items:
            self.owner._capture(provider, "POST", host, path, "", body)
        if not self.owner.strict:
            return
        missing = [
            custom_id
            for custom_id, host, path, body in items
            if not self.owner.store.peek("POST", host, path, "", body).exact
        ]
        if missing:
            shown = ", ".join(repr(c) for c in missing[:5]) + (" …" if len(missing) > 5 else "")
            raise BatchRequestError(
                404,
                "invalid_request_error" if provider == "anthropic" else "replay_miss",
                f"엄격 리플레이 모드: 배치 요청 {len(missing)}개에 맞는 저장된 응답이 없습니다"
                f"(custom_id {shown}). 배치의 요청마다 같은 본문의 픽스처가 있어야 합니다.",
            )

    def _answer(self, provider: str, host: str, path: str, custom_id: str, body: Any) -> Outcome:
        """The answer a direct request would get from the fixture store (never streamed)."""
        from .server import _error_body

        owner = self.owner
        rid = new_id(provider, "request", _rng("line", custom_id, json.dumps(body, default=str)))
        match = owner.store.find("POST", host, path, "", body)
        exchange = match.exchange
        if exchange is None or (not match.exact and owner.strict):
            message = (
                "리플레이 모드: 이 요청에 맞는 저장된 응답이 없습니다"
                f"(custom_id {custom_id!r}, POST {host}{path}). 요청을 노트북의 원래 코드대로 "
                "되돌리거나 make record로 녹화(record)하세요."
            )
            kind = "invalid_request_error" if provider == "anthropic" else "replay_miss"
            return Outcome(custom_id, False, 404, _error_body(provider, message, kind, rid), rid)
        if not match.exact:
            owner._warn(
                f"[리플레이 경고] 배치 요청 {custom_id!r}에 매개변수가 다른 저장된 응답을 대신 "
                f"씁니다({exchange.name}). 다른 점:\n  - " + "\n  - ".join(match.differences)
            )
        if exchange.events is not None:
            message = f"배치 요청은 스트리밍(stream)할 수 없습니다(custom_id {custom_id!r})."
            error = _error_body(provider, message, "invalid_request_error", rid)
            return Outcome(custom_id, False, 400, error, rid)
        ok = 200 <= exchange.status < 300
        return Outcome(custom_id, ok, exchange.status, exchange.response_body, rid)

    # --- OpenAI files ----------------------------------------------------------------------

    def _openai_file_upload(self, route, query, raw, body, handler):
        fields = parse_multipart(handler.headers.get("content-type"), raw)
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace").strip()
        if "file" not in fields:
            raise BatchRequestError(
                400, "invalid_request_error", "업로드할 파일(file 필드)이 없습니다."
            )
        if purpose not in FILE_PURPOSES:
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"purpose {purpose!r}는 쓸 수 없습니다. 배치 입력 파일은 purpose='batch'로 "
                "올리세요.",
            )
        filename, data = fields["file"]
        filename = filename or "upload"
        if purpose == "batch" and not filename.endswith(".jsonl"):
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"배치 입력 파일은 .jsonl 파일이어야 합니다(받은 파일 이름: {filename!r}).",
            )
        created = self._tick()
        stored = StoredFile(self._new_file_id(data), filename, purpose, data, created)
        self.files[stored.id] = stored
        return 200, stored.wire(), None

    def _stored(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise BatchRequestError(
                404,
                "invalid_request_error",
                f"파일 {file_id}이(가) 없습니다(이 세션에서 올린 "
                "파일과 배치 결과 파일만 있습니다).",
            )
        return stored

    def _openai_file_list(self, route, query, raw, body, handler):
        data = [f.wire() for f in sorted(self.files.values(), key=lambda f: -f.created_at)]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return (
            200,
            {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": False},
            None,
        )

    def _openai_file_retrieve(self, route, query, raw, body, handler):
        return 200, self._stored(route.object_id).wire(), None

    def _openai_file_content(self, route, query, raw, body, handler):
        return 200, self._stored(route.object_id).data, "application/octet-stream"

    def _openai_file_delete(self, route, query, raw, body, handler):
        stored = self._stored(route.object_id)
        del self.files[stored.id]
        return 200, {"object": "file", "deleted": True, "id": stored.id}, None

    # --- OpenAI batches --------------------------------------------------------------------

    def _openai_batch_create(self, route, query, raw, body, handler):
        if not isinstance(body, dict):
            raise BatchRequestError(
                400, "invalid_request_error", "요청 본문이 JSON 객체가 아닙니다."
            )
        missing = [k for k in ("input_file_id", "endpoint", "completion_window") if k not in body]
        if missing:
            raise BatchRequestError(
                400, "invalid_request_error", f"필수 매개변수가 없습니다: {', '.join(missing)}."
            )
        if body["completion_window"] != "24h":
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"completion_window는 '24h'만 됩니다(받은 값: {body['completion_window']!r}).",
            )
        stored = self._stored(str(body["input_file_id"]))
        if stored.purpose != "batch":
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"파일 {stored.id}의 purpose가 {stored.purpose!r}입니다. "
                "배치 입력은 purpose='batch'로 올린 파일이어야 합니다.",
            )
        lines, problems = validate_lines(stored.data, str(body["endpoint"]))
        self._admit_requests(
            "openai", [(ln["custom_id"], OPENAI_HOST, ln["url"], ln["body"]) for ln in lines]
        )
        created = self._tick()
        rng = _rng("batch", self._created, stored.id)
        batch = OpenAIBatch(
            id=f"batch_{created:08x}" + _token(rng, "0123456789abcdef", 24),
            endpoint=str(body["endpoint"]),
            input_file_id=stored.id,
            completion_window="24h",
            metadata=body.get("metadata"),
            created_at=created,
            lines=lines,
            problems=problems,
            expire_after=self._take_expiry("openai"),
        )
        self.openai[batch.id] = batch
        return 200, self._openai_wire(batch), None

    def _openai_batch(self, batch_id: str) -> OpenAIBatch:
        batch = self.openai.get(batch_id)
        if batch is None:
            raise BatchRequestError(
                404, "invalid_request_error", f"배치 {batch_id}이(가) 없습니다."
            )
        return batch

    def _openai_batch_retrieve(self, route, query, raw, body, handler):
        batch = self._openai_batch(route.object_id)
        self._advance_openai(batch)
        return 200, self._openai_wire(batch), None

    def _openai_batch_list(self, route, query, raw, body, handler):
        batches = sorted(self.openai.values(), key=lambda b: -b.created_at)
        page, more = _page(batches, query, "after")
        data = [self._openai_wire(b) for b in page]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return (
            200,
            {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": more},
            None,
        )

    def _openai_batch_cancel(self, route, query, raw, body, handler):
        batch = self._openai_batch(route.object_id)
        if batch.status not in ("validating", "in_progress"):
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"상태가 {batch.status!r}인 배치는 취소할 수 없습니다"
                "(validating 또는 in_progress일 때만 취소할 수 있습니다).",
            )
        batch.stamps["cancelling_at"] = self._last_stamp(batch) + 1
        batch.status = "cancelling"
        return 200, self._openai_wire(batch), None

    def _last_stamp(self, batch: OpenAIBatch) -> int:
        return max([batch.created_at, *(v for v in batch.stamps.values() if v is not None)])

    def _advance_openai(self, batch: OpenAIBatch) -> None:
        """One step of the lifecycle, taken by each retrieve."""
        last = self._last_stamp(batch)
        if batch.status == "validating":
            if batch.problems:
                batch.status, batch.stamps["failed_at"] = "failed", last + TO_FAILED
            else:
                batch.status, batch.stamps["in_progress_at"] = "in_progress", last + TO_IN_PROGRESS
        elif batch.status == "in_progress":
            if batch.expire_after is not None:
                self._run_openai(batch, batch.expire_after)
                batch.status, batch.stamps["expired_at"] = "expired", batch.created_at + DAY
                self._write_openai_files(batch, batch.created_at + DAY)
            else:
                self._run_openai(batch, len(batch.lines))
                batch.stamps["finalizing_at"] = last + TO_FINALIZING
                batch.status = "finalizing"
        elif batch.status == "finalizing":
            batch.status, batch.stamps["completed_at"] = "completed", last + TO_COMPLETED
            self._write_openai_files(batch, last + TO_COMPLETED)
        elif batch.status == "cancelling":
            batch.status, batch.stamps["cancelled_at"] = "cancelled", last + TO_CANCELLED
            batch.outcomes = []

    def _run_openai(self, batch: OpenAIBatch, finished: int) -> None:
        outcomes = []
        for index, line in enumerate(batch.lines):
            if index >= finished:
                break
            outcomes.append(
                self._answer("openai", OPENAI_HOST, line["url"], line["custom_id"], line["body"])
            )
        batch.outcomes = outcomes
        served = [o.body for o in outcomes if o.ok and isinstance(o.body, dict)]
        batch.model = next((b.get("model") for b in served if b.get("model")), None)

    def _write_openai_files(self, batch: OpenAIBatch, at: int) -> None:
        rng = _rng("lines", batch.id)
        good, bad = [], []
        outcomes = list(batch.outcomes or [])
        done = {o.custom_id for o in outcomes}
        for outcome in outcomes:
            line = {
                "id": "batch_req_" + _token(rng, "0123456789abcdef", 32),
                "custom_id": outcome.custom_id,
                "response": {
                    "status_code": outcome.status,
                    "request_id": outcome.request_id,
                    "body": outcome.body,
                },
                "error": None,
            }
            (good if outcome.ok else bad).append(line)
        for line in batch.lines:
            if line["custom_id"] not in done:  # never run: the batch expired first
                bad.append(
                    {
                        "id": "batch_req_" + _token(rng, "0123456789abcdef", 32),
                        "custom_id": line["custom_id"],
                        "response": None,
                        "error": {
                            "code": "batch_expired",
                            "message": "This request could not be executed before the "
                            "completion window expired.",
                        },
                    }
                )
        # Results are not in input order on the real API either; readers match by custom_id.
        rng.shuffle(good)
        rng.shuffle(bad)
        for kind, lines in (("output", good), ("error", bad)):
            if not lines:
                continue
            data = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode()
            self._created += 1
            stored = StoredFile(
                self._new_file_id((batch.id, kind)),
                f"batch_{batch.id.removeprefix('batch_')}_{kind}.jsonl",
                "batch_output",
                data,
                at,
            )
            self.files[stored.id] = stored
            setattr(batch, f"{kind}_file_id", stored.id)

    def _openai_wire(self, batch: OpenAIBatch) -> dict[str, Any]:
        stamps = batch.stamps
        total = len(batch.lines) if batch.status != "validating" and not batch.problems else 0
        outcomes = batch.outcomes or []
        counted = batch.status in ("finalizing", "completed", "expired", "cancelled")
        completed = sum(o.ok for o in outcomes) if counted else 0
        failed = total - completed if batch.status in ("completed", "finalizing") else 0
        if batch.status == "expired":
            failed = total - completed
        errors = None
        if batch.problems and batch.status == "failed":
            errors = {"object": "list", "data": batch.problems}
        wire = {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": errors,
            "input_file_id": batch.input_file_id,
            "completion_window": batch.completion_window,
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "in_progress_at": stamps.get("in_progress_at"),
            "expires_at": batch.created_at + DAY,
            "finalizing_at": stamps.get("finalizing_at"),
            "completed_at": stamps.get("completed_at"),
            "failed_at": stamps.get("failed_at"),
            "expired_at": stamps.get("expired_at"),
            "cancelling_at": stamps.get("cancelling_at"),
            "cancelled_at": stamps.get("cancelled_at"),
            "request_counts": {"total": total, "completed": completed, "failed": failed},
            "metadata": batch.metadata,
            "model": batch.model,
            "usage": _usage_of([o.body for o in outcomes if o.ok and isinstance(o.body, dict)]),
        }
        return wire

    # --- Anthropic -------------------------------------------------------------------------

    def _anthropic_batch_create(self, route, query, raw, body, handler):
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise BatchRequestError(
                400, "invalid_request_error", "requests: 요청을 한 개 이상 담은 목록이어야 합니다."
            )
        seen: set[str] = set()
        for index, item in enumerate(requests):
            where = f"requests.{index}"
            if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
                raise BatchRequestError(
                    400, "invalid_request_error", f"{where}: custom_id와 params가 있어야 합니다."
                )
            custom_id = item.get("custom_id")
            if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
                raise BatchRequestError(
                    400,
                    "invalid_request_error",
                    f"{where}.custom_id: 1~{MAX_CUSTOM_ID}자의 문자열이어야 합니다.",
                )
            if custom_id in seen:
                raise BatchRequestError(
                    400,
                    "invalid_request_error",
                    f"{where}.custom_id: {custom_id!r}가 두 번 나옵니다. custom_id는 배치 안에서 "
                    "서로 달라야 합니다.",
                )
            seen.add(custom_id)
        self._admit_requests(
            "anthropic",
            [(r["custom_id"], ANTHROPIC_HOST, "/v1/messages", r["params"]) for r in requests],
        )
        created = self._tick() + _rng("micro", self._created).randint(0, 999_999) / 1e6
        batch_id = "msgbatch_01" + _token(
            _rng("msgbatch", self._created, seen), ALPHABETS["base58"], 22
        )
        batch = AnthropicBatch(
            batch_id, created, requests, expire_after=self._take_expiry("anthropic")
        )
        self.anthropic[batch.id] = batch
        return 200, self._anthropic_wire(batch), None

    def _anthropic_batch(self, batch_id: str) -> AnthropicBatch:
        batch = self.anthropic.get(batch_id)
        if batch is None:
            raise BatchRequestError(
                404, "not_found_error", f"메시지 배치 {batch_id}이(가) 없습니다."
            )
        return batch

    def _anthropic_batch_retrieve(self, route, query, raw, body, handler):
        batch = self._anthropic_batch(route.object_id)
        self._advance_anthropic(batch)
        return 200, self._anthropic_wire(batch), None

    def _anthropic_batch_list(self, route, query, raw, body, handler):
        batches = sorted(self.anthropic.values(), key=lambda b: -b.created_at)
        page, more = _page(batches, query, "after_id")
        data = [self._anthropic_wire(b) for b in page]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return 200, {"data": data, "has_more": more, "first_id": first, "last_id": last}, None

    def _anthropic_batch_cancel(self, route, query, raw, body, handler):
        batch = self._anthropic_batch(route.object_id)
        if batch.status != "in_progress":
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"처리 상태가 {batch.status!r}인 메시지 배치는 취소할 수 없습니다.",
            )
        batch.status = "canceling"
        batch.cancel_initiated_at = batch.created_at + 1 + batch.polls
        return 200, self._anthropic_wire(batch), None

    def _anthropic_batch_delete(self, route, query, raw, body, handler):
        batch = self._anthropic_batch(route.object_id)
        if batch.status != "ended":
            raise BatchRequestError(
                400,
                "invalid_request_error",
                f"처리 중인 메시지 배치({batch.status})는 지울 수 없습니다. 먼저 취소(cancel)하고 "
                "끝난 뒤에 지우세요.",
            )
        del self.anthropic[batch.id]
        return 200, {"id": batch.id, "type": "message_batch_deleted"}, None

    def _anthropic_results(self, route, query, raw, body, handler):
        batch = self._anthropic_batch(route.object_id)
        if batch.status != "ended" or batch.results is None:
            raise BatchRequestError(
                404,
                "not_found_error",
                f"메시지 배치 {batch.id}는 아직 끝나지 않아 결과가 없습니다"
                f"(processing_status: {batch.status}).",
            )
        lines = [
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in batch.results
        ]
        return 200, lines, "application/binary"

    def _advance_anthropic(self, batch: AnthropicBatch) -> None:
        if batch.status == "ended":
            return
        batch.polls += 1
        if batch.status == "canceling":
            batch.results = [
                {"custom_id": r["custom_id"], "result": {"type": "canceled"}}
                for r in batch.requests
            ]
            batch.ended_at = (batch.cancel_initiated_at or batch.created_at) + TO_CANCELLED
        elif batch.polls >= 2:
            finished = len(batch.requests) if batch.expire_after is None else batch.expire_after
            batch.results = [
                self._anthropic_result(r)
                if i < finished
                else {"custom_id": r["custom_id"], "result": {"type": "expired"}}
                for i, r in enumerate(batch.requests)
            ]
            batch.ended_at = batch.created_at + (
                DAY if batch.expire_after is not None else TO_ENDED
            )
        else:
            return
        batch.status = "ended"
        _rng("order", batch.id).shuffle(batch.results)

    def _anthropic_result(self, request: dict[str, Any]) -> dict[str, Any]:
        custom_id = request["custom_id"]
        outcome = self._answer(
            "anthropic", ANTHROPIC_HOST, "/v1/messages", custom_id, request["params"]
        )
        if outcome.ok:
            return {
                "custom_id": custom_id,
                "result": {"type": "succeeded", "message": outcome.body},
            }
        error = outcome.body if isinstance(outcome.body, dict) else {}
        if error.get("type") != "error" or not isinstance(error.get("error"), dict):
            error = {"type": "error", "error": {"type": "api_error", "message": str(error)}}
        return {"custom_id": custom_id, "result": {"type": "errored", "error": error}}

    def _anthropic_wire(self, batch: AnthropicBatch) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.results is None:
            counts["processing"] = len(batch.requests)
        else:
            for line in batch.results:
                counts[line["result"]["type"]] += 1
        results_url = None
        if batch.status == "ended":
            results_url = f"{self.owner.url}/anthropic/v1/messages/batches/{batch.id}/results"
        ended = batch.ended_at
        cancel = batch.cancel_initiated_at
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.status,
            "request_counts": counts,
            "ended_at": _rfc3339(ended) if ended is not None else None,
            "created_at": _rfc3339(batch.created_at),
            "expires_at": _rfc3339(batch.created_at + DAY),
            "archived_at": None,
            "cancel_initiated_at": _rfc3339(cancel) if cancel is not None else None,
            "results_url": results_url,
        }


def validate_lines(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An OpenAI batch input file's requests, and its problems as `BatchError` objects.

    The real API checks the whole file before running any of it: one bad line fails the batch.
    """
    lines: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []

    def problem(code: str, number: int | None, message: str, param: str | None = None) -> None:
        problems.append({"code": code, "line": number, "message": message, "param": param})

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problem("invalid_file_format", None, "The file is not valid UTF-8 text.")
        return [], problems
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            problem("invalid_json_line", number, "This line is not parseable as valid JSON.")
            continue
        if not isinstance(line, dict):
            problem("invalid_json_line", number, "This line is not a JSON object.")
            continue
        missing = [k for k in ("custom_id", "method", "url", "body") if k not in line]
        if missing:
            problem(
                "missing_required_parameter",
                number,
                f"Missing required parameter: '{missing[0]}'.",
                missing[0],
            )
            continue
        if line["custom_id"] in seen:
            problem(
                "duplicate_custom_id",
                number,
                f"The custom_id '{line['custom_id']}' is used more than once in this file.",
                "custom_id",
            )
            continue
        seen.add(str(line["custom_id"]))
        if line["url"] != endpoint:
            problem(
                "url_mismatch",
                number,
                f"The url '{line['url']}' does not match the batch endpoint '{endpoint}'.",
                "url",
            )
            continue
        if str(line["method"]).upper() != "POST" or not isinstance(line["body"], dict):
            problem("invalid_request", number, "Each request must be a POST with a JSON body.")
            continue
        lines.append(line)
    if not lines and not problems:
        problem("empty_file", None, "The batch input file is empty.")
    return lines, problems
