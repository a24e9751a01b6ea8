"""Run the test passes of ``make test`` side by side and report each one.

    python -m tools.passes unit strict learner

- ``unit``: the unit tests (``-m "not upstream"``: upstream data is ``make drift``'s).
- ``strict``: every notebook under nbmake in keyless strict replay at speed 0 (fast; an unmatched
  request is an error).
- ``learner``: every notebook the way a learner first runs it: auto mode, no keys, no ``LLM_LAB_*``
  variable at all, so recorded speed and lenient matching. It runs a copy of ``notebooks/`` in a
  fresh temporary folder, so no ``.env`` above the repository can turn it live.

The passes mostly wait (the learner pass sleeps through recorded stream timing), so running them
together on two cores costs little more than the longest one. Each pass's output is printed whole
when it ends; the exit code is non-zero if any pass failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools.lessons import ROOT, learner_env, replay_env

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]


@dataclass
class Pass:
    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path


def make_pass(name: str, scratch: Path) -> Pass:
    if name == "unit":
        return Pass(name, [*PYTEST, "-m", "not upstream", "tests"], dict(os.environ), ROOT)
    if name == "strict":
        return Pass(name, [*PYTEST, "--nbmake", "notebooks"], replay_env(strict=True), ROOT)
    if name == "learner":
        copy = scratch / "learner" / "notebooks"
        shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_*"))
        return Pass(name, [*PYTEST, "--nbmake", "notebooks"], learner_env(), copy.parent)
    raise SystemExit(
        f"알 수 없는 테스트 단계입니다: {name} (unit, strict, learner 중에서 고르세요)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.passes", description=__doc__)
    parser.add_argument("names", nargs="+", choices=["unit", "strict", "learner"])
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="llm-lab-passes-") as scratch:
        passes = [make_pass(name, Path(scratch)) for name in args.names]
        logs = {p.name: Path(scratch) / f"{p.name}.log" for p in passes}
        started = time.perf_counter()
        running = {}
        for p in passes:
            log = logs[p.name].open("w", encoding="utf-8")
            proc = subprocess.Popen(
                p.command, cwd=p.cwd, env=p.env, stdout=log, stderr=subprocess.STDOUT
            )
            running[p.name] = (proc, log, time.perf_counter())
        results: dict[str, tuple[int, float]] = {}
        while running:
            for name, (proc, log, began) in list(running.items()):
                if proc.poll() is None:
                    continue
                log.close()
                results[name] = (proc.returncode, time.perf_counter() - began)
                del running[name]
                print(
                    f"\n===== {name}: {'통과 / passed' if proc.returncode == 0 else '실패 / FAILED'} "
                    f"({results[name][1]:.0f}초) =====",
                    flush=True,
                )
                sys.stdout.write(logs[name].read_text(encoding="utf-8"))
                sys.stdout.flush()
            time.sleep(0.2)
        total = time.perf_counter() - started

    print("\n| 단계 (pass) | 결과 (result) | 초 (s) |\n| --- | --- | --- |")
    for name in args.names:
        code, seconds = results[name]
        print(f"| {name} | {'통과' if code == 0 else '실패'} | {seconds:.0f} |")
    print(f"| 전체 (wall) | | {total:.0f} |")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
