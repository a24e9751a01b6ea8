"""Re-execute lesson notebooks in place, in keyless replay, so committed outputs are real results.

    python -m tools.refresh_outputs          # every lesson in notebooks/lessons.toml
    python -m tools.refresh_outputs 01 02    # some of them
    python -m tools.refresh_outputs --fast   # strict replay at speed 0 (quick, for drafts)

Committed outputs show what a learner sees on a first run, so each notebook runs top to bottom
with nbclient (kernel ``python3``) at learner defaults: no API keys, no ``LLM_LAB_*`` settings
(auto mode, recorded speed, lenient matching), from an empty temporary folder so no ``.env`` above
the repository can turn a provider live. Then timing metadata, papermill metadata and widget
state are removed and the notebook is written back as Jupyter writes it (indent 1, Korean kept
readable).

A cell whose new outputs read the same as the committed ones once run-to-run noise is masked
(timings, ports, addresses: :func:`tools.output_text.normalize_output`) keeps the committed
outputs, so refreshing unchanged notebooks leaves no diff. Images are not compared: a chart whose
cell prints the same text keeps its committed picture; ``--all-new`` takes every new output.
If any cell fails, nothing is written for that notebook and the command exits 1.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools.lessons import NOTEBOOKS, LessonListError, learner_env, load_lessons, replay_env, select
from tools.output_text import normalize_output, output_text
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


def reads_the_same(old: list, new: list) -> bool:
    """Whether two cells' outputs differ only in run-to-run noise."""
    if [o.get("output_type") for o in old] != [o.get("output_type") for o in new]:
        return False
    return all(
        normalize_output(text(a)) == normalize_output(text(b))
        for a, b in zip(old, new, strict=True)
        for text in (output_text, html_text)
    )


def html_text(output) -> str:
    """The HTML form of a rich output ('' if none): a styled table's text form can hide columns."""
    html = (output.get("data") or {}).get("text/html", "")
    html = "".join(html) if isinstance(html, list) else str(html)
    return re.sub(r"<[^>]*>", "\n", html)  # one line per piece of text, as normalize expects


def keep_unchanged_outputs(old_nb, new_nb) -> int:
    """Put the committed outputs back into cells whose new outputs only differ in noise.

    Cells are paired by id and source, so a cell that was edited always takes its new outputs.
    Returns how many cells kept theirs.
    """
    committed = {
        (c.get("id"), c.source): c
        for c in old_nb.cells
        if c.cell_type == "code" and c.get("outputs")
    }
    kept = 0
    for cell in new_nb.cells:
        old = committed.get((cell.get("id"), cell.source)) if cell.cell_type == "code" else None
        if old is not None and reads_the_same(old.outputs, cell.outputs):
            cell.outputs = old.outputs
            kept += 1
    return kept


def refresh(path: Path, env: dict[str, str], cwd: Path, *, keep: bool = True) -> None:
    committed = read_notebook(path)
    nb = read_notebook(path)
    execute(nb, cwd, env)
    strip_noise(nb)
    if keep:
        keep_unchanged_outputs(committed, nb)
    nbformat.validate(nb)
    write_notebook(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.refresh_outputs", description=__doc__)
    parser.add_argument("lessons", nargs="*", help="레슨 번호나 파일 이름 (기본: 전체)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="엄격 리플레이·지연 없음 (초안용; 커밋할 출력은 기본값으로)",
    )
    parser.add_argument("--all-new", action="store_true", help="이전 출력을 하나도 남기지 않습니다")
    args = parser.parse_args(argv)
    try:
        lessons = select(load_lessons(), " ".join(args.lessons))
    except LessonListError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        return 2
    env = replay_env(strict=True) if args.fast else learner_env()
    scratch = tempfile.TemporaryDirectory(prefix="llm-lab-refresh-")
    cwd = Path(scratch.name) / "notebooks"  # no .env above it; files a lesson writes land here
    cwd.mkdir()
    failed = []
    for lesson in lessons:
        path = NOTEBOOKS / lesson.file
        if not path.exists():
            print(f"✗ {lesson.file}: 파일이 없습니다 (missing notebook)")
            failed.append(lesson.file)
            continue
        started = time.perf_counter()
        try:
            refresh(path, env, cwd, keep=not args.all_new)
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
    scratch.cleanup()
    if failed:
        print(f"실패 (failed): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
