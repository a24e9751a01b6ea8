"""Stamp the generated parts of every lesson notebook and of README.md.

From ``notebooks/lessons.toml`` and ``[project.urls] Repository`` in ``pyproject.toml`` this writes:

* the first cell of each notebook, markdown, tagged ``nav-header``: ``# NN. 제목``, an
  Open-in-Colab badge and the navigation line (이전 · 목차 · 다음);
* a code cell tagged ``colab-bootstrap`` immediately before the cell tagged ``parameters``: on
  Colab it installs this repository's package, anywhere else it does nothing;
* the last cell, markdown, tagged ``nav-footer``: the same navigation line;
* README.md's lesson table between ``<!-- lessons:start -->`` and ``<!-- lessons:end -->``, and
  its clone-and-run commands between ``<!-- clone:start -->`` and ``<!-- clone:end -->``.

Every other cell, and every output, is left exactly as it was. Running it twice changes nothing.

    python -m tools.stamp           # write
    python -m tools.stamp --check   # exit 1 and list what would change
"""

from __future__ import annotations

import argparse
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from tools import glossary, lesson_time
from tools.colab import bootstrap_source
from tools.lessons import (
    NOTEBOOKS,
    ROOT,
    Lesson,
    LessonListError,
    github_slug,
    load_lessons,
    repo_url,
)

HEADER_TAG = "nav-header"
BOOTSTRAP_TAG = "colab-bootstrap"
FOOTER_TAG = "nav-footer"
PARAMETERS_TAG = "parameters"
STAMP_TAGS = (HEADER_TAG, BOOTSTRAP_TAG, FOOTER_TAG)

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
TOC_LINK = "../README.md"


# ---------------------------------------------------------------------------------------------
# What is generated
# ---------------------------------------------------------------------------------------------


def colab_url(url: str, file: str) -> str:
    """Open-in-Colab address of ``notebooks/<file>`` on the default branch."""
    return f"https://colab.research.google.com/github/{github_slug(url)}/blob/main/notebooks/{file}"


def colab_badge(url: str, file: str) -> str:
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(url, file)})"


def nav_line(lessons: list[Lesson], index: int) -> str:
    """``[← 이전: 00. …](00_….ipynb) | [목차](../README.md) | [다음: 02. … →](02_….ipynb)``."""
    parts = []
    if index > 0:
        previous = lessons[index - 1]
        parts.append(f"[← 이전: {previous.heading}]({previous.file})")
    parts.append(f"[목차]({TOC_LINK})")
    if index + 1 < len(lessons):
        following = lessons[index + 1]
        parts.append(f"[다음: {following.heading} →]({following.file})")
    return " | ".join(parts)


def header_source(lessons: list[Lesson], index: int, url: str) -> str:
    lesson = lessons[index]
    return f"# {lesson.heading}\n\n{colab_badge(url, lesson.file)}\n\n{nav_line(lessons, index)}"


def footer_source(lessons: list[Lesson], index: int) -> str:
    return f"---\n\n{nav_line(lessons, index)}"


def _minutes(lesson: Lesson, notebooks: Path) -> str:
    found = lesson_time.estimate_file(notebooks / lesson.file)
    if found is None:
        return "–"
    return (
        f"{found.core}분"
        if found.core == found.total
        else f"{found.core}분 (+선택 {found.total - found.core}분)"
    )


def readme_table(lessons: list[Lesson], url: str, notebooks: Path = NOTEBOOKS) -> str:
    rows = [
        "| 번호 | 제목 | 배우는 것 | 시간 | Colab |",
        "| --- | --- | --- | --- | --- |",
    ]
    for lesson in lessons:
        title = lesson.title.replace("|", "\\|")
        rows.append(
            f"| {lesson.number} | [{title}](notebooks/{lesson.file}) | {lesson.learn} "
            f"| {_minutes(lesson, notebooks)} | {colab_badge(url, lesson.file)} |"
        )
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# Applying it
# ---------------------------------------------------------------------------------------------


