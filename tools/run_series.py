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

In replay mode the API keys are removed from the kernels' environment; the caller's
``LLM_LAB_REPLAY_STRICT`` and ``LLM_LAB_REPLAY_SPEED`` are kept (speed defaults to 0, no delay),
and the header and the line under the table say which settings were used:

    LLM_LAB_REPLAY_STRICT=1 make run      # an unmatched request fails the lesson

A ``-p`` parameter that a lesson's ``parameters`` cell does not assign is still injected (that is
what papermill does) but a warning names the lesson and the parameter. Each notebook runs with its
own folder as working directory, so the lesson finds the repository's ``.env`` (searched upward)
and its relative paths. An output folder that cannot be created or written to fails every lesson
with a Korean message; the table is still printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tools.lessons import NOTEBOOKS, ROOT, Lesson, LessonListError, load_lessons, replay_env, select
from tools.table import format_table

STATUS_KEY = "llm_lab_status"
REPLAY_SETTINGS = ("LLM_LAB_REPLAY_STRICT", "LLM_LAB_REPLAY_SPEED")
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
    problem = out_dir_problem(out_dir)
    if problem:
        return Row(lesson, "failed", error=problem)
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
    except PermissionError as exc:
        where = exc.filename or target
        status, error = "failed", f"결과 파일을 쓸 권한이 없습니다: {where}"
    except Exception as exc:  # a kernel that would not start, an unreadable notebook, …
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    modes = status_of(nbformat.read(str(target), as_version=4)) if target.exists() else {}
    return Row(lesson, status, seconds, modes, error)


def out_dir_problem(out_dir: Path) -> str:
    """A Korean sentence when ``out_dir`` cannot be created or written to, else ``""``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"결과 폴더 {out_dir}를 만들 수 없습니다: 같은 이름의 파일이 있습니다."
    except PermissionError:
        return f"결과 폴더 {out_dir}를 만들 권한이 없습니다. --out으로 다른 폴더를 주세요."
    except OSError as exc:
        return f"결과 폴더 {out_dir}를 만들 수 없습니다 ({exc.strerror or exc}). --out으로 다른 폴더를 주세요."
    if not out_dir.is_dir():
        return f"결과 폴더 {out_dir}를 만들 수 없습니다: 폴더가 아닙니다."
    try:
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError:
        return f"결과 폴더 {out_dir}에 쓸 수 없습니다 (읽기 전용이거나 권한이 없습니다). --out으로 다른 폴더를 주세요."
    return ""


def declared_parameters(path: Path) -> set[str] | None:
    """Names the notebook's ``parameters`` cell assigns; ``None`` if it cannot be read."""
    try:
        import papermill

        return set(papermill.inspect_notebook(str(path)))
    except Exception:  # an unreadable notebook fails in run_lesson with its own message
        return None


def unknown_parameters(
    lesson: Lesson, parameters: Mapping, notebooks: Path = NOTEBOOKS
) -> list[str]:
    """The given parameters that the lesson's ``parameters`` cell does not assign."""
    source = notebooks / lesson.file
    if not source.exists():
        return []
    declared = declared_parameters(source)
    if declared is None:
        return []
    return [name for name in parameters if name not in declared]


def kernel_environment(mode: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the kernels get: keyless replay, or the caller's with the chosen mode.

    In replay the caller's ``LLM_LAB_REPLAY_STRICT`` and ``LLM_LAB_REPLAY_SPEED`` are kept;
    the speed defaults to 0 (no delay between chunks).
    """
    caller = dict(os.environ if base is None else base)
    if mode != "replay":
        caller["LLM_LAB_MODE"] = mode
        return caller
    env = replay_env(caller, strict=False)
    if caller.get("LLM_LAB_REPLAY_SPEED", "").strip():
        env["LLM_LAB_REPLAY_SPEED"] = caller["LLM_LAB_REPLAY_SPEED"]
    return env


def settings_line(env: Mapping[str, str]) -> str:
    """``LLM_LAB_REPLAY_STRICT=1, LLM_LAB_REPLAY_SPEED=0`` (``(없음)`` when unset)."""
    return ", ".join(f"{name}={env.get(name) or '(없음 unset)'}" for name in REPLAY_SETTINGS)


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
    parser.add_argument("--nb", default="", help="레슨 번호 (예: 01 또는 01,02); 기본은 전체")
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
    # The kernels inherit this process's environment. In replay the keys are removed so that
    # nothing can reach the network; the caller's replay settings are kept.
    env = kernel_environment(mode)
    settings = settings_line(env) if mode == "replay" else f"LLM_LAB_MODE={mode}"

    shown = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
    print(f"{len(lessons)}개 레슨을 실행합니다 (running {len(lessons)} lessons): {shown}")
    print(f"설정 (settings): {settings}")
    for lesson in lessons:
        extra = unknown_parameters(lesson, parameters, NOTEBOOKS)
        if extra:
            names = ", ".join(extra)
            print(
                f"경고: {lesson.file}의 parameters 셀에는 {names}이(가) 없습니다. "
                "papermill이 값을 넣기는 하지만 레슨 코드는 쓰지 않습니다 (철자를 확인하세요).",
                file=sys.stderr,
            )
    problem = out_dir_problem(args.out)
    if problem:
        print(f"오류: {problem}", file=sys.stderr)
    rows = []
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        for lesson in lessons:
            row = run_lesson(lesson, args.out, parameters, NOTEBOOKS)
            mark = "✓" if row.ok else "✗"
            print(
                f"{mark} {lesson.file} ({row.seconds:.1f}s){' — ' + row.error if row.error else ''}"
            )
            rows.append(row)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    print()
    print(table(rows))
    print(f"설정 (settings): {settings}")
    failed = [row for row in rows if not row.ok]
    print()
    if failed:
        print(f"{len(failed)}개 실패 (failed); 결과: {args.out}")
        return 1
    print(f"모두 성공했습니다 (all passed); 결과: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
