"""One check for a fixture's parsed JSON before the store serves it.

Every field the server reads is checked for its type and bounds here, so one corrupt file (a
header list, a day-long delay, a body nested ten thousand deep) is skipped with a Korean message
naming the file and the field, while the other fixtures are still served. `parse_exchange` calls
`validate_fixture` first and may then trust the shapes.

`structured_problems` checks an answer against what its request's strict JSON schema or strict
tools guarantee (the builder refuses an authored answer that breaks it; the test suite runs it
over every shipped fixture).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
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


# --- Structured output: what a strict schema guarantees -----------------------------------------
#
# With a strict JSON schema (OpenAI `response_format` / Responses `text.format` json_schema with
# strict true, Anthropic `output_config.format`) or a strict tool, the API decodes under the
# schema, so a finished answer always conforms. An authored fixture that does not would teach
# something the API never does; `structured_problems` finds it. Only the keywords strict mode
# supports are checked: type (a list allows null), properties, required, additionalProperties,
# items, enum, const, anyOf, allOf, $ref to #/$defs, #/definitions or the root.

_JSON_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kind = _JSON_TYPES.get(name)
    return kind is not None and isinstance(value, kind)


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    if ref == "#":
        return root
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def schema_problems(
    value: Any, schema: Any, where: str = "$", root: Any = None, depth: int = 0
) -> list[str]:
    """How ``value`` breaks ``schema`` (Korean lines naming the JSON path); empty: it conforms."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return []
    if "$ref" in schema:
        target = _resolve(schema["$ref"], root)
        if target is None:
            return [f"{where}: 스키마의 $ref {schema['$ref']}를 찾을 수 없습니다"]
        return schema_problems(value, target, where, root, depth + 1)
    if "anyOf" in schema:
        if all(schema_problems(value, s, where, root, depth + 1) for s in schema["anyOf"]):
            return [f"{where}: anyOf의 어느 스키마에도 맞지 않습니다(값: {value!r})"[:200]]
    problems: list[str] = []
    for part in schema.get("allOf", []):
        problems += schema_problems(value, part, where, root, depth + 1)
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {schema['const']!r}이어야 하는데 {value!r}입니다"[:200])
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {schema['enum']} 중 하나여야 하는데 {value!r}입니다"[:200])
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, name) for name in names):
            shown = "/".join(names)
            return problems + [f"{where}: {shown} 형식이어야 하는데 {type(value).__name__}입니다"]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: 필수 키 {name!r}가 없습니다")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                problems += schema_problems(
                    item, properties[name], f"{where}.{name}", root, depth + 1
                )
            elif extra is False:
                problems.append(f"{where}: 스키마에 없는 키 {name!r}가 있습니다")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, f"{where}.{name}", root, depth + 1)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{where}[{i}]", root, depth + 1)
    return problems


def _json_problems(text: Any, schema: Any, what: str) -> list[str]:
    if isinstance(text, dict):  # Anthropic tool input arrives as an object
        parsed = text
    else:
        try:
            parsed = json.loads(text if isinstance(text, str) else "")
        except ValueError as exc:
            return [f"{what}이(가) 올바른 JSON이 아닙니다({exc})"]
    return [f"{what}: {line}" for line in schema_problems(parsed, schema)]


def requested_schema(body: Any) -> dict[str, Any] | None:
    """The schema a request makes the API guarantee for its answer text, or None."""
    if not isinstance(body, dict):
        return None
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        inner = fmt.get("json_schema") or {}
        return inner.get("schema") if inner.get("strict") is True else None
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and fmt.get("strict") is True:
        return fmt.get("schema")
    config = body.get("output_config")
    for fmt in (
        config.get("format") if isinstance(config, dict) else None,
        body.get("output_format"),
    ):
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return fmt.get("schema")  # Anthropic's JSON outputs are always constrained
    return None


def strict_tools(body: Any) -> dict[str, Any]:
    """Tool name -> the parameter schema the API guarantees for calls to it (strict tools)."""
    tools = body.get("tools") if isinstance(body, dict) else None
    found: dict[str, Any] = {}
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        if function.get("strict") is True and isinstance(function.get("name"), str):
            found[function["name"]] = function.get("parameters", function.get("input_schema"))
    return found


@dataclass
class Answer:
    """What a response says, whatever its wire form: text, refusal, tool calls, and whether it
    was cut at the output limit (then no guarantee holds)."""

    text: str | None = None
    refusal: str | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    cut: bool = False


def _sse_payloads(events: list) -> list[dict[str, Any]]:
    payloads = []
    for _, text in events:
        lines = [line for line in text.split("\n") if line.startswith("data:")]
        data = lines[-1].removeprefix("data:").strip() if lines else ""
        try:
            payload = json.loads(data)
        except ValueError:
            continue  # [DONE], pings
        if isinstance(payload, dict):
            payloads.append(payload)
    return payloads