def cell_tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _has_ids(nb) -> bool:
    return (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5)


@dataclass
class StampResult:
    notebook: nbformat.NotebookNode
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_stamp_cell(cell, tag: str) -> bool:
    tags = cell_tags(cell)
    return tag in tags and PARAMETERS_TAG not in tags


def stamp_notebook(nb, lessons: list[Lesson], index: int, url: str) -> StampResult:
    """Return a stamped copy of ``nb`` (lesson ``lessons[index]``) and what changed.

    The input notebook is not modified. A stamped cell that already exists keeps its id,
    metadata, outputs and execution count; only its source, tags and place are set.
    """
    original = nb
    nb = copy.deepcopy(nb)
    result = StampResult(nb)
    old_cells = list(nb.cells)
    has_parameters = any(PARAMETERS_TAG in cell_tags(cell) for cell in old_cells)
    managed = [HEADER_TAG, FOOTER_TAG] + ([BOOTSTRAP_TAG] if has_parameters else [])
    if not has_parameters:
        result.warnings.append(
            "`parameters` 태그가 붙은 셀이 없어 colab-bootstrap 셀을 넣지 않았습니다 "
            "(no cell tagged `parameters`: colab-bootstrap not placed)"
        )

    wanted = {
        HEADER_TAG: ("markdown", header_source(lessons, index, url)),
        BOOTSTRAP_TAG: ("code", bootstrap_source(url)),
        FOOTER_TAG: ("markdown", footer_source(lessons, index)),
    }
    found = {tag: [c for c in old_cells if _is_stamp_cell(c, tag)] for tag in managed}
    used_ids = {c.get("id") for c in old_cells}
    new = {}
    for tag in managed:
        cell_type, source = wanted[tag]
        old = next((c for c in found[tag] if c.cell_type == cell_type), None)
        if old is None:
            cell = new_code_cell(source) if cell_type == "code" else new_markdown_cell(source)
            if _has_ids(nb):
                cell["id"] = tag if tag not in used_ids else cell["id"]
            else:
                cell.pop("id", None)
            cell.metadata["tags"] = [tag]
            result.changes.append(f"{tag}: 셀 추가 (add cell)")
        else:
            cell = old
            if cell.source != source:
                result.changes.append(f"{tag}: 내용 갱신 (update source)")
            cell.source = source
            other = [t for t in cell_tags(cell) if t not in STAMP_TAGS]
            cell.metadata["tags"] = [tag, *other]
        if len(found[tag]) > 1 or (found[tag] and old is None):
            result.changes.append(f"{tag}: 중복·잘못된 셀 제거 (remove duplicate/wrong-type cell)")
        new[tag] = cell

    cells = [c for c in old_cells if not any(_is_stamp_cell(c, tag) for tag in managed)]
    cells.insert(0, new[HEADER_TAG])
    if has_parameters:
        at = next(i for i, c in enumerate(cells) if PARAMETERS_TAG in cell_tags(c))
        cells.insert(at, new[BOOTSTRAP_TAG])
    cells.append(new[FOOTER_TAG])
    nb.cells = cells

    _stamp_time(nb, result)

    # Places: was each existing stamped cell already where it belongs?
    first_parameters = next(
        (i for i, c in enumerate(old_cells) if PARAMETERS_TAG in cell_tags(c)), None
    )
    in_place = {
        HEADER_TAG: lambda i: i == 0,
        FOOTER_TAG: lambda i: i == len(old_cells) - 1,
        BOOTSTRAP_TAG: lambda i: first_parameters is not None and i + 1 == first_parameters,
    }
    for tag in managed:
        before = next((i for i, c in enumerate(old_cells) if c is new[tag]), None)
        if before is not None and not in_place[tag](before):
            result.changes.append(f"{tag}: 위치 이동 (move cell)")

    if not result.changes and nb != original:
        result.changes.append("태그·메타데이터 정리 (tidy stamped cells' tags)")
    return result


