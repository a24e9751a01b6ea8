"""Lab checkers for lesson 03 (Anthropic Claude API와 OpenAI 비교).

Labs:

- ``"03-to-anthropic"`` — ``to_anthropic(messages) -> dict``: an OpenAI-style message list becomes
  the keyword arguments Anthropic's ``messages.create`` takes: ``{"system": ..., "messages": [...]}``
  with every system message lifted out (joined by a blank line, in order) and no ``"system"`` key
  when there is none. The input list is left untouched.
- ``"03-ask-claude"`` — ``ask_claude(client, question, system=DEFAULT_SYSTEM, max_tokens=1024,
  model=<default>)`` returns ``(text, usage)``. Checked against :class:`FakeAnthropicClient` (no
  network), which accepts exactly the installed SDK's ``messages.create`` arguments and returns real
  ``anthropic.types.Message`` objects — the second one starts with a thinking block. ``system`` and
  the user message's ``content`` may be a string or a list of text blocks (the SDK's
  ``Union[str, Iterable[TextBlockParam]]``; the docstring calls the two equivalent): both are
  compared by their text. Streaming is out of scope (the fake does not stream; lesson 05).
- ``"03-stop-field"`` — a dict filling in the comparison row the lesson's table leaves out: the
  parameter that stops generation at a given string, and the reason each API then reports.

anthropic and openai are imported only when a check runs.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from .. import catalog
from . import (
    TODO,
    Feedback,
    LearnerError,
    NotSolved,
    check_forwarded,
    check_signature,
    register,
    run_learner,
)

DEFAULT_SYSTEM = "당신은 친절한 한국어 AI 어시스턴트입니다."
STOP_FIELDS = ("openai_param", "anthropic_param", "openai_reason", "anthropic_reason")

__all__ = ["DEFAULT_SYSTEM", "STOP_FIELDS", "FakeAnthropicClient"]


def _is_placeholder(value: Any) -> bool:
    return value is Ellipsis or value is TODO


# ------------------------------------------------------------------------------------------------
# 03-to-anthropic
# ------------------------------------------------------------------------------------------------

_CASES: list[tuple[str, list[dict[str, str]], dict[str, Any]]] = [
    (
        "system 메시지 하나 + 질문",
        [
            {"role": "system", "content": "당신은 NLP 전문가입니다."},
            {"role": "user", "content": "BERT는 무엇인가요?"},
        ],
        {
            "system": "당신은 NLP 전문가입니다.",
            "messages": [{"role": "user", "content": "BERT는 무엇인가요?"}],
        },
    ),
    (
        "system 없는 여러 턴",
        [
            {"role": "user", "content": "안녕하세요"},
            {"role": "assistant", "content": "안녕하세요! 무엇을 도와드릴까요?"},
            {"role": "user", "content": "토큰이 무엇인가요?"},
        ],
        {
            "messages": [
                {"role": "user", "content": "안녕하세요"},
                {"role": "assistant", "content": "안녕하세요! 무엇을 도와드릴까요?"},
                {"role": "user", "content": "토큰이 무엇인가요?"},
            ]
        },
    ),
    (
        "system 메시지가 두 개(맨 앞과 중간)",
        [
            {"role": "system", "content": "한국어로 답합니다."},
            {"role": "user", "content": "GPT는 무엇인가요?"},
            {"role": "assistant", "content": "GPT는 디코더만 쓰는 언어 모델입니다."},
            {"role": "system", "content": "이제부터 한 문장으로만 답합니다."},
            {"role": "user", "content": "BERT는요?"},
        ],
        {
            "system": "한국어로 답합니다.\n\n이제부터 한 문장으로만 답합니다.",
            "messages": [
                {"role": "user", "content": "GPT는 무엇인가요?"},
                {"role": "assistant", "content": "GPT는 디코더만 쓰는 언어 모델입니다."},
                {"role": "user", "content": "BERT는요?"},
            ],
        },
    ),
]


def _diagnose_conversion(got: dict, given: list, want: dict, fb: Feedback) -> bool:
    """Explain the first thing wrong with one converted case; True when it is right."""
    messages = got.get("messages")
    # `messages: Iterable[MessageParam]`: a list or a tuple spreads into `messages.create` alike.
    if not isinstance(messages, (list, tuple)):
        fb.fail(
            f"`messages` 키에 리스트가 없습니다(받은 값: {messages!r}).",
            hint="`{'system': ..., 'messages': [...]}` 모양의 딕셔너리를 돌려주세요.",
        )
        return False
    messages = list(messages)
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    if "system" in roles:
        fb.fail(
            "변환한 `messages` 안에 아직 `role: system` 메시지가 있습니다.",
            hint="Claude는 시스템 프롬프트를 `messages` 밖의 `system` 매개변수로 받습니다. "
            "system 메시지는 `messages`에서 빼서 `system` 키로 옮기세요.",
        )
        return False
    system_texts = [m["content"] for m in given if m["role"] == "system"]
    as_user = [m for m in messages if m.get("role") == "user" and m.get("content") in system_texts]
    if as_user and len(messages) > len(want["messages"]):
        fb.fail(
            "system 메시지를 `role: user` 메시지로 바꿔 `messages`에 남겼습니다.",
            hint="그러면 시스템 지시가 사용자의 말이 됩니다. system 메시지는 `messages`에서 빼서 "
            "`system` 키로만 옮기세요.",
        )
        return False
    if messages != want["messages"]:
        fb.fail(
            f"`messages`가 기대와 다릅니다: {messages!r}",
            hint="system이 아닌 메시지(user·assistant)는 순서와 내용을 그대로 두고 옮깁니다.",
        )
        return False
    if "system" not in want:
        if "system" in got:
            fb.fail(
                f"system 메시지가 없는데 `system` 키가 있습니다(값: {got['system']!r}).",
                hint="system 메시지가 없으면 `system` 키를 아예 넣지 마세요. `None`을 넘기면 SDK가 "
                '요청 본문에 `"system": null`을 그대로 실어 보냅니다.',
            )
            return False
        return True
    system = got.get("system")
    if system == want["system"]:
        return True
    blocks = (
        isinstance(system, (list, tuple)) and system and all(isinstance(b, dict) for b in system)
    )
    if blocks:
        # `system: Union[str, Iterable[TextBlockParam]]`: text blocks are read by their text.
        text, problem, hint = _as_text(list(system), "system")
        if text is None:
            fb.fail(problem, hint=hint)
            return False
        if text == want["system"]:
            return True
        if len(system) > 1 and [b["text"] for b in system] == system_texts:
            fb.fail(
                "`system`을 system 메시지마다 블록 하나로 나눴습니다: "
                f"{[b['text'] for b in system]!r}",
                hint="블록 리스트도 `system`에 넣을 수 있지만, 이 실습은 system 메시지들을 빈 줄"
                "(`'\\n\\n'`)로 이은 프롬프트 하나를 만듭니다. 문자열 하나나 블록 하나"
                "(`[{'type': 'text', 'text': '\\n\\n'.join(...)}]`)로 돌려주세요.",
            )
            return False
        system = text
    if isinstance(system, str) and len(system_texts) > 1:
        joins = (("\n", "줄바꿈 하나(`'\\n'`)로"), (" ", "공백(`' '`)으로"), ("", "구분자 없이"))
        for sep, how in joins:
            if system == sep.join(system_texts):
                fb.fail(
                    f"system 메시지들을 {how} 이었습니다: {system!r}",
                    hint="두 지시가 한 문단처럼 붙지 않도록 빈 줄(`'\\n\\n'`)로 이어 붙이세요: "
                    "`'\\n\\n'.join(...)`.",
                )
                return False
    if isinstance(system, str) and len(system_texts) > 1 and system == system_texts[-1]:
        fb.fail(
            "마지막 system 메시지만 남았습니다. 앞의 system 메시지가 빠졌습니다.",
            hint="반복문에서 `result['system'] = m['content']`처럼 쓰면 다음 system 메시지가 앞의 "
            "것을 덮어씁니다. 리스트에 모았다가 `'\\n\\n'.join(...)`으로 이어 붙이세요.",
        )
    elif isinstance(system, str) and system == given[0]["content"]:
        fb.fail(
            "맨 앞의 system 메시지만 옮겼습니다. 중간에 있는 system 메시지가 빠졌습니다.",
            hint="system 메시지를 모두 찾아, 나온 순서대로 빈 줄(`'\\n\\n'`)로 이어 붙이세요.",
        )
    elif isinstance(system, (list, tuple)):
        fb.fail(
            f"`system`이 리스트입니다: {system!r}",
            hint="여러 system 메시지의 내용을 `'\\n\\n'.join(...)`으로 한 문자열로 합치세요.",
        )
    elif isinstance(system, dict):
        fb.fail(
            f"`system`에 메시지 딕셔너리를 그대로 넣었습니다: {system!r}",
            hint="`system`에는 메시지가 아니라 내용(`message['content']`) 문자열을 넣습니다.",
        )
    else:
        fb.fail(
            f"`system`이 {system!r}입니다(기대: {want['system']!r}).",
            hint="system 메시지들의 `content`를 순서대로 `'\\n\\n'`으로 이어 붙입니다.",
        )
    return False


@register("03-to-anthropic", "to_anthropic(messages) — OpenAI 형식을 Claude 형식으로")
def check_to_anthropic(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`to_anthropic`은 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def to_anthropic(messages):`로 정의하세요.",
        )
        return
    passed = 0
    for name, given, want in _CASES:
        sent = copy.deepcopy(given)  # the learner may mutate it; the cases must stay intact
        got = run_learner(answer, sent, what=f"to_anthropic(...)  # {name}")
        if sent != given:
            fb.fail(
                f"[{name}] 입력으로 받은 리스트를 바꿨습니다.",
                hint="`messages.pop(0)`이나 `remove`처럼 원본을 고치면, 같은 대화로 OpenAI를 다시 "
                "부를 때 system 메시지가 사라집니다. 새 리스트를 만들어 돌려주세요.",
            )
            return
        if not isinstance(got, dict):
            fb.fail(
                f"[{name}] 반환값이 딕셔너리가 아닙니다: {type(got).__name__}",
                hint="`client.messages.create(**result)`로 펼칠 수 있도록 "
                "`{'system': ..., 'messages': [...]}` 딕셔너리를 돌려주세요.",
            )
            return
        extra = sorted(set(got) - {"system", "messages"})
        if extra:
            fb.fail(
                f"[{name}] 필요 없는 키가 있습니다: {extra}",
                hint="`system`과 `messages`만 돌려주세요. `model`, `max_tokens`는 호출할 때 넣습니다.",
            )
            return
        if not _diagnose_conversion(got, given, want, fb):
            fb.info(f"틀린 사례: {name}")
            return
        passed += 1
    fb.ok(f"{passed}가지 대화(system 하나, system 없음, system 두 개) 모두 바르게 바꿉니다.")
    fb.ok("입력 리스트를 건드리지 않습니다.")


# ------------------------------------------------------------------------------------------------
# 03-ask-claude
# ------------------------------------------------------------------------------------------------


def _message(text: str, *, thinking: bool, input_tokens: int, output_tokens: int, model: str):
    from anthropic.types import Message

    content = [{"type": "text", "text": text}]
    if thinking:
        content.insert(
            0, {"type": "thinking", "thinking": "질문의 핵심을 먼저 정리한다.", "signature": "sig"}
        )
    return Message.model_validate(
        {
            "id": "msg_01LabCheckerFakeResponse",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    )


class _FakeMessages:
    def __init__(self, owner: FakeAnthropicClient) -> None:
        self._owner = owner

    def create(self, *args: Any, **kwargs: Any):
        """Accept exactly what the installed SDK's ``Messages.create`` accepts."""
        from anthropic.resources.messages import Messages

        self._owner.attempts.append(dict(kwargs))
        if args:  # the SDK's create is keyword-only; its required_args wrapper says this
            raise TypeError(f"create() takes 1 argument(s) but {len(args) + 1} were given")
        signature = inspect.signature(inspect.unwrap(Messages.create))
        allowed = set(signature.parameters) - {"self"}
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise TypeError(f"Messages.create() got an unexpected keyword argument '{unknown[0]}'")
        missing = [name for name in ("max_tokens", "messages", "model") if name not in kwargs]
        if missing:
            raise TypeError(
                "Missing required arguments; Expected either ('max_tokens', 'messages' and "
                "'model') or ('max_tokens', 'messages', 'model' and 'stream') arguments to be given"
            )
        self._owner.calls.append(copy.deepcopy(_materialise(kwargs)))
        response = self._owner.responses[
            min(len(self._owner.calls), len(self._owner.responses)) - 1
        ]
        self._owner.returned.append(response)
        return response


