"""Re-execute lesson notebooks in place, in keyless replay, so committed outputs are real results.

    python -m tools.refresh_outputs          # every lesson in notebooks/lessons.toml
    python -m tools.refresh_outputs 01 02    # some of them

Each notebook runs top to bottom with nbclient (kernel ``python3``, cwd ``notebooks/``) with the
API keys removed from the environment and ``LLM_LAB_MODE=replay``, ``LLM_LAB_REPLAY_SPEED=0``,
``LLM_LAB_REPLAY_STRICT=1``. Then timing metadata, papermill metadata and widget state are removed
and the notebook is written back as Jupyter writes it (indent 1, Korean kept readable).
If any cell fails, nothing is written for that notebook and the command exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools.lessons import NOTEBOOKS, LessonListError, load_lessons, replay_env, select
from tools.stamp import read_notebook, write_notebook

CELL_TIMEOUT = 600


def strip_noise(nb) -> None:
    """Remove what a run adds besides outputs: timing, papermill metadata, widget state; and
    merge consecutive stream outputs, as Jupyter shows them (a loop that prints token by token
    with ``flush=True`` would otherwise be stored as hundreds of one-token outputs)."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        cell.get("metadata", {}).pop("papermill", None)
        if cell.get("outputs"):
            cell.outputs = merge_streams(cell.outputs)


def merge_streams(outputs: list) -> list:
    """Consecutive stream outputs with the same name become one; order is kept."""
    merged: list = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and last is not None
            and last.get("output_type") == "stream"
            and last.get("name") == output.get("name")
        ):
            last["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def execute(nb, cwd: Path, env: dict[str, str], timeout: int = CELL_TIMEOUT):
    """Run ``nb`` in a fresh ``python3`` kernel; raises ``CellExecutionError`` on a failing cell."""
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
        store_widget_state=False,
    )
    client.execute(cwd=str(cwd), env=env)
    return nb


def refresh(path: Path, env: dict[str, str]) -> None:
    nb = read_notebook(path)
    execute(nb, path.parent, env)
    strip_noise(nb)
    nbformat.validate(nb)
    write_notebook(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.refresh_outputs", description=__doc__)
    parser.add_argument("lessons", nargs="*", help="강의 번호나 파일 이름 (기본: 전체)")
    args = parser.parse_args(argv)
    try:
        lessons = select(load_lessons(), " ".join(args.lessons))
    except LessonListError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        return 2
    env = replay_env(strict=True)
    failed = []
    for lesson in lessons:
        path = NOTEBOOKS / lesson.file
        if not path.exists():
            print(f"✗ {lesson.file}: 파일이 없습니다 (missing notebook)")
            failed.append(lesson.file)
            continue
        started = time.perf_counter()
        try:
            refresh(path, env)
        except CellExecutionError as exc:
            print(
                f"✗ {lesson.file}: 셀 실행 중 오류 — 파일을 바꾸지 않았습니다 (cell failed, not written)"
            )
            print(str(exc), file=sys.stderr)
            failed.append(lesson.file)
            continue
        except Exception as exc:  # dead kernel, timeout, invalid notebook: say so and go on
            print(f"✗ {lesson.file}: {type(exc).__name__}: {exc} — 파일을 바꾸지 않았습니다")
            failed.append(lesson.file)
            continue
        print(f"✓ {lesson.file}: 출력을 갱신했습니다 ({time.perf_counter() - started:.1f}s)")
    if failed:
        print(f"실패 (failed): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
