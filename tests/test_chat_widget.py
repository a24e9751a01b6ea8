"""helpers.chat_widget: the send logic, rendering, and the widget wiring (no browser needed)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import openai
import pytest

from helpers import catalog, replay
from helpers.chat_widget import ChatSession, chat_widget, context_share, markdown_html
from helpers.conversation import Conversation
from helpers.labs.lesson01 import FakeOpenAIClient
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore

MODEL = catalog.default_model("openai")
LESSON_FIXTURES = (
    Path(__file__).resolve().parent.parent / "helpers" / "fixtures" / "02_multi_turn_conversation"
)
# Lesson 02's widget cell, as the notebook writes it.
SYSTEM = "당신은 NLP 전문가입니다. 간결하게 답변합니다."
FIRST_QUESTION = "Transformer의 핵심 메커니즘은 무엇인가요?"
SECOND_QUESTION = "그것이 RNN보다 나은 점은 무엇인가요?"
SAFE_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote"}
SAFE_TAGS |= {"div", "hr"}


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


# --- Markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "핵심은 **셀프 어텐션(self-attention)**입니다.",
            "<p style='margin:2px 0'>핵심은 <strong>셀프 어텐션(self-attention)</strong>입니다.</p>",
        ),
        ("*기울임*과 `code **그대로**`", "<em>기울임</em>과 <code>code **그대로**</code>"),
        ("첫 줄\n둘째 줄", "첫 줄<br>둘째 줄"),
        (
            "- 하나\n- 둘",
            "<ul style='margin:2px 0;padding-left:1.6em'><li>하나</li><li>둘</li></ul>",
        ),
        (
            "3. 셋\n4. 넷",
            "<ol start='3' style='margin:2px 0;padding-left:1.6em'><li>셋</li><li>넷</li></ol>",
        ),
        ("## 제목", ">제목</div>"),
        (
            "```python\nx = '<b>'\n```",
            "<pre style='margin:2px 0;padding:4px;background:#f6f8fa;overflow:auto'><code>x = '&lt;b&gt;'</code></pre>",
        ),
        ("> 인용", "border-left:3px solid #ccc;color:#555'>인용</blockquote>"),
        (
            "[문서](https://example.com/a?b=1&c=2)",
            "<a href='https://example.com/a?b=1&amp;c=2' target='_blank' rel='noopener noreferrer'>문서</a>",
        ),
        ("snake_case_name과 2*3*4", "snake_case_name과 2*3*4"),
    ],
)
def test_markdown_renders_what_replies_use(text, expected):
    assert expected in markdown_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[클릭](javascript:alert(1))",
        "[클릭](https://example.com/' onmouseover='alert(1))",
        "**<b>굵게</b>**alert(1)",
        "`<script>`alert(1)",
        "```\n</code></pre><script>alert(1)</script>\n```",
    ],
)
def test_markdown_cannot_inject_html(text):
    page = markdown_html(text)
    for tag, attributes in re.findall(r"<(/?\w+)([^>]*)>", page):
        assert tag.lstrip("/") in SAFE_TAGS, page
        names = re.findall(r"\s(\w+)=", attributes)
        assert set(names) <= {"style", "start", "href", "target", "rel"}, page
        if tag == "a":
            assert re.match(r"\s*href='https?://[^']*' target=", attributes), page
    assert "alert(1)" in html.unescape(re.sub(r"<[^>]*>", "", page))  # shown as text


def test_history_renders_replies_as_markdown_and_user_text_as_typed():
    conv = Conversation("s")
    conv.add_user("**별표**는 그대로")
    conv.add_assistant("**굵게**\n\n- 항목")
    page = ChatSession(FakeOpenAIClient(), conv, model=MODEL).history_html()
    assert "**별표**는 그대로" in page  # the learner's own text is shown, not rendered
    assert "<strong>굵게</strong>" in page and "<li>항목</li>" in page
    assert "**굵게**" not in page


# --- the widget against the replay server (what a learner without a key sees) -------------------


def stored_reply(name: str) -> str:
    data = json.loads((LESSON_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data["response"]["body"]["choices"][0]["message"]["content"]


@pytest.fixture
def replay_chat(monkeypatch):
    """Lesson 02's widget with a client that talks to a replay server, as setup() arranges it."""
    servers = []

    def make(*, strict: bool, question: str | None = None):
        server = ReplayServer(FixtureStore([LESSON_FIXTURES]), speed=0, strict=strict)
        servers.append(server)
        monkeypatch.setattr(replay, "_server", server)
        client = openai.OpenAI(api_key="t", base_url=server.base_url("openai"), max_retries=0)
        ui = chat_widget(
            client,
            Conversation(SYSTEM, budget=700),
            model=MODEL,
            create_kwargs={"max_completion_tokens": 600, "temperature": 0.7},  # as in the lesson
            question=question,
        )
        return server, ui

    yield make
    for server in servers:
        server.close()


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_first_click_answers_and_renders_markdown(replay_chat, strict):
    server, ui = replay_chat(strict=strict)
    assert ui.input.value == FIRST_QUESTION  # pre-filled from the store
    ui.send_button.click()
    assert "✅" in ui.message.value, ui.message.value
    assert server.warnings == [] and server.requests[-1].fixture is not None
    assert "<strong>셀프 어텐션(self-attention)</strong>입니다." in ui.history.value
    assert ui.history.value.count("<li>") == 3 and "**" not in ui.history.value
    assert markdown_html(stored_reply("04-seed-turn1")) in ui.history.value


