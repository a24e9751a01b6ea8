"""Conventions every lesson notebook keeps (see DESIGN.md, "Notebook anatomy").

Each ``check_*`` function takes one notebook (an ``nbformat.NotebookNode``) and returns a list of
problems, each ``"[name] 한국어 설명 (English)"``; an empty list means the notebook keeps that
convention. ``check_notebook`` runs them all. The functions only read; nothing is written.

    python -m tools.conventions            # check every lesson in notebooks/lessons.toml
    python -m tools.conventions 01         # one lesson
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator

from tools.glossary import GlossaryError, retired_uses
from tools.lessons import NOTEBOOKS, README, Lesson, LessonListError, load_lessons, repo_url, select
from tools.stamp import (
    BOOTSTRAP_TAG,
    FOOTER_TAG,
    HEADER_TAG,
    PARAMETERS_TAG,
    cell_tags,
    read_notebook,
    stamp_notebook,
    stamp_readme,
)

SECRET = re.compile(r"sk-(proj-|ant-)?[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}")
TRACEBACK = "Traceback (most recent call last)"
INTRO_TERMS = ("학습 목표", "사전 준비", "예상 소요 시간")
SETUP_CALL = "helpers.setup("

_FENCE = re.compile(r"^\s*(```|~~~)")
_H2 = re.compile(r"^##\s+(?:\d+[.)]\s*)?(.+?)\s*#*\s*$")


def _markdown_lines(cell) -> Iterator[str]:
    """Lines of a markdown cell outside fenced code blocks."""
    fenced = False
    for line in cell.source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def _index_of_tag(nb, tag: str) -> list[int]:
    return [i for i, cell in enumerate(nb.cells) if tag in cell_tags(cell)]


def _mask(secret: str) -> str:
    return secret[:6] + "…"


# ---------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------


def check_header(nb, lesson: Lesson | None = None) -> list[str]:
    """The first cell is the markdown title cell tagged ``nav-header``: ``# NN. 제목``."""
    if not nb.cells:
        return ["[header] 셀이 하나도 없습니다 (notebook has no cells)"]
    first = nb.cells[0]
    problems = []
    if first.cell_type != "markdown" or HEADER_TAG not in cell_tags(first):
        problems.append(
            f"[header] 첫 셀은 `{HEADER_TAG}` 태그가 붙은 마크다운 제목 셀이어야 합니다 "
            f"(first cell must be the markdown cell tagged {HEADER_TAG}) — make stamp"
        )
    number = re.escape(lesson.number) if lesson else r"\d{2}"
    if not re.match(rf"# {number}\. \S", first.source):
        want = f"# {lesson.number}. " if lesson else "# NN. "
        problems.append(
            f"[header] 첫 셀은 '{want}'로 시작하는 제목이어야 합니다 (title must start with '{want}')"
        )
    return problems


def check_single_title(nb) -> list[str]:
    """Only the header cell has a level-1 heading."""
    titles = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        and any(re.match(r"#\s", line) for line in _markdown_lines(cell))
    ]
    extra = [i for i in titles if i != 0]
    if extra:
        return [
            f"[single-title] `# ` 제목은 첫 셀에만 둡니다; 셀 {extra}에도 있습니다 "
            "(only the header cell has a level-1 heading) — 제목은 stamp가 만듭니다"
        ]
    return []


def check_intro(nb) -> list[str]:
    """학습 목표 · 사전 준비 · 예상 소요 시간 in markdown before the parameters cell."""
    stop = next(iter(_index_of_tag(nb, PARAMETERS_TAG)), len(nb.cells))
    text = "\n".join(cell.source for cell in nb.cells[1:stop] if cell.cell_type == "markdown")
    missing = [term for term in INTRO_TERMS if term not in text]
    if missing:
        return [
            f"[intro] 머리말(제목 셀 다음, parameters 셀 앞)의 마크다운에 {missing}이 없습니다 "
            f"(intro markdown before the parameters cell must mention {missing})"
        ]
    return []


