"""Notebook conventions: every listed lesson keeps them, and every check can fail.

The first tests run the checks on the real notebooks in ``notebooks/lessons.toml`` (a listed but
missing notebook fails). The rest build a notebook that keeps every convention, break one thing
at a time, and show that the matching check reports it — and that stamping is idempotent.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import conventions as cv
from tools import stamp
from tools.lessons import (
    LESSONS_TOML,
    NOTEBOOKS,
    README,
    ROOT,
    Lesson,
    LessonListError,
    load_lessons,
    parse_lessons,
    repo_url,
    validate_lessons,
)

URL = "https://github.com/example-org/example-repo"
# Assembled at run time so that this file itself holds nothing key-shaped.
FAKE_OPENAI_KEY = "sk-" + "proj-" + "A1b2C3d4" * 4
FAKE_HF_TOKEN = "hf" + "_" + "Zy9" * 12

LESSONS = [
    Lesson("00", "00_setup.ipynb", "환경 설정", "키 준비"),
    Lesson("01", "01_first.ipynb", "첫 호출", "기본 호출"),
    Lesson("02", "02_more.ipynb", "더 알아보기", "파라미터"),
]


# ---------------------------------------------------------------------------------------------
# The real series
# ---------------------------------------------------------------------------------------------

REAL_LESSONS = load_lessons()


@pytest.mark.parametrize(
    "index", range(len(REAL_LESSONS)), ids=[lesson.file for lesson in REAL_LESSONS]
)
def test_listed_notebook_keeps_conventions(index: int) -> None:
    lesson = REAL_LESSONS[index]
    path = NOTEBOOKS / lesson.file
    assert path.exists(), (
        f"notebooks/lessons.toml에 있는 {lesson.file}이 없습니다 (listed notebook is missing)"
    )
    problems = cv.check_notebook(stamp.read_notebook(path), REAL_LESSONS, index, repo_url())
    assert not problems, f"{lesson.file}:\n  " + "\n  ".join(problems)


def test_readme_is_stamped() -> None:
    problems = cv.check_readme(README.read_text(encoding="utf-8"), REAL_LESSONS, repo_url())
    assert not problems, "\n".join(problems)


def test_lesson_list_is_valid() -> None:
    import tomllib

    data = tomllib.loads(LESSONS_TOML.read_text(encoding="utf-8"))
    assert validate_lessons(data) == []
    assert REAL_LESSONS[0].file == "00_setup.ipynb"


def test_repository_url_is_configured_once() -> None:
    """Badges, bootstrap cell and README commands come from pyproject; nobody types the URL."""
    url = repo_url()
    text = README.read_text(encoding="utf-8")
    for name in ("lessons", "clone"):
        start, end = text.index(f"<!-- {name}:start -->"), text.index(f"<!-- {name}:end -->")
        text = text[:start] + text[end:]
    assert url not in text, "README.md의 생성 블록 밖에 저장소 주소가 있습니다"
    files = [ROOT / "Makefile", ROOT / "environment.yml", *ROOT.glob("requirements*.txt")]
    files += [*(ROOT / "tools").glob("*.py"), *(ROOT / "bench").glob("*.py")]
    holders = [str(p.relative_to(ROOT)) for p in files if url in p.read_text(encoding="utf-8")]
    assert holders == []


# ---------------------------------------------------------------------------------------------
# A notebook that keeps every convention, and ways to break it
# ---------------------------------------------------------------------------------------------


def tagged(cell, *tags: str):
    cell.metadata["tags"] = list(tags)
    return cell


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def good_notebook(index: int = 1) -> nbformat.NotebookNode:
    nb = new_notebook(
        metadata={
            "kernelspec": dict(cv.KERNELSPEC),
            "language_info": {**cv.LANGUAGE_INFO, "version": "3.11.7"},
        }
    )
    nb.cells = [
        new_markdown_cell(
            "## 학습 목표\n- 첫 호출\n\n## 사전 준비\n- 없음\n\n## 예상 소요 시간\n30분"
        ),
        tagged(new_code_cell('MODE = None\nOPENAI_MODEL = "gpt-5-mini"'), "parameters"),
        new_code_cell("import helpers\n\nstatus = helpers.setup(mode=MODE)"),
        new_markdown_cell(
            "## 1. 첫 호출\n\n```python\n# 코드 블록 안의 제목은 제목이 아닙니다\n```"
        ),
        new_code_cell('print("안녕하세요")', outputs=[stream("안녕하세요\n")]),
        new_markdown_cell("## 정리\n\n- 기억할 것"),
        new_markdown_cell("## 실습\n\n아래 함수를 완성하세요."),
        new_code_cell("# 여기에 코드를 작성하세요"),
    ]
    nb = stamp.stamp_notebook(nb, LESSONS, index, URL).notebook
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    return nb


def problems(nb, index: int = 1, lessons=LESSONS) -> list[str]:
    return cv.check_notebook(nb, lessons, index, URL)


def has(found: list[str], tag: str) -> bool:
    return any(problem.startswith(f"[{tag}]") for problem in found)


def printing(nb):
    """The lesson's ordinary code cell with an output."""
    return next(c for c in nb.cells if c.source.startswith("print("))


def index_of(nb, tag: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if tag in stamp.cell_tags(cell))


