"""Lab checkers for lesson 06 (공급자 비교).

Labs:

- ``"06-add-task"`` — a task dict ``{"id", "kind", "prompt", "prompt_en", "max_tokens"}`` that
  :meth:`helpers.compare.Task.from_dict` accepts, with a new id, a Korean prompt and its English
  version.
- ``"06-cost-per-1000"`` — ``cost_per_1000(df) -> {provider: usd or None}``: the mean cost of the
  successful calls × 1,000, ``None`` for a provider without a price. Checked on made-up frames.
- ``"06-survive-outage"`` — ``run_all(jobs) -> {provider: {"result": ..., "error": ...}}``: runs
  zero-argument callables concurrently and keeps the others' results when one raises. Concurrency
  is checked with a barrier, not a clock: sequential calls break it.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

from . import Feedback, LearnerError, NotSolved, register, run_learner

__all__ = ["FakeOutage", "sample_frame"]

_HANGUL = re.compile("[가-힣]")


def _placeholder(value: Any) -> bool:
    from . import TODO

    return value is TODO or value is Ellipsis


# ------------------------------------------------------------------------------------------------
# 06-add-task
# ------------------------------------------------------------------------------------------------


@register("06-add-task", "MY_TASK — 비교할 작업 하나 추가하기")
def check_add_task(answer: Any, fb: Feedback) -> None:
    from ..compare import Task, TaskFileError, load_tasks

    if not isinstance(answer, dict):
        fb.fail(
            f"`MY_TASK`는 딕셔너리여야 합니다(받은 값: {type(answer).__name__}).",
            hint='`{"id": "email", "kind": "이메일 작성", "prompt": "...", "prompt_en": "...", '
            '"max_tokens": 200}`처럼 씁니다.',
        )
        return
    todo = [key for key, value in answer.items() if _placeholder(value)]
    if todo:
        raise NotSolved(f"값을 채우지 않은 항목: {todo}")
    try:
        task = Task.from_dict(answer)
    except TaskFileError as exc:
        fb.fail(
            str(exc),
            hint="필요한 항목은 id, kind, prompt, prompt_en, max_tokens입니다. 이름의 철자와 "
            "값의 자료형(문자열, 정수)을 확인하세요.",
        )
        return
    fb.ok("`compare.Task.from_dict`가 받아들이는 형식입니다.")
    existing = {t.id: t.kind for t in load_tasks()}
    if task.id in existing:
        fb.fail(
            f"id {task.id!r}는 이미 있는 작업({existing[task.id]})의 id입니다.",
            hint=f"기존 id({', '.join(existing)})와 겹치지 않는 새 이름을 쓰세요.",
        )
    elif not re.fullmatch(r"[A-Za-z0-9_-]+", task.id):
        fb.fail(
            f"id {task.id!r}에 영문·숫자·`_`·`-` 말고 다른 글자가 있습니다.",
            hint="id는 CSV와 코드에서 쓰는 식별자입니다. 영문으로 짧게 지으세요(예: `email`).",
        )
    else:
        fb.ok(f"새 id `{task.id}`: 기존 작업과 겹치지 않습니다.")
    if _HANGUL.search(task.prompt):
        fb.ok("`prompt`가 한국어 질문입니다.")
    else:
        fb.fail(
            "`prompt`에 한글이 없습니다.",
            hint="이 비교는 한국어 작업을 봅니다. `prompt`는 한국어로, `prompt_en`은 영어로 쓰세요.",
        )
    if task.prompt_en is None:
        fb.fail(
            "`prompt_en`(같은 내용의 영어 질문)이 없습니다.",
            hint="7절의 한국어·영어 토큰 비교에 씁니다. `prompt`를 영어로 옮겨 넣으세요.",
        )
    elif _HANGUL.search(task.prompt_en):
        fb.fail(
            "`prompt_en`에 한글이 섞여 있습니다.",
            hint="`prompt_en`은 같은 내용을 영어로만 쓴 질문이어야 토큰 수를 공정하게 비교할 수 "
            "있습니다.",
        )
    else:
        fb.ok("`prompt_en`이 영어 질문입니다.")
    if "max_tokens" not in answer:
        fb.fail(
            "`max_tokens`가 없습니다(기본값 300이 쓰입니다).",
            hint="작업의 답 길이에 맞는 출력 한도를 직접 정하세요. 한 단어 답이면 작게, "
            "긴 글이면 크게 둡니다.",
        )
    elif not 16 <= task.max_tokens <= 4000:
        fb.fail(
            f"`max_tokens={task.max_tokens}`: 이 비교에 쓰기에는 "
            f"{'너무 작습니다' if task.max_tokens < 16 else '너무 큽니다'}.",
            hint="16–4000 사이에서 답 길이에 맞게 고르세요. 추론 모델은 보이지 않는 추론 토큰도 "
            "이 한도 안에서 쓰므로 너무 작으면 빈 답이 올 수 있습니다.",
        )
    else:
        fb.ok(f"`max_tokens={task.max_tokens}`: 알맞은 출력 한도입니다.")


# ------------------------------------------------------------------------------------------------
# 06-cost-per-1000
# ------------------------------------------------------------------------------------------------


def sample_frame(rows: list[tuple[str, float | None, str | None]]):
    """A results frame with just what the cost lab reads: provider, cost_usd, error (+ a few)."""
    import pandas as pd

    from ..compare import Result, to_frame

    results = []
    for i, (provider, cost, error) in enumerate(rows):
        result = Result(provider, f"{provider}-model", f"t{i}", "작업", "ko")
        result.cost_usd = cost
        result.error = error
        if error is None:
            result.latency_s, result.input_tokens, result.output_tokens = 1.0, 100, 50
        results.append(result)
    frame = to_frame(results)
    assert isinstance(frame, pd.DataFrame)
    return frame


def _cost_cases():
    failed = "요청 한도 초과(429): 잠시 뒤 다시 시도하세요. [RateLimitError]"
    return [
        sample_frame(
            [
                ("openai", 0.0002, None),
                ("openai", 0.0004, None),
                ("anthropic", 0.0010, None),
                ("anthropic", 0.0030, None),
                ("anthropic", None, failed),
                ("huggingface", None, None),
                ("huggingface", None, None),
            ]
        ),
        sample_frame(
            [
                ("openai", 0.0001, None),
                ("openai", None, failed),
                ("openai", 0.0005, None),
                ("openai", 0.0003, None),
                ("anthropic", 0.002, None),
            ]
        ),
    ]


def _expected_costs(frame) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for provider, group in frame.groupby("provider", sort=False):
        costs = group[group["error"].isna()]["cost_usd"].dropna()
        out[provider] = None if costs.empty else float(costs.mean()) * 1000
    return out


def _as_dict(value: Any) -> dict | None:
    if isinstance(value, dict):
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        try:
            converted = to_dict()
        except Exception:  # noqa: BLE001 - a DataFrame or odd object: not the shape we want
            return None
        return converted if isinstance(converted, dict) else None
    return None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def _diagnose_cost(frame, got: dict, provider: str) -> str | None:
    group = frame[frame["provider"] == provider]
    ok = group[group["error"].isna()]["cost_usd"].dropna()
    with_failed = group["cost_usd"].fillna(0)
    if ok.empty:
        return None
    value = got.get(provider)
    candidates = [
        (
            ok.sum() * 1000,
            "평균이 아니라 합계에 1,000을 곱했습니다. '호출 1,000번'은 호출 한 번의 평균 비용 × "
            "1,000입니다.",
        ),
        (
            ok.mean(),
            "1,000을 곱하지 않았습니다. 평균은 호출 한 번의 비용입니다.",
        ),
        (
            with_failed.mean() * 1000,
            "실패한 호출(또는 가격 없는 행)을 비용 0으로 넣어 평균을 냈습니다. 실패한 행은 비용이 "
            "없으므로 `error`가 비어 있는 행만 평균에 넣으세요.",
        ),
        (
            frame[frame["error"].isna()]["cost_usd"].dropna().mean() * 1000,
            "모든 공급자를 합친 평균을 썼습니다. 공급자마다 따로 평균을 내려면 "
            '`groupby("provider")["cost_usd"].mean()`을 쓰세요.',
        ),
        (
            ok.mean() * 1_000_000,
            "100만(1M)을 곱했습니다. 단가가 100만 토큰당이라는 것과 헷갈리지 마세요. 여기는 호출 "
            "1,000번입니다.",
        ),
    ]
    for candidate, message in candidates:
        if isinstance(value, (int, float)) and math.isclose(value, candidate, rel_tol=1e-6):
            return message
    return None


@register("06-cost-per-1000", "cost_per_1000(df) — 공급자별 호출 1,000번의 예상 비용")
def check_cost_per_1000(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`cost_per_1000`은 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def cost_per_1000(df):`로 정의하고 딕셔너리를 돌려주세요.",
        )
        return
    for case, frame in enumerate(_cost_cases(), start=1):
        got_raw = run_learner(answer, frame.copy(), what="cost_per_1000(df)")
        got = _as_dict(got_raw)
        if got is None:
            fb.fail(
                f"돌려준 값이 딕셔너리가 아닙니다: {type(got_raw).__name__}",
                hint='`{"openai": 0.42, "anthropic": 1.9, "huggingface": None}`처럼 공급자 '
                "이름을 키로 하는 딕셔너리를 돌려주세요(pandas Series도 됩니다).",
            )
            return
        expected = _expected_costs(frame)
        missing = [p for p in expected if p not in got]
        if missing and not got:
            fb.fail(
                f"예시 {case}: 빈 딕셔너리를 돌려주었습니다. 성공한 행을 고르는 조건이 모든 행을 "
                "걸러 낸 것 같습니다.",
                hint="pandas에서 `df['error'] == None`은 모든 행에서 False입니다. 비어 있는 값은 "
                "`df['error'].isna()`로 고르세요.",
            )
            return
        if missing:
            fb.fail(
                f"예시 {case}: 공급자 {missing}가 결과에 없습니다.",
                hint="가격을 모르는 공급자도 빼지 말고 `None`으로 넣으세요. 표에서 '모름'과 "
                "'없음'은 다릅니다.",
            )
            return
        for provider, want in expected.items():
            value = got[provider]
            if want is None:
                if _missing(value):
                    continue
                fb.fail(
                    f"예시 {case}: `{provider}`는 가격 정보가 없는데 {value!r}를 돌려주었습니다.",
                    hint="가격을 모르면 0이 아니라 `None`입니다. 0으로 두면 가장 싼 공급자로 "
                    "잘못 보입니다.",
                )
                return
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or _missing(value)
                or not math.isclose(value, want, rel_tol=1e-6)
            ):
                hint = _diagnose_cost(frame, got, provider) or (
                    "성공한 행(`df['error'].isna()`)만 골라, 공급자별 `cost_usd` 평균에 1,000을 "
                    "곱하세요."
                )
                fb.fail(
                    f"예시 {case}: `{provider}`의 기대값 ${want:.6f}, 받은 값 {value!r}",
                    hint=hint,
                )
                return
    fb.ok("성공한 호출의 평균 비용 × 1,000을 공급자별로 계산합니다.")
    fb.ok("실패한 호출은 빼고, 가격을 모르는 공급자는 `None`으로 둡니다.")


# ------------------------------------------------------------------------------------------------
# 06-survive-outage
# ------------------------------------------------------------------------------------------------


class FakeOutage(Exception):
    """What the checker's failing job raises: a 429 as an SDK would report it."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__("Error code: 429 - Rate limit reached (채점기의 가짜 장애)")


