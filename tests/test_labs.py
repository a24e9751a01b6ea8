"""helpers.labs: every checker passes its reference solution and rejects wrong answers with the
specific Korean hint; unsolved answers get guidance; learner exceptions never propagate."""

from __future__ import annotations

import pytest

from helpers import catalog, labs
from helpers.labs import TODO, check
from helpers.labs.lesson01 import DEFAULT_SYSTEM, FakeOpenAIClient

DEFAULT_MODEL = catalog.default_model("openai")


# --- reference solutions (what the lesson's 정답 cells contain) --------------------------------


def ask(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ],
        temperature=temperature,
    )
    return response.choices[0].message.content, response.usage


CLASSIFY_PARAMS = {"temperature": 0, "max_completion_tokens": 5}


def call_cost(usage, model):
    info = catalog.model_info(model)
    return (
        usage.prompt_tokens * info.input_price_per_1m
        + usage.completion_tokens * info.output_price_per_1m
    ) / 1_000_000


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [("01-ask", ask), ("01-deterministic", CLASSIFY_PARAMS), ("01-cost", call_cost)],
)
def test_reference_solutions_pass(lab_id, answer):
    fb = check(lab_id, answer)
    assert fb.passed, str(fb)
    assert fb.status == "passed" and not fb.failures


def test_known_labs():
    assert {"01-ask", "01-deterministic", "01-cost"} <= set(labs.known_labs())


# --- 01-ask wrong answers ---------------------------------------------------------------------


def ask_returns_response(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL
):
    return client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        temperature=temperature,
    )


def ask_user_first(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    r = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": question}, {"role": "system", "content": system}],
        temperature=temperature,
    )
    return r.choices[0].message.content, r.usage


def ask_hardcoded(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    r = client.chat.completions.create(
        model="gpt-5.4-mini",
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        temperature=0.7,
    )
    return r.choices[0].message.content, r.usage


_history: list = []


def ask_global_history(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL
):
    if not _history:
        _history.append({"role": "system", "content": system})
    _history.append({"role": "user", "content": question})
    r = client.chat.completions.create(model=model, messages=_history, temperature=temperature)
    return r.choices[0].message.content, r.usage


def ask_no_system(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": question}], temperature=temperature
    )
    return r.choices[0].message.content, r.usage


def ask_message_object(
    client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL
):
    r = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        temperature=temperature,
    )
    return r.choices[0].message, r.usage


def ask_total_only(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    r = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        temperature=temperature,
    )
    return r.choices[0].message.content, r.usage.total_tokens


def ask_wrong_defaults(client, question, system="안녕", temperature=1.0, model=DEFAULT_MODEL):
    return ask(client, question, system, temperature, model)


@pytest.mark.parametrize(
    ("answer", "expected_hint"),
    [
        (ask_returns_response, "튜플을 반환하세요"),
        (ask_user_first, "system 메시지(역할·말투 지시)를 `messages` 맨 앞에"),
        (ask_hardcoded, "`temperature=temperature`로 넘기세요"),
        (ask_global_history, "호출할 때마다 대화가 쌓입니다"),
        (ask_no_system, "`{'role': 'system', 'content': system}`을"),
        (ask_message_object, "메시지의 글자만 필요합니다"),
        (ask_total_only, "`response.usage` 객체를 그대로 반환하면"),
        (ask_wrong_defaults, "기본값은 0.7입니다"),
    ],
)
def test_ask_rejects_wrong_answers_with_specific_hint(answer, expected_hint):
    _history.clear()
    fb = check("01-ask", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


def test_ask_hardcoded_model_is_named():
    fb = check("01-ask", ask_hardcoded)
    assert any("`model=model`로 넘기세요" in h for h in fb.hints), str(fb)


def test_ask_wrong_signature():
    def ask(client, q):
        return "", None

    fb = check("01-ask", ask)
    assert not fb.passed and "순서와 이름" in fb.hints[0]


def test_ask_positional_create_is_reported_not_raised():
    def ask_positional(
        client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL
    ):
        r = client.chat.completions.create(model, [{"role": "user", "content": question}])
        return r.choices[0].message.content, r.usage

    fb = check("01-ask", ask_positional)
    assert fb.status == "error"
    assert "TypeError" in fb.failures[0] and "키워드 인자" in fb.hints[0]


def test_ask_with_the_responses_api_is_pointed_to_chat_completions():
    def ask_responses(
        client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL
    ):
        r = client.responses.create(model=model, input=question, instructions=system)
        return r.output_text, r.usage

    fb = check("01-ask", ask_responses)
    assert fb.status == "error" and "Chat Completions API를 씁니다" in fb.failures[0]


def test_ask_deprecated_max_tokens_gets_a_note_but_passes():
    def ask_max_tokens(
        client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL
    ):
        r = client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
            temperature=temperature,
            max_tokens=200,
        )
        return r.choices[0].message.content, r.usage

    fb = check("01-ask", ask_max_tokens)
    assert fb.passed and "max_completion_tokens" in str(fb)


