""" "08-roundtrip" and "08-roundtrip-anthropic": sending tool results back."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import Feedback, check_signature, register, run_learner
from .wire import (
    _check_run_tool_calls,
    _returned_list,
    _same_result,
    _serialize,
    _tool_content_text,
    _ToolRecorder,
    _weather,
    sample_completion,
    sample_message,
)

# ------------------------------------------------------------------------------------------------
# 08-roundtrip (OpenAI Chat Completions)
# ------------------------------------------------------------------------------------------------

_QUESTION = {"role": "user", "content": "서울 날씨 알려 줘"}
_QUESTION_BOTH = {"role": "user", "content": "서울과 부산 날씨 알려 줘"}


def _check_openai_wire(
    fb: Feedback, wire: list[dict[str, Any]], prefix: list[dict[str, Any]], completion: Any
) -> bool:
    calls = completion.choices[0].message.tool_calls
    expected = {c.id: _weather(json.loads(c.function.arguments)["city"]) for c in calls}
    if wire[: len(prefix)] != prefix:
        fb.fail(
            "보낸 리스트가 원래 대화(`messages`)로 시작하지 않습니다.",
            hint="다음 요청은 대화 전체입니다. 받은 `messages`를 앞에 두고 뒤에 붙이세요.",
        )
        return False
    rest = wire[len(prefix) :]
    if not rest or rest[0].get("role") != "assistant" or not rest[0].get("tool_calls"):
        where = (
            "없습니다"
            if not any(m.get("role") == "assistant" for m in rest)
            else "맨 앞에 없습니다"
        )
        fb.fail(
            f"원래 대화 바로 뒤에 `tool_calls`를 담은 assistant 메시지가 {where}. 이것이 없으면 API는 "
            '`role: "tool"` 메시지가 무엇에 대한 답인지 몰라 요청을 거부합니다(400).',
            hint="먼저 `completion.choices[0].message`를 그대로 붙이세요.",
        )
        return False
    sent_calls = rest[0]["tool_calls"]
    if sorted(c.get("id") for c in sent_calls) != sorted(expected):
        fb.fail(
            "assistant 메시지의 `tool_calls`가 응답의 호출과 다릅니다.",
            hint="직접 만들지 말고 응답의 `message`를 그대로 붙이면 id가 어긋나지 않습니다.",
        )
        return False
    for c in sent_calls:
        if not isinstance((c.get("function") or {}).get("arguments"), str):
            fb.fail(
                "assistant 메시지의 `function.arguments`가 문자열이 아닙니다. API는 받은 그대로의 "
                "JSON 문자열을 기대합니다.",
                hint="`json.loads`한 dict가 아니라 원래 `call.function.arguments`를 넣으세요.",
            )
            return False
    tools = []
    for m in rest[1:]:
        if m.get("role") != "tool":
            break
        tools.append(m)
    later_tools = [m for m in rest[1 + len(tools) :] if m.get("role") == "tool"]
    if later_tools:
        fb.fail(
            '`role: "tool"` 메시지 사이에 다른 메시지가 끼어 있습니다. API는 tool 메시지가 '
            "assistant 메시지 바로 뒤에 이어지기를 요구합니다.",
            hint="assistant 메시지 → tool 메시지들 순서로 붙이고, 다른 메시지는 그 뒤에 두세요.",
        )
        return False
    answered = [m.get("tool_call_id") for m in tools]
    missing = [cid for cid in expected if cid not in answered]
    doubled = sorted({cid for cid in answered if answered.count(cid) > 1})
    unknown = [cid for cid in answered if cid not in expected]
    if missing:
        fb.fail(
            f"답하지 않은 호출이 있습니다: {', '.join(missing)}. 답이 빠지면 API가 다음 요청을 "
            "거부합니다(400).",
            hint='`tool_calls`의 호출마다 `{"role": "tool", "tool_call_id": call.id, '
            '"content": ...}`를 하나씩 붙이세요.'
            + (" (`tool_call_id` 키 이름도 확인하세요.)" if None in answered else ""),
        )
        return False
    if doubled or unknown:
        fb.fail(
            f"같은 호출에 두 번 답했거나 없는 id에 답했습니다: {', '.join(map(str, doubled + unknown))}.",
            hint="`tool_call_id`는 해당 `call.id`를 그대로 씁니다. 호출 하나에 tool 메시지 하나입니다.",
        )
        return False
    for m in tools:
        text = _tool_content_text(m.get("content"))
        want = expected[m["tool_call_id"]]
        if text is None:
            fb.fail(
                f"`{m['tool_call_id']}`의 `content`가 문자열이 아닙니다"
                f"({type(m.get('content')).__name__}).",
                hint="도구 결과는 문자열로 보냅니다. dict라면 `json.dumps(결과, ensure_ascii=False)`.",
            )
            return False
        if not _same_result(text, want):
            others = [v for k, v in expected.items() if k != m["tool_call_id"]]
            fb.fail(
                f"`{m['tool_call_id']}`에 엉뚱한 결과를 붙였습니다: {text!r}(기대: {want!r}).",
                hint="다른 호출의 결과를 붙였습니다. 같은 반복 안에서 `call.id`와 그 호출의 결과를 "
                "짝지으세요."
                if any(_same_result(text, o) for o in others)
                else "`content`에는 `run_tool(...)`이 돌려준 문자열을 그대로 넣으세요.",
            )
            return False
    return True


# ------------------------------------------------------------------------------------------------
# 08-roundtrip-anthropic (Messages)
# ------------------------------------------------------------------------------------------------

# Anthropic "Handle tool calls" (platform.claude.com/docs/en/agents-and-tools/tool-use/
# handle-tool-calls): tool results must immediately follow their tool_use turn, and "in the user
# message containing tool results, the tool_result blocks must come FIRST in the content array".
# "Parallel tool use" (…/tool-use/parallel-tool-use): one tool_result per tool_use block, all in
# the next user message — separate user messages teach Claude to stop calling tools in parallel.


def _check_anthropic_wire(
    fb: Feedback, wire: list[dict[str, Any]], prefix: list[dict[str, Any]], response: Any
) -> bool:
    uses = [b for b in response.content if b.type == "tool_use"]
    expected = {b.id: _weather(b.input["city"]) for b in uses}
    if wire[: len(prefix)] != prefix:
        fb.fail(
            "보낸 리스트가 원래 대화(`messages`)로 시작하지 않습니다.",
            hint="다음 요청은 대화 전체입니다. 받은 `messages`를 앞에 두고 뒤에 붙이세요.",
        )
        return False
    rest = wire[len(prefix) :]
    head = rest[0] if rest else {}
    blocks = head.get("content") if head.get("role") == "assistant" else None
    if not isinstance(blocks, list) or not any(
        isinstance(b, dict) and b.get("type") == "tool_use" for b in blocks
    ):
        fb.fail(
            "원래 대화 바로 뒤에 `tool_use` 블록을 담은 assistant 메시지가 없습니다. 이것이 없으면 "
            "API는 `tool_result`가 무엇에 대한 답인지 몰라 요청을 거부합니다(400).",
            hint='`{"role": "assistant", "content": response.content}`를 먼저 붙이세요.',
        )
        return False
    sent_ids = sorted(
        b.get("id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"
    )
    if sent_ids != sorted(expected):
        fb.fail(
            "assistant 메시지의 `tool_use` 블록이 응답과 다릅니다.",
            hint="블록을 직접 만들지 말고 `response.content`를 그대로 넣으세요.",
        )
        return False
    if len(blocks) < len(response.content):
        fb.hint(
            "assistant 메시지에서 텍스트 블록을 뺐습니다. API는 받아 주지만, `response.content`를 "
            "그대로 넣는 편이 안전합니다(생각 블록 등은 빼면 거부됩니다)."
        )
    # ToolUseBlock.caller is Optional in the response model but not in ToolUseBlockParam; Bedrock
    # rejects `"caller": null` (anthropics/anthropic-sdk-python#1566, #1454), so: advice, not a fail.
    if any(isinstance(b, dict) and "caller" in b and b["caller"] is None for b in blocks):
        fb.hint(
            '`model_dump()`로 바꾼 블록에 `"caller": null`이 들어갑니다. 일부 플랫폼(Bedrock 등)은 '
            "이 값을 거부합니다. `response.content`를 그대로 넣거나 `model_dump(exclude_none=True)`를 "
            "쓰세요."
        )
    users = []
    for m in rest[1:]:
        if m.get("role") != "user":
            break
        users.append(m)
    if not users:
        fb.fail(
            "assistant 메시지 뒤에 도구 결과를 담은 user 메시지가 없습니다.",
            hint='`{"role": "user", "content": [tool_result 블록들]}`을 붙이세요.',
        )
        return False
    first = users[0].get("content")
    if not isinstance(first, list):
        fb.fail(
            f"결과를 담은 user 메시지의 `content`가 블록의 리스트가 아닙니다({type(first).__name__}).",
            hint='`content`는 `[{"type": "tool_result", ...}, ...]`처럼 리스트로 씁니다.',
        )
        return False
    results = [b for b in first if isinstance(b, dict) and b.get("type") == "tool_result"]
    later = [
        b
        for m in users[1:]
        if isinstance(m.get("content"), list)
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    if later:
        fb.fail(
            "도구 결과를 user 메시지 여러 개에 나눠 담았습니다. 병렬 호출의 결과는 다음 user 메시지 "
            "하나에 모두 담아야 합니다(Anthropic 문서: Parallel tool use).",
            hint='결과 블록을 한 리스트에 모아 `{"role": "user", "content": 그 리스트}` 하나로 '
            "붙이세요.",
        )
        return False
    if first[: len(results)] != results:
        fb.fail(
            "user 메시지에서 `tool_result` 블록보다 다른 블록(텍스트 등)이 앞에 있습니다. "
            "API는 tool_result 블록이 맨 앞에 오기를 요구합니다(400).",
            hint="tool_result 블록들을 먼저 두고, 덧붙일 텍스트는 그 뒤에 두세요.",
        )
        return False
    answered = [b.get("tool_use_id") for b in results]
    missing = [i for i in expected if i not in answered]
    if missing:
        fb.fail(
            f"답하지 않은 `tool_use`가 있습니다: {', '.join(missing)}. 모든 `tool_use`에 "
            "`tool_result`가 있어야 합니다(없으면 400).",
            hint='`block.type == "tool_use"`인 블록마다 `{"type": "tool_result", '
            '"tool_use_id": block.id, "content": ...}`를 만드세요.'
            + (" (`tool_use_id` 키 이름도 확인하세요.)" if None in answered else ""),
        )
        return False
    extra = sorted({i for i in answered if answered.count(i) > 1 or i not in expected}, key=str)
    if extra:
        fb.fail(
            f"같은 `tool_use`에 두 번 답했거나 없는 id에 답했습니다: {', '.join(map(str, extra))}.",
            hint="`tool_use_id`는 해당 블록의 `block.id`를 그대로 씁니다.",
        )
        return False
    for b in results:
        text = _tool_content_text(b.get("content"))
        want = expected[b["tool_use_id"]]
        if text is None:
            fb.fail(
                f"`{b['tool_use_id']}`의 `content`가 문자열이나 텍스트 블록 리스트가 아닙니다.",
                hint="도구 결과는 문자열로 보냅니다. dict라면 `json.dumps(결과, ensure_ascii=False)`.",
            )
            return False
        if not _same_result(text, want):
            fb.fail(
                f"`{b['tool_use_id']}`에 엉뚱한 결과를 붙였습니다: {text!r}(기대: {want!r}).",
                hint="같은 반복 안에서 `block.id`와 `run_tool(block.name, block.input)`의 결과를 "
                "짝지으세요.",
            )
            return False
    return True


@dataclass(frozen=True)
class _RoundTrip:
    """What differs between the two round-trip labs; the grading steps are the same."""

    provider: str
    function: str
    response_arg: str
    sample: Callable[[bool], Any]
    count_calls: Callable[[Any], int]
    check_wire: Callable[..., bool]
    done: str


_ROUND_TRIPS = {
    "openai": _RoundTrip(
        "openai",
        "add_tool_results",
        "completion",
        sample_completion,
        lambda completion: len(completion.choices[0].message.tool_calls),
        _check_openai_wire,
        "assistant 메시지 뒤에 모든 `tool_call_id`에 한 번씩 답한 tool 메시지가 이어집니다",
    ),
    "anthropic": _RoundTrip(
        "anthropic",
        "add_tool_results_anthropic",
        "response",
        sample_message,
        lambda response: sum(1 for b in response.content if b.type == "tool_use"),
        _check_anthropic_wire,
        "assistant 메시지 뒤의 user 메시지 하나가 모든 `tool_use`에 답하는 `tool_result` 블록으로 "
        "시작합니다",
    ),
}


def _grade_round_trip(lab: _RoundTrip, answer: Any, fb: Feedback) -> None:
    needed = ["messages", lab.response_arg, "run_tool"]
    usage = f"def {lab.function}({', '.join(needed)})"
    if check_signature(fb, answer, lab.function, needed, usage) is None:
        return
    for parallel, question in ((False, _QUESTION), (True, _QUESTION_BOTH)):
        scene = "병렬 호출 두 개" if parallel else "호출 하나"
        response = lab.sample(parallel)
        messages = [dict(question)]
        recorder = _ToolRecorder()
        result = run_learner(
            answer, messages, response, recorder, what=f"{lab.function}(...) — {scene}"
        )
        result = _returned_list(fb, result, messages, 1, lab.function)
        if result is None:
            return
        if not _check_run_tool_calls(fb, recorder, lab.count_calls(response), scene):
            return
        wire = _serialize(fb, lab.provider, result)
        if wire is None or not lab.check_wire(fb, wire, [question], response):
            fb.info(f"시험한 응답: {scene}")
            return
        fb.ok(f"{scene}: {lab.done}(SDK가 보낼 JSON으로 확인).")


@register("08-roundtrip", "도구 결과를 돌려보내는 메시지(OpenAI)")
def _check_roundtrip(answer: Any, fb: Feedback) -> None:
    _grade_round_trip(_ROUND_TRIPS["openai"], answer, fb)


@register("08-roundtrip-anthropic", "도구 결과를 돌려보내는 메시지(Anthropic)")
def _check_roundtrip_anthropic(answer: Any, fb: Feedback) -> None:
    _grade_round_trip(_ROUND_TRIPS["anthropic"], answer, fb)
