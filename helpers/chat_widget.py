"""A small chat widget for lesson 02: input box, send button, history view and token counter.

The logic lives in :class:`ChatSession` (plain Python, unit-tested without a browser): it sends one
user message through ``client.chat.completions.create(messages=conversation.to_openai(), ...)``,
keeps the reply in a :class:`~helpers.conversation.Conversation`, and renders the history and the
token counter as HTML. :class:`ChatUI` only wires it to ipywidgets.

Works with ipywidgets 7.7 (Colab) and 8.x: it uses only what both have (``Textarea``, ``Button``
with ``on_click``, ``HTML.value``, ``Layout(width=, height=, overflow=, border=, padding=)``);
no ``Text.on_submit`` (deprecated in 8) and no ``Output`` widget.
"""

from __future__ import annotations

import html
import time
import warnings
from dataclasses import dataclass
from typing import Any

from . import catalog
from .conversation import Conversation

__all__ = ["ChatSession", "ChatUI", "SendResult", "chat_widget", "context_share"]


@dataclass
class SendResult:
    """What one send produced; ``error`` (Korean) is set instead of raising."""

    reply: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    estimated_prompt_tokens: int | None = None
    elapsed_s: float = 0.0
    error: str | None = None

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
            response = self.client.chat.completions.create(
                model=self.model, messages=messages, **self.create_kwargs
            )
            reply = response.choices[0].message.content
            self.conversation.add_assistant(reply)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never raised
            self.conversation.pop()
            result.elapsed_s = time.perf_counter() - started
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
        """The full history as HTML (escaped; newlines kept). Trimmed-away turns are greyed."""
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
            body = html.escape(str(message.get("content") or ""), quote=False)
            style = "" if is_kept else "opacity:0.45;"
            note = "" if is_kept else " <small>(다음 요청에서 빠짐)</small>"
            rows.append(
                f"<div style='margin:4px 0;white-space:pre-wrap;{style}'>"
                f"<b style='color:{colors.get(role, '#111')}'>{labels.get(role, role)}</b>{note}: "
                f"{body}</div>"
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


class ChatUI:
    """The widgets of one chat; ``box`` is what a notebook displays."""

    def __init__(self, session: ChatSession, *, placeholder: str = "질문을 입력하세요"):
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
        self.status = widgets.HTML(value=self._status_html())
        self.message = widgets.HTML(value="")
        self.send_button.on_click(self._on_send)
        self.reset_button.on_click(self._on_reset)
        self.box = widgets.VBox(
            [
                self.history,
                self.input,
                widgets.HBox([self.send_button, self.reset_button]),
                self.status,
                self.message,
            ]
        )

    def _status_html(self) -> str:
        return f"<small>🔢 {html.escape(self.session.status_text())}</small>"

    def _refresh(self) -> None:
        self.history.value = self.session.history_html()
        self.status.value = self._status_html()

    def _on_send(self, _button: Any = None) -> None:
        self.send_button.disabled = True
        self.message.value = "<small>⏳ 답을 기다리는 중입니다...</small>"
        try:
            result = self.session.send(self.input.value)
            if result.ok:
                self.input.value = ""
                self.message.value = f"<small>✅ {result.elapsed_s:.2f}초</small>"
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
) -> ChatUI:
    """Build a chat widget; display ``ui.box`` (or just ``ui`` as a cell's last value).

    ``conversation`` defaults to a new :class:`Conversation` with ``system``; ``model`` to the
    catalog's default OpenAI model.
    """
    conversation = conversation if conversation is not None else Conversation(system)
    session = ChatSession(
        client,
        conversation,
        model=model or catalog.default_model("openai"),
        create_kwargs=create_kwargs,
    )
    return ChatUI(session)