def test_good_notebook_keeps_every_convention() -> None:
    nb = good_notebook()
    nbformat.validate(nb)
    assert problems(nb) == []


@pytest.mark.parametrize("index", range(len(LESSONS)))
def test_every_position_in_the_series_can_be_clean(index: int) -> None:
    assert problems(good_notebook(index), index) == []


def test_missing_header_is_reported() -> None:
    nb = good_notebook()
    del nb.cells[0]
    assert has(problems(nb), "header")


def test_untagged_header_is_reported() -> None:
    nb = good_notebook()
    nb.cells[0].metadata["tags"] = []
    assert has(cv.check_header(nb, LESSONS[1]), "header")


def test_header_with_wrong_number_is_reported() -> None:
    nb = good_notebook()
    nb.cells[0].source = nb.cells[0].source.replace("# 01. ", "# 1. ")
    assert has(cv.check_header(nb, LESSONS[1]), "header")
    assert has(cv.check_header(nb), "header")


def test_second_title_is_reported() -> None:
    nb = good_notebook()
    nb.cells.insert(2, new_markdown_cell("# 01. 첫 호출"))
    assert has(problems(nb), "single-title")


def test_title_inside_code_fence_is_not_a_title() -> None:
    nb = good_notebook()
    nb.cells.insert(2, new_markdown_cell("```bash\n# 주석입니다\n```"))
    assert not has(problems(nb), "single-title")


@pytest.mark.parametrize("term", cv.INTRO_TERMS)
def test_missing_intro_item_is_reported(term: str) -> None:
    nb = good_notebook()
    nb.cells[1].source = nb.cells[1].source.replace(term, "다른 말")
    assert has(problems(nb), "intro")


def test_intro_after_parameters_is_reported() -> None:
    nb = good_notebook()
    intro = nb.cells.pop(1)
    nb.cells.insert(index_of(nb, "parameters") + 1, intro)
    assert has(problems(nb), "intro")


def test_missing_parameters_cell_is_reported() -> None:
    nb = good_notebook()
    nb.cells[index_of(nb, "parameters")].metadata["tags"] = []
    assert has(problems(nb), "parameters")


def test_two_parameters_cells_are_reported() -> None:
    nb = good_notebook()
    nb.cells.insert(-1, tagged(new_code_cell("X = 1", execution_count=None), "parameters"))
    assert has(cv.check_parameters(nb), "parameters")


def test_markdown_parameters_cell_is_reported() -> None:
    nb = good_notebook()
    at = index_of(nb, "parameters")
    nb.cells[at] = tagged(new_markdown_cell("MODE"), "parameters")
    assert has(cv.check_parameters(nb), "parameters")


def test_bootstrap_after_parameters_is_reported() -> None:
    nb = good_notebook()
    at = index_of(nb, "colab-bootstrap")
    nb.cells[at], nb.cells[at + 1] = nb.cells[at + 1], nb.cells[at]
    assert has(cv.check_bootstrap(nb), "bootstrap")


def test_bootstrap_far_from_parameters_is_reported() -> None:
    nb = good_notebook()
    cell = nb.cells.pop(index_of(nb, "colab-bootstrap"))
    nb.cells.insert(1, cell)
    assert has(cv.check_bootstrap(nb), "bootstrap")


def test_missing_bootstrap_is_reported() -> None:
    nb = good_notebook()
    del nb.cells[index_of(nb, "colab-bootstrap")]
    assert has(cv.check_bootstrap(nb), "bootstrap")


def test_markdown_bootstrap_is_reported() -> None:
    nb = good_notebook()
    at = index_of(nb, "colab-bootstrap")
    nb.cells[at] = tagged(new_markdown_cell("Colab"), "colab-bootstrap")
    assert has(cv.check_bootstrap(nb), "bootstrap")


def test_missing_setup_call_is_reported() -> None:
    nb = good_notebook()
    for cell in nb.cells:
        cell.source = cell.source.replace("helpers.setup(", "helpers.other(")
    assert has(problems(nb), "setup")


def test_setup_call_before_parameters_is_reported() -> None:
    nb = good_notebook()
    setup_cell = next(c for c in nb.cells if "helpers.setup(" in c.source)
    nb.cells.remove(setup_cell)
    nb.cells.insert(1, setup_cell)
    assert has(cv.check_setup_call(nb), "setup")


def test_summary_after_labs_is_reported() -> None:
    nb = good_notebook()
    summary = next(c for c in nb.cells if c.source.startswith("## 정리"))
    labs = next(c for c in nb.cells if c.source.startswith("## 실습"))
    summary.source, labs.source = labs.source, summary.source
    assert has(problems(nb), "ending")


def test_missing_summary_is_reported() -> None:
    nb = good_notebook()
    summary = next(c for c in nb.cells if c.source.startswith("## 정리"))
    summary.source = "## 요약\n\n- 기억할 것"
    assert has(problems(nb), "ending")


def test_section_after_labs_is_reported() -> None:
    nb = good_notebook()
    nb.cells.insert(-1, new_markdown_cell("## 부록"))
    assert has(problems(nb), "ending")


def test_numbered_ending_headings_are_accepted() -> None:
    nb = good_notebook()
    for cell in nb.cells:
        cell.source = cell.source.replace("## 정리", "## 5. 정리").replace("## 실습", "## 6. 실습")
    assert cv.check_ending(nb) == []


