"""Lab checkers for lesson 02 (multi-turn conversations and the context window).

Labs:

- ``"02-trim-budget"`` — ``trim(messages, budget, count_tokens) -> list``: drop the oldest whole
  turns until ``count_tokens(result) <= budget``; keep the system message and the order; never
  leave a reply without its question; refuse (``ValueError``) a budget below the system message.
  Checked against :func:`helpers.conversation.trim_to_budget` on several histories.
- ``"02-over-budget"`` — ``first_turn_over(messages, budget, count_tokens) -> int | None``: the
  1-based number of the first user turn whose request (the history up to and including that
  user message) counts more than ``budget`` tokens; ``None`` when no request does.
- ``"02-resume"`` — ``resume(path, system) -> Conversation``: load a saved conversation, start a
  new one when the file does not exist, and let a corrupt file's error through (never replace
  or delete it).

Every check uses a small, exact character counter so the learner can follow the numbers.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from ..conversation import Conversation, ConversationFileError, split_turns, trim_to_budget
from . import Feedback, LearnerError, register, run_learner

__all__ = ["char_tokens", "first_turn_over_reference", "sample_history"]


def char_tokens(messages: list[dict]) -> int:
    """A toy token counter: 2 per message plus one per character of its content."""
    return sum(2 + len(str(m.get("content") or "")) for m in messages)


def sample_history(turns: int = 4, system: str | None = "간결하게 답합니다.") -> list[dict]:
    messages = [] if system is None else [{"role": "system", "content": system}]
    for i in range(1, turns + 1):
        messages.append({"role": "user", "content": f"질문{i}: " + "가" * (3 * i)})
        messages.append({"role": "assistant", "content": f"답변{i}: " + "나" * (5 * i)})
    return messages


def _describe(messages: Any) -> str:
    if not isinstance(messages, list):
        return repr(messages)
    return (
        "["
        + ", ".join(
            f"{m.get('role')}:{str(m.get('content'))[:6]}" if isinstance(m, dict) else repr(m)
            for m in messages
        )
        + "]"
    )


# ------------------------------------------------------------------------------------------------
# 02-trim-budget
# ------------------------------------------------------------------------------------------------


def _trim_cases() -> list[tuple[str, list[dict], int]]:
    history = sample_history(4)
    total = char_tokens(history)
    return [
        ("예산 안에 드는 대화", history, total),
        ("오래된 턴 하나를 지워야 하는 대화", history, total - 1),
        ("절반쯤 지워야 하는 대화", history, total // 2),
        ("system 메시지가 없는 대화", sample_history(3, system=None), 60),
        (
            "답이 두 번 이어진 턴이 있는 대화",
            [
                {"role": "system", "content": "시스템"},
                {"role": "user", "content": "질문1: 가가가"},
                {"role": "assistant", "content": "답변1-a: 나나"},
                {"role": "assistant", "content": "답변1-b: 나나나나"},
                {"role": "user", "content": "질문2: 가가"},
                {"role": "assistant", "content": "답변2: 나"},
            ],
            36,
        ),
    ]


def _orphaned(result: list[dict], original: list[dict]) -> bool:
    """A kept reply whose user message (or a sibling reply) was dropped."""
    _, turns = split_turns(original)
    kept = [json.dumps(m, sort_keys=True, ensure_ascii=False) for m in result]
    for turn in turns:
        present = [json.dumps(m, sort_keys=True, ensure_ascii=False) in kept for m in turn]
        if any(present) and not all(present):
            return True
    return False


def _trimmed_on_equal(result: list[dict], history: list[dict], budget: int) -> bool:
    """True when ``result`` is what a ``<`` comparison (instead of ``<=``) keeps."""
    if budget <= 1:
        return False
    try:
        return result == trim_to_budget(history, budget - 1, char_tokens)
    except ValueError:
        return False


def _in_order(result: list[dict], original: list[dict]) -> bool:
    it = iter(original)
    return all(any(m == o for o in it) for m in result)


@register(
    "02-trim-budget", "trim(messages, budget, count_tokens) — 토큰 예산에 맞춰 오래된 턴 지우기"
)
def check_trim_budget(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`trim`은 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def trim(messages, budget, count_tokens):`로 정의하세요.",
        )
        return
    all_ok = True
    for label, history, budget in _trim_cases():
        original = copy.deepcopy(history)
        given = copy.deepcopy(history)
        expected = trim_to_budget(history, budget, char_tokens)
        result = run_learner(
            answer, given, budget, char_tokens, what=f"trim(messages, {budget}, count_tokens)"
        )
        if given != original:
            fb.fail(
                f"{label}: 넘겨받은 `messages` 리스트를 바꿨습니다.",
                hint="원래 대화 기록은 그대로 두고 새 리스트를 만들어 돌려주세요. "
                "`messages.pop(...)`이나 `del messages[...]` 대신 슬라이싱(`messages[i:]`)을 쓰면 "
                "원본이 남습니다. 원본은 저장이나 요약에 다시 쓰입니다.",
            )
            return
        if not isinstance(result, list):
            fb.fail(
                f"{label}: 리스트가 아니라 {type(result).__name__}을(를) 돌려주었습니다.",
                hint="메시지 dict의 리스트를 돌려주세요.",
            )
            return
        if result == expected:
            continue
        all_ok = False
        got = f"예산 {budget}, 결과 {_describe(result)} ({char_tokens(result)} 토큰)"
        if history and history[0]["role"] == "system" and (not result or result[0] != history[0]):
            fb.fail(
                f"{label}: system 메시지가 맨 앞에 없습니다. {got}",
                hint="system 메시지는 모델의 역할과 규칙이라 지우지 않습니다. "
                "system을 떼어 두고, 나머지 턴만 지운 뒤 다시 앞에 붙이세요.",
            )
        elif char_tokens(result) > budget:
            fb.fail(
                f"{label}: 결과가 예산을 넘습니다. {got}",
                hint="지운 뒤의 토큰 수를 `count_tokens(결과)`로 다시 세어, 예산 이하가 될 때까지 "
                "반복하세요.",
            )
        elif not _in_order(result, history):
            fb.fail(
                f"{label}: 메시지 순서가 바뀌었거나 없던 메시지가 생겼습니다. {got}",
                hint="원래 순서를 그대로 지키고, 앞(오래된 쪽)에서부터 지우기만 하세요.",
            )
        elif _orphaned(result, history):
            fb.fail(
                f"{label}: 질문(user) 없이 답(assistant)만 남은 턴이 있습니다. {got}",
                hint="메시지 하나씩이 아니라 **턴 단위**(user 메시지와 그 뒤의 답들)로 지우세요. "
                "답만 남으면 모델은 무엇에 대한 답인지 알 수 없습니다.",
            )
        elif len(result) < len(expected) and _trimmed_on_equal(result, history, budget):
            fb.fail(
                f"{label}: 필요보다 많이 지웠습니다. {got}, 기대 {_describe(expected)} "
                f"({char_tokens(expected)} 토큰)",
                hint="예산과 **같은** 토큰 수는 예산 안입니다. `count_tokens(결과) <= budget`이면 "
                "멈추세요(`<`가 아니라 `<=`).",
            )
        elif len(result) < len(expected):
            fb.fail(
                f"{label}: 필요보다 많이 지웠습니다. {got}, 기대 {_describe(expected)}",
                hint="가장 오래된 턴부터 하나씩 지우며, 예산에 들어오는 순간 멈추세요. "
                "최근 턴일수록 지금 질문과 관련이 깊습니다.",
            )
        else:
            fb.fail(
                f"{label}: 지운 턴이 다릅니다. {got}, 기대 {_describe(expected)}",
                hint="가장 **오래된** 턴(system 바로 다음)부터 지우세요.",
            )
    if all_ok:
        fb.ok(
            "다섯 가지 대화에서 오래된 턴부터 통째로 지우고, system과 순서를 지키며 예산을 맞춥니다."
        )

    # A budget that cannot even hold the system message.
    system_only = [{"role": "system", "content": "긴 시스템 메시지입니다"}]
    try:
        out = answer(copy.deepcopy(system_only) + sample_history(1, None), 5, char_tokens)
    except ValueError:
        fb.ok("예산이 system 메시지보다 작으면 `ValueError`로 알립니다.")
    except (TypeError, AttributeError, KeyError, IndexError, NameError) as exc:
        raise LearnerError(exc, "trim(messages, 5, count_tokens)") from exc  # a bug, reported
    except Exception as exc:  # noqa: BLE001 - raised on purpose, but not the asked-for type
        fb.fail(
            f"예산(5)이 system 메시지보다 작을 때 `ValueError`가 아니라 "
            f"`{type(exc).__name__}`를 냈습니다.",
            hint="잘못된 값(맞출 수 없는 예산)에는 `ValueError`를 씁니다: "
            "`raise ValueError('예산이 system 메시지보다 작습니다')`. 호출하는 쪽은 "
            "`except ValueError:`로 이 경우를 잡습니다.",
        )
    else:
        fb.fail(
            f"예산(5)이 system 메시지({char_tokens(system_only)} 토큰)보다 작은데 오류 없이 "
            f"{_describe(out)}을(를) 돌려주었습니다.",
            hint="system 메시지는 지울 수 없으니 이 경우는 맞출 방법이 없습니다. "
            "`raise ValueError('예산이 system 메시지보다 작습니다')`처럼 알려 주세요.",
        )


# ------------------------------------------------------------------------------------------------
# 02-over-budget
# ------------------------------------------------------------------------------------------------


def first_turn_over_reference(
    messages: list[dict], budget: int, count_tokens: Any, *, with_reply: bool = False
) -> int | None:
    """The first turn whose request (history up to its user message) is over ``budget``.
    ``with_reply`` counts each turn's reply into its request too: a common slip."""
    turn = 0
    for i, message in enumerate(messages):
        if message["role"] == "user":
            turn += 1
            if count_tokens(messages[: i + 1 + with_reply]) > budget:
                return turn
    return None