# --- 01-deterministic wrong answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected_hint"),
    [
        ({"temperature": 0.9, "max_completion_tokens": 5}, "0으로 두세요"),
        ({"max_completion_tokens": 5}, "`temperature`를 0으로"),
        ({"temperature": 0, "top_p": 0.1, "max_completion_tokens": 5}, "둘 중 하나만"),
        ({"temperature": 0}, "`max_completion_tokens`를 작게"),
        ({"temperature": 0, "max_completion_tokens": 500}, "1~20 사이"),
        ({"temperature": 0, "max_completion_tokens": 5, "frequency_penalty": 0.5}, "패널티"),
        ({"temperature": 0, "max_completion_tokens": 5, "presence_penalty": 1}, "패널티"),
        ({"temprature": 0, "max_completion_tokens": 5}, "`temperature`인가요?"),
        ({"temperature": 0, "max_completion_tokens": 5, "max_tokens": 5}, "하나만 쓰세요"),
    ],
)
def test_deterministic_rejects_wrong_params_with_specific_hint(params, expected_hint):
    fb = check("01-deterministic", params)
    assert not fb.passed, str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


def test_deterministic_accepts_low_temperature_and_deprecated_max_tokens_with_notes():
    fb = check("01-deterministic", {"temperature": 0.1, "max_tokens": 3})
    assert fb.passed, str(fb)
    text = str(fb)
    assert "0이 가장 좋습니다" in text and "deprecated" in text


def test_deterministic_not_a_dict():
    fb = check("01-deterministic", [("temperature", 0)])
    assert not fb.passed and "딕셔너리" in fb.failures[0]


# --- 01-cost wrong answers ---------------------------------------------------------------------


def cost_per_1k(usage, model):
    info = catalog.model_info(model)
    return (
        usage.prompt_tokens * info.input_price_per_1m
        + usage.completion_tokens * info.output_price_per_1m
    ) / 1000


def cost_swapped(usage, model):
    info = catalog.model_info(model)
    return (
        usage.prompt_tokens * info.output_price_per_1m
        + usage.completion_tokens * info.input_price_per_1m
    ) / 1_000_000


def cost_input_only(usage, model):
    return usage.prompt_tokens * catalog.model_info(model).input_price_per_1m / 1_000_000


def cost_fixed_model(usage, model):
    return call_cost(usage, "gpt-5.4-mini")


def cost_total_tokens(usage, model):
    return usage.total_tokens * catalog.model_info(model).input_price_per_1m / 1_000_000


def cost_string(usage, model):
    return catalog.format_cost(call_cost(usage, model))


@pytest.mark.parametrize(
    ("answer", "expected_hint"),
    [
        (cost_per_1k, "1K(1,000) 토큰 단위"),
        (cost_swapped, "입력·출력 가격이 바뀌었습니다"),
        (cost_input_only, "출력 토큰(`usage.completion_tokens`) 비용이 빠졌습니다"),
        (cost_fixed_model, "`model` 인자와 상관없이 `gpt-5.4-mini` 가격"),
        (cost_total_tokens, "`total_tokens`에 입력 가격 하나만"),
        (cost_string, "숫자를 반환하세요"),
    ],
)
def test_cost_rejects_classic_mistakes_with_specific_hint(answer, expected_hint):
    fb = check("01-cost", answer)
    assert not fb.passed, str(fb)
    assert any(expected_hint in h for h in fb.hints), str(fb)


def test_cost_tolerance_is_tight():
    fb = check("01-cost", lambda usage, model: call_cost(usage, model) + 1e-6)
    assert not fb.passed


# --- unsolved answers ---------------------------------------------------------------------------


