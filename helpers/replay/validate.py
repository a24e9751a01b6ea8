"""One check for a fixture's parsed JSON before the store serves it.

Every field the server reads is checked for its type and bounds here, so one corrupt file (a
header list, a day-long delay, a body nested ten thousand deep) is skipped with a Korean message
naming the file and the field, while the other fixtures are still served. `parse_exchange` calls
`validate_fixture` first and may then trust the shapes.
"""

from __future__ import annotations

import math
import re
from typing import Any

ORIGINS = ("recorded", "authored")

# A recorded stream lasts a few seconds (the longest shipped one is ~7 s); a minute is generous.
MAX_EVENT_DELAY = 60.0  # seconds before one SSE piece
MAX_TOTAL_DELAY = 60.0  # seconds for a whole stream, or a JSON answer's `delay`
MAX_EVENTS = 50_000
MAX_DEPTH = 64  # JSON nesting of request/response bodies and meta
MAX_HEADERS = 100
MAX_HEADER_VALUE = 8192
MAX_FILE_BYTES = 32 * 1024 * 1024

# RFC 9110 token characters: a header name the server writes must be one.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_METHOD = re.compile(r"^[A-Za-z]+$")


class FixtureProblem(ValueError):
    """One field of a fixture is unusable; `field` is its dotted path (`response.headers`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _fail(field: str, message: str) -> FixtureProblem:
    return FixtureProblem(field, f"{field}{message}")


def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of a JSON value (a scalar is 0), counted without recursion.

    Stops counting once `limit` is exceeded, so a pathological value costs little.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def _check_depth(value: Any, field: str) -> None:
    if depth_of(value) > MAX_DEPTH:
        raise _fail(field, f"의 중첩이 너무 깊습니다(최대 {MAX_DEPTH}단계)")


def _text(container: dict, key: str, field: str, *, required: bool = True) -> None:
    if key not in container:
        if required:
            raise _fail(field, "가 없습니다")
        return
    if not isinstance(container[key], str):
        raise _fail(field, "는 문자열이어야 합니다")


def _seconds(value: Any, field: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(field, "는 숫자(초)여야 합니다")
    if not math.isfinite(value) or value < 0:
        raise _fail(field, "는 0 이상의 유한한 숫자여야 합니다")
    if value > limit:
        raise _fail(field, f"가 너무 깁니다({value:g}초, 최대 {limit:g}초)")
    return float(value)


def _headers(headers: Any) -> None:
    if not isinstance(headers, dict):
        raise _fail("response.headers", "는 객체여야 합니다")
    if len(headers) > MAX_HEADERS:
        raise _fail("response.headers", f"가 너무 많습니다(최대 {MAX_HEADERS}개)")
    for name, value in headers.items():
        if not _TOKEN.match(name):
            raise _fail(f"response.headers[{name!r}]", "의 이름이 HTTP 헤더 이름이 아닙니다")
        if not isinstance(value, str):
            raise _fail(f"response.headers[{name!r}]", "는 문자열이어야 합니다")
        if "\r" in value or "\n" in value or "\0" in value:
            raise _fail(f"response.headers[{name!r}]", "에 줄바꿈 문자가 들어 있습니다")
        if len(value) > MAX_HEADER_VALUE:
            raise _fail(f"response.headers[{name!r}]", "가 너무 깁니다")


def _events(events: Any) -> None:
    if not isinstance(events, list):
        raise _fail("response.events", "는 [지연 초, 텍스트] 쌍의 목록이어야 합니다")
    if len(events) > MAX_EVENTS:
        raise _fail("response.events", f"가 너무 많습니다(최대 {MAX_EVENTS}개)")
    total = 0.0
    for index, event in enumerate(events):
        field = f"response.events[{index}]"
        if not isinstance(event, list | tuple) or len(event) != 2:
            raise _fail(field, "는 [지연 초, 텍스트] 쌍이어야 합니다")
        total += _seconds(event[0], f"{field}[0]", MAX_EVENT_DELAY)
        if not isinstance(event[1], str):
            raise _fail(f"{field}[1]", "는 문자열이어야 합니다")
    if total > MAX_TOTAL_DELAY:
        raise _fail(
            "response.events",
            f"의 지연 합계가 너무 깁니다({total:g}초, 최대 {MAX_TOTAL_DELAY:g}초)",
        )


def validate_fixture(data: Any) -> None:
    """Raise `FixtureProblem` for the first field of `data` the server could not use."""
    if not isinstance(data, dict):
        raise _fail("(최상위)", "는 객체여야 합니다")
    _text(data, "name", "name")
    _text(data, "provider", "provider")
    if data.get("origin") not in ORIGINS:
        raise _fail("origin", f"은 {ORIGINS} 중 하나여야 합니다(지금: {data.get('origin')!r})")
    if "meta" in data:
        if not isinstance(data["meta"], dict):
            raise _fail("meta", "는 객체여야 합니다")
        _check_depth(data["meta"], "meta")

    request = data.get("request")
    if not isinstance(request, dict):
        raise _fail("request", "는 객체여야 합니다")
    _text(request, "method", "request.method")
    if not _METHOD.match(request["method"]):
        raise _fail("request.method", "는 GET, POST 같은 HTTP 메서드여야 합니다")
    _text(request, "host", "request.host")
    _text(request, "path", "request.path")
    if not request["path"].startswith("/"):
        raise _fail("request.path", "는 /로 시작해야 합니다")
    _text(request, "query", "request.query", required=False)
    _check_depth(request.get("body"), "request.body")

    response = data.get("response")
    if not isinstance(response, dict):
        raise _fail("response", "는 객체여야 합니다")
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise _fail("response.status", "는 100~599 사이의 정수여야 합니다")
    if "headers" in response:
        _headers(response["headers"])
    if ("body" in response) == ("events" in response):
        raise _fail("response", "에는 body와 events 중 하나만 있어야 합니다")
    if "events" in response:
        _events(response["events"])
    else:
        _check_depth(response["body"], "response.body")
        if "delay" in response:
            _seconds(response["delay"], "response.delay", MAX_TOTAL_DELAY)