def test_missing_footer_is_reported() -> None:
    nb = good_notebook()
    del nb.cells[-1]
    assert has(problems(nb), "footer")


def test_footer_not_last_is_reported() -> None:
    nb = good_notebook()
    nb.cells.append(new_markdown_cell("끝"))
    assert has(cv.check_footer(nb), "footer")


def test_wrong_kernelspec_is_reported() -> None:
    nb = good_notebook()
    nb.metadata.kernelspec.name = "llm-lab-venv"
    assert has(problems(nb), "kernelspec")
    del nb.metadata["kernelspec"]
    assert has(problems(nb), "kernelspec")


def test_kernelspec_display_name_jupyterlab_rewrites_is_reported() -> None:
    nb = good_notebook()
    nb.metadata.kernelspec.display_name = "Python 3"
    assert has(problems(nb), "kernelspec")
    nb.metadata.kernelspec.display_name = "Python 3 (ipykernel)"
    assert cv.check_kernelspec(nb) == []


@pytest.mark.parametrize("key", ["codemirror_mode", "pygments_lexer", "mimetype", "version"])
def test_language_info_jupyterlab_fills_in_is_reported(key: str) -> None:
    nb = good_notebook()
    del nb.metadata.language_info[key]
    assert has(problems(nb), "language-info")


def test_language_info_version_is_whatever_the_kernel_wrote() -> None:
    nb = good_notebook()
    nb.metadata.language_info.version = "3.13.2"
    assert cv.check_language_info(nb) == []


def test_series_notebooks_carry_what_jupyterlab_would_write() -> None:
    """00 was saved by JupyterLab; every lesson has the same kernelspec and language_info."""
    first = stamp.read_notebook(NOTEBOOKS / REAL_LESSONS[0].file).metadata
    for lesson in REAL_LESSONS:
        meta = stamp.read_notebook(NOTEBOOKS / lesson.file).metadata
        assert meta.kernelspec == first.kernelspec == cv.KERNELSPEC, lesson.file
        info = {k: v for k, v in meta.language_info.items() if k != "version"}
        assert info == cv.LANGUAGE_INFO, lesson.file


@pytest.mark.parametrize("key", ["papermill", "widgets"])
def test_notebook_metadata_noise_is_reported(key: str) -> None:
    nb = good_notebook()
    nb.metadata[key] = {"duration": 1.5}
    assert has(problems(nb), "metadata")


@pytest.mark.parametrize("key", ["execution", "papermill"])
def test_cell_metadata_noise_is_reported(key: str) -> None:
    nb = good_notebook()
    printing(nb).metadata[key] = {"iopub.status.busy": "2026-11-26T00:00:00Z"}
    assert has(problems(nb), "metadata")


def test_error_output_is_reported() -> None:
    nb = good_notebook()
    error = new_output("error", ename="AuthenticationError", evalue="401", traceback=["..."])
    printing(nb).outputs.append(error)
    assert has(problems(nb), "outputs")


def test_printed_traceback_is_reported() -> None:
    nb = good_notebook()
    text = "Traceback (most recent call last):\n  File ...\nValueError: x\n"
    printing(nb).outputs.append(new_output("stream", name="stderr", text=text))
    assert has(problems(nb), "outputs")


def test_traceback_in_rich_output_is_reported() -> None:
    nb = good_notebook()
    data = {"text/plain": "Traceback (most recent call last):\n..."}
    printing(nb).outputs.append(new_output("display_data", data=data))
    assert has(cv.check_outputs(nb), "outputs")


@pytest.mark.parametrize("secret", [FAKE_OPENAI_KEY, FAKE_HF_TOKEN])
def test_key_in_source_is_reported_without_printing_it(secret: str) -> None:
    nb = good_notebook()
    printing(nb).source = f'api_key = "{secret}"'
    found = problems(nb)
    assert has(found, "secrets")
    assert not any(secret in problem for problem in found)


def test_key_in_output_is_reported() -> None:
    nb = good_notebook()
    printing(nb).outputs = [stream(f"key={FAKE_OPENAI_KEY}\n")]
    assert has(problems(nb), "secrets")


def test_key_in_metadata_is_reported() -> None:
    nb = good_notebook()
    nb.metadata["note"] = FAKE_HF_TOKEN
    assert has(cv.check_secrets(nb), "secrets")


def test_short_placeholder_is_not_a_key() -> None:
    nb = good_notebook()
    printing(nb).source = 'api_key = "sk-..."  # 자리 표시자'
    assert cv.check_secrets(nb) == []


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ("설치된 huggingface_hub 2.4.0의 소스를 따라가 보면", "typed-version"),
        ("이 레슨은 anthropic 2.x(이 저장소에 설치된 2.14.0)를 기준으로 합니다.", "typed-version"),
        ("설치된 SDK(openai 3.x)의 설명에 따르면", "typed-version"),
        ("설치된 anthropic 2.14의 `messages.create`에는", "typed-version"),
        ("```bash\npip install openai==3.57.0\n```", "typed-version"),
        ("(OpenAI 문서, 2026-11-26 확인)", "typed-date"),
        ("2026년 11월 26일에 확인했습니다.", "typed-date"),
    ],
)
def test_typed_version_or_date_in_markdown_is_reported(source: str, tag: str) -> None:
    nb = good_notebook()
    nb.cells.insert(-1, new_markdown_cell(source))
    found = problems(nb)
    assert has(found, tag)
    where = f"셀 {len(nb.cells) - 2}"
    assert any(problem.startswith(f"[{tag}] {where}") for problem in found), found


