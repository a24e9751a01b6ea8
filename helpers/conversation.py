"""Multi-turn conversation history: trimming policies, Anthropic conversion and JSON save/load.

Chat Completions is stateless: every request carries the whole history the caller wants the model
to see. This module keeps that history in OpenAI's message format (system message first) and
offers three ways to keep it short:

* :func:`trim_last_turns` keeps the system message and the last *n* turns;
* :func:`trim_to_budget` drops the oldest whole turns until a token count fits a budget;
* :func:`summarize_old_turns` replaces older turns by a summary the model writes, kept in the
  system message as context.

A *turn* starts at a user message and runs up to (not including) the next user message, so an
assistant reply (and any tool messages) always stays with the user message it answers. Messages
before the first user message (e.g. an assistant greeting) form one turn of their own.

:class:`Conversation` wraps a history with a policy and is used by later lessons::

    conv = Conversation("당신은 간결한 한국어 어시스턴트입니다.", budget=2000)
    conv.add_user("안녕하세요")
    reply = client.chat.completions.create(model=model, messages=conv.to_openai())
    conv.add_assistant(reply.choices[0].message.content)
    client.messages.create(model=claude, max_tokens=500, **conv.to_anthropic())
    conv.save("chat.json"); conv = Conversation.load("chat.json")

User-facing errors are Korean; identifiers and docstrings are English.
"""

from __future__ import annotations

import copy
import json
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .atomic import write_text_atomic

__all__ = [
    "Conversation",
    "ConversationFileError",
    "SUMMARY_HEADING",
    "count_tokens_default",
    "split_turns",
    "summarize_old_turns",
    "summary_request",
    "trim_last_turns",
    "trim_to_budget",
    "validate_messages",
]

Message = dict[str, Any]
TokenCounter = Callable[[Sequence[Message]], int]

SYSTEM_ROLES = ("system", "developer")
KNOWN_ROLES = ("system", "developer", "user", "assistant", "tool")
SUMMARY_HEADING = "[이전 대화 요약]"
FILE_FORMAT = "llm-api-lab/conversation"
FILE_VERSION = 1


class ConversationFileError(ValueError):
    """A conversation file that cannot be read back (corrupt JSON or wrong shape)."""


def _os_error(error: OSError, message: str) -> OSError:
    """The same kind of OSError (PermissionError, IsADirectoryError, ...) with a Korean message."""
    try:
        return type(error)(message)
    except Exception:  # an OSError subclass with its own constructor
        return OSError(message)


def _shown(path: Path) -> str:
    """A path as messages show it: relative to the working folder when inside it, with ``~`` for
    the home folder, otherwise as given (so output does not expose where a machine keeps it)."""
    if not path.is_absolute():
        return str(path)
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~")):
        try:
            rest = path.relative_to(base)
        except ValueError:
            continue
        return str(Path(prefix, rest)) if prefix else str(rest)
    return str(path)


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _check_loaded_message(i: int, message: Message) -> str | None:
    """What is wrong with one message of a loaded file, in Korean, or None.

    The content rules are those the requests need: text (a string) or a list of content parts
    (dicts with a string ``type``; a ``text`` part with a string ``text``). Only an assistant
    message that carries ``tool_calls`` may have no content.
    """
    where = f"{i}번 메시지(role {message.get('role')!r})"
    if "content" not in message or message["content"] is None:
        if message.get("role") == "assistant" and message.get("tool_calls"):
            return None
        missing = "없습니다" if "content" not in message else "null입니다"
        return f"{where}의 'content' 필드가 {missing}. 메시지마다 내용(문자열)이 있어야 합니다."
    content = message["content"]
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return (
            f"{where}의 'content' 필드가 문자열이나 리스트가 아닙니다"
            f"(받은 값: {content!r}, 자료형 {type(content).__name__})."
        )
    for j, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            return (
                f"{where}의 'content' {j}번 조각이 {{\"type\": ..., ...}} 모양의 dict가 아닙니다"
                f"(받은 값: {part!r})."
            )
        if part["type"] == "text" and not isinstance(part.get("text"), str):
            return f"{where}의 'content' {j}번 조각(type 'text')에 문자열 'text' 필드가 없습니다."
    return None


