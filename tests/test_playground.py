"""helpers.playground: request building, one-call runs, and the widget (click calls, sliders don't)."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import openai
import pytest

from helpers import catalog, playground, replay
from helpers.labs.lesson01 import FakeOpenAIClient
from helpers.playground import build_request, format_result, run_request
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore
from tests.conftest import author, openai_request

MODEL = catalog.default_model("openai")
PROMPT = "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."
LESSON = "01_openai_chat_completions"


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


# --- the widget against the replay server (what a learner without a key sees) -------------------

LESSON_FIXTURES = Path(__file__).resolve().parent.parent / "helpers" / "fixtures" / LESSON
DEFAULT_FIXTURE = "27-playground-default"
LISTED = (
    "처음 설정, temperature 0.0, temperature 0.7, top_p 0.50, max_completion_tokens 20, "
    "모델 gpt-5.4"
)


def stored_answer(name: str) -> str:
    data = json.loads((LESSON_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data["response"]["body"]["choices"][0]["message"]["content"]


@pytest.fixture
def replay_playground(monkeypatch):
    """A playground whose client talks to a replay server, as helpers.setup() arranges it."""
    servers = []

    def make(*, strict: bool, dirs: list[Path] | None = None, **options):
        server = ReplayServer(FixtureStore(dirs or [LESSON_FIXTURES]), speed=0, strict=strict)
        servers.append(server)
        monkeypatch.setattr(replay, "_server", server)
        client = openai.OpenAI(api_key="t", base_url=server.base_url("openai"), max_retries=0)
        return server, playground.build_playground(client, **options)

    yield make
    for server in servers:
        server.close()


def shown(ui) -> tuple[str, str]:
    (output,) = ui.output.outputs
    return output["name"], output["text"]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_first_click_with_default_settings_answers_from_its_own_fixture(replay_playground, strict):
    server, ui = replay_playground(strict=strict)
    ui.button.click()
    stream, text = shown(ui)
    assert stream == "stdout", text
    assert stored_answer(DEFAULT_FIXTURE) in text
    assert server.requests[-1].fixture == DEFAULT_FIXTURE
    assert server.warnings == []  # an exact match, not a stand-in
    assert ui.details.value == ""


def _set_controls(ui, body: dict) -> None:
    ui.model.value = body["model"]
    ui.temperature.value = body.get("temperature", 1.0)
    ui.top_p.value = body.get("top_p", 1.0)
    ui.max_tokens.value = body.get("max_completion_tokens", 0)


def test_every_advertised_setting_answers_exactly_in_strict_mode(replay_playground):
    server, ui = replay_playground(strict=True)
    choices = ui.stored_choices()
    assert len(choices) == 6
    for body in choices:
        _set_controls(ui, body)
        assert "✅ 지금 설정에는 저장된 응답이 있습니다." in ui.replay_note.value
        ui.button.click()
        stream, text = shown(ui)
        assert stream == "stdout", text
        assert server.requests[-1].fixture is not None and server.warnings == []


def test_note_names_the_stored_settings_of_the_lesson(replay_playground):
    _, ui = replay_playground(strict=False)
    note = ui.replay_note.value
    assert f"다음 설정의 응답이 저장되어 있습니다: {LISTED} (" in note
    assert (
        "처음 설정: 모델 gpt-5.4-mini · temperature 1.0 · top_p 1.00 · max_completion_tokens 200"
        in note
    )
    assert note.endswith("✅ 지금 설정에는 저장된 응답이 있습니다.</small>")


def test_note_is_computed_from_the_store(replay_playground, fixture_dir):
    body = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    author(fixture_dir, "a", openai_request({**body, "max_completion_tokens": 200}), answer="답 A")
    server, ui = replay_playground(strict=True, dirs=[fixture_dir])
    assert "저장되어 있습니다: 처음 설정 (" in ui.replay_note.value
    author(
        fixture_dir,
        "b",
        openai_request({**body, "max_completion_tokens": 200, "temperature": 1.5}),
        answer="답 B",
    )
    server.store.reload()
    ui.top_p.value = 0.9  # any change redraws the note
    assert "저장되어 있습니다: 처음 설정, temperature 1.5 (" in ui.replay_note.value


def test_settings_the_controls_cannot_send_are_not_advertised(replay_playground):
    # The lesson's poem cells store temperature=0 (an int): the strict matcher does not take
    # the slider's 0.0 for it, so the note must not offer it.
    server, ui = replay_playground(strict=True)
    ui.prompt.value = "봄을 주제로 한 문장짜리 짧은 시를 지어 주세요."
    note = ui.replay_note.value
    assert (
        "temperature 1.2 · max_completion_tokens 80, top_p 0.10 · max_completion_tokens 80" in note
    )
    assert "temperature 0.0" not in note
    ui.temperature.value, ui.max_tokens.value = 0.0, 80
    ui.button.click()
    assert shown(ui)[0] == "stderr" and server.requests[-1].note == "miss"


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_note_says_whether_the_current_setting_is_stored(replay_playground, strict):
    _, ui = replay_playground(strict=strict)
    ui.temperature.value = 0.3
    note = ui.replay_note.value
    assert "✅" not in note and "⚠️ 지금 설정에는 저장된 응답이 없" in note
    if strict:
        assert "실행해도 답이 나오지 않습니다(엄격 모드)" in note
    else:
        assert (
            "다른 설정(처음 설정)의 응답이 대신 나옵니다. 이 설정으로 만든 답이 아닙니다." in note
        )


def test_a_miss_is_one_short_korean_line_with_the_fix(replay_playground):
    server, ui = replay_playground(strict=True)
    ui.temperature.value = 0.3
    ui.button.click()
    stream, text = shown(ui)
    assert stream == "stderr"
    assert text.splitlines() == [
        "요청: 모델 gpt-5.4-mini · temperature=0.3, max_completion_tokens=200",
        f"❌ 이 설정에 저장된 응답이 없습니다. 저장된 설정({LISTED}) 중 하나로 바꾸거나, "
        "키를 넣어 실제 API로 실행하세요.",
    ]
    # The server's full diagnostic stays available, folded away.
    assert ui.details.value.startswith("<details><summary>")
    assert "make record" in ui.details.value and server.requests[-1].note == "miss"


def test_an_unstored_prompt_says_to_go_back_to_the_first_one(replay_playground):
    _, ui = replay_playground(strict=False)
    ui.prompt.value = "한 단어로 답하세요: 하늘은 무슨 색인가요?"
    expected = "이 프롬프트에는 저장된 응답이 없습니다. 처음 프롬프트로 되돌리거나, 키를 넣어 실제 API로 실행하세요."
    assert expected in ui.replay_note.value
    ui.button.click()
    assert shown(ui)[1].splitlines()[-1] == f"❌ {expected}"


def test_a_lenient_stand_in_is_labelled_as_such(replay_playground):
    server, ui = replay_playground(strict=False)
    ui.temperature.value = 0.3
    ui.button.click()
    stream, text = shown(ui)
    assert stream == "stdout" and stored_answer(DEFAULT_FIXTURE) in text
    assert (
        "참고: 이 설정에 저장된 응답이 없어, 저장된 다른 설정(처음 설정)의 응답을 대신 보여 줍니다."
        in text
    )
    assert server.requests[-1].fixture == DEFAULT_FIXTURE


def test_note_in_live_and_record_mode(replay_playground):
    live = playground.build_playground(FakeOpenAIClient())
    assert "라이브 모드" in live.replay_note.value and "실제 OpenAI API" in live.replay_note.value
    server, ui = replay_playground(strict=False)
    server.modes["openai"] = "record"
    ui.temperature.value = 0.3
    assert "녹화 모드" in ui.replay_note.value and "저장되어 있습니다" not in ui.replay_note.value


def test_describe_setting_names_what_differs_from_the_first_settings():
    first = {"model": MODEL, "messages": [], "max_completion_tokens": 200}
    assert playground.describe_setting(dict(first), first) == "처음 설정"
    assert (
        playground.describe_setting(
            {"model": "gpt-5.4", "messages": [], "temperature": 0.7, "top_p": 0.5}, first
        )
        == "모델 gpt-5.4 · temperature 0.7 · top_p 0.50 · max_completion_tokens 0(제한 없음)"
    )
    assert playground.describe_first(first) == (
        f"모델 {MODEL} · temperature 1.0 · top_p 1.00 · max_completion_tokens 200"
    )