def _first_at_least(sizes: list[int], budget: int) -> int | None:
    """The answer of a ``>=`` comparison (a common slip)."""
    return next((n for n, size in enumerate(sizes, start=1) if size >= budget), None)


def _over_cases() -> list[tuple[list[dict], int]]:
    history = sample_history(5)
    requests = []
    turn_requests = [
        char_tokens(history[: i + 1]) for i, m in enumerate(history) if m["role"] == "user"
    ]
    requests.append((history, turn_requests[2]))  # exactly equal at turn 3: not over yet
    requests.append((history, turn_requests[2] - 1))  # turn 3 is the first over
    requests.append((history, 10))  # the first request is already over
    requests.append((history, 10_000))  # never over
    requests.append((sample_history(3, system=None), turn_requests[1]))
    return requests


def _message_positions(history: list[dict], budget: int) -> set[int]:
    """0- and 1-based list positions of the first user message whose request is over budget."""
    for i, message in enumerate(history):
        if message["role"] == "user" and char_tokens(history[: i + 1]) > budget:
            expected = first_turn_over_reference(history, budget, char_tokens)
            return {i, i + 1} - {expected}
    return set()


@register(
    "02-over-budget", "first_turn_over(messages, budget, count_tokens) — 예산을 처음 넘는 턴 찾기"
)
def check_over_budget(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`first_turn_over`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def first_turn_over(messages, budget, count_tokens):`로 정의하세요.",
        )
        return
    wrong = 0
    for history, budget in _over_cases():
        expected = first_turn_over_reference(history, budget, char_tokens)
        got = run_learner(
            answer,
            copy.deepcopy(history),
            budget,
            char_tokens,
            what=f"first_turn_over(messages, {budget}, count_tokens)",
        )
        if got == expected and type(got) is type(expected):
            continue
        wrong += 1
        sizes = [
            char_tokens(history[: i + 1]) for i, m in enumerate(history) if m["role"] == "user"
        ]
        table = ", ".join(f"{n}턴 {s}" for n, s in enumerate(sizes, start=1))
        context = f"예산 {budget}, 턴별 요청 토큰: {table}. 기대 {expected!r}, 받은 값 {got!r}"
        if expected is None:
            fb.fail(
                f"어느 요청도 예산을 넘지 않는데 {got!r}을(를) 돌려주었습니다. {context}",
                hint="끝까지 넘지 않으면 `None`을 돌려주세요(0이나 -1, False가 아니라).",
            )
        elif got == _first_at_least(sizes, budget):
            fb.fail(
                f"예산과 **같은** 요청을 넘었다고 보았습니다. {context}",
                hint="예산 이하(<=)는 보낼 수 있습니다. 예산보다 **큰**(>) 첫 요청을 찾으세요.",
            )
        elif isinstance(got, int) and got in _message_positions(history, budget):
            fb.fail(
                f"턴 번호가 아니라 메시지 위치(인덱스)를 돌려준 것 같습니다. {context}",
                hint="`messages`에는 system과 assistant 메시지도 있습니다. 턴 번호는 그때까지 만난 "
                "user 메시지의 개수입니다(첫 user 메시지가 1턴). user 메시지를 만날 때마다 "
                "`turn += 1`로 세세요.",
            )
        elif got == first_turn_over_reference(history, budget, char_tokens, with_reply=True):
            fb.fail(
                f"요청에 그 턴의 답까지 세었습니다. {context}",
                hint="턴 k의 요청을 보낼 때는 그 질문에 아직 답이 없습니다. 답(assistant)은 요청의 "
                "응답으로 돌아옵니다. k번째 user 메시지까지, `messages[: i + 1]`만 세세요.",
            )
        elif got == expected - 1:
            fb.fail(
                f"턴 번호가 하나 작습니다. {context}",
                hint="턴 번호는 1부터 셉니다(첫 user 메시지가 1턴).",
            )
        elif got is None or (isinstance(got, int) and got > expected):
            fb.fail(
                f"예산을 넘는 턴을 늦게 찾거나 찾지 못했습니다. {context}",
                hint="요청에는 그때까지의 **대화 전체**가 들어갑니다. 그 턴의 메시지만 세지 말고 "
                "`messages[: i + 1]` 전체를 세세요. 그리고 처음 넘는 턴에서 바로 멈추세요.",
            )
        else:
            fb.fail(
                f"결과가 다릅니다. {context}",
                hint="user 메시지를 만날 때마다 턴 번호를 1 올리고, 그 메시지까지의 기록 "
                "`messages[: i + 1]`을 `count_tokens`로 세어 예산과 비교하세요.",
            )
        if wrong >= 2:
            return
    if not wrong:
        fb.ok("다섯 가지 경우에서 예산을 처음 넘는 턴(또는 None)을 정확히 찾습니다.")


# ------------------------------------------------------------------------------------------------
# 02-resume
# ------------------------------------------------------------------------------------------------


def _caused_by_load_error(exc: BaseException) -> bool:
    """True when ``exc`` is (or wraps, via ``raise ... from``/``__context__``) a load error."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConversationFileError, ValueError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@register("02-resume", "resume(path, system) — 저장한 대화 이어가기")
def check_resume(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`resume`은 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def resume(path, system):`로 정의하세요.",
        )
        return
    system = "당신은 NLP 전문가입니다. 간결하게 답변합니다."
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        # 1. A saved conversation comes back whole.
        saved = Conversation(system)
        saved.add_user("Transformer의 핵심 메커니즘은 무엇인가요?")
        saved.add_assistant("셀프 어텐션입니다.")
        path = folder / "saved.json"
        saved.save(path)
        got = run_learner(answer, path, system, what="resume(저장된 파일, system)")
        if isinstance(got, dict) or isinstance(got, list):
            fb.fail(
                f"`Conversation`이 아니라 {type(got).__name__}을(를) 돌려주었습니다.",
                hint="JSON을 직접 읽지 말고 `Conversation.load(path)`를 쓰세요. 그래야 "
                "add_user, to_openai, save를 이어서 쓸 수 있습니다.",
            )
            return
        if not isinstance(got, Conversation):
            fb.fail(
                f"`Conversation` 객체를 돌려주어야 합니다(받은 값: {type(got).__name__}).",
                hint="`return Conversation.load(path)`",
            )
            return
        if got.messages != saved.messages:
            fb.fail(
                f"저장된 대화를 불러오지 않았습니다: 턴 {len(got)}개(기대 {len(saved)}개).",
                hint="파일이 있으면 `Conversation.load(path)`로 불러오세요. 새로 만들면 "
                "앞의 대화를 잃습니다.",
            )
            return
        fb.ok("저장된 파일이 있으면 대화를 그대로 불러옵니다.")

        # 2. No file yet: a fresh conversation with the system message.
        missing = folder / "new.json"
        try:
            got = run_learner(answer, missing, system, what="resume(없는 파일, system)")
        except LearnerError as exc:
            if not isinstance(exc.original, FileNotFoundError):
                raise
            fb.error(
                "파일이 없을 때 `FileNotFoundError`가 났습니다. 처음 실행할 때는 저장된 대화가 "
                "없으니 새 대화를 시작해야 합니다.",
                hint="`Conversation.load(path)`를 `try`로 감싸고 `except FileNotFoundError:`에서 "
                "`Conversation(system)`을 돌려주세요.",
            )
            return
        if not isinstance(got, Conversation) or got.messages != [
            {"role": "system", "content": system}
        ]:
            fb.fail(
                "파일이 없을 때 system 메시지만 있는 새 `Conversation`을 돌려주지 않았습니다.",
                hint="`Conversation.load`는 파일이 없으면 `FileNotFoundError`를 냅니다. "
                "그 경우만 잡아서 `Conversation(system)`을 돌려주세요.",
            )
            return
        if missing.exists():
            fb.info("파일이 없을 때 빈 파일을 미리 만들었습니다. 저장은 대화 뒤에 해도 됩니다.")
        fb.ok("파일이 없으면 새 대화를 시작합니다.")

        # 3. A corrupt file must not be silently replaced.
        corrupt = folder / "corrupt.json"
        content = '{"format": "llm-api-lab/conversation", "messages": [ {"role": "user", '
        corrupt.write_text(content, encoding="utf-8")
        try:
            got = answer(corrupt, system)
        except (ConversationFileError, ValueError):
            raised = True
        except Exception as exc:  # noqa: BLE001 - a wrapped load error still tells the caller
            if not _caused_by_load_error(exc):
                raise LearnerError(exc, "resume(손상된 파일, system)") from exc
            raised = True
        else:
            raised = False
        if not corrupt.exists() or corrupt.read_text(encoding="utf-8") != content:
            fb.fail(
                "손상된 파일을 지우거나 바꿨습니다.",
                hint="손상된 파일에도 복구할 수 있는 대화가 남아 있을 수 있습니다. "
                "파일은 그대로 두고 오류를 알리세요.",
            )
        elif raised:
            fb.ok("손상된 파일은 건드리지 않고 오류를 그대로 알립니다.")
        else:
            fb.fail(
                "손상된 파일인데 오류 없이 새 대화를 돌려주었습니다.",
                hint="`FileNotFoundError` 말고 다른 오류(`ValueError`, `Exception` 등)까지 잡아 새 "
                "대화를 돌려주면, 그 대화를 저장하는 순간 손상된(하지만 살릴 수 있는) 원래 기록을 "
                "덮어쓰게 됩니다. `except FileNotFoundError:`만 잡으세요.",
            )