@pytest.mark.parametrize(
    "source",
    [
        'print("anthropic 2.14.0 기준")',
        'RELEASED = "2026-11-26"',
        "# anthropic 2.x부터 바뀌었습니다",
    ],
)
def test_typed_version_or_date_in_code_is_reported(source: str) -> None:
    nb = good_notebook()
    printing(nb).source = source
    assert has(problems(nb), "typed-version") or has(problems(nb), "typed-date")


@pytest.mark.parametrize(
    "source",
    [
        "리플레이 서버는 127.0.0.1:8000에서 듣습니다.",
        'client.chat.completions.create(model="gpt-5.4-mini", temperature=0.7)',
        "`claude-sonnet-4-5`, `meta-llama/Llama-3.1-8B-Instruct`, tiktoken>=0.7",
        "Colab은 Python 3.13이고 ipywidgets 7.7과 8.x를 모두 허용합니다.",
        "시드 시절의 anthropic SDK(0.x)는 `temperature`를 받았습니다.",
        "스냅샷 `gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`",
        "공개된 사용자 보고(2024~2025년), 2025년 6월 이슈",
        'from importlib.metadata import version\nprint("anthropic", version("anthropic"))',
    ],
)
def test_untyped_numbers_are_not_versions_or_dates(source: str) -> None:
    nb = good_notebook()
    nb.cells.insert(-1, new_markdown_cell(source))
    printing(nb).source = source
    assert cv.check_typed_facts(nb) == []


def test_versions_and_dates_in_outputs_are_measured_not_typed() -> None:
    nb = good_notebook()
    printing(nb).outputs = [stream("anthropic 2.14.0, models.json updated 2026-11-26\n")]
    assert cv.check_typed_facts(nb) == []


# ---------------------------------------------------------------------------------------------
# Rendering in JupyterLab: tildes, bold next to particles, dollar signs, wide tables
# ---------------------------------------------------------------------------------------------


def with_markdown(source: str) -> tuple[nbformat.NotebookNode, str]:
    """The good notebook with one more markdown cell; also that cell's name in messages."""
    nb = good_notebook()
    nb.cells.insert(-1, new_markdown_cell(source))
    return nb, f"셀 {len(nb.cells) - 2}"


@pytest.mark.parametrize(
    "source",
    [
        "SDK가 밝힌 허용 범위(`temperature` 0~2, 두 penalty -2~2)는 시드의 **권장** 범위보다 넓습니다.",
        "시드의 권장 범위(0~1)에서 조금씩 올려 봅니다.",
        "공개된 사용자 보고(2024~2025년)",
        "범위는 0 ~ 2이고,\n다른 범위는 -2 ~ 2입니다.",  # spaced and across lines: still reported
        "| 값 | 범위 |\n| --- | --- |\n| temperature | 0~2 |",
    ],
)
def test_tilde_in_prose_is_reported(source: str) -> None:
    nb, where = with_markdown(source)
    found = problems(nb)
    assert any(problem.startswith(f"[tilde] {where}") for problem in found), found


@pytest.mark.parametrize(
    "source",
    [
        "SDK가 밝힌 허용 범위(`temperature` 0–2, 두 penalty -2–2)는 시드의 **권장** 범위보다 넓습니다.",
        "캐시는 `~/.cache/huggingface`에 있습니다.",
        "```bash\nls ~/.cache\n```",
        "~~~python\nx = 1\n~~~",
        "이스케이프한 물결표 \\~는 그대로 보입니다.",
        "[문서](https://example.com/~user/page)",
        "<https://example.com/~user>",
    ],
)
def test_en_dash_and_code_tildes_are_fine(source: str) -> None:
    nb, _ = with_markdown(source)
    assert cv.check_tilde(nb) == []


@pytest.mark.parametrize(
    "source",
    [
        "Anthropic은 503을 `ServiceUnavailableError`, **529를 `OverloadedError`**로 구분합니다.",
        "- 없으면 **지수 백오프**(1초, 2초, 4초 …)에 **지터(jitter)**를 섞습니다.",
        "기본**(default)** 값",  # opening run after a letter, before punctuation
        "첫 줄은 **굵게**\n둘째 줄의 **지터(jitter)**를",  # pairs are counted across lines
    ],
)
def test_bold_that_cannot_close_or_open_is_reported(source: str) -> None:
    nb, where = with_markdown(source)
    found = problems(nb)
    assert any(problem.startswith(f"[emphasis] {where}") for problem in found), found


@pytest.mark.parametrize(
    "source",
    [
        "Anthropic은 503을 `ServiceUnavailableError`, **529를 `OverloadedError`로** 구분합니다.",
        "- 없으면 **지수 백오프**(1초, 2초, 4초 …)에 **지터(jitter)를** 섞습니다.",
        "**굵게**는 글자 뒤에서 닫힙니다.",
        "`max_tokens`는 이제 **폐기 예정(deprecated)** 이고",
        "**`choices`가 비어 있지 않을 때만** 글자를 읽습니다.",
        "**Responses API**(`client.responses.create`)도 있습니다.",
        "`**conv.to_anthropic()`을 그대로 넘기고 **굵게**는 그대로입니다.",
        "`**`로 펼쳐 넘기면 됩니다.",
        "```python\nclient.messages.create(**kwargs)\n```\n\n**굵게**는",
        "곱셈 2 * 3 * 4와 목록\n\n* 항목",
    ],
)
def test_bold_that_closes_is_fine(source: str) -> None:
    nb, _ = with_markdown(source)
    assert cv.check_emphasis(nb) == []


