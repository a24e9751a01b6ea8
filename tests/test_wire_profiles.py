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


def _openai_reply(exchange) -> tuple[list[tuple[str, str]], dict]:
    if not exchange.is_stream:
        body = exchange.response_body
        choices = [(c["message"]["content"] or "", c["finish_reason"]) for c in body["choices"]]
        return choices, body["usage"]
    texts: dict[int, list[str]] = {}
    reasons: dict[int, str] = {}
    usage = None
    for chunk in _stream_payloads(exchange):
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            texts.setdefault(choice["index"], []).append(choice["delta"].get("content") or "")
            reasons[choice["index"]] = choice["finish_reason"] or reasons.get(choice["index"])
    return [("".join(texts[i]), reasons[i]) for i in sorted(texts)], usage


def _completion_limit(body: dict) -> int | None:
    return body.get("max_completion_tokens") or body.get("max_tokens")


def _recount_openai(exchange):
    rule = load_profiles()["openai"]["tokens"]
    body = exchange.body
    choices, usage = _openai_reply(exchange)
    if usage is None:
        return
    # gpt-5.x counts one token fewer than the Cookbook's gpt-4o rule (see the profile)
    messages = [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
    assert usage["prompt_tokens"] == count_messages(messages) - 1
    reasoning = usage["completion_tokens_details"]["reasoning_tokens"] // len(choices)
    expected = 0
    for text, reason in choices:
        if reason == "length":
            expected += _completion_limit(body)
            room = _completion_limit(body) - rule["completion"]["overhead"] - reasoning
            assert count_text(text) <= room
        else:
            expected += count_text(text) + rule["completion"]["overhead"] + reasoning
    assert usage["completion_tokens"] == expected
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def _recount_anthropic(exchange):
    body = exchange.body
    if exchange.path.endswith("/count_tokens"):
        assert exchange.response_body["input_tokens"] == anthropic_input_tokens(body)
        return
    if exchange.is_stream:
        events = _stream_payloads(exchange)
        text = "".join(e["delta"]["text"] for e in events if e.get("type") == "content_block_delta")
        final = next(e for e in events if e.get("type") == "message_delta")
        usage, stop = final["usage"], final["delta"]["stop_reason"]
        assert usage["input_tokens"] == events[0]["message"]["usage"]["input_tokens"]
    else:
        text = exchange.response_body["content"][0]["text"]
        usage, stop = exchange.response_body["usage"], exchange.response_body["stop_reason"]
    assert usage["input_tokens"] == anthropic_input_tokens(body)
    count = tokenizer_for("anthropic").count(text)
    if stop == "max_tokens":
        assert usage["output_tokens"] == body["max_tokens"] and count <= body["max_tokens"]
    else:
        assert usage["output_tokens"] == count


def _recount_huggingface(exchange):
    rule = load_profiles()["huggingface"]["tokens"]
    body = exchange.body
    if exchange.is_stream:
        chunks = _stream_payloads(exchange)
        text = "".join(c["delta"].get("content") or "" for ch in chunks for c in ch["choices"])
        reason = next(
            c["finish_reason"] for ch in chunks for c in ch["choices"] if c["finish_reason"]
        )
        usage = chunks[-1]["usage"]
    else:
        choice = exchange.response_body["choices"][0]
        text, reason = choice["message"]["content"], choice["finish_reason"]
        usage = exchange.response_body["usage"]
    assert usage["prompt_tokens"] == hf_prompt_tokens(body)
    if reason == "length":
        assert usage["completion_tokens"] == body["max_tokens"]
    else:
        assert usage["completion_tokens"] == count_text(text) + rule["completion"]["stop_overhead"]


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
