"""Figure: the whole series in replay vs. the bare cost of its kernels and SDK imports.

A: execute every lesson notebook (``notebooks/lessons.toml``) with nbclient in keyless strict
   replay, no delay — what ``make test`` and ``make outputs`` pay.
B: execute as many trivial notebooks, each only starting a kernel and importing openai,
   anthropic and huggingface_hub — the floor no lesson can go below.

Target A/B ≤ 1.3: the replay machinery and the lessons' own work add at most 30 % to that floor.
``BENCH_REPEATS`` (default 3) sets the number of interleaved rounds.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

from bench.harness import compare, figure
from tools.lessons import NOTEBOOKS, load_lessons, replay_env
from tools.refresh_outputs import execute
from tools.stamp import read_notebook

NAME = "series replay vs kernels+imports"
TARGET = 1.3
TRIVIAL_SOURCE = "import anthropic\nimport huggingface_hub\nimport openai"


def trivial_notebook():
    return new_notebook(
        cells=[new_code_cell(TRIVIAL_SOURCE)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def figures() -> list[dict]:
    lessons = load_lessons()
    paths = [NOTEBOOKS / lesson.file for lesson in lessons]
    present = [path for path in paths if path.exists()]
    a_label = f"{len(present)} lessons (replay, speed 0)"
    b_label = f"{len(present)} kernels + SDK imports"
    if not present:
        return [
            figure(
                NAME,
                a_label,
                b_label,
                None,
                target=TARGET,
                note="강의 노트북이 아직 없습니다 (no lesson notebooks yet)",
            )
        ]
    missing = len(paths) - len(present)
    note = f"{missing}개 노트북 없음 (missing {missing})" if missing else ""
    env = replay_env(strict=True)
    notebooks = [read_notebook(path) for path in present]
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))

    with tempfile.TemporaryDirectory(prefix="bench-series-") as scratch:

        def run_series() -> None:
            for path, nb in zip(present, notebooks, strict=True):
                execute(copy.deepcopy(nb), path.parent, env)

        def run_trivial() -> None:
            for _ in present:
                execute(trivial_notebook(), Path(scratch), env)

        result = compare(run_series, run_trivial, repeats=repeats)
    return [figure(NAME, a_label, b_label, result, target=TARGET, note=note)]
