"""Report what the newest upstream releases change against the locked, tested set (``make drift``).

    python -m tools.drift snapshot [--out FILE]            # facts about *this* interpreter, as JSON
    python -m tools.drift report --drift-python PATH        # run from the locked venv
        [--baseline tests/data/sdk_snapshot.json] [--notebooks notebooks]
        [--skip-tests] [--skip-notebooks] [--as-of YYYY-MM-DD] [--report-out build/drift-report.md]
    python -m tools.drift execute NB OUT_JSON               # internal: run one notebook here

``snapshot`` records the versions of the distributions that matter, the model ids in each SDK's
model literals, the deprecations the SDKs announce (through ``helpers.catalog.sdk_deprecations()``)
and the signatures of the SDK methods the lessons call. The snapshot of the locked venv is
committed as the baseline (``tests/data/sdk_snapshot.json``).

``report`` takes a snapshot inside the drift interpreter (a venv with the newest releases) and
diffs it against the baseline, runs the whole unit-test suite there (tests marked ``upstream``
included), runs every lesson in both interpreters in keyless strict replay at speed 0 and compares
cell by cell. The report is printed in Korean with English beside each heading and written as
Markdown to ``build/drift-report.md``.

Exit status: ``report`` exits 0 whatever it finds — differences are the point of the report, and
``make drift`` must never break a build. It exits 0 as well when the drift venv itself is broken
(missing interpreter, failed install): the report then starts with "보고서 불완전 / REPORT
INCOMPLETE" and says which part could not run, so CI can turn that marker into a warning.
Only usage errors (bad arguments, an unreadable baseline) exit 2.

Import-light on purpose: this module runs inside a fresh venv that may be half installed, so only
the standard library is imported at module level.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tools.lessons import replay_env
from tools.output_text import normalize_output, output_text

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = Path("tests/data/sdk_snapshot.json")
DEFAULT_NOTEBOOKS = Path("notebooks")
DEFAULT_REPORT = Path("build/drift-report.md")
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
SCHEMA = 1
INCOMPLETE = "보고서 불완전 / REPORT INCOMPLETE"

# The distributions whose versions the report always shows, even when unchanged upstream.
KEY_DISTRIBUTIONS = (
    "openai",
    "anthropic",
    "huggingface-hub",
    "httpx2",
    "httpcore2",
    "pydantic",
    "ipywidgets",
    "ipykernel",
    "jupyter-client",
    "pandas",
    "matplotlib",
    "tiktoken",
    "nbclient",
    "nbformat",
    "nbmake",
    "papermill",
    "pytest",
    "python-dotenv",
)
# Installer tooling and this repository itself differ between venvs for reasons that say nothing
# about upstream releases.
IGNORED_DISTRIBUTIONS = ("pip", "setuptools", "wheel", "llm-api-lab")

MODEL_LITERALS = {
    "openai.ChatModel": ("openai.types.shared.chat_model", "ChatModel"),
    "openai.ResponsesModel": ("openai.types.shared.responses_model", "ResponsesModel"),
    "anthropic.Model": ("anthropic.types", "Model"),
}

# The SDK methods the lessons call: (module to import, attribute path inside it).
METHODS = {
    "openai.resources.chat.completions.Completions.create": (
        "openai.resources.chat.completions",
        "Completions.create",
    ),
    "openai.resources.responses.Responses.create": (
        "openai.resources.responses",
        "Responses.create",
    ),
    "anthropic.resources.messages.Messages.create": (
        "anthropic.resources.messages",
        "Messages.create",
    ),
    "anthropic.resources.messages.Messages.stream": (
        "anthropic.resources.messages",
        "Messages.stream",
    ),
    "anthropic.resources.messages.Messages.count_tokens": (
        "anthropic.resources.messages",
        "Messages.count_tokens",
    ),
    "huggingface_hub.InferenceClient.chat_completion": (
        "huggingface_hub",
        "InferenceClient.chat_completion",
    ),
    "huggingface_hub.InferenceClient.text_generation": (
        "huggingface_hub",
        "InferenceClient.text_generation",
    ),
}

# Settings a maintainer's shell may carry that would point a run at other servers or fixtures.
STRAY_VARIABLES = (
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "LLM_LAB_CAPTURE",
    "LLM_LAB_RECORD_DIR",
    "LLM_LAB_FIXTURES",
)

DIFF_LINES = 20  # per cell, so one chatty cell cannot drown the report
LIST_CAP = 40

# --------------------------------------------------------------------------------------------
# snapshot: facts about the running interpreter
# --------------------------------------------------------------------------------------------


def canonical_name(name: str) -> str:
    """PEP 503 normalisation, so ``huggingface_hub`` and ``huggingface-hub`` are one key."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions() -> dict[str, str]:
    """Every installed distribution (canonical name → version), installer tooling left out."""
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        key = canonical_name(name)
        if key not in IGNORED_DISTRIBUTIONS:
            found.setdefault(key, dist.version)
    return dict(sorted(found.items()))


def key_versions(distributions: Mapping[str, str]) -> dict[str, str | None]:
    """Versions of the distributions that matter; ``None`` for one that is not installed."""
    return {name: distributions.get(name) for name in KEY_DISTRIBUTIONS}


def literal_ids(annotation: Any) -> list[str]:
    """Every string in a ``Literal[...]``, looking through ``Union``/``|`` and nested literals."""
    import typing

    found: list[str] = []

    def walk(node: Any) -> None:
        args = typing.get_args(node)
        if typing.get_origin(node) is typing.Literal:
            found.extend(a for a in args if isinstance(a, str))
            return
        for arg in args:
            walk(arg)

    walk(annotation)
    return sorted(set(found))