@pytest.mark.parametrize(
    "source",
    [
        "입력 $0.75 / 출력 $4.50 (1M 토큰당)",
        "| 항목 | 가격 |\n| --- | --- |\n| 입력 | $0.75 |\n| 출력 | $4.50 |",  # one table, one paragraph
        "입력은 $0.75이고\n출력은 $4.50입니다.",
    ],
)
def test_two_dollars_in_a_paragraph_are_reported(source: str) -> None:
    nb, where = with_markdown(source)
    found = problems(nb)
    assert any(problem.startswith(f"[dollar-math] {where}") for problem in found), found


@pytest.mark.parametrize(
    "source",
    [
        "입력 \\$0.75 / 출력 \\$4.50 (1M 토큰당)",
        "입력 0.75달러 / 출력 4.50달러, 또는 USD 0.75",
        "한 달에 $5쯤 듭니다.",
        "`$HOME`과 `$PATH`를 봅니다. 비용은 $5입니다.",
        "```bash\necho $HOME $PATH\n```",
        "입력은 $0.75입니다.\n\n출력은 $4.50입니다.",  # two paragraphs
    ],
)
def test_escaped_single_or_code_dollars_are_fine(source: str) -> None:
    nb, _ = with_markdown(source)
    assert cv.check_dollar_math(nb) == []


def html_output(html: str):
    return new_output("execute_result", data={"text/html": html, "text/plain": "표"})


def test_two_dollars_in_one_html_table_cell_are_reported() -> None:
    nb = good_notebook()
    note = "<td>입력 $0.75 / 출력 $4.50 (1M 토큰당)</td>"
    printing(nb).outputs = [html_output(f"<table><tr>{note}</tr></table>")]
    assert has(problems(nb), "dollar-math")


def test_dollars_in_separate_html_cells_are_fine() -> None:
    nb = good_notebook()
    header = "<tr><th>입력 $/1M</th><th>출력 $/1M</th></tr><tr><td>\\$0.75 \\$1</td></tr>"
    printing(nb).outputs = [html_output(f"<style>.x {{ }}</style><table>{header}</table>")]
    assert cv.check_dollar_math(nb) == []


def wide_frame():
    import pandas as pd

    columns = ["모델", "공급자", "기본값", "컨텍스트(토큰)", "최대 출력(토큰)", "입력 $/1M"]
    columns += ["출력 $/1M", "추론 모델", "지원 종료", "출처", "확인일", "비고"]
    row = ["gpt-5.4-mini", "openai", "openai", 400000, 128000, 0.75, 4.5, True, "—"]
    row += ["https://developers.openai.com/api/docs/models/gpt-5.4", "2026-11-26", "설명 " * 30]
    return pd.DataFrame([row], columns=columns)


def test_dataframe_with_too_many_columns_is_reported() -> None:
    nb = good_notebook()
    frame = wide_frame()
    printing(nb).outputs = [html_output(frame._repr_html_())]
    found = problems(nb)
    assert any(problem.startswith("[wide-table] 셀 ") for problem in found), found
    printing(nb).outputs = [html_output(frame[["모델", "기본값", "지원 종료"]]._repr_html_())]
    assert cv.check_wide_tables(nb) == []


def test_few_columns_with_unbreakable_text_are_reported() -> None:
    import pandas as pd

    frame = pd.DataFrame({"상황": ["과부하"], "예외": ["X" * 60], "출처": ["https://" + "a" * 60]})
    nb = good_notebook()
    printing(nb).outputs = [html_output(frame._repr_html_())]
    assert has(cv.check_wide_tables(nb), "wide-table")


def test_long_text_that_wraps_at_spaces_is_fine() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"설정": ["기본값"], "답변": ["집 앞 골목에 있는 작은 카페인데 커피 맛이 좋아요. " * 5]}
    )
    nb = good_notebook()
    printing(nb).outputs = [html_output(frame._repr_html_())]
    assert cv.check_wide_tables(nb) == []


def wrapped_repr() -> str:
    import pandas as pd

    with pd.option_context("display.width", 80, "display.max_columns", None):
        text = repr(wide_frame())
    assert "  \\\n" in text
    return text


def test_printed_dataframe_that_pandas_wrapped_is_reported() -> None:
    nb = good_notebook()
    printing(nb).outputs = [stream(wrapped_repr() + "\n")]
    assert has(cv.check_wide_tables(nb), "wide-table")
    printing(nb).outputs = [new_output("execute_result", data={"text/plain": wrapped_repr()})]
    assert has(cv.check_wide_tables(nb), "wide-table")


