"""helpers.playground: request building, one-call runs, and the widget (click calls, sliders don't)."""

from __future__ import annotations

import inspect
import re

import pytest

from helpers import catalog, playground
from helpers.labs.lesson01 import FakeOpenAIClient
from helpers.playground import build_request, format_result, run_request

MODEL = catalog.default_model("openai")
PROMPT = "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."


# --- build_request ------------------------------------------------------------------------------


def test_defaults_are_omitted():
    kwargs = build_request(PROMPT, MODEL)
    assert kwargs == {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    assert kwargs.notes == []


def test_system_message_comes_first():
    kwargs = build_request(PROMPT, MODEL, system="간결하게 답하세요.")
    assert [m["role"] for m in kwargs["messages"]] == ["system", "user"]
    assert kwargs["messages"][0]["content"] == "간결하게 답하세요."


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"temperature": 0.0}, {"temperature": 0.0}),
        ({"temperature": 1.5}, {"temperature": 1.5}),
        ({"top_p": 0.3}, {"top_p": 0.3}),
        ({"max_completion_tokens": 50}, {"max_completion_tokens": 50}),
        ({"max_completion_tokens": 0}, {}),
        ({"max_completion_tokens": None}, {}),
        ({"temperature": 1.0, "top_p": 1.0}, {}),
    ],
)
def test_only_changed_parameters_are_sent(changes, expected):
    kwargs = build_request(PROMPT, MODEL, **changes)
    extra = {k: v for k, v in kwargs.items() if k not in ("model", "messages")}
    assert extra == expected
    assert kwargs.notes == []


def test_changing_both_temperature_and_top_p_adds_a_korean_note():
    kwargs = build_request(PROMPT, MODEL, temperature=0.2, top_p=0.5)
    assert kwargs["temperature"] == 0.2 and kwargs["top_p"] == 0.5
    assert len(kwargs.notes) == 1 and "둘 중 하나만" in kwargs.notes[0]


