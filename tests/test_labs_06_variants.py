"""Lesson 06 labs (06-add-task, 06-cost-per-1000, 06-survive-outage): answers written differently
from the reference that the lesson teaches must pass; plausible wrong ones are rejected with a
Korean message that names the real cause."""

from __future__ import annotations

import ast
import json
import re
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pandas as pd
import pytest

from helpers.labs import check

# --- 06-add-task --------------------------------------------------------------------------------

VALID_TASKS = {
    # keyword style, hyphenated id, English terms inside the Korean prompt, the upper bound
    "dict_keywords": dict(
        id="api-pricing",
        kind="설명",
        prompt="LLM API 요금이 토큰(token) 단위로 매겨지는 이유를 두 문장으로 설명해 주세요.",
        prompt_en="In two sentences, explain why LLM API prices are charged per token.",
        max_tokens=4000,
    ),
    # the optional per-task system prompts that `compare.Task` also takes; a small limit
    "with_system_prompts": {
        "id": "yes_no",
        "kind": "분류",
        "prompt": "'배송이 빨라요'는 긍정인가요? 예/아니오로만 답하세요.",
        "prompt_en": "Is 'The delivery was fast' positive? Answer only yes or no.",
        "max_tokens": 16,
        "system": "한 단어로만 답합니다.",
        "system_en": "Answer with one word only.",
    },
}


@pytest.mark.parametrize("task", list(VALID_TASKS.values()), ids=list(VALID_TASKS))
def test_add_task_valid_answers_pass(task):
    feedback = check("06-add-task", task)
    assert feedback.passed, str(feedback)


