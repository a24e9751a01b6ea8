"""Prompt caching in authored Anthropic fixtures.

Claude caches the prefix of a prompt (tools, system, messages, in that order) up to a block
marked with ``cache_control`` (or, with a top-level ``cache_control``, the last cacheable block).
The builder reports ``cache_creation_input_tokens`` for the first request with that prefix,
``cache_read_input_tokens`` for a later request of the same lesson's spec that reaches it, and
``input_tokens`` for what follows the last breakpoint (the profile's
``anthropic.tokens.prompt_caching``, with its sources). These tests check the rule on built
requests and its bookkeeping on every committed Anthropic fixture.
"""

from __future__ import annotations

import json

import anthropic
import pytest

from helpers.replay.builder import (
    SpecError,
    anthropic_cache_minimum,
    anthropic_cache_usage,
    anthropic_input_tokens,
    build_exchange,
)
from helpers.replay.fixture import load_file
from helpers.replay.profiles import load_profiles
from tools.fixtures import FIXTURES, SPECS, load_spec

RULE = load_profiles()["anthropic"]["tokens"]["prompt_caching"]
EPHEMERAL = {"type": "ephemeral"}
# about 1,800 tokens by the builder's Claude rule (one token per Hangul syllable): above the
# Sonnet minimum (1,024), below Haiku 4.5's (4,096)
DOCUMENT = "캐시할 긴 참고 문서입니다. " * 150


def messages_request(messages, system=None, model="claude-sonnet-4-6", **extra):
    body = {"model": model, "max_tokens": 300, "messages": messages, **extra}
    if system is not None:
        body["system"] = system
    return {
        "method": "POST",
        "host": "api.anthropic.com",
        "path": "/v1/messages",
        "query": "",
        "body": body,
    }


def cached_system(ttl=None):
    mark = dict(EPHEMERAL, **({"ttl": ttl} if ttl else {}))
    return [{"type": "text", "text": DOCUMENT, "cache_control": mark}]


def ask(question, **extra):
    return messages_request([{"role": "user", "content": question}], cached_system(), **extra)


def usage_of(exchange):
    return exchange.response_body["usage"]


def counts(body, earlier=()):
    return anthropic_cache_usage(body, earlier)


# --- the rule and its sources -----------------------------------------------------------------


def test_the_rule_comes_from_cited_sources():
    assert RULE["source"].startswith(
        "https://platform.claude.com/docs/en/build-with-claude/prompt-caching"
    )
    assert "tools, system, and messages (in that order)" in RULE["order"]["quote"]
    assert RULE["max_breakpoints"] == 4 and "up to 4" in RULE["max_breakpoints_quote"]
    assert RULE["lookback_blocks"] == 20 and "20 blocks" in RULE["lookback_quote"]
    assert (
        "cache_read_input_tokens + cache_creation_input_tokens + input_tokens"
        in (RULE["usage"]["quote"])
    )
    assert "pydantic/pydantic-ai" in RULE["framing"]["source"]


@pytest.mark.parametrize(
    ("model", "minimum"),
    [
        ("claude-sonnet-4-6", 1024),
        ("claude-sonnet-4-5", 1024),
        ("claude-sonnet-4-5-20250929", 1024),
        ("claude-sonnet-4-20250514", 1024),
        ("claude-haiku-4-5", 4096),
        ("claude-haiku-4-5-20251001", 4096),
        ("claude-sonnet-5-5", 512),
        ("claude-some-future-model", 4096),
    ],
)
def test_the_minimum_cacheable_length_per_model(model, minimum):
    assert anthropic_cache_minimum(model) == minimum


def test_every_catalog_claude_model_has_a_sourced_minimum():
    from helpers.catalog import known_models

    table = RULE["minimum"]["by_model"]
    for model in known_models("anthropic"):
        assert anthropic_cache_minimum(model) in set(table.values())
        assert any(model == name or model.startswith(name + "-") for name in table), model


# --- first write, later read ------------------------------------------------------------------