def test_wrapped_text_beside_a_narrow_html_table_is_fine() -> None:
    """JupyterLab shows the HTML; the text form is for terminals."""
    nb = good_notebook()
    narrow = wide_frame()[["모델", "기본값"]]._repr_html_()
    data = {"text/html": narrow, "text/plain": wrapped_repr()}
    printing(nb).outputs = [new_output("execute_result", data=data)]
    assert cv.check_wide_tables(nb) == []


def test_out_of_order_counts_are_reported() -> None:
    nb = good_notebook()
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[2].execution_count, code[3].execution_count = (
        code[3].execution_count,
        code[2].execution_count,
    )
    assert has(problems(nb), "execution")


def test_counts_not_starting_at_one_are_reported() -> None:
    nb = good_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count += 1
    assert has(problems(nb), "execution")


def test_unexecuted_cell_is_reported() -> None:
    nb = good_notebook()
    [c for c in nb.cells if c.cell_type == "code"][-1].execution_count = None
    assert has(problems(nb), "execution")


def test_empty_code_cell_is_reported() -> None:
    nb = good_notebook()
    nb.cells.insert(-1, new_code_cell("   \n"))
    assert has(cv.check_execution_counts(nb), "execution")


def test_edited_header_is_stale() -> None:
    nb = good_notebook()
    nb.cells[0].source += "\n\n손으로 고친 줄"
    assert has(problems(nb), "stamp")


def test_edited_bootstrap_is_stale() -> None:
    nb = good_notebook()
    nb.cells[index_of(nb, "colab-bootstrap")].source = "import sys"
    assert has(problems(nb), "stamp")


def test_renamed_neighbour_makes_navigation_stale() -> None:
    nb = good_notebook(1)
    renamed = [*LESSONS]
    renamed[2] = Lesson("02", "02_more.ipynb", "새 제목", "파라미터")
    assert has(problems(nb, 1, renamed), "stamp")


def test_added_lesson_makes_last_navigation_stale() -> None:
    nb = good_notebook(2)
    longer = [*LESSONS, Lesson("03", "03_next.ipynb", "다음 강의", "스트리밍")]
    assert has(problems(nb, 2, longer), "stamp")


def test_other_repository_url_makes_stamp_stale() -> None:
    nb = good_notebook()
    assert has(cv.check_stamp(nb, LESSONS, 1, "https://github.com/someone/fork"), "stamp")


# ---------------------------------------------------------------------------------------------
# README and lessons.toml
# ---------------------------------------------------------------------------------------------

README_TEMPLATE = (
    "# 제목\n\n<!-- lessons:start -->\n<!-- lessons:end -->\n\n<!-- clone:start -->\n<!-- clone:end -->\n"
    "\n<!-- glossary:start -->\n<!-- glossary:end -->\n"
)


def test_readme_table_stale_is_reported() -> None:
    fresh = stamp.stamp_readme(README_TEMPLATE, LESSONS, URL)
    assert cv.check_readme(fresh, LESSONS, URL) == []
    assert has(cv.check_readme(README_TEMPLATE, LESSONS, URL), "readme")
    longer = [*LESSONS, Lesson("03", "03_next.ipynb", "다음 강의", "스트리밍")]
    assert has(cv.check_readme(fresh, longer, URL), "readme")


def test_readme_without_markers_is_reported() -> None:
    assert has(cv.check_readme("# 제목\n", LESSONS, URL), "readme")


def test_readme_table_has_every_lesson_and_badge() -> None:
    table = stamp.readme_table(LESSONS, URL)
    lines = table.splitlines()
    assert lines[0] == "| 번호 | 제목 | 배우는 것 | 시간 | Colab |"
    assert len(lines) == 2 + len(LESSONS)
    assert "| 01 | [첫 호출](notebooks/01_first.ipynb) | 기본 호출 | – |" in lines[3]
    assert (
        "https://colab.research.google.com/github/example-org/example-repo/blob/main/"
        "notebooks/01_first.ipynb" in lines[3]
    )


GOOD_TOML = """
[[lesson]]
number = "00"
file = "00_a.ipynb"
title = "가"
learn = "나"

[[lesson]]
number = "01"
file = "01_b.ipynb"
title = "다"
learn = "라"
"""


def test_good_lesson_list_parses() -> None:
    lessons = parse_lessons(GOOD_TOML)
    assert [lesson.number for lesson in lessons] == ["00", "01"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('number = "01"', 'number = "00"'),  # duplicate / not increasing
        ('number = "01"', 'number = "1"'),  # not two digits
        ('file = "01_b.ipynb"', 'file = "02_b.ipynb"'),  # wrong prefix
        ('file = "01_b.ipynb"', 'file = "01_b.py"'),  # not a notebook
        ('file = "01_b.ipynb"', 'file = "00_a.ipynb"'),  # duplicate file
        ('learn = "라"', 'learn = "라"\nminutes = 20'),  # time is computed, not typed
        ('learn = "라"', 'learn = "a | b"'),  # breaks the README table
        ('title = "다"\n', ""),  # missing field
        ('title = "다"', 'title = "다"\nextra = 1'),  # unknown field
    ],
)
def test_broken_lesson_list_is_rejected(old: str, new: str) -> None:
    broken = GOOD_TOML.replace(old, new, 1)
    assert broken != GOOD_TOML
    with pytest.raises(LessonListError):
        parse_lessons(broken)


def test_empty_lesson_list_is_rejected() -> None:
    with pytest.raises(LessonListError):
        parse_lessons("# nothing\n")


