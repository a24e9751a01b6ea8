"""One fixture: one exchange as it crossed the wire.

A fixture file holds the request as the SDK sent it (method, host, path, query, JSON body) and the
response as the API sends it: a JSON body, or a list of SSE pieces with the delay before each one.
Every fixture says where it came from (`origin`: `recorded` or `authored`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .validate import MAX_DEPTH, MAX_FILE_BYTES, ORIGINS, FixtureProblem, validate_fixture

__all__ = ["ORIGINS", "Exchange", "FixtureError", "dump_file", "load_file", "parse_exchange"]

SKIPPED = "이 파일은 건너뜁니다"


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message is Korean and names the file and field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Exchange:
    name: str
    provider: str
    origin: str
    method: str
    host: str
    path: str
    query: str
    body: Any
    status: int
    headers: dict[str, str]
    # Exactly one of these is set: a JSON body, or SSE pieces [(delay_seconds, text), ...].
    response_body: Any = None
    events: list[tuple[float, str]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None
    # A JSON body is sent this many seconds (x replay speed) after the request, as a non-streamed
    # call waits for the whole answer to be generated. Streams carry their timing in `events`.
    delay: float = 0.0

    @property
    def is_stream(self) -> bool:
        return self.events is not None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.host}{self.path}"

    def wire_body(self) -> bytes:
        """The response body exactly as it is sent (encoded once, then reused)."""
        cached = self.__dict__.get("_wire")
        if cached is None:
            if self.events is not None:
                cached = "".join(text for _, text in self.events).encode()
            else:
                cached = json_text(self.provider, self.response_body, self.status).encode()
            self.__dict__["_wire"] = cached
        return cached

    def to_json(self) -> dict[str, Any]:
        response: dict[str, Any] = {"status": self.status, "headers": self.headers}
        if self.events is not None:
            response["events"] = [[round(delay, 4), text] for delay, text in self.events]
        else:
            response["body"] = self.response_body
            if self.delay:
                response["delay"] = round(self.delay, 4)
        return {
            "name": self.name,
            "provider": self.provider,
            "origin": self.origin,
            "meta": self.meta,
            "request": {
                "method": self.method,
                "host": self.host,
                "path": self.path,
                "query": self.query,
                "body": self.body,
            },
            "response": response,
        }


def json_text(provider: str, body: Any, status: int = 200) -> str:
    """A JSON body formatted as the provider sends it (its wire profile): OpenAI pretty-prints
    with two spaces (errors with four and a final newline); the others send compact JSON."""
    from .profiles import load_profiles

    style = load_profiles().get(provider, {}).get("json_body", {})
    indent = style.get("error_indent") if status >= 400 else None
    indent = indent or style.get("indent")
    if indent is None:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    text = json.dumps(body, ensure_ascii=False, indent=indent)
    return text + "\n" if status >= 400 and style.get("error_trailing_newline") else text


def parse_exchange(data: Any, source: Path | None = None) -> Exchange:
    """An `Exchange` from a fixture's JSON, after `validate_fixture` has checked every field."""
    where = f"픽스처 {source}" if source else "픽스처"
    try:
        validate_fixture(data)
    except FixtureProblem as problem:
        raise FixtureError(f"{where}의 {problem.message} — {SKIPPED}", problem.field) from None
    request, response = data["request"], data["response"]
    events = None
    if "events" in response:
        events = [(float(delay), text) for delay, text in response["events"]]
    return Exchange(
        name=data["name"],
        provider=data["provider"],
        origin=data["origin"],
        method=request["method"].upper(),
        host=request["host"].lower(),
        path=request["path"],
        query=request.get("query", ""),
        body=request.get("body"),
        status=response["status"],
        headers={k.lower(): v for k, v in response.get("headers", {}).items()},
        response_body=response.get("body"),
        events=events,
        meta=dict(data.get("meta", {})),
        source=source,
        delay=0.0 if events is not None else float(response.get("delay", 0)),
    )


def load_file(path: Path) -> Exchange:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FixtureError(
                f"픽스처 {path}가 너무 큽니다({size:,}바이트, 최대 {MAX_FILE_BYTES:,}바이트) "
                f"— {SKIPPED}",
                "(파일)",
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"픽스처 {path}를 읽지 못했습니다: {exc} — {SKIPPED}", "(파일)") from exc
    except RecursionError:
        raise FixtureError(
            f"픽스처 {path}의 JSON 중첩이 너무 깊습니다(최대 {MAX_DEPTH}단계) — {SKIPPED}", "(파일)"
        ) from None
    return parse_exchange(data, path)


def dump_file(exchange: Exchange, path: Path) -> None:
    """Write one fixture atomically: a failed write leaves the previous file as it was."""
    from helpers.atomic import write_text_atomic

    text = json.dumps(exchange.to_json(), ensure_ascii=False, indent=1)
    write_text_atomic(path, text + "\n")
