"""The ordered lesson list (``notebooks/lessons.toml``) and the repository URL (``pyproject.toml``).

Every tool reads the series from here, so there is one place that knows the order of the lessons,
their titles and where the repository lives.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS_TOML = NOTEBOOKS / "lessons.toml"
PYPROJECT = ROOT / "pyproject.toml"
README = ROOT / "README.md"

KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN")
# A learner's first shell has none of these; an instructor's, a maintainer's or CI's may, and each
# can turn a run live or point it at other servers (OPENAI_BASE_URL) or other fixtures.
LEARNER_FOREIGN_PREFIXES = (
    "LLM_LAB_",
    "OPENAI_",
    "ANTHROPIC_",
    "HF_",
    "HUGGING_FACE_",
    "HUGGINGFACE_",
)

_NUMBER = re.compile(r"^\d{2}$")
_GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$")


class LessonListError(ValueError):
    """The lesson list or the repository URL is malformed (message in Korean and English)."""


@dataclass(frozen=True)
class Lesson:
    number: str
    file: str
    title: str
    learn: str

    @property
    def heading(self) -> str:
        """``"01. 제목"`` — how a lesson is named in titles and navigation."""
        return f"{self.number}. {self.title}"


_FIELDS: dict[str, type] = {"number": str, "file": str, "title": str, "learn": str}


def validate_lessons(data: Mapping) -> list[str]:
    """Problems in the parsed ``lessons.toml`` (an empty list when it is well-formed)."""
    entries = data.get("lesson")
    if not isinstance(entries, list) or not entries:
        return ["lessons.toml에 [[lesson]] 항목이 없습니다 (no [[lesson]] entries)"]
    problems: list[str] = []
    seen_numbers: set[str] = set()
    seen_files: set[str] = set()
    previous = -1
    for position, entry in enumerate(entries, start=1):
        where = f"[[lesson]] #{position}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: 표(table)가 아닙니다 (not a table)")
            continue
        for name, kind in _FIELDS.items():
            value = entry.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                problems.append(
                    f"{where}: `{name}` 값이 없거나 {kind.__name__} 형식이 아닙니다 "
                    f"(missing or not {kind.__name__})"
                )
        extra = sorted(set(entry) - set(_FIELDS))
        if extra:
            problems.append(f"{where}: 알 수 없는 필드 {extra} (unknown fields)")
        number, file = entry.get("number"), entry.get("file")
        if isinstance(number, str):
            if not _NUMBER.match(number):
                problems.append(f"{where}: 번호 {number!r}는 두 자리 숫자여야 합니다 (two digits)")
            elif int(number) <= previous:
                problems.append(
                    f"{where}: 번호 {number}가 앞 레슨보다 커야 합니다 (numbers must increase)"
                )
            else:
                previous = int(number)
            if number in seen_numbers:
                problems.append(f"{where}: 번호 {number}가 중복됩니다 (duplicate number)")
            seen_numbers.add(number)
        if isinstance(file, str):
            if isinstance(number, str) and not file.startswith(f"{number}_"):
                problems.append(
                    f"{where}: 파일 이름 {file!r}은 '{number}_'로 시작해야 합니다 "
                    "(file must start with its number)"
                )
            if not file.endswith(".ipynb") or "/" in file or "\\" in file:
                problems.append(
                    f"{where}: 파일 {file!r}은 notebooks/ 안의 .ipynb 이름이어야 합니다 "
                    "(a bare .ipynb file name)"
                )
            if file in seen_files:
                problems.append(f"{where}: 파일 {file!r}이 중복됩니다 (duplicate file)")
            seen_files.add(file)
        title = entry.get("title")
        if isinstance(title, str) and (not title.strip() or "\n" in title):
            problems.append(f"{where}: 제목은 비어 있지 않은 한 줄이어야 합니다 (one-line title)")
        learn = entry.get("learn")
        if isinstance(learn, str) and (not learn.strip() or "\n" in learn or "|" in learn):
            problems.append(
                f"{where}: `learn`은 '|' 없는 한 줄이어야 합니다 (one line, no '|', it goes in a table)"
            )
    return problems


def parse_lessons(text: str) -> list[Lesson]:
    """Parse and validate the text of ``lessons.toml``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonListError(f"lessons.toml을 읽을 수 없습니다 (invalid TOML): {exc}") from exc
    problems = validate_lessons(data)
    if problems:
        raise LessonListError(
            "lessons.toml 오류 (invalid lesson list):\n  " + "\n  ".join(problems)
        )
    return [Lesson(**{name: entry[name] for name in _FIELDS}) for entry in data["lesson"]]


