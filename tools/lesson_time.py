"""How long a lesson takes, estimated from what it asks of the reader.

The estimate is the sum of three parts, each from the notebook itself:

* reading: the prose of the markdown cells (fenced code, link targets and whitespace left out)
  at ``CHARS_PER_MINUTE`` characters a minute, a careful pace for technical Korean;
* running code: ``MINUTES_PER_CELL`` per code cell (run it, read its output) plus its non-blank
  lines at ``LINES_PER_MINUTE``;
* labs: ``MINUTES_PER_LAB`` for each ``### 실습 N`` (write an answer, check it, fix it once).

A section whose ``##`` heading ends in ``(선택)`` is optional: its cells count towards the full
time but not towards the core time a lesson states first. The stamped cells (title, Colab
bootstrap, footer) and the time sentence itself are not counted. ``tools.stamp`` writes the result
into each notebook's intro and into the README's lesson table, so the numbers follow the lessons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CHARS_PER_MINUTE = 400
MINUTES_PER_CELL = 0.5
LINES_PER_MINUTE = 30
MINUTES_PER_LAB = 6

TIME_HEADING = "## 예상 소요 시간"
STAMP_TAGS = ("nav-header", "colab-bootstrap", "nav-footer")  # tools.stamp owns these cells

_FENCE = re.compile(r"```.*?```|~~~.*?~~~", re.DOTALL)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_H2 = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
_LAB = re.compile(r"^###\s+실습\s*\d", re.MULTILINE)
_OPTIONAL = re.compile(r"\(선택\)\s*$")


@dataclass(frozen=True)
class Estimate:
    """Minutes a lesson asks for, split by kind; ``core`` leaves out the optional sections."""

    reading: float
    code: float
    labs: float
    code_cells: int
    lab_count: int
    optional: float

    @property
    def total(self) -> int:
        return _round5(self.reading + self.code + self.labs)

    @property
    def core(self) -> int:
        return _round5(self.reading + self.code + self.labs - self.optional)

    def sentence(self) -> str:
        """The intro's time line, in Korean."""
        parts = (
            f"읽기 약 {round(self.reading)}분, 코드 셀 {self.code_cells}개 실행 약 {round(self.code)}분, "
            f"실습 {self.lab_count}개 약 {round(self.labs)}분."
        )
        if self.total != self.core:
            head = (
                f"약 {self.core}분('(선택)'이 붙은 절을 건너뛸 때). 모두 하면 약 {self.total}분: "
            )
        else:
            head = f"약 {self.total}분: "
        return (
            head + parts + " 시간은 노트북의 분량에서 계산했습니다(계산 방법은 README에 있습니다)."
        )


def _round5(minutes: float) -> int:
    return max(5, int(5 * round(minutes / 5)))


def without_time_section(text: str) -> str:
    """Markdown with the ``## 예상 소요 시간`` section removed (so it does not count itself)."""
    start = text.find(TIME_HEADING)
    if start < 0:
        return text
    following = _H2.search(text, start + len(TIME_HEADING))
    return text[:start] + (text[following.start() :] if following else "")


def prose_length(markdown: str) -> int:
    text = _LINK_TARGET.sub("]", _FENCE.sub("", markdown))
    return len(re.sub(r"\s", "", text))


def code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def estimate(nb) -> Estimate:
    """Estimate one notebook (an ``nbformat`` node or the same shape as plain dicts)."""
    reading = code = labs = optional = 0.0
    cells = labs_seen = 0
    skippable = set(optional_cells(nb))
    for i, cell in enumerate(nb["cells"]):
        if any(tag in _tags(cell) for tag in STAMP_TAGS):
            continue
        if cell["cell_type"] == "markdown":
            source = without_time_section(_source(cell))
            minutes = prose_length(source) / CHARS_PER_MINUTE
            found = len(_LAB.findall(source))
            labs_seen += found
            reading += minutes
            labs += found * MINUTES_PER_LAB
            minutes += found * MINUTES_PER_LAB
        elif cell["cell_type"] == "code":
            cells += 1
            minutes = MINUTES_PER_CELL + code_lines(_source(cell)) / LINES_PER_MINUTE
            code += minutes
        else:
            continue
        if i in skippable:
            optional += minutes
    return Estimate(reading, code, labs, cells, labs_seen, optional)


def optional_cells(nb) -> list[int]:
    """Indices of the cells inside sections whose ``##`` heading ends in ``(선택)``."""
    found, in_optional = [], False
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            headings = _H2.findall(without_time_section(_source(cell)))
            if headings:
                in_optional = bool(_OPTIONAL.search(headings[-1]))
        if in_optional:
            found.append(i)
    return found


def estimate_file(path: Path) -> Estimate | None:
    """The estimate of a notebook file, or None when it does not exist yet."""
    if not path.exists():
        return None
    import nbformat

    return estimate(nbformat.read(str(path), as_version=4))


def set_time_sentence(markdown: str, sentence: str) -> str:
    """The intro markdown with its ``## 예상 소요 시간`` section holding exactly ``sentence``."""
    start = markdown.find(TIME_HEADING)
    if start < 0:
        return markdown
    following = _H2.search(markdown, start + len(TIME_HEADING))
    rest = markdown[following.start() :] if following else ""
    body = f"{TIME_HEADING}\n\n{sentence}"
    return markdown[:start] + body + ("\n\n" + rest if rest else "")