_BARRIER_SECONDS = 3.0


def _jobs(barrier: threading.Barrier | None, failing: str | None) -> dict[str, Any]:
    def make(name: str):
        def job():
            if barrier is not None:
                barrier.wait()  # every job must be running at once to get past this line
            if name == failing:
                raise FakeOutage()
            return f"{name}의 답변"

        job.__name__ = f"{name}_job"
        return job

    return {name: make(name) for name in ("openai", "anthropic", "huggingface")}


def _entry_ok(entry: Any) -> bool:
    return isinstance(entry, dict) and {"result", "error"} <= set(entry)


@register("06-survive-outage", "run_all(jobs) — 동시에 실행하고, 하나가 실패해도 나머지를 지키기")
def check_survive(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`run_all`은 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def run_all(jobs):`로 정의하세요.",
        )
        return

    # Round 1: one provider fails (no barrier: this round is about isolation only).
    jobs = _jobs(None, failing="huggingface")
    try:
        out = run_learner(answer, jobs, what="run_all(jobs)")
    except LearnerError as exc:
        if isinstance(exc.original, FakeOutage):
            fb.fail(
                "한 공급자의 예외(429)가 `run_all` 밖으로 나와 다른 공급자의 결과까지 잃었습니다.",
                hint="각 작업의 결과를 꺼낼 때(`future.result()` 또는 job 호출) `try/except "
                'Exception as exc:`로 감싸고, 실패는 `{"result": None, "error": ...}`로 남기세요.',
            )
            return
        raise
    if not isinstance(out, dict):
        fb.fail(
            f"돌려준 값이 딕셔너리가 아닙니다: {type(out).__name__}",
            hint='`{"openai": {"result": ..., "error": None}, ...}` 모양으로 돌려주세요.',
        )
        return
    missing = [name for name in jobs if name not in out]
    if missing:
        fb.fail(
            f"결과에 {missing}가 없습니다.",
            hint="실패한 공급자도 결과에서 빼지 마세요. 실패도 하나의 결과(오류가 담긴 행)입니다.",
        )
        return
    if not all(_entry_ok(out[name]) for name in jobs):
        fb.fail(
            "공급자마다의 값이 `result`와 `error` 키를 가진 딕셔너리가 아닙니다.",
            hint='성공은 `{"result": 결과, "error": None}`, 실패는 `{"result": None, '
            '"error": "오류 설명"}`입니다.',
        )
        return
    failed = out["huggingface"]
    if isinstance(failed["error"], BaseException):
        fb.fail(
            "실패한 `huggingface`의 `error`에 예외 객체를 그대로 넣었습니다.",
            hint="결과표(`df`)의 `error` 열은 오류 설명 문자열입니다. 예외를 문자열로 바꿔 "
            '남기세요. 예: `f"{type(exc).__name__}: {exc}"`',
        )
        return
    if not isinstance(failed["error"], str) or not failed["error"].strip():
        fb.fail(
            "실패한 `huggingface`의 `error`가 비어 있습니다.",
            hint='예외를 문자열로 남기세요. 예: `f"{type(exc).__name__}: {exc}"`',
        )
        return
    if failed["result"] is not None:
        fb.fail(
            "실패한 `huggingface`의 `result`가 `None`이 아닙니다.",
            hint="실패했으면 결과는 없습니다(`None`).",
        )
        return
    wrong = [
        name
        for name in ("openai", "anthropic")
        if out[name]["result"] != f"{name}의 답변" or out[name]["error"] is not None
    ]
    if wrong:
        fb.fail(
            f"성공한 공급자 {wrong}의 결과가 job이 돌려준 값과 다르거나 error가 채워져 있습니다.",
            hint="성공한 job의 반환값을 그대로 `result`에 넣고 `error`는 `None`으로 두세요.",
        )
        return
    fb.ok("한 공급자가 429로 실패해도 나머지 두 공급자의 결과가 남습니다.")
    if "429" in failed["error"] or "FakeOutage" in failed["error"]:
        fb.ok(f"실패한 공급자의 오류가 기록됩니다: {failed['error'][:60]}")

    # Round 2: all succeed, but only if they run at the same time.
    barrier = threading.Barrier(len(jobs), timeout=_BARRIER_SECONDS)
    out = run_learner(answer, _jobs(barrier, failing=None), what="run_all(jobs)")
    broken = [
        name
        for name in jobs
        if not (isinstance(out, dict) and _entry_ok(out.get(name)))
        or out[name]["result"] != f"{name}의 답변"
    ]
    if broken:
        fb.fail(
            "job들이 동시에 실행되지 않았습니다. 하나씩 차례로 부르면 전체 시간이 모든 공급자 "
            "시간의 합이 됩니다.",
            hint="`concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs))`로 모든 job을 "
            "먼저 `submit`한 뒤 결과를 모으세요. 결과를 하나 받고 다음 job을 제출하면 차례로 "
            "실행됩니다.",
        )
        return
    fb.ok("세 job이 동시에 실행됩니다(전체 시간 ≈ 가장 느린 공급자).")