def load_lessons(path: Path = LESSONS_TOML) -> list[Lesson]:
    """The ordered lesson list."""
    return parse_lessons(Path(path).read_text(encoding="utf-8"))


def repo_url(pyproject: Path = PYPROJECT) -> str:
    """``[project.urls] Repository`` from pyproject.toml: the one place the URL is configured."""
    data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    try:
        url = data["project"]["urls"]["Repository"]
    except (KeyError, TypeError) as exc:
        raise LessonListError(
            "pyproject.toml에 [project.urls] Repository가 없습니다 (missing repository URL)"
        ) from exc
    github_slug(url)  # validate early, with a clear message
    return url.rstrip("/")


def github_slug(url: str) -> str:
    """``"owner/repo"`` of a GitHub repository URL (Colab opens notebooks from GitHub)."""
    match = _GITHUB.match(url)
    if not match:
        raise LessonListError(
            f"저장소 주소 {url!r}는 https://github.com/<owner>/<repo> 형식이어야 합니다 "
            "(Colab badges need a GitHub URL)"
        )
    return f"{match.group(1)}/{match.group(2)}"


def select(lessons: list[Lesson], wanted: str | None) -> list[Lesson]:
    """Lessons matching ``NB=01`` / ``NB=01,02`` / a file name; all lessons for an empty value."""
    if not wanted or not wanted.strip():
        return list(lessons)
    chosen: list[Lesson] = []
    for token in re.split(r"[,\s]+", wanted.strip()):
        name = Path(token).name
        matches = [
            lesson
            for lesson in lessons
            if token == lesson.number or name == lesson.file or name == Path(lesson.file).stem
        ]
        if not matches and token.isdigit():
            matches = [lesson for lesson in lessons if int(lesson.number) == int(token)]
        if not matches:
            known = ", ".join(lesson.number for lesson in lessons)
            raise LessonListError(
                f"레슨 {token!r}을 찾을 수 없습니다. 가능한 번호: {known} (unknown lesson)"
            )
        chosen.extend(lesson for lesson in matches if lesson not in chosen)
    return chosen


def replay_env(base: Mapping[str, str] | None = None, *, strict: bool = True) -> dict[str, str]:
    """Environment for a keyless replay run: no API keys, replay mode, no delay.

    ``LLM_LAB_DOTENV=0`` makes ``helpers`` ignore any ``.env`` above the notebooks and Colab
    secrets, so a maintainer's own keys and settings never reach a keyless run or its outputs.
    ``strict=True`` also makes an unmatched request an error; ``strict=False`` leaves
    ``LLM_LAB_REPLAY_STRICT`` as the caller has it.

    This is what CI, ``make outputs`` and the benchmark give the notebook kernels.
    """
    env = dict(os.environ if base is None else base)
    for name in KEY_VARIABLES:
        env.pop(name, None)
    env["LLM_LAB_DOTENV"] = "0"
    env["LLM_LAB_MODE"] = "replay"
    env["LLM_LAB_REPLAY_SPEED"] = "0"
    if strict:
        env["LLM_LAB_REPLAY_STRICT"] = "1"
    return env


def learner_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A learner's first run: no API keys, none of this project's ``LLM_LAB_*`` settings and no
    other provider variable, so auto mode, recorded speed and lenient matching."""
    env = dict(os.environ if base is None else base)
    for name in list(env):
        if name in KEY_VARIABLES or name.startswith(LEARNER_FOREIGN_PREFIXES):
            del env[name]
    return env