def test_request_keys_are_real_sdk_parameters():
    from openai.resources.chat.completions import Completions

    allowed = set(inspect.signature(Completions.create).parameters)
    kwargs = build_request(PROMPT, MODEL, temperature=0.2, top_p=0.5, max_completion_tokens=9)
    assert set(kwargs) <= allowed


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("  ", MODEL), ValueError, "프롬프트가 비어"),
        ((PROMPT, ""), ValueError, "모델 id가 비어"),
        ((PROMPT, MODEL, 2.5), ValueError, "temperature은(는) 0.0~2.0"),
        ((PROMPT, MODEL, 1.0, -0.1), ValueError, "top_p은(는) 0.0~1.0"),
        ((PROMPT, MODEL, 1.0, 1.0, -1), ValueError, "0(제한 없음) 이상"),
        ((PROMPT, MODEL, 1.0, 1.0, 2.5), TypeError, "정수"),
        ((PROMPT, MODEL, "0.5"), TypeError, "숫자"),
    ],
)
def test_bad_input_gets_a_korean_message(args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build_request(*args)


# --- run_request / format_result --------------------------------------------------------------


def test_run_request_with_fake_client():
    client = FakeOpenAIClient()
    kwargs = build_request(PROMPT, MODEL, temperature=0.2, max_completion_tokens=40)
    result = run_request(client, kwargs)
    assert client.calls == [dict(kwargs)]
    response = client.returned[0]
    assert result.ok and result.text == response.choices[0].message.content
    assert result.finish_reason == "stop"
    usage = response.usage
    assert (result.prompt_tokens, result.completion_tokens, result.total_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
    )
    assert result.cost_usd == catalog.estimate_cost(
        MODEL, usage.prompt_tokens, usage.completion_tokens
    )
    assert result.elapsed_s >= 0


def test_run_request_reports_errors_instead_of_raising():
    class Broken:
        class chat:  # noqa: N801 - mimics client.chat.completions
            class completions:  # noqa: N801
                @staticmethod
                def create(**kwargs):
                    raise ConnectionError("연결 끊김")

    result = run_request(Broken(), build_request(PROMPT, MODEL))
    assert not result.ok
    assert result.error == "API 호출이 실패했습니다: ConnectionError: 연결 끊김"
    assert "❌ API 호출이 실패했습니다" in format_result(result)


def test_run_request_unknown_model_has_no_cost():
    result = run_request(FakeOpenAIClient(), build_request(PROMPT, "my-finetune"))
    assert result.ok and result.cost_usd is None
    assert "가격 정보 없음" in format_result(result)


def test_format_result_in_korean():
    client = FakeOpenAIClient()
    kwargs = build_request(PROMPT, MODEL, temperature=0.1, top_p=0.9)
    result = run_request(client, kwargs)
    result.finish_reason = "length"
    text = format_result(result, krw_per_usd=1400)
    assert text.splitlines()[0] == f"요청: 모델 {MODEL} · temperature=0.1, top_p=0.9"
    assert "참고: temperature와 top_p를 둘 다 바꿨습니다" in text
    assert result.text in text
    assert "종료 이유: length (출력 한도(max_completion_tokens)에 걸려 잘림)" in text
    assert f"토큰: 입력 {result.prompt_tokens:,} · 출력 {result.completion_tokens:,}" in text
    assert "원, 1달러=1,400원 기준)" in text


# --- the widget -----------------------------------------------------------------------------------


def test_widget_click_calls_once_and_sliders_never_call():
    client = FakeOpenAIClient()
    ui = playground.build_playground(client)
    assert ui.model.value == MODEL
    ui.temperature.value = 0.3
    ui.top_p.value = 0.5
    ui.max_tokens.value = 60
    ui.model.value = catalog.default_model("openai", alt=True)
    ui.prompt.value = "한 단어로 답하세요: 하늘은 무슨 색인가요?"
    assert client.calls == []
    assert "둘 다 바꿨습니다" in ui.note.value

    ui.button.click()
    assert client.calls == [
        {
            "model": "gpt-5.4",
            "messages": [{"role": "user", "content": "한 단어로 답하세요: 하늘은 무슨 색인가요?"}],
            "temperature": 0.3,
            "top_p": 0.5,
            "max_completion_tokens": 60,
        }
    ]
    assert len(ui.output.outputs) == 1
    shown = ui.output.outputs[0]["text"]
    assert client.returned[0].choices[0].message.content in shown and "예상 비용" in shown
    assert ui.button.disabled is False

    ui.top_p.value = 1.0
    assert ui.note.value == "" and len(client.calls) == 1
    ui.button.click()
    assert len(client.calls) == 2 and "top_p" not in client.calls[1]
    assert len(ui.output.outputs) == 1  # replaced, not appended


def test_widget_shows_bad_input_without_calling():
    client = FakeOpenAIClient()
    ui = playground.build_playground(client)
    ui.prompt.value = "   "
    ui.button.click()
    assert client.calls == []
    assert ui.output.outputs[0]["name"] == "stderr"
    assert "프롬프트가 비어" in ui.output.outputs[0]["text"]


def test_widget_max_tokens_zero_means_no_limit_and_system_is_sent():
    client = FakeOpenAIClient()
    ui = playground.build_playground(client, system="간결하게")
    ui.max_tokens.value = 0
    ui.button.click()
    assert "max_completion_tokens" not in client.calls[0]
    assert client.calls[0]["messages"][0] == {"role": "system", "content": "간결하게"}


def test_default_model_list_skips_deprecated_models():
    ui = playground.build_playground(FakeOpenAIClient())
    options = list(ui.model.options)
    assert options[0] == MODEL and "gpt-5.4" in options
    assert "gpt-4o-mini" not in options and "gpt-5.4-nano" not in options
    assert all(catalog.deprecation(m) is None for m in options)


def test_playground_returns_a_displayable_box():
    import ipywidgets as widgets

    box = playground.playground(FakeOpenAIClient(), models=["gpt-5.4", "gpt-5.4-mini"])
    assert isinstance(box, widgets.VBox)
    dropdown = box.children[1]
    assert list(dropdown.options) == ["gpt-5.4", "gpt-5.4-mini"]
