"""Check that the lock files in ``locks/`` still satisfy the requirement files.

``make lab``, ``make test`` and ``make run`` install the exact versions pinned in
``locks/py<X.Y>.txt`` (as pip constraints). A requirement file edited without ``make lock``
would leave the lock pinning a version the ranges no longer allow, or no version at all for a
new library; pip then fails with a resolver error that names neither cause. This check runs
before the install and says which line disagrees and how to refresh the lock.

It runs in a fresh venv before anything is installed, so it needs nothing beyond pip's own
vendored ``packaging``.

    python -m tools.lockcheck            # every lock
    python -m tools.lockcheck 3.13       # one Python's lock
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a fresh venv has only pip's vendored copy
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
SUPPORTED = ("3.11", "3.12", "3.13")
# The lock of each Python covers the development set, which includes the lab and runtime sets.
LOCKED_REQUIREMENTS = "requirements-dev.txt"
COLAB_REQUIREMENTS = "requirements-colab.txt"
COLAB_LOCK = "colab.txt"
COLAB_PYTHON = "3.13"
REFRESH = "`make lock`으로 잠금 파일을 다시 만드세요 (refresh the lock with `make lock`)."


@dataclass(frozen=True)
class Line:
    requirement: Requirement
    origin: str  # "requirements.txt:12"


def lock_path(python: str) -> Path:
    return LOCKS / f"py{python}.txt"


def read_requirements(path: Path, seen: frozenset[Path] = frozenset()) -> list[Line]:
    """The requirements in ``path``, following ``-r other.txt`` lines."""
    if path in seen:
        return []
    lines: list[Line] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(("-r ", "--requirement ")):
            included = path.parent / text.split(maxsplit=1)[1]
            lines += read_requirements(included, seen | {path})
            continue
        try:
            lines.append(Line(Requirement(text), f"{path.name}:{number}"))
        except InvalidRequirement as error:
            raise SystemExit(
                f"{path.name}:{number}: 요구 사항을 읽을 수 없습니다: {error}"
            ) from None
    return lines


def read_lock(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of a pip-style lock (``name==version`` lines)."""
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        name, sep, version = text.partition("==")
        if not sep:
            raise SystemExit(f"{path.name}: '{text}'는 name==version 형식의 고정이 아닙니다.")
        pins[canonicalize_name(name.split("[")[0].strip())] = version.split(";")[0].strip()
    return pins


def problems_with(
    lines: list[Line], pins: dict[str, str], lock_name: str, python: str
) -> list[str]:
    """Korean lines, one per requirement that ``pins`` does not satisfy."""
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    found = []
    for line in lines:
        req = line.requirement
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        name = canonicalize_name(req.name)
        if name not in pins:
            found.append(f"{line.origin}의 '{req}'가 {lock_name}에 없습니다.")
        elif req.specifier and not req.specifier.contains(pins[name], prereleases=True):
            found.append(
                f"{line.origin}의 '{req}'를 {lock_name}의 {req.name}=={pins[name]}이(가) "
                "만족하지 않습니다."
            )
    return found


def check(pythons: tuple[str, ...] = SUPPORTED) -> list[str]:
    """Every disagreement between the requirement files and the locks of ``pythons``."""
    found: list[str] = []
    dev = read_requirements(ROOT / LOCKED_REQUIREMENTS)
    for python in pythons:
        path = lock_path(python)
        if not path.is_file():
            found.append(f"Python {python}의 잠금 파일 {path.relative_to(ROOT)}이(가) 없습니다.")
            continue
        found += problems_with(dev, read_lock(path), path.name, python)
    colab_lock = LOCKS / COLAB_LOCK
    if COLAB_PYTHON in pythons and colab_lock.is_file():
        runtime = {canonicalize_name(x.requirement.name): x for x in dev}
        colab = read_requirements(ROOT / COLAB_REQUIREMENTS)
        for line in colab:
            if canonicalize_name(line.requirement.name) not in runtime:
                found.append(f"{line.origin}의 '{line.requirement}'가 requirements.txt에 없습니다.")
        colab_pins = read_lock(colab_lock)
        found += problems_with(colab, colab_pins, COLAB_LOCK, COLAB_PYTHON)
        main_pins = read_lock(lock_path(COLAB_PYTHON)) if lock_path(COLAB_PYTHON).is_file() else {}
        for name, version in colab_pins.items():
            if name in main_pins and main_pins[name] != version:
                found.append(
                    f"{COLAB_LOCK}의 {name}=={version}이(가) py{COLAB_PYTHON}.txt의 "
                    f"{main_pins[name]}과(와) 다릅니다."
                )
    elif COLAB_PYTHON in pythons:
        found.append(f"Colab 잠금 파일 locks/{COLAB_LOCK}이(가) 없습니다.")
    return found


def main(argv: list[str]) -> int:
    pythons = tuple(argv) or SUPPORTED
    unknown = [p for p in pythons if p not in SUPPORTED]
    if unknown:
        print(
            f"지원하지 않는 Python 버전입니다: {', '.join(unknown)}. "
            f"지원 버전: {', '.join(SUPPORTED)}",
            file=sys.stderr,
        )
        return 2
    found = check(pythons)
    if found:
        print(
            "잠금 파일이 요구 사항 파일과 맞지 않습니다 (the lock does not match):", file=sys.stderr
        )
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        print(REFRESH, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
