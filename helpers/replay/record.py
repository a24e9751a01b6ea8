"""Record mode: forward a request to the real API, pass the answer through, keep a scrubbed copy.

Four rules keep a recording honest and harmless:

- Only a provider's own hosts are reached (`hosts.check_host`); a refused host gets a Korean 403
  and nothing, not even a header, is sent anywhere.
- The fixture's file name is reserved when the exchange starts (a hidden marker file created
  exclusively), so requests answered at the same time never share a name, and a file kept from
  an earlier session is never overwritten.
- Secrets are scrubbed from the assembled answer (the whole stream, each field read across
  events), never chunk by chunk.
- Once the answer has gone to the learner, nothing more is written to the connection: a failed
  save or a cut upstream stream is reported as a Korean warning on stderr.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fixture import Exchange, dump_file
from .hosts import ALLOWED_HOSTS, RefusedHost, refusal_reason
from .scrub import kept_headers, scrub_json, scrub_stream, scrub_text

if TYPE_CHECKING:
    from .server import ReplayServer, RequestRecord, _Handler

_HOP_HEADERS = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}
SDK_PACKAGES = ("openai", "anthropic", "huggingface_hub")
REFUSED_STATUS = 403
MAX_NAME_TRIES = 10_000


def sdk_versions() -> dict[str, str]:
    versions = {}
    for name in SDK_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


@dataclass
class _Answer:
    """What came back from upstream and went on to the learner, before scrubbing."""

    status: int
    headers: dict[str, str]
    body: Any = None
    events: list[tuple[float, str]] | None = None


def _upstream_url(owner: ReplayServer, provider: str, host: str, path: str, query: str) -> str:
    base = owner.upstreams[provider]
    if provider == "huggingface" and base.endswith("router.huggingface.co"):
        base = f"https://{host}"  # the hub and the router are different hosts (both allow-listed)
    return base.rstrip("/") + path + (f"?{query}" if query else "")


def _reaches_expected_host(owner: ReplayServer, provider: str, url: str) -> bool:
    """The built URL goes to an allowed host (or the configured upstream), whatever the path held."""
    import httpx2

    try:
        target, configured = httpx2.URL(url), httpx2.URL(owner.upstreams[provider])
    except (httpx2.InvalidURL, ValueError):
        return False
    if target.userinfo:
        return False
    if (target.host, target.port) == (configured.host, configured.port):
        return True
    return target.port is None and target.host in ALLOWED_HOSTS.get(provider, ())


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[-40:] or "root"


def forward(
    handler: _Handler,
    owner: ReplayServer,
    provider: str,
    host: str,
    path: str,
    query: str,
    raw: bytes,
    body: Any,
    record: RequestRecord,
) -> None:
    reason = refusal_reason(provider, host)
    if reason is not None:
        _refuse(handler, RefusedHost(provider, host, reason), record)
        return
    url = _upstream_url(owner, provider, host, path, query)
    if not _reaches_expected_host(owner, provider, url):
        reason = "요청 경로가 주소를 다른 호스트로 바꿉니다."
        _refuse(handler, RefusedHost(provider, host, reason), record)
        return
    target = _reserve_for(owner, provider, path, record)
    try:
        answer = _relay(handler, owner, url, raw, record)
        if answer is not None and target is not None:
            request = (provider, handler.command, host, path, query, body)
            if _save_quietly(owner, target, *request, answer):
                record.fixture = target.stem
            else:
                record.note = "record_save_failed"
    finally:
        if target is not None:
            _release(target)


def _refuse(handler: _Handler, refused: RefusedHost, record: RequestRecord) -> None:
    from .server import _error_body

    record.status = REFUSED_STATUS
    record.note = "refused_host"
    body = _error_body(refused.provider, str(refused), "record_host_refused")
    handler.send_json(REFUSED_STATUS, body, {"x-should-retry": "false"})


# --- passing the answer through -------------------------------------------------------------------


def _relay(
    handler: _Handler, owner: ReplayServer, url: str, raw: bytes, record: RequestRecord
) -> _Answer | None:
    """Forward the request and pass the answer through; None when there is nothing to save."""
    import httpx2

    headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_HEADERS}
    headers["accept-encoding"] = "identity"
    started = False
    try:
        with (
            httpx2.Client(
                timeout=httpx2.Timeout(600, connect=10), follow_redirects=False
            ) as client,
            client.stream(handler.command, url, headers=headers, content=raw) as upstream,
        ):
            status = record.status = upstream.status_code
            kept = kept_headers(upstream.headers)
            if "text/event-stream" in upstream.headers.get("content-type", ""):
                started = True
                handler.start_stream(status, kept)
                events = _relay_stream(handler, upstream)
                handler.end_stream()
                return _Answer(status, kept, events=events)
            data = upstream.read()
            started = True
            handler.send_json(status, data, kept)
            return _Answer(status, kept, body=_decode_body(data))
    except httpx2.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}"
        if started:
            # The answer has begun: a second response would be read as the next request's answer.
            handler.close_connection = True
            record.note = "record_upstream_cut"
            owner._warn(
                f"[녹화 경고] 실제 API({url})의 응답이 도중에 끊겼습니다: {detail}. "
                "이 응답은 저장하지 않습니다."
            )
            return None
        message = f"녹화 모드: 실제 API({url})에 연결하지 못했습니다: {detail}"
        record.status = 502
        handler.send_json(502, {"error": {"message": message, "type": "record_upstream_error"}})
        return None


def _relay_stream(handler: _Handler, upstream: Any) -> list[tuple[float, str]]:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    events: list[tuple[float, str]] = []
    last = time.monotonic()
    for chunk in upstream.iter_raw():
        now = time.monotonic()
        handler.write_chunk(chunk)
        events.append((round(now - last, 4), decoder.decode(chunk)))
        last = now
    tail = decoder.decode(b"", final=True)
    if tail and events:
        events[-1] = (events[-1][0], events[-1][1] + tail)
    return events


def _decode_body(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


# --- naming and saving ----------------------------------------------------------------------------


def _reserve_for(
    owner: ReplayServer, provider: str, path: str, record: RequestRecord
) -> Path | None:
    """Reserve this exchange's fixture file now, or warn that it will not be saved."""
    if owner.record_dir is None:
        return None
    # Numbered in order of arrival where the log still holds this request; any number will do,
    # since `reserve_name` moves on to the next free one.
    requests = owner.requests_for()
    start = getattr(requests, "dropped", 0)  # a log that keeps only the last ones counts the rest
    position = next((i for i, r in enumerate(requests, start) if r is record), len(requests))
    number = position + 1
    try:
        return reserve_name(owner.record_dir, f"{provider}-{_slug(path)}", number)
    except OSError as exc:
        owner._warn(
            f"[녹화 경고] 녹화 폴더 {owner.record_dir}에 파일을 만들지 못해 이 응답은 "
            f"저장하지 않습니다: {type(exc).__name__}: {exc}"
        )
        return None