def test_after_run_all_the_box_holds_a_question_that_answers(replay_chat):
    # Cell 66 builds the widget and fills the box; cell 68 presses 보내기 in code.
    server, ui = replay_chat(strict=True)
    ui.input.value = FIRST_QUESTION
    ui.send_button.click()
    assert ui.input.value == SECOND_QUESTION
    assert (
        f"저장된 질문: ‘{SECOND_QUESTION}’. 이 질문을 입력 상자에 넣어 두었습니다." in ui.note.value
    )
    ui.send_button.click()  # the learner's first own click
    assert "✅" in ui.message.value, ui.message.value
    assert "<strong>병렬 처리</strong>" in ui.history.value
    assert server.requests[-1].fixture == "05-seed-turn2"


def test_a_given_question_is_pre_filled(replay_chat):
    _, ui = replay_chat(strict=True, question="직접 고른 질문")
    assert ui.input.value == "직접 고른 질문"


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_an_unstored_question_gets_one_short_line_with_the_fix(replay_chat, strict):
    server, ui = replay_chat(strict=strict)
    ui.input.value = "저장되지 않은 질문입니다"
    ui.send_button.click()
    visible, _, folded = ui.message.value.partition("<details>")
    assert visible == (
        "<span style='color:#b91c1c'>❌ 이 질문에는 저장된 응답이 없습니다. 저장된 질문"
        f"(‘{FIRST_QUESTION}’)을 보내거나, 키를 넣어 실제 API로 실행하세요.</span>"
    )
    assert "make record" in folded and "가장 비슷한 픽스처" in folded  # the diagnostic, folded
    assert server.requests[-1].note == "miss"
    assert ui.input.value == "저장되지 않은 질문입니다"  # nothing typed is lost
    assert "저장되지 않은 질문" not in ui.history.value


def test_note_when_the_stored_conversation_runs_out(replay_chat):
    _, ui = replay_chat(strict=True)
    while ui.input.value:
        ui.send_button.click()
        assert "✅" in ui.message.value, ui.message.value
    assert "이어서 보낼 수 있는 저장된 질문이 없습니다" in ui.note.value
    ui.reset_button.click()
    assert ui.input.value == FIRST_QUESTION and "턴 0개" in ui.status.value


def test_note_in_live_and_record_mode(replay_chat):
    live = chat_widget(FakeOpenAIClient())
    assert "라이브 모드" in live.note.value and live.input.value == ""
    server, ui = replay_chat(strict=False)
    server.modes["openai"] = "record"
    ui.reset_button.click()
    assert "녹화 모드" in ui.note.value
