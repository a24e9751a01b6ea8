"""The time estimate comes from the notebook: each part moves when the lesson grows."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import lesson_time as lt
from tools import stamp
from tools.lessons import NOTEBOOKS, load_lessons, repo_url

INTRO = "## 학습 목표\n- 하나\n\n## 사전 준비\n- 없음\n\n## 예상 소요 시간\n\n약 1분\n\n## 다음 절\n본문"


def notebook(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


def test_reading_counts_prose_at_the_stated_pace() -> None:
    prose = "가" * (lt.CHARS_PER_MINUTE * 10)
    found = lt.estimate(notebook(new_markdown_cell(prose)))
    assert found.reading == pytest.approx(10)
    assert (found.code, found.labs, found.code_cells) == (0, 0, 0)


def test_fenced_code_link_targets_and_spaces_are_not_reading() -> None:
    plain = lt.prose_length("가나 다")
    decorated = lt.prose_length(
        "가나   다\n\n```python\nprint('x')\n```\n[](https://example.com/긴/주소)"
    )
    assert plain == 3 and decorated == plain + 2  # only the two brackets remain


def test_code_cells_count_per_cell_and_per_line() -> None:
    source = "\n".join(f"x{i} = {i}" for i in range(lt.LINES_PER_MINUTE)) + "\n\n"
    found = lt.estimate(notebook(new_code_cell(source), new_code_cell("")))
    assert found.code_cells == 2
    assert found.code == pytest.approx(2 * lt.MINUTES_PER_CELL + 1)


def test_each_lab_heading_adds_lab_time() -> None:
    labs = "## 실습\n\n### 실습 1. 하나\n\n본문\n\n### 실습 2. 둘\n"
    found = lt.estimate(notebook(new_markdown_cell(labs)))
    assert found.lab_count == 2 and found.labs == 2 * lt.MINUTES_PER_LAB


def test_optional_sections_count_only_towards_the_full_time() -> None:
    core = new_markdown_cell("## 1. 핵심\n\n" + "가" * lt.CHARS_PER_MINUTE * 20)
    extra = new_markdown_cell("## 2. 더 깊이 (선택)\n\n" + "가" * lt.CHARS_PER_MINUTE * 10)
    code_in_extra = new_code_cell("\n".join(["x = 1"] * lt.LINES_PER_MINUTE * 9))
    back = new_markdown_cell("## 정리\n\n요약")
    found = lt.estimate(notebook(core, extra, code_in_extra, back))
    assert found.core == 20 and found.total == 40
    assert found.sentence().startswith(
        "약 20분('(선택)'이 붙은 절을 건너뛸 때). 모두 하면 약 40분: 읽기 약 30분"
    )
    without = lt.estimate(notebook(core, back))
    assert "선택" not in without.sentence()


def test_the_time_section_does_not_count_itself() -> None:
    short = lt.estimate(notebook(new_markdown_cell(INTRO)))
    long = lt.estimate(notebook(new_markdown_cell(INTRO.replace("약 1분", "가" * 4000))))
    assert short == long


def test_set_time_sentence_replaces_only_that_section() -> None:
    out = lt.set_time_sentence(INTRO, "약 5분.")
    assert "## 예상 소요 시간\n\n약 5분.\n\n## 다음 절\n본문" in out
    assert out.startswith("## 학습 목표\n- 하나")
    at_end = lt.set_time_sentence("## 예상 소요 시간\n\n옛 값", "새 값")
    assert at_end == "## 예상 소요 시간\n\n새 값"
    assert lt.set_time_sentence("시간 절 없음", "x") == "시간 절 없음"


def test_stamp_reports_a_stale_time_and_writes_the_fresh_one() -> None:
    lessons, url = load_lessons(), repo_url()
    nb = stamp.read_notebook(NOTEBOOKS / lessons[1].file)
    intro = next(c for c in nb.cells if lt.TIME_HEADING in c.source)
    intro.source = lt.set_time_sentence(intro.source, "약 30분 (실습 포함)")
    result = stamp.stamp_notebook(nb, lessons, 1, url)
    assert any("예상 소요 시간" in change for change in result.changes)
    fresh = next(c for c in result.notebook.cells if lt.TIME_HEADING in c.source)
    assert lt.estimate(nb).sentence() in fresh.source
    again = stamp.stamp_notebook(result.notebook, lessons, 1, url)
    assert not any("예상 소요 시간" in change for change in again.changes)


def test_readme_minutes_follow_the_notebook(tmp_path) -> None:
    lessons = load_lessons()[:1]
    assert "| – |" in stamp.readme_table(lessons, repo_url(), tmp_path)
    real = stamp.readme_table(lessons, repo_url())
    found = lt.estimate_file(NOTEBOOKS / lessons[0].file)
    assert f"| {found.core}분" in real
