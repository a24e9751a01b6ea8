"""Every authored fixture looks like the real wire (its provider's profile) and counts its tokens
by the provider's documented rule.

The profile (``helpers/data/wire_profiles.json``) holds what public recordings show: key order,
id formats, header sets, SSE framing. A fixture that drifts from it fails here with the field that
drifted. The recount is independent of the builder: it reads each fixture's own request and
answer text and counts them again.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime

import pytest

from helpers.replay.builder import anthropic_input_tokens, hf_prompt_tokens
from helpers.replay.profiles import check_exchange, load_profiles
from helpers.replay.store import FixtureStore, default_dirs
from helpers.replay.tokens import tokenizer_for
from helpers.tokencount import count_messages, count_text
from tests.conftest import sse_payloads

AUTHORED = [e for e in FixtureStore([default_dirs()[0]]).exchanges if e.origin == "authored"]
IDS = [f"{e.source.parent.name[:2]}-{e.name}" for e in AUTHORED]


@pytest.mark.parametrize("exchange", AUTHORED, ids=IDS)
def test_fixture_matches_its_wire_profile(exchange):
    problems = check_exchange(exchange)
    assert not problems, f"{exchange.source}:\n" + "\n".join(problems)


def _by_name(name: str):
    return next(e for e in AUTHORED if e.name == name)


def _drifted(name: str, change) -> list[str]:
    exchange = copy.deepcopy(_by_name(name))
    change(exchange)
    exchange.__dict__.pop("_wire", None)
    return check_exchange(exchange)


def test_a_drifted_fixture_fails_with_a_readable_diff():
    def old_logprobs(e):
        e.response_body["choices"][0]["logprobs"] = None

    assert any("logprobs" in p for p in _drifted("01-seed-first-call", old_logprobs))

    def model_fourth(e):
        body = e.response_body
        e.response_body = {k: body[k] for k in ("id", "type", "role", "model")} | body

    found = _drifted("05-raw-response", model_fourth)
    assert any("키 순서" in p and "model" in p for p in found), found

    def no_request_id(e):
        e.headers.pop("x-request-id")

    assert any("x-request-id" in p for p in _drifted("01-seed-first-call", no_request_id))

    def fingerprinted_id(e):
        e.response_body["id"] = "chatcmpl-short"

    assert any("chat 형식" in p for p in _drifted("01-seed-first-call", fingerprinted_id))


def test_spaced_sse_json_fails_the_profile():
    stream = next(e for e in AUTHORED if e.provider == "openai" and e.is_stream)

    def spaced(e):
        delay, text = e.events[1]
        payload = json.loads(text.removeprefix("data: "))
        e.events[1] = (delay, "data: " + json.dumps(payload, ensure_ascii=False) + "\n\n")

    assert any("구분자" in p for p in _drifted(stream.name, spaced))


# --- Recount -------------------------------------------------------------------------------------


def _stream_payloads(exchange) -> list[dict]:
    return sse_payloads(exchange.events)


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(content) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content or ""


def _formats(body: dict) -> list:
    """The output formats a body asks for, as sent (the tokens.tools note lists them)."""
    found = [body[k] for k in ("response_format", "output_format") if body.get(k)]
    text_format = (body.get("text") or {}).get("format")
    if text_format and text_format != {"type": "text"}:
        found.append(text_format)
    if (body.get("output_config") or {}).get("format"):
        found.append(body["output_config"]["format"])
    return found


def _tool_prompt(provider: str, body: dict) -> float:
    """Prompt tokens of the tokens.tools assumption, recounted from the profile's note."""
    rule = load_profiles()[provider]["tokens"]["tools"]
    count = tokenizer_for(provider).count
    total = sum(count(_compact(body[k])) for k in ("tools", "tool_choice") if k in body)
    total += sum(count(_compact(f)) for f in _formats(body))
    if body.get("tools") and "system_prompt" in rule:
        choice = body.get("tool_choice")
        kind = choice.get("type", "auto") if isinstance(choice, dict) else "auto"
        total += rule["system_prompt"][kind]
    for message in body.get("messages") or []:
        for call in message.get("tool_calls") or []:
            function = call["function"]
            total += rule["per_call"] + count(function["name"]) + count(function["arguments"])
        for part in message["content"] if isinstance(message.get("content"), list) else []:
            if part.get("type") == "tool_use":
                total += rule["per_call"] + count(part["name"]) + count(_compact(part["input"]))
            elif part.get("type") == "tool_result":
                total += rule["per_call"] + count(_text(part.get("content")))
    return total


def _call_cost(provider: str, calls: list[tuple[str, str]]) -> int:
    rule = load_profiles()[provider]["tokens"]["tools"]
    count = tokenizer_for(provider).count
    return sum(rule["per_call"] + count(name) + count(arguments) for name, arguments in calls)


