"""Lab 03-ask-claude: answers written differently from the reference that the API accepts (and the
lesson teaches) pass; plausible wrong answers fail with a hint naming their real cause."""

from __future__ import annotations

import pytest

from helpers import catalog
from helpers.labs import check
from helpers.labs.lesson03 import DEFAULT_SYSTEM, FakeAnthropicClient

ANTHROPIC_MODEL = catalog.default_model("anthropic")
OPENAI_MODEL = catalog.default_model("openai")


def _text(response):
    return "".join(block.text for block in response.content if block.type == "text")


# --- valid answers -------------------------------------------------------------------------------


def system_as_text_blocks(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    # `system: Union[str, Iterable[TextBlockParam]]` — a list of text blocks means the same string.
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": question}],
    )
    return _text(response), response.usage


def content_as_text_blocks(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    # The SDK docstring: a string `content` is shorthand for one `{"type": "text"}` block.
    response = client.messages.create(
        messages=[{"role": "user", "content": [{"type": "text", "text": question}]}],
        system=system,
        max_tokens=max_tokens,
        model=model,
    )
    texts = [block.text for block in response.content if block.type == "text"]
    return "".join(texts), response.usage


def params_dict_keyword_only(
    client, question, *, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    params = {
        "model": model,
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": system}],
        "messages": ({"role": "user", "content": [{"type": "text", "text": question}]},),
    }
    response = client.messages.create(**params)
    text = ""
    for block in response.content:
        if block.type == "text":
            text += block.text
    return text, response.usage


def system_from_generator(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    # `Iterable[TextBlockParam]`: any iterable of text blocks, not only a list.
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=({"type": "text", "text": part} for part in [system]),
        messages=[{"role": "user", "content": question}],
    )
    return _text(response), response.usage


VALID = [system_as_text_blocks, content_as_text_blocks, params_dict_keyword_only]


@pytest.mark.parametrize(
    "answer", [*VALID, system_from_generator], ids=lambda f: getattr(f, "__name__", "")
)
def test_valid_answers_pass(answer):
    fb = check("03-ask-claude", answer)
    assert fb.passed, str(fb)


# --- wrong answers -------------------------------------------------------------------------------


def openai_style_system(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        messages=[
            {"role": "system", "content": [{"type": "text", "text": system}]},
            {"role": "user", "content": [{"type": "text", "text": question}]},
        ],
    )
    return _text(response), response.usage


def blocks_without_max_tokens(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        system=[{"type": "text", "text": system}],
        messages=[{"role": "user", "content": [{"type": "text", "text": question}]}],
    )
    return _text(response), response.usage


def without_model(client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL):
    response = client.messages.create(
        max_tokens=max_tokens, system=system, messages=[{"role": "user", "content": question}]
    )
    return _text(response), response.usage


def model_trailing_comma(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    chosen = (model,)  # what `chosen = model,` makes
    response = client.messages.create(
        model=chosen,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": question}],
    )
    return _text(response), response.usage


def openai_model_default(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=OPENAI_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": question}],
    )
    return _text(response), response.usage


def block_with_content_key(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": [{"type": "text", "content": question}]}],
    )
    return _text(response), response.usage


def system_list_of_strings(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=[system],
        messages=[{"role": "user", "content": question}],
    )
    return _text(response), response.usage


def hardcoded_system_block(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=[{"type": "text", "text": DEFAULT_SYSTEM}],
        messages=[{"role": "user", "content": [{"type": "text", "text": question}]}],
    )
    return _text(response), response.usage


def positional_create(
    client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL
):
    response = client.messages.create(
        max_tokens, [{"role": "user", "content": question}], model, system=system
    )
    return _text(response), response.usage


def streams(client, question, system=DEFAULT_SYSTEM, max_tokens=1024, model=ANTHROPIC_MODEL):
    with client.messages.stream(
        model=model,
        max_tokens=max_tokens,
        system=system,
        messages=[{"role": "user", "content": question}],
    ) as stream:
        message = stream.get_final_message()
    return _text(message), message.usage


WRONG = [
    (
        openai_style_system,
        "`role: system` 메시지로 넣었습니다",
        "맨 앞에 두면 서버가 400으로 거절할 것으로 봅니다",
    ),
    (blocks_without_max_tokens, "필수 인자 `max_tokens`", "`max_tokens`가 반드시 있어야 합니다"),
    (without_model, "필수 인자 `model`", "`model=model`처럼"),
    (model_trailing_comma, "문자열이 아니라 tuple", "끝에 쉼표가 붙으면 튜플"),
    (openai_model_default, "Claude 모델이 아닙니다", "Claude 모델 이름만 받습니다"),
    (block_with_content_key, "문자열 `text`가 없습니다", "`'text'` 키에 넣습니다"),
    (system_list_of_strings, "딕셔너리가 아닙니다", "`{'type': 'text', 'text': ...}`"),
    (hardcoded_system_block, "`system=", "`system=system`으로 매개변수를 그대로"),
    (positional_create, "위치 인자를 넘겼습니다", "키워드 인자만 받습니다"),
    (streams, "스트리밍으로 호출했습니다", "스트리밍을 흉내 내지 않습니다"),
]


@pytest.mark.parametrize(
    ("answer", "expected_failure", "expected_hint"), WRONG, ids=[w[0].__name__ for w in WRONG]
)
def test_wrong_answers_name_their_cause(answer, expected_failure, expected_hint):
    fb = check("03-ask-claude", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(expected_failure in f for f in fb.failures), str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


def test_fake_client_records_iterable_arguments_as_lists():
    client = FakeAnthropicClient()
    client.messages.create(
        model="m",
        max_tokens=1,
        system=({"type": "text", "text": s} for s in ["가", "나"]),
        messages=[{"role": "user", "content": ({"type": "text", "text": "q"},)}],
    )
    sent = client.calls[0]
    assert sent["system"] == [{"type": "text", "text": "가"}, {"type": "text", "text": "나"}]
    assert sent["messages"][0]["content"] == [{"type": "text", "text": "q"}]


def test_fake_client_refuses_positional_arguments_like_the_sdk():
    client = FakeAnthropicClient()
    with pytest.raises(TypeError, match=r"takes 1 argument\(s\) but 2 were given"):
        client.messages.create("m")
    assert client.attempts == [{}] and client.calls == []
