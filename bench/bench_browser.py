"""Figure: ``make test-browser`` vs. the same notebooks at learner defaults without a browser.

A: ``python -m tools.browser_test`` — JupyterLab + headless Chromium, Run All of every lesson at
   learner defaults, three pages at a time.
B: ``python -m tools.passes learner`` — the same runs through nbmake, no browser.

Target A/B ≤ 1.5: the browser, JupyterLab and the page checks add at most half again. The budget
for A is 4 minutes once the browser is installed; the note says how A compares with it. Skipped
(with a note) where Chromium is missing. One round each (``BENCH_REPEATS`` raises it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from bench.harness import compare, figure
from tools.lessons import ROOT

NAME = "browser Run All vs nbmake learner pass"
TARGET = 1.5
BUDGET_S = 240


def run(*module_and_args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", *module_and_args],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def figures() -> list[dict]:
    a_label, b_label = "browser (3 pages)", "nbmake learner pass"
    if shutil.which("chromium") is None:
        return [figure(NAME, a_label, b_label, None, note="chromium이 없어 재지 않았습니다")]
    result = compare(
        lambda: run("tools.browser_test"),
        lambda: run("tools.passes", "learner"),
        repeats=int(os.environ.get("BENCH_REPEATS", "1")),
    )
    within = "안 / within" if result.a_median <= BUDGET_S else "초과 / over"
    note = f"A {result.a_median:.0f} s: 예산 {BUDGET_S} s {within} budget"
    return [figure(NAME, a_label, b_label, result, target=TARGET, note=note)]