def _openai_reply(exchange) -> tuple[list[tuple[str, str, list]], dict]:
    """(text or refusal, finish_reason, [(tool name, arguments)]) per choice, and usage."""
    if not exchange.is_stream:
        body = exchange.response_body
        choices = []
        for c in body["choices"]:
            message = c["message"]
            calls = [
                (t["function"]["name"], t["function"]["arguments"])
                for t in message.get("tool_calls") or []
            ]
            said = message["content"] or message["refusal"] or ""
            choices.append((said, c["finish_reason"], calls))
        return choices, body["usage"]
    texts: dict[int, list[str]] = {}
    reasons: dict[int, str] = {}
    calls: dict[int, dict[int, list[str]]] = {}
    usage = None
    for chunk in _stream_payloads(exchange):
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            delta = choice["delta"]
            said = (delta.get("content") or "") + (delta.get("refusal") or "")
            texts.setdefault(choice["index"], []).append(said)
            reasons[choice["index"]] = choice["finish_reason"] or reasons.get(choice["index"])
            for call in delta.get("tool_calls") or []:
                parts = calls.setdefault(choice["index"], {}).setdefault(call["index"], [])
                if "name" in call["function"]:
                    parts.append(call["function"]["name"])
                parts.append(call["function"]["arguments"])
    return [
        (
            "".join(texts[i]),
            reasons[i],
            [(p[0], "".join(p[1:])) for _, p in sorted(calls.get(i, {}).items())],
        )
        for i in sorted(texts)
    ], usage


def _completion_limit(body: dict) -> int | None:
    return body.get("max_completion_tokens") or body.get("max_tokens")


def _recount_openai(exchange):
    rule = load_profiles()["openai"]["tokens"]
    body = exchange.body
    choices, usage = _openai_reply(exchange)
    if usage is None:
        return
    # gpt-5.x counts one token fewer than the Cookbook's gpt-4o rule (see the profile)
    messages = [{"role": m["role"], "content": _text(m.get("content"))} for m in body["messages"]]
    tools = int(_tool_prompt("openai", body))
    assert usage["prompt_tokens"] == count_messages(messages) - 1 + tools
    reasoning = usage["completion_tokens_details"]["reasoning_tokens"] // len(choices)
    expected = 0
    for text, reason, calls in choices:
        if reason == "length":
            expected += _completion_limit(body)
            room = _completion_limit(body) - rule["completion"]["overhead"] - reasoning
            assert count_text(text) <= room
        else:
            expected += count_text(text) + rule["completion"]["overhead"] + reasoning
        expected += _call_cost("openai", calls)
    assert usage["completion_tokens"] == expected
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def _recount_anthropic(exchange):
    body = exchange.body
    if exchange.path.endswith("/count_tokens"):
        assert exchange.response_body["input_tokens"] == anthropic_input_tokens(body)
        return
    if exchange.is_stream:
        events = _stream_payloads(exchange)
        blocks = [e["content_block"] for e in events if e.get("type") == "content_block_start"]
        pieces: list[list[str]] = [[] for _ in blocks]
        for e in events:
            if e.get("type") == "content_block_delta":
                delta = e["delta"]
                pieces[e["index"]].append(delta.get("text") or delta.get("partial_json") or "")
        text = "".join(
            "".join(p) for b, p in zip(blocks, pieces, strict=True) if b["type"] == "text"
        )
        calls = [
            (b["name"], "".join(p))
            for b, p in zip(blocks, pieces, strict=True)
            if b["type"] == "tool_use"
        ]
        final = next(e for e in events if e.get("type") == "message_delta")
        usage, stop = final["usage"], final["delta"]["stop_reason"]
        assert usage["input_tokens"] == events[0]["message"]["usage"]["input_tokens"]
    else:
        content = exchange.response_body["content"]
        text = "".join(b["text"] for b in content if b["type"] == "text")
        calls = [(b["name"], _compact(b["input"])) for b in content if b["type"] == "tool_use"]
        usage, stop = exchange.response_body["usage"], exchange.response_body["stop_reason"]
    # input_tokens excludes what the prompt cache wrote or read (prompt-caching docs:
    # total input = cache_read_input_tokens + cache_creation_input_tokens + input_tokens)
    cached = (usage.get("cache_read_input_tokens") or 0) + (
        usage.get("cache_creation_input_tokens") or 0
    )
    assert usage["input_tokens"] + cached == anthropic_input_tokens(body)
    count = tokenizer_for("anthropic").count(text)
    if stop == "max_tokens":
        assert usage["output_tokens"] == body["max_tokens"] and count <= body["max_tokens"]
    else:
        assert usage["output_tokens"] == count + _call_cost("anthropic", calls)