def check_parameters(nb) -> list[str]:
    """Exactly one code cell tagged ``parameters`` (papermill)."""
    found = _index_of_tag(nb, PARAMETERS_TAG)
    if len(found) != 1:
        return [
            f"[parameters] `{PARAMETERS_TAG}` 태그가 붙은 셀이 정확히 하나여야 합니다; "
            f"{len(found)}개 있습니다 (exactly one cell tagged {PARAMETERS_TAG}, found {len(found)})"
        ]
    if nb.cells[found[0]].cell_type != "code":
        return [f"[parameters] `{PARAMETERS_TAG}` 셀은 코드 셀이어야 합니다 (must be a code cell)"]
    return []


def check_bootstrap(nb) -> list[str]:
    """One code cell tagged ``colab-bootstrap``, immediately before the ``parameters`` cell."""
    found = _index_of_tag(nb, BOOTSTRAP_TAG)
    parameters = _index_of_tag(nb, PARAMETERS_TAG)
    if len(found) != 1:
        return [
            f"[bootstrap] `{BOOTSTRAP_TAG}` 셀이 정확히 하나여야 합니다; {len(found)}개 있습니다 "
            f"(exactly one cell tagged {BOOTSTRAP_TAG}) — make stamp"
        ]
    problems = []
    if nb.cells[found[0]].cell_type != "code":
        problems.append(f"[bootstrap] `{BOOTSTRAP_TAG}` 셀은 코드 셀이어야 합니다 (must be code)")
    if not parameters or found[0] + 1 != parameters[0]:
        problems.append(
            f"[bootstrap] `{BOOTSTRAP_TAG}` 셀은 `{PARAMETERS_TAG}` 셀 바로 앞에 있어야 합니다 "
            f"(must come immediately before the {PARAMETERS_TAG} cell) — make stamp"
        )
    return problems


def check_setup_call(nb) -> list[str]:
    """A code cell calling ``helpers.setup(`` after the parameters cell."""
    parameters = _index_of_tag(nb, PARAMETERS_TAG)
    start = parameters[0] + 1 if parameters else 0
    if any(cell.cell_type == "code" and SETUP_CALL in cell.source for cell in nb.cells[start:]):
        return []
    return [
        f"[setup] `{PARAMETERS_TAG}` 셀 뒤에 `{SETUP_CALL}…)`를 부르는 코드 셀이 있어야 합니다 "
        f"(a code cell calling {SETUP_CALL}…) must follow the parameters cell)"
    ]


def check_ending(nb) -> list[str]:
    """The last two level-2 headings are ``## 정리`` and then ``## 실습``."""
    headings = [
        match.group(1)
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in _markdown_lines(cell)
        if (match := _H2.match(line))
    ]
    tail = headings[-2:]
    if len(tail) == 2 and tail[0].startswith("정리") and tail[1].startswith("실습"):
        return []
    return [
        "[ending] 마지막 두 `##` 제목은 `## 정리` 다음 `## 실습`이어야 합니다; "
        f"지금은 {tail} (the last two level-2 headings must be 정리 then 실습)"
    ]


def check_footer(nb) -> list[str]:
    """The last cell is the markdown navigation cell tagged ``nav-footer``."""
    if not nb.cells:
        return []
    last = nb.cells[-1]
    if last.cell_type != "markdown" or FOOTER_TAG not in cell_tags(last):
        return [
            f"[footer] 마지막 셀은 `{FOOTER_TAG}` 태그가 붙은 마크다운 내비게이션 셀이어야 합니다 "
            f"(last cell must be the markdown cell tagged {FOOTER_TAG}) — make stamp"
        ]
    return []


# ---------------------------------------------------------------------------------------------
# Metadata and outputs
# ---------------------------------------------------------------------------------------------


