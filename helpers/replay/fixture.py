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

ORIGINS = ("recorded", "authored")


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message is Korean and names the file."""


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
                cached = json.dumps(self.response_body, ensure_ascii=False).encode()
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


def parse_exchange(data: Any, source: Path | None = None) -> Exchange:
    where = f"픽스처 {source}" if source else "픽스처"
    try:
        request, response = data["request"], data["response"]
        origin = data["origin"]
        if origin not in ORIGINS:
            raise FixtureError(f"{where}: origin은 {ORIGINS} 중 하나여야 합니다(지금: {origin!r}).")
        has_body, has_events = "body" in response, "events" in response
        if has_body == has_events:
            raise FixtureError(f"{where}: response에는 body와 events 중 하나만 있어야 합니다.")
        events = None
        if has_events:
            events = [(float(delay), str(text)) for delay, text in response["events"]]
        return Exchange(
            name=str(data["name"]),
            provider=str(data["provider"]),
            origin=origin,
            method=str(request["method"]).upper(),
            host=str(request["host"]).lower(),
            path=str(request["path"]),
            query=str(request.get("query", "")),
            body=request.get("body"),
            status=int(response["status"]),
            headers={str(k).lower(): str(v) for k, v in response.get("headers", {}).items()},
            response_body=response.get("body"),
            events=events,
            meta=dict(data.get("meta", {})),
            source=source,
            delay=0.0 if has_events else max(0.0, float(response.get("delay", 0))),
        )
    except FixtureError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise FixtureError(f"{where}의 형식이 잘못되었습니다: {type(exc).__name__}: {exc}") from exc


def load_file(path: Path) -> Exchange:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"픽스처 {path}를 읽지 못했습니다: {exc}") from exc
    return parse_exchange(data, path)


def dump_file(exchange: Exchange, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(exchange.to_json(), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
