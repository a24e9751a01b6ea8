"""Lesson 01 labs 01-ask and 01-cost: answers written differently from the reference that the API
accepts (and the lesson teaches) pass; plausible wrong answers fail naming their real cause.

Facts used, from the installed openai SDK (resources/chat/completions/completions.py, types):

- ``messages[i]["content"]`` is ``Union[str, Iterable[ChatCompletionContentPartTextParam]]`` for
  system and user messages: a list of ``{"type": "text", "text": ...}`` parts means the string.
- ``temperature: Optional[float] | Omit``: leaving it out (or ``None``) lets the model use its
  default; the docstring says parameter support "can differ ... for newer reasoning models", and
  the default model (gpt-5.4-mini) is marked ``reasoning: true`` in models.json.
- ``ChatCompletionDeveloperMessageParam`` (types/chat/chat_completion_developer_message_param.py):
  "With o1 models and newer, `developer` messages replace the previous `system` messages." The
  lesson teaches it in 2절, so a ``developer`` message in place of ``system`` is a valid answer.
- ``CompletionUsage`` has ``prompt_tokens``/``completion_tokens``/``total_tokens`` attributes (not
  ``input_tokens``/``output_tokens``, which are Anthropic's and the Responses API's names).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import openai
import pytest

from helpers import catalog
from helpers.labs import check
from helpers.labs.lesson01 import DEFAULT_SYSTEM, FakeOpenAIClient

OPENAI_MODEL = catalog.default_model("openai")


def _ok(fb):
    assert fb.passed, str(fb)
    assert fb.status == "passed" and not fb.failures, str(fb)


def _rejected(fb, cause, hint):
    assert not fb.passed, str(fb)
    assert any(cause in f for f in fb.failures), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)


# ================================================================================================
# 01-ask: valid
# ================================================================================================


def ask_content_parts(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL):
    # content as text parts: the SDK's Iterable[ChatCompletionContentPartTextParam]
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": [{"type": "text", "text": system}]},
            {"role": "user", "content": [{"type": "text", "text": question}]},
        ],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


def ask_temperature_none_omitted(
    client, question, system=DEFAULT_SYSTEM, temperature=None, model=OPENAI_MODEL
):
    # reasoning models may take only the default temperature: send it only when asked for
    params = {
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ],
    }
    if temperature is not None:
        params["temperature"] = temperature
    response = client.chat.completions.create(**params)
    return response.choices[0].message.content, response.usage


def ask_temperature_none_forwarded(
    client, question, system=DEFAULT_SYSTEM, temperature=None, model=OPENAI_MODEL
):
    # temperature: Optional[float] — None is a value the SDK accepts (the API's default)
    response = client.chat.completions.create(
        messages=(
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ),
        model=model,
        temperature=temperature,
        max_completion_tokens=300,
    )
    message = response.choices[0].message
    return (message.content, response.usage)


def ask_keyword_only_with_fallback(
    client, question, *, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    # the lesson's 1절 pattern: try with temperature, retry without it if the model refuses
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    try:
        response = client.chat.completions.create(
            model=model, messages=messages, temperature=temperature
        )
    except openai.BadRequestError:
        response = client.chat.completions.create(model=model, messages=messages)
    answer = response.choices[0].message.content
    return [answer, response.usage]


def ask_developer_role(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    # 2절: with o1 models and newer, `developer` messages replace `system` messages
    response = client.chat.completions.create(
        model=model,
        temperature=temperature,
        messages=[
            {"role": "developer", "content": system},
            {"role": "user", "content": question},
        ],
    )
    return response.choices[0].message.content, response.usage


@pytest.mark.parametrize(
    "answer",
    [
        ask_content_parts,
        ask_temperature_none_omitted,
        ask_temperature_none_forwarded,
        ask_keyword_only_with_fallback,
        ask_developer_role,
    ],
    ids=lambda f: f.__name__,
)
def test_ask_valid_answers_pass(answer):
    _ok(check("01-ask", answer))


def test_ask_temperature_none_says_the_model_default_is_used():
    fb = check("01-ask", ask_temperature_none_omitted)
    assert "모델의 기본값" in str(fb), str(fb)


def test_ask_developer_role_is_named_in_the_feedback():
    fb = check("01-ask", ask_developer_role)
    assert "developer 메시지 다음에 user 메시지" in str(fb), str(fb)
    assert "예전의 system 메시지를 대신합니다" in str(fb), str(fb)


def test_ask_valid_answers_are_accepted_by_the_sdk_signature():
    # the fake client refuses names and shapes the installed SDK would refuse
    for answer in (ask_content_parts, ask_temperature_none_forwarded):
        client = FakeOpenAIClient()
        answer(client, "질문")
        assert client.calls


# ================================================================================================
# 01-ask: wrong
# ================================================================================================


def ask_ignores_temperature(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return response.choices[0].message.content, response.usage


def ask_part_with_content_key(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": [{"type": "text", "content": question}]},
        ],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


def ask_string_temperature(
    client, question, system=DEFAULT_SYSTEM, temperature="0.7", model=OPENAI_MODEL
):
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


def ask_usage_dict(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL):
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        temperature=temperature,
    )
    data = response.model_dump()
    return data["choices"][0]["message"]["content"], data["usage"]


def ask_developer_after_user(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "user", "content": question},
            {"role": "developer", "content": system},
        ],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


def ask_system_and_developer(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    # the same instructions twice, once per role: one instruction message is what is asked for
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": system},
            {"role": "developer", "content": system},
            {"role": "user", "content": question},
        ],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


def ask_developer_hardcoded(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=OPENAI_MODEL
):
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "developer", "content": DEFAULT_SYSTEM},
            {"role": "user", "content": question},
        ],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


WRONG_ASK = [
    (
        ask_developer_after_user,
        "user 메시지가 developer 메시지보다 앞에",
        "developer 메시지(역할·말투 지시)",
    ),
    (ask_system_and_developer, "system 메시지와 developer 메시지를 둘 다", "둘 중 하나로 한 번만"),
    (
        ask_developer_hardcoded,
        "developer 메시지 내용이 `system` 인자와 다릅니다",
        "`system` 매개변수 값을",
    ),
    (ask_ignores_temperature, "요청에 `temperature`가 없습니다", "temperature=temperature)`"),
    (ask_part_with_content_key, "문자열 `text`가 없습니다", "`'text'` 키"),
    (ask_string_temperature, "`temperature`의 기본값이 '0.7'", "0.7"),
    (ask_usage_dict, "딕셔너리입니다", "`response.usage` 객체를 그대로"),
]


@pytest.mark.parametrize(
    ("answer", "cause", "hint"), WRONG_ASK, ids=[w[0].__name__ for w in WRONG_ASK]
)
def test_ask_wrong_answers_name_the_cause(answer, cause, hint):
    _rejected(check("01-ask", answer), cause, hint)


def test_ask_ignoring_temperature_is_not_reported_as_sending_none():
    fb = check("01-ask", ask_ignores_temperature)
    assert "`temperature=None`" not in str(fb), str(fb)


# ================================================================================================
# 01-cost: valid
# ================================================================================================


def cost_with_catalog_helper(usage, model):
    return catalog.estimate_cost(model, usage.prompt_tokens, usage.completion_tokens)


def cost_divide_first(usage, model):
    info = catalog.model_info(model)
    output_tokens = usage.total_tokens - usage.prompt_tokens
    return usage.prompt_tokens / 1e6 * info.input_price_per_1m + output_tokens / 1e6 * (
        info.output_price_per_1m
    )


def cost_decimal(usage, model):
    info = catalog.model_info(model)
    price_in = Decimal(str(info.input_price_per_1m))
    price_out = Decimal(str(info.output_price_per_1m))
    return (usage.prompt_tokens * price_in + usage.completion_tokens * price_out) / 1_000_000


def cost_fraction(usage, model):
    info = catalog.model_info(model)
    return Fraction(
        usage.prompt_tokens * Fraction(str(info.input_price_per_1m))
        + usage.completion_tokens * Fraction(str(info.output_price_per_1m)),
        1_000_000,
    )


@pytest.mark.parametrize(
    "answer",
    [cost_with_catalog_helper, cost_divide_first, cost_decimal, cost_fraction],
    ids=lambda f: f.__name__,
)
def test_cost_valid_answers_pass(answer):
    _ok(check("01-cost", answer))


# ================================================================================================
# 01-cost: wrong
# ================================================================================================


def cost_rounded(usage, model):
    info = catalog.model_info(model)
    cost = (
        usage.prompt_tokens * info.input_price_per_1m
        + usage.completion_tokens * info.output_price_per_1m
    ) / 1_000_000
    return round(cost, 4)


def cost_anthropic_names(usage, model):
    info = catalog.model_info(model)
    return (
        usage.input_tokens * info.input_price_per_1m
        + usage.output_tokens * info.output_price_per_1m
    ) / 1_000_000


def cost_subscript(usage, model):
    info = catalog.model_info(model)
    return (
        usage["prompt_tokens"] * info.input_price_per_1m
        + usage["completion_tokens"] * info.output_price_per_1m
    ) / 1_000_000


def cost_in_cents(usage, model):
    return cost_with_catalog_helper(usage, model) * 100


WRONG_COST = [
    (cost_rounded, "반올림", "`catalog.format_cost`"),
    (cost_anthropic_names, "`input_tokens`", "`usage.prompt_tokens`"),
    (cost_subscript, "딕셔너리처럼", "`usage.prompt_tokens`"),
    (cost_in_cents, "센트", "달러"),
]


@pytest.mark.parametrize(
    ("answer", "cause", "hint"), WRONG_COST, ids=[w[0].__name__ for w in WRONG_COST]
)
def test_cost_wrong_answers_name_the_cause(answer, cause, hint):
    fb = check("01-cost", answer)
    assert fb.status == "failed", str(fb)  # a Korean verdict, not a crash report
    # the cause is named either in the ❌ line or in the 💡 line under it
    assert any(cause in line for line in [*fb.failures, *fb.hints]), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)
