"""Lesson 03 labs: each checker passes the reference solution and rejects wrong answers with the
specific Korean hint; unsolved answers get guidance."""

from __future__ import annotations

import pytest

from helpers import catalog, labs
from helpers.labs import TODO, check
from helpers.labs.lesson03 import DEFAULT_SYSTEM, FakeAnthropicClient

ANTHROPIC_MODEL = catalog.default_model("anthropic")


# --- reference solutions (what the lesson's hints lead to) --------------------------------------


def to_anthropic(messages):
    system = [m["content"] for m in messages if m["role"] == "system"]
    result = {"messages": [dict(m) for m in messages if m["role"] != "system"]}
    if system:
        result["system"] = "\n\n".join(system)
    return result


def ask_claude(client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": question}],
    )
    text = "".join(block.text for block in response.content if block.type == "text")
    return text, response.usage


STOP_ROW = {
    "openai_param": "stop",
    "anthropic_param": "stop_sequences",
    "openai_reason": "stop",
    "anthropic_reason": "stop_sequence",
}


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [("03-to-anthropic", to_anthropic), ("03-ask-claude", ask_claude), ("03-stop-field", STOP_ROW)],
)
def test_reference_solutions_pass(lab_id, answer):
    fb = check(lab_id, answer)
    assert fb.passed, str(fb)


def test_known_labs():
    assert {"03-to-anthropic", "03-ask-claude", "03-stop-field"} <= set(labs.known_labs())


@pytest.mark.parametrize("lab_id", ["03-to-anthropic", "03-ask-claude", "03-stop-field"])
def test_unsolved_gets_guidance(lab_id):
    fb = check(lab_id, TODO)
    assert fb.status == "unsolved", str(fb)


def test_unsolved_stop_row_values_get_guidance():
    fb = check("03-stop-field", dict.fromkeys(STOP_ROW, TODO))
    assert fb.status == "unsolved", str(fb)


# --- 03-to-anthropic wrong answers ---------------------------------------------------------------


def keeps_system_inside(messages):
    return {"messages": list(messages)}


def first_system_only(messages):
    result = {"messages": [m for m in messages if m["role"] != "system"]}
    if messages and messages[0]["role"] == "system":
        result["system"] = messages[0]["content"]
    return result


def mutates_input(messages):
    system = None
    if messages and messages[0]["role"] == "system":
        system = messages.pop(0)["content"]
    result = {"messages": messages}
    if system:
        result["system"] = system
    return result


def system_none_when_absent(messages):
    system = [m["content"] for m in messages if m["role"] == "system"]
    return {
        "system": "\n\n".join(system) if system else None,
        "messages": [m for m in messages if m["role"] != "system"],
    }


def system_as_list(messages):
    result = to_anthropic(messages)
    if "system" in result:
        result["system"] = result["system"].split("\n\n")
    return result


def returns_list(messages):
    return [m for m in messages if m["role"] != "system"]


@pytest.mark.parametrize(
    ("answer", "expected_hint"),
    [
        (keeps_system_inside, "`messages`에서 빼서 `system` 키로"),
        (first_system_only, "system 메시지를 모두 찾아"),
        (mutates_input, "새 리스트를 만들어 돌려주세요"),
        (system_none_when_absent, '`"system": null`'),
        (system_as_list, "한 문자열로 합치세요"),
        (returns_list, "`client.messages.create(**result)`로 펼칠 수 있도록"),
    ],
)
def test_to_anthropic_rejects_wrong_answers(answer, expected_hint):
    fb = check("03-to-anthropic", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


# --- 03-ask-claude wrong answers -----------------------------------------------------------------


def system_in_messages(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return response.content[0].text, response.usage


def first_block_text(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": question}],
    )
    return response.content[0].text, response.usage


def no_max_tokens(client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL):
    response = client.messages.create(
        model=model, system=system, messages=[{"role": "user", "content": question}]
    )
    return response.content[0].text, response.usage


def with_temperature(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=system,
        temperature=0.7,
        messages=[{"role": "user", "content": question}],
    )
    return response.content[0].text, response.usage


def returns_response(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    return client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": question}],
    )


def hardcoded_model(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    return ask_claude(client, question, system, max_tokens, ANTHROPIC_MODEL)


def total_tokens_only(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    text, usage = ask_claude(client, question, system, max_tokens, model)
    return text, usage.input_tokens + usage.output_tokens


@pytest.mark.parametrize(
    ("answer", "expected_hint"),
    [
        (system_in_messages, "`system=system`을 `messages.create`의 별도 인자로"),
        (first_block_text, "`content[0].text` 대신"),
        (no_max_tokens, "`max_tokens`가 반드시 있어야 합니다"),
        (with_temperature, "샘플링 매개변수가 빠졌습니다"),
        (returns_response, "응답 객체 전체가 아니라"),
        (hardcoded_model, "`model=model`로 넘기세요"),
        (total_tokens_only, "Claude에는 `total_tokens`가 없습니다"),
    ],
)
def test_ask_claude_rejects_wrong_answers(answer, expected_hint):
    fb = check("03-ask-claude", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


def test_fake_client_mirrors_the_sdk_signature():
    client = FakeAnthropicClient()
    with pytest.raises(TypeError, match="unexpected keyword argument 'top_k'"):
        client.messages.create(model="m", max_tokens=1, messages=[], top_k=3)
    with pytest.raises(TypeError, match="Missing required arguments"):
        client.messages.create(model="m", messages=[])
    reply = client.messages.create(model="m", max_tokens=1, messages=[], system="s")
    assert reply.content[0].type == "text" and client.calls[0]["system"] == "s"


# --- 03-stop-field wrong answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected_hint"),
    [
        ({"anthropic_param": "stop"}, "복수형입니다"),
        ({"openai_param": "stop_sequences"}, "'stop'으로 시작하는 매개변수"),
        ({"openai_param": "max_tokens"}, "OpenAI 쪽 이름은 한 단어"),
        ({"anthropic_reason": "end_turn"}, "따로 구분합니다"),
        ({"anthropic_reason": "stopped"}, "가능한 값: end_turn"),
        ({"openai_reason": "stop_sequence"}, "가능한 값: stop, length"),
        ({"openai_reason": "length"}, "`length`는 출력 한도"),
    ],
)
def test_stop_field_rejects_wrong_answers(change, expected_hint):
    fb = check("03-stop-field", {**STOP_ROW, **change})
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


def test_stop_field_names_missing_keys():
    fb = check("03-stop-field", {"openai_param": "stop"})
    assert fb.status == "failed" and any("네 개" in h for h in fb.hints), str(fb)
