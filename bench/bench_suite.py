"""Figure: ``make test``'s three passes side by side vs. its slowest pass alone.

A: ``python -m tools.passes unit strict learner`` — what ``make test`` runs after lint.
B: ``python -m tools.passes learner`` — the learner pass alone (recorded speed: the longest).

Target A/B ≤ 1.25: running the unit tests and the strict pass beside the learner pass costs at
most a quarter more than the learner pass by itself. The budget for A is 5 minutes after install
on the 2-core machine; the note says how A compares with it. One round each (``BENCH_REPEATS``
raises it): every round runs the whole suite.
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench.harness import compare, figure
from tools.lessons import ROOT

NAME = "make test passes vs slowest pass"
TARGET = 1.25
BUDGET_S = 300


def run_passes(*names: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tools.passes", *names],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def figures() -> list[dict]:
    repeats = int(os.environ.get("BENCH_REPEATS", "1"))
    result = compare(
        lambda: run_passes("unit", "strict", "learner"),
        lambda: run_passes("learner"),
        repeats=repeats,
    )
    within = "안 / within" if result.a_median <= BUDGET_S else "초과 / over"
    return [
        figure(
            NAME,
            "unit + strict + learner",
            "learner alone",
            result,
            target=TARGET,
            note=f"A {result.a_median:.0f} s: 예산 {BUDGET_S} s {within} budget",
        )
    ]
