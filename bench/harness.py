"""A/B figures for ``make bench``: run A and B interleaved, take medians, report the ratio.

A benchmark module ``bench/bench_<name>.py`` exposes ``figures()`` returning a list of dicts
``{name, a_label, b_label, a_median, b_median, ratio, target}`` — build them with ``figure()``::

    from bench.harness import compare, figure

    def figures():
        result = compare(run_a, run_b, repeats=5)
        return [figure("replay vs direct", "replay", "direct", result, target=1.3)]

``target`` is the ratio A/B should not exceed (lower is better). Figures report; they do not gate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    a_times: tuple[float, ...]
    b_times: tuple[float, ...]

    @property
    def a_median(self) -> float:
        return statistics.median(self.a_times)

    @property
    def b_median(self) -> float:
        return statistics.median(self.b_times)

    @property
    def ratio(self) -> float:
        return self.a_median / self.b_median if self.b_median > 0 else float("inf")


def _timed(fn: Callable[[], object], clock: Callable[[], float]) -> float:
    started = clock()
    fn()
    return clock() - started


def compare(
    a: Callable[[], object],
    b: Callable[[], object],
    *,
    repeats: int = 3,
    warmup: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> Comparison:
    """Time ``a`` and ``b`` ``repeats`` times each, interleaved (A B, B A, A B, …) so that drift
    in the machine's load falls on both alike. ``warmup`` untimed rounds run first."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    for _ in range(warmup):
        a()
        b()
    a_times: list[float] = []
    b_times: list[float] = []
    for round_ in range(repeats):
        order = ((a, a_times), (b, b_times))
        for fn, times in order if round_ % 2 == 0 else reversed(order):
            times.append(_timed(fn, clock))
    return Comparison(tuple(a_times), tuple(b_times))


def figure(
    name: str,
    a_label: str,
    b_label: str,
    result: Comparison | None,
    *,
    target: float | str | None = None,
    note: str = "",
) -> dict:
    """One row of the ``make bench`` table. ``result=None`` records a figure that could not be
    measured (say why in ``note``)."""
    return {
        "name": name,
        "a_label": a_label,
        "b_label": b_label,
        "a_median": None if result is None else result.a_median,
        "b_median": None if result is None else result.b_median,
        "ratio": None if result is None else result.ratio,
        "target": target,
        "note": note,
    }


def verdict(row: dict) -> str:
    """``"met"``, ``"missed"`` or ``""`` (no numeric target, or nothing measured)."""
    ratio, target = row.get("ratio"), row.get("target")
    if ratio is None or not isinstance(target, int | float) or isinstance(target, bool):
        return ""
    return "met" if ratio <= target else "missed"
