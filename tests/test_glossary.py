"""The glossary is one source: its retired words are found in notebooks and the README."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import conventions as cv
from tools import glossary as g
from tools import stamp

TERMS = g.parse_glossary(
    """
[[term]]
term = "공급자"
english = "provider"
meaning = "API를 내는 곳"
retired = ["제공자"]

[[term]]
term = "저장된 응답"
english = "stored response"
meaning = "픽스처의 응답"
retired = ["녹화"]
unless = "record"
"""
)


def test_retired_word_is_found_with_the_term_to_use() -> None:
    uses = g.retired_uses("세 제공자를 부릅니다.", TERMS)
    assert [(u.word, u.term.term) for u in uses] == [("제공자", "공급자")]
    assert "'공급자'" in uses[0].describe() and "세 제공자를" in uses[0].describe()


def test_unless_allows_the_other_meaning_nearby() -> None:
    assert g.retired_uses("`make record`로 녹화한 픽스처", TERMS) == []
    assert len(g.retired_uses("리플레이는 녹화된 응답을 돌려줍니다", TERMS)) == 1


def test_the_real_glossary_parses_and_keeps_terms_and_retired_words_apart() -> None:
    terms = g.load_glossary()
    assert len(terms) >= 8
    words = {t.term for t in terms}
    for term in terms:
        assert term.retired, term.term
        assert not set(term.retired) & words, f"{term.term}: a retired word is also a term"
        assert not g.retired_uses(term.term, terms), f"{term.term} would flag itself"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[term]]\nterm = "a"\nenglish = "b"\nmeaning = "c"\n', "retired"),
        ('[[term]]\nterm = "a"\nenglish = "b"\nmeaning = "c | d"\nretired = ["x"]\n', "|"),
        ("[[term]\n", "TOML"),
    ],
)
def test_malformed_glossary_gets_a_clear_message(text: str, problem: str) -> None:
    with pytest.raises(g.GlossaryError, match=problem if problem != "|" else r"\|"):
        g.parse_glossary(text)


def test_conventions_flag_retired_words_in_prose_code_and_outputs() -> None:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("세 공급자를 부릅니다."),
        new_code_cell('print("ok")', outputs=[new_output("stream", name="stdout", text="ok\n")]),
    ]
    assert cv.check_glossary(nb) == []
    nb.cells[0].source = "세 제공자를 부릅니다."
    nb.cells[1].source = '# 녹화 응답을 씁니다\nprint("ok")'
    nb.cells[1].outputs[0].text = "모든 공급자가 실시간(live)입니다\n"
    found = cv.check_glossary(nb)
    assert len(found) == 3 and all(p.startswith("[glossary] 셀 ") for p in found)
    assert any("셀 0" in p and "'공급자'" in p for p in found)
    assert any("셀 1" in p and "'라이브'" in p for p in found)


def test_readme_is_checked_outside_its_generated_glossary_table() -> None:
    lessons = []
    base = "# 제목\n\n<!-- lessons:start -->\n<!-- lessons:end -->\n\n<!-- clone:start -->\n<!-- clone:end -->\n"
    readme = stamp.stamp_readme(
        base + "\n<!-- glossary:start -->\n<!-- glossary:end -->\n", lessons, cv.repo_url()
    )
    assert "제공자" in readme  # the table lists the retired words …
    assert cv.check_readme(readme, lessons, cv.repo_url()) == []  # … and that is fine
    broken = readme.replace("# 제목", "# 제목\n\n세 제공자를 비교합니다.")
    assert any(
        p.startswith("[glossary] README.md")
        for p in cv.check_readme(broken, lessons, cv.repo_url())
    )
