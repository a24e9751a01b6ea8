"""Rehearse the Colab bootstrap on Python 3.13 and run every lesson there (``make test-colab``).

1. A venv of Colab's own packages (``locks/colab-base.txt``: ipywidgets 7.7.1, openai and
   huggingface_hub of Colab's vintage, transformers, no anthropic), plus the test runner.
2. The bootstrap's own pip commands (:func:`tools.colab.install_commands`), with this checkout
   standing in for the GitHub URL and ``locks/colab.txt`` for its raw address.
3. Checks that Colab's packages are exactly as before and that ``import transformers`` still
   works outside the lessons, then prints what the lesson kernels see instead of Colab's copies.
4. Every notebook under nbmake in keyless strict replay, with the bootstrap folder first on the
   path, as the cell's ``sys.path.insert(0, ...)`` puts it on Colab; then the widget tests (on
   Colab's ipywidgets 7.7.1) and the Hangul chart tests (Python 3.13, no setuptools).

Exits non-zero when any step fails.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import colab
from tools.lessons import ROOT, replay_env

BASE = ROOT / "locks" / "colab-base.txt"
RUNNER = ["nbmake"]  # the test runner is the one package Colab itself lacks
STAMP = ".colab-base.sha256"
COLAB_TESTS = ["tests/test_playground.py", "tests/test_chat_widget.py", "tests/test_plot_fonts.py"]


def find_python(wanted: str) -> str:
    """An interpreter for ``wanted`` ("python3.13"), also when pyenv has not made it global."""
    candidates = [
        wanted,
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13"))),
    ]
    for candidate in candidates:
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == "(3, 13)":
            return candidate
    raise SystemExit(
        f"Colab과 같은 Python 3.13을 찾지 못했습니다 ({wanted}). Python 3.13을 설치하거나 "
        "`make test-colab COLAB_PYTHON=/경로/python3.13`으로 지정하세요."
    )


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def base_venv(python: str, venv: Path) -> Path:
    """The rehearsal of Colab's environment, rebuilt only when ``colab-base.txt`` changes."""
    digest = hashlib.sha256(BASE.read_bytes()).hexdigest()
    py = venv / "bin" / "python"
    if py.exists() and (venv / STAMP).is_file() and (venv / STAMP).read_text() == digest:
        return py
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)])
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "-r", str(BASE)])
    # Constrained by the same file, so the runner cannot upgrade one of Colab's packages.
    run([*pip, *RUNNER, "-c", str(BASE)])
    (venv / STAMP).write_text(digest)
    return py


def freeze(py: Path, *, path: Path | None = None) -> dict[str, str]:
    """``{name: version}`` of the distributions on ``py``'s default path (or only in ``path``)."""
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "paths = sys.argv[1:] or None\n"
        "dists = metadata.distributions(path=paths) if paths else metadata.distributions()\n"
        "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version"
        " for d in dists}))\n"
    )
    args = [str(py), "-c", code, *([str(path)] if path else [])]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def folder_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def bootstrap(py: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)  # a new Colab runtime starts without the folder
    lock = str(ROOT / colab.LOCK_PATH)
    for args in colab.install_commands(str(target), lock, str(ROOT)):
        run([str(py), "-m", "pip", "--disable-pip-version-check", *args])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3.13")
    parser.add_argument("--venv", default=".venv-colab")
    parser.add_argument("--skip-notebooks", action="store_true")
    args = parser.parse_args(argv)

    venv = (ROOT / args.venv).resolve()
    py = base_venv(find_python(args.python), venv)
    target = venv / "bootstrap-target"

    before = freeze(py)
    bootstrap(py, target)
    after = freeze(py)
    changed = {n: (before.get(n), after.get(n)) for n in before.keys() | after.keys()}
    changed = {n: v for n, v in changed.items() if v[0] != v[1]}

    installed = freeze(py, path=target)
    shadowed = {n: (before[n], v) for n, v in installed.items() if n in before}
    added = {n: v for n, v in installed.items() if n not in before}
    print("\n## Colab 준비 셀이 바꾸는 것 / What the bootstrap changes")
    print(f"- Colab의 site-packages에서 바뀐 패키지 / changed in site-packages: {len(changed)}")
    for name, (old, new) in sorted(changed.items()):
        print(f"    {name}: {old} → {new}")
    print(
        f"- 준비 셀의 폴더 / bootstrap folder: 패키지 {len(installed)}개, "
        f"{folder_size_mb(target):.1f} MB"
    )
    print(
        f"- 레슨 커널에서만 Colab 버전 대신 보이는 것 / shadowed in lesson kernels: {len(shadowed)}"
    )
    for name, (old, new) in sorted(shadowed.items()):
        print(f"    {name}: {old} → {new}" + ("" if old != new else " (같음)"))
    print(f"- Colab에 없어 새로 보이는 것 / new in lesson kernels: {len(added)}")
    for name, version in sorted(added.items()):
        print(f"    {name}=={version}")

    failures = []
    if changed:
        failures.append("Colab의 패키지가 바뀌었습니다 (the bootstrap changed Colab's packages)")
    outside = subprocess.run(
        [str(py), "-c", "import transformers, ipywidgets; print(ipywidgets.__version__)"],
        capture_output=True,
        text=True,
    )
    print(
        f"- 레슨 밖의 import transformers / outside the lessons: {outside.returncode == 0 and 'ok'}"
    )
    if outside.returncode != 0:
        failures.append(
            "준비 셀 뒤에 Colab의 transformers를 import할 수 없습니다\n" + outside.stderr
        )

    if not args.skip_notebooks:
        env = replay_env()
        env["PYTHONPATH"] = str(target)  # what the cell's sys.path.insert(0, target) does
        notebooks = subprocess.run(
            [str(py), "-m", "pytest", "-p", "no:cacheprovider", "--nbmake", "notebooks", "-q"],
            cwd=ROOT,
            env=env,
        )
        if notebooks.returncode != 0:
            failures.append("Colab 환경에서 노트북 실행이 실패했습니다 (notebooks failed)")
        # Widgets on ipywidgets 7.7 and Hangul charts on Python 3.13 without setuptools: the
        # parts of the unit suite that depend on what Colab itself provides.
        colab_only = subprocess.run(
            [str(py), "-m", "pytest", "-p", "no:cacheprovider", "-q", *COLAB_TESTS],
            cwd=ROOT,
            env=env,
        )
        if colab_only.returncode != 0:
            failures.append(
                "Colab 환경에서 위젯·글꼴 테스트가 실패했습니다 (widget/font tests failed)"
            )

    for failure in failures:
        print(f"실패 / FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
