"""Record mode: forward a request to the real API, pass the answer through, keep a scrubbed copy."""

from __future__ import annotations

import codecs
import re
import time
from datetime import date
from importlib import metadata
from typing import TYPE_CHECKING, Any

from .fixture import Exchange, dump_file
from .scrub import kept_headers, scrub_json, scrub_text

if TYPE_CHECKING:
    from .server import ReplayServer, RequestRecord, _Handler

_HOP_HEADERS = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}
SDK_PACKAGES = ("openai", "anthropic", "huggingface_hub")


def sdk_versions() -> dict[str, str]:
    versions = {}
    for name in SDK_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _upstream_url(owner: ReplayServer, provider: str, host: str, path: str, query: str) -> str:
    base = owner.upstreams[provider]
    if provider == "huggingface" and base.endswith("router.huggingface.co"):
        base = f"https://{host}"  # the hub and the router are different hosts
    return base.rstrip("/") + path + (f"?{query}" if query else "")


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
    import httpx2

    url = _upstream_url(owner, provider, host, path, query)
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_HEADERS}
    headers["accept-encoding"] = "identity"
    events: list[tuple[float, str]] = []
    try:
        with (
            httpx2.Client(timeout=httpx2.Timeout(600, connect=10)) as client,
            client.stream(handler.command, url, headers=headers, content=raw) as upstream,
        ):
            status = upstream.status_code
            record.status = status
            kept = kept_headers(upstream.headers)
            if "text/event-stream" in upstream.headers.get("content-type", ""):
                handler.start_stream(status, kept)
                decoder = codecs.getincrementaldecoder("utf-8")()
                last = time.monotonic()
                for chunk in upstream.iter_raw():
                    now = time.monotonic()
                    handler.write_chunk(chunk)
                    events.append((round(now - last, 4), decoder.decode(chunk)))
                    last = now
                handler.end_stream()
                response_body = None
            else:
                data = upstream.read()
                handler.send_json(status, data, kept)
                try:
                    import json

                    response_body = json.loads(data)
                except ValueError:
                    response_body = data.decode("utf-8", "replace")
    except httpx2.HTTPError as exc:
        message = f"녹화 모드: 실제 API({url})에 연결하지 못했습니다: {type(exc).__name__}: {exc}"
        record.status = 502
        handler.send_json(502, {"error": {"message": message, "type": "record_upstream_error"}})
        return
    if owner.record_dir is None:
        return
    exchange = Exchange(
        name=f"{len(owner.requests_for()):03d}-{provider}-{_slug(path)}",
        provider=provider,
        origin="recorded",
        method=handler.command,
        host=host,
        path=path,
        query=scrub_text(query),
        body=scrub_json(body),
        status=status,
        headers=kept,
        response_body=scrub_json(response_body),
        events=[(d, scrub_text(t)) for d, t in events] if response_body is None else None,
        meta={
            "recorded": date.today().isoformat(),
            "sdk": sdk_versions(),
            "model": (body or {}).get("model") if isinstance(body, dict) else None,
        },
    )
    dump_file(exchange, owner.record_dir / f"{exchange.name}.json")
    record.fixture = exchange.name