# What JupyterLab 4 writes into a notebook it opens with the ipykernel ``python3`` kernel: the
# kernelspec of the installed kernel and the kernel's ``language_info`` reply. A notebook that
# carries anything else is rewritten on open and shows as modified before the learner types.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def check_kernelspec(nb) -> list[str]:
    """``metadata.kernelspec`` is exactly what JupyterLab writes for ipykernel's ``python3``.

    JupyterLab 4 replaces the kernelspec with the installed kernel's own on open, so a notebook
    saved with ``display_name: "Python 3"`` is marked modified as soon as it is opened.
    """
    spec = nb.metadata.get("kernelspec", {}) or {}
    name = spec.get("name")
    if name != "python3":
        return [
            f"[kernelspec] metadata.kernelspec.name이 'python3'이어야 합니다; 지금은 {name!r} "
            "(kernelspec name must be python3)"
        ]
    problems = []
    for key in ("display_name", "language"):
        if spec.get(key) != KERNELSPEC[key]:
            problems.append(
                f"[kernelspec] metadata.kernelspec.{key}가 {KERNELSPEC[key]!r}이어야 합니다; "
                f"지금은 {spec.get(key)!r} — JupyterLab이 열자마자 고쳐 써서 노트북이 바뀐 것으로 "
                f"표시됩니다 (kernelspec {key} must be {KERNELSPEC[key]!r})"
            )
    return problems


def check_language_info(nb) -> list[str]:
    """``metadata.language_info`` holds what ipykernel reports, so JupyterLab has nothing to add.

    ``version`` is whatever Python ran the notebook last (``make outputs`` writes it); it must be
    present but its value is not checked.
    """
    info = nb.metadata.get("language_info", {}) or {}
    wrong = [key for key, value in LANGUAGE_INFO.items() if info.get(key) != value]
    if not info.get("version"):
        wrong.append("version")
    if wrong:
        return [
            f"[language-info] metadata.language_info의 {wrong}가 ipykernel이 알려 주는 값과 "
            "다릅니다 — JupyterLab이 열 때 채워 넣어 노트북이 바뀐 것으로 표시됩니다; "
            "make outputs로 다시 실행하세요 (language_info must match the ipykernel reply)"
        ]
    return []


def check_metadata_noise(nb) -> list[str]:
    """No papermill or timing metadata, no stored widget state."""
    problems = []
    for key in ("papermill", "widgets"):
        if key in nb.metadata:
            problems.append(
                f"[metadata] 노트북 metadata.{key}를 지우세요 (remove notebook metadata.{key}) "
                "— make outputs"
            )
    for i, cell in enumerate(nb.cells):
        for key in ("execution", "papermill"):
            if key in cell.get("metadata", {}):
                problems.append(
                    f"[metadata] 셀 {i}의 metadata.{key}를 지우세요 (remove cell metadata.{key}) "
                    "— make outputs"
                )
    return problems


def _output_texts(output) -> Iterator[str]:
    if "text" in output:
        text = output["text"]
        yield text if isinstance(text, str) else "".join(text)
    for value in output.get("data", {}).values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield "".join(str(v) for v in value)
    yield from output.get("traceback", []) or []


def check_outputs(nb) -> list[str]:
    """No error output and no printed traceback in any output."""
    problems = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                problems.append(
                    f"[outputs] 셀 {i}에 오류 출력이 있습니다: {output.get('ename')}: "
                    f"{output.get('evalue', '')[:80]} (error output)"
                )
            elif any(TRACEBACK in text for text in _output_texts(output)):
                problems.append(
                    f"[outputs] 셀 {i}의 출력에 Traceback이 찍혀 있습니다 (traceback in output)"
                )
    return problems


def check_secrets(nb) -> list[str]:
    """No key-shaped string in any source, output, attachment or metadata."""
    problems = []
    places = [("metadata", nb.metadata)] + [(f"셀 {i}", cell) for i, cell in enumerate(nb.cells)]
    for where, part in places:
        for match in SECRET.finditer(json.dumps(part, ensure_ascii=False)):
            problems.append(
                f"[secrets] {where}에 키 모양의 문자열 {_mask(match.group(0))}이 있습니다 "
                "(key-shaped string; a placeholder must not look like a key)"
            )
    return problems


