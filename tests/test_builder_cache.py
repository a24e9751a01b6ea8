"""Prompt caching in authored OpenAI fixtures.

OpenAI caches prompts of 1024 tokens or more and reports a hit in 128-token blocks of the prefix a
request shares with an earlier one (the profile's ``tokens.prompt_caching``, with its source). The
builder reports ``usage.prompt_tokens_details.cached_tokens`` by that rule from the earlier
entries of the same lesson's spec; these tests check the rule on built requests and, with an
independent count, on every committed chat fixture.
"""

from __future__ import annotations

import json

import pytest

from helpers.replay.builder import build_exchange, openai_cached_tokens, openai_prompt_tokens
from helpers.replay.fixture import load_file
from helpers.replay.profiles import load_profiles
from helpers.tokencount import count_messages
from tools.fixtures import FIXTURES, SPECS, load_spec

RULE = load_profiles()["openai"]["tokens"]["prompt_caching"]
SYSTEM = {"role": "system", "content": "당신은 NLP 전문가입니다. 간결하게 답변합니다."}


def chat(messages, model="gpt-5.4-mini", **extra):
    body = {"model": model, "messages": messages, "max_completion_tokens": 600, **extra}
    return {
        "method": "POST",
        "host": "api.openai.com",
        "path": "/v1/chat/completions",
        "query": "",
        "body": body,
    }


def history(turns: int, size: int = 60) -> list[dict]:
    messages = [SYSTEM]
    for i in range(turns):
        messages.append({"role": "user", "content": f"{i}번째 질문입니다. " + "토큰 " * size})
        messages.append({"role": "assistant", "content": f"{i}번째 답입니다. " + "답변 " * size})
    return messages


def cached_of(exchange) -> int:
    return exchange.response_body["usage"]["prompt_tokens_details"]["cached_tokens"]


def test_the_rule_comes_from_a_cited_source():
    assert RULE["minimum"] == 1024 and RULE["increment"] == 128
    assert RULE["source"].startswith("https://developers.openai.com/")
    assert "1024 tokens" in RULE["quote"] and "128 tokens" in RULE["quote"]


def test_an_extension_of_a_long_request_reports_its_prefix_in_128_blocks():
    earlier = chat(history(8) + [{"role": "user", "content": "다음 질문"}])
    first = openai_prompt_tokens(earlier["body"])
    assert first >= 1200  # long enough that the shared prefix clears the minimum
    later_messages = earlier["body"]["messages"] + [
        {"role": "assistant", "content": "답"},
        {"role": "user", "content": "또 다른 질문"},
    ]
    later = build_exchange(chat(later_messages), {"answer": "네"}, earlier=[{"request": earlier}])
    cached = cached_of(later)
    # the whole earlier prompt but its reply priming is shared
    shared = first - load_profiles()["openai"]["tokens"]["prompt"]["priming"]
    assert cached == shared // 128 * 128
    assert (
        cached > 0 and cached % 128 == 0 and cached <= later.response_body["usage"]["prompt_tokens"]
    )


def test_a_stream_reports_the_same_cached_tokens():
    earlier = chat(history(8) + [{"role": "user", "content": "다음 질문"}])
    later = chat(earlier["body"]["messages"] + [{"role": "assistant", "content": "답"}])
    plain = build_exchange(later, {"answer": "네"}, earlier=[earlier])
    streamed_request = chat(
        later["body"]["messages"], stream=True, stream_options={"include_usage": True}
    )
    streamed = build_exchange(streamed_request, {"answer": "네"}, earlier=[earlier])
    last = [json.loads(t[6:]) for _, t in streamed.events if t.startswith("data: {")][-1]
    assert last["usage"]["prompt_tokens_details"]["cached_tokens"] == cached_of(plain) > 0


def test_no_earlier_request_means_no_cache():
    assert cached_of(build_exchange(chat(history(8)), {"answer": "네"})) == 0


def test_a_shared_prefix_below_the_minimum_is_not_cached():
    earlier = chat(history(2))
    later = chat(history(2) + [{"role": "user", "content": "다음"}])
    assert 0 < openai_prompt_tokens(earlier["body"]) < RULE["minimum"]
    assert cached_of(build_exchange(later, {"answer": "네"}, earlier=[earlier])) == 0


def test_another_model_a_failed_request_or_a_changed_start_caches_nothing():
    earlier = chat(history(8))
    longer = history(8) + [{"role": "user", "content": "다음"}]
    other_model = chat(history(8), model="gpt-5.4")
    failed = {"request": earlier, "status": 400}
    assert openai_cached_tokens(chat(longer)["body"], [other_model, failed]) == 0
    edited = [{**SYSTEM, "content": "다른 지시입니다."}, *longer[1:]]
    assert openai_cached_tokens(chat(edited)["body"], [earlier]) == 0
    assert openai_cached_tokens(chat(longer)["body"], [earlier]) >= RULE["minimum"]


def test_the_longest_earlier_prefix_wins():
    short, long = chat(history(6)), chat(history(9))
    body = chat(history(9) + [{"role": "user", "content": "다음"}])["body"]
    assert openai_cached_tokens(body, [long, short]) == openai_cached_tokens(body, [short, long])
    assert openai_cached_tokens(body, [long]) > openai_cached_tokens(body, [short])


