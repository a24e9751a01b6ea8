"""01-deterministic: every answer the API accepts and the lesson teaches passes; plausible wrong
answers are rejected with a Korean message that names their real cause.

The lesson (notebooks/01_openai_chat_completions.ipynb, 4절) teaches that ``temperature`` and
``top_p`` are two knobs for the same thing and the lab hint says to turn only one of them; it also
warns (3절, SDK docstring) that reasoning tokens count toward ``max_completion_tokens``.
"""

from __future__ import annotations

import pytest

from helpers import catalog
from helpers.labs import check
from helpers.labs.lesson01 import FakeOpenAIClient

# --- valid answers written differently from the reference {"temperature": 0, "max_completion_tokens": 5}

VALID = {
    # (a) only the other knob: temperature left unset, top_p turned down (the lesson's 0.1 demo)
    "top_p_only": {"top_p": 0.1, "max_completion_tokens": 5},
    # temperature explicitly at its default while top_p does the narrowing
    "top_p_with_default_temperature": {"temperature": 1, "top_p": 0.05, "max_completion_tokens": 4},
    # keyword style, float zero, top_p explicitly left at its default
    "dict_keywords_explicit_defaults": dict(temperature=0.0, top_p=1, max_completion_tokens=3),
    # (b) reasoning on: a limit above 20 leaves room for the reasoning tokens
    "reasoning_with_room": {
        "temperature": 0,
        "reasoning_effort": "low",
        "max_completion_tokens": 200,
    },
    "reasoning_minimal_top_p": {
        "reasoning_effort": "minimal",
        "top_p": 0.1,
        "max_completion_tokens": 64,
    },
    # reasoning on with the deprecated `max_tokens`: the SDK says only that it "is not compatible
    # with o-series models" (resources/chat/completions/completions.py), not with every reasoning
    # model, so it passes with a pointer to `max_completion_tokens`
    "reasoning_with_max_tokens": {
        "temperature": 0,
        "reasoning_effort": "high",
        "max_tokens": 300,
    },
    # reasoning explicitly off: the one-word limit applies as usual
    "reasoning_none_small_limit": {
        "temperature": 0,
        "reasoning_effort": "none",
        "max_completion_tokens": 5,
    },
}


@pytest.mark.parametrize("params", list(VALID.values()), ids=list(VALID))
def test_valid_alternative_answers_pass(params):
    fb = check("01-deterministic", params)
    assert fb.passed, str(fb)
    assert fb.status == "passed" and not fb.failures, str(fb)


@pytest.mark.parametrize("params", list(VALID.values()), ids=list(VALID))
def test_valid_answers_are_accepted_by_the_sdk_signature(params):
    # The lab's interface is `client.chat.completions.create(model=..., messages=..., **PARAMS)`;
    # the fake client rejects names the installed SDK does not take, like the real one.
    client = FakeOpenAIClient()
    client.chat.completions.create(
        model=catalog.default_model("openai"),
        messages=[{"role": "user", "content": "배송이 빨라서 좋았어요."}],
        **params,
    )
    limit = "max_completion_tokens" if "max_completion_tokens" in params else "max_tokens"
    assert client.calls[0][limit] == params[limit]


def test_top_p_only_says_why_it_works():
    fb = check("01-deterministic", VALID["top_p_only"])
    assert "`top_p=0.1`: 확률 상위 후보만 남기므로" in str(fb)


def test_reasoning_with_max_tokens_quotes_the_sdk_not_a_general_rule():
    fb = check("01-deterministic", VALID["reasoning_with_max_tokens"])
    text = str(fb)
    assert "o-series 모델과는 호환되지 않습니다" in text, text
    assert "reasoning 모델과 호환되지 않습니다" not in text, text
    assert "기본값만 받을 수 있습니다" not in text, text
    assert "Parameter support can differ" in text, text


def test_reasoning_with_room_says_reasoning_tokens_fit():
    fb = check("01-deterministic", VALID["reasoning_with_room"])
    assert "추론 토큰과 한 단어 답이 함께 들어갈 여유" in str(fb)


# --- wrong answers a learner would plausibly write: rejected, and the message names the cause

WRONG = [
    pytest.param(
        {"temperature": 0.5, "top_p": 0.5, "max_completion_tokens": 5},
        "`temperature=0.5`, `top_p=0.5`: 두 매개변수를 둘 다 바꿨습니다",
        "둘 중 하나만",
        id="both_knobs_changed",
    ),
    pytest.param(
        {"temperature": 0, "reasoning_effort": "medium", "max_completion_tokens": 5},
        "추론 토큰도 출력 한도에 포함되므로",
        "한도를 늘리세요",
        id="reasoning_limit_too_small",
    ),
    pytest.param(
        {"temperature": 1.5, "max_completion_tokens": 5},
        "`temperature=1.5`: 분류 작업에는 너무 높습니다",
        "0으로 두세요",
        id="temperature_1_5",
    ),
    pytest.param(
        {"top_p": 0.9, "max_completion_tokens": 5},
        "`top_p=0.9`: 후보를 충분히 좁히지 못해",
        "0.1처럼 작게",
        id="top_p_barely_lowered",
    ),
    pytest.param(
        {"temperature": 1, "max_completion_tokens": 5},
        "`temperature=1`: 기본값이라 다양성을 줄이는 매개변수를 하나도 바꾸지 않았습니다",
        "`temperature`를 0으로",
        id="temperature_explicit_default",
    ),
    pytest.param(
        {"temperature": 3, "max_completion_tokens": 5},
        "API가 받는 범위(0~2)를 벗어나",
        "0~2 사이",
        id="temperature_out_of_api_range",
    ),
    pytest.param(
        {"temperature": 0, "reasoning_effort": "high", "max_tokens": 5},
        "추론 토큰도 출력 한도에 포함되므로",
        "한도를 늘리세요",
        id="reasoning_max_tokens_too_small",
    ),
    pytest.param(
        {"temperature": 0, "reasoning_effort": "hgih", "max_completion_tokens": 200},
        "`reasoning_effort='hgih'`: API가 받는 값이 아닙니다",
        "'high'",
        id="reasoning_effort_typo",
    ),
]


@pytest.mark.parametrize(("params", "cause", "hint"), WRONG)
def test_wrong_answers_are_rejected_naming_the_cause(params, cause, hint):
    fb = check("01-deterministic", params)
    assert not fb.passed, str(fb)
    # exactly one failure, and it is the real cause (no misleading second complaint)
    assert len(fb.failures) == 1, str(fb)
    assert cause in fb.failures[0], str(fb)
    assert any(hint in h for h in fb.hints), str(fb)