# A three-part version such as 2.14.0 or v3.57.0, but not a part of a longer dotted run: an IP
# address (127.0.0.1) has four parts. Two-part numbers (0.7, 3.13, gpt-5.4-mini) are left alone.
# The edges are ASCII classes, not \b or \w: Hangul is a word character, and Korean particles
# follow numbers directly ("2.14.0의", "2.x부터").
_VERSION_TRIPLE = re.compile(r"(?<![A-Za-z0-9_.])v?\d+\.\d+\.\d+(?!\.?\d)")
# A major line or two-part version right after an SDK's package name: "openai 3.x",
# "anthropic 2.14", "huggingface_hub>=2.4". "anthropic SDK(0.x)" is history and stays allowed.
SDK_PACKAGES = ("openai", "anthropic", "huggingface_hub", "huggingface-hub", "httpx2")
_SDK_LINE = re.compile(
    rf"(?<![A-Za-z0-9_.-])(?:{'|'.join(re.escape(name) for name in SDK_PACKAGES)})"
    r"\s*(?:[=<>~!]=?\s*)?v?\d+\.(?:\d+|x)(?![A-Za-z0-9_]|\.\d)"
)
# A calendar day: ISO 2026-11-26 (also the start of 2026-11-26T10:00:00Z), or 2026년 11월 26일.
# A date glued to an identifier by "-" (the snapshot suffix of gpt-4o-2024-08-06) is a model id,
# and "2025년 6월" without a day is left for historical remarks.
_ISO_DATE = re.compile(r"(?<![A-Za-z0-9_-])\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)")
_KOREAN_DATE = re.compile(r"\d{4}년\s*\d{1,2}월\s*\d{1,2}일")


def check_typed_facts(nb) -> list[str]:
    """No SDK version and no calendar date typed into a cell's source (markdown or code).

    Versions drift with every release and a date says "today" long after it was written, so a
    lesson reads the installed version at run time (``importlib.metadata.version``) and takes
    dates from ``helpers/data/models.json``. Outputs are not checked: a run prints what it
    measured. What counts as typed:

    - a three-part version ``\\d+.\\d+.\\d+`` (``2.14.0``, ``v3.57.0``, ``openai==3.57.0``); not
      a four-part run such as ``127.0.0.1``, and not two-part numbers (``0.7``, Python ``3.13``,
      ``temperature=0.7``, ``gpt-5.4-mini``, ``claude-sonnet-4-5``, ``Llama-3.1-8B``);
    - a major line or two-part version right after an SDK package name (``openai 3.x``,
      ``anthropic 2.14``, ``huggingface_hub>=2.4``); ``anthropic SDK(0.x)`` contrasting the
      seed's era is history and is allowed;
    - an ISO date ``YYYY-MM-DD`` (with a real month and day) or a Korean ``YYYY년 M월 D일``; not a
      model id's snapshot suffix (``gpt-4o-2024-08-06``, ``claude-sonnet-4-20250514``), and not a
      year or year and month (``2025년 6월``) in a historical remark.
    """
    problems = []
    for i, cell in enumerate(nb.cells):
        where = f"셀 {i}" + (f"(id {cell['id']})" if cell.get("id") else "")
        kind = "마크다운" if cell.cell_type == "markdown" else "코드"
        versions = [m.group(0) for m in _VERSION_TRIPLE.finditer(cell.source)]
        versions += [m.group(0) for m in _SDK_LINE.finditer(cell.source)]
        dates = [m.group(0) for m in _ISO_DATE.finditer(cell.source)]
        dates += [m.group(0) for m in _KOREAN_DATE.finditer(cell.source)]
        if versions:
            problems.append(
                f"[typed-version] {where} {kind} 소스에 SDK 버전이 적혀 있습니다: "
                f"{', '.join(dict.fromkeys(versions))} — 버전 없이 쓰거나, 실행할 때 "
                "`importlib.metadata.version(...)`으로 읽어 출력하세요 (typed SDK version)"
            )
        if dates:
            problems.append(
                f"[typed-date] {where} {kind} 소스에 날짜가 적혀 있습니다: "
                f"{', '.join(dict.fromkeys(dates))} — 날짜는 `helpers/data/models.json`에서 "
                "읽으세요 (typed calendar date)"
            )
    return problems


