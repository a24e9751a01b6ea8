"""A small chat widget for lesson 02: input box, send button, history view and token counter.

The logic lives in :class:`ChatSession` (plain Python, unit-tested without a browser): it sends one
user message through ``client.chat.completions.create(messages=conversation.to_openai(), ...)``,
keeps the reply in a :class:`~helpers.conversation.Conversation`, and renders the history and the
token counter as HTML. :class:`ChatUI` only wires it to ipywidgets.

Replies are Markdown, so the history renders them with :func:`markdown_html`, a small converter
that escapes the text before it adds any markup (a reply cannot inject HTML) and needs no library
that Colab lacks. In replay the widget asks the fixture store which questions have a stored
answer after the current history, puts the first one in the input box (also after each answer)
and names them in a note; a question without one gets one short Korean line with the fix, the
server's full diagnostic folded away below it.

Works with ipywidgets 7.7 (Colab) and 8.x: it uses only what both have (``Textarea``, ``Button``
with ``on_click``, ``HTML.value``, ``Layout(width=, height=, overflow=, border=, padding=)``);
no ``Text.on_submit`` (deprecated in 8) and no ``Output`` widget.
"""

from __future__ import annotations

import html
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any

from . import catalog
from . import replay as _replay
from .conversation import Conversation

__all__ = [
    "ChatSession",
    "ChatUI",
    "SendResult",
    "chat_widget",
    "context_share",
    "markdown_html",
    "stored_questions",
]

# Where the widget's request goes, as the replay store files it (method, host, path, query).
CHAT_ENDPOINT = ("POST", "api.openai.com", "/v1/chat/completions", "")


# --- Markdown ------------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d{1,9})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}&gt;\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Bold/italic without CommonMark's flanking rules, which leave Korean "**용어**입니다" unbolded.
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![*0-9A-Za-z])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*0-9A-Za-z])")
# A URL may not hold quotes: it goes into a quoted attribute, and text is escaped without them.
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)'\"]+)\)")


def _emphasis(escaped: str) -> str:
    escaped = _LINK.sub(r"<a href='\2' target='_blank' rel='noopener noreferrer'>\1</a>", escaped)
    escaped = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", escaped)
    return _ITALIC.sub(r"<em>\1</em>", escaped)


def _inline(escaped: str) -> str:
    """Inline Markdown on already-escaped text; code spans are left exactly as written."""
    parts = _CODE_SPAN.split(escaped)  # odd positions are the insides of code spans
    return "".join(
        f"<code>{part}</code>" if i % 2 else _emphasis(part) for i, part in enumerate(parts)
    )


class _Blocks:
    """Collects HTML blocks while :func:`markdown_html` walks the lines."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.paragraph: list[str] = []
        self.items: list[str] = []
        self.list_tag = ""
        self.list_start = 1
        self.quote: list[str] = []

    def flush(self) -> None:
        if self.paragraph:
            body = "<br>".join(_inline(line.strip()) for line in self.paragraph)
            self.out.append(f"<p style='margin:2px 0'>{body}</p>")
            self.paragraph = []
        if self.items:
            start = f" start='{self.list_start}'" if self.list_start != 1 else ""
            rows = "".join(f"<li>{_inline(item)}</li>" for item in self.items)
            self.out.append(
                f"<{self.list_tag}{start} style='margin:2px 0;padding-left:1.6em'>"
                f"{rows}</{self.list_tag}>"
            )
            self.items, self.list_tag = [], ""
        if self.quote:
            body = "<br>".join(_inline(line) for line in self.quote)
            self.out.append(
                "<blockquote style='margin:2px 0;padding-left:8px;border-left:3px solid #ccc;"
                f"color:#555'>{body}</blockquote>"
            )
            self.quote = []

    def item(self, tag: str, text: str, number: int = 1) -> None:
        if self.list_tag != tag:
            self.flush()
            self.list_tag, self.list_start = tag, number
        self.items.append(text.strip())

    def line(self, escaped: str) -> None:
        """One line that is not a block marker: a list item's continuation or paragraph text."""
        if self.items and escaped[:1].isspace():
            self.items[-1] += "<br>" + escaped.strip()
        elif self.quote or self.items:
            self.flush()
            self.paragraph.append(escaped)
        else:
            self.paragraph.append(escaped)