def reserve_name(folder: Path, stem: str, first: int) -> Path:
    """Reserve `NNN-<stem>.json`, from number `first` up: the first name free on disk wins.

    The reservation is a hidden marker file (`.NNN-<stem>.json.recording`) created exclusively,
    so two exchanges, or two processes, never pick the same name; a file kept from an earlier
    session is never overwritten. Readers of `*.json` never see a half-made recording.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(first, first + MAX_NAME_TRIES):
        candidate = folder / f"{number:03d}-{stem}.json"
        if candidate.exists():
            continue
        try:
            fd = os.open(_marker(candidate), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        if candidate.exists():  # written by another process between the two checks
            _release(candidate)
            continue
        return candidate
    raise FileExistsError(f"{folder}에 {stem} 녹화 이름이 {MAX_NAME_TRIES}개 넘게 있습니다.")


def _marker(target: Path) -> Path:
    return target.with_name(f".{target.name}.recording")


def _release(target: Path) -> None:
    """Give a reserved name back (the recording is saved, or there is nothing to save)."""
    with contextlib.suppress(OSError):
        _marker(target).unlink()


def _save_quietly(owner: ReplayServer, target: Path, *request: Any) -> bool:
    """Save the recording; the learner already has the answer, so a failure is only reported."""
    try:
        dump_file(_exchange(target.stem, *request), target)
        return True
    except Exception as exc:  # noqa: BLE001 - nothing may reach the client after its answer
        owner._warn(
            f"[녹화 경고] 녹화를 {target}에 저장하지 못했습니다: {type(exc).__name__}: {exc}. "
            "학습자에게 간 응답은 그대로이며, 이 요청은 다시 녹화해야 합니다."
        )
        return False


def _exchange(
    name: str,
    provider: str,
    method: str,
    host: str,
    path: str,
    query: str,
    body: Any,
    answer: _Answer,
) -> Exchange:
    body = scrub_json(body)
    events = None
    if answer.events is not None:
        scrubbed = scrub_stream([text for _, text in answer.events])
        events = [(delay, text) for (delay, _), text in zip(answer.events, scrubbed, strict=True)]
    return Exchange(
        name=name,
        provider=provider,
        origin="recorded",
        method=method,
        host=host,
        path=path,
        query=scrub_text(query),
        body=body,
        status=answer.status,
        headers=answer.headers,
        response_body=scrub_json(answer.body) if events is None else None,
        events=events,
        meta={
            "recorded": date.today().isoformat(),
            "sdk": sdk_versions(),
            "model": body.get("model") if isinstance(body, dict) else None,
        },
    )
