"""Wire profiles: what each provider's real responses look like, as public recordings show them.

``helpers/data/wire_profiles.json`` describes, per provider, the facts the fixture builder needs
to write a response that looks like the real one — key order, id formats, headers, content types,
SSE formatting, token rules and timing — each with the public source it was derived from. It
holds descriptions only, never recorded content.

:func:`check_exchange` compares one fixture with its profile and returns readable differences;
the test suite runs it over every shipped fixture, so a fixture that drifts from the real wire
fails with the field that drifted.
"""

from __future__ import annotations

import functools
import json
import random
import re
import string
from importlib import resources
from typing import Any

__all__ = [
    "ALPHABETS",
    "check_exchange",
    "header_rules",
    "id_pattern",
    "load_profiles",
    "new_id",
    "shape_problems",
]


@functools.lru_cache(maxsize=1)
def load_profiles() -> dict[str, Any]:
    text = resources.files("helpers").joinpath("data/wire_profiles.json").read_text("utf-8")
    return json.loads(text)


# The characters of the id alphabets the profiles name (base58: no 0, O, I or l).
ALPHABETS = {
    "base62": string.ascii_letters + string.digits,
    "base58": "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
    "hex": "0123456789abcdef",
}


def _id_format(provider: str, kind: str) -> dict[str, Any]:
    return load_profiles()[provider]["ids"][kind]


def new_id(provider: str, kind: str, rng: random.Random) -> str:
    """A fresh id of ``provider``'s ``kind`` format (``chat``, ``request``, ``message``…)."""
    spec = _id_format(provider, kind)
    alphabet = ALPHABETS[spec["alphabet"]]
    return spec["prefix"] + "".join(rng.choice(alphabet) for _ in range(spec["length"]))


def id_pattern(spec: dict[str, Any]) -> re.Pattern[str]:
    """The regular expression of an id format ``{prefix, alphabet, length}``."""
    alphabet = re.escape(ALPHABETS[spec["alphabet"]])
    return re.compile(re.escape(spec.get("prefix", "")) + f"[{alphabet}]{{{spec['length']}}}")


def header_rules(provider: str, kind: str) -> dict[str, Any]:
    """The header set of one kind of response; ``extends`` starts from another kind's set."""
    rules = dict(load_profiles()[provider]["headers"][kind])
    base = rules.pop("extends", None)
    return {**header_rules(provider, base), **rules} if base else rules


def shape_problems(value: Any, shape: dict[str, Any], where: str = "body") -> list[str]:
    """Differences between a JSON value and a shape ``{keys, optional, children}``.

    ``keys`` lists the keys in wire order; ``optional`` keys may be missing (when present they
    keep their place in the order); ``children`` maps a key (``"choices[]"`` for each item of a
    list) to the shape of its value.
    """
    if not isinstance(value, dict):
        return [f"{where}: 객체여야 하는데 {type(value).__name__}입니다."]
    problems: list[str] = []
    expected = shape.get("keys", [])
    optional = set(shape.get("optional", []))
    present = list(value)
    unknown = [k for k in present if k not in expected]
    missing = [k for k in expected if k not in value and k not in optional]
    if unknown:
        problems.append(f"{where}: 프로필에 없는 키 {unknown}")
    if missing:
        problems.append(f"{where}: 빠진 키 {missing}")
    ordered = [k for k in expected if k in value]
    if not unknown and present != ordered:
        problems.append(f"{where}: 키 순서가 다릅니다. 실제 {present} / 프로필 {ordered}")
    for key, child in shape.get("children", {}).items():
        name = key.removesuffix("[]")
        if name not in value or value[name] is None:
            continue
        if key.endswith("[]"):
            for i, item in enumerate(value[name]):
                problems += shape_problems(item, child, f"{where}.{name}[{i}]")
        else:
            problems += shape_problems(value[name], child, f"{where}.{name}")
    return problems


def _header_problems(
    headers: dict[str, str], expected: dict[str, Any], where: str, optional: list[str]
) -> list[str]:
    names = list(headers)
    wanted = list(expected)
    problems = []
    extra = sorted(set(names) - set(wanted) - set(optional))
    lost = sorted(set(wanted) - set(names))
    if extra or lost:
        problems.append(f"{where}: 헤더가 프로필과 다릅니다. 더 있음 {extra} / 없음 {lost}")
    for name, rule in expected.items():
        value = headers.get(name)
        if value is None:
            continue
        if isinstance(rule, dict) and "pattern" in rule:
            if not re.fullmatch(rule["pattern"], value):
                problems.append(f"{where}: {name}={value!r}이(가) 형식 {rule['pattern']}과 다름")
        elif isinstance(rule, str) and value != rule:
            problems.append(f"{where}: {name}={value!r} (프로필: {rule!r})")
    return problems