def check_execution_counts(nb) -> list[str]:
    """Committed notebooks carry a full replay run: code cells numbered 1..n, none empty."""
    problems = []
    expected = 1
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not cell.source.strip():
            problems.append(f"[execution] 셀 {i}은 빈 코드 셀입니다; 지우세요 (empty code cell)")
            continue
        count = cell.get("execution_count")
        if count != expected:
            problems.append(
                f"[execution] 셀 {i}의 실행 번호가 {count}입니다; {expected}이어야 합니다 — "
                "make outputs로 처음부터 순서대로 다시 실행하세요 "
                f"(execution_count {count}, expected {expected}: re-run top to bottom)"
            )
            break
        expected += 1
    return problems


# ---------------------------------------------------------------------------------------------
# Rendering in JupyterLab
# ---------------------------------------------------------------------------------------------
#
# JupyterLab renders markdown with marked (GFM) after taking out math (``$…$``, ``$$…$$``) for
# MathJax, and typesets math in HTML outputs too. The prose rules below read each markdown
# paragraph (lines up to a blank line or a code fence) with code hidden: fenced blocks are
# skipped, a code span keeps its backticks but loses its content (a closing ``**`` right after a
# code span follows a backtick, which is punctuation), a backslash escape (``\$``, ``\~``,
# ``\*``) becomes a plain punctuation mark, and link destinations ``](…)`` and autolinks
# ``<…>`` are emptied.

_ESCAPE = r"\\[!-/:-@\[-`{-~]"
_CODE_SPAN = r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)"
_LINK_DESTINATION = r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"
_AUTOLINK = r"<[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>"
_HIDDEN = re.compile(f"{_ESCAPE}|{_CODE_SPAN}|{_LINK_DESTINATION}|{_AUTOLINK}", re.DOTALL)


def _hide_code(paragraph: str) -> str:
    def replace(match: re.Match) -> str:
        text = match.group(0)
        if text.startswith("\\"):
            return "!"
        if text.startswith("`"):
            return f"{match.group(1)}…{match.group(1)}"
        if text.startswith("]"):
            return "](L)"
        return "<L>"

    return _HIDDEN.sub(replace, paragraph)


def _prose_paragraphs(source: str) -> Iterator[str]:
    """The paragraphs of a markdown text outside fenced code, with code spans hidden."""
    block: list[str] = []
    fenced = False
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            if block:
                yield _hide_code("\n".join(block))
            block = []
            continue
        if fenced:
            continue
        if line.strip():
            block.append(line)
        elif block:
            yield _hide_code("\n".join(block))
            block = []
    if block and not fenced:
        yield _hide_code("\n".join(block))


def _markdown_cells(nb) -> Iterator[tuple[str, list[str]]]:
    """``("셀 N(id …)", paragraphs)`` for every markdown cell."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            where = f"셀 {i}" + (f"(id {cell['id']})" if cell.get("id") else "")
            yield where, list(_prose_paragraphs(cell.source))


def _excerpt(text: str, start: int, end: int, around: int = 12) -> str:
    return text[max(0, start - around) : end + around].replace("\n", " ").strip()


def check_tilde(nb) -> list[str]:
    r"""No bare ``~`` in markdown prose: ranges are written with an en dash ``–``.

    JupyterLab's markdown renderer (marked, GFM) reads a single ``~`` as a strikethrough
    delimiter, so "0~2, -2~2" renders with "2, -2" struck through. Whether two tildes pair
    depends on their neighbours and on every other tilde in the paragraph, so the rule is simply:
    every ``~`` in prose is reported, and the one fix is the en dash — ``0–2``, ``-2–2``,
    ``2024–2025년``, ``①–⑤``, ``0.75–1.0배`` ("약 3초" for an approximate "~3초"). ``\~`` (an
    escaped tilde) and tildes in code spans and fenced blocks (``~/.cache``, ``~~~``) are fine.
    """
    problems = []
    for where, paragraphs in _markdown_cells(nb):
        found = [
            _excerpt(paragraph, m.start(), m.end())
            for paragraph in paragraphs
            for m in re.finditer("~+", paragraph)
        ]
        if found:
            shown = ", ".join(f"'{text}'" for text in dict.fromkeys(found))
            problems.append(
                f"[tilde] {where} 마크다운의 `~`는 JupyterLab에서 취소선으로 바뀔 수 있습니다: "
                f"{shown} — 범위는 en dash(–)로 쓰세요, 예: 0–2 "
                "(bare ~ becomes strikethrough in GFM; write ranges with an en dash)"
            )
    return problems


def _punctuation(char: str) -> bool:
    """CommonMark's punctuation: ASCII punctuation and Unicode P* and S* characters."""
    return bool(char) and unicodedata.category(char)[0] in "PS"


