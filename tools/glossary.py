"""The series' glossary (``notebooks/glossary.toml``): one word for each idea, and the words retired.

``retired_uses(text)`` finds every retired word in a text and names the term to use instead;
``tools.conventions`` runs it over each notebook (prose, code, outputs) and the README, and
``tools.stamp`` renders the glossary as the README's table.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tools.lessons import NOTEBOOKS

GLOSSARY = NOTEBOOKS / "glossary.toml"
AROUND = 40  # characters either side in which `unless` may show a different meaning


class GlossaryError(ValueError):
    """glossary.toml is malformed (message in Korean and English)."""


@dataclass(frozen=True)
class Term:
    term: str
    english: str
    meaning: str
    retired: tuple[str, ...]
    unless: re.Pattern | None = None


@dataclass(frozen=True)
class Use:
    """One retired word found in a text."""

    word: str
    term: Term
    excerpt: str

    def describe(self) -> str:
        return (
            f"'{self.word}' 대신 '{self.term.term}'({self.term.english})을 씁니다: …{self.excerpt}… "
            f"(glossary: use '{self.term.term}')"
        )


def parse_glossary(text: str) -> list[Term]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GlossaryError(f"glossary.toml을 읽을 수 없습니다 (invalid TOML): {exc}") from exc
    terms = []
    for i, entry in enumerate(data.get("term", []), 1):
        missing = [k for k in ("term", "english", "meaning", "retired") if k not in entry]
        if missing:
            raise GlossaryError(
                f"glossary.toml {i}번째 용어에 {missing}이 없습니다 (missing fields)"
            )
        if "|" in entry["meaning"]:
            raise GlossaryError(
                f"glossary.toml '{entry['term']}': 뜻에 '|'를 쓰지 않습니다 (no '|')"
            )
        unless = entry.get("unless")
        terms.append(
            Term(
                entry["term"],
                entry["english"],
                entry["meaning"],
                tuple(entry["retired"]),
                re.compile(unless) if unless else None,
            )
        )
    return terms


@functools.lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY) -> tuple[Term, ...]:
    return tuple(parse_glossary(path.read_text(encoding="utf-8")))


def retired_uses(text: str, terms: tuple[Term, ...] | list[Term] | None = None) -> list[Use]:
    """Every retired word in ``text``, except where the term's ``unless`` pattern shows nearby."""
    found = []
    for term in load_glossary() if terms is None else terms:
        for word in term.retired:
            for match in re.finditer(re.escape(word), text):
                near = text[max(0, match.start() - AROUND) : match.end() + AROUND]
                if term.unless is not None and term.unless.search(near):
                    continue
                excerpt = text[max(0, match.start() - 12) : match.end() + 12].replace("\n", " ")
                found.append(Use(word, term, excerpt.strip()))
    return found


def readme_glossary(terms: tuple[Term, ...] | None = None) -> str:
    rows = ["| 용어 | 영어 | 뜻 | 쓰지 않는 말 |", "| --- | --- | --- | --- |"]
    for term in load_glossary() if terms is None else terms:
        rows.append(
            f"| {term.term} | {term.english} | {term.meaning} | {', '.join(term.retired)} |"
        )
    return "\n".join(rows)