def test_no_breakpoint_means_no_cache():
    body = messages_request([{"role": "user", "content": DOCUMENT}])["body"]
    usage = counts(body, [messages_request([{"role": "user", "content": DOCUMENT}])])
    assert usage["cache_creation_input_tokens"] == usage["cache_read_input_tokens"] == 0
    assert usage["input_tokens"] == anthropic_input_tokens(body)


def test_the_first_request_writes_its_prefix_and_a_later_one_reads_it():
    first, later = ask("첫 번째 질문입니다."), ask("두 번째 질문입니다.")
    written = usage_of(build_exchange(first, {"answer": "네"}))
    read = usage_of(build_exchange(later, {"answer": "네"}, earlier=[first]))
    assert (
        written["cache_creation_input_tokens"] >= RULE["minimum"]["by_model"]["claude-sonnet-4-6"]
    )
    assert written["cache_read_input_tokens"] == 0
    assert (
        written["cache_creation"]["ephemeral_5m_input_tokens"]
        == written["cache_creation_input_tokens"]
    )
    assert read["cache_read_input_tokens"] == written["cache_creation_input_tokens"]
    assert read["cache_creation_input_tokens"] == 0
    # the question after the breakpoint stays uncached in both
    assert 0 < read["input_tokens"] < 30 and 0 < written["input_tokens"] < 30


def test_input_tokens_exclude_cache_reads_and_writes():
    # Anthropic: total input = cache_read + cache_creation + input_tokens (count_tokens reports
    # the total); OpenAI's prompt_tokens instead includes its cached_tokens (test_builder_cache)
    first, later = ask("질문 하나"), ask("질문 둘")
    for body, earlier in ((first["body"], []), (later["body"], [first])):
        usage = counts(body, earlier)
        total = anthropic_input_tokens(body)
        cached = usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
        assert cached > 0 and usage["input_tokens"] == total - cached
    count_request = {**later, "path": "/v1/messages/count_tokens"}
    count = build_exchange(count_request, {}, earlier=[first]).response_body
    assert count == {"input_tokens": anthropic_input_tokens(later["body"])}


def test_the_marker_costs_no_tokens():
    marked = ask("질문")["body"]
    plain = {**marked, "system": [{"type": "text", "text": DOCUMENT}]}
    assert anthropic_input_tokens(marked) == anthropic_input_tokens(plain)
    tool = {"name": "lookup", "input_schema": {"type": "object", "properties": {}}}
    with_tool = {**plain, "tools": [tool]}
    assert anthropic_input_tokens({**plain, "tools": [dict(tool, cache_control=EPHEMERAL)]}) == (
        anthropic_input_tokens(with_tool)
    )


def test_a_prefix_below_the_model_minimum_is_not_cached():
    short = messages_request(
        [{"role": "user", "content": "질문"}],
        [{"type": "text", "text": "짧은 지시입니다.", "cache_control": EPHEMERAL}],
    )
    assert counts(short["body"]) == counts(short["body"], [short])
    assert counts(short["body"])["cache_creation_input_tokens"] == 0
    # the same 1,800-token document caches on Sonnet 4.6 but not on Haiku 4.5 (4,096)
    haiku_first, haiku_later = (
        ask("질문", model="claude-haiku-4-5"),
        ask("다른 질문", model="claude-haiku-4-5"),
    )
    usage = counts(haiku_later["body"], [haiku_first])
    assert usage["cache_creation_input_tokens"] == usage["cache_read_input_tokens"] == 0
    assert usage["input_tokens"] == anthropic_input_tokens(haiku_later["body"])
    assert counts(ask("질문")["body"])["cache_creation_input_tokens"] > 0


def test_another_model_a_failed_request_or_a_changed_prefix_reads_nothing():
    later = ask("질문 둘")["body"]
    other_model = ask("질문 하나", model="claude-sonnet-4-5")
    failed = {"request": ask("질문 하나"), "status": 529}
    counted = {**ask("질문 하나"), "path": "/v1/messages/count_tokens"}
    assert counts(later, [other_model, failed, counted])["cache_read_input_tokens"] == 0
    edited = messages_request(
        [{"role": "user", "content": "질문 하나"}],
        [{"type": "text", "text": DOCUMENT + "끝.", "cache_control": EPHEMERAL}],
    )
    assert counts(later, [edited])["cache_read_input_tokens"] == 0
    assert counts(later, [ask("질문 하나")])["cache_read_input_tokens"] > 0