def _sse_problems(events: list[tuple[float, str]], sse: dict[str, Any]) -> tuple[list[str], list]:
    """Formatting problems of the SSE pieces, and the JSON payloads they carry (parsed)."""
    problems: list[str] = []
    payloads: list[Any] = []
    separators = tuple(sse["separators"])
    for i, (_, text) in enumerate(events):
        if not text.endswith("\n\n"):
            problems.append(f"event[{i}]: 빈 줄로 끝나지 않습니다.")
            continue
        fields = [line for line in text.split("\n") if line]
        has_event = bool(fields) and fields[0].startswith("event: ")
        if sse["event_lines"] != has_event:
            problems.append(f"event[{i}]: event: 줄이 {'있습니다' if has_event else '없습니다'}")
        data = fields[-1].removeprefix("data: ") if fields else ""
        if data == sse.get("done"):
            continue
        if data != sse.get("ping"):  # the ping is sent as written, with its space
            if sse.get("padding"):
                most = sse["padding"]["max_spaces"]
                data = re.sub(f" {{0,{most}}}}}$", "}", data)
            if data != json.dumps(json.loads(data), ensure_ascii=False, separators=separators):
                problems.append(f"event[{i}]: JSON 형식(구분자)이 프로필과 다릅니다: {data[:60]}…")
        payloads.append(json.loads(data))
    return problems, payloads


def check_exchange(exchange: Any) -> list[str]:
    """Readable differences between one fixture and its provider's profile (empty: it matches)."""
    profile = load_profiles()[exchange.provider]
    endpoint = _endpoint_of(exchange, profile)
    if endpoint is None:
        return []
    kind = "stream" if exchange.is_stream else ("error" if exchange.status >= 400 else "json")
    rules = profile["endpoints"][endpoint]
    expected = header_rules(
        exchange.provider, rules.get("headers", kind) if kind == "json" else kind
    )
    optional = profile.get("optional_headers", [])
    problems = _header_problems(exchange.headers, expected, "headers", optional)
    if exchange.is_stream:
        found, payloads = _sse_problems(exchange.events, profile["sse"])
        problems += found
        for i, payload in enumerate(payloads):
            shape = rules["events"].get(payload.get("type", "chunk"), rules["events"].get("chunk"))
            if shape is None:
                problems.append(f"event[{i}]: 프로필에 없는 이벤트 {payload.get('type')!r}")
                continue
            problems += shape_problems(payload, shape, f"event[{i}]")
        problems += _id_problems(payloads, rules.get("stream_ids", {}), profile["ids"])
    elif exchange.status >= 400:
        problems += shape_problems(exchange.response_body, profile["error"]["shape"], "error")
        problems += _id_problems(
            [exchange.response_body], profile["error"].get("ids", {}), profile["ids"]
        )
    else:
        problems += shape_problems(exchange.response_body, rules["shape"], "body")
        problems += _id_problems([exchange.response_body], rules.get("ids", {}), profile["ids"])
    return problems


def _endpoint_of(exchange: Any, profile: dict[str, Any]) -> str | None:
    for name, rules in profile["endpoints"].items():
        if rules.get("method", "POST") == exchange.method and re.fullmatch(
            rules["path"], exchange.path
        ):
            return name
    return None


def _lookup(value: Any, path: str) -> list[Any]:
    """Values at a dotted path; ``a[].b`` walks every item of list ``a``."""
    found = [value]
    for part in path.split("."):
        step = []
        for item in found:
            key = part.removesuffix("[]")
            if not isinstance(item, dict) or key not in item:
                continue
            inner = item[key]
            step += inner if part.endswith("[]") and isinstance(inner, list) else [inner]
        found = step
    return found


def _id_problems(payloads: list[Any], fields: dict[str, str], ids: dict[str, Any]) -> list[str]:
    problems = []
    for path, id_kind in fields.items():
        pattern = id_pattern(ids[id_kind])
        for payload in payloads:
            for value in _lookup(payload, path):
                if not isinstance(value, str) or not pattern.fullmatch(value):
                    problems.append(
                        f"{path}={value!r}이(가) {id_kind} 형식({pattern.pattern})과 다름"
                    )
    return problems
