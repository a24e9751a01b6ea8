"""Run every lesson headless with papermill, in replay mode, and print one table.

    python -m tools.run_series                              # every lesson, replay, no delay
    python -m tools.run_series --nb 01                      # one lesson
    python -m tools.run_series -p OPENAI_MODEL gpt-5.4      # papermill parameters, as on its CLI
    python -m tools.run_series -p MODE live                 # the real APIs (needs keys)

Executed notebooks are written to ``build/<file>``; each runs with its own folder as cwd.
The table shows, per notebook: status, seconds, and the mode each provider ran in. The mode is
read from the executed notebook: ``helpers.setup()`` emits a ``display_data`` output whose
``metadata`` holds ``"llm_lab_status"``: ``{"openai": {"mode": "replay", ...}, ...}``.
A missing status shows as ``?``. Exits 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tools.lessons import NOTEBOOKS, ROOT, Lesson, LessonListError, load_lessons, replay_env, select
from tools.table import format_table

STATUS_KEY = "llm_lab_status"
PROVIDERS = ("openai", "anthropic", "huggingface")


def resolve_value(text: str):
    """Turn a ``-p`` value into a Python value the way papermill's CLI does."""
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def status_of(nb) -> dict[str, str]:
    """Provider → mode, from the last output carrying ``metadata["llm_lab_status"]``."""
    found: Mapping | None = None
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            status = (output.get("metadata") or {}).get(STATUS_KEY)
            if isinstance(status, Mapping):
                found = status
    if found is None:
        return {}
    modes = {}
    for provider, value in found.items():
        if isinstance(value, Mapping):
            modes[str(provider)] = str(value.get("mode", "?"))
        elif isinstance(value, str):
            modes[str(provider)] = value
    return modes


@dataclass
class Row:
    lesson: Lesson
    status: str
    seconds: float = 0.0
    modes: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


STATUS_LABEL = {"ok": "성공 ok", "failed": "실패 failed", "missing": "없음 missing"}


def run_lesson(lesson: Lesson, out_dir: Path, parameters: dict, notebooks: Path = NOTEBOOKS) -> Row:
    import nbformat
    import papermill

    source = notebooks / lesson.file
    if not source.exists():
        return Row(lesson, "missing", error="노트북 파일이 없습니다 (notebook does not exist)")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / lesson.file
    started = time.perf_counter()
    status, error = "ok", ""
    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            cwd=str(source.parent),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    except papermill.PapermillExecutionError as exc:
        status, error = "failed", f"셀 {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # a kernel that would not start, an unreadable notebook, …
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    modes = status_of(nbformat.read(str(target), as_version=4)) if target.exists() else {}
    return Row(lesson, status, seconds, modes, error)


def table(rows: list[Row]) -> str:
    providers = list(PROVIDERS) + sorted(
        {p for row in rows for p in row.modes if p not in PROVIDERS}
    )
    header = ["번호 No.", "노트북 notebook", "상태 status", "초 sec", *providers]
    body = [
        [
            row.lesson.number,
            row.lesson.file,
            STATUS_LABEL[row.status],
            f"{row.seconds:.1f}" if row.status != "missing" else "-",
            *(row.modes.get(p, "?") for p in providers),
        ]
        for row in rows
    ]
    return format_table(header, body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_series", description=__doc__)
    parser.add_argument("--nb", default="", help="강의 번호 (예: 01 또는 01,02); 기본은 전체")
    parser.add_argument(
        "-p",
        "--parameters",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="papermill 파라미터 (값은 papermill처럼 int/float/bool로 해석)",
    )
    parser.add_argument(
        "-r",
        "--parameters-raw",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="문자열 그대로 넘기는 papermill 파라미터",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="결과 노트북 폴더")
    args = parser.parse_args(argv)

    try:
        lessons = select(load_lessons(), args.nb)
    except LessonListError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        return 2
    parameters = {name: resolve_value(value) for name, value in args.parameters}
    parameters.update(dict(args.parameters_raw))
    parameters.setdefault("MODE", "replay")
    mode = str(parameters["MODE"])
    if mode == "replay":
        # Keys are removed so that nothing can reach the network; no delay between chunks.
        os.environ.clear()
        os.environ.update(replay_env(strict=False))
    else:
        os.environ["LLM_LAB_MODE"] = mode

    shown = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
    print(f"{len(lessons)}개 강의를 실행합니다 (running {len(lessons)} lessons): {shown}")
    rows = []
    for lesson in lessons:
        row = run_lesson(lesson, args.out, parameters)
        mark = "✓" if row.ok else "✗"
        print(f"{mark} {lesson.file} ({row.seconds:.1f}s){' — ' + row.error if row.error else ''}")
        rows.append(row)
    print()
    print(table(rows))
    failed = [row for row in rows if not row.ok]
    print()
    if failed:
        print(f"{len(failed)}개 실패 (failed); 결과: {args.out}")
        return 1
    print(f"모두 성공했습니다 (all passed); 결과: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