def _openai_chat_answers(body: Any, events: list | None) -> list[Answer]:
    if events is None:
        answers = []
        for choice in body.get("choices") or []:
            message = choice.get("message") or {}
            calls = [
                (c["function"].get("name"), c["function"].get("arguments"))
                for c in message.get("tool_calls") or []
            ]
            answers.append(
                Answer(
                    message.get("content"),
                    message.get("refusal"),
                    calls,
                    choice.get("finish_reason") == "length",
                )
            )
        return answers
    by_index: dict[int, Answer] = {}
    pieces: dict[tuple[int, int], list[str]] = {}
    names: dict[tuple[int, int], str] = {}
    for payload in _sse_payloads(events):
        for choice in payload.get("choices") or []:
            answer = by_index.setdefault(choice.get("index", 0), Answer())
            delta = choice.get("delta") or {}
            if delta.get("content") is not None:
                answer.text = (answer.text or "") + delta["content"]
            if delta.get("refusal") is not None:
                answer.refusal = (answer.refusal or "") + delta["refusal"]
            for call in delta.get("tool_calls") or []:
                key = (choice.get("index", 0), call.get("index", 0))
                function = call.get("function") or {}
                if function.get("name"):
                    names[key] = function["name"]
                pieces.setdefault(key, []).append(function.get("arguments") or "")
            if choice.get("finish_reason") == "length":
                answer.cut = True
    for (index, _), parts in sorted(pieces.items()):
        by_index[index].calls.append((names.get((index, _)), "".join(parts)))
    return [by_index[i] for i in sorted(by_index)]


def _responses_answers(body: Any) -> list[Answer]:
    answer = Answer(cut=body.get("status") == "incomplete")
    for item in body.get("output") or []:
        if item.get("type") == "function_call":
            answer.calls.append((item.get("name"), item.get("arguments")))
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            if part.get("type") == "output_text":
                answer.text = (answer.text or "") + str(part.get("text", ""))
            elif part.get("type") == "refusal":
                answer.refusal = (answer.refusal or "") + str(part.get("refusal", ""))
    return [answer]


def _anthropic_answers(body: Any, events: list | None) -> list[Answer]:
    if events is None:
        content, stop = body.get("content") or [], body.get("stop_reason")
    else:
        content, stop = [], None
        for payload in _sse_payloads(events):
            kind = payload.get("type")
            if kind == "content_block_start":
                content.append({**payload["content_block"], "_json": ""})
            elif kind == "content_block_delta" and content:
                delta = payload.get("delta") or {}
                if delta.get("type") == "text_delta":
                    content[-1]["text"] = content[-1].get("text", "") + delta.get("text", "")
                elif delta.get("type") == "input_json_delta":
                    content[-1]["_json"] += delta.get("partial_json", "")
            elif kind == "message_delta":
                stop = (payload.get("delta") or {}).get("stop_reason")
        for block in content:
            if block.get("type") == "tool_use":
                block["input"] = block.pop("_json") or "{}"
    answer = Answer(cut=stop == "max_tokens")
    if stop == "refusal":
        answer.refusal = ""
    for block in content:
        if block.get("type") == "text":
            answer.text = (answer.text or "") + str(block.get("text", ""))
        elif block.get("type") == "tool_use":
            answer.calls.append((block.get("name"), block.get("input")))
    return [answer]


def answers_of(provider: str, path: str, body: Any, events: list | None) -> list[Answer]:
    """The answers a successful response carries (one per choice), read from its wire form."""
    if provider == "openai" and path.endswith("/chat/completions"):
        return _openai_chat_answers(body or {}, events)
    if provider == "openai" and path.endswith("/responses") and events is None:
        return _responses_answers(body or {})
    if provider == "anthropic" and path.endswith("/messages"):
        return _anthropic_answers(body or {}, events)
    return []


def structured_problems(
    provider: str, path: str, request_body: Any, status: int, body: Any, events: list | None
) -> list[str]:
    """Where a response breaks what its request's strict schema or strict tools guarantee
    (Korean lines; empty when nothing is guaranteed or everything holds). A refusal or an answer
    cut at the output limit carries no guarantee."""
    schema = requested_schema(request_body)
    tools = strict_tools(request_body)
    if status >= 400 or (schema is None and not tools):
        return []
    declared = {
        (t.get("function") or t).get("name")
        for t in (request_body.get("tools") or [])
        if isinstance(t, dict)
    }
    problems: list[str] = []
    for n, answer in enumerate(answers_of(provider, path, body, events)):
        label = f"응답 {n}번" if n else "응답"
        if answer.cut or answer.refusal is not None:
            continue
        if schema is not None and answer.text is not None and not answer.calls:
            problems += _json_problems(answer.text, schema, f"{label}의 본문")
        for name, arguments in answer.calls:
            if name in tools:
                problems += _json_problems(arguments, tools[name], f"{label}의 {name} 호출 인자")
            elif declared and set(tools) == declared:
                problems.append(
                    f"{label}: 모든 도구가 strict인데 요청에 없는 도구 {name!r}를 호출합니다"
                )
    return problems