def _recount_huggingface(exchange):
    rule = load_profiles()["huggingface"]["tokens"]
    body = exchange.body
    calls = []
    if exchange.is_stream:
        chunks = _stream_payloads(exchange)
        text = "".join(c["delta"].get("content") or "" for ch in chunks for c in ch["choices"])
        reason = next(
            c["finish_reason"] for ch in chunks for c in ch["choices"] if c["finish_reason"]
        )
        usage = chunks[-1]["usage"]
    else:
        choice = exchange.response_body["choices"][0]
        text, reason = choice["message"]["content"] or "", choice["finish_reason"]
        calls = [
            (t["function"]["name"], t["function"]["arguments"])
            for t in choice["message"].get("tool_calls") or []
        ]
        usage = exchange.response_body["usage"]
    assert usage["prompt_tokens"] == hf_prompt_tokens(body)
    if reason == "length":
        assert usage["completion_tokens"] == body["max_tokens"]
    else:
        stop = rule["completion"]["stop_overhead"]
        assert usage["completion_tokens"] == count_text(text) + stop + _call_cost(
            "huggingface", calls
        )


RECOUNTED = [
    e
    for e in AUTHORED
    if e.status == 200
    and (
        (e.provider == "openai" and e.path == "/v1/chat/completions")
        or (e.provider == "anthropic" and e.path.startswith("/v1/messages"))
        or (e.provider == "huggingface" and e.path.endswith("/chat/completions"))
    )
]


@pytest.mark.parametrize(
    "exchange", RECOUNTED, ids=[f"{e.source.parent.name[:2]}-{e.name}" for e in RECOUNTED]
)
def test_fixture_usage_recounts_by_the_provider_rule(exchange):
    {"openai": _recount_openai, "anthropic": _recount_anthropic}.get(
        exchange.provider, _recount_huggingface
    )(exchange)


def test_recount_catches_a_hand_edited_usage():
    exchange = copy.deepcopy(_by_name("01-seed-first-call"))
    exchange.response_body["usage"]["prompt_tokens"] += 4
    with pytest.raises(AssertionError):
        _recount_openai(exchange)


@pytest.mark.parametrize("stream", [False, True])
def test_recount_covers_tool_calls_refusals_and_formats(stream):
    from helpers.replay.builder import build_exchange

    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    history = [
        {"role": "user", "content": "인천 인구는?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"city":"인천"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "약 300만 명입니다."},
    ]
    body = {"model": "gpt-5.4", "messages": history, "tools": [tool], "stream": stream}
    body["stream_options"] = {"include_usage": True}
    request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions"}
    request.update(query="", body=body)
    specs = [
        {"tool_calls": [{"name": "lookup", "raw_arguments": '{"city": "부산"'}]},
        {"answer": "인천 인구는 약 300만 명입니다."},
        {"refusal": "그 요청은 도와드릴 수 없습니다."},
    ]
    for spec in specs:
        exchange = build_exchange(request, spec)
        _recount_openai(exchange)
        if stream:
            payload = _stream_payloads(exchange)[-1]
            payload["usage"]["completion_tokens"] += 1
            delay, _ = exchange.events[-2]
            exchange.events[-2] = (delay, "data: " + json.dumps(payload) + "\n\n")
        else:
            exchange.response_body["usage"]["completion_tokens"] += 1
        with pytest.raises(AssertionError):
            _recount_openai(exchange)
    claude = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "부산 인구는?"}],
        "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
        "stream": stream,
    }
    request = {"method": "POST", "host": "api.anthropic.com", "path": "/v1/messages"}
    request.update(query="", body=claude)
    exchange = build_exchange(request, {"tool_calls": [{"name": "lookup", "arguments": {"a": 1}}]})
    _recount_anthropic(exchange)
    exchange = build_exchange(request, {"answer": "찾아보겠습니다.", "tool_calls": [{"name": "x"}]})
    _recount_anthropic(exchange)
    if not stream:
        exchange.response_body["usage"]["output_tokens"] -= 1
        with pytest.raises(AssertionError):
            _recount_anthropic(exchange)


def test_every_answer_cut_at_a_limit_ends_mid_sentence():
    cut = [
        e
        for e in RECOUNTED
        if not e.is_stream
        and (
            e.response_body.get("stop_reason") == "max_tokens"
            or any(c.get("finish_reason") == "length" for c in e.response_body.get("choices", []))
        )
    ]
    assert cut, "the series shows answers cut at their limit"
    for exchange in cut:
        body = exchange.response_body
        text = (
            body["content"][0]["text"]
            if "content" in body
            else body["choices"][0]["message"]["content"]
        )
        assert not re.search(r"[.!?。]\s*$", text), f"{exchange.name}: {text[-30:]!r}"


def test_created_is_on_the_authoring_day_after_the_model_snapshot():
    for exchange in AUTHORED:
        body = exchange.response_body
        if exchange.is_stream:
            body = _stream_payloads(exchange)[-1] if exchange.provider != "anthropic" else None
        if not isinstance(body, dict) or not isinstance(body.get("created"), int):
            continue
        day = datetime.fromtimestamp(body["created"], tz=UTC).date().isoformat()
        assert day == exchange.meta["authored"], exchange.name
        snapshot = re.search(r"(\d{4}-\d{2}-\d{2})$", str(body.get("model")))
        if snapshot:
            assert snapshot.group(1) < day, exchange.name