def markdown_html(text: str) -> str:
    """Render Markdown as HTML, safely: the text is escaped before any tag is added.

    A subset that model replies use: paragraphs, line breaks, ``#`` headings, ``-``/``*`` and
    numbered lists (nesting is flattened), ``>`` quotes, rules, fenced code blocks, inline code,
    ``**bold**``, ``*italic*`` and ``[links](https://…)`` (http and https only). Anything else,
    raw HTML included, stays visible as text.

    >>> markdown_html("**굵게**입니다 <b>")
    "<p style='margin:2px 0'><strong>굵게</strong>입니다 &lt;b&gt;</p>"
    """
    blocks = _Blocks()
    code: list[str] | None = None
    for raw in str(text).splitlines():
        if code is not None:
            if _FENCE.match(raw):
                blocks.out.append(
                    "<pre style='margin:2px 0;padding:4px;background:#f6f8fa;overflow:auto'>"
                    f"<code>{html.escape(chr(10).join(code), quote=False)}</code></pre>"
                )
                code = None
            else:
                code.append(raw)
            continue
        if _FENCE.match(raw):
            blocks.flush()
            code = []
            continue
        _add_line(blocks, html.escape(raw, quote=False))
    if code is not None:  # an unclosed fence (a cut-off reply) still shows its code
        blocks.out.append(f"<pre><code>{html.escape(chr(10).join(code), quote=False)}</code></pre>")
    blocks.flush()
    return "".join(blocks.out)


def _add_line(blocks: _Blocks, escaped: str) -> None:
    if not escaped.strip():
        blocks.flush()
    elif _RULE.match(escaped):
        blocks.flush()
        blocks.out.append("<hr style='margin:4px 0'>")
    elif heading := _HEADING.match(escaped):
        blocks.flush()
        size = {1: "1.15em", 2: "1.1em"}.get(len(heading.group(1)), "1em")
        blocks.out.append(
            f"<div style='font-weight:bold;font-size:{size};margin:4px 0 2px'>"
            f"{_inline(heading.group(2))}</div>"
        )
    elif bullet := _BULLET.match(escaped):
        blocks.item("ul", bullet.group(1))
    elif numbered := _NUMBERED.match(escaped):
        blocks.item("ol", numbered.group(2), int(numbered.group(1)))
    elif quote := _QUOTE.match(escaped):
        if not blocks.quote:
            blocks.flush()
        blocks.quote.append(quote.group(1))
    else:
        blocks.line(escaped)


# --- the session ---------------------------------------------------------------------------------


