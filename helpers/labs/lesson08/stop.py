""" "08-stop": an agent loop that stops safely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import Feedback, check_signature, register, run_learner

# ------------------------------------------------------------------------------------------------
# 08-stop
# ------------------------------------------------------------------------------------------------

_CUT = ("length", "max_tokens")
_BY_CALLS = (
    "도구를 불렀는지는 `reply.finish`가 아니라 `reply.calls`로 판단하세요. 종료 사유의 이름은 "
    '공급자마다 다릅니다(도구 호출: `"tool_calls"`/`"tool_use"`, 최종 답: `"stop"`/`"end_turn"`).'
)


class _Runaway(BaseException):
    """Raised by the fake model when the loop will not stop (escapes `except Exception`)."""


@dataclass(frozen=True)
class _Reply:
    text: str
    calls: list[Any]
    finish: str


@dataclass(frozen=True)
class _Call:
    id: str
    name: str
    arguments: dict[str, Any]


def _tool_reply(n: int, finish: str = "tool_calls") -> _Reply:
    return _Reply(f"{n}번째 도구를 부릅니다.", [_Call(f"call_{n}", "calculator", {"n": n})], finish)


@dataclass
class _Scenario:
    label: str
    replies: list[_Reply]  # the model's script; after it, keeps calling tools if `endless`
    max_turns: int
    want_reason: str
    want_text: str | None  # None: any string (the text at the limit is the learner's choice)
    endless: bool = False


def _scenarios() -> list[_Scenario]:
    final = _Reply("서울은 맑고 부산은 흐립니다.", [], "stop")
    return [
        _Scenario("바로 답하는 모델", [final], 5, "final", final.text),
        _Scenario(
            "도구를 두 번 부른 뒤 답하는 모델(OpenAI 종료 사유)",
            [_tool_reply(1), _tool_reply(2), final],
            5,
            "final",
            final.text,
        ),
        _Scenario(
            "도구를 한 번 부른 뒤 답하는 모델(Anthropic 종료 사유)",
            [_tool_reply(1, "tool_use"), _Reply("두 도시의 날씨입니다.", [], "end_turn")],
            5,
            "final",
            "두 도시의 날씨입니다.",
        ),
        _Scenario(
            "마지막 허용 턴에 답하는 모델(max_turns=3)",
            [_tool_reply(1), _tool_reply(2), final],
            3,
            "final",
            final.text,
        ),
        _Scenario("끝없이 도구를 부르는 모델(max_turns=3)", [], 3, "max_turns", None, endless=True),
        _Scenario("끝없이 도구를 부르는 모델(max_turns=1)", [], 1, "max_turns", None, endless=True),
        _Scenario(
            '답이 잘린 모델(finish="length")',
            [_Reply("서울 인구는 약 9", [], "length")],
            5,
            "cut",
            "서울 인구는 약 9",
        ),
        _Scenario(
            '도구를 부른 뒤 답이 잘린 모델(stop_reason="max_tokens")',
            [_tool_reply(1, "tool_use"), _Reply("결과를 정리하면", [], "max_tokens")],
            5,
            "cut",
            "결과를 정리하면",
        ),
        _Scenario(
            '도구 호출 도중 잘린 모델(finish="length", 호출 있음)',
            [_Reply("", [_Call("call_cut", "calculator", {"n": 1})], "length")],
            5,
            "cut",
            "",
        ),
    ]


@dataclass
class _Run:
    asked: int = 0
    tool_batches: list[list[Any]] = field(default_factory=list)
    result: Any = None
    runaway: bool = False


def _play(run_loop: Callable, s: _Scenario) -> _Run:
    run = _Run()
    hard_cap = s.max_turns + 5

    def ask_model() -> _Reply:
        run.asked += 1
        if run.asked > hard_cap:
            raise _Runaway
        if run.asked <= len(s.replies):
            return s.replies[run.asked - 1]
        if s.endless:
            return _tool_reply(run.asked)
        raise _Runaway  # a scripted model has nothing more to say

    def run_tools(calls: Any) -> list[str]:
        run.tool_batches.append(list(calls) if isinstance(calls, (list, tuple)) else [calls])
        if len(run.tool_batches) > hard_cap:
            raise _Runaway
        return [f"결과 {i}" for i, _ in enumerate(run.tool_batches[-1])]

    try:
        run.result = run_learner(
            run_loop, ask_model, run_tools, s.max_turns, what=f"run_loop(...) — {s.label}"
        )
    except _Runaway:
        run.runaway = True
    return run


def _judge(fb: Feedback, s: _Scenario, run: _Run) -> bool:
    batches = [b for b in run.tool_batches if b]
    # Before the runaway check: running a cut call is the cause even if the loop then spins.
    cut_calls = [c for r in s.replies if r.finish in _CUT for c in r.calls]
    if any(c in b for b in batches for c in cut_calls):
        fb.fail(
            f"{s.label}: 잘린 답의 도구 호출을 실행했습니다. 잘린 호출의 인자는 JSON이 끊겨 있을 수 "
            "있습니다.",
            hint='`finish`가 잘림이면 도구를 실행하지 말고 바로 `("cut", reply.text)`를 돌려주세요.',
        )
        return False
    if run.runaway and not s.endless:
        last = s.replies[-1]
        fb.fail(
            f"{s.label}: 모델이 도구 없이 답했는데(`finish={last.finish!r}`, `calls=[]`) 루프가 "
            f"멈추지 않고 다시 물었습니다(`ask_model` {run.asked}번).",
            hint=_BY_CALLS,
        )
        return False
    if run.runaway:
        fb.fail(
            f"{s.label}: 루프가 멈추지 않았습니다(`ask_model`을 {run.asked}번 불렀습니다, "
            f"`max_turns={s.max_turns}`).",
            hint="`for _ in range(max_turns):`처럼 모델 호출 횟수에 상한을 두세요. 도구를 부르지 않은 "
            "답이나 잘린 답에서는 `return`으로 빠져나옵니다.",
        )
        return False
    result = run.result
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        fb.fail(
            f"{s.label}: `(이유, 텍스트)` 튜플을 돌려줘야 합니다(받은 값: {result!r}).",
            hint='예: `return ("final", reply.text)`',
        )
        return False
    reason, text = result
    if run.asked > s.max_turns:
        fb.fail(
            f"{s.label}: `ask_model`을 {run.asked}번 불렀습니다. `max_turns={s.max_turns}`이면 "
            f"{s.max_turns}번까지만 부릅니다.",
            hint="턴 수를 세는 위치를 확인하세요. `range(max_turns)`이면 정확히 그만큼 돕니다.",
        )
        return False
    want_calls = len(s.replies) if not s.endless else s.max_turns
    if not s.endless and run.asked < want_calls:
        fb.fail(
            f"{s.label}: 모델이 아직 답하지 않았는데 `ask_model`을 {run.asked}번만 부르고 멈췄습니다"
            f"(기대: {want_calls}번).",
            hint="도구를 부른 답이면 `run_tools(reply.calls)` 뒤에 다시 `ask_model()`을 부릅니다. "
            "`range(max_turns - 1)`처럼 한 턴을 덜 돌지 않는지도 확인하세요. " + _BY_CALLS,
        )
        return False
    if s.endless and run.asked < s.max_turns:
        fb.fail(
            f"{s.label}: 한도({s.max_turns}턴)보다 먼저 멈췄습니다(`ask_model` {run.asked}번).",
            hint="한도에 닿기 전에는 도구를 부른 답마다 도구를 실행하고 다시 물어봅니다.",
        )
        return False
    if reason != s.want_reason:
        meaning = {
            "final": "모델이 도구를 부르지 않고 답했으니",
            "max_turns": "턴 한도에 닿았으니",
            "cut": '답이 잘렸으니(`finish`가 `"length"`/`"max_tokens"`)',
        }[s.want_reason]
        fb.fail(
            f"{s.label}: 이유가 {reason!r}입니다. {meaning} `{s.want_reason!r}`를 돌려줘야 합니다.",
            hint='잘림을 먼저 확인하세요: `if reply.finish in ("length", "max_tokens")`. 잘린 답에도 '
            "도구 호출이 없을 수 있어, 순서가 바뀌면 잘린 답을 최종 답으로 착각합니다."
            if s.want_reason == "cut"
            else None,
        )
        return False
    if s.want_text is not None and text != s.want_text:
        fb.fail(
            f"{s.label}: 텍스트가 {text!r}입니다(기대: {s.want_text!r}).",
            hint="멈춘 그 답의 `reply.text`를 돌려주세요.",
        )
        return False
    if s.want_text is None and not isinstance(text, str):
        fb.fail(
            f"{s.label}: 텍스트 자리에 문자열이 아닌 {type(text).__name__}을 돌려줬습니다.",
            hint="한도에 닿으면 마지막 `reply.text`를 돌려주세요.",
        )
        return False
    tool_turns = [r for r in s.replies if r.calls and r.finish not in _CUT]
    if s.endless:
        ok_counts = {s.max_turns - 1, s.max_turns}  # the last turn's tools may run or not
    else:
        ok_counts = {len(tool_turns)}
    if len(batches) not in ok_counts:
        fb.fail(
            f"{s.label}: 도구를 부른 답 {max(ok_counts)}번에 `run_tools`를 {len(batches)}번 "
            "불렀습니다.",
            hint="도구를 부른 답마다 `run_tools(reply.calls)`를 정확히 한 번 부릅니다.",
        )
        return False
    expected_batches = [list(r.calls) for r in tool_turns]
    if not s.endless and batches != expected_batches:
        fb.fail(
            f"{s.label}: `run_tools`에 그 턴의 `reply.calls`가 아닌 값을 넘겼습니다.",
            hint="`run_tools(reply.calls)`처럼 방금 받은 답의 호출 리스트를 그대로 넘기세요.",
        )
        return False
    return True


@register("08-stop", "안전하게 멈추는 에이전트 루프")
def _check_stop(answer: Any, fb: Feedback) -> None:
    usage = "def run_loop(ask_model, run_tools, max_turns=5)"
    if (
        check_signature(fb, answer, "run_loop", ["ask_model", "run_tools", "max_turns"], usage)
        is None
    ):
        return
    passed = 0
    for s in _scenarios():
        if not _judge(fb, s, _play(answer, s)):
            return
        passed += 1
    fb.ok(
        f"시나리오 {passed}개를 모두 통과했습니다: 최종 답에서 멈추고, `max_turns`번을 넘겨 묻지 않으며, "
        '잘린 답(`length`/`max_tokens`)은 도구를 실행하지 않고 `"cut"`으로 알립니다.'
    )


def demo_stop(run_loop: Callable) -> None:
    """Print what ``run_loop`` returns for each grader scenario, with the call counts."""
    for s in _scenarios():
        try:
            run = _play(run_loop, s)
        except Exception as exc:  # noqa: BLE001 - a demo prints the learner's error and goes on
            print(f"- {s.label}: 오류 {type(exc).__name__}: {exc}")
            continue
        got = "멈추지 않음" if run.runaway else repr(run.result)
        print(
            f"- {s.label}: {got} — ask_model {run.asked}번, "
            f"run_tools {len([b for b in run.tool_batches if b])}번 (기대 이유: {s.want_reason!r})"
        )