def stub_ellipsis(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    """TODO: 여기에 코드를 쓰세요."""
    ...


def template_ask(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    # TODO: client.chat.completions.create(...)를 호출하고 (답변 텍스트, usage)를 돌려주세요.
    return TODO


def started_ask(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    messages = [{"role": "system", "content": system}]  # started, not finished
    print(len(messages))
    return TODO


def started_cost(usage, model):
    info = catalog.model_info(model)  # started, but the result is still the sentinel
    print(info.id)
    return TODO


def stub_pass(usage, model):
    # TODO
    pass


def stub_not_implemented(usage, model):
    raise NotImplementedError("TODO")


def partly_written(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=DEFAULT_MODEL):
    response = client.chat.completions.create(
        model=..., messages=[{"role": "user", "content": ...}]
    )
    return response.choices[0].message.content, response.usage


def raises_not_implemented_later(usage, model):
    info = catalog.model_info(model)
    if info:
        raise NotImplementedError


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [
        ("01-ask", None),
        ("01-ask", ...),
        ("01-ask", TODO),
        ("01-ask", stub_ellipsis),
        ("01-ask", partly_written),
        ("01-ask", template_ask),
        ("01-ask", started_ask),
        ("01-cost", started_cost),
        ("01-cost", stub_pass),
        ("01-cost", stub_not_implemented),
        ("01-cost", raises_not_implemented_later),
        ("01-deterministic", {"temperature": ..., "max_completion_tokens": TODO}),
        ("01-deterministic", {}),
    ],
)
def test_unsolved_answers_get_guidance_and_do_not_raise(lab_id, answer):
    fb = check(lab_id, answer)
    assert fb.status == "unsolved", str(fb)
    assert not fb.passed
    assert "아직 풀지 않았습니다" in str(fb)
    assert fb.hints


def test_todo_sentinel():
    assert repr(TODO) == "TODO" and not TODO
    assert labs.is_unsolved(TODO) and not labs.is_unsolved(ask)
    assert labs.is_unsolved(template_ask) and labs.is_unsolved(stub_pass)
    assert not labs.is_unsolved(started_ask)  # has real statements: found at run time instead


# --- learner exceptions and robustness ----------------------------------------------------------


def test_learner_exception_is_reported_not_propagated():
    def call_cost(usage, model):
        prices = {"gpt-4o-mini": (0.15, 0.6)}
        return prices[model][0] * usage.prompt_tokens

    fb = check("01-cost", call_cost)
    assert fb.status == "error" and not fb.passed
    assert "KeyError" in fb.failures[0] and "call_cost(usage, 'gpt-5.4-mini')" in fb.failures[0]
    assert "위치: call_cost" in fb.failures[0]
    assert "딕셔너리에 없는 키" in fb.hints[0]


def test_unknown_lab_id():
    fb = check("99-nothing", 1)
    assert fb.status == "error" and "`01-ask`" in fb.failures[0]


def test_checker_bug_is_reported_not_raised():
    @labs.register("00-broken", "broken")
    def broken(answer, fb):
        raise RuntimeError("boom")

    try:
        fb = check("00-broken", 1)
    finally:
        labs._REGISTRY.pop("00-broken", None)
    assert fb.status == "error" and "채점기 내부 오류" in fb.failures[0]


# --- Feedback rendering -------------------------------------------------------------------------


def test_feedback_renders_markdown_and_text():
    fb = labs.Feedback("01-x", "제목").ok("좋아요").fail("틀렸어요", hint="이렇게 하세요")
    text, md = str(fb), fb._repr_markdown_()
    assert text.splitlines()[0] == "[01-x] 제목"
    assert "✅ 좋아요" in text and "❌ 틀렸어요" in text and "💡 이렇게 하세요" in text
    assert md.startswith("**실습 01-x** 제목") and "    - 💡 이렇게 하세요" in md
    assert not fb.passed and fb.status == "failed"
    assert labs.Feedback("01-y").ok("a").passed
    assert not labs.Feedback("01-z").passed  # nothing checked is not a pass
    half_done = labs.Feedback("01-w").ok("앞부분은 맞습니다").todo("뒷부분이 비어 있습니다")
    assert not half_done.passed and half_done.status == "unsolved"
    errored = labs.Feedback("01-v").ok("a").error("boom")
    assert not errored.passed and errored.status == "error"


# --- the fake client behaves like the real SDK method on misuse ----------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("gpt-5.4-mini",), {"messages": []}),
        ((), {"model": "gpt-5.4-mini", "messages": [], "temprature": 0}),
        ((), {"messages": [{"role": "user", "content": "hi"}]}),
    ],
)
def test_fake_client_raises_like_the_real_sdk(args, kwargs):
    from openai import OpenAI

    real = OpenAI(api_key="test", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(TypeError) as real_error:
        real.chat.completions.create(*args, **kwargs)
    with pytest.raises(TypeError) as fake_error:
        FakeOpenAIClient().chat.completions.create(*args, **kwargs)
    assert str(fake_error.value) == str(real_error.value)


def test_fake_client_returns_real_chat_completion():
    from openai.types.chat import ChatCompletion

    client = FakeOpenAIClient()
    response = client.chat.completions.create(
        model="gpt-5.4-mini", messages=[{"role": "user", "content": "질문"}]
    )
    assert isinstance(response, ChatCompletion)
    assert "질문" in response.choices[0].message.content
    assert (
        response.usage.total_tokens
        == response.usage.prompt_tokens + response.usage.completion_tokens
    )
    assert client.calls == [
        {"model": "gpt-5.4-mini", "messages": [{"role": "user", "content": "질문"}]}
    ]
