"""A reader may skip every section marked `(선택)`: the rest of the lesson still runs.

The time estimate tells readers they can skip those sections, so the lesson must keep that
promise: each notebook with optional sections is run (strict replay, no key) with their code cells
removed.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from tools.lesson_time import optional_cells
from tools.lessons import NOTEBOOKS, load_lessons, replay_env

WITH_OPTIONAL = [
    lesson.file
    for lesson in load_lessons()
    if optional_cells(nbformat.read(str(NOTEBOOKS / lesson.file), as_version=4))
]


def test_optional_cells_are_found_by_heading() -> None:
    nb = nbformat.v4.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [
        md("## 1. 핵심"),
        code("a = 1"),
        md("## 2. 더 (선택)"),
        code("b = 2"),
        md("## 정리"),
    ]
    assert optional_cells(nb) == [2, 3]
    nb.cells[2].source = "## 2. 더"
    assert optional_cells(nb) == []


@pytest.mark.parametrize("name", WITH_OPTIONAL)
def test_the_lesson_runs_without_its_optional_sections(name: str, tmp_path) -> None:
    nb = nbformat.read(str(NOTEBOOKS / name), as_version=4)
    skipped = set(optional_cells(nb))
    nb.cells = [c for i, c in enumerate(nb.cells) if not (i in skipped and c.cell_type == "code")]
    copy = tmp_path / "notebooks" / name
    copy.parent.mkdir()
    nbformat.write(nb, str(copy))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbmake", str(copy)],
        env=replay_env(strict=True),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"{name} without its (선택) sections:\n{run.stdout[-3000:]}"
