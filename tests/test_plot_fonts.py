"""Charts render their Korean labels with the bundled font: no "Glyph … missing from font" warning.

Each check draws in a fresh interpreter, because registering a font is process-wide: a font
registered by an earlier test would hide a chart that forgot to register one. ``--block-font``
points ``helpers.fonts`` at a file that does not exist, and the same check then sees the missing
glyphs — the check can fail, and it fails for exactly the reason it exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PRELUDE = textwrap.dedent(
    """
    import json, sys, warnings
    import matplotlib
    matplotlib.use("Agg")
    import helpers.fonts
    if "--block-font" in sys.argv:
        helpers.fonts.FONT_FILE = "data/fonts/no-such-font.ttf"
    """
)

# Lesson 06's charts, drawn through helpers.compare.plot_metrics (which calls use_korean_font).
LESSON_CHARTS = PRELUDE + textwrap.dedent(
    """
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

# A lesson's own chart cell: call use_korean_font() (twice), then plot with a Hangul title.
SIMPLE_CHART = PRELUDE + textwrap.dedent(
    """
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from helpers.fonts import font_path, use_korean_font

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        family = use_korean_font()
        use_korean_font()
        fig, ax = plt.subplots()
        ax.bar(["첫 토큰", "전체 응답"], [0.4, -1.5])
        ax.set_title("응답 시간 비교(초)")
        fig.canvas.draw()
    print(json.dumps({
        "warnings": [str(w.message) for w in caught],
        "family": family,
        "rc_family": list(matplotlib.rcParams["font.family"]),
        "unicode_minus": matplotlib.rcParams["axes.unicode_minus"],
        "found": font_manager.findfont(family, fallback_to_default=False),
        "font_path": str(font_path()),
        "registered": sum(e.fname == str(font_path()) for e in font_manager.fontManager.ttflist),
        "title": ax.get_title(),
    }, ensure_ascii=False))
    """
)


def run(script: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def glyph_warnings(report: dict) -> list[str]:
    return [w for w in report["warnings"] if "Glyph" in w and "missing from font" in w]


def test_lesson_charts_draw_korean_labels_without_missing_glyphs():
    report = run(LESSON_CHARTS)
    assert glyph_warnings(report) == []
    hangul = [t for t in report["texts"] if any("가" <= ch <= "힣" for ch in t)]
    assert "지연 시간(초)" in hangul and "코드 설명" in hangul, "the charts do carry Hangul"
    assert any("가격 정보 없음" in t for t in hangul), "an unpriced provider is named"


def test_without_the_font_the_same_check_finds_missing_glyphs():
    report = run(LESSON_CHARTS, "--block-font")
    assert glyph_warnings(report), "without a Hangul font matplotlib warns about every syllable"
    assert any("한글 글꼴을 등록하지 못해" in w for w in report["warnings"]), (
        "the learner is told why the labels are boxes"
    )


def test_use_korean_font_draws_a_hangul_title():
    report = run(SIMPLE_CHART)
    assert glyph_warnings(report) == []
    assert report["title"] == "응답 시간 비교(초)"
    assert report["rc_family"][0] == report["family"] == "LLM Lab Gothic"
    assert report["found"] == report["font_path"], "matplotlib resolves the family to our file"
    assert report["registered"] == 1, "calling it twice registers the font once"
    assert report["unicode_minus"] is False


def test_use_korean_font_says_in_korean_when_the_file_is_missing():
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + "helpers.fonts.use_korean_font()", "--block-font"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode != 0
    assert "FileNotFoundError" in done.stderr and "한글 글꼴 파일이 없습니다" in done.stderr


def test_the_font_file_is_a_small_hangul_subset():
    from fontTools.ttLib import TTFont

    from helpers.fonts import FONT_FAMILY, font_path

    font = TTFont(font_path())
    cmap = font.getBestCmap()
    assert all(cp in cmap for cp in range(0xAC00, 0xD7A4)), "every Hangul syllable"
    assert all(cp in cmap for cp in range(0x20, 0x7F)), "Basic Latin"
    assert font["name"].getDebugName(1) == FONT_FAMILY
    assert "Nanum" not in font["name"].getDebugName(1), "OFL: a Modified Version is renamed"
    assert font_path().stat().st_size < 2_000_000
    assert (font_path().parent / "OFL.txt").is_file()