def _alphanumeric(char: str) -> bool:
    """A letter or a number (Hangul syllables are letters, Lo)."""
    return bool(char) and unicodedata.category(char)[0] in "LN"


def check_emphasis(nb) -> list[str]:
    """Every ``**`` that is meant to open or close bold can do so (CommonMark flanking rules).

    The ``**`` runs of a paragraph are paired in order: odd ones open, even ones close. A
    closing ``**`` preceded by punctuation — ``)``, or the backtick that ends a code span — and
    followed by a letter or number is not right-flanking and stays literal: Korean particles are
    letters, so "**지터(jitter)**를" and "**529를 `OverloadedError`**로" show their asterisks.
    Likewise an opening ``**`` followed by punctuation and preceded by a letter or number
    ("값**(기본값)**") is not left-flanking. Fix by moving the particle inside ("**지터(jitter)를**")
    or rephrasing. "**굵게**는" (a letter before the closing run) and "**폐기 예정(deprecated)** 이고"
    (a space after it) are fine; ``**`` inside code spans is ignored.
    """
    problems = []
    for where, paragraphs in _markdown_cells(nb):
        found = []
        for paragraph in paragraphs:
            for n, m in enumerate(re.finditer(r"\*{2,}", paragraph)):
                before = paragraph[m.start() - 1] if m.start() else ""
                after = paragraph[m.end()] if m.end() < len(paragraph) else ""
                closing = n % 2 == 1
                if closing and _punctuation(before) and _alphanumeric(after):
                    found.append(("닫는", _excerpt(paragraph, m.start(), m.end())))
                elif not closing and _punctuation(after) and _alphanumeric(before):
                    found.append(("여는", _excerpt(paragraph, m.start(), m.end())))
        for kind, text in found:
            problems.append(
                f"[emphasis] {where} 마크다운의 {kind} `**`가 굵게 처리되지 않고 그대로 보입니다: "
                f"'{text}' — 조사를 `**` 안으로 옮기거나(예: **지터(jitter)를**) 문장을 바꾸세요 "
                "(CommonMark flanking: ** between punctuation and a letter does not "
                f"{'close' if kind == '닫는' else 'open'})"
            )
    return problems


_TAG = re.compile(r"<[^>]*>")


def _html_text_runs(html: str) -> Iterator[str]:
    """Text between tags, outside ``<style>``/``<script>``: MathJax never pairs ``$`` across
    elements, so each run is typeset on its own."""
    html = re.sub(r"<(style|script)\b.*?</\1>", "<x>", html, flags=re.DOTALL | re.IGNORECASE)
    for run in _TAG.split(html):
        if run.strip():
            yield run