def _short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def model_literals() -> dict[str, dict[str, Any]]:
    """Model ids per SDK literal; an import failure becomes ``{"status": "missing"}``."""
    import importlib

    result: dict[str, dict[str, Any]] = {}
    for key, (module_name, attribute) in MODEL_LITERALS.items():
        try:
            value = getattr(importlib.import_module(module_name), attribute)
        except Exception as exc:  # a missing or reshaped SDK is a finding, not a crash
            result[key] = {"status": "missing", "reason": _short_error(exc)}
            continue
        result[key] = {"status": "ok", "ids": literal_ids(value)}
    return result


def _deprecation_fields(item: Any) -> dict[str, Any]:
    return {
        "provider": getattr(item, "provider", None),
        "shutdown": getattr(item, "shutdown", None),
        "raw_date": getattr(item, "raw_date", None),
        "detail": getattr(item, "detail", ""),
    }


def deprecations() -> dict[str, Any]:
    """Deprecations the installed SDKs announce, as ``helpers.catalog`` reads them.

    ``retired`` is left out (it depends on today's date, not on the SDK) and so is ``source``
    (it repeats the version). If ``helpers.catalog`` cannot be used, the snapshot says why.
    """
    try:
        from helpers.catalog import sdk_deprecations

        found = sdk_deprecations()
    except Exception as exc:
        note = f"helpers.catalog.sdk_deprecations()를 쓰지 못했습니다 ({_short_error(exc)})"
        return {"source": "missing", "note": note, "models": {}}
    models = {str(model): _deprecation_fields(item) for model, item in found.items()}
    return {"source": "helpers.catalog.sdk_deprecations", "models": dict(sorted(models.items()))}


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def describe_default(value: Any) -> str | None:
    """A stable text for a parameter default; ``None`` when there is no default (required).

    openai/anthropic mark "not sent" with ``NOT_GIVEN`` (``NotGiven``) or ``omit`` (``Omit``)
    objects whose repr carries a memory address; they become ``<NotGiven>`` / ``<Omit>``.
    """
    import inspect

    if value is inspect.Parameter.empty:
        return None
    kind = type(value).__name__
    if kind in ("NotGiven", "Omit", "NotGivenOr", "_Omit"):
        return f"<{kind.lstrip('_')}>"
    return _ADDRESS.sub("0x…", repr(value))


def describe_annotation(annotation: Any) -> str:
    import inspect

    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):  # the SDKs use `from __future__ import annotations`
        return annotation
    return inspect.formatannotation(annotation)


def signature_of(module_name: str, attribute: str) -> dict[str, Any]:
    """Parameters of one method: name, kind, default, annotation — or a ``missing`` entry."""
    import importlib
    import inspect

    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
        signature = inspect.signature(target)
    except Exception as exc:
        return {"status": "missing", "reason": _short_error(exc)}
    params = [
        {
            "name": p.name,
            "kind": p.kind.name,
            "default": describe_default(p.default),
            "annotation": describe_annotation(p.annotation),
        }
        for p in signature.parameters.values()
    ]
    return {"status": "ok", "params": params}


def signatures() -> dict[str, dict[str, Any]]:
    return {key: signature_of(module, attribute) for key, (module, attribute) in METHODS.items()}


def take_snapshot() -> dict[str, Any]:
    """Everything ``report`` compares. No paths, no timestamps: the baseline must regenerate
    byte for byte from the same venv on any machine."""
    import platform

    distributions = installed_distributions()
    return {
        "schema": SCHEMA,
        "python": platform.python_version(),
        "versions": key_versions(distributions),
        "distributions": distributions,
        "models": model_literals(),
        "deprecations": deprecations(),
        "signatures": signatures(),
    }


def dump_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write next to the target, then rename, so a reader never sees half a file.

    The shared `helpers.atomic` does it; it and `helpers/__init__.py` import only the standard
    library, so this stays safe in a half-installed venv.
    """
    from helpers.atomic import write_text_atomic as _write

    _write(path, text)


# --------------------------------------------------------------------------------------------
# diff: baseline snapshot vs drift snapshot
# --------------------------------------------------------------------------------------------


def diff_versions(
    old: Mapping[str, str | None], new: Mapping[str, str | None]
) -> list[tuple[str, str | None, str | None]]:
    """``(name, old, new)`` for every distribution whose version differs (``None`` = absent)."""
    names = sorted(set(old) | set(new))
    return [(n, old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n)]


def _changed_fields(before: Mapping[str, Any], after: Mapping[str, Any], names) -> dict:
    """``{field: (old, new)}`` for the named fields whose value differs."""
    return {f: (before.get(f), after.get(f)) for f in names if before.get(f) != after.get(f)}


def _per_key(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    compare: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Per key of two snapshots: a status change when the entry appears, vanishes or fails to
    read, or else what ``compare`` finds; keys without a change are left out."""
    result: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old) | set(new)):
        before = old.get(key) or {"status": "missing", "reason": "기준선에 없음"}
        after = new.get(key) or {"status": "missing", "reason": "스냅숏에 없음"}
        if before.get("status") != after.get("status"):
            # every item "removed" because the entry vanished would bury the one line that matters
            result[key] = {
                "status": (before.get("status"), after.get("status")),
                "reason": after.get("reason") or before.get("reason"),
            }
        elif change := compare(before, after):
            result[key] = change
    return result


