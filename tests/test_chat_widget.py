"""helpers.chat_widget: the send logic, rendering, and the widget wiring (no browser needed)."""

from __future__ import annotations

import pytest

from helpers import catalog
from helpers.chat_widget import ChatSession, chat_widget, context_share
from helpers.conversation import Conversation
from helpers.labs.lesson01 import FakeOpenAIClient

MODEL = catalog.default_model("openai")


def char_count(messages):
    return sum(2 + len(m.get("content") or "") for m in messages)


class BrokenClient:
    def __init__(self):
        self.calls = 0

        class Completions:
            @staticmethod
            def create(**kwargs):
                self.calls += 1
                raise ConnectionError("연결이 끊겼습니다")

        self.chat = type("Chat", (), {"completions": Completions})()


def test_send_keeps_the_turn_and_calls_once_with_the_policy_applied():
    client = FakeOpenAIClient()
    conv = Conversation("간결하게", keep_last_turns=1, count_tokens=char_count)
    session = ChatSession(client, conv, model=MODEL, create_kwargs={"max_completion_tokens": 50})
    first = session.send("첫 질문")
    second = session.send("두 번째 질문")
    assert first.ok and second.ok
    assert [m["role"] for m in conv.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert conv.last_reply == second.reply == client.returned[1].choices[0].message.content
    assert client.calls[1] == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "간결하게"},
            {"role": "user", "content": "두 번째 질문"},
        ],
        "max_completion_tokens": 50,
    }
    assert second.prompt_tokens == client.returned[1].usage.prompt_tokens
    assert second.estimated_prompt_tokens == char_count(client.calls[1]["messages"])


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_input_is_refused_without_calling(text):
    client = FakeOpenAIClient()
    conv = Conversation("s")
    session = ChatSession(client, conv, model=MODEL)
    result = session.send(text)
    assert not result.ok and "비어 있습니다" in result.error
    assert client.calls == [] and conv.messages == [{"role": "system", "content": "s"}]


def test_api_error_is_reported_and_the_half_turn_is_dropped():
    client = BrokenClient()
    conv = Conversation("s")
    conv.add_user("앞 질문")
    conv.add_assistant("앞 답")
    before = conv.messages
    session = ChatSession(client, conv, model=MODEL)
    result = session.send("새 질문")
    assert client.calls == 1
    assert not result.ok and result.error == "ConnectionError: 연결이 끊겼습니다"
    assert conv.messages == before


def test_history_is_escaped_and_trimmed_turns_are_marked():
    conv = Conversation("s", keep_last_turns=1, count_tokens=char_count)
    conv.add_user("<script>alert(1)</script>")
    conv.add_assistant("답 1")
    conv.add_user("질문 2")
    session = ChatSession(FakeOpenAIClient(), conv, model=MODEL)
    page = session.history_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("다음 요청에서 빠짐") == 2  # the first user message and its reply


def test_empty_history_invites_a_question():
    session = ChatSession(FakeOpenAIClient(), Conversation("s"), model=MODEL)
    assert "아직 대화가 없습니다" in session.history_html()


def test_status_counts_tokens_budget_and_context_share():
    conv = Conversation("s", budget=1000, count_tokens=char_count)
    session = ChatSession(FakeOpenAIClient(), conv, model=MODEL)
    session.send("안녕하세요")
    status = session.status_text()
    sent = char_count(conv.to_openai())
    window = catalog.model_info(MODEL).context_window
    assert "턴 1개" in status
    assert f"보낼 기록 ≈ {sent:,} 토큰" in status
    assert "예산 1,000" in status
    assert f"컨텍스트 {window:,}의 0.01% 미만" in status and sent / window < 0.0001
    assert f"입력 {session.last.prompt_tokens:,}" in status


def test_status_explains_a_history_that_cannot_fit():
    conv = Conversation("s", budget=10, count_tokens=char_count)
    conv.add_user("아주 긴 질문입니다")
    session = ChatSession(FakeOpenAIClient(), conv, model=MODEL)
    assert "⚠️ 가장 최근 턴" in session.status_text()
    assert "다음 요청에서 빠짐" not in session.history_html()


def test_bad_arguments_are_korean_errors():
    with pytest.raises(TypeError, match="Conversation"):
        ChatSession(FakeOpenAIClient(), [], model=MODEL)
    with pytest.raises(ValueError, match="model이 비어"):
        ChatSession(FakeOpenAIClient(), Conversation(), model=" ")


# --- the widget ----------------------------------------------------------------------------------


def test_widget_send_button_updates_history_status_and_clears_input():
    client = FakeOpenAIClient()
    ui = chat_widget(client, system="간결하게", create_kwargs={"max_completion_tokens": 30})
    assert ui.session.model == MODEL
    ui.input.value = "Transformer가 뭔가요?"
    assert client.calls == []  # typing never calls
    ui.send_button.click()
    assert len(client.calls) == 1
    assert ui.input.value == ""
    assert "Transformer가 뭔가요?" in ui.history.value
    assert client.returned[0].choices[0].message.content in ui.history.value
    assert "턴 1개" in ui.status.value and "✅" in ui.message.value
    assert ui.send_button.disabled is False


def test_widget_keeps_the_text_and_shows_the_error_when_sending_fails():
    client = BrokenClient()
    ui = chat_widget(client, Conversation("s"))
    ui.input.value = "보낼 질문"
    ui.send_button.click()
    assert ui.input.value == "보낼 질문"  # nothing typed is lost
    assert "❌ ConnectionError" in ui.message.value
    assert "보낼 질문" not in ui.history.value


def test_widget_empty_input_shows_korean_error():
    client = FakeOpenAIClient()
    ui = chat_widget(client)
    ui.send_button.click()
    assert client.calls == [] and "비어 있습니다" in ui.message.value


def test_widget_reset_keeps_system_and_clears_turns():
    client = FakeOpenAIClient()
    conv = Conversation("s")
    ui = chat_widget(client, conv)
    ui.input.value = "질문"
    ui.send_button.click()
    ui.reset_button.click()
    assert conv.messages == [{"role": "system", "content": "s"}]
    assert "아직 대화가 없습니다" in ui.history.value and "턴 0개" in ui.status.value


def test_widget_is_a_displayable_box():
    import ipywidgets as widgets

    ui = chat_widget(FakeOpenAIClient())
    assert isinstance(ui.box, widgets.VBox)
    assert ui.box.children[0] is ui.history and ui.box.children[1] is ui.input


@pytest.mark.parametrize(
    ("tokens", "window", "shown"),
    [
        (1, 400_000, "0.01% 미만"),
        (0, 400_000, "0.00%"),
        (5_000, 400_000, "1.25%"),
        (400_000, 400_000, "100.00%"),
    ],
)
def test_context_share(tokens, window, shown):
    assert context_share(tokens, window) == shown