def check_dollar_math(nb) -> list[str]:
    r"""No two bare ``$`` where JupyterLab would typeset the text between them as LaTeX.

    In a markdown paragraph (a table is one paragraph) any two ``$`` pair up — "입력 $0.75 /
    출력 $4.50" loses its dollar signs and shows "0.75 / 출력 " in math italics. Write ``\$`` or
    "0.75달러" / "USD 0.75". One ``$`` in a paragraph ("$5"), ``\$``, and ``$`` in code spans or
    fenced blocks are fine. HTML outputs (DataFrames) are typeset as well, one text run between
    tags at a time, so two ``$`` in one table cell are reported too; a cell's text comes from the
    code, so fix it there (other column labels, or fewer columns).
    """
    problems = []
    for where, paragraphs in _markdown_cells(nb):
        found = [p for p in paragraphs if len(re.findall(r"\$", p)) >= 2]
        for paragraph in found:
            first = paragraph.index("$")
            last = paragraph.rindex("$")
            problems.append(
                f"[dollar-math] {where} 마크다운의 한 문단에 `$`가 두 개 이상 있어 그 사이가 수식으로 "
                f"렌더링됩니다: '{_excerpt(paragraph, first, last + 1)}' — `\\$`나 '0.75달러'로 "
                "쓰세요 (two bare $ in one paragraph render as LaTeX)"
            )
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            html = output.get("data", {}).get("text/html")
            if html is None:
                continue
            html = html if isinstance(html, str) else "".join(html)
            for run in _html_text_runs(html):
                text = run.replace("\\$", "")
                if text.count("$") >= 2:
                    problems.append(
                        f"[dollar-math] 셀 {i}의 HTML 출력에서 '{run.strip()[:60]}'의 `$` 두 개 "
                        "사이가 수식으로 렌더링됩니다 — 그 열을 빼거나 글을 바꾸세요 "
                        "(two $ in one HTML text run render as LaTeX)"
                    )
    return problems


# A table wider than this many "columns" of text (a Latin letter 1, a Hangul syllable 2) is
# wider than a notebook's output area next to JupyterLab's sidebar, and more than this many
# cells in a row (the index counts) squeezes every column into a sliver even when it fits.
TABLE_WIDTH = 110
TABLE_CELLS = 9
_CELL_PADDING = 2  # JupyterLab pads each cell by 0.5em on both sides
_ROW = re.compile(r"<tr\b.*?</tr>", re.DOTALL | re.IGNORECASE)
_TABLE_CELL = re.compile(r"<t([hd])\b[^>]*>(.*?)</t\1>", re.DOTALL | re.IGNORECASE)
_PANDAS_WRAP = re.compile(r" {2}\\$", re.MULTILINE)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _unescape(text: str) -> str:
    import html

    return html.unescape(_TAG.sub("", text))


def _table_widths(table: str) -> list[int]:
    """Per column, the width of its longest unbreakable run: JupyterLab wraps table cells at
    spaces (``white-space: normal``), so this is the narrowest the column can get."""
    widths: list[int] = []
    for row in _ROW.findall(table):
        for n, (_, cell) in enumerate(_TABLE_CELL.findall(row)):
            words = _unescape(cell).split()
            width = max((_display_width(word) for word in words), default=0)
            if n == len(widths):
                widths.append(width)
            else:
                widths[n] = max(widths[n], width)
    return widths


def check_wide_tables(nb) -> list[str]:
    """No committed table output wider than the notebook.

    An HTML table (a DataFrame or Styler) is too wide when a row has more than ``TABLE_CELLS``
    cells (index included), or when its narrowest layout — per column the longest word, a
    Hangul syllable counted twice, plus padding — is wider than ``TABLE_WIDTH``. A DataFrame
    printed as text is too wide when pandas wrapped it (a line ending in ``  \\``); that is only
    checked where no HTML form is shown beside it. Fix the code cell: show the columns the prose
    talks about, split the table in two, or transpose it (``.T``).
    """
    problems = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {})
            html = data.get("text/html")
            if html is not None:
                html = html if isinstance(html, str) else "".join(html)
                for table in re.findall(r"<table\b.*?</table>", html, re.DOTALL | re.IGNORECASE):
                    widths = _table_widths(table)
                    width = sum(widths) + _CELL_PADDING * len(widths)
                    if len(widths) > TABLE_CELLS or width > TABLE_WIDTH:
                        problems.append(
                            f"[wide-table] 셀 {i}의 표가 노트북 폭보다 넓습니다: 열 {len(widths)}개"
                            f"(색인 포함, 최대 {TABLE_CELLS}), 최소 폭 약 {width}자"
                            f"(최대 {TABLE_WIDTH}) — 본문이 다루는 열만 고르거나, 표를 둘로 "
                            "나누거나, `.T`로 돌려 보이세요 (table wider than the notebook)"
                        )
                continue
            texts = [output.get("text", "")] if output.get("output_type") == "stream" else []
            texts.append(data.get("text/plain", ""))
            for text in texts:
                text = text if isinstance(text, str) else "".join(text)
                if _PANDAS_WRAP.search(text):
                    problems.append(
                        f"[wide-table] 셀 {i}의 텍스트 출력에서 pandas가 표를 여러 줄로 접었습니다"
                        "(줄 끝의 `\\`) — 열을 줄이거나 표를 나누세요 (pandas wrapped a wide table)"
                    )
                    break
    return problems