def test_tools_and_the_output_schema_are_part_of_the_cached_prefix():
    tool = {
        "type": "function",
        "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    }
    schema = {"type": "json_schema", "json_schema": {"name": "A", "schema": {"type": "object"}}}
    earlier = chat(history(8), tools=[tool], response_format=schema)
    longer = history(8) + [{"role": "user", "content": "다음"}]
    same = openai_cached_tokens(
        chat(longer, tools=[tool], response_format=schema)["body"], [earlier]
    )
    assert same >= RULE["minimum"]
    other_tool = {**tool, "function": {**tool["function"], "name": "search"}}
    assert (
        openai_cached_tokens(
            chat(longer, tools=[other_tool], response_format=schema)["body"], [earlier]
        )
        == 0
    )
    assert openai_cached_tokens(chat(longer, tools=[tool])["body"], [earlier]) == 0
    assert openai_cached_tokens(chat(longer)["body"], [earlier]) == 0


# --- every committed fixture, counted independently ------------------------------------------


def _expected(messages: list[dict], model: str, earlier: list[dict]) -> int:
    """An independent count for the case the lessons have: an earlier request whose messages
    are a prefix of this one's shares its prompt up to the reply priming."""
    best = 0
    for entry in earlier:
        body = entry["request"].get("body") or {}
        if int(entry.get("status", 200)) >= 400 or body.get("model") != model:
            continue
        if not entry["request"]["path"].endswith("/chat/completions"):
            continue
        before = [
            {"role": m["role"], "content": m.get("content")} for m in body.get("messages", [])
        ]
        if before and messages[: len(before)] == before:
            # count_messages uses the Cookbook's +3 priming; gpt-5.x fixtures count one fewer
            # (see test_wire_profiles), and neither priming is part of the shared prefix
            best = max(best, count_messages(before) - 3)
    return best // RULE["increment"] * RULE["increment"] if best >= RULE["minimum"] else 0


def _chat_entries():
    for spec_path in sorted(SPECS.glob("*.yaml")):
        entries = load_spec(spec_path)
        for index, entry in enumerate(entries):
            request = entry["request"]
            target = FIXTURES / spec_path.stem / f"{entry['name']}.json"
            if (
                request.get("provider", "openai") == "openai"
                and request["path"].endswith("/chat/completions")
                and int(entry.get("status", 200)) < 400
                and target.exists()
            ):
                yield pytest.param(
                    entry, entries[:index], target, id=f"{spec_path.stem[:2]}-{entry['name']}"
                )


@pytest.mark.parametrize(("entry", "earlier", "target"), list(_chat_entries()))
def test_committed_fixture_reports_the_cached_prefix(entry, earlier, target):
    exchange = load_file(target)
    if exchange.origin != "authored":
        pytest.skip("a recording reports what the API said")
    body = exchange.body
    if exchange.is_stream:
        chunks = [json.loads(t[6:]) for _, t in exchange.events if t.startswith("data: {")]
        usage = chunks[-1].get("usage")
        if usage is None:
            pytest.skip("a stream without include_usage reports no usage")
    else:
        usage = exchange.response_body["usage"]
    cached = usage["prompt_tokens_details"]["cached_tokens"]
    assert cached == 0 or (cached >= RULE["minimum"] and cached % RULE["increment"] == 0)
    assert cached <= usage["prompt_tokens"]
    messages = [{"role": m["role"], "content": m.get("content")} for m in body["messages"]]
    assert cached >= _expected(messages, body["model"], earlier)


def test_lesson_02_shows_a_cache_hit_where_the_conversation_extends_a_long_request():
    folder = FIXTURES / "02_multi_turn_conversation"
    usage = {p.stem: load_file(p).response_body["usage"] for p in folder.glob("1[0-3]-*.json")}
    assert usage["10-turn7-evaluation"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["11-turn8-deploy"]["prompt_tokens_details"]["cached_tokens"] == 1024
    assert usage["13-probe-full"]["prompt_tokens_details"]["cached_tokens"] == 1152


def test_prompt_tokens_include_the_cached_tokens():
    # OpenAI: cached_tokens are "Cached tokens present in the prompt" (SDK CompletionUsage), so a
    # hit leaves prompt_tokens and total_tokens as they were; Anthropic's input_tokens exclude
    # cache reads instead (test_builder_anthropic_cache)
    assert "present in the prompt" in RULE["usage"]["sdk"]
    earlier = chat(history(8) + [{"role": "user", "content": "다음 질문"}])
    later_messages = earlier["body"]["messages"] + [
        {"role": "assistant", "content": "답"},
        {"role": "user", "content": "또 다른 질문"},
    ]
    cold = build_exchange(chat(later_messages), {"answer": "네"}).response_body["usage"]
    warm = build_exchange(chat(later_messages), {"answer": "네"}, earlier=[earlier])
    usage = warm.response_body["usage"]
    assert (
        cached_of(warm) >= RULE["minimum"] and cold["prompt_tokens_details"]["cached_tokens"] == 0
    )
    assert (
        usage["prompt_tokens"]
        == cold["prompt_tokens"]
        == openai_prompt_tokens(chat(later_messages)["body"])
    )
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens"] > cached_of(warm)


def test_a_later_turn_of_a_conversation_reports_a_cache_hit_through_the_sdk():
    from openai.types.chat import ChatCompletion

    earlier = chat(history(8) + [{"role": "user", "content": "다음 질문"}])
    later = chat(earlier["body"]["messages"] + [{"role": "assistant", "content": "답"}])
    parsed = ChatCompletion.model_validate(
        build_exchange(later, {"answer": "네"}, earlier=[{"request": earlier}]).response_body
    )
    details = parsed.usage.prompt_tokens_details
    assert details is not None and details.cached_tokens >= RULE["minimum"]
    assert details.cached_tokens % RULE["increment"] == 0
