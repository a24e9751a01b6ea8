"""tools.lockcheck: the locks in locks/ satisfy the requirement files, and a mismatch is named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import lockcheck

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "requirements.txt",
    "requirements-lab.txt",
    "requirements-dev.txt",
    "requirements-colab.txt",
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the requirement files and locks that a test may break."""
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "locks", tmp_path / "locks")
    monkeypatch.setattr(lockcheck, "ROOT", tmp_path)
    monkeypatch.setattr(lockcheck, "LOCKS", tmp_path / "locks")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_committed_locks_match_the_requirements():
    assert lockcheck.check() == []


def test_every_supported_python_has_a_lock_that_pins_the_sdks():
    for python in lockcheck.SUPPORTED:
        pins = lockcheck.read_lock(lockcheck.lock_path(python))
        assert {"openai", "anthropic", "huggingface-hub", "httpx2", "uv"} <= set(pins)


def test_a_range_the_lock_no_longer_satisfies_is_named(repo: Path):
    edit(repo / "requirements.txt", "anthropic>=2.15,<3", "anthropic>=99,<100")
    found = lockcheck.check(("3.11",))
    assert len(found) == 1
    assert "requirements.txt" in found[0] and "py3.11.txt의 anthropic==" in found[0]
    assert "만족하지 않습니다" in found[0]


def test_a_new_requirement_missing_from_the_lock_is_named(repo: Path):
    (repo / "requirements.txt").write_text(
        (repo / "requirements.txt").read_text(encoding="utf-8") + "rich>=13\n", encoding="utf-8"
    )
    assert any("'rich>=13'가 py3.13.txt에 없습니다" in p for p in lockcheck.check())


def test_a_missing_lock_is_named(repo: Path):
    (repo / "locks" / "py3.12.txt").unlink()
    assert any("Python 3.12의 잠금 파일" in p for p in lockcheck.check())


def test_the_colab_lock_must_agree_with_the_python_3_13_lock(repo: Path):
    lock = repo / "locks" / "colab.txt"
    pins = lockcheck.read_lock(lock)
    edit(lock, f"openai=={pins['openai']}", "openai==3.0.0")
    found = lockcheck.check()
    assert any("colab.txt의 openai==3.0.0" in p and "py3.13.txt" in p for p in found)


def test_a_colab_package_outside_requirements_txt_is_named(repo: Path):
    edit(repo / "requirements-colab.txt", "tiktoken\n", "tiktoken\nrich\n")
    assert any("'rich'가 requirements.txt에 없습니다" in p for p in lockcheck.check())


def test_a_line_that_is_not_a_pin_is_a_korean_error(tmp_path: Path):
    lock = tmp_path / "py3.11.txt"
    lock.write_text("openai>=3\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="name==version 형식의 고정이 아닙니다"):
        lockcheck.read_lock(lock)


def test_the_command_exits_1_and_says_how_to_refresh(repo: Path):
    edit(repo / "requirements.txt", "anthropic>=2.15,<3", "anthropic>=99,<100")
    script = (
        "import sys; from pathlib import Path; from tools import lockcheck\n"
        f"lockcheck.ROOT = Path({str(repo)!r}); lockcheck.LOCKS = lockcheck.ROOT / 'locks'\n"
        "sys.exit(lockcheck.main([]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "잠금 파일이 요구 사항 파일과 맞지 않습니다" in done.stderr
    assert "make lock" in done.stderr


def test_an_unsupported_python_is_refused():
    assert lockcheck.main(["3.10"]) == 2


def test_an_unreadable_requirement_is_a_korean_error(repo: Path):
    edit(repo / "requirements.txt", "anthropic>=2.15,<3", "anthropic>=>2")
    with pytest.raises(SystemExit, match="requirements.txt:6: 요구 사항을 읽을 수 없습니다"):
        lockcheck.check()
