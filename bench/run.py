"""Print every benchmark figure as one table: ``python bench/run.py`` (``make bench``).

Discovers ``bench/bench_*.py`` (or only the names given: ``python bench/run.py series``), calls
each module's ``figures()`` and prints the rows. It reports; it always exits 0, and a module that
fails is shown as such in the table rather than stopping the others.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import figure, verdict  # noqa: E402
from tools.table import format_table  # noqa: E402


def discover(names: list[str]) -> list[str]:
    modules = sorted(path.stem for path in (ROOT / "bench").glob("bench_*.py"))
    if names:
        wanted = {name if name.startswith("bench_") else f"bench_{name}" for name in names}
        modules = [m for m in modules if m in wanted]
    return modules


def collect(module_name: str) -> list[dict]:
    try:
        module = importlib.import_module(f"bench.{module_name}")
        return list(module.figures())
    except Exception as exc:
        traceback.print_exc()
        return [
            figure(module_name, "A", "B", None, note=f"실패 failed: {type(exc).__name__}: {exc}")
        ]


def _seconds(value) -> str:
    if value is None:
        return "-"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def _target(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return f"≤ {value:.2f}×"
    return str(value)


def format_rows(rows: list[dict]) -> str:
    header = ["figure", "A", "B", "A median", "B median", "A/B", "target", "", "note"]
    body = [
        [
            row["name"],
            row["a_label"],
            row["b_label"],
            _seconds(row.get("a_median")),
            _seconds(row.get("b_median")),
            "-" if row.get("ratio") is None else f"{row['ratio']:.2f}×",
            _target(row.get("target")),
            verdict(row),
            row.get("note", ""),
        ]
        for row in rows
    ]
    return format_table(header, body)


def main(argv: list[str] | None = None) -> int:
    names = sys.argv[1:] if argv is None else argv
    rows: list[dict] = []
    for module_name in discover(names):
        started = time.perf_counter()
        print(f"… {module_name}", flush=True)
        rows.extend(collect(module_name))
        print(f"  {module_name}: {time.perf_counter() - started:.1f}s", flush=True)
    print()
    print(format_rows(rows) if rows else "벤치마크가 없습니다 (no bench/bench_*.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
