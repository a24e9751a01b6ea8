"""Lesson 06's charts render their Korean labels: no "Glyph … missing from font" warning.

Each check draws the charts in a fresh interpreter, because registering a font is process-wide:
a font registered by an earlier test would hide a chart that forgot to register one. The second
test blocks koreanize-matplotlib and shows that the same check then sees the missing glyphs — the
check can fail, and it fails for exactly the reason it exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

DRAW = textwrap.dedent(
    """
    import json, sys, warnings
    if "--block-koreanize" in sys.argv:
        sys.modules["koreanize_matplotlib"] = None  # import koreanize_matplotlib -> ImportError
    import matplotlib
    matplotlib.use("Agg")
    from helpers import compare
    from helpers.compare import Result

    results = []
    for provider, cost in (("openai", 0.0003), ("anthropic", 0.001), ("huggingface", None)):
        for task, kind in (("summary", "요약"), ("code", "코드 설명")):
            r = Result(provider, "m", task, kind, "ko", 1.2, 0.3, 100, 60, cost, "stop")
            results.append(r)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = compare.plot_metrics(compare.to_frame(results))
        fig.canvas.draw()
    texts = [t.get_text() for ax in fig.axes for t in [ax.title, *ax.get_xticklabels()]]
    texts += [t.get_text() for ax in fig.axes for t in ax.texts]
    print(json.dumps({
        "warnings": [str(w.message) for w in caught],
        "texts": [t for t in texts if t],
    }, ensure_ascii=False))
    """
)


def draw(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DRAW, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def glyph_warnings(report: dict) -> list[str]:
    return [w for w in report["warnings"] if "Glyph" in w and "missing from font" in w]


def test_charts_draw_korean_labels_without_missing_glyphs():
    report = draw()
    assert glyph_warnings(report) == []
    hangul = [t for t in report["texts"] if any("가" <= ch <= "힣" for ch in t)]
    assert "지연 시간(초)" in hangul and "코드 설명" in hangul, "the charts do carry Hangul"
    assert any("가격 정보 없음" in t for t in hangul), "an unpriced provider is named"


def test_without_koreanize_the_same_check_finds_missing_glyphs():
    report = draw("--block-koreanize")
    assert glyph_warnings(report), "without a Hangul font matplotlib warns about every syllable"
    assert any("koreanize-matplotlib이 설치되어 있지 않아" in w for w in report["warnings"]), (
        "the learner is told why the labels are boxes"
    )
