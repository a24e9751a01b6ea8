"""Lab checkers for lesson 01 (OpenAI Chat Completions basics).

Labs:

- ``"01-ask"`` — ``ask(client, question, system=DEFAULT_SYSTEM, temperature=0.7, model=<default>)``
  returns ``(answer_text, usage)`` from ``client.chat.completions.create(...)``. Checked against
  :class:`FakeOpenAIClient` (no network): it returns real ``openai.types.chat.ChatCompletion``
  objects.
- ``"01-deterministic"`` — a dict ``CLASSIFY_PARAMS`` of sampling parameters for a one-word,
  repeatable sentiment classifier (긍정/부정/중립).
- ``"01-cost"`` — ``call_cost(usage, model) -> float`` USD, compared with
  :func:`helpers.catalog.estimate_cost`.

openai is imported lazily (only when a check runs).
"""

from __future__ import annotations

import copy
import inspect
import math
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
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

__all__ = ["DEFAULT_SYSTEM", "FakeOpenAIClient"]


def _contains_placeholder(value: Any) -> bool:
    if value is Ellipsis or value is TODO:
        return True
    if isinstance(value, dict):
        return any(_contains_placeholder(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_placeholder(v) for v in value)
    return False


class FakeOpenAIClient:
    """A network-free stand-in for ``openai.OpenAI`` used by the lab checkers.

    ``client.chat.completions.create(**kwargs)`` records a deep copy of ``kwargs`` in
    ``client.calls`` and returns a real ``ChatCompletion`` (built with ``model_validate``) whose
    text names the question, so a hard-coded answer cannot pass. Like the real SDK method it
    accepts keyword arguments only, requires ``model`` and ``messages`` and rejects unknown names
    (same error messages). The responses handed out are kept in ``client.returned``;
    ``client.responses.create`` (Responses API) raises a Korean pointer to Chat Completions.
    """

    def __init__(self, base_prompt_tokens: int = 20, base_completion_tokens: int = 7):
        self.calls: list[dict[str, Any]] = []
        self.returned: list[Any] = []  # the ChatCompletion objects handed out
        self._base = (base_prompt_tokens, base_completion_tokens)
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))
        self.responses = SimpleNamespace(create=self._responses_create)

    @staticmethod
    def _responses_create(*args: Any, **kwargs: Any):
        raise RuntimeError(
            "이 실습은 Responses API가 아니라 Chat Completions API를 씁니다: "
            "client.chat.completions.create(...)"
        )

    @staticmethod
    def _allowed_params() -> set[str]:
        from openai.resources.chat.completions import Completions

        params = inspect.signature(Completions.create).parameters
        return {name for name in params if name != "self"}

    def _create(self, *args: Any, **kwargs: Any):
        from openai.types.chat import ChatCompletion

        if args:  # same message as the real SDK's @required_args wrapper
            raise TypeError(f"create() takes 1 argument(s) but {len(args) + 1} were given")
        unknown = sorted(set(kwargs) - self._allowed_params())
        if unknown:
            raise TypeError(
                f"Completions.create() got an unexpected keyword argument '{unknown[0]}'"
            )
        missing = [name for name in ("messages", "model") if name not in kwargs]
        if missing:
            raise TypeError(
                "Missing required arguments; Expected either ('messages' and 'model') or "
                "('messages', 'model' and 'stream') arguments to be given"
            )
        placeholders = [k for k, v in kwargs.items() if _contains_placeholder(v)]
        if placeholders:
            raise NotSolved(f"create(...)에 아직 `...`로 남은 인자가 있습니다: {placeholders}")
        self.calls.append(copy.deepcopy(kwargs))
        n = len(self.calls)
        question = ""
        for message in kwargs.get("messages") or []:
            if isinstance(message, dict) and message.get("role") == "user":
                question = str(message.get("content", ""))
        prompt_tokens = self._base[0] + 3 * n
        completion_tokens = self._base[1] + 5 * n
        response = ChatCompletion.model_validate(
            {
                "id": f"chatcmpl-lab01-{n}",
                "object": "chat.completion",
                "created": 1_764_000_000 + n,
                "model": str(kwargs.get("model")),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {
                            "role": "assistant",
                            "content": f"[모의 응답 {n}] '{question[:30]}'에 대한 답입니다.",
                        },
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )
        self.returned.append(response)
        return response


# ------------------------------------------------------------------------------------------------
# 01-ask
# ------------------------------------------------------------------------------------------------


_INSTRUCTION_ROLES = ("system", "developer")


def _content_text(content: Any) -> tuple[str | None, str | None]:
    """(text, problem) of a message ``content``.

    The SDK types system and user content as ``Union[str, Iterable[ChatCompletionContentPartTextParam]]``:
    a list of ``{"type": "text", "text": ...}`` parts means the same as the joined string.
    """
    if isinstance(content, str):
        return content, None
    if not isinstance(content, (list, tuple)):
        return None, None
    texts = []
    for part in content:
        if not isinstance(part, dict) or part.get("type") != "text":
            return None, (
                f"내용 조각 {part!r}이(가) `{{'type': 'text', 'text': ...}}` 모양이 아닙니다."
            )
        if not isinstance(part.get("text"), str):
            return None, f"내용 조각 {part!r}에 문자열 `text`가 없습니다."
        texts.append(part["text"])
    return "".join(texts), None


def _check_messages(fb: Feedback, kwargs: dict, question: str, system: str, label: str) -> bool:
    messages = kwargs.get("messages")
    if not isinstance(messages, (list, tuple)):
        fb.fail(
            f"{label}: `messages`가 리스트가 아닙니다({type(messages).__name__}).",
            hint="`messages=[{'role': 'system', ...}, {'role': 'user', ...}]`처럼 리스트로 넘기세요.",
        )
        return False
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    # The SDK (types/chat/chat_completion_developer_message_param.py): "With o1 models and newer,
    # `developer` messages replace the previous `system` messages." Lesson 01 teaches both, so
    # either role may carry the instructions.
    lead = next((r for r in roles if r in _INSTRUCTION_ROLES), None)
    if "system" in roles and "developer" in roles:
        fb.fail(
            f"{label}: system 메시지와 developer 메시지를 둘 다 넣었습니다({roles}).",
            hint="둘은 같은 일(모델에게 주는 지시)을 하는 역할입니다. o1 이후 모델에서는 "
            "developer가 system을 대신하니, 지시 메시지는 둘 중 하나로 한 번만 넣으세요.",
        )
        return False
    if len(messages) != 2 and lead is not None and "user" in roles:
        fb.fail(
            f"{label}: `messages`에 메시지가 {len(messages)}개 있습니다"
            f"(기대: {lead} 1개 + user 1개).",
            hint="함수 밖의 리스트에 메시지를 append하면 호출할 때마다 대화가 쌓입니다. "
            "`ask` 안에서 매번 새 리스트를 만드세요.",
        )
        return False
    if roles[:2] in (["user", "system"], ["user", "developer"]):
        fb.fail(
            f"{label}: user 메시지가 {roles[1]} 메시지보다 앞에 있습니다.",
            hint=f"{roles[1]} 메시지(역할·말투 지시)를 `messages` 맨 앞에 두고, 그다음에 user "
            "메시지를 둡니다.",
        )
        return False
    if lead is None:
        fb.fail(
            f"{label}: system 메시지가 없습니다.",
            hint="`{'role': 'system', 'content': system}`을 `messages` 맨 앞에 넣으세요"
            "(새 모델에서는 `'role': 'developer'`도 됩니다).",
        )
        return False
    if roles != [lead, "user"]:
        fb.fail(
            f"{label}: 메시지 역할 순서가 {roles}입니다(기대: [{lead!r}, 'user']).",
            hint=f"{lead} 메시지 하나, 그다음 user 메시지 하나를 넣으세요.",
        )
        return False
    ok = True
    for message, expected, who, hint in (
        (
            messages[0],
            system,
            f"{lead} 메시지 내용이 `system` 인자와 다릅니다",
            f"{lead} 문장을 함수 안에 직접 쓰지 말고 `system` 매개변수 값을 그대로 넣으세요.",
        ),
        (
            messages[1],
            question,
            "user 메시지 내용이 질문과 다릅니다",
            "`{'role': 'user', 'content': question}`처럼 `question`을 그대로 넣으세요.",
        ),
    ):
        text, problem = _content_text(message.get("content"))
        if problem:
            fb.fail(
                f"{label}: {message.get('role')} 메시지의 {problem}",
                hint="내용을 조각 리스트로 쓴다면 글자는 `'text'` 키에 넣습니다: "
                "`[{'type': 'text', 'text': question}]`. 문자열 하나로 써도 같습니다.",
            )
            ok = False
        elif text != expected:
            fb.fail(f"{label}: {who}: {message.get('content')!r}", hint=hint)
            ok = False
    return ok


def _check_temperature(fb: Feedback, kwargs: dict, expected: Any, label: str) -> bool:
    """``temperature`` passed through; ``None`` may also be left out (the model's default)."""
    if expected is None:
        if kwargs.get("temperature") is None:
            return True
    elif "temperature" not in kwargs:
        fb.fail(
            f"{label}: `temperature={expected!r}`로 불렀는데 요청에 `temperature`가 없습니다.",
            hint="받은 `temperature`를 `create(..., temperature=temperature)`로 넘기세요. 추론 "
            "모델이 거절할까 걱정된다면 기본값을 `None`으로 두고 None일 때만 빼거나, 1절처럼 "
            "`openai.BadRequestError`를 잡아 `temperature` 없이 다시 호출하세요.",
        )
        return False
    return check_forwarded(fb, kwargs, "temperature", expected, label)


def _check_return(fb: Feedback, out: Any, response: Any) -> None:
    from openai.types.chat import ChatCompletion, ChatCompletionMessage

    expected_text = response.choices[0].message.content
    expected_usage = response.usage
    if isinstance(out, ChatCompletion):
        fb.fail(
            "응답 객체 전체를 반환했습니다.",
            hint="`(response.choices[0].message.content, response.usage)` 튜플을 반환하세요.",
        )
        return
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        hint = "`return answer, usage`처럼 두 값을 튜플로 반환하세요."
        if isinstance(out, str):
            hint = "답 문자열만 반환했습니다. 토큰 사용량도 함께: `return answer, response.usage`."
        fb.fail(f"반환값이 (답, usage) 두 값의 튜플이 아닙니다: {type(out).__name__}", hint=hint)
        return
    text, usage = out
    if isinstance(text, ChatCompletionMessage):
        fb.fail(
            "첫 번째 반환값이 메시지 객체입니다.",
            hint="메시지의 글자만 필요합니다: `response.choices[0].message.content`.",
        )
    elif text == expected_text:
        fb.ok("답 문자열(`response.choices[0].message.content`)을 반환합니다.")
    else:
        fb.fail(
            f"첫 번째 반환값이 모델의 답과 다릅니다: {text!r}",
            hint="`response.choices[0].message.content`를 그대로 반환하세요(가공하지 않기).",
        )
    if usage is response:
        fb.fail(
            "두 번째 반환값이 응답 전체입니다.",
            hint="사용량은 `response.usage`에 있습니다.",
        )
        return
    if isinstance(usage, dict):
        fb.fail(
            "두 번째 반환값이 `usage` 객체가 아니라 딕셔너리입니다.",
            hint="`response.usage` 객체를 그대로 반환하세요. 다음 실습들은 "
            "`usage.prompt_tokens`처럼 속성으로 읽습니다(`model_dump()`는 필요 없습니다).",
        )
        return
    fields = ("prompt_tokens", "completion_tokens", "total_tokens")
    got = {f: getattr(usage, f, None) for f in fields}
    want = {f: getattr(expected_usage, f) for f in fields}
    if got == want:
        fb.ok("`usage`(prompt/completion/total 토큰)를 반환합니다.")
    else:
        fb.fail(
            f"두 번째 반환값이 `response.usage`가 아닙니다: {usage!r}",
            hint="`response.usage` 객체를 그대로 반환하면 `usage.prompt_tokens`, "
            "`usage.completion_tokens`, `usage.total_tokens`를 모두 쓸 수 있습니다.",
        )


@register("01-ask", "ask(client, question, ...) — 답과 토큰 사용량 돌려받기")
def check_ask(answer: Any, fb: Feedback) -> None:
    needed = ["client", "question", "system", "temperature", "model"]
    usage = "def ask(client, question, system=..., temperature=0.7, model=...)"
    defaults = check_signature(fb, answer, "ask", needed, usage)
    if defaults is None:
        return
    model_default = defaults.get("model", inspect.Parameter.empty)
    if defaults:
        if defaults.get("system") != DEFAULT_SYSTEM:
            fb.fail(
                f"`system`의 기본값이 {defaults.get('system')!r}입니다.",
                hint=f"기본값은 {DEFAULT_SYSTEM!r}입니다.",
            )
        temperature_default = defaults.get("temperature")
        if temperature_default is not None and (
            not _is_number(temperature_default) or temperature_default != 0.7
        ):
            fb.fail(
                f"`temperature`의 기본값이 {temperature_default!r}입니다.",
                hint="기본값은 0.7입니다. 모델의 기본값을 쓰려면 `None`으로 둘 수도 있습니다."
                if not isinstance(temperature_default, str)
                else "기본값은 문자열이 아니라 숫자 0.7입니다(따옴표 없이).",
            )
        if not isinstance(model_default, str):
            fb.fail(
                "`model`에 문자열 기본값이 없습니다.",
                hint="`model=catalog.default_model('openai')`처럼 기본 모델 id를 기본값으로 두세요.",
            )
            model_default = catalog.default_model("openai")

    # Call 1: defaults only -------------------------------------------------------------------
    question = "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."
    client = FakeOpenAIClient()
    out = run_learner(answer, client, question, what="ask(client, question)")
    if len(client.calls) == 0:
        fb.fail(
            "`client.chat.completions.create(...)`를 호출하지 않았습니다.",
            hint="함수 안에서 `response = client.chat.completions.create(model=model, "
            "messages=[...], temperature=temperature)`를 호출하세요. 함수 밖의 전역 client가 "
            "아니라 인자로 받은 `client`를 써야 합니다.",
        )
        return
    if len(client.calls) > 1:
        fb.fail(
            f"한 번 물었는데 API를 {len(client.calls)}번 호출했습니다.",
            hint="질문 하나에 `create` 호출은 한 번이면 됩니다.",
        )
    kwargs = client.calls[0]
    if _check_messages(fb, kwargs, question, DEFAULT_SYSTEM, "기본값으로 호출"):
        lead = kwargs["messages"][0]["role"]
        fb.ok(f"{lead} 메시지 다음에 user 메시지(질문)를 보냅니다.")
        if lead == "developer":
            fb.info(
                "`developer` 역할을 썼습니다. SDK 문서에 따르면 o1 이후 모델에서는 developer "
                "메시지가 예전의 system 메시지를 대신합니다(레슨 2절 「메시지 역할」)."
            )
    temperature_default = defaults.get("temperature", 0.7) if defaults else 0.7
    if temperature_default is not None:
        temperature_default = 0.7  # a wrong default was reported above
    if _check_temperature(fb, kwargs, temperature_default, "기본값으로 호출"):
        if temperature_default is None:
            fb.ok(
                "`temperature=None`이면 값을 정하지 않으므로 모델의 기본값을 씁니다"
                "(SDK 문서: 추론 모델은 지원하는 파라미터가 다를 수 있습니다)."
            )
        else:
            fb.ok("기본 `temperature=0.7`을 전달합니다.")
    if check_forwarded(fb, kwargs, "model", model_default, "기본값으로 호출"):
        fb.ok(f"기본 모델 `{model_default}`를 전달합니다.")
    if "max_tokens" in kwargs:
        fb.info(
            "`max_tokens`는 SDK 문서에서 deprecated로 표시되어 있습니다. 출력 길이를 제한하려면 "
            "`max_completion_tokens`를 쓰세요."
        )
    _check_return(fb, out, client.returned[0])

    # Call 2: every parameter changed, with a fresh client -----------------------------------
    question2 = "트랜스포머의 핵심 아이디어를 한 줄로 알려 주세요."
    system2 = "당신은 한 문장으로만 답하는 조교입니다."
    client2 = FakeOpenAIClient()
    run_learner(
        answer,
        client2,
        question2,
        system=system2,
        temperature=0.2,
        model="gpt-5.4",
        what="ask(client, question, system=..., temperature=0.2, model='gpt-5.4')",
    )
    if not client2.calls:
        fb.fail("두 번째 호출에서 `create`를 호출하지 않았습니다.")
        return
    kwargs2 = client2.calls[-1]
    forwarded = _check_messages(fb, kwargs2, question2, system2, "인자를 바꿔 호출")
    if "temperature" not in kwargs2:
        forwarded = _check_temperature(fb, kwargs2, 0.2, "인자를 바꿔 호출") and forwarded
    elif kwargs2.get("temperature") != 0.2:
        forwarded = False
        fb.fail(
            f"`temperature=0.2`로 불렀는데 전달된 값은 {kwargs2.get('temperature')!r}입니다.",
            hint="값을 직접 쓰지 말고 `temperature=temperature`로 넘기세요.",
        )
    if kwargs2.get("model") != "gpt-5.4":
        forwarded = False
        fb.fail(
            f"`model='gpt-5.4'`로 불렀는데 전달된 값은 {kwargs2.get('model')!r}입니다.",
            hint="모델 id를 직접 쓰지 말고 `model=model`로 넘기세요.",
        )
    if forwarded:
        fb.ok(
            "`system`, `temperature`, `model` 인자를 그대로 전달하고, 호출 사이에 상태를 남기지 않습니다."
        )


# ------------------------------------------------------------------------------------------------
# 01-deterministic
# ------------------------------------------------------------------------------------------------

_PENALTIES = ("frequency_penalty", "presence_penalty")
_REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_LOW_TEMPERATURE = 0.2  # temperature in [0, 0.2] counts as "turned down"
_LOW_TOP_P = 0.2  # top_p in [0, 0.2] counts as "turned down" (the lesson demonstrates 0.1)
_ONE_WORD_LIMIT = 20  # without reasoning, a one-word label fits in 1..20 output tokens


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _check_diversity_knobs(answer: dict, fb: Feedback) -> None:
    """Exactly one of temperature / top_p must be turned down; the other stays at its default."""
    knobs = {"temperature": (0, 2, _LOW_TEMPERATURE), "top_p": (0, 1, _LOW_TOP_P)}
    state: dict[str, str] = {}  # name -> "default" | "low" | "high" | "invalid"
    for name, (lo, hi, low) in knobs.items():
        if name not in answer:
            state[name] = "default"
            continue
        value = answer[name]
        if not _is_number(value):
            fb.fail(f"`{name}`는 숫자여야 합니다(받은 값: {value!r}).")
            state[name] = "invalid"
        elif not lo <= value <= hi:
            fb.fail(
                f"`{name}={value}`: API가 받는 범위({lo}~{hi})를 벗어나 요청이 거절됩니다.",
                hint=f"`{name}`는 {lo}~{hi} 사이의 값이어야 합니다.",
            )
            state[name] = "invalid"
        elif value == 1:
            state[name] = "default"
        else:
            state[name] = "low" if value <= low else "high"
    if "invalid" in state.values():
        return
    temperature, top_p = answer.get("temperature"), answer.get("top_p")
    t_state, p_state = state["temperature"], state["top_p"]

    if t_state != "default" and p_state != "default":
        fb.fail(
            f"`temperature={temperature!r}`, `top_p={top_p!r}`: 두 매개변수를 둘 다 바꿨습니다.",
            hint="temperature와 top_p는 둘 중 하나만 조절합니다(SDK 문서: 'We generally "
            "recommend altering this or `top_p` but not both'). 둘을 함께 바꾸면 효과가 겹쳐 "
            "어느 매개변수 때문인지 가릴 수 없습니다. 하나는 빼거나 1(기본값)로 두세요.",
        )
        return
    if t_state == "default" and p_state == "default":
        shown = [f"`{k}={answer[k]!r}`" for k in knobs if k in answer]
        where = f"{', '.join(shown)}: 기본값이라" if shown else "`temperature`와 `top_p`가 없어"
        fb.fail(
            f"{where} 다양성을 줄이는 매개변수를 하나도 바꾸지 않았습니다. 기본값(1)은 매번 다른 "
            "답을 만들 수 있습니다.",
            hint="같은 문장에는 늘 같은 라벨이 나와야 하니 `temperature`를 0으로 두세요"
            "(또는 temperature는 그대로 두고 `top_p`를 0.1처럼 작게).",
        )
        return
    if t_state == "low":
        if temperature == 0:
            fb.ok(
                "`temperature=0`: 가장 확률 높은 토큰을 고르므로 분류처럼 정답이 하나인 작업에 "
                "맞습니다."
            )
        else:
            fb.ok(f"`temperature={temperature}`: 충분히 낮습니다.")
            fb.info("완전히 반복 가능한 결과를 원하면 0이 가장 좋습니다.")
    elif t_state == "high":
        fb.fail(
            f"`temperature={temperature}`: 분류 작업에는 너무 높습니다.",
            hint="temperature가 높을수록 낮은 확률의 토큰도 뽑혀 답이 흔들립니다. 0으로 두세요.",
        )
    elif p_state == "low":
        fb.ok(
            f"`top_p={top_p}`: 확률 상위 후보만 남기므로 temperature를 건드리지 않아도 답이 "
            "하나로 모입니다."
        )
    else:  # p_state == "high"
        fb.fail(
            f"`top_p={top_p}`: 후보를 충분히 좁히지 못해 답이 흔들릴 수 있습니다.",
            hint=f"top_p로 조절한다면 0.1처럼 작게(0~{_LOW_TOP_P}) 두세요. 또는 top_p는 빼고 "
            "`temperature`를 0으로 두세요.",
        )
    for name in knobs:
        if name in answer and answer[name] == 1:
            fb.ok(f"`{name}=1`(기본값)을 유지했습니다. 생략해도 같습니다.")


def _check_output_limit(answer: dict, fb: Feedback) -> None:
    """A small limit for a one-word label; room for reasoning tokens when reasoning is on."""
    effort = answer.get("reasoning_effort")
    reasoning = False
    if "reasoning_effort" in answer:
        if effort not in _REASONING_EFFORTS:
            fb.fail(
                f"`reasoning_effort={effort!r}`: API가 받는 값이 아닙니다.",
                hint="`reasoning_effort`에는 "
                + ", ".join(repr(e) for e in _REASONING_EFFORTS)
                + " 중 하나를 씁니다(모델마다 지원하는 값이 다릅니다).",
            )
            return
        reasoning = effort != "none"
        if effort == "none":
            fb.ok("`reasoning_effort='none'`: 추론 토큰 없이 바로 답합니다.")
        else:
            fb.info(
                "SDK 문서에 따르면 매개변수 지원은 모델에 따라, 특히 새 추론 모델에서 다를 수 "
                "있습니다('Parameter support can differ depending on the model used to generate "
                "the response, particularly for newer reasoning models'). 모델이 `temperature`나 "
                "`top_p`를 거절하면(`openai.BadRequestError`) 그 매개변수를 빼 보세요."
            )

    limits = [k for k in ("max_completion_tokens", "max_tokens") if k in answer]
    if not limits:
        fb.fail(
            "출력 길이 제한이 없습니다.",
            hint="답은 한 단어(긍정/부정/중립)이므로 `max_completion_tokens`를 작게(예: 5) 두면 "
            "긴 설명이 붙는 것과 비용을 막습니다.",
        )
        return
    if len(limits) == 2:
        fb.fail(
            "`max_completion_tokens`와 `max_tokens`를 둘 다 넣었습니다.",
            hint="`max_completion_tokens` 하나만 쓰세요(`max_tokens`는 deprecated).",
        )
        return
    key = limits[0]
    value = answer[key]
    if isinstance(value, bool) or not isinstance(value, int):
        fb.fail(f"`{key}`는 정수여야 합니다(받은 값: {value!r}).")
    elif value < 1:
        fb.fail(f"`{key}={value}`: 1 이상이어야 합니다.")
    elif reasoning and value <= _ONE_WORD_LIMIT:
        fb.fail(
            f"`{key}={value}`: `reasoning_effort={effort!r}`로 추론을 켰는데 한도가 너무 작습니다. "
            "추론 토큰도 출력 한도에 포함되므로(SDK의 `max_completion_tokens` 설명: 'including "
            "visible output tokens and reasoning tokens') 답을 쓰기 전에 한도가 차서 빈 답"
            "(`finish_reason='length'`)이 나올 수 있습니다.",
            hint="추론을 켠다면 추론 토큰까지 들어갈 만큼 한도를 늘리세요(예: 200). 한 단어 "
            "분류에는 추론이 필요 없으니 `reasoning_effort`를 빼거나 'none'으로 두고 한도를 "
            "5 정도로 두어도 됩니다.",
        )
    elif reasoning:
        fb.ok(
            f"`{key}={value}`: 추론 토큰과 한 단어 답이 함께 들어갈 여유를 두었습니다"
            "(추론 토큰도 한도에 포함됩니다)."
        )
    elif value > _ONE_WORD_LIMIT:
        fb.fail(
            f"`{key}={value}`: 한 단어 답에 비해 큽니다.",
            hint="한국어 한 단어는 몇 토큰이면 충분합니다. 1~20 사이(예: 5)로 줄이세요. "
            "(추론을 켠다면(`reasoning_effort`) 추론 토큰도 한도에 포함되므로 더 크게 둡니다.)",
        )
    else:
        fb.ok(f"`{key}={value}`: 한 단어 답에 맞는 작은 출력 한도입니다.")
        fb.info(
            "추론 모델에서는 추론 토큰도 출력 한도에 포함됩니다(SDK의 `max_completion_tokens` "
            "설명). 추론 수준을 "
            "높이면 한도도 늘려야 빈 답이 나오지 않습니다."
        )
    if key == "max_tokens":
        fb.info(
            "`max_tokens`는 SDK 문서에서 폐기 예정(deprecated)이고 o-series 모델과는 호환되지 "
            "않습니다('deprecated in favor of `max_completion_tokens`, and is not compatible "
            "with o-series models'). 다른 추론 모델도 거절할 수 있으니(거절되면 "
            "`openai.BadRequestError`) `max_completion_tokens`를 쓰세요."
        )


@register("01-deterministic", "CLASSIFY_PARAMS — 재현 가능한 한 단어 감성 분류")
def check_deterministic(answer: Any, fb: Feedback) -> None:
    if not isinstance(answer, dict):
        fb.fail(
            f"`CLASSIFY_PARAMS`는 딕셔너리여야 합니다(받은 값: {type(answer).__name__}).",
            hint="예: `CLASSIFY_PARAMS = {'temperature': ..., 'max_completion_tokens': ...}`",
        )
        return
    todo = [k for k, v in answer.items() if _contains_placeholder(v)]
    if todo:
        raise NotSolved(f"값을 채우지 않은 항목: {todo}")
    if not answer:
        raise NotSolved("딕셔너리가 비어 있습니다")

    from openai.resources.chat.completions import Completions

    allowed = set(inspect.signature(Completions.create).parameters) - {"self"}
    unknown = sorted(set(answer) - allowed)
    for key in unknown:
        import difflib

        near = difflib.get_close_matches(key, sorted(allowed), n=1)
        fb.fail(
            f"`{key}`: `chat.completions.create`에 없는 파라미터입니다.",
            hint=f"혹시 `{near[0]}`인가요?" if near else "파라미터 이름의 철자를 확인하세요.",
        )
    for key in ("model", "messages"):
        if key in answer:
            fb.info(f"`{key}`는 호출할 때 따로 넘기므로 여기에는 없어도 됩니다.")

    _check_diversity_knobs(answer, fb)
    _check_output_limit(answer, fb)

    # penalties ------------------------------------------------------------------------------
    for key in _PENALTIES:
        if key not in answer:
            continue
        if answer[key] == 0:
            fb.ok(f"`{key}=0`(기본값): 한 단어 답에는 패널티가 필요 없습니다.")
        else:
            fb.fail(
                f"`{key}={answer[key]!r}`: 패널티는 필요 없습니다.",
                hint="반복·주제 패널티는 긴 글에서 같은 말을 줄이는 용도입니다. 한 단어 라벨에는 "
                "효과가 없고 확률만 비틀 수 있으니 빼거나 0으로 두세요.",
            )
    if answer.get("stream"):
        fb.info("한 단어 답에는 스트리밍이 필요 없습니다.")


# ------------------------------------------------------------------------------------------------
# 01-cost
# ------------------------------------------------------------------------------------------------

_COST_TOKENS = [(0, 0), (1000, 500), (1, 0), (0, 1), (123_456, 7_890), (2_000_000, 1_000_000)]


def _cost_models() -> list[str]:
    models = [catalog.default_model("openai"), catalog.default_model("openai", alt=True)]
    if "gpt-4o-mini" in catalog.known_models("openai"):
        models.append("gpt-4o-mini")
    return [m for m in dict.fromkeys(models) if catalog.model_info(m).has_price]


def _diagnose(got: float, p: int, c: int, model: str) -> str | None:
    info = catalog.model_info(model)
    pi, po = info.input_price_per_1m, info.output_price_per_1m
    default = catalog.model_info(catalog.default_model("openai"))
    candidates = [
        (
            (p * pi + c * po) / 1_000,
            "1K(1,000) 토큰 단위로 계산한 것 같습니다. models.json의 가격은 100만(1M) 토큰당 "
            "가격이므로 1,000,000으로 나눕니다.",
        ),
        (
            p * pi + c * po,
            "1,000,000으로 나누지 않았습니다. 가격은 '100만 토큰당 달러'입니다.",
        ),
        (
            (p * po + c * pi) / 1_000_000,
            "입력·출력 가격이 바뀌었습니다. 입력(prompt_tokens)에는 입력 가격, "
            "출력(completion_tokens)에는 출력 가격을 곱합니다.",
        ),
        (
            p * pi / 1_000_000,
            "출력 토큰(`usage.completion_tokens`) 비용이 빠졌습니다. 출력이 보통 몇 배 더 비쌉니다.",
        ),
        (
            c * po / 1_000_000,
            "입력 토큰(`usage.prompt_tokens`) 비용이 빠졌습니다.",
        ),
        (
            (p + c) * pi / 1_000_000,
            "`total_tokens`에 입력 가격 하나만 곱했습니다. 입력과 출력은 가격이 다릅니다.",
        ),
        (
            (p + c) * po / 1_000_000,
            "`total_tokens`에 출력 가격 하나만 곱했습니다. 입력과 출력은 가격이 다릅니다.",
        ),
        (
            (p * pi + c * po) / 1_000_000 * 100,
            "센트 단위로 계산한 것 같습니다(100을 곱함). 가격표가 달러이므로 결과도 달러로 "
            "돌려주세요.",
        ),
    ]
    if model != default.id and default.has_price:
        candidates.append(
            (
                (p * default.input_price_per_1m + c * default.output_price_per_1m) / 1_000_000,
                f"`model` 인자와 상관없이 `{default.id}` 가격을 썼습니다. "
                "`catalog.model_info(model)`로 그 모델의 가격을 찾으세요.",
            )
        )
    for value, message in candidates:
        if math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-12):
            return message
    return None