def count_tokens_default(messages: Sequence[Message]) -> int:
    """Offline prompt-token count of a message list (o200k_base + per-message overhead)."""
    from .tokencount import count_messages

    return count_messages(messages)


# --- validation ------------------------------------------------------------------------------


def validate_messages(messages: Any) -> list[Message]:
    """Check a history's shape and return it as a list; raise a Korean error when it is wrong.

    Rules: a list of dicts, each with a known ``role``; at most one system (or developer)
    message, and only at index 0.
    """
    if isinstance(messages, (str, bytes, dict)) or not isinstance(messages, Iterable):
        raise TypeError(
            f"대화 기록은 메시지(dict)의 리스트여야 합니다. 받은 값의 자료형: {type(messages).__name__}"
        )
    messages = list(messages)
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise TypeError(
                f"{i}번 메시지가 dict가 아닙니다({type(message).__name__}). "
                '{"role": "user", "content": "..."} 모양으로 넣어 주세요.'
            )
        role = message.get("role")
        if role not in KNOWN_ROLES:
            raise ValueError(
                f"{i}번 메시지의 role {role!r}을(를) 알 수 없습니다. "
                f"쓸 수 있는 role: {', '.join(KNOWN_ROLES)}"
            )
        if role in SYSTEM_ROLES and i != 0:
            raise ValueError(
                f"system 메시지가 {i}번 위치에 있습니다. system 메시지는 대화 기록의 맨 앞(0번)에 "
                "한 번만 올 수 있습니다. 지시를 바꾸고 싶다면 0번 system 메시지의 내용을 고치세요."
            )
    return messages


def split_turns(messages: Sequence[Message]) -> tuple[Message | None, list[list[Message]]]:
    """Split a history into (system message or None, turns); see the module docstring."""
    messages = validate_messages(messages)
    system = None
    rest = messages
    if messages and messages[0]["role"] in SYSTEM_ROLES:
        system, rest = messages[0], messages[1:]
    turns: list[list[Message]] = []
    for message in rest:
        if message["role"] == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return system, turns


def _join(system: Message | None, turns: Iterable[list[Message]]) -> list[Message]:
    out = [] if system is None else [system]
    for turn in turns:
        out.extend(turn)
    return copy.deepcopy(out)


# --- trimming strategies ---------------------------------------------------------------------


def trim_last_turns(messages: Sequence[Message], n: int) -> list[Message]:
    """Keep the system message and the last ``n`` turns (a new list; the input is not changed)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n은 0 이상의 정수여야 합니다(남길 턴 수). 받은 값: {n!r}")
    system, turns = split_turns(messages)
    return _join(system, turns[max(len(turns) - n, 0) :] if n else [])


def trim_to_budget(
    messages: Sequence[Message],
    budget: int,
    count_tokens: TokenCounter | None = None,
) -> list[Message]:
    """Drop the oldest whole turns until ``count_tokens(result) <= budget``.

    Never drops the system message, keeps the order, never leaves an assistant reply without the
    user message it answers. Raises a Korean ``ValueError`` when the system message alone, or the
    system message with the latest turn, is over the budget (sending no question at all would not
    be a useful answer to "make it fit").
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
        raise ValueError(f"budget은 1 이상의 정수(토큰 수)여야 합니다. 받은 값: {budget!r}")
    count = count_tokens or count_tokens_default
    system, turns = split_turns(messages)
    base = _join(system, [])
    base_tokens = count(base)
    if base_tokens > budget:
        raise ValueError(
            f"토큰 예산 {budget}이(가) system 메시지 하나({base_tokens} 토큰)보다 작습니다. "
            "system 메시지는 지우지 않으므로 예산을 늘리거나 system 메시지를 줄이세요."
        )
    for start in range(len(turns)):
        kept = _join(system, turns[start:])
        if count(kept) <= budget:
            return kept
    if not turns:
        return base
    last = _join(system, turns[-1:])
    raise ValueError(
        f"가장 최근 턴 하나만 남겨도 {count(last)} 토큰이라 예산 {budget}을(를) 넘습니다. "
        "예산을 늘리거나 마지막 메시지를 줄이세요."
    )