def _id_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    old_ids, new_ids = set(before.get("ids", ())), set(after.get("ids", ()))
    change: dict[str, Any] = {}
    if old_ids - new_ids:
        change["removed"] = sorted(old_ids - new_ids)
    if new_ids - old_ids:
        change["added"] = sorted(new_ids - old_ids)
    return change


def diff_models(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per literal: ids added/removed, and a status change when a literal appears or vanishes."""
    return _per_key(old, new, _id_changes)


DEPRECATION_FIELDS = ("provider", "shutdown", "raw_date", "detail")


def diff_deprecations(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Models added to / removed from the deprecation lists, and changed fields (dates…)."""
    before, after = old.get("models", {}), new.get("models", {})
    changed = {}
    for model in sorted(set(before) & set(after)):
        if fields := _changed_fields(before[model], after[model], DEPRECATION_FIELDS):
            changed[model] = fields
    result: dict[str, Any] = {
        "added": {m: after[m] for m in sorted(set(after) - set(before))},
        "removed": {m: before[m] for m in sorted(set(before) - set(after))},
        "changed": changed,
    }
    if old.get("source") != new.get("source"):
        result["source"] = (old.get("source"), new.get("source"))
    return {k: v for k, v in result.items() if v}


PARAM_FIELDS = ("kind", "default", "annotation")


def _param_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    old_params = {p["name"]: p for p in before.get("params", ())}
    new_params = {p["name"]: p for p in after.get("params", ())}
    changed = {}
    for name in old_params.keys() & new_params.keys():
        if fields := _changed_fields(old_params[name], new_params[name], PARAM_FIELDS):
            changed[name] = fields
    change: dict[str, Any] = {
        "added": [new_params[n] for n in new_params if n not in old_params],
        "removed": [old_params[n] for n in old_params if n not in new_params],
        "changed": dict(sorted(changed.items())),
    }
    return {k: v for k, v in change.items() if v}


def diff_signatures(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per method: parameters added/removed, and changed kind/default/annotation."""
    return _per_key(old, new, _param_changes)


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """All categories at once; an empty category is an empty container."""
    key_names = set(KEY_DISTRIBUTIONS)
    other_old = {k: v for k, v in old.get("distributions", {}).items() if k not in key_names}
    other_new = {k: v for k, v in new.get("distributions", {}).items() if k not in key_names}
    return {
        "python": (old.get("python"), new.get("python")),
        "versions": diff_versions(old.get("versions", {}), new.get("versions", {})),
        "other_versions": diff_versions(other_old, other_new),
        "models": diff_models(old.get("models", {}), new.get("models", {})),
        "deprecations": diff_deprecations(old.get("deprecations", {}), new.get("deprecations", {})),
        "signatures": diff_signatures(old.get("signatures", {}), new.get("signatures", {})),
    }


def has_snapshot_changes(diff: Mapping[str, Any]) -> bool:
    return any(diff[k] for k in ("versions", "models", "deprecations", "signatures"))


def past_shutdown(
    snapshots: Mapping[str, Mapping[str, Any]], as_of: dt.date
) -> list[tuple[str, str, str, list[str]]]:
    """``(model, provider, shutdown, [labels of the snapshots that list it])`` with shutdown ≤ as_of."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for label, snapshot in snapshots.items():
        for model, info in snapshot.get("deprecations", {}).get("models", {}).items():
            shutdown = info.get("shutdown")
            if shutdown and shutdown <= as_of.isoformat():
                key = (model, info.get("provider") or "?", shutdown)
                found.setdefault(key, []).append(label)
    return [(m, p, s, labels) for (m, p, s), labels in sorted(found.items(), key=lambda i: i[0][2])]


# --------------------------------------------------------------------------------------------
# subprocesses: keyless environment, snapshot, tests, notebooks
# --------------------------------------------------------------------------------------------


def keyless_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """No API keys, strict replay at speed 0, and ``tools`` importable from the repository root.

    ``LLM_LAB_DOTENV=0`` stops ``helpers`` from reading keys and settings from a ``.env`` found
    upward from the notebook's folder (``report`` still mentions such a file: an older checkout of
    helpers in the drift venv would not know the switch).
    """
    env = replay_env(base)
    for name in STRAY_VARIABLES:
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def find_dotenv_above(folder: Path) -> Path | None:
    """The ``.env`` that ``helpers.keys.find_dotenv`` would pick up for a notebook in ``folder``."""
    from helpers.keys import find_dotenv

    return find_dotenv(folder)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def snapshot_in(python: str, timeout: float = 300) -> tuple[dict[str, Any] | None, str]:
    """Run ``snapshot`` in another interpreter. Returns (snapshot or None, Korean problem text)."""
    if not Path(python).exists():
        return (
            None,
            f"인터프리터 {python}이(가) 없습니다. 최신 가상환경 설치가 실패했는지 확인하세요.",
        )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "snapshot.json"
        try:
            proc = subprocess.run(
                [python, "-m", "tools.drift", "snapshot", "--out", str(out)],
                cwd=ROOT,
                env=keyless_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{python}에서 스냅숏을 만들지 못했습니다: {_short_error(exc)}"
        if proc.returncode != 0 or not out.is_file():
            return None, (
                f"{python}에서 스냅숏을 만들지 못했습니다 (종료 코드 {proc.returncode}).\n"
                f"{_tail(proc.stderr or proc.stdout)}"
            )
        return json.loads(out.read_text(encoding="utf-8")), ""


@dataclasses.dataclass
class PytestRun:
    """What pytest said: counts per outcome, failing test ids, and a problem if it could not run."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    failed: list[str] = dataclasses.field(default_factory=list)
    problem: str = ""
    seconds: float = 0.0
    command: list[str] = dataclasses.field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problem


def pytest_command(python: str) -> list[str]:
    # `-m ""` comes after pyproject's addopts on the command line, so it replaces any
    # `-m "not upstream"` there: drift must run the tests that check installed upstream data.
    return [python, "-m", "pytest", "-p", "no:cacheprovider", "tests", "-q", "-rfE", "-m", ""]


_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")
_FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)")


def parse_pytest_output(text: str) -> PytestRun:
    """Counts from pytest's last summary line, ids from the ``-rfE`` short summary."""
    run = PytestRun()
    summary = ""
    for line in text.splitlines():
        if _OUTCOME.search(line) and (" in " in line or line.startswith("=")):
            summary = line  # the final "N passed, M failed in 3.2s" line wins
        match = _FAILED_LINE.match(line)
        if match and match.group(2) not in run.failed:
            run.failed.append(match.group(2))
    for count, outcome in _OUTCOME.findall(summary):
        key = "error" if outcome.startswith("error") else outcome
        run.counts[key] = run.counts.get(key, 0) + int(count)
    if not summary:
        run.problem = "pytest 요약 줄을 찾지 못했습니다 (no pytest summary line)."
    return run


def run_tests(python: str, timeout: float = 1800) -> PytestRun:
    command = pytest_command(python)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            command, cwd=ROOT, env=keyless_env(), capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PytestRun(
            problem=f"pytest를 실행하지 못했습니다: {_short_error(exc)}", command=command
        )
    run = parse_pytest_output(proc.stdout)
    run.seconds = time.monotonic() - start
    run.command = command
    # exit 1 = some tests failed, which is a finding; anything else means pytest itself broke.
    if proc.returncode not in (0, 1) and not run.problem:
        run.problem = f"pytest가 종료 코드 {proc.returncode}로 끝났습니다."
    if run.problem:
        run.problem += "\n" + _tail(proc.stdout + "\n" + proc.stderr)
    return run


# --- notebooks ---------------------------------------------------------------------------------


def summarize_cells(cells: Sequence[Mapping[str, Any]], notebook_failed: bool) -> list[dict]:
    """Per code cell: index, first source line, status (ok/error/not-run), error, text."""
    summary = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        outputs = cell.get("outputs") or []
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors:
            status = "error"
        elif notebook_failed and cell.get("execution_count") is None and source.strip():
            status = "not-run"
        else:
            status = "ok"
        summary.append(
            {
                "index": index,
                "first_line": next((ln for ln in source.splitlines() if ln.strip()), ""),
                "status": status,
                "error": output_text(errors[0]).strip() if errors else "",
                "text": "".join(output_text(o) for o in outputs),
            }
        )
    return summary


def execute_notebook(notebook: Path, cell_timeout: int = 300) -> dict[str, Any]:
    """Run one notebook in *this* interpreter with nbclient, from the notebook's folder.

    ``allow_errors=True``: a failing cell is recorded and the next cells still run, so one
    drift breakage does not hide the others.
    """
    start = time.monotonic()
    result: dict[str, Any] = {"notebook": str(notebook), "python": sys.executable, "error": ""}
    cells: list = []
    try:
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.read(notebook, as_version=4)
        cells = nb.cells
        for cell in cells:  # committed outputs must not pass for this run's outputs
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        client = NotebookClient(
            nb,
            timeout=cell_timeout,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": str(notebook.resolve().parent)}},
        )
        # A "python3" kernelspec may name another interpreter; this run must be this venv's.
        kernel_spec = client.create_kernel_manager().kernel_spec
        kernel_spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        client.execute()
    except Exception as exc:
        result["error"] = _short_error(exc)
    result["cells"] = summarize_cells(cells, notebook_failed=bool(result["error"]))
    result["seconds"] = round(time.monotonic() - start, 2)
    return result


def run_notebook(python: str, notebook: Path, timeout: float = 1200) -> dict[str, Any]:
    """``execute`` in another interpreter's subprocess; a crash becomes ``{"error": ...}``."""
    if not Path(python).exists():
        return {
            "notebook": str(notebook),
            "error": f"인터프리터 {python}이(가) 없습니다.",
            "cells": [],
        }
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run.json"
        try:
            proc = subprocess.run(
                [python, "-m", "tools.drift", "execute", str(notebook), str(out)],
                cwd=ROOT,
                env=keyless_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"notebook": str(notebook), "error": _short_error(exc), "cells": []}
        if not out.is_file():
            problem = f"실행기가 결과를 남기지 않았습니다 (종료 코드 {proc.returncode})"
            return {
                "notebook": str(notebook),
                "error": f"{problem}\n{_tail(proc.stderr)}",
                "cells": [],
            }
        return json.loads(out.read_text(encoding="utf-8"))


@dataclasses.dataclass
class CellChange:
    index: int
    first_line: str
    kind: str  # "fails" (fails in drift, not in lock) or "output" (different text)
    detail: str  # the drift error, or a unified diff


@dataclasses.dataclass
class NotebookComparison:
    name: str
    lock_error: str = ""
    drift_error: str = ""
    changes: list[CellChange] = dataclasses.field(default_factory=list)
    failing_in_both: list[int] = dataclasses.field(default_factory=list)
    fixed_in_drift: list[int] = dataclasses.field(default_factory=list)
    seconds: tuple[float, float] = (0.0, 0.0)


def short_diff(old: str, new: str, cap: int = DIFF_LINES) -> str:
    """A unified diff of two normalized texts, cut after ``cap`` lines."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "고정 lock", "최신 drift", n=1, lineterm=""
        )
    )
    if len(lines) > cap:
        lines = [*lines[:cap], f"… ({len(lines) - cap}줄 생략 / {len(lines) - cap} more lines)"]
    return "\n".join(lines)


def compare_runs(
    name: str, lock: Mapping[str, Any], drift: Mapping[str, Any]
) -> NotebookComparison:
    """Cells that fail only in drift, and cells whose normalized text differs."""
    result = NotebookComparison(
        name=name,
        lock_error=lock.get("error", ""),
        drift_error=drift.get("error", ""),
        seconds=(lock.get("seconds", 0.0), drift.get("seconds", 0.0)),
    )
    lock_cells = {c["index"]: c for c in lock.get("cells", ())}
    for cell in drift.get("cells", ()):
        before = lock_cells.get(cell["index"])
        if before is None:
            continue
        lock_bad = before["status"] != "ok"
        drift_bad = cell["status"] != "ok"
        if drift_bad and not lock_bad:
            detail = cell["error"] or "실행되지 않았습니다 (not run)"
            result.changes.append(CellChange(cell["index"], cell["first_line"], "fails", detail))
            continue
        if drift_bad and lock_bad:
            result.failing_in_both.append(cell["index"])
            continue
        if lock_bad and not drift_bad:
            result.fixed_in_drift.append(cell["index"])
            continue
        old, new = normalize_output(before["text"]), normalize_output(cell["text"])
        if old != new:
            result.changes.append(
                CellChange(cell["index"], cell["first_line"], "output", short_diff(old, new))
            )
    return result


def notebook_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob(NOTEBOOK_GLOB))


# --------------------------------------------------------------------------------------------
# rendering: Korean first, English beside every heading
# --------------------------------------------------------------------------------------------


def _code(text: Any) -> str:
    """Inline code safe inside a Markdown table cell."""
    if text is None or text == "":
        return "—"
    return "`" + str(text).replace("`", "'").replace("|", "\\|") + "`"


def _cap(items: Sequence[str], cap: int = LIST_CAP) -> list[str]:
    if len(items) <= cap:
        return list(items)
    return [*items[:cap], f"… 외 {len(items) - cap}개 / {len(items) - cap} more"]


NOTHING = "바뀐 것이 없습니다. (No changes.)"


def render_versions(diff: Mapping[str, Any]) -> list[str]:
    lines = ["## 버전 변화 / Version changes", ""]
    old_py, new_py = diff.get("python", (None, None))
    if old_py != new_py:
        lines += [f"- Python: {_code(old_py)} → {_code(new_py)}", ""]
    if not diff["versions"]:
        lines.append("주요 패키지: " + NOTHING)
    else:
        lines += ["| 패키지 / package | 고정 / lock | 최신 / drift |", "| --- | --- | --- |"]
        for name, old, new in diff["versions"]:
            lines.append(
                f"| {name} | {_code(old or '없음 (absent)')} | {_code(new or '없음 (absent)')} |"
            )
    others = diff.get("other_versions") or []
    if others:
        lines += ["", f"그 밖의 패키지 {len(others)}개가 바뀌었습니다 (other distributions):", ""]
        lines += _cap(
            [f"- {n}: {old or '없음'} → {new or '없음'}" for n, old, new in others], cap=LIST_CAP
        )
    return lines + [""]


def render_models(changes: Mapping[str, Any], lesson: frozenset[str] = frozenset()) -> list[str]:
    lines = ["## 모델 목록 변화 / Model literal changes", ""]
    if not changes:
        return lines + [NOTHING, ""]
    for key, change in changes.items():
        lines.append(f"### `{key}`")
        lines.append("")
        if "status" in change:
            old, new = change["status"]
            lines.append(f"- 상태 / status: {old} → {new} ({change.get('reason') or ''})")
        if change.get("added"):
            lines.append("- 추가됨 / added: " + ", ".join(_code(m) for m in _cap(change["added"])))
        if change.get("removed"):
            removed = ", ".join(_code(m) for m in _cap(change["removed"]))
            lines.append("- 삭제됨 / removed: " + removed)
            for model in sorted(lesson & set(change["removed"])):
                lines.append(f"  - {_code(model)}{LESSON_FLAG}")
        lines.append("")
    return lines


def _when(info: Mapping[str, Any]) -> str:
    shutdown, raw = info.get("shutdown"), info.get("raw_date")
    if shutdown and raw and raw != shutdown:
        return f"{shutdown} ({raw})"
    return shutdown or raw or "날짜 없음 (no date)"


def render_deprecations(diff: Mapping[str, Any], lesson: frozenset[str] = frozenset()) -> list[str]:
    lines = ["## 지원 중단(deprecation) 목록 변화 / Deprecation changes", ""]
    if not diff:
        return lines + [NOTHING, ""]
    if "source" in diff:
        old, new = diff["source"]
        lines += [f"- 출처가 바뀌었습니다 / source changed: {_code(old)} → {_code(new)}", ""]
    rows = []

    def label(model: str) -> str:
        return _code(model) + (LESSON_FLAG if model in lesson else "")

    for model, info in diff.get("added", {}).items():
        rows.append(
            f"| {label(model)} | {info.get('provider')} | 추가 / added | — | {_when(info)} |"
        )
    for model, info in diff.get("removed", {}).items():
        row = f"| {label(model)} | {info.get('provider')} | 삭제 / removed | {_when(info)} | — |"
        rows.append(row)
    for model, fields in diff.get("changed", {}).items():
        for name, (old, new) in fields.items():
            rows.append(
                f"| {label(model)} | | 변경 / changed: {name} | {_code(old)} | {_code(new)} |"
            )
    if rows:
        header = "| 모델 / model | 제공자 / provider | 변화 / change | 고정 / lock | 최신 / drift |"
        lines += [header, "| --- | --- | --- | --- | --- |", *rows]
    return lines + [""]


def render_past_shutdown(
    rows: Sequence[tuple[str, str, str, list[str]]],
    as_of: dt.date,
    lesson: frozenset[str] = frozenset(),
) -> list[str]:
    lines = [
        f"## 종료일이 지난 모델 ({as_of} 기준) / Models past their shutdown date as of {as_of}",
        "",
    ]
    if not rows:
        return lines + ["없습니다. (None.)", ""]
    lines += ["| 모델 / model | 제공자 / provider | 종료일 / shutdown | 목록 / listed in |"]
    lines.append("| --- | --- | --- | --- |")
    for model, provider, shutdown, labels in rows:
        flag = LESSON_FLAG if model in lesson else ""
        lines.append(f"| {_code(model)}{flag} | {provider} | {shutdown} | {', '.join(labels)} |")
    return lines + [""]


def _param_text(param: Mapping[str, Any]) -> str:
    text = f"{_code(param['name'])} ({param.get('kind')}"
    if param.get("annotation"):
        text += f", {_code(param['annotation'])}"
    if param.get("default") is not None:
        text += f", 기본값 default {_code(param['default'])}"
    else:
        text += ", 필수 required"
    return text + ")"


def render_signatures(changes: Mapping[str, Any]) -> list[str]:
    lines = ["## 메서드 시그니처 변화 / Signature changes", ""]
    if not changes:
        return lines + [NOTHING, ""]
    for key, change in changes.items():
        lines += [f"### `{key}`", ""]
        if "status" in change:
            old, new = change["status"]
            lines.append(f"- 상태 / status: {old} → {new} ({change.get('reason') or ''})")
        for param in change.get("added", ()):
            lines.append(f"- 추가된 매개변수 / added: {_param_text(param)}")
        for param in change.get("removed", ()):
            lines.append(f"- 삭제된 매개변수 / removed: {_param_text(param)}")
        for name, fields in change.get("changed", {}).items():
            parts = "; ".join(
                f"{f}: {_code(old)} → {_code(new)}" for f, (old, new) in fields.items()
            )
            lines.append(f"- 바뀐 매개변수 / changed: {_code(name)} — {parts}")
        lines.append("")
    return lines


def render_tests(run: PytestRun | None) -> list[str]:
    lines = ["## 단위 테스트 (최신 환경, upstream 포함) / Unit tests in the drift venv", ""]
    if run is None:
        return lines + ["건너뛰었습니다 (--skip-tests). (Skipped.)", ""]
    if run.problem:
        lines += ["테스트를 끝까지 실행하지 못했습니다 (the test run did not complete):", ""]
        lines += ["```", run.problem, "```", ""]
    if run.counts:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
        lines.append(f"- 결과 / outcome: {counts} ({run.seconds:.0f}초 / s)")
    if run.failed:
        lines += ["- 실패한 테스트 / failing tests:", ""]
        lines += [f"  - `{test_id}`" for test_id in _cap(run.failed)]
    elif run.counts and not run.problem:
        lines.append("- 실패한 테스트가 없습니다. (No failing tests.)")
    return lines + [""]


def render_notebooks(comparisons: Sequence[NotebookComparison] | None) -> list[str]:
    lines = ["## 노트북 실행 비교 (고정 vs 최신) / Notebooks: lock vs drift", ""]
    if comparisons is None:
        return lines + ["건너뛰었습니다 (--skip-notebooks). (Skipped.)", ""]
    if not comparisons:
        return lines + ["실행할 노트북이 없습니다. (No notebooks found.)", ""]
    lines += ["셀 번호는 0부터 셉니다 (cell indices start at 0).", ""]
    lines += [
        "| 노트북 / notebook | 결과 / result | 초 고정·최신 / s lock·drift |",
        "| --- | --- | --- |",
    ]
    for comp in comparisons:
        if comp.lock_error or comp.drift_error:
            verdict = "실행 오류 / run error"
        elif comp.changes:
            fails = sum(c.kind == "fails" for c in comp.changes)
            outputs = len(comp.changes) - fails
            verdict = f"실패 {fails} · 출력 차이 {outputs} / {fails} failing, {outputs} differing"
        else:
            verdict = "같음 / same"
        lock_s, drift_s = comp.seconds
        lines.append(f"| {comp.name} | {verdict} | {lock_s:.1f} · {drift_s:.1f} |")
    lines.append("")
    for comp in comparisons:
        if not (comp.changes or comp.lock_error or comp.drift_error or comp.fixed_in_drift):
            continue
        lines += [f"### {comp.name}", ""]
        for label, error in (("고정 / lock", comp.lock_error), ("최신 / drift", comp.drift_error)):
            if error:
                lines += [
                    f"- 노트북 실행 오류 ({label}) / notebook run error:",
                    "",
                    "```",
                    error,
                    "```",
                ]
        if comp.failing_in_both:
            both = ", ".join(str(i) for i in comp.failing_in_both)
            lines.append(f"- 양쪽 모두 실패한 셀 / failing in both: {both}")
        if comp.fixed_in_drift:
            fixed = ", ".join(str(i) for i in comp.fixed_in_drift)
            lines.append(f"- 최신 환경에서만 성공한 셀 / passing only in drift: {fixed}")
        for change in comp.changes:
            title = (
                "최신에서만 실패 / fails only in drift"
                if change.kind == "fails"
                else "출력 차이 / output differs"
            )
            lines += ["", f"- 셀 [{change.index}] {title}: {_code(change.first_line)}", ""]
            lines += ["```diff" if change.kind == "output" else "```", change.detail, "```"]
        lines.append("")
    return lines


@dataclasses.dataclass
class ReportInputs:
    """Everything a report is rendered from, so rendering is a pure function (and testable)."""

    as_of: dt.date
    lock_python: str
    drift_python: str
    baseline_path: str
    baseline: Mapping[str, Any]
    drift: Mapping[str, Any] | None
    problems: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    baseline_stale: Mapping[str, Any] | None = None  # diff(baseline, lock) when they differ
    tests: PytestRun | None = None
    notebooks: list[NotebookComparison] | None = None
    seconds: float = 0.0
    lesson_models: frozenset[str] = frozenset()  # the lessons' default models, flagged when hit


def lesson_models() -> frozenset[str]:
    """Default model ids from ``helpers/data/models.json``; empty when helpers cannot be read."""
    try:
        from helpers.catalog import load_catalog

        return frozenset(str(m) for m in load_catalog()["defaults"].values())
    except Exception:
        return frozenset()


LESSON_FLAG = " ⚠ 레슨 기본값 / lesson default"


def render_summary(inputs: ReportInputs, diff: Mapping[str, Any] | None) -> list[str]:
    lines = ["## 요약 / Summary", ""]
    if diff is not None:
        dep = diff["deprecations"]
        counts = [
            ("주요 패키지 버전 변화", "key version changes", len(diff["versions"])),
            ("모델 목록이 바뀐 리터럴", "model literals changed", len(diff["models"])),
            ("지원 중단 목록 변화", "deprecation changes",
             sum(len(dep.get(k, ())) for k in ("added", "removed", "changed"))),
            ("시그니처가 바뀐 메서드", "methods with signature changes", len(diff["signatures"])),
        ]  # fmt: skip
        lines += [f"- {ko} / {en}: {n}" for ko, en, n in counts]
    if inputs.tests is not None and inputs.tests.counts:
        failed = inputs.tests.counts.get("failed", 0) + inputs.tests.counts.get("error", 0)
        lines.append(f"- 최신 환경에서 실패한 테스트 / failing tests in drift: {failed}")
    if inputs.notebooks is not None:
        cells = sum(len(c.changes) for c in inputs.notebooks)
        broken = sum(bool(c.lock_error or c.drift_error) for c in inputs.notebooks)
        lines.append(f"- 차이가 난 노트북 셀 / notebook cells that differ: {cells}")
        if broken:
            lines.append(f"- 실행 오류가 난 노트북 / notebooks with run errors: {broken}")
    return lines + [""]


def render_report(inputs: ReportInputs) -> str:
    diff = diff_snapshots(inputs.baseline, inputs.drift) if inputs.drift is not None else None
    lines = ["# 최신 릴리스 드리프트 보고서 / Upstream drift report", ""]
    if inputs.problems:
        lines += [f"> **{INCOMPLETE}** — 최신 환경의 일부를 확인하지 못했습니다.", ">"]
        lines += [f"> - {p.splitlines()[0]}" for p in inputs.problems]
        lines.append("")
    lines += [
        f"- 기준일 / as of: {inputs.as_of}",
        f"- 고정 환경 / lock: `{inputs.lock_python}`",
        f"- 최신 환경 / drift: `{inputs.drift_python}`",
        f"- 기준선 / baseline: `{inputs.baseline_path}`",
    ]
    if inputs.seconds:
        lines.append(f"- 소요 시간 / took: {inputs.seconds:.0f}초 (s)")
    lines += [
        "",
        "이 보고서는 빌드를 실패시키지 않습니다. 차이는 고정 버전(lock)을 올리기 전에 살펴볼 거리입니다.",
        "(Reporting only: differences never fail the build; review them before bumping the lock.)",
        "",
    ]
    lines += render_summary(inputs, diff)
    if diff is None:
        lines += ["## 스냅숏 / Snapshot", "", "최신 환경의 스냅숏이 없어 비교하지 못했습니다.", ""]
        lines += ["(No drift snapshot, nothing to compare.)", ""]
    else:
        lines += render_versions(diff)
        lines += render_models(diff["models"], inputs.lesson_models)
        lines += render_deprecations(diff["deprecations"], inputs.lesson_models)
        lines += render_signatures(diff["signatures"])
    snapshots = {"기준선 baseline": inputs.baseline}
    if inputs.drift is not None:
        snapshots["최신 drift"] = inputs.drift
    past = past_shutdown(snapshots, inputs.as_of)
    lines += render_past_shutdown(past, inputs.as_of, inputs.lesson_models)
    lines += render_tests(inputs.tests)
    lines += render_notebooks(inputs.notebooks)
    notes = list(inputs.notes)
    if inputs.baseline_stale is not None:
        notes.append(
            "기준선이 지금의 고정 환경과 다릅니다. `python -m tools.drift snapshot --out "
            f"{inputs.baseline_path}`로 다시 만드세요. (The baseline does not match the lock venv.)"
        )
    for problem in inputs.problems:
        notes.append("최신 환경 문제 / drift venv problem:\n\n```\n" + problem + "\n```")
    if notes:
        lines += ["## 참고 / Notes", ""]
        lines += [f"- {note}" for note in notes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# report: orchestration
# --------------------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def compare_notebooks(
    lock_python: str, drift_python: str, folder: Path
) -> list[NotebookComparison]:
    comparisons = []
    for notebook in notebook_paths(folder):
        _progress(f"노트북 실행 중 / running {notebook.name} …")
        # Both kernels at once halves the wall time; each run gets its own replay port (the
        # fixed one falls back to a free one), and normalize_output masks the port.
        with ThreadPoolExecutor(max_workers=2) as pool:
            lock = pool.submit(run_notebook, lock_python, notebook)
            drift = pool.submit(run_notebook, drift_python, notebook)
            comparisons.append(compare_runs(notebook.name, lock.result(), drift.result()))
    return comparisons


def build_report(args: argparse.Namespace, baseline: Mapping[str, Any]) -> ReportInputs:
    start = time.monotonic()
    drift_python = str(args.drift_python)
    inputs = ReportInputs(
        as_of=args.as_of,
        lock_python=sys.executable,
        drift_python=drift_python,
        baseline_path=str(args.baseline),
        baseline=baseline,
        drift=None,
    )
    _progress("최신 환경 스냅숏 / drift snapshot …")
    inputs.drift, problem = snapshot_in(drift_python)
    if problem:
        inputs.problems.append(problem)
    inputs.lesson_models = lesson_models()
    lock_now = take_snapshot()
    stale = diff_snapshots(baseline, lock_now)
    if has_snapshot_changes(stale):
        inputs.baseline_stale = stale
    dotenv = find_dotenv_above(Path(args.notebooks))
    if dotenv is not None:
        inputs.notes.append(
            f"`{dotenv}` 파일이 있습니다. helpers는 이 파일에서 키를 읽으며 끌 방법이 없습니다. "
            "출력이 키 없는 실행과 다를 수 있습니다. (A .env was found; helpers reads keys from it.)"
        )
    if inputs.drift is None:
        return _finish(inputs, start)  # a broken drift venv cannot run tests or notebooks either
    if not args.skip_tests:
        _progress("최신 환경 단위 테스트 / drift unit tests …")
        inputs.tests = run_tests(drift_python)
        if not inputs.tests.complete:
            inputs.problems.append(inputs.tests.problem)
    if not args.skip_notebooks:
        inputs.notebooks = compare_notebooks(sys.executable, drift_python, Path(args.notebooks))
        for comp in inputs.notebooks:
            if comp.drift_error and not comp.lock_error:
                inputs.problems.append(
                    f"{comp.name}: 최신 환경에서 노트북을 끝까지 실행하지 못했습니다."
                )
    return _finish(inputs, start)


def _finish(inputs: ReportInputs, start: float) -> ReportInputs:
    inputs.seconds = time.monotonic() - start
    return inputs


class BaselineError(ValueError):
    """The baseline file is missing or malformed: a usage error (exit 2), not a finding."""


def load_baseline(path: Path) -> dict[str, Any]:
    regenerate = f"`python -m tools.drift snapshot --out {path}`로 다시 만드세요."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaselineError(
            f"기준선 {path}을(를) 읽지 못했습니다: {_short_error(exc)}. {regenerate}"
        ) from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise BaselineError(f"기준선 {path}의 형식(schema {SCHEMA})이 맞지 않습니다. {regenerate}")
    return data


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"날짜는 YYYY-MM-DD 형식이어야 합니다: {text!r}") from exc


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.drift", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser(
        "snapshot", help="이 인터프리터의 스냅숏 JSON (snapshot of this interpreter)"
    )
    snap.add_argument("--out", type=Path, help="파일로 저장 (write to FILE atomically)")
    report = sub.add_parser("report", help="최신 환경과 기준선 비교 (compare drift with baseline)")
    report.add_argument("--drift-python", required=True, help="최신 가상환경의 python")
    report.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    report.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS)
    report.add_argument("--skip-tests", action="store_true")
    report.add_argument("--skip-notebooks", action="store_true")
    report.add_argument("--as-of", type=_iso_date, default=dt.date.today())
    report.add_argument("--report-out", type=Path, default=DEFAULT_REPORT)
    execute = sub.add_parser(
        "execute", help="(내부용) 노트북 하나 실행 (internal: run one notebook)"
    )
    execute.add_argument("notebook", type=Path)
    execute.add_argument("out", type=Path)
    execute.add_argument("--cell-timeout", type=int, default=300)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "snapshot":
        text = dump_json(take_snapshot())
        if args.out:
            write_text_atomic(args.out, text)
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "execute":
        result = execute_notebook(args.notebook, cell_timeout=args.cell_timeout)
        write_text_atomic(args.out, dump_json(result))
        return 0
    try:
        baseline = load_baseline(args.baseline)
    except BaselineError as exc:
        print(exc, file=sys.stderr)
        return 2
    text = render_report(build_report(args, baseline))
    write_text_atomic(args.report_out, text)
    print(text, end="")
    print(f"\n보고서를 {args.report_out}에 저장했습니다. (Report written to {args.report_out}.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