def _rounded_to(wrong: list[tuple[int, int, str, Any, float]]) -> int | None:
    """The number of decimals every wrong result is the expected cost rounded to, if any."""
    for digits in range(0, 11):
        if all(
            math.isclose(got, round(expected, digits), rel_tol=1e-9, abs_tol=1e-12)
            for _, _, _, got, expected in wrong
        ):
            return digits
    return None


def _usage_misread(fb: Feedback, error: BaseException) -> bool:
    """Korean feedback for reading ``CompletionUsage`` with another API's names or as a dict."""
    name = getattr(error, "name", None) if isinstance(error, AttributeError) else None
    if name in ("input_tokens", "output_tokens"):
        fb.fail(
            f"`usage.{name}`를 읽었습니다. `input_tokens`/`output_tokens`는 Anthropic과 "
            "Responses API의 이름이고, Chat Completions의 `usage`에는 없습니다.",
            hint="Chat Completions에서는 `usage.prompt_tokens`(입력)와 "
            "`usage.completion_tokens`(출력)를 씁니다.",
        )
        return True
    if isinstance(error, TypeError) and "subscriptable" in str(error):
        fb.fail(
            "`usage`를 딕셔너리처럼 `usage['...']`로 읽었습니다. `usage`는 SDK의 "
            "`CompletionUsage` 객체입니다.",
            hint="속성으로 읽으세요: `usage.prompt_tokens`, `usage.completion_tokens`.",
        )
        return True
    return False