BASE = {
    "id": "email",
    "kind": "이메일 작성",
    "prompt": "회의 일정을 다음 주 화요일로 미루자는 정중한 이메일을 세 문장으로 써 주세요.",
    "prompt_en": "Write a polite three-sentence email asking to move the meeting to next Tuesday.",
    "max_tokens": 200,
}


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        # a typo in a key name: the SDK-style "unknown field" is named
        ({**{k: v for k, v in BASE.items() if k != "max_tokens"}, "max_token": 200}, "max_token"),
        ({**BASE, "max_tokens": 200.0}, "정수여야"),
        # prompt and prompt_en swapped
        ({**BASE, "prompt": BASE["prompt_en"], "prompt_en": BASE["prompt"]}, "`prompt`에 한글이"),
        ({**BASE, "id": "my email"}, "영문·숫자"),
    ],
    ids=["typo-key", "float-limit", "swapped-prompts", "space-in-id"],
)
def test_add_task_wrong_answers_name_the_cause(answer, cause):
    feedback = check("06-add-task", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- 06-cost-per-1000: valid answers ------------------------------------------------------------


def cost_loop_per_provider(df):
    out = {}
    for provider in df["provider"].unique():
        rows = df[(df["provider"] == provider) & df["error"].isnull()]
        costs = rows["cost_usd"].dropna()
        out[provider] = float(costs.mean()) * 1000 if len(costs) else None
    return out


def cost_agg_notna(df):
    means = df.loc[df.error.isna()].groupby("provider").agg(cost=("cost_usd", "mean"))["cost"]
    return {p: v * 1000 if pd.notna(v) else None for p, v in means.to_dict().items()}


def cost_query_series(df):
    # a Series with NaN for the provider without a price: the checker reads NaN as "unknown"
    return df.query("error.isna()", engine="python").groupby("provider")["cost_usd"].mean() * 1e3


@pytest.mark.parametrize("answer", [cost_loop_per_provider, cost_agg_notna, cost_query_series])
def test_cost_valid_answers_pass(answer):
    feedback = check("06-cost-per-1000", answer)
    assert feedback.passed, str(feedback)


# --- 06-cost-per-1000: wrong answers ------------------------------------------------------------


def cost_compares_with_none(df):
    ok = df[df["error"] == None]  # noqa: E711 - the mistake: in pandas this is always False
    means = ok.groupby("provider")["cost_usd"].mean()
    return {p: (None if pd.isna(v) else v * 1000) for p, v in means.items()}


def cost_overall_mean(df):
    overall = df[df["error"].isna()]["cost_usd"].mean() * 1000
    return {p: overall for p in df["provider"].unique()} | {
        p: None
        for p, g in df.groupby("provider")
        if g["cost_usd"].isna().all()  # keeps the unknown provider right
    }


def cost_divides_by_all_rows(df):
    out = {}
    for provider, group in df.groupby("provider"):
        total = group["cost_usd"].sum(min_count=1)
        out[provider] = None if pd.isna(total) else total / len(group) * 1000
    return out


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (cost_compares_with_none, "`df['error'] == None`은 모든 행에서 False"),
        (cost_overall_mean, "groupby"),
        (cost_divides_by_all_rows, "비용 0으로 넣어"),
    ],
)
def test_cost_wrong_answers_name_the_cause(answer, cause):
    feedback = check("06-cost-per-1000", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- 06-survive-outage: valid answers -----------------------------------------------------------


def run_all_as_completed(jobs):
    out = {}
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {pool.submit(job): name for name, job in jobs.items()}
        for future in as_completed(futures):
            name = futures[future]
            error = future.exception()
            out[name] = (
                {"result": None, "error": repr(error)}
                if error
                else {"result": future.result(), "error": None}
            )
    return out


def run_all_map_wrapper(jobs):
    def safe(item):
        name, job = item
        try:
            return name, {"result": job(), "error": None}
        except Exception as exc:
            return name, {"result": None, "error": str(exc)}

    with ThreadPoolExecutor(len(jobs)) as pool:
        return dict(pool.map(safe, jobs.items()))


def run_all_threads(jobs):
    out = {}
    lock = threading.Lock()

    def worker(name, job):
        try:
            entry = {"result": job(), "error": None}
        except Exception as exc:
            entry = {"result": None, "error": f"{type(exc).__name__}: {exc}"}
        with lock:
            out[name] = entry

    threads = [threading.Thread(target=worker, args=item) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


@pytest.mark.parametrize("answer", [run_all_as_completed, run_all_map_wrapper, run_all_threads])
def test_survive_valid_answers_pass(answer):
    feedback = check("06-survive-outage", answer)
    assert feedback.passed, str(feedback)


# --- 06-survive-outage: wrong answers -----------------------------------------------------------


def run_all_exception_object(jobs):
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    out = {}
    for name, future in futures.items():
        try:
            out[name] = {"result": future.result(), "error": None}
        except Exception as exc:
            out[name] = {"result": None, "error": exc}  # the object, not a description
    return out


def run_all_two_workers(jobs):
    with ThreadPoolExecutor(max_workers=2) as pool:  # three jobs: one waits for a free worker
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    out = {}
    for name, future in futures.items():
        try:
            out[name] = {"result": future.result(), "error": None}
        except Exception as exc:
            out[name] = {"result": None, "error": str(exc) or type(exc).__name__}
    return out


def run_all_map_unguarded(jobs):
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = pool.map(lambda job: job(), jobs.values())
        return {name: {"result": r, "error": None} for name, r in zip(jobs, results, strict=True)}


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (run_all_exception_object, "예외 객체를 그대로"),
        (run_all_two_workers, "max_workers=len(jobs)"),
        (run_all_map_unguarded, "밖으로 나와"),
    ],
)
def test_survive_wrong_answers_name_the_cause(answer, cause):
    feedback = check("06-survive-outage", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- the notebook's own hints pass the graders ---------------------------------------------------

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_provider_comparison.ipynb"


def _hint_cell() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    hints = ["".join(c["source"]) for c in cells if "막혔다면 펼쳐 보세요" in "".join(c["source"])]
    assert len(hints) == 1, "the lesson has one hint block"
    return hints[0]


def _function_from_hint(block: str, signature: str):
    """A hint's code block is the body of the lab function: wrap it and define it."""
    body = textwrap.indent(textwrap.dedent(block), "    ")
    namespace: dict = {"pd": pd}
    exec(f"{signature}\n{body}", namespace)  # noqa: S102 - the lesson's own hint code
    return namespace[signature.split()[1].split("(")[0]]


def test_the_hint_block_passes_every_grader():
    text = _hint_cell()
    task = re.search(r"실습 1: 예를 들어 `(\{.*?\})`", text)
    assert task is not None, "lab 1's example task is in the hint"
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2, blocks
    answers = {
        "06-add-task": ast.literal_eval(task.group(1)),
        "06-cost-per-1000": _function_from_hint(blocks[0], "def cost_per_1000(df):"),
        "06-survive-outage": _function_from_hint(blocks[1], "def run_all(jobs):"),
    }
    for lab_id, answer in answers.items():
        feedback = check(lab_id, answer)
        assert feedback.passed, f"{lab_id}: {feedback}"


def test_the_hint_would_fail_with_equals_none():
    # the class of mistake the hint warns about: the same hint code with `== None` is rejected
    block = re.findall(r"```python\n(.*?)```", _hint_cell(), flags=re.S)[0]
    assert ".isna()" in block
    wrong = block.replace('df["error"].isna()', 'df["error"] == None')
    feedback = check("06-cost-per-1000", _function_from_hint(wrong, "def cost_per_1000(df):"))
    assert not feedback.passed and "`df['error'].isna()`" in str(feedback), str(feedback)


@pytest.mark.parametrize(
    ("limit", "passes"), [(16, True), (4000, True), (15, False), (4001, False)]
)
def test_add_task_limit_range_is_the_one_the_lesson_states(limit, passes):
    assert "16–4000" in NOTEBOOK.read_text(encoding="utf-8")
    feedback = check("06-add-task", {**BASE, "max_tokens": limit})
    assert feedback.passed is passes, str(feedback)
    if not passes:
        assert "16–4000" in str(feedback)
