"""A failed write never destroys the previous file: `helpers.atomic` and every place that uses it.

The failure is a real one: a child process whose file-size limit (``RLIMIT_FSIZE``) is far below
what it writes, as on a full disk. ``SIGXFSZ`` is ignored there, so the write raises ``OSError``
(``EFBIG``) part-way instead of killing the process.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import atomic

ROOT = Path(__file__).resolve().parent.parent
OLD = "예전 내용 old content\n"

needs_rlimit = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX-only")

PRELUDE = """
import resource, signal, sys
from pathlib import Path

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def disk_full():
    # Writing past 256 bytes now fails with EFBIG, as a full disk would fail a write.
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (256, hard))


target = Path(sys.argv[1])
"""

EPILOGUE = """
try:
    write()
except OSError as exc:
    print("write failed:", exc)
    sys.exit(3)
print("write succeeded")
"""


def write_on_full_disk(target: Path, body: str) -> subprocess.CompletedProcess:
    """Run ``body`` (which defines ``write()`` and calls ``disk_full()``) in a child process."""
    code = PRELUDE + textwrap.dedent(body) + EPILOGUE
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_old_file_intact(target: Path, result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 3, result.stdout + result.stderr
    assert target.read_text(encoding="utf-8") == OLD
    leftovers = sorted(p.name for p in target.parent.iterdir() if p != target)
    assert leftovers == [], leftovers


# ---------------------------------------------------------------------------------------------
# The helper itself
# ---------------------------------------------------------------------------------------------


def test_writes_text_and_bytes_and_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "새 폴더" / "a.txt"
    atomic.write_text_atomic(target, "한글\n둘째 줄\n")
    assert target.read_bytes() == "한글\n둘째 줄\n".encode()
    atomic.write_bytes_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    atomic.write_text_atomic(target, "표", encoding="utf-8-sig")
    assert target.read_bytes() == b"\xef\xbb\xbf" + "표".encode()
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_keeps_the_permissions_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o751)
    atomic.write_text_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert target.read_text(encoding="utf-8") == "new"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_new_file_gets_the_usual_permissions_not_mkstemps_0600(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        atomic.write_text_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_a_failure_after_writing_removes_the_temp_file_and_reraises(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_text(OLD, encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_text_atomic(target, "new content " * 1000)
    assert target.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_an_interrupt_mid_write_also_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_text(OLD, encoding="utf-8")

    def interrupted(src, dst) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_bytes_atomic(target, b"new")
    assert target.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@needs_rlimit
def test_full_disk_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text(OLD, encoding="utf-8")
    result = write_on_full_disk(
        target,
        """
        from helpers.atomic import write_text_atomic

        def write():
            disk_full()
            write_text_atomic(target, "새 내용 " * 10_000)
        """,
    )
    assert_old_file_intact(target, result)


def test_helpers_atomic_imports_only_the_standard_library() -> None:
    """tools.drift uses it inside half-installed venvs: no third-party import may happen."""
    code = textwrap.dedent(
        """
        import sys

        class NoThirdParty:
            def find_spec(self, name, path=None, target=None):
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ("helpers", "tools"):
                    raise ImportError(f"third-party import: {name}")
                return None

        sys.meta_path.insert(0, NoThirdParty())
        import helpers.atomic
        from tools.drift import write_text_atomic
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ---------------------------------------------------------------------------------------------
# Every place that writes through it
# ---------------------------------------------------------------------------------------------


@needs_rlimit
def test_dump_file_on_a_full_disk_keeps_the_old_fixture(tmp_path: Path) -> None:
    target = tmp_path / "01-hello.json"
    target.write_text(OLD, encoding="utf-8")
    result = write_on_full_disk(
        target,
        """
        from helpers.replay.builder import build_exchange
        from helpers.replay.fixture import dump_file

        request = {"method": "POST", "host": "api.openai.com", "path": "/v1/chat/completions",
                   "query": "", "body": {"model": "m", "messages": [{"role": "user", "content": "a"}]}}
        exchange = build_exchange(request, {"answer": "긴 답변 " * 5000})

        def write():
            disk_full()
            dump_file(exchange, target)
        """,
    )
    assert_old_file_intact(target, result)


@needs_rlimit
def test_save_spec_on_a_full_disk_keeps_the_old_spec(tmp_path: Path) -> None:
    target = tmp_path / "01_demo.yaml"
    target.write_text(OLD, encoding="utf-8")
    result = write_on_full_disk(
        target,
        """
        from tools.fixtures import save_spec

        entries = [{"name": f"{i:02d}-x", "request": {"method": "POST"}, "answer": "답 " * 50}
                   for i in range(200)]

        def write():
            disk_full()
            save_spec(target, entries)
        """,
    )
    assert_old_file_intact(target, result)


@needs_rlimit
def test_write_notebook_on_a_full_disk_keeps_the_old_notebook(tmp_path: Path) -> None:
    target = tmp_path / "01_demo.ipynb"
    target.write_text(OLD, encoding="utf-8")
    result = write_on_full_disk(
        target,
        """
        from nbformat.v4 import new_code_cell, new_notebook
        from tools.stamp import write_notebook

        nb = new_notebook(cells=[new_code_cell(f"print({i})  # 셀") for i in range(500)])

        def write():
            disk_full()
            write_notebook(nb, target)
        """,
    )
    assert_old_file_intact(target, result)


@needs_rlimit
def test_drift_report_on_a_full_disk_keeps_the_old_report(tmp_path: Path) -> None:
    target = tmp_path / "drift-report.md"
    target.write_text(OLD, encoding="utf-8")
    result = write_on_full_disk(
        target,
        """
        from tools.drift import write_text_atomic

        def write():
            disk_full()
            write_text_atomic(target, "# 보고서\\n" * 5000)
        """,
    )
    assert_old_file_intact(target, result)


@needs_rlimit
def test_lesson_06_csv_on_a_full_disk_keeps_the_old_csv(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    target = tmp_path / "06_results.csv"
    target.write_text(OLD, encoding="utf-8")
    result = write_on_full_disk(
        target,
        """
        import pandas as pd
        from helpers.compare import save_csv

        frame = pd.DataFrame({"provider": ["openai"] * 2000, "answer": ["안녕하세요"] * 2000})

        def write():
            disk_full()
            save_csv(frame, target)
        """,
    )
    assert_old_file_intact(target, result)


def test_save_csv_writes_what_to_csv_writes(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from helpers.compare import save_csv

    frame = pd.DataFrame({"provider": ["openai", "anthropic"], "latency_s": [1.5, None]})
    expected = tmp_path / "expected.csv"
    frame.to_csv(expected, index=False, encoding="utf-8-sig")
    saved = save_csv(frame, tmp_path / "sub" / "06_results.csv")
    assert saved.read_bytes() == expected.read_bytes()
    assert pd.read_csv(saved, encoding="utf-8-sig").shape == (2, 2)