def summary_request(
    older: Sequence[Message], previous_summary: str | None = None, *, max_chars: int = 600
) -> list[Message]:
    """The messages that ask a model to summarise ``older`` turns (OpenAI format).

    The older turns go in as one transcript inside a single user message, so the request is a
    plain two-message chat that works with any provider.
    """
    lines = []
    if previous_summary:
        lines.append(f"(앞선 요약) {previous_summary}")
    for message in older:
        lines.append(f"{message['role']}: {_text_of(message)}")
    transcript = "\n".join(lines)
    return [
        {
            "role": "system",
            "content": (
                "당신은 대화 기록을 요약하는 도우미입니다. 이어지는 대화에 필요한 사실, 결정, "
                f"사용자의 선호만 한국어로 {max_chars}자 이내로 요약합니다."
            ),
        },
        {"role": "user", "content": f"다음 대화를 요약해 주세요.\n\n{transcript}"},
    ]


def _split_summary(system: Message | None) -> tuple[str, str | None]:
    """(instruction text, previous summary or None) from a system message."""
    if system is None:
        return "", None
    text = _text_of(system)
    marker = f"\n\n{SUMMARY_HEADING}\n"
    if text.startswith(f"{SUMMARY_HEADING}\n"):
        return "", text[len(SUMMARY_HEADING) + 1 :]
    if marker in text:
        head, _, summary = text.partition(marker)
        return head, summary
    return text, None


def _call_summarizer(summarize: Any, request: list[Message], model: str | None) -> str:
    if (
        callable(summarize)
        and not hasattr(summarize, "chat")
        and not hasattr(summarize, "messages")
    ):
        return summarize(request)
    if model is None:
        raise ValueError(
            "클라이언트로 요약할 때는 model을 함께 넘겨야 합니다: "
            "summarize_old_turns(history, client, model=...)"
        )
    if hasattr(summarize, "chat"):  # OpenAI-compatible client
        response = summarize.chat.completions.create(model=model, messages=request)
        return response.choices[0].message.content or ""
    if hasattr(summarize, "messages"):  # Anthropic client: system is a separate parameter
        response = summarize.messages.create(
            model=model,
            max_tokens=1024,
            system=request[0]["content"],
            messages=request[1:],
        )
        return "".join(getattr(block, "text", "") for block in response.content)
    raise TypeError(
        "summarize에는 함수(요청 메시지 리스트 → 요약 문자열)나 OpenAI/Anthropic 클라이언트를 넘기세요."
    )


def summarize_old_turns(
    messages: Sequence[Message],
    summarize: Any,
    *,
    keep_last_turns: int = 2,
    model: str | None = None,
) -> list[Message]:
    """Replace all but the last ``keep_last_turns`` turns by a model-written summary.

    ``summarize`` is either a function taking the request messages (see :func:`summary_request`)
    and returning the summary text, or an OpenAI / Anthropic client (then pass ``model``). The
    summary is kept in the system message under :data:`SUMMARY_HEADING`; a previous summary there
    is folded into the new one. With nothing old enough to summarise, the history comes back
    unchanged and the model is not called.
    """
    if (
        isinstance(keep_last_turns, bool)
        or not isinstance(keep_last_turns, int)
        or keep_last_turns < 0
    ):
        raise ValueError(
            f"keep_last_turns는 0 이상의 정수여야 합니다. 받은 값: {keep_last_turns!r}"
        )
    system, turns = split_turns(messages)
    cut = max(len(turns) - keep_last_turns, 0)
    if cut == 0:
        return _join(system, turns)
    older = [m for turn in turns[:cut] for m in turn]
    instruction, previous = _split_summary(system)
    summary = _call_summarizer(summarize, summary_request(older, previous), model)
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError("요약이 비어 있습니다. 요약 함수가 문자열을 돌려주는지 확인하세요.")
    body = f"{SUMMARY_HEADING}\n{summary.strip()}"
    content = f"{instruction}\n\n{body}" if instruction else body
    role = system["role"] if system is not None else "system"
    return _join({"role": role, "content": content}, turns[cut:])