def _stamp_time(nb, result: StampResult) -> None:
    """Write the estimated time (tools.lesson_time) into the intro's time section."""
    sentence = lesson_time.estimate(nb).sentence()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and lesson_time.TIME_HEADING in cell.source:
            source = lesson_time.set_time_sentence(cell.source, sentence)
            if source != cell.source:
                result.changes.append("예상 소요 시간: 내용 갱신 (update time estimate)")
                cell.source = source
            return


def clone_commands(url: str) -> str:
    folder = github_slug(url).split("/")[1]
    return "\n".join(
        [
            "```bash",
            f"git clone {url}.git",
            f"cd {folder}",
            "make lab     # .venv를 만들고 JupyterLab을 엽니다 (키 없이도 동작)",
            "make test    # 린트 + 단위 테스트 + 모든 노트북을 키 없이 실행",
            "```",
        ]
    )


def readme_blocks(lessons: list[Lesson], url: str) -> dict[str, str]:
    return {
        "lessons": readme_table(lessons, url),
        "clone": clone_commands(url),
        "glossary": glossary.readme_glossary(),
    }


def stamp_readme(text: str, lessons: list[Lesson], url: str) -> str:
    """README text with every generated block rewritten between its markers."""
    for name, body in readme_blocks(lessons, url).items():
        start_marker, end_marker = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        start, end = text.find(start_marker), text.find(end_marker)
        if start < 0 or end < start:
            raise LessonListError(
                f"README.md에 {start_marker} … {end_marker} 표시가 없습니다 (markers missing)"
            )
        text = f"{text[: start + len(start_marker)]}\n{body}\n{text[end:]}"
    return text


def read_notebook(path: Path):
    return nbformat.read(str(path), as_version=4)


def write_notebook(nb, path: Path) -> None:
    """Write as Jupyter does: indent 1, sorted keys, Korean kept readable, final newline.

    Atomic: a failed write (a full disk) leaves the notebook as it was.
    """
    from helpers.atomic import write_text_atomic

    text = nbformat.writes(nb)
    write_text_atomic(path, text if text.endswith("\n") else text + "\n")


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def run(root: Path, *, check: bool) -> int:
    lessons = load_lessons(root / "notebooks" / "lessons.toml")
    url = repo_url(root / "pyproject.toml")
    pending: list[str] = []
    for index, lesson in enumerate(lessons):
        path = root / "notebooks" / lesson.file
        rel = path.relative_to(root)
        if not path.exists():
            print(f"건너뜀: {rel} 파일이 아직 없습니다 (skipped: notebook does not exist yet)")
            continue
        result = stamp_notebook(read_notebook(path), lessons, index, url)
        for warning in result.warnings:
            print(f"경고: {rel}: {warning}")
        if result.changes:
            pending.extend(f"{rel}: {change}" for change in result.changes)
            if not check:
                write_notebook(result.notebook, path)

    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        stamped = stamp_readme(text, lessons, url)
        if stamped != text:
            pending.append("README.md: 레슨 표·설치 명령·용어집 갱신 (update generated blocks)")
            if not check:
                readme.write_text(stamped, encoding="utf-8")
    else:
        print("건너뜀: README.md가 없습니다 (skipped: no README.md)")

    if check:
        if pending:
            print("stamp가 바꿀 내용이 있습니다 — `make stamp`를 실행하세요 (out of date):")
            for line in pending:
                print(f"  - {line}")
            return 1
        print("stamp: 모두 최신입니다 (everything is up to date)")
        return 0
    for line in pending:
        print(f"갱신: {line}")
    if not pending:
        print("stamp: 바뀐 것이 없습니다 (nothing to change)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.stamp", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="쓰지 않고 바뀔 내용만 보여 줍니다")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        return run(args.root, check=args.check)
    except LessonListError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