@register("01-cost", "call_cost(usage, model) — 호출 한 번의 비용(USD)")
def check_cost(answer: Any, fb: Feedback) -> None:
    from openai.types import CompletionUsage

    if not callable(answer):
        fb.fail(
            f"`call_cost`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def call_cost(usage, model):`로 정의하세요.",
        )
        return
    total = 0
    wrong: list[tuple[int, int, str, Any, float]] = []
    for model in _cost_models():
        for p, c in _COST_TOKENS:
            usage = CompletionUsage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c)
            try:
                got = run_learner(answer, usage, model, what=f"call_cost(usage, {model!r})")
            except LearnerError as exc:
                if _usage_misread(fb, exc.original):
                    return
                raise
            expected = catalog.estimate_cost(model, p, c)
            total += 1
            if got is Ellipsis or got is TODO:
                raise NotSolved("call_cost가 아직 `...`를 반환합니다")
            if isinstance(got, (Decimal, Fraction)):
                got = float(got)  # exact decimal or rational dollars are fine
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                hint = "숫자(float, 달러)를 반환하세요."
                if got is None:
                    hint = "값을 `return`하지 않았습니다. 계산한 비용을 `return` 하세요."
                elif isinstance(got, str):
                    hint = "보기 좋은 문자열 대신 숫자를 반환하세요. 표시는 `catalog.format_cost`가 합니다."
                fb.fail(f"반환값이 숫자가 아닙니다: {got!r}", hint=hint)
                return
            if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9):
                wrong.append((p, c, model, got, expected))
    if not wrong:
        fb.ok(
            f"{total}개 사례(0 토큰, 큰 토큰 수, 모델 {len(_cost_models())}종) 모두 "
            "`catalog.estimate_cost`와 일치합니다."
        )
        return
    diagnosed: dict[str, tuple] = {}
    for p, c, model, got, expected in wrong:
        message = _diagnose(got, p, c, model) if (p and c) else None
        if message and message not in diagnosed:
            diagnosed[message] = (p, c, model, got, expected)
    p, c, model, got, expected = wrong[0]
    fb.fail(
        f"{len(wrong)}/{total}개 사례가 틀렸습니다. 예: 모델 `{model}`, 입력 {p:,} · 출력 {c:,} 토큰 → "
        f"기대 {expected!r}, 받은 값 {got!r}"
    )
    rounded = _rounded_to(wrong)
    if rounded is not None:
        fb.hint(
            f"결과를 소수점 {rounded}자리로 반올림했습니다. 토큰 몇 개의 비용은 0.000001달러보다 "
            "작을 수 있어 반올림하면 사라집니다. 계산한 값을 그대로 돌려주고, 보기 좋게 "
            "보여 줄 때만 `catalog.format_cost`를 쓰세요."
        )
    elif diagnosed:
        for message in diagnosed:
            fb.hint(message)
    else:
        fb.hint(
            "비용 = (입력 토큰 × 입력 가격 + 출력 토큰 × 출력 가격) / 1,000,000 입니다. 가격은 "
            "`catalog.model_info(model).input_price_per_1m`와 `.output_price_per_1m`에 있습니다."
        )