# ---------------------------------------------------------------------------------------------
# Stamping
# ---------------------------------------------------------------------------------------------


def bare_notebook() -> nbformat.NotebookNode:
    """A lesson as its author writes it: no stamped cells yet, with outputs to preserve."""
    nb = good_notebook()
    nb.cells = [
        c
        for c in nb.cells
        if not set(stamp.cell_tags(c)) & {"nav-header", "colab-bootstrap", "nav-footer"}
    ]
    result = new_output("execute_result", data={"text/plain": "42"}, execution_count=3)
    printing(nb).outputs.append(result)
    return nb


def test_stamp_places_cells_and_keeps_the_rest() -> None:
    nb = bare_notebook()
    before = copy.deepcopy(nb.cells)
    result = stamp.stamp_notebook(nb, LESSONS, 1, URL)
    cells = result.notebook.cells
    assert nb.cells == before, "stamp_notebook must not modify its input"
    assert stamp.cell_tags(cells[0]) == ["nav-header"] and cells[0].cell_type == "markdown"
    assert cells[0].source.startswith("# 01. 첫 호출\n")
    boot = index_of(result.notebook, "colab-bootstrap")
    assert stamp.cell_tags(cells[boot + 1]) == ["parameters"]
    assert cells[boot].cell_type == "code"
    assert stamp.cell_tags(cells[-1]) == ["nav-footer"] and cells[-1].cell_type == "markdown"
    others = [c for c in cells if c not in (cells[0], cells[boot], cells[-1])]
    assert others == before
    assert len(result.changes) == 3
    nbformat.validate(result.notebook)


def test_stamp_is_idempotent() -> None:
    once = stamp.stamp_notebook(bare_notebook(), LESSONS, 1, URL).notebook
    twice = stamp.stamp_notebook(once, LESSONS, 1, URL)
    assert twice.changes == []
    assert twice.notebook == once


def test_stamp_navigation_names_neighbours() -> None:
    first = stamp.header_source(LESSONS, 0, URL)
    middle = stamp.header_source(LESSONS, 1, URL)
    last = stamp.footer_source(LESSONS, 2)
    assert "이전" not in first and "[다음: 01. 첫 호출 →](01_first.ipynb)" in first
    assert "[← 이전: 00. 환경 설정](00_setup.ipynb)" in middle
    assert "[목차](../README.md)" in middle and "[다음: 02. 더 알아보기 →](02_more.ipynb)" in middle
    assert "다음" not in last and "[← 이전: 01. 첫 호출](01_first.ipynb)" in last
    assert "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]" in middle


def test_stamp_moves_misplaced_cells_and_drops_duplicates() -> None:
    nb = good_notebook()
    boot = nb.cells.pop(index_of(nb, "colab-bootstrap"))
    nb.cells.insert(1, boot)
    nb.cells.insert(3, copy.deepcopy(nb.cells[0]))  # a second header
    header = nb.cells.pop(0)
    nb.cells.insert(2, header)
    result = stamp.stamp_notebook(nb, LESSONS, 1, URL)
    assert result.changes
    assert cv.check_notebook(result.notebook, LESSONS, 1, URL) == []
    assert sum("nav-header" in stamp.cell_tags(c) for c in result.notebook.cells) == 1


def test_stamp_keeps_id_outputs_and_count_of_existing_cells() -> None:
    nb = good_notebook()
    at = index_of(nb, "colab-bootstrap")
    nb.cells[at].source = "old"
    nb.cells[at].outputs = [stream("x\n")]
    cell_id, count = nb.cells[at].id, nb.cells[at].execution_count
    result = stamp.stamp_notebook(nb, LESSONS, 1, URL)
    cell = result.notebook.cells[at]
    assert (cell.id, cell.execution_count, cell.outputs) == (cell_id, count, [stream("x\n")])
    assert cell.source == stamp.bootstrap_source(URL)


def test_stamp_without_parameters_cell_warns_and_adds_no_bootstrap() -> None:
    nb = bare_notebook()
    nb.cells[1].metadata["tags"] = []
    result = stamp.stamp_notebook(nb, LESSONS, 1, URL)
    assert result.warnings
    assert not any("colab-bootstrap" in stamp.cell_tags(c) for c in result.notebook.cells)


def test_stamp_on_nbformat_4_4_adds_no_cell_ids() -> None:
    nb = bare_notebook()
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]
    result = stamp.stamp_notebook(nb, LESSONS, 1, URL)
    assert all("id" not in cell for cell in result.notebook.cells)
    nbformat.validate(result.notebook)


def test_new_stamped_cells_get_readable_ids() -> None:
    result = stamp.stamp_notebook(bare_notebook(), LESSONS, 1, URL)
    ids = {c.id for c in result.notebook.cells}
    assert {"nav-header", "colab-bootstrap", "nav-footer"} <= ids


# ---------------------------------------------------------------------------------------------
# The Colab bootstrap cell
# ---------------------------------------------------------------------------------------------


