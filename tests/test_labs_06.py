"""Lesson 06 labs: each checker accepts the reference solution and rejects wrong answers with the
specific Korean hint; unsolved answers get guidance."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from helpers.labs import TODO, check

# --- reference solutions (what the lesson's hint block shows) ----------------------------------

MY_TASK = {
    "id": "email",
    "kind": "이메일 작성",
    "prompt": "회의 일정을 다음 주 화요일로 미루자는 정중한 이메일을 세 문장으로 써 주세요.",
    "prompt_en": "Write a polite three-sentence email asking to move the meeting to next Tuesday.",
    "max_tokens": 200,
}


def cost_per_1000(df):
    ok = df[df["error"].isna()]
    means = ok.groupby("provider")["cost_usd"].mean()
    return {p: (None if pd.isna(v) else v * 1000) for p, v in means.items()}


def run_all(jobs):
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    out = {}
    for name, future in futures.items():
        try:
            out[name] = {"result": future.result(), "error": None}
        except Exception as exc:
            out[name] = {"result": None, "error": f"{type(exc).__name__}: {exc}"}
    return out


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [
        ("06-add-task", MY_TASK),
        ("06-cost-per-1000", cost_per_1000),
        ("06-survive-outage", run_all),
    ],
)
def test_reference_solutions_pass(lab_id, answer):
    feedback = check(lab_id, answer)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("lab_id", ["06-add-task", "06-cost-per-1000", "06-survive-outage"])
def test_unsolved_gets_guidance(lab_id):
    assert check(lab_id, TODO).status == "unsolved"


# --- 06-add-task -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"id": "summary"}, "이미 있는 작업"),
        ({"id": "이메일"}, "영문으로 짧게"),
        ({"prompt_en": None}, "prompt_en"),
        ({"prompt_en": "Write an 이메일 please."}, "영어로만"),
        ({"prompt": "Write a polite email."}, "한국어로"),
        ({"max_tokens": "200"}, "max_tokens"),
        ({"max_tokens": 5}, "16–4000"),
        ({"max_tokens": None}, "출력 한도를 직접"),
        ({"kind": ""}, "kind"),
    ],
)
def test_add_task_wrong_answers_are_explained(change, hint):
    answer = {**MY_TASK, **change}
    answer = {k: v for k, v in answer.items() if v is not None}
    feedback = check("06-add-task", answer)
    assert not feedback.passed
    assert hint in str(feedback), str(feedback)


def test_add_task_needs_a_dict():
    feedback = check("06-add-task", ["email", "이메일 작성"])
    assert not feedback.passed and "딕셔너리" in str(feedback)


def test_add_task_with_a_placeholder_is_unsolved():
    assert check("06-add-task", {**MY_TASK, "prompt": TODO}).status == "unsolved"


# --- 06-cost-per-1000 --------------------------------------------------------------------------


def cost_sum(df):
    ok = df[df["error"].isna()]
    sums = ok.groupby("provider")["cost_usd"].sum(min_count=1)
    return {p: (None if pd.isna(v) else v * 1000) for p, v in sums.items()}


def cost_forgot_1000(df):
    ok = df[df["error"].isna()]
    means = ok.groupby("provider")["cost_usd"].mean()
    return {p: (None if pd.isna(v) else v) for p, v in means.items()}


def cost_failed_as_zero(df):
    means = df.assign(cost_usd=df["cost_usd"].fillna(0)).groupby("provider")["cost_usd"].mean()
    return {p: v * 1000 for p, v in means.items()}


def cost_unknown_as_zero(df):
    ok = df[df["error"].isna()]
    means = ok.groupby("provider")["cost_usd"].mean().fillna(0)
    return {p: v * 1000 for p, v in means.items()}


def cost_drops_unknown(df):
    ok = df[df["error"].isna()].dropna(subset=["cost_usd"])
    return (ok.groupby("provider")["cost_usd"].mean() * 1000).to_dict()


def cost_a_string(df):
    return "openai: $0.30"


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (cost_sum, "합계"),
        (cost_forgot_1000, "1,000을 곱하지 않았습니다"),
        (cost_failed_as_zero, "비용 0으로 넣어"),
        (cost_unknown_as_zero, "0이 아니라 `None`"),
        (cost_drops_unknown, "빼지 말고 `None`"),
        (cost_a_string, "딕셔너리가 아닙니다"),
    ],
)
def test_cost_wrong_answers_are_explained(answer, hint):
    feedback = check("06-cost-per-1000", answer)
    assert not feedback.passed
    assert hint in str(feedback), str(feedback)


def test_cost_accepts_a_series():
    def as_series(df):
        ok = df[df["error"].isna()]
        return ok.groupby("provider")["cost_usd"].mean() * 1000

    feedback = check("06-cost-per-1000", as_series)
    assert feedback.passed, str(feedback)


# --- 06-survive-outage -------------------------------------------------------------------------


def run_all_unguarded(jobs):
    with ThreadPoolExecutor() as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: {"result": f.result(), "error": None} for name, f in futures.items()}


def run_all_sequential(jobs):
    out = {}
    for name, job in jobs.items():
        try:
            out[name] = {"result": job(), "error": None}
        except Exception as exc:
            out[name] = {"result": None, "error": str(exc)}
    return out


def run_all_drops_failures(jobs):
    with ThreadPoolExecutor() as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    out = {}
    for name, future in futures.items():
        try:
            out[name] = {"result": future.result(), "error": None}
        except Exception:
            continue
    return out


def run_all_empty_error(jobs):
    with ThreadPoolExecutor() as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    out = {}
    for name, future in futures.items():
        try:
            out[name] = {"result": future.result(), "error": None}
        except Exception:
            out[name] = {"result": None, "error": ""}
    return out


def run_all_bare_values(jobs):
    with ThreadPoolExecutor() as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    out = {}
    for name, future in futures.items():
        try:
            out[name] = future.result()
        except Exception as exc:
            out[name] = str(exc)
    return out


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (run_all_unguarded, "밖으로 나와"),
        (run_all_drops_failures, "빼지 마세요"),
        (run_all_empty_error, "비어 있습니다"),
        (run_all_bare_values, "`result`와 `error` 키"),
        (run_all_sequential, "동시에 실행되지 않았습니다"),
    ],
)
def test_survive_wrong_answers_are_explained(answer, hint):
    feedback = check("06-survive-outage", answer)
    assert not feedback.passed
    assert hint in str(feedback), str(feedback)


def test_survive_is_not_a_clock_check():
    """Slow but concurrent jobs pass: concurrency is proven with a barrier, not with time."""

    def slow_run_all(jobs):
        time.sleep(0.2)
        return run_all(jobs)

    assert check("06-survive-outage", slow_run_all).passed