def _text_of(message: Message) -> str:
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "".join(parts)


# --- Conversation ----------------------------------------------------------------------------


def _check_policy(budget: Any, keep_last_turns: Any) -> None:
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0
    ):
        raise ValueError(
            f"budget은 None이거나 1 이상의 정수(토큰 수)여야 합니다. 받은 값: {budget!r}"
        )
    if keep_last_turns is not None and (
        isinstance(keep_last_turns, bool)
        or not isinstance(keep_last_turns, int)
        or keep_last_turns < 1
    ):
        raise ValueError(
            f"keep_last_turns는 None이거나 1 이상의 정수여야 합니다. 받은 값: {keep_last_turns!r}"
        )


class Conversation:
    """A chat history in OpenAI format with an optional trimming policy.

    ``messages`` is the full history (never trimmed); :meth:`to_openai` and
    :meth:`to_anthropic` apply the policy: first ``keep_last_turns``, then ``budget`` (prompt
    tokens, counted with ``count_tokens``, by default offline with o200k_base).
    """

    def __init__(
        self,
        system: str | None = None,
        *,
        budget: int | None = None,
        keep_last_turns: int | None = None,
        count_tokens: TokenCounter = count_tokens_default,
    ):
        if system is not None and not isinstance(system, str):
            raise TypeError(
                f"system은 문자열이어야 합니다. 받은 값의 자료형: {type(system).__name__}"
            )
        _check_policy(budget, keep_last_turns)
        self.budget = budget
        self.keep_last_turns = keep_last_turns
        self.count_tokens = count_tokens
        self._messages: list[Message] = []
        if system is not None and system.strip():
            self._messages.append({"role": "system", "content": system})
        if budget is not None:
            # Fail now, not at the first request, when the budget cannot even hold the system.
            trim_to_budget(self._messages, budget, count_tokens)

    @classmethod
    def from_messages(
        cls,
        messages: Sequence[Message],
        *,
        budget: int | None = None,
        keep_last_turns: int | None = None,
        count_tokens: TokenCounter = count_tokens_default,
    ) -> Conversation:
        """A conversation holding a copy of an existing OpenAI-format history."""
        messages = validate_messages(messages)
        conv = cls(budget=None, keep_last_turns=keep_last_turns, count_tokens=count_tokens)
        conv._messages = copy.deepcopy(messages)
        _check_policy(budget, keep_last_turns)
        if budget is not None:
            trim_to_budget(
                [m for m in conv._messages if m["role"] in SYSTEM_ROLES], budget, count_tokens
            )
        conv.budget = budget
        return conv

    # -- reading --------------------------------------------------------------------------
    @property
    def messages(self) -> list[Message]:
        """The full history, system first (a copy: changing it does not change the conversation)."""
        return copy.deepcopy(self._messages)

    @property
    def system(self) -> str | None:
        if self._messages and self._messages[0]["role"] in SYSTEM_ROLES:
            return _text_of(self._messages[0])
        return None

    @property
    def last_reply(self) -> str | None:
        """The latest assistant text, or None before the first reply."""
        for message in reversed(self._messages):
            if message["role"] == "assistant":
                return _text_of(message)
        return None

    def __len__(self) -> int:
        return len(split_turns(self._messages)[1])

    def __repr__(self) -> str:
        return (
            f"Conversation(turns={len(self)}, messages={len(self._messages)}, "
            f"budget={self.budget}, keep_last_turns={self.keep_last_turns})"
        )

    # -- writing --------------------------------------------------------------------------
    def add_user(self, text: str) -> None:
        """Append a user message; empty or blank text is refused (Korean ``ValueError``)."""
        self._append("user", text, "사용자 메시지가")

    def add_assistant(self, text: str) -> None:
        """Append the model's reply (``response.choices[0].message.content``)."""
        self._append("assistant", text, "어시스턴트 답변이")

    def _append(self, role: str, text: Any, subject: str) -> None:
        if text is None:
            raise ValueError(
                f"{subject} None입니다. 답변이 잘렸거나(finish_reason이 'length') 도구 호출만 "
                "돌아온 경우일 수 있습니다. 응답을 먼저 확인하세요."
            )
        if not isinstance(text, str):
            raise TypeError(
                f"{subject} 문자열이 아닙니다(받은 값의 자료형: {type(text).__name__})."
            )
        if not text.strip():
            raise ValueError(f"{subject} 비어 있습니다. 내용을 입력한 뒤 보내 주세요.")
        self._messages.append({"role": role, "content": text})

    def pop(self) -> Message:
        """Remove and return the last message (not the system message), e.g. after a failed call."""
        if not self._messages or self._messages[-1]["role"] in SYSTEM_ROLES:
            raise IndexError("지울 메시지가 없습니다(system 메시지는 pop으로 지우지 않습니다).")
        return self._messages.pop()

    def clear(self) -> None:
        """Forget every turn; the system message stays."""
        self._messages = self._messages[:1] if self.system is not None else []

    def summarize(
        self, summarize: Any, *, keep_last_turns: int = 2, model: str | None = None
    ) -> None:
        """Replace older turns in the stored history by a summary (see :func:`summarize_old_turns`)."""
        self._messages = summarize_old_turns(
            self._messages, summarize, keep_last_turns=keep_last_turns, model=model
        )

    # -- requests -------------------------------------------------------------------------
    def to_openai(self) -> list[Message]:
        """The messages to send: the history with the trimming policy applied (a new list)."""
        messages = self._messages
        if self.keep_last_turns is not None:
            messages = trim_last_turns(messages, self.keep_last_turns)
        if self.budget is not None:
            messages = trim_to_budget(messages, self.budget, self.count_tokens)
        return copy.deepcopy(messages)

    def to_anthropic(self) -> dict[str, Any]:
        """``{"system": ..., "messages": [...]}`` for ``client.messages.create(**conv.to_anthropic())``.

        The system message becomes the separate ``system`` parameter (the key is left out when
        there is none); the trimming policy is applied as in :meth:`to_openai`.
        """
        messages = self.to_openai()
        out: dict[str, Any] = {}
        if messages and messages[0]["role"] in SYSTEM_ROLES:
            out["system"] = _text_of(messages[0])
            messages = messages[1:]
        for i, message in enumerate(messages):
            if message["role"] not in ("user", "assistant"):
                raise ValueError(
                    f"{i}번 메시지의 role {message['role']!r}은(는) Anthropic 형식으로 그대로 옮길 수 "
                    "없습니다. user/assistant 메시지만 변환합니다."
                )
        out["messages"] = [{"role": m["role"], "content": m["content"]} for m in messages]
        return out

    def token_count(self) -> int:
        """Prompt tokens of :meth:`to_openai`, counted with ``count_tokens`` (offline)."""
        return self.count_tokens(self.to_openai())

    # -- files ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "budget": self.budget,
            "keep_last_turns": self.keep_last_turns,
            "messages": self.messages,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the conversation as JSON, atomically: a failure leaves any existing file intact."""
        path = Path(path)
        shown = _shown(path)
        data = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        directory = path.parent if str(path.parent) else Path(".")
        if not directory.is_dir():
            raise FileNotFoundError(f"대화를 저장할 폴더가 없습니다: {_shown(directory)}")
        if path.is_dir():
            raise IsADirectoryError(
                f"{shown}은(는) 폴더입니다. 대화는 파일로 저장하므로 'chat.json'처럼 파일 이름까지 "
                "적어 주세요."
            )
        try:
            read_only = path.exists() and not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP)
        except OSError:
            read_only = False
        if read_only:
            # Replacing it would succeed (only the folder must be writable) but defeat the intent.
            raise PermissionError(
                f"대화 파일 {shown}이(가) 읽기 전용이라 덮어쓰지 않았습니다. 다른 이름으로 "
                "저장하거나 파일의 읽기 전용 설정을 풀고 다시 저장하세요."
            )
        try:
            write_text_atomic(path, data)
        except PermissionError as e:
            raise _os_error(
                e,
                f"{_shown(directory)} 폴더에 쓸 권한이 없어 대화를 {shown}에 저장하지 못했습니다"
                f"({_os_reason(e)}). 기존 파일은 그대로 있습니다. 쓸 수 있는 폴더"
                "(예: 노트북이 있는 폴더)에 저장하세요.",
            ) from None
        except OSError as e:
            raise _os_error(
                e,
                f"대화를 {shown}에 저장하지 못했습니다({_os_reason(e)}). 기존 파일은 그대로 "
                "있습니다. 디스크 공간과 폴더의 쓰기 권한을 확인하고 다시 저장하세요.",
            ) from None

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        count_tokens: TokenCounter = count_tokens_default,
    ) -> Conversation:
        """Read a file written by :meth:`save`. Never writes: a bad file stays as it is."""
        path = Path(path)
        shown = _shown(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(
                f"대화 파일이 없습니다: {shown}. 경로를 확인하거나 먼저 conv.save(...)로 저장하세요."
            ) from None
        except IsADirectoryError as e:
            raise _os_error(
                e,
                f"{shown}은(는) 폴더입니다. 그 안의 대화 파일 이름까지 적어 주세요"
                "(예: Conversation.load('폴더/chat.json')).",
            ) from None
        except PermissionError as e:
            raise _os_error(
                e,
                f"대화 파일 {shown}을(를) 읽을 권한이 없습니다. 파일 권한을 확인하거나 읽을 수 "
                "있는 위치로 복사한 뒤 불러오세요.",
            ) from None
        except OSError as e:
            raise _os_error(
                e,
                f"대화 파일 {shown}을(를) 읽지 못했습니다({_os_reason(e)}). 경로와 파일 상태를 "
                "확인하세요.",
            ) from None
        except UnicodeDecodeError:
            raise ConversationFileError(
                f"대화 파일을 UTF-8 텍스트로 읽을 수 없습니다: {shown}. 파일은 그대로 두었습니다."
            ) from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ConversationFileError(
                f"대화 파일이 손상되었습니다(JSON 오류: {e.lineno}행 {e.colno}열): {shown}. "
                "파일은 그대로 두었습니다."
            ) from None
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise ConversationFileError(
                f"Conversation.save()로 저장한 파일이 아닙니다: {shown}. 파일은 그대로 두었습니다."
            )
        if data.get("version") != FILE_VERSION:
            raise ConversationFileError(
                f"지원하지 않는 대화 파일 버전입니다({data.get('version')!r}): {shown}."
            )
        messages = data.get("messages")
        if isinstance(messages, list):
            for i, message in enumerate(messages):
                problem = _check_loaded_message(i, message) if isinstance(message, dict) else None
                if problem:
                    raise ConversationFileError(
                        f"대화 파일의 내용이 올바르지 않습니다: {shown}. {problem} "
                        "파일은 그대로 두었습니다."
                    )
        try:
            return cls.from_messages(
                messages,
                budget=data.get("budget"),
                keep_last_turns=data.get("keep_last_turns"),
                count_tokens=count_tokens,
            )
        except (TypeError, ValueError) as e:
            raise ConversationFileError(
                f"대화 파일의 내용이 올바르지 않습니다: {shown}. {e} 파일은 그대로 두었습니다."
            ) from None