@dataclass
class SendResult:
    """What one send produced; ``error`` (Korean) is set instead of raising."""

    reply: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    estimated_prompt_tokens: int | None = None
    elapsed_s: float = 0.0
    error: str | None = None
    # A replay miss: ``error`` is a short Korean line, ``detail`` the server's full diagnostic.
    miss: bool = False
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ChatSession:
    """One chat: a client, a model and a :class:`Conversation` (with its trimming policy).

    ``create_kwargs`` are extra arguments for every call, e.g. ``{"max_completion_tokens": 300}``.
    """

    def __init__(
        self,
        client: Any,
        conversation: Conversation,
        *,
        model: str,
        create_kwargs: dict[str, Any] | None = None,
    ):
        if not isinstance(conversation, Conversation):
            raise TypeError(
                "conversation에는 helpers.conversation.Conversation 객체를 넘기세요. "
                f"받은 값의 자료형: {type(conversation).__name__}"
            )
        if not isinstance(model, str) or not model.strip():
            raise ValueError("model이 비어 있습니다. 예: catalog.default_model('openai')")
        self.client = client
        self.conversation = conversation
        self.model = model
        self.create_kwargs = dict(create_kwargs or {})
        self.last: SendResult | None = None
        self.calls = 0

    def request_for(self, text: str) -> dict[str, Any] | None:
        """The kwargs :meth:`send` would pass to ``create`` for ``text`` (None if it cannot send).

        The conversation is left exactly as it was; the trimming policy is applied as in a send.
        """
        try:
            self.conversation.add_user(text)
        except (TypeError, ValueError):
            return None
        try:
            return self._kwargs(self.conversation.to_openai())
        except ValueError:  # the policy cannot fit this question
            return None
        finally:
            self.conversation.pop()

    def _kwargs(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, **self.create_kwargs}

    def send(self, text: str) -> SendResult:
        """Add ``text`` as a user turn, call the model once, keep the reply.

        Never raises for bad input or API errors: the result carries a Korean ``error`` and the
        conversation is left as it was before (a failed turn is not half-kept).
        """
        result = SendResult()
        try:
            self.conversation.add_user(text)
        except (TypeError, ValueError) as exc:
            result.error = str(exc)
            self.last = result
            return result
        started = time.perf_counter()
        try:
            messages = self.conversation.to_openai()
            result.estimated_prompt_tokens = self.conversation.count_tokens(messages)
            self.calls += 1
            response = self.client.chat.completions.create(**self._kwargs(messages))
            reply = response.choices[0].message.content
            self.conversation.add_assistant(reply)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never raised
            self.conversation.pop()
            result.elapsed_s = time.perf_counter() - started
            if _replay.is_miss(exc):
                result.miss, result.detail = True, _replay.miss_detail(exc)
                result.error = "리플레이에 이 질문의 저장된 응답이 없습니다."
            else:
                result.error = f"{type(exc).__name__}: {exc}"
            self.last = result
            return result
        result.elapsed_s = time.perf_counter() - started
        result.reply = reply
        usage = getattr(response, "usage", None)
        result.prompt_tokens = getattr(usage, "prompt_tokens", None)
        result.completion_tokens = getattr(usage, "completion_tokens", None)
        self.last = result
        return result

    def reset(self) -> None:
        """Start over; the system message stays."""
        self.conversation.clear()
        self.last = None

    # rendering -------------------------------------------------------------------------------
    def history_html(self) -> str:
        """The full history as HTML. Replies render as Markdown, other messages as plain text
        (both escaped). Trimmed-away turns are greyed."""
        full = self.conversation.messages
        try:
            kept = _kept_flags(full, self.conversation.to_openai())
        except ValueError:  # the policy cannot fit the history; the status line says why
            kept = [True] * len(full)
        rows = []
        labels = {"system": "시스템", "user": "나", "assistant": "모델"}
        colors = {"system": "#6b7280", "user": "#1d4ed8", "assistant": "#047857"}
        for message, is_kept in zip(full, kept, strict=True):
            role = message["role"]
            text = str(message.get("content") or "")
            style = "" if is_kept else "opacity:0.45;"
            note = "" if is_kept else " <small>(다음 요청에서 빠짐)</small>"
            label = (
                f"<b style='color:{colors.get(role, '#111')}'>{labels.get(role, role)}</b>{note}"
            )
            if role == "assistant":
                rows.append(
                    f"<div style='margin:4px 0;{style}'>{label}:"
                    f"<div style='margin-left:4px'>{markdown_html(text)}</div></div>"
                )
            else:
                rows.append(
                    f"<div style='margin:4px 0;white-space:pre-wrap;{style}'>{label}: "
                    f"{html.escape(text, quote=False)}</div>"
                )
        if len(full) == (1 if self.conversation.system is not None else 0):
            rows.append(
                "<div style='color:#6b7280'>아직 대화가 없습니다. 아래에 질문을 입력하세요.</div>"
            )
        return "".join(rows)

    def status_text(self) -> str:
        """The token counter line (Korean)."""
        conv = self.conversation
        history = conv.count_tokens(conv.messages) if conv.messages else 0
        parts = [f"턴 {len(conv)}개", f"전체 기록 ≈ {history:,} 토큰"]
        try:
            next_request = conv.token_count()
            parts.append(f"보낼 기록 ≈ {next_request:,} 토큰")
        except ValueError as exc:
            parts.append(f"⚠️ {exc}")
            next_request = None
        if conv.budget is not None:
            parts.append(f"예산 {conv.budget:,}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            window = catalog.model_info(self.model).context_window
        if window and next_request is not None:
            parts.append(f"컨텍스트 {window:,}의 {context_share(next_request, window)}")
        if self.last is not None and self.last.prompt_tokens is not None:
            parts.append(
                f"마지막 응답 usage: 입력 {self.last.prompt_tokens:,} · "
                f"출력 {self.last.completion_tokens:,}"
            )
        return " · ".join(parts)


def context_share(tokens: int, window: int) -> str:
    """``tokens`` as a share of a context window, e.g. ``"1.25%"`` or ``"0.01% 미만"``."""
    share = tokens / window
    return "0.01% 미만" if 0 < share < 0.0001 else f"{share:.2%}"


def _kept_flags(full: list[dict], sent: list[dict]) -> list[bool]:
    """Which messages of ``full`` are in ``sent`` (trimming keeps a suffix plus the system)."""
    flags = [False] * len(full)
    body = sent
    if full and sent and full[0]["role"] in ("system", "developer"):
        flags[0] = True
        body = sent[1:]
    start = len(full) - len(body)
    for i in range(max(start, 0), len(full)):
        flags[i] = True
    return flags


# --- replay: which questions have stored answers -----------------------------------------------


@dataclass
class StoredQuestion:
    """A next question with a stored answer; ``exact`` is False for a lenient stand-in."""

    text: str
    exact: bool


def _replay_server(client: Any) -> Any:
    """The replay server answering this client, or None when calls reach the real API."""
    server = _replay.server_for(client)
    if server is None or server.modes.get("openai") == "record":
        return None
    return server


def _could_follow(history: list[dict[str, Any]], sent: list[dict[str, Any]]) -> bool:
    """A cheap test before simulating: ``sent`` (without its question) fits after ``history``.

    Trimming keeps the system message and a suffix of the turns, so the first and the last
    message must agree (or both be empty).
    """
    before = sent[:-1]
    if not history or not before:
        return before == history
    return before[-1] == history[-1] and before[0] == history[0]


def stored_questions(session: ChatSession, server: Any) -> list[StoredQuestion]:
    """Questions whose next request ``server`` can answer from its fixtures, in store order.

    Exact matches always; with a lenient server also a stand-in recorded with other
    parameters (another model or output limit) for the same conversation.
    """
    history = session.conversation.messages
    found: dict[str, StoredQuestion] = {}
    for exchange in server.store.exchanges:
        body = exchange.body
        if (exchange.method, exchange.host, exchange.path) != CHAT_ENDPOINT[:3]:
            continue
        sent = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(sent, list) or not sent or not isinstance(sent[-1], dict):
            continue
        question = sent[-1].get("content")
        if sent[-1].get("role") != "user" or not isinstance(question, str) or question in found:
            continue
        if not _could_follow(history, sent):
            continue
        kwargs = session.request_for(question)
        if kwargs is None:
            continue
        match = server.store.peek(*CHAT_ENDPOINT, kwargs)
        if match.exchange is not None and (match.exact or not server.strict):
            found[question] = StoredQuestion(question, match.exact)
    return list(found.values())


def _quoted(question: StoredQuestion) -> str:
    text = f"‘{html.escape(question.text, quote=False)}’"
    return text if question.exact else text + "(설정이 다른 저장 응답이 대신 답함)"


# --- the widget ----------------------------------------------------------------------------------


class ChatUI:
    """The widgets of one chat; ``box`` is what a notebook displays.

    ``question`` pre-fills the input box; in replay, when it is not given, the first stored
    question is put there, and after every answer the next one.
    """

    def __init__(
        self,
        session: ChatSession,
        *,
        placeholder: str = "질문을 입력하세요",
        question: str | None = None,
    ):
        import ipywidgets as widgets

        self.session = session
        self.history = widgets.HTML(
            value=session.history_html(),
            layout=widgets.Layout(
                width="95%", height="260px", overflow="auto", border="1px solid #ccc", padding="6px"
            ),
        )
        self.input = widgets.Textarea(
            value="", placeholder=placeholder, layout=widgets.Layout(width="95%", height="60px")
        )
        self.send_button = widgets.Button(
            description="보내기", button_style="primary", icon="paper-plane"
        )
        self.reset_button = widgets.Button(description="새 대화", icon="refresh")
        self.note = widgets.HTML(value="", layout=widgets.Layout(width="95%"))
        self.status = widgets.HTML(value=self._status_html())
        self.message = widgets.HTML(value="")
        self._suggested = ""  # what the widget itself last put in the input box
        self._questions: list[StoredQuestion] = []
        self.send_button.on_click(self._on_send)
        self.reset_button.on_click(self._on_reset)
        self.box = widgets.VBox(
            [
                self.history,
                self.input,
                widgets.HBox([self.send_button, self.reset_button]),
                self.note,
                self.status,
                self.message,
            ]
        )
        self._refresh(prefill=question)

    def _status_html(self) -> str:
        return f"<small>🔢 {html.escape(self.session.status_text())}</small>"

    def _refresh(self, prefill: str | None = None, replace_input: bool = False) -> None:
        """Redraw history, counter and note; put ``prefill`` (or a stored question) in the box.

        The box is only written when ``replace_input`` is set or it still holds what the widget
        itself put there, so text the learner typed is never lost.
        """
        self.history.value = self.session.history_html()
        self.status.value = self._status_html()
        server = _replay_server(self.session.client)
        questions = stored_questions(self.session, server) if server is not None else []
        if prefill is None and questions:
            prefill = questions[0].text
        if replace_input or self.input.value in ("", self._suggested):
            self.input.value = self._suggested = prefill or ""
        self.note.value = self._note_html(server, questions)
        self._questions = questions

    def _note_html(self, server: Any, questions: list[StoredQuestion]) -> str:
        if _replay.server_for(self.session.client) is None:
            return (
                "<small>🌐 <b>라이브 모드</b>: 질문은 실제 OpenAI API로 갑니다. 무엇이든 물어볼 수 "
                "있지만, 호출마다 요금이 부과됩니다.</small>"
            )
        if server is None:
            return (
                "<small>⏺ <b>녹화 모드</b>: 질문은 실제 API로 가고, 응답은 픽스처로 "
                "저장됩니다(요금이 부과됩니다).</small>"
            )
        if not questions:
            return (
                "<small>📼 <b>리플레이 모드</b>: 이 대화에 이어서 보낼 수 있는 저장된 질문이 "
                "없습니다. <b>새 대화</b>를 눌러 처음부터 다시 하거나, 키를 넣어 실제 API로 "
                "대화하세요.</small>"
            )
        which = "이 질문을" if len(questions) == 1 else "첫 질문을"
        placed = (
            f" {which} 입력 상자에 넣어 두었습니다."
            if self.input.value == questions[0].text
            else ""
        )
        listed = " · ".join(_quoted(q) for q in questions[:3])
        more = f" 외 {len(questions) - 3}개" if len(questions) > 3 else ""
        return (
            "<small>📼 <b>리플레이 모드</b>: 저장된 응답이 있는 질문에만 답합니다. 지금 이어서 "
            f"보낼 수 있는 저장된 질문: {listed}{more}.{placed}</small>"
        )

    def _miss_html(self, result: SendResult) -> str:
        if self._questions:
            fix = (
                f"저장된 질문({_quoted(self._questions[0])})을 보내거나, 키를 넣어 실제 API로 "
                "실행하세요."
            )
        else:
            fix = "<b>새 대화</b>로 처음부터 시작하거나, 키를 넣어 실제 API로 실행하세요."
        detail = html.escape(result.detail or "", quote=False)
        return (
            f"<span style='color:#b91c1c'>❌ 이 질문에는 저장된 응답이 없습니다. {fix}</span>"
            "<details><summary><small>자세한 진단 보기(리플레이 서버 메시지)</small></summary>"
            f"<pre style='white-space:pre-wrap;font-size:0.85em'>{detail}</pre></details>"
        )

    def _on_send(self, _button: Any = None) -> None:
        self.send_button.disabled = True
        self.message.value = "<small>⏳ 답을 기다리는 중입니다...</small>"
        try:
            result = self.session.send(self.input.value)
            if result.ok:
                self.message.value = f"<small>✅ {result.elapsed_s:.2f}초</small>"
                self._refresh(replace_input=True)
            elif result.miss:
                self.message.value = self._miss_html(result)
                self._refresh()
            else:
                self.message.value = (
                    f"<span style='color:#b91c1c'>❌ {html.escape(result.error or '')}</span>"
                )
                self._refresh()
        except Exception as exc:  # noqa: BLE001 - a callback's exception would be invisible
            self.message.value = (
                f"<span style='color:#b91c1c'>❌ 예상하지 못한 오류: "
                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>"
            )
        finally:
            self.send_button.disabled = False

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a notebook front end
        from IPython.display import display

        display(self.box)

    def _on_reset(self, _button: Any = None) -> None:
        self.session.reset()
        self.message.value = ""
        self._refresh()


def chat_widget(
    client: Any,
    conversation: Conversation | None = None,
    *,
    model: str | None = None,
    system: str | None = None,
    create_kwargs: dict[str, Any] | None = None,
    question: str | None = None,
) -> ChatUI:
    """Build a chat widget; display ``ui.box`` (or just ``ui`` as a cell's last value).

    ``conversation`` defaults to a new :class:`Conversation` with ``system``; ``model`` to the
    catalog's default OpenAI model. ``question`` pre-fills the input box (in replay the first
    question with a stored answer is put there when it is not given).
    """
    conversation = conversation if conversation is not None else Conversation(system)
    session = ChatSession(
        client,
        conversation,
        model=model or catalog.default_model("openai"),
        create_kwargs=create_kwargs,
    )
    return ChatUI(session, question=question)