def test_bootstrap_is_a_silent_no_op_off_colab() -> None:
    """Run the cell in a fresh interpreter where pip would blow up if it were called."""
    guard = (
        "import subprocess\n"
        "def refuse(*a, **k):\n"
        "    raise SystemExit('pip was called off Colab')\n"
        "subprocess.run = refuse\n"
    )
    source = guard + stamp.bootstrap_source(URL)
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_bootstrap_runs_the_rehearsed_commands_once_and_puts_its_folder_first(
    monkeypatch, capsys
) -> None:
    """The cell runs exactly the pip commands `make test-colab` rehearses (tools.colab)."""
    from tools import colab

    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    monkeypatch.setattr(sys, "path", list(sys.path))
    code = compile(stamp.bootstrap_source(URL), "bootstrap", "exec")
    exec(code, {})
    expected = colab.install_commands(colab.TARGET, colab.lock_url(URL), f"git+{URL}")
    assert calls == [([sys.executable, "-m", "pip", *args], {"check": True}) for args in expected]
    assert colab.lock_url(URL).startswith("https://raw.githubusercontent.com/example-org/")
    assert sys.path[0] == colab.TARGET
    assert capsys.readouterr().out.count("\n") == 1

    # Run again once the folder holds helpers (a re-run, or a restarted kernel): no install,
    # and the folder is not put on the path twice.
    calls.clear()
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: p.startswith(colab.TARGET) or real_isdir(p))
    exec(code, {})
    assert calls == [] and sys.path.count(colab.TARGET) == 1


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_bootstrap_source_passes_ruff(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "bootstrap.py"
    path.write_text(stamp.bootstrap_source(repo_url()) + "\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            *command,
            "--config",
            str(ROOT / "pyproject.toml"),
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# The command line, on a throwaway copy of the series
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def series(tmp_path: Path) -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n[project.urls]\nRepository = "{URL}"\n', encoding="utf-8"
    )
    toml = "".join(
        f'[[lesson]]\nnumber = "{l.number}"\nfile = "{l.file}"\ntitle = "{l.title}"\n'
        f'learn = "{l.learn}"\n\n'
        for l in LESSONS  # noqa: E741
    )
    (tmp_path / "notebooks" / "lessons.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "README.md").write_text(README_TEMPLATE, encoding="utf-8")
    for lesson in LESSONS[:2]:  # 02 is listed but not written yet
        nbformat.write(bare_notebook(), str(tmp_path / "notebooks" / lesson.file))
    return tmp_path


def run_stamp(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.stamp", "--root", str(root), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_stamp_cli_check_write_check(series: Path) -> None:
    before = snapshot(series)
    check = run_stamp(series, "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "00_setup.ipynb" in check.stdout and "README.md" in check.stdout
    assert snapshot(series) == before, "--check must not write"

    write = run_stamp(series)
    assert write.returncode == 0, write.stdout + write.stderr
    assert "02_more.ipynb" in write.stdout  # told it was skipped
    assert not (series / "notebooks" / "02_more.ipynb").exists()
    stamped = snapshot(series)

    assert run_stamp(series, "--check").returncode == 0
    assert run_stamp(series).returncode == 0
    assert snapshot(series) == stamped, "a second run must change nothing"

    for index, lesson in enumerate(LESSONS[:2]):
        path = series / "notebooks" / lesson.file
        text = path.read_text(encoding="utf-8")
        assert "환경 설정" in text, "Korean must stay readable (ensure_ascii=False)"
        nb = nbformat.read(str(path), as_version=4)
        assert cv.check_stamp(nb, LESSONS, index, URL) == []
        assert json.loads(text)["nbformat_minor"] == 5
        assert printing(nb).outputs[-1]["data"] == {"text/plain": "42"}
    readme = (series / "README.md").read_text(encoding="utf-8")
    assert cv.check_readme(readme, LESSONS, URL) == []
    assert f"git clone {URL}.git" in readme


def test_stamp_cli_reports_a_broken_lesson_list(series: Path) -> None:
    toml = series / "notebooks" / "lessons.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"01"', '"00"', 1), encoding="utf-8")
    done = run_stamp(series, "--check")
    assert done.returncode == 2
    assert "lessons.toml" in done.stderr


SDK_VERSION_IN_OUTPUT = re.compile(
    r"\b(openai|anthropic|huggingface_hub|OpenAI/Python)(?:\s+SDK)?\s+(\d+\.\d+\.\d+)\b",
    re.IGNORECASE,
)


def sdk_versions_in_outputs(nb) -> set[tuple[str, str]]:
    found = set()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            for name, version in SDK_VERSION_IN_OUTPUT.findall(text):
                name = "openai" if name.lower() == "openai/python" else name.lower()
                found.add((name.replace("_", "-"), version))
    return found


def test_committed_outputs_show_the_locked_sdk_versions() -> None:
    """Outputs are refreshed after `make lock`: a version printed in a notebook is the locked one."""
    from tools import lockcheck

    pins = lockcheck.read_lock(lockcheck.lock_path("3.11"))
    stale = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for name, version in sdk_versions_in_outputs(nbformat.read(path, as_version=4)):
            if pins.get(name) != version:
                stale.append(f"{path.name}: {name} {version} (lock: {pins.get(name)})")
    assert stale == [], "run `make outputs` after `make lock`"


def test_the_locked_version_check_sees_a_stale_output() -> None:
    nb = new_notebook(cells=[new_code_cell("print(anthropic.__version__)")])
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="anthropic SDK 2.14.0\n")]
    assert sdk_versions_in_outputs(nb) == {("anthropic", "2.14.0")}