def check_glossary(nb) -> list[str]:
    """No word that notebooks/glossary.toml retired, in prose, code or outputs."""
    problems = []
    try:
        for i, cell in enumerate(nb.cells):
            texts = [cell.source]
            for output in cell.get("outputs", []) or []:
                texts.extend(_output_texts(output))
            for text in texts:
                problems.extend(
                    f"[glossary] 셀 {i}: {use.describe()}" for use in retired_uses(text)
                )
    except GlossaryError as exc:
        return [f"[glossary] {exc}"]
    return problems


def _outside_block(text: str, name: str) -> str:
    start, end = text.find(f"<!-- {name}:start -->"), text.find(f"<!-- {name}:end -->")
    return text if start < 0 or end < start else text[:start] + text[end:]


def check_stamp(nb, lessons: list[Lesson], index: int, url: str) -> list[str]:
    """The generated cells are exactly what ``tools.stamp`` would write."""
    result = stamp_notebook(nb, lessons, index, url)
    return [f"[stamp] {change} — make stamp" for change in result.changes]


def check_readme(text: str, lessons: list[Lesson], url: str) -> list[str]:
    """README.md's lesson table is what ``tools.stamp`` would write."""
    try:
        stamped = stamp_readme(text, lessons, url)
    except LessonListError as exc:
        return [f"[readme] {exc}"]
    if stamped != text:
        return ["[readme] README.md의 생성된 표가 원본과 다릅니다 (stale table) — make stamp"]
    return [
        f"[glossary] README.md: {use.describe()}"
        for use in retired_uses(_outside_block(text, "glossary"))
    ]


STRUCTURE: list[Callable] = [
    check_header,
    check_single_title,
    check_intro,
    check_parameters,
    check_bootstrap,
    check_setup_call,
    check_ending,
    check_footer,
    check_kernelspec,
    check_language_info,
    check_metadata_noise,
    check_outputs,
    check_secrets,
    check_execution_counts,
    check_typed_facts,
    check_tilde,
    check_emphasis,
    check_dollar_math,
    check_wide_tables,
    check_glossary,
]


def check_notebook(
    nb, lessons: list[Lesson] | None = None, index: int | None = None, url: str | None = None
) -> list[str]:
    """Every convention; with the lesson list (and its index and the repository URL) also the
    lesson's own title and the stamped cells."""
    lesson = lessons[index] if lessons is not None and index is not None else None
    problems = check_header(nb, lesson)
    for check in STRUCTURE[1:]:
        problems.extend(check(nb))
    if lesson is not None and url is not None:
        problems.extend(check_stamp(nb, lessons, index, url))
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lessons = load_lessons()
    url = repo_url()
    failed = False
    for lesson in select(lessons, " ".join(argv)):
        path = NOTEBOOKS / lesson.file
        if not path.exists():
            print(f"✗ {lesson.file}: 파일이 없습니다 (missing)")
            failed = True
            continue
        problems = check_notebook(read_notebook(path), lessons, lessons.index(lesson), url)
        print(f"{'✗' if problems else '✓'} {lesson.file}")
        for problem in problems:
            print(f"    {problem}")
        failed |= bool(problems)
    for problem in check_readme(README.read_text(encoding="utf-8"), lessons, url):
        print(f"✗ README.md: {problem}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