def test_a_one_hour_breakpoint_is_counted_as_a_one_hour_write():
    first = messages_request([{"role": "user", "content": "질문"}], cached_system("1h"))
    usage = counts(first["body"])
    assert usage["ephemeral_1h_input_tokens"] == usage["cache_creation_input_tokens"] > 0
    assert usage["ephemeral_5m_input_tokens"] == 0


# --- growing conversations and several breakpoints ---------------------------------------------


def conversation(turns):
    messages = [{"role": "user", "content": DOCUMENT}]
    for i in range(turns):
        messages.append({"role": "assistant", "content": f"{i}번째 답입니다."})
        messages.append({"role": "user", "content": f"{i}번째 후속 질문입니다."})
    return messages_request(messages, "도우미입니다.", cache_control=EPHEMERAL)


def test_automatic_caching_reads_the_last_turn_and_writes_the_new_blocks():
    # the shape of the public recording the profile cites: turn 2 reads turn 1's whole prompt,
    # writes the new assistant and user blocks, and leaves only the closing framing uncached
    framing = RULE["framing"]["after_last_block"]
    turn1, turn2, turn3 = conversation(0), conversation(1), conversation(2)
    first = counts(turn1["body"])
    assert first["input_tokens"] == framing
    assert first["cache_creation_input_tokens"] == anthropic_input_tokens(turn1["body"]) - framing
    second = counts(turn2["body"], [turn1])
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == (
        anthropic_input_tokens(turn2["body"]) - anthropic_input_tokens(turn1["body"])
    )
    assert second["input_tokens"] == framing
    third = counts(turn3["body"], [turn1, turn2])
    assert third["cache_read_input_tokens"] == anthropic_input_tokens(turn2["body"]) - framing


def test_the_lookback_finds_no_entry_more_than_20_blocks_back():
    turn1 = conversation(0)
    near, far = conversation(9), conversation(10)  # 19 and 21 blocks after turn 1's breakpoint
    assert counts(near["body"], [turn1])["cache_read_input_tokens"] > 0
    assert counts(far["body"], [turn1])["cache_read_input_tokens"] == 0
    # a second breakpoint where turn 1 ended starts its own lookback window there
    messages = far["body"]["messages"]
    first_block = [{"type": "text", "text": DOCUMENT, "cache_control": EPHEMERAL}]
    marked = {**far["body"], "messages": [{"role": "user", "content": first_block}, *messages[1:]]}
    assert counts(marked, [turn1])["cache_read_input_tokens"] > 0


def test_a_tools_change_invalidates_everything_a_tool_choice_change_only_the_messages():
    tool = {
        "name": "lookup",
        "description": "찾아봅니다.",
        "input_schema": {"type": "object", "properties": {}},
    }

    def with_tools(tools, choice, question):
        request = ask(question, tools=tools, tool_choice=choice)
        request["body"]["messages"][0]["content"] = [
            {"type": "text", "text": question, "cache_control": EPHEMERAL}
        ]
        return request

    earlier = with_tools([tool], {"type": "auto"}, "질문")
    same = with_tools([tool], {"type": "auto"}, "질문")["body"]
    other_choice = with_tools([tool], {"type": "any"}, "질문")["body"]
    other_tool = with_tools([dict(tool, name="search")], {"type": "auto"}, "질문")["body"]
    system_only = counts(other_choice, [earlier])["cache_read_input_tokens"]
    assert counts(same, [earlier])["cache_read_input_tokens"] > system_only > 0
    assert counts(other_tool, [earlier])["cache_read_input_tokens"] == 0


