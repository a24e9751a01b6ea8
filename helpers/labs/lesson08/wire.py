"""Fake responses for the round-trip labs, and the JSON the real SDKs would send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ... import catalog
from .. import Feedback
from ..sdk_wire import sent_body

# ------------------------------------------------------------------------------------------------
# Shared: fake responses and what the SDK would send
# ------------------------------------------------------------------------------------------------

_WEATHER = {"서울": "맑음, 영상 3도", "부산": "흐림, 영상 9도"}
_CALLS = [
    ("서울", "call_Sx7kQ2mLp9RtV4nB", "toolu_01Sx7kQ2mLp9RtV4nBw3Yc"),
    ("부산", "call_Bq3nW8zKd1HyF6sJ", "toolu_01Bq3nW8zKd1HyF6sJm2Pd"),
]


def _weather(city: str) -> str:
    if city not in _WEATHER:
        return f"오류: 날씨 정보가 없는 도시입니다: {city}"
    return f"{city}: {_WEATHER[city]}"


def sample_run_tool(name: str, arguments: dict[str, Any]) -> str:
    """The labs' tool runner: ``get_weather`` with ``{"city": ...}`` → a Korean weather line."""
    if not isinstance(arguments, dict):
        raise TypeError(
            f"arguments는 dict여야 합니다(받은 값: {type(arguments).__name__}). OpenAI의 "
            "function.arguments는 JSON 문자열이라 json.loads로 바꿔야 합니다."
        )
    if name != "get_weather":
        return f"오류: '{name}' 도구는 없습니다. 사용할 수 있는 도구: get_weather"
    return _weather(str(arguments.get("city", "")))


def sample_completion(parallel: bool = False) -> Any:
    """A Chat Completions response that calls ``get_weather`` once (or for 서울 and 부산)."""
    from openai.types.chat import ChatCompletion

    calls = _CALLS if parallel else _CALLS[:1]
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-Lab08RoundTrip" + ("Parallel" if parallel else "Single"),
            "object": "chat.completion",
            "created": 0,
            "model": catalog.default_model("openai"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "logprobs": None,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "refusal": None,
                        "annotations": [],
                        "tool_calls": [
                            {
                                "id": oid,
                                "type": "function",
                                "function": {
                                    "name": "get_weather",
                                    # The wire carries arguments as a JSON string, not an object.
                                    "arguments": json.dumps({"city": city}, ensure_ascii=False),
                                },
                            }
                            for city, oid, _ in calls
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 82, "completion_tokens": 18 * len(calls), "total_tokens": 0},
        }
    )


def sample_message(parallel: bool = False) -> Any:
    """A Messages response: a text block, then one (or two) ``tool_use`` blocks for the weather."""
    from anthropic.types import Message

    calls = _CALLS if parallel else _CALLS[:1]
    return Message.model_validate(
        {
            "id": "msg_01Lab08RoundTrip" + ("Parallel" if parallel else "Single"),
            "type": "message",
            "role": "assistant",
            "model": catalog.default_model("anthropic"),
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "content": [
                {"type": "text", "text": "날씨를 확인해 보겠습니다."},
                *(
                    {"type": "tool_use", "id": aid, "name": "get_weather", "input": {"city": city}}
                    for city, _, aid in calls
                ),
            ],
            "usage": {"input_tokens": 412, "output_tokens": 40 * len(calls)},
        }
    )


def sent_messages(provider: str, messages: Any) -> list[dict[str, Any]]:
    """The ``messages`` JSON the real SDK would send for ``messages`` (no network involved).

    Raises what the SDK raises when it cannot serialize them.
    """
    if provider == "openai":
        body = sent_body(
            "openai",
            sample_completion().model_dump(mode="json"),
            lambda client: client.chat.completions.create(
                model=catalog.default_model("openai"), messages=messages
            ),
        )
    elif provider == "anthropic":
        body = sent_body(
            "anthropic",
            sample_message().model_dump(mode="json"),
            lambda client: client.messages.create(
                model=catalog.default_model("anthropic"), max_tokens=256, messages=messages
            ),
        )
    else:
        raise ValueError(f"provider는 'openai'나 'anthropic'이어야 합니다: {provider!r}")
    return body["messages"]