def _materialise(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Lists for the ``Iterable`` arguments (a generator can be neither deep-copied nor re-read)."""
    out = dict(kwargs)
    if _is_iterable(out.get("system")):
        out["system"] = list(out["system"])
    if _is_iterable(out.get("messages")):
        out["messages"] = [
            {**m, "content": list(m["content"])}
            if isinstance(m, dict) and _is_iterable(m.get("content"))
            else m
            for m in out["messages"]
        ]
    return out


def _is_iterable(value: Any) -> bool:
    return not isinstance(value, (str, bytes, dict)) and hasattr(value, "__iter__")


class FakeAnthropicClient:
    """Stands in for ``anthropic.Anthropic()`` in lab checks: records calls, sends nothing.

    ``responses`` are returned in turn (the last one repeats). ``calls`` holds the accepted
    ``messages.create`` keyword arguments, ``attempts`` also the ones the SDK would refuse.
    """

    def __init__(self, responses: list | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []  # every create(...) call, even refused ones
        self.returned: list[Any] = []
        self.responses = responses or [
            _message(
                "자연어 처리는 컴퓨터가 사람의 언어를 다루는 기술입니다.",
                thinking=False,
                input_tokens=31,
                output_tokens=24,
                model=catalog.default_model("anthropic"),
            )
        ]
        self.messages = _FakeMessages(self)


_STREAM_HINT = (
    "이 실습은 스트리밍 없이 `client.messages.create(...)` 한 번으로 완성된 응답(`Message`)을 "
    "받습니다. 채점용 가짜 클라이언트는 스트리밍을 흉내 내지 않습니다(스트리밍은 레슨 05)."
)


def _call(fb: Feedback, answer: Any, client: FakeAnthropicClient, *args: Any, **kwargs: Any):
    """Run the learner's function; explain the errors this lab is about. None on failure."""
    what = kwargs.pop("what")
    try:
        return run_learner(answer, client, *args, what=what, **kwargs)
    except LearnerError as exc:
        original = exc.original
        text = str(original)
        sent = client.attempts[-1] if client.attempts else {}
        if sent.get("stream") or (isinstance(original, AttributeError) and "'stream'" in text):
            fb.fail(f"`{what}`에서 스트리밍으로 호출했습니다.", hint=_STREAM_HINT)
        elif isinstance(original, TypeError) and "Missing required arguments" in text:
            missing = [n for n in ("max_tokens", "model", "messages") if n not in sent]
            names = ", ".join(f"`{n}`" for n in missing) or "필수 인자"
            hint = ""
            if "max_tokens" in missing:
                hint = (
                    "Claude의 `messages.create`는 `max_tokens`가 반드시 있어야 합니다"
                    "(OpenAI와 달리 필수, 레슨 4절 ⑤). "
                )
            if set(missing) - {"max_tokens"}:
                hint += "`messages.create`에는 `max_tokens`, `model`, `messages` 셋 다 필수입니다. "
            hint += ", ".join(f"`{n}={n}`" for n in missing) + "처럼 매개변수를 넘기세요."
            fb.fail(
                f"`{what}`에서 SDK가 TypeError를 냈습니다: 필수 인자 {names}이(가) 빠졌습니다.",
                hint=hint,
            )
        elif isinstance(original, TypeError) and "argument(s) but" in text:
            fb.fail(
                f"`{what}`에서 SDK가 TypeError를 냈습니다: `messages.create`에 위치 인자를 넘겼습니다.",
                hint="`messages.create`는 키워드 인자만 받습니다. "
                "`client.messages.create(model=model, max_tokens=max_tokens, ...)`처럼 이름을 붙이세요.",
            )
        elif isinstance(original, TypeError) and "unexpected keyword argument" in text:
            name = text.rsplit("'", 2)[-2] if text.count("'") >= 2 else "?"
            hint = "설치된 anthropic SDK의 `messages.create`가 받지 않는 인자입니다."
            if name in ("temperature", "top_p", "top_k"):
                hint += " anthropic 2.x에서는 샘플링 매개변수가 빠졌습니다(레슨 4절 ⑥)."
            fb.fail(f"`{what}`에서 SDK가 `{name}` 인자를 거절했습니다.", hint=hint)
        elif isinstance(original, AttributeError) and "text" in text:
            fb.fail(
                f"`{what}`에서 AttributeError가 났습니다: `{text}`",
                hint="응답의 첫 블록이 텍스트가 아닐 수 있습니다(예: 생각(thinking) 블록). "
                "`content[0].text` 대신 `block.type == 'text'`인 블록의 `text`만 이어 붙이세요.",
            )
        else:
            raise
        return None


_TEXT_BLOCK_KEYS = {"type", "text", "cache_control", "citations"}


def _as_text(value: Any, name: str) -> tuple[str | None, str, str]:
    """The text of a ``str`` or a list of text blocks (``TextBlockParam``), as the API reads it.

    Returns ``(text, "", "")``, or ``(None, problem, hint)`` for a shape the API refuses.
    """
    if isinstance(value, str):
        return value, "", ""
    shape = "문자열이나 `[{'type': 'text', 'text': ...}]` 같은 텍스트 블록 리스트"
    if not isinstance(value, (list, tuple)) or not value:
        return None, f"`{name}`이(가) {value!r}입니다.", f"`{name}`에는 {shape}를 넣습니다."
    texts = []
    for block in value:
        if not isinstance(block, dict):
            return (
                None,
                f"`{name}`의 블록 {block!r}이(가) 딕셔너리가 아닙니다.",
                f"블록은 `{{'type': 'text', 'text': ...}}` 딕셔너리입니다. 아니면 {name}에 문자열을 "
                "그대로 넣으세요.",
            )
        if block.get("type") != "text":
            return (
                None,
                f"`{name}`의 블록 `type`이 {block.get('type')!r}입니다.",
                "텍스트 블록은 `'type': 'text'`가 있어야 합니다. 빠지면 API가 400 오류를 냅니다.",
            )
        if not isinstance(block.get("text"), str):
            return (
                None,
                f"`{name}`의 텍스트 블록에 문자열 `text`가 없습니다: {block!r}",
                "텍스트 블록의 내용은 `'text'` 키에 넣습니다(OpenAI처럼 `'content'`가 아닙니다).",
            )
        extra = sorted(set(block) - _TEXT_BLOCK_KEYS)
        if extra:
            return (
                None,
                f"`{name}`의 텍스트 블록에 API가 모르는 키가 있습니다: {extra}",
                f"텍스트 블록이 받는 키는 {sorted(_TEXT_BLOCK_KEYS)}입니다.",
            )
        texts.append(block["text"])
    return "".join(texts), "", ""


def _check_scalar_types(fb: Feedback, kwargs: dict, label: str) -> bool:
    model, max_tokens = kwargs.get("model"), kwargs.get("max_tokens")
    ok = True
    if not isinstance(model, str):
        hint = "`model`에는 모델 이름 문자열(예: `'claude-haiku-4-5'`)을 넘깁니다."
        if isinstance(model, tuple):
            hint = "`model = model,`처럼 끝에 쉼표가 붙으면 튜플이 됩니다. " + hint
        fb.fail(
            f"[{label}] `model`이 문자열이 아니라 {type(model).__name__}입니다: {model!r}",
            hint=hint + " 문자열이 아니면 API가 요청을 거절합니다.",
        )
        ok = False
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        fb.fail(
            f"[{label}] `max_tokens`가 정수가 아니라 {type(max_tokens).__name__}입니다: "
            f"{max_tokens!r}",
            hint="`max_tokens`에는 출력 토큰 수 정수(예: `1024`)를 그대로 넘깁니다.",
        )
        ok = False
    return ok


def _check_request(fb: Feedback, kwargs: dict, question: str, system: str, label: str) -> bool:
    if kwargs.get("stream"):
        fb.fail(f"[{label}] `stream=True`로 호출했습니다.", hint=_STREAM_HINT)
        return False
    messages = kwargs.get("messages")
    if not isinstance(messages, (list, tuple)) or not messages:
        fb.fail(
            f"[{label}] `messages`가 비어 있거나 리스트가 아닙니다: {messages!r}",
            hint="질문 하나만 `[{'role': 'user', 'content': question}]`로 보냅니다.",
        )
        return False
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    if "system" in roles:
        fb.fail(
            f"[{label}] system 프롬프트를 `messages` 안에 `role: system` 메시지로 넣었습니다.",
            hint="SDK는 막지 않고 그대로 보내지만, Anthropic 문서에 따르면 `role: system` 메시지는 "
            "Opus 4.8에서 user 턴 바로 뒤에만 쓸 수 있어, 맨 앞에 두면 서버가 400으로 거절할 것으로 "
            "봅니다(레슨 5절, 라이브로 확인하지는 못했습니다). "
            "Claude에서는 `system=system`을 `messages.create`의 별도 인자로 넘깁니다. "
            "`messages`에는 `{'role': 'user', 'content': question}` 하나만 둡니다.",
        )
        return False
    ok = True
    if "system" not in kwargs:
        fb.fail(
            f"[{label}] `system`을 넘기지 않았습니다.",
            hint="`system=system`을 `messages.create`의 별도 인자로 넘기세요.",
        )
        ok = False
    else:
        got, problem, hint = _as_text(kwargs["system"], "system")
        if got is None:
            fb.fail(f"[{label}] {problem}", hint=hint)
            ok = False
        elif got != system:
            ok = check_forwarded(fb, {"system": got}, "system", system, f"[{label}]") and ok
    if len(messages) != 1:
        fb.fail(
            f"[{label}] `messages`에 메시지가 {len(messages)}개 있습니다: {messages!r}",
            hint="질문 하나만 `[{'role': 'user', 'content': question}]`로 보냅니다.",
        )
        return False
    message = messages[0]
    if not isinstance(message, dict) or message.get("role") != "user":
        role = message.get("role") if isinstance(message, dict) else None
        fb.fail(
            f"[{label}] 질문 메시지의 `role`이 {role!r}입니다: {message!r}",
            hint="질문은 `{'role': 'user', 'content': question}` 딕셔너리로 보냅니다.",
        )
        return False
    extra = sorted(set(message) - {"role", "content"})
    if extra:
        fb.fail(
            f"[{label}] 질문 메시지에 API가 받지 않는 키가 있습니다: {extra}",
            hint="Claude의 메시지는 `role`과 `content`만 가집니다. 다른 키가 있으면 API가 400 "
            "오류를 냅니다.",
        )
        return False
    got, problem, hint = _as_text(message.get("content"), "content")
    if got is None:
        fb.fail(f"[{label}] {problem}", hint=hint)
        return False
    if got != question:
        fb.fail(
            f"[{label}] 질문 메시지의 내용이 {got!r}입니다(기대: {question!r}).",
            hint="받은 `question`을 바꾸지 말고 그대로 `content`에 넣으세요.",
        )
        return False
    return ok


def _check_return(fb: Feedback, out: Any, response: Any, label: str) -> bool:
    if not (isinstance(out, tuple) and len(out) == 2):
        hint = "`return text, response.usage`처럼 (답변 텍스트, 사용량) 튜플을 반환하세요."
        if out is response:
            hint = "응답 객체 전체가 아니라 " + hint
        fb.fail(
            f"[{label}] 반환값이 (텍스트, usage) 튜플이 아닙니다: {type(out).__name__}", hint=hint
        )
        return False
    text, usage = out
    want = "".join(block.text for block in response.content if block.type == "text")
    ok = True
    if text != want:
        hint = "`block.type == 'text'`인 블록의 `text`를 이어 붙여 문자열로 돌려주세요."
        if isinstance(text, list):
            hint = "`response.content`는 블록의 리스트입니다. " + hint
        fb.fail(f"[{label}] 첫 번째 반환값이 답변 텍스트가 아닙니다: {text!r}", hint=hint)
        ok = False
    fields = ("input_tokens", "output_tokens")
    if usage is response or not all(
        getattr(usage, f, None) == getattr(response.usage, f) for f in fields
    ):
        fb.fail(
            f"[{label}] 두 번째 반환값이 `response.usage`가 아닙니다: {usage!r}",
            hint="`response.usage`를 그대로 돌려주면 `input_tokens`, `output_tokens`를 모두 "
            "읽을 수 있습니다. Claude에는 `total_tokens`가 없습니다.",
        )
        ok = False
    return ok


@register("03-ask-claude", "ask_claude(client, question, ...) — Claude에게 묻고 답과 사용량 받기")
def check_ask_claude(answer: Any, fb: Feedback) -> None:
    needed = ["client", "question", "system", "max_tokens", "model"]
    usage = "def ask_claude(client, question, system=..., max_tokens=1024, model=...)"
    defaults = check_signature(fb, answer, "ask_claude", needed, usage)
    if defaults is None:
        return
    model_default = defaults.get("model")
    if not isinstance(model_default, str):
        model_default = catalog.default_model("anthropic")
    elif not model_default.startswith("claude"):
        fb.fail(
            f"`model`의 기본값 {model_default!r}은(는) Claude 모델이 아닙니다.",
            hint="Anthropic API는 Claude 모델 이름만 받습니다(없는 모델은 404). "
            "기본값은 `model=ANTHROPIC_MODEL`로 두세요.",
        )
        return

    # Call 1: defaults, a plain text answer -----------------------------------------------------
    question = "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."
    client = FakeAnthropicClient()
    out = _call(fb, answer, client, question, what="ask_claude(client, question)")
    if out is None and not client.calls:
        if not fb.failures:
            fb.fail(
                "`client.messages.create(...)`를 호출하지 않았습니다.",
                hint="함수 안에서 인자로 받은 `client`로 `client.messages.create(...)`를 부르세요.",
            )
        return
    if len(client.calls) != 1:
        fb.fail(f"한 번 물었는데 API를 {len(client.calls)}번 호출했습니다.")
        return
    kwargs = client.calls[0]
    first_ok = _check_request(fb, kwargs, question, DEFAULT_SYSTEM, "기본값으로 호출")
    if not _check_scalar_types(fb, kwargs, "기본값으로 호출"):
        return
    for name, expected in (("max_tokens", 1024), ("model", model_default)):
        first_ok = check_forwarded(fb, kwargs, name, expected, "기본값으로 호출") and first_ok
    if first_ok:
        fb.ok(
            "`system`을 별도 인자로, 질문을 user 메시지로, `max_tokens`와 `model`을 함께 보냅니다."
        )
    if out is not None and _check_return(fb, out, client.returned[0], "기본값으로 호출"):
        fb.ok("(답변 텍스트, `usage`)를 돌려줍니다.")

    # Call 2: every argument changed; the reply starts with a thinking block -------------------
    question2 = "트랜스포머의 핵심 아이디어를 한 줄로 알려 주세요."
    system2 = "당신은 한 문장으로만 답하는 조교입니다."
    reply = _message(
        "트랜스포머의 핵심은 셀프 어텐션으로 모든 토큰을 한 번에 연결하는 것입니다.",
        thinking=True,
        input_tokens=40,
        output_tokens=52,
        model="claude-haiku-4-5",
    )
    client2 = FakeAnthropicClient([reply])
    out2 = _call(
        fb,
        answer,
        client2,
        question2,
        system=system2,
        max_tokens=300,
        model="claude-haiku-4-5",
        what="ask_claude(client, question, system=..., max_tokens=300, model='claude-haiku-4-5')",
    )
    if not client2.calls:
        return
    kwargs2 = client2.calls[-1]
    forwarded = _check_request(fb, kwargs2, question2, system2, "인자를 바꿔 호출")
    for name, value in (("max_tokens", 300), ("model", "claude-haiku-4-5")):
        if kwargs2.get(name) != value:
            forwarded = False
            fb.fail(
                f"`{name}={value!r}`로 불렀는데 전달된 값은 {kwargs2.get(name)!r}입니다.",
                hint=f"값을 직접 쓰지 말고 `{name}={name}`로 넘기세요.",
            )
    if forwarded:
        fb.ok("`system`, `max_tokens`, `model` 인자를 그대로 전달합니다.")
    if out2 is not None and _check_return(fb, out2, reply, "생각 블록이 먼저 오는 응답"):
        fb.ok("첫 블록이 생각(thinking) 블록인 응답에서도 텍스트만 골라냅니다.")


# ------------------------------------------------------------------------------------------------
# 03-stop-field
# ------------------------------------------------------------------------------------------------


def _openai_params() -> set[str]:
    from openai.resources.chat.completions import Completions

    return set(inspect.signature(Completions.create).parameters) - {"self"}


def _anthropic_params() -> set[str]:
    from anthropic.resources.messages import Messages

    return set(inspect.signature(inspect.unwrap(Messages.create)).parameters) - {"self"}


def _openai_reasons() -> tuple[str, ...]:
    import typing

    from openai.types.chat.chat_completion import Choice

    return typing.get_args(Choice.model_fields["finish_reason"].annotation)


def _anthropic_reasons() -> tuple[str, ...]:
    import typing

    from anthropic.types import StopReason

    return typing.get_args(StopReason)


def _stop_value(value: Any) -> str:
    """The text of one cell: an `inspect.Parameter` (from `signature(...).parameters[...]`) names
    its parameter; anything else is read as its string, surrounding spaces ignored."""
    if isinstance(value, inspect.Parameter):
        return value.name
    return str(value).strip()


@register("03-stop-field", "표에 없는 줄 채우기 — 멈춤 문자열(stop sequence)")
def check_stop_field(answer: Any, fb: Feedback) -> None:
    if not isinstance(answer, dict):
        fb.fail(
            f"`STOP_ROW`는 딕셔너리여야 합니다(받은 값: {type(answer).__name__}).",
            hint=f"키는 {list(STOP_FIELDS)}입니다.",
        )
        return
    missing = [key for key in STOP_FIELDS if key not in answer]
    if missing:
        fb.fail(f"빠진 키가 있습니다: {missing}", hint=f"키는 {list(STOP_FIELDS)} 네 개입니다.")
        return
    todo = [key for key in STOP_FIELDS if _is_placeholder(answer[key])]
    if todo:
        raise NotSolved(f"값을 채우지 않은 항목: {todo}")
    listed = [key for key in STOP_FIELDS if isinstance(answer[key], (list, tuple, set))]
    if listed:
        key = listed[0]
        fb.fail(
            f"`{key}`에 이름이 아니라 {type(answer[key]).__name__}를 넣었습니다: {answer[key]!r}",
            hint="칸마다 문자열 하나를 넣습니다. 힌트의 리스트 컴프리헨션 결과라면 `[0]`으로 그 "
            "안의 이름을 꺼내세요.",
        )
        return
    values = {key: _stop_value(answer[key]) for key in STOP_FIELDS}

    openai_params, anthropic_params = _openai_params(), _anthropic_params()
    for key, names in (
        ("openai_param", openai_params),
        ("anthropic_param", anthropic_params),
        ("openai_reason", _openai_reasons()),
        ("anthropic_reason", _anthropic_reasons()),
    ):
        value = values[key]
        if value not in names and value.lower() in names:
            fb.fail(
                f"`{key}`의 `{value}`: 대소문자가 다릅니다.",
                hint=f"SDK의 이름과 값은 대소문자를 구분합니다. 모두 소문자로 씁니다: "
                f"`{value.lower()}`.",
            )
            values[key] = value.lower()  # judge the rest of the row as if it were spelt right
            fb.info("아래 판정은 소문자로 고쳐 읽은 값으로 합니다.")
    param = values["openai_param"]
    if param == "stop":
        fb.ok("OpenAI는 `stop`으로 멈춤 문자열을 받습니다.")
    elif param == "stop_sequences":
        fb.fail(
            "`stop_sequences`는 Anthropic의 이름입니다.",
            hint="`inspect.signature(openai_client.chat.completions.create)`에서 'stop'으로 "
            "시작하는 매개변수를 찾아보세요.",
        )
    else:
        where = "없는" if param not in openai_params else "멈춤 문자열과 관계없는"
        fb.fail(
            f"`{param}`: `chat.completions.create`에 {where} 매개변수입니다.",
            hint="OpenAI 쪽 이름은 한 단어입니다. 시그니처에서 'stop'을 찾아보세요.",
        )
    param = values["anthropic_param"]
    if param == "stop_sequences":
        fb.ok("Anthropic은 `stop_sequences`(문자열 리스트)로 받습니다.")
    elif param == "stop":
        fb.fail(
            "`stop`은 Anthropic `messages.create`에 없는 매개변수입니다(넘기면 TypeError).",
            hint="`inspect.signature(client.messages.create)`에서 'stop'으로 시작하는 이름을 "
            "찾아보세요. 복수형입니다.",
        )
    else:
        where = "없는" if param not in anthropic_params else "멈춤 문자열과 관계없는"
        fb.fail(
            f"`{param}`: `messages.create`에 {where} 매개변수입니다.",
            hint="'stop'으로 시작하는 복수형 이름입니다.",
        )

    reason = values["openai_reason"]
    openai_reasons = _openai_reasons()
    if reason == "stop":
        fb.ok(
            "OpenAI는 멈춤 문자열에서 멈춰도 `finish_reason == 'stop'`입니다(자연스러운 끝과 같음)."
        )
    elif reason not in openai_reasons:
        fb.fail(
            f"`{reason}`은(는) OpenAI의 `finish_reason` 값이 아닙니다.",
            hint=f"가능한 값: {', '.join(openai_reasons)}. OpenAI는 멈춤 문자열과 자연스러운 끝을 "
            "구분하지 않습니다.",
        )
    else:
        fb.fail(
            f"`finish_reason == '{reason}'`은(는) 다른 경우입니다.",
            hint="`length`는 출력 한도, `tool_calls`는 도구 호출입니다. 멈춤 문자열은 자연스러운 "
            "끝과 같은 값으로 보고됩니다.",
        )
    reason = values["anthropic_reason"]
    anthropic_reasons = _anthropic_reasons()
    if reason == "stop_sequence":
        fb.ok("Anthropic은 `stop_reason == 'stop_sequence'`로 따로 알려 줍니다.")
    elif reason == "stop_sequences":
        fb.fail(
            "`stop_sequences`는 요청에 넣는 매개변수 이름입니다. `stop_reason`의 값이 아닙니다.",
            hint="멈춘 이유의 값은 매개변수 이름과 비슷한 단수형입니다. "
            "`typing.get_args(anthropic.types.StopReason)`에서 찾아보세요.",
        )
    elif reason == "end_turn":
        fb.fail(
            "`end_turn`은 모델이 스스로 답을 끝냈을 때입니다.",
            hint="Anthropic은 멈춤 문자열 때문에 멈춘 경우를 따로 구분합니다. "
            "`typing.get_args(anthropic.types.StopReason)`을 보세요.",
        )
    elif reason not in anthropic_reasons:
        fb.fail(
            f"`{reason}`은(는) Anthropic의 `stop_reason` 값이 아닙니다.",
            hint=f"가능한 값: {', '.join(anthropic_reasons)}",
        )
    else:
        fb.fail(
            f"`stop_reason == '{reason}'`은(는) 다른 경우입니다.",
            hint="매개변수 이름과 비슷한, 단수형 값입니다.",
        )