def test_breakpoints_the_api_refuses_are_spec_errors():
    def body_of(*args, **kwargs):
        return messages_request(*args, **kwargs)["body"]

    five = [{"type": "text", "text": f"블록 {i}", "cache_control": EPHEMERAL} for i in range(5)]
    with pytest.raises(SpecError, match="최대 4개"):
        counts(body_of([{"role": "user", "content": five}]))
    four = five[:4] + [{"type": "text", "text": "마지막"}]
    with pytest.raises(SpecError, match="자리가 없습니다"):
        counts(body_of([{"role": "user", "content": four}], cache_control=EPHEMERAL))
    last = [{"type": "text", "text": "마지막", "cache_control": {**EPHEMERAL, "ttl": "1h"}}]
    with pytest.raises(SpecError, match="ttl"):
        counts(body_of([{"role": "user", "content": last}], cache_control=EPHEMERAL))
    wrong = [{"type": "text", "text": "질문", "cache_control": {**EPHEMERAL, "ttl": "10m"}}]
    with pytest.raises(SpecError, match="5m, 1h"):
        counts(body_of([{"role": "user", "content": wrong}]))
    with pytest.raises(SpecError, match="ephemeral"):
        counts(body_of([{"role": "user", "content": "질문"}], cache_control={"ttl": "5m"}))


def test_an_earlier_request_the_api_would_refuse_cached_nothing():
    refused = ask("질문 하나")
    refused["body"]["system"][0]["cache_control"] = {**EPHEMERAL, "ttl": "2h"}
    assert counts(ask("질문 둘")["body"], [refused])["cache_read_input_tokens"] == 0


# --- the wire: JSON and stream agree and parse ----------------------------------------------------


def _events(exchange):
    return [json.loads(text.split("data: ", 1)[1]) for _, text in exchange.events]


def test_a_stream_reports_the_same_counts_as_a_json_answer():
    first = ask("질문 하나")
    later = ask("질문 둘")
    plain = usage_of(build_exchange(later, {"answer": "네, 알겠습니다."}, earlier=[first]))
    streamed_request = {**later, "body": {**later["body"], "stream": True}}
    streamed = build_exchange(streamed_request, {"answer": "네, 알겠습니다."}, earlier=[first])
    events = _events(streamed)
    start = events[0]["message"]["usage"]
    end = next(e for e in events if e["type"] == "message_delta")["usage"]
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        assert start[name] == end[name] == plain[name]
    assert plain["cache_read_input_tokens"] > 0
    assert start["cache_creation"] == plain["cache_creation"]


def test_the_usage_parses_through_the_sdk_types():
    first = ask("질문 하나")
    message = anthropic.types.Message.model_validate(
        build_exchange(first, {"answer": "네"}).response_body
    )
    assert message.usage.cache_creation is not None
    assert (
        message.usage.cache_creation.ephemeral_5m_input_tokens
        == message.usage.cache_creation_input_tokens
        > 0
    )


# --- every committed Anthropic fixture -----------------------------------------------------------


def _message_entries():
    for spec_path in sorted(SPECS.glob("*.yaml")):
        entries = load_spec(spec_path)
        for index, entry in enumerate(entries):
            request = entry["request"]
            target = FIXTURES / spec_path.stem / f"{entry['name']}.json"
            if (
                "anthropic" in request["host"]
                and request["path"].endswith("/v1/messages")
                and int(entry.get("status", 200)) < 400
                and target.exists()
            ):
                yield pytest.param(
                    entries[:index], target, id=f"{spec_path.stem[:2]}-{entry['name']}"
                )


def _usage(exchange):
    if exchange.is_stream:
        return _events(exchange)[0]["message"]["usage"]
    return exchange.response_body["usage"]


@pytest.mark.parametrize(("earlier", "target"), list(_message_entries()))
def test_committed_fixture_accounts_for_every_input_token(earlier, target):
    exchange = load_file(target)
    if exchange.origin != "authored":
        pytest.skip("a recording reports what the API said")
    usage = _usage(exchange)
    body = exchange.body
    read, written = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
    assert read + written + usage["input_tokens"] == anthropic_input_tokens(body)
    assert written == sum(usage["cache_creation"].values())
    if read or written:
        assert read + written >= anthropic_cache_minimum(body["model"])
    if read:  # a read needs an earlier request to the same model that cached something
        models = [e["request"].get("body", {}).get("model") for e in earlier]
        assert body["model"] in models