@dataclass
class _ToolRecorder:
    """``run_tool`` for the graders: answers like :func:`sample_run_tool` and keeps every call."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, name: str, arguments: Any) -> str:
        self.calls.append((name, arguments))
        if isinstance(arguments, dict):
            return _weather(str(arguments.get("city", "")))
        return "오류: 인자를 dict로 받지 못했습니다"


def _returned_list(
    fb: Feedback, result: Any, messages: list, before: int, name: str
) -> list | None:
    if isinstance(result, (list, tuple)):
        return list(result)  # the SDKs take any iterable of messages
    if result is None and len(messages) > before:
        fb.fail(
            f"`{name}(...)`이 `None`을 돌려줍니다. 리스트에 붙이기만 하고 돌려주지 않았습니다.",
            hint="함수 끝에 `return messages`를 쓰세요.",
        )
    else:
        fb.fail(
            f"`{name}(...)`의 반환값은 다음 요청에 보낼 메시지 리스트여야 합니다(받은 값: "
            f"{type(result).__name__}).",
            hint="넘겨받은 `messages`에 붙여서 돌려주거나 `[*messages, ...]`로 새 리스트를 만드세요.",
        )
    return None


def _serialize(fb: Feedback, provider: str, result: list) -> list[dict[str, Any]] | None:
    try:
        return sent_messages(provider, result)
    except Exception as exc:  # noqa: BLE001 - the SDK refusing the list is the finding
        fb.fail(
            f"SDK가 돌려준 리스트를 요청 JSON으로 바꾸지 못했습니다: `{type(exc).__name__}: {exc}`",
            hint="메시지는 딕셔너리나 SDK의 메시지 객체여야 합니다. 다른 값(문자열, 응답 전체 등)이 "
            "리스트에 들어가지 않았는지 확인하세요.",
        )
        return None


def _tool_content_text(content: Any) -> str | None:
    """A tool result's text: a string, or a list of text parts (both are valid on the wire)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" for p in content
    ):
        return "".join(str(p.get("text", "")) for p in content)
    return None


def _same_result(text: str, expected: str) -> bool:
    if text == expected:
        return True
    try:
        return json.loads(text) == expected  # json.dumps(result) is a fine way to send a string
    except (ValueError, TypeError):
        return False


def _check_run_tool_calls(fb: Feedback, recorder: _ToolRecorder, n_calls: int, scene: str) -> bool:
    if any(not isinstance(args, dict) for _, args in recorder.calls):
        kinds = sorted({type(a).__name__ for _, a in recorder.calls if not isinstance(a, dict)})
        fb.fail(
            f"{scene}: `run_tool`에 인자를 {', '.join(kinds)}(으)로 넘겼습니다. 도구에는 dict를 "
            "넘겨야 합니다.",
            hint="OpenAI의 `call.function.arguments`는 JSON 문자열입니다. "
            "`json.loads(call.function.arguments)`로 dict로 바꾸세요.",
        )
        return False
    if len(recorder.calls) != n_calls:
        fb.fail(
            f"{scene}: 도구 호출 {n_calls}개에 `run_tool`을 {len(recorder.calls)}번 불렀습니다.",
            hint="호출마다 정확히 한 번 실행합니다. 예약·결제 같은 도구를 두 번 실행하면 일이 두 번 "
            "일어납니다."
            if len(recorder.calls) > n_calls
            else "응답의 도구 호출마다 `run_tool(이름, 인자)`을 불러 결과를 얻으세요."
            if not recorder.calls
            else "병렬 호출이면 호출이 여러 개입니다. `for` 문으로 전부 실행하세요.",
        )
        return False
    return True
