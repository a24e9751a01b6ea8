"""A Hangul font for matplotlib charts, shipped inside this package.

matplotlib's bundled fonts have no Hangul, and neither has Colab, so Korean titles and labels
render as boxes (□). ``use_korean_font()`` registers the packaged subset of NanumGothic (SIL Open
Font License 1.1; renamed "LLM Lab Gothic" as the OFL's Reserved Font Name clause requires — see
``helpers/data/fonts/README.md``) and makes it matplotlib's default family. No system font, no
download, no setuptools/distutils needed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FONT_FILE = "data/fonts/LLMLabGothic-Regular.ttf"
FONT_FAMILY = "LLM Lab Gothic"


def font_path() -> Path:
    """Path of the bundled font file."""
    return Path(str(resources.files(__package__).joinpath(FONT_FILE)))


def use_korean_font() -> str:
    """Register the bundled Hangul font with matplotlib and make it the default font family.

    Safe to call any number of times (the font is added once). Also sets
    ``axes.unicode_minus = False``: the font has no U+2212 MINUS SIGN, so axes use "-".
    Returns the family name.
    """
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError as exc:
        raise ImportError(
            "그래프를 그리려면 matplotlib이 필요합니다. `pip install matplotlib`로 설치한 뒤 "
            "다시 실행하세요."
        ) from exc
    path = font_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"helpers 패키지에 들어 있어야 할 한글 글꼴 파일이 없습니다: {path}. "
            "`pip install -e .`(또는 `pip install .`)로 helpers를 다시 설치하세요."
        )
    if not any(entry.fname == str(path) for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    # DejaVu Sans (shipped with matplotlib) draws any character the subset lacks.
    matplotlib.rcParams["font.family"] = [FONT_FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return FONT_FAMILY
