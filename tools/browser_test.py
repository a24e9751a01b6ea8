"""Run All of every lesson in a real browser (headless Chromium + JupyterLab), at learner defaults.

    python -m tools.browser_test                     # every lesson
    python -m tools.browser_test --nb 01,05          # some lessons
    python -m tools.browser_test --jobs 1            # one notebook at a time
    python -m tools.browser_test --keep-screenshots  # keep these notebooks' earlier screenshots
    python -m tools.browser_test --screenshots DIR   # where build/ is not writable (another user)

What a learner sees, checked the way a learner gets it:

- the notebooks are a temporary COPY of ``notebooks/`` in a fresh temporary folder (Run All must
  not touch the committed notebooks, and no ``.env`` may be reachable from it), served by a
  JupyterLab of this Python on 127.0.0.1 with no token, with autosave off;
- the environment has no API keys, no ``OPENAI_*``/``ANTHROPIC_*``/``HF_*`` and no ``LLM_LAB_*``
  variables: auto mode, recorded replay speed, lenient;
- Debian's Chromium (``/usr/bin/chromium``), driven by Playwright, opens each notebook in its own
  page and JupyterLab workspace, checks that the tab is not marked modified, runs
  ``notebook:run-all-cells`` and waits until every code cell has an execution count.

Then, per notebook: every code cell ran; no error output; ``helpers.setup()``'s status table is
rendered as an HTML table; as many cells show a loaded PNG image and a rendered ipywidget as the
committed notebook has; one click on the playground's 실행 (01) and the chat widget's 보내기 (02)
gives an answer; the first ``StreamView`` (05) grows over at least three samples while it streams.
Screenshots go to ``build/screenshots/``: ``NN_name.png`` (and ``-2``, ``-3`` for long notebooks)
after Run All, ``NN_name-playground.png`` / ``-chat.png`` after the click. A table summarises; the
exit code is 1 on any failure and 2 when the tool itself cannot start.

Needs Debian's ``chromium``, ``fonts-noto-cjk`` (Hangul) and ``fonts-noto-color-emoji`` (the
widgets' ⏳ ✅ ❌): as root they are installed with apt-get when missing; otherwise the message says
the command to run. Playwright comes from PyPI; its wheel carries its own driver and no browser is
downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.lessons import NOTEBOOKS, ROOT, Lesson, LessonListError, load_lessons, select
from tools.lessons import learner_env as lesson_learner_env
from tools.table import format_table

CHROMIUM = Path("/usr/bin/chromium")
# Debian package → a file it installs. Hangul needs the CJK font; the widgets' ⏳ ✅ ❌ 🔢 need the
# emoji font, or screenshots show empty boxes where a learner sees the symbols.
APT_FILES = {
    "chromium": (CHROMIUM,),
    "fonts-noto-cjk": (
        Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
    ),
    "fonts-noto-color-emoji": (Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),),
}
SCREENSHOTS = ROOT / "build" / "screenshots"

# Flags that keep Chromium quiet on a machine whose only network is loopback (without the
# background-networking ones it keeps trying Google's hosts) plus no throttling of pages that are
# not in front: several notebooks run at once, each in its own page.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)

# Jupyter state that must come from the run's own folder, not the caller's.
ENV_NAMES = ("JUPYTER_TOKEN", "JUPYTER_CONFIG_DIR", "JUPYTER_PATH", "JUPYTERLAB_DIR", "PYTHONPATH")

# JupyterLab user settings for the run: every cell in the DOM (the default windowing mode leaves
# off-screen cells unrendered), never save, no news or update check over the network.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# Interactive widgets that one click must make answer, found by what their cell calls.
WIDGET_CLICKS = {
    "playground(": ("playground", "실행"),
    "chat_widget(": ("chat", "보내기"),
}
SETUP_HEADERS = ["공급자", "모드", "키", "비고"]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MIN_STREAM_SAMPLES = 3


class ToolError(RuntimeError):
    """The tool cannot run here (message in Korean and English); exit code 2."""


# ------------------------------------------------------------------------------------------------
# What each notebook should show, read from the committed notebook
# ------------------------------------------------------------------------------------------------


@dataclass
class Click:
    kind: str  # "playground" | "chat"
    button: str  # the button's Korean label
    cell: int  # index among all cells
    preset: str | None = None  # text the cell puts in the input box, if any
    pressed_by: str | None = None  # a later cell that presses the button in code, if any


@dataclass
class Expectation:
    file: str
    code_cells: list[int]  # indices (among all cells) of the code cells
    setup_cell: int | None
    image_cells: list[int]
    widget_cells: list[int]
    clicks: list[Click] = field(default_factory=list)
    stream_cell: int | None = None

    def describe(self, index: int, sources: Sequence[str] | None = None) -> str:
        """``"셀 12 (코드 5)"`` — how a cell is named in failure messages."""
        code = self.code_cells.index(index) + 1 if index in self.code_cells else None
        where = f"셀 {index + 1}" + (f" (코드 셀 {code})" if code else "")
        if sources is not None and 0 <= index < len(sources):
            first = _first_line(sources[index])
            if first:
                where += f" `{first}`"
        return where


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:60]


def _source(cell: Mapping) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _mimes(cell: Mapping) -> set[str]:
    found: set[str] = set()
    for output in cell.get("outputs", []) or []:
        found.update((output.get("data") or {}).keys())
    return found


_STREAM_CALL = re.compile(r"\bStreamView\(")
_PRESS = re.compile(r"\.(send_)?button\.click\(\)")
_PRESET = re.compile(r"""\.input\.value\s*=\s*(?P<q>["'])(?P<text>.*?)(?P=q)""")


def expectations(nb: Mapping, file: str = "") -> Expectation:
    """What a Run All of ``nb`` must show, from its cells and committed outputs."""
    cells = list(nb.get("cells", []))
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    setup = next((i for i in code if "helpers.setup(" in _source(cells[i])), None)
    images = [i for i in code if "image/png" in _mimes(cells[i])]
    widgets = [i for i in code if WIDGET_MIME in _mimes(cells[i])]
    clicks = []
    for i in code:
        src = _source(cells[i])
        for marker, (kind, button) in WIDGET_CLICKS.items():
            calls = [
                line
                for line in src.splitlines()
                if marker in line and not line.lstrip().startswith(("from ", "import ", "#"))
            ]
            if calls:
                preset = _PRESET.search(src)
                later = next((j for j in code if j > i and _PRESS.search(_source(cells[j]))), None)
                clicks.append(
                    Click(
                        kind,
                        button,
                        i,
                        preset.group("text") if preset else None,
                        _first_line(_source(cells[later])) if later is not None else None,
                    )
                )
    stream = next((i for i in code if _STREAM_CALL.search(_source(cells[i]))), None)
    return Expectation(file, code, setup, images, widgets, clicks, stream)


_STREAMING = re.compile(r"stream=True|\.stream\(|\.text_stream|\bstream_turn\(")


def streaming_calls(nb: Mapping) -> int:
    """How many streaming calls the code cells make; in replay they take their recorded time."""
    return sum(
        len(_STREAMING.findall(_source(c)))
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
    )


def run_order(lessons: Sequence[Lesson], notebooks: Mapping[str, Mapping]) -> list[Lesson]:
    """Slowest first, so that the longest notebook does not start last: most streaming calls first,
    the lesson order otherwise."""
    return sorted(lessons, key=lambda x: -streaming_calls(notebooks.get(x.file, {})))


# ------------------------------------------------------------------------------------------------
# Judging what the browser saw
# ------------------------------------------------------------------------------------------------


def stream_lengths(samples: Iterable[Sequence]) -> list[int]:
    """Distinct, growing text lengths of the streamed output seen while its cell was running.

    A sample is ``(milliseconds, cell_running, text_length)``; a length counts when the cell was
    running, the output had text, and it is longer than the last counted one.
    """
    seen: list[int] = []
    for sample in samples:
        _, running, length = sample[:3]
        if running and length > 0 and (not seen or length > seen[-1]):
            seen.append(int(length))
    return seen


def judge(expect: Expectation, report: Mapping, sources: Sequence[str] | None = None) -> list[str]:
    """Korean failure messages for one notebook's browser report (an empty list: it passed).

    ``report`` is what :data:`REPORT_JS` returns: ``{"cells": {index: {...}}}`` with, per code
    cell, ``prompt``, ``count``, ``errors``, ``images``, ``widgets``, ``widgetProblems`` and
    ``tables`` (header texts and row count of each rendered HTML table).
    """
    failures: list[str] = []
    cells = {int(k): v for k, v in (report.get("cells") or {}).items()}

    def name(i: int) -> str:
        return expect.describe(i, sources)

    missing = [i for i in expect.code_cells if i not in cells]
    if missing:
        failures.append(f"화면에 없는 코드 셀 {len(missing)}개: {name(missing[0])} 등")
    not_run = [i for i in expect.code_cells if i in cells and cells[i].get("count") is None]
    if not_run:
        prompts = cells[not_run[0]].get("prompt") or "[ ]:"
        failures.append(
            f"실행되지 않은 코드 셀 {len(not_run)}개 (not executed), 첫 번째: "
            f"{name(not_run[0])} 프롬프트 {prompts}"
        )
    for i in sorted(cells):
        for error in cells[i].get("errors") or []:
            failures.append(f"오류 출력 (error output) {name(i)}: {error}")
    if expect.setup_cell is None:
        failures.append("helpers.setup( 셀이 노트북에 없습니다")
    else:
        tables = (cells.get(expect.setup_cell) or {}).get("tables") or []
        good = [t for t in tables if list(t.get("headers", []))[:4] == SETUP_HEADERS]
        if not good:
            failures.append(
                f"setup() 상태 표가 HTML 표로 보이지 않습니다 ({name(expect.setup_cell)}): "
                f"공급자·모드·키·비고 머리글의 <table>이 없습니다"
            )
        elif good[0].get("rows", 0) < 3:
            failures.append(f"setup() 상태 표의 행이 {good[0].get('rows')}개뿐입니다 (3개여야 함)")
    shown_images = [i for i in cells if any(img.get("ok") for img in cells[i].get("images") or [])]
    lost = [i for i in expect.image_cells if i not in shown_images]
    if lost:
        failures.append(
            f"그래프(PNG)가 보이지 않습니다: 저장된 노트북에는 그림이 있는 셀 "
            f"{len(expect.image_cells)}개, 화면에는 {len(expect.image_cells) - len(lost)}개; "
            f"빠진 셀 {', '.join(name(i) for i in lost)}"
        )
    for i in expect.widget_cells:
        cell = cells.get(i) or {}
        if not cell.get("widgets"):
            problem = (
                "; ".join(cell.get("widgetProblems") or []) or "위젯 요소(.jupyter-widgets) 없음"
            )
            failures.append(
                f"위젯이 그려지지 않았습니다 (widget not rendered) {name(i)}: {problem}"
            )
    return failures


def judge_click(click: Click, before: Mapping, after: Mapping | None) -> list[str]:
    """Failures of one click on a widget; ``before``/``after`` are :data:`WIDGET_JS` results.

    ``after`` is None when no answer appeared in time.
    """
    what = {"playground": "01 플레이그라운드(playground)", "chat": "02 채팅 위젯(chat widget)"}
    label = f"{what.get(click.kind, click.kind)}의 '{click.button}' 버튼"
    failures: list[str] = []
    if not before.get("button"):
        return [f"{label}을 찾지 못했습니다 (button not found)"]
    if click.kind == "chat":
        typed = before.get("input") or ""
        if not typed.strip():
            why = f" 셀은 {click.preset!r}를 넣지만" if click.preset else ""
            if click.pressed_by:
                why += f" 뒤의 셀 `{click.pressed_by}`가 코드로 먼저 보냅니다"
                replies = before.get("replies", 0)
                why += f" (기록에 모델 답 {replies}개)" if replies else ""
            failures.append(
                f"{label}: Run All 뒤 입력 칸이 비어 있습니다 (input box empty after Run All)."
                + (f"{why}." if why else "")
                + " 학습자가 바로 누르면 빈 메시지 오류가 납니다"
            )
    if after is None:
        failures.append(f"{label}: 누른 뒤 제한 시간 안에 답이 나타나지 않았습니다 (no answer)")
        return failures
    text = (after.get("answer") or "").strip()
    if after.get("error") or "❌" in text:
        shown = " ".join(text.split())[:240]
        failures.append(f"{label}: 누른 뒤 답 대신 오류가 보입니다 — {shown}")
    elif click.kind == "chat" and after.get("replies", 0) <= before.get("replies", 0):
        failures.append(f"{label}: 누른 뒤 대화 기록에 모델의 답이 늘지 않았습니다")
    elif not text:
        failures.append(f"{label}: 누른 뒤 출력 영역이 비어 있습니다")
    return failures


def judge_stream(expect: Expectation, samples: Sequence[Sequence]) -> list[str]:
    if expect.stream_cell is None:
        return []
    lengths = stream_lengths(samples)
    if len(lengths) >= MIN_STREAM_SAMPLES:
        return []
    return [
        f"StreamView가 스트리밍 중에 자라지 않았습니다 ({expect.describe(expect.stream_cell)}): "
        f"실행 중 표본 {sum(1 for s in samples if s[1])}개에서 서로 다른 길이 {lengths} "
        f"(필요: {MIN_STREAM_SAMPLES}개 이상, text must grow across ≥3 samples)"
    ]


def _diff(old, new, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit or old == new:
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            _diff(old.get(key, "<없음>"), new.get(key, "<없음>"), f"{path}.{key}", out, limit)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, f"{path}[{i}]", out, limit)
        return

    def short(value) -> str:
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
        return text if len(text) <= 60 else text[:59] + "…"

    out.append(f"{path.lstrip('.')}: {short(old)} → {short(new)}")


def describe_changes(saved: Mapping, current: Mapping, limit: int = 5) -> list[str]:
    """What JupyterLab changed in a notebook it just opened: notebook-level fields, and per cell
    the type, id, source and metadata (outputs are left out: the front end re-serialises them)."""
    out: list[str] = []
    for key in ("nbformat", "nbformat_minor", "metadata"):
        _diff(saved.get(key), current.get(key), key, out, limit)
    old_cells, new_cells = list(saved.get("cells", [])), list(current.get("cells", []))
    if len(old_cells) != len(new_cells):
        out.append(f"셀 수: {len(old_cells)} → {len(new_cells)}")
    for i, (a, b) in enumerate(zip(old_cells, new_cells, strict=False)):
        for key in ("cell_type", "id"):
            _diff(a.get(key), b.get(key), f"cells[{i}].{key}", out, limit)
        # JupyterLab keeps a cell's trust in its in-memory metadata; it is never saved.
        meta_a = {k: v for k, v in (a.get("metadata") or {}).items() if k != "trusted"}
        meta_b = {k: v for k, v in (b.get("metadata") or {}).items() if k != "trusted"}
        _diff(meta_a, meta_b, f"cells[{i}].metadata", out, limit)
        if _source(a) != _source(b):
            _diff(_source(a), _source(b), f"cells[{i}].source", out, limit)
    return out[:limit]


def only_kernel_language_changed(changes: Sequence[str]) -> bool:
    """True when opening changed nothing but ``metadata.language_info`` — what JupyterLab writes
    from the kernel it starts, so a learner whose Python differs from the one that saved the
    notebook always sees it (the committed outputs' Python cannot match every learner's)."""
    return bool(changes) and all(c.startswith("metadata.language_info") for c in changes)


# ------------------------------------------------------------------------------------------------
# Results and the summary table
# ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    lesson: str  # "01"
    file: str
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def summary(results: Sequence[Result]) -> str:
    """The Korean/English table and, below it, every failure in full."""
    rows = []
    for r in results:
        first = r.failures[0] if r.failures else ""
        if len(first) > 70:
            first = first[:69] + "…"
        more = f" (+{len(r.failures) - 1})" if len(r.failures) > 1 else ""
        rows.append(
            [
                r.lesson,
                "통과 PASS" if r.ok else "실패 FAIL",
                f"{r.seconds:.1f}",
                str(len(r.failures)),
                first + more,
            ]
        )
    table = format_table(
        ["노트북 notebook", "결과 result", "초 s", "실패 n", "첫 실패 first failure"], rows
    )
    lines = [table]
    for r in results:
        if r.failures or r.notes:
            lines.append("")
            lines.append(f"■ {r.file}")
            lines += [f"  ✗ {f}" for f in r.failures]
            lines += [f"  · {n}" for n in r.notes]
    passed = sum(r.ok for r in results)
    lines.append("")
    lines.append(f"{passed}/{len(results)} 통과 (passed)")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Machine set-up: Chromium, the Korean font, Playwright
# ------------------------------------------------------------------------------------------------


def missing_apt_packages() -> list[str]:
    return [name for name, files in APT_FILES.items() if not any(f.exists() for f in files)]


def apt_command(packages: Sequence[str]) -> str:
    return f"apt-get update && apt-get install -y {' '.join(packages)}"


def ensure_apt_packages() -> None:
    missing = missing_apt_packages()
    if not missing:
        return
    command = apt_command(missing)
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    ):
        prefix = ["sudo", "-n"]
    else:
        raise ToolError(
            f"브라우저 시험에 필요한 Debian 패키지가 없습니다: {', '.join(missing)}.\n"
            f"관리자(root) 권한으로 다음을 한 번 실행하세요 (run once as root):\n"
            f"    sudo sh -c '{command}'"
        )
    print(f"설치합니다 (installing): {' '.join([*prefix, command])}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *missing]):
        done = subprocess.run([*prefix, *args], env=env)
        if done.returncode != 0:
            raise ToolError(
                f"`{' '.join([*prefix, *args])}`가 실패했습니다 (exit {done.returncode})"
            )
    still = missing_apt_packages()
    if still:
        raise ToolError(f"설치 뒤에도 없습니다 (still missing): {', '.join(still)}")


def ensure_playwright() -> None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        raise ToolError(
            "Playwright(Python)가 이 가상환경에 없습니다 (playwright is not installed).\n"
            f"    {sys.executable} -m pip install playwright\n"
            "브라우저는 내려받지 않습니다: Debian의 /usr/bin/chromium을 씁니다 "
            "(no `playwright install` needed)."
        ) from exc


# ------------------------------------------------------------------------------------------------
# A throw-away copy of the notebooks and a JupyterLab to serve it
# ------------------------------------------------------------------------------------------------


def learner_env(base: Mapping[str, str], tmp: Path) -> dict[str, str]:
    """The environment of a learner with no keys and no settings, with Jupyter's state in ``tmp``."""
    env = {
        k: v
        for k, v in lesson_learner_env(base).items()
        if k not in ENV_NAMES and k != "VIRTUAL_ENV"
    }
    for name, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
        ("TMPDIR", "tmp"),
    ):
        path = tmp / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["LANG"] = env.get("LANG") or "C.UTF-8"
    return env


def write_lab_settings(folder: Path) -> None:
    for rel, values in LAB_SETTINGS.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def copy_notebooks(lessons: Sequence[Lesson], tmp: Path, source: Path = NOTEBOOKS) -> Path:
    """``tmp/work/notebooks`` with the chosen notebooks; fails if a ``.env`` is reachable."""
    from helpers.keys import find_dotenv

    dest = tmp / "work" / "notebooks"
    dest.mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file() and (item.suffix != ".ipynb" or item.name in {x.file for x in lessons}):
            shutil.copy2(item, dest / item.name)
    found = find_dotenv(dest)
    if found is not None:
        raise ToolError(
            f"복사본 위쪽 폴더에 .env가 있습니다: {found}. 학습자 기본값으로 시험할 수 없습니다 "
            "(a .env is reachable from the temporary copy); TMPDIR을 다른 곳으로 바꾸세요."
        )
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server of this Python, serving ``root`` on 127.0.0.1 with no token."""

    def __init__(self, root: Path, env: Mapping[str, str], log: Path):
        self.root, self.env, self.log_path = root, dict(env), log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        args = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.open_browser=False",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabServerApp.notebook_starts_kernel=True",
        ]
        if os.geteuid() == 0:
            args.append("--allow-root")
        return args

    def start(self, timeout: float = 60) -> None:
        self.log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command(), cwd=self.root, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        self.stop()
        raise ToolError(f"JupyterLab이 시작하지 않았습니다 (JupyterLab did not start):\n{tail}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()


# ------------------------------------------------------------------------------------------------
# In the page
# ------------------------------------------------------------------------------------------------

# Finds the notebook panel of `path` through window.jupyterapp (LabApp.expose_app_in_browser).
FIND_JS = """
window.__btPanel = (path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model) return w;
  }
  return null;
};
"""

STATE_JS = """
(path) => {
  const w = window.__btPanel && window.__btPanel(path);
  if (!w) return {found: false, app: !!window.jupyterapp};
  const sc = w.sessionContext;
  const kernel = sc && sc.session && sc.session.kernel;
  const tab = [...document.querySelectorAll('.lm-TabBar-tab')].find(
    t => (t.dataset.id === w.id) || (t.title && t.title.includes(w.context.path)));
  const cells = [];
  w.content.widgets.forEach((cell, i) => {
    cell.node.dataset.btIndex = String(i);
    if (cell.model.type !== 'code') return;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    cells.push({i, count: cell.model.executionCount,
                prompt: prompt ? prompt.textContent.trim() : ''});
  });
  return {
    found: true, id: w.id, ready: w.context.isReady, sessionReady: sc.isReady,
    kernel: kernel ? kernel.status : null,
    dirtyModel: w.context.model.dirty,
    dirtyTab: !!(tab && tab.classList.contains('jp-mod-dirty')),
    dirtyPanel: w.title.className.includes('jp-mod-dirty'),
    tabFound: !!tab,
    cells,
  };
}
"""

MODEL_JSON_JS = "(p) => { const w = window.__btPanel(p); return w && w.context.model.toJSON(); }"

RUN_ALL_JS = """
(path) => {
  const w = window.__btPanel(path);
  window.jupyterapp.shell.activateById(w.id);
  window.jupyterapp.commands.execute('notebook:run-all-cells');
  return true;
}
"""

# Records the streamed output's text length every 100 ms, in the page (no round trips).
SAMPLER_JS = """
([path, index]) => {
  window.__btSamples = [];
  const t0 = performance.now();
  window.__btSampler = setInterval(() => {
    const w = window.__btPanel(path);
    const cell = w && w.content.widgets[index];
    if (!cell) return;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    const running = !!prompt && prompt.textContent.includes('*');
    const out = cell.node.querySelector('.jp-OutputArea');
    window.__btSamples.push([Math.round(performance.now() - t0), running,
                             out ? out.textContent.length : 0]);
  }, 100);
  return true;
}
"""

STOP_SAMPLER_JS = "() => { clearInterval(window.__btSampler); return window.__btSamples || []; }"

REPORT_JS = """
(path) => {
  const w = window.__btPanel(path);
  const cells = {};
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const node = cell.node;
    const prompt = node.querySelector('.jp-InputPrompt');
    const errors = [];
    const outs = cell.model.outputs;
    for (let j = 0; j < outs.length; j++) {
      const o = outs.get(j);
      if (o.type === 'error') {
        const raw = o.toJSON();
        errors.push(`${raw.ename}: ${String(raw.evalue).split('\\n')[0].slice(0, 200)}`);
      }
    }
    // JupyterLab 4 renders an error output with the stderr MIME type (its traceback), so errors
    // are told apart in the model, where the output's type is 'error'.
    const images = [...node.querySelectorAll('.jp-OutputArea-output img')].map(img => (
      {ok: img.complete && img.naturalWidth > 0, w: img.naturalWidth, h: img.naturalHeight}));
    // ipywidgets' renderer puts the widget's own element (class jupyter-widgets) in the output;
    // the output element carries no data-mime-type for it.
    const outputs = [...node.querySelectorAll('.jp-OutputArea-output')];
    const widgets = outputs.filter(o => o.querySelector(':scope > .jupyter-widgets')).length;
    const widgetProblems = outputs.map(o => o.textContent.trim()).filter(
      t => /Error displaying widget|Loading widget|model not found/i.test(t))
      .map(t => t.slice(0, 200));
    const tables = [...node.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="text/html"] table')].map(t => ({
        headers: [...t.querySelectorAll('thead th')].map(th => th.textContent.trim()),
        rows: t.querySelectorAll('tbody tr').length}));
    const stderr = [...node.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map(
      o => o.textContent.trim().slice(0, 160));
    cells[i] = {count: cell.model.executionCount, prompt: prompt ? prompt.textContent.trim() : '',
                errors, images, widgets, widgetProblems, tables, stderr};
  });
  return {cells};
}
"""

# The state of one interactive widget in cell `index`: its button, input box and answer.
WIDGET_JS = """
([path, index, label, kind]) => {
  const w = window.__btPanel(path);
  const node = w.content.widgets[index].node;
  const button = [...node.querySelectorAll('button')].find(b => b.textContent.trim() === label);
  const input = node.querySelector('.jupyter-widgets textarea');
  const htmls = [...node.querySelectorAll('.widget-html')];
  let answer = '', error = false, replies = 0, busy = false;
  if (kind === 'playground') {
    const out = node.querySelector('.widget-output');
    answer = out ? out.textContent : '';
    error = !!(out && out.querySelector(
      '[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output.jp-mod-stderr'));
    busy = answer.includes('⏳');
  } else {
    const history = htmls[0];
    replies = history ? [...history.querySelectorAll('b')].filter(
      b => b.textContent.trim() === '모델').length : 0;
    const message = htmls[htmls.length - 1];
    answer = message ? message.textContent : '';
    busy = answer.includes('⏳');
    error = answer.includes('❌');
    if (history && !error) {
      const labels = [...history.querySelectorAll('b')].filter(b => b.textContent.trim() === '모델');
      const last = labels.length ? labels[labels.length - 1].parentElement : history;
      answer = last.textContent;
    }
  }
  return {button: !!button, disabled: button ? button.disabled : null,
          input: input ? input.value : null, answer, error, replies, busy};
}
"""


@dataclass
class Options:
    timeout: float = 150.0
    click_timeout: float = 30.0
    shots: Path = SCREENSHOTS
    source: Path = NOTEBOOKS
    viewport: tuple[int, int] = (1280, 900)


SCROLL_TOP_JS = """
() => {
  const app = window.jupyterapp;
  if (app && app.shell.collapseLeft) app.shell.collapseLeft();
  if (app && app.shell.collapseRight) app.shell.collapseRight();
  for (const s of document.querySelectorAll('.jp-NotebookPanel .jp-WindowedPanel-outer')) s.scrollTop = 0;
}
"""


# How tall the page must be to show every cell: the bottom of the last cell, seen from the top.
CONTENT_HEIGHT_JS = """
() => {
  const cells = document.querySelectorAll('.jp-NotebookPanel .jp-Cell');
  if (!cells.length) return 0;
  return Math.ceil(cells[cells.length - 1].getBoundingClientRect().bottom + 40);
}
"""


# Scrolls the notebook on by one screen (less a little overlap); false once the last cell shows.
SCROLL_ON_JS = """
() => {
  const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
  const cells = document.querySelectorAll('.jp-NotebookPanel .jp-Cell');
  if (!s || !cells.length) return false;
  const last = cells[cells.length - 1].getBoundingClientRect().bottom;
  if (last <= s.getBoundingClientRect().bottom) return false;
  const before = s.scrollTop;
  s.scrollTop = before + s.clientHeight - 60;
  return s.scrollTop !== before;
}
"""


async def _poll(page, path: str):
    return await page.evaluate(STATE_JS, path)


async def full_screenshot(page, target: Path, max_height: int = 12000) -> list[str]:
    """The whole notebook: the page is made as tall as the notebook's content; a notebook taller
    than ``max_height`` is taken in parts (``name.png``, ``name-2.png``, …) by scrolling it."""
    await page.evaluate(SCROLL_TOP_JS)
    height = await page.evaluate(CONTENT_HEIGHT_JS)
    width, base = page.viewport_size["width"], page.viewport_size["height"]
    await page.set_viewport_size(
        {"width": width, "height": min(max(base, int(height)), max_height)}
    )
    await page.wait_for_timeout(400)
    await page.evaluate(SCROLL_TOP_JS)
    names: list[str] = []
    for part in range(1, 11):
        await page.wait_for_timeout(200)
        shot = target if part == 1 else target.with_name(f"{target.stem}-{part}{target.suffix}")
        bottom = await page.evaluate(CONTENT_HEIGHT_JS)  # the last cell's bottom on screen now
        size = page.viewport_size
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], bottom)}
        await page.screenshot(path=str(shot), clip=clip if bottom > 200 else None)
        names.append(shot.name)
        if not await page.evaluate(SCROLL_ON_JS):
            break
    await page.set_viewport_size({"width": width, "height": base})
    return names


async def run_notebook(browser, lab_url: str, lesson: Lesson, opts: Options) -> Result:
    nb = json.loads((opts.source / lesson.file).read_text(encoding="utf-8"))
    sources = [_source(c) for c in nb.get("cells", [])]
    expect = expectations(nb, lesson.file)
    result = Result(lesson.number, lesson.file)
    started = time.monotonic()
    context = await browser.new_context(
        viewport={"width": opts.viewport[0], "height": opts.viewport[1]}, locale="ko-KR"
    )
    page = await context.new_page()
    console_errors: list[str] = []
    page.on(
        "pageerror", lambda exc: console_errors.append(f"페이지 오류 (page error): {exc}"[:300])
    )
    await page.add_init_script(FIND_JS)
    stem = lesson.file.removesuffix(".ipynb")
    try:
        await page.goto(
            f"{lab_url}/lab/workspaces/bt-{lesson.number}/tree/{lesson.file}?reset",
            wait_until="domcontentloaded",
        )
        # 1. Opened, kernel idle, and not marked modified.
        state: dict = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = await _poll(page, lesson.file)
            if state.get("found") and state.get("ready") and state.get("kernel") == "idle":
                break
            await page.wait_for_timeout(250)
        else:
            result.failures.append(
                f"노트북이 열리지 않았거나 커널이 준비되지 않았습니다 (not opened / kernel not idle "
                f"in 60 s): {json.dumps({k: state.get(k) for k in ('found', 'app', 'ready', 'kernel')})}"
            )
            return result
        phases = {"열기 open": time.monotonic() - started}
        await page.wait_for_timeout(1000)  # let late changes (widgets, metadata) show
        state = await _poll(page, lesson.file)
        if not state.get("tabFound"):
            result.notes.append("탭 요소를 찾지 못해 모델의 dirty 값만 확인했습니다")
        if state.get("dirtyModel") or state.get("dirtyTab") or state.get("dirtyPanel"):
            current = await page.evaluate(MODEL_JSON_JS, lesson.file)
            changes = describe_changes(nb, current or {}, limit=50)
            message = (
                "열자마자 '수정됨'으로 표시됩니다 (marked modified right after opening: "
                f"model.dirty={state.get('dirtyModel')}, tab .jp-mod-dirty={state.get('dirtyTab')})"
                + (": " + "; ".join(changes[:5]) if changes else "")
            )
            if only_kernel_language_changed(changes):
                result.notes.append(
                    message + " — 이 커널의 Python이 노트북을 저장한 Python과 달라 JupyterLab이 "
                    "language_info를 고쳤습니다. 다른 Python의 학습자에게는 피할 수 없어 실패로 "
                    "세지 않습니다 (kernel's Python differs from the committed one; not a failure)"
                )
            else:
                result.failures.append(message)
        # 2. Run All, sampling the first StreamView while it streams.
        if expect.stream_cell is not None:
            await page.evaluate(SAMPLER_JS, [lesson.file, expect.stream_cell])
        await page.evaluate(RUN_ALL_JS, lesson.file)
        run_started = time.monotonic()
        idle_since = None
        while True:
            state = await _poll(page, lesson.file)
            cells = state.get("cells", [])
            running = any("*" in c["prompt"] for c in cells)
            done = all(c["count"] is not None for c in cells)
            idle = state.get("kernel") == "idle" and not running
            now = time.monotonic()
            idle_since = (idle_since or now) if idle else None
            if idle and done and now - run_started > 1:
                break
            if idle_since and now - idle_since > 3 and now - run_started > 3:
                break  # stopped early (an error stops Run All); judged below
            if now - run_started > opts.timeout:
                left = [c for c in cells if c["count"] is None]
                result.failures.append(
                    f"{opts.timeout:.0f}초 안에 Run All이 끝나지 않았습니다 (timeout); 남은 코드 셀 "
                    f"{len(left)}개, 커널 {state.get('kernel')}, 첫 번째 "
                    + (expect.describe(left[0]["i"], sources) if left else "-")
                )
                break
            await page.wait_for_timeout(200)
        phases["Run All"] = time.monotonic() - run_started
        if state.get("dirtyModel") and not state.get("dirtyTab"):
            # Run All changed the outputs, so the tab must now show the dirty mark; if it does
            # not, the check right after opening could not have failed either.
            result.failures.append(
                "시험 도구: Run All 뒤에도 탭에 .jp-mod-dirty가 없습니다 — '수정됨' 검사 선택자를 "
                "고쳐야 합니다 (dirty-tab selector broken)"
            )
        samples = []
        if expect.stream_cell is not None:
            samples = await page.evaluate(STOP_SAMPLER_JS)
            lengths = stream_lengths(samples)
            result.notes.append(
                f"StreamView 길이 표본 {len(lengths)}개: "
                + ", ".join(map(str, lengths[:8]))
                + (" …" if len(lengths) > 8 else "")
            )
        await page.wait_for_timeout(1500)  # widgets and images render after the last message
        report = await page.evaluate(REPORT_JS, lesson.file)
        result.failures += judge(expect, report, sources)
        result.failures += judge_stream(expect, samples)
        for i, cell in sorted(report["cells"].items(), key=lambda kv: int(kv[0])):
            for text in [] if cell.get("errors") else cell.get("stderr") or []:
                result.notes.append(
                    f"stderr {expect.describe(int(i))}: {' '.join(text.split())[:120]}"
                )
        opts.shots.mkdir(parents=True, exist_ok=True)
        mark = time.monotonic()
        result.screenshots += await full_screenshot(page, opts.shots / f"{stem}.png")
        phases["스크린샷 screenshot"] = time.monotonic() - mark
        # 3. One click on each interactive widget.
        mark = time.monotonic()
        for click in expect.clicks:
            result.failures += await click_widget(page, lesson, click, opts, result, stem)
        if expect.clicks:
            phases["클릭 click"] = time.monotonic() - mark
        result.notes.insert(0, " · ".join(f"{k} {v:.1f}초" for k, v in phases.items()))
        result.failures += console_errors
        if not state.get("found"):
            result.failures.append("노트북 패널이 사라졌습니다")
    except Exception as exc:  # noqa: BLE001 - one notebook's trouble must not hide the others'
        result.failures.append(f"시험 도구 오류 (tool error): {type(exc).__name__}: {exc}"[:400])
        try:
            opts.shots.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(opts.shots / f"{stem}-error.png"))
            result.screenshots.append(f"{stem}-error.png")
        except Exception:  # noqa: BLE001
            pass
    finally:
        result.seconds = time.monotonic() - started
        try:
            await page.evaluate(
                "(p) => { const w = window.__btPanel(p); return w && w.sessionContext.shutdown(); }",
                lesson.file,
            )
        except Exception:  # noqa: BLE001 - the server's shutdown ends the kernel anyway
            pass
        await context.close()
    return result


async def click_widget(
    page, lesson: Lesson, click: Click, opts: Options, result, stem
) -> list[str]:
    args = [lesson.file, click.cell, click.button, click.kind]
    before = await page.evaluate(WIDGET_JS, args)
    if before.get("button"):
        cell = page.locator(f'[data-bt-index="{click.cell}"]')
        await cell.locator("button", has_text=click.button).first.click()
    after = None
    deadline = time.monotonic() + opts.click_timeout
    await page.wait_for_timeout(300)
    while before.get("button") and time.monotonic() < deadline:
        now = await page.evaluate(WIDGET_JS, args)
        changed = now.get("answer") != before.get("answer") or now.get("replies") != before.get(
            "replies"
        )
        if now.get("disabled") is False and not now.get("busy") and changed:
            after = now
            break
        await page.wait_for_timeout(200)
    try:
        widget = page.locator(f'[data-bt-index="{click.cell}"] .jp-OutputArea-output').first
        target = opts.shots / f"{stem}-{click.kind}.png"
        await widget.screenshot(path=str(target))
        result.screenshots.append(target.name)
    except Exception as exc:  # noqa: BLE001
        result.notes.append(f"위젯 스크린샷 실패: {exc}"[:200])
    if after is not None:
        result.notes.append(
            f"{click.kind} 클릭 후: {' '.join((after.get('answer') or '').split())[:140]}"
        )
    return judge_click(click, before, after)


async def run_all(
    lessons: Sequence[Lesson], lab_url: str, jobs: int, opts: Options
) -> list[Result]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS)
        )
        gate = asyncio.Semaphore(max(1, jobs))
        notebooks = {
            x.file: json.loads((opts.source / x.file).read_text(encoding="utf-8")) for x in lessons
        }

        async def one(lesson: Lesson) -> Result:
            async with gate:
                print(f"▶ {lesson.file}", flush=True)
                r = await run_notebook(browser, lab_url, lesson, opts)
                mark = "통과" if r.ok else f"실패 {len(r.failures)}"
                print(f"  {lesson.number} {mark} ({r.seconds:.1f}초)", flush=True)
                return r

        try:
            done = await asyncio.gather(*(one(x) for x in run_order(lessons, notebooks)))
            by_file = {r.file: r for r in done}
            return [by_file[x.file] for x in lessons]
        finally:
            await browser.close()


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.browser_test",
        description="JupyterLab + headless Chromium으로 모든 노트북을 학습자 기본값에서 Run All 합니다.",
    )
    parser.add_argument("--nb", default="", help="레슨 번호 (예: 01 또는 01,05); 비우면 전부")
    parser.add_argument("--jobs", type=int, default=3, help="동시에 실행할 노트북 수 (기본 3)")
    parser.add_argument(
        "--timeout", type=float, default=150.0, help="노트북 하나의 Run All 제한 시간(초)"
    )
    parser.add_argument(
        "--keep-screenshots",
        action="store_true",
        help="시험할 노트북의 이전 스크린샷을 시작할 때 지우지 않습니다",
    )
    parser.add_argument(
        "--screenshots",
        type=Path,
        default=SCREENSHOTS,
        help="스크린샷 폴더 (기본 build/screenshots)",
    )
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=NOTEBOOKS,
        help="복사해 시험할 노트북 폴더 (lessons.toml 포함; 기본 notebooks/)",
    )
    parser.add_argument(
        "--keep-tmp", action="store_true", help="임시 복사본과 JupyterLab 기록을 남깁니다"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        source = args.notebooks.resolve()
        lessons = select(load_lessons(source / "lessons.toml"), args.nb)
    except LessonListError as exc:
        print(exc, file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="llm-lab-browser-"))
    lab = None
    try:
        ensure_apt_packages()
        ensure_playwright()
        shots = args.screenshots.resolve()
        try:
            if shots.exists() and not args.keep_screenshots:
                for lesson in lessons:  # stale parts of an earlier, longer run mislead
                    for old in shots.glob(f"{lesson.file.removesuffix('.ipynb')}*.png"):
                        old.unlink()
            shots.mkdir(parents=True, exist_ok=True)
            probe = shots / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise ToolError(
                f"스크린샷 폴더에 쓸 수 없습니다: {shots} ({exc}). "
                "--screenshots 로 쓸 수 있는 폴더를 주세요 (not writable)."
            ) from exc
        env = learner_env(os.environ, tmp)
        write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
        root = copy_notebooks(lessons, tmp, source)
        lab = Lab(root, env, tmp / "jupyterlab.log")
        t0 = time.monotonic()
        lab.start()
        print(
            f"JupyterLab {lab.url} (복사본 {root}) · 노트북 {len(lessons)}개 · 동시 {args.jobs}개",
            flush=True,
        )
        opts = Options(timeout=args.timeout, shots=shots, source=source)
        results = asyncio.run(run_all(lessons, lab.url, args.jobs, opts))
        total = time.monotonic() - t0
    except ToolError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    finally:
        if lab is not None:
            lab.stop()
        if args.keep_tmp:
            print(f"임시 폴더를 남겼습니다 (kept): {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(summary(results))
    print(f"전체 {total:.1f}초 (total, JupyterLab 시작 포함) · 스크린샷 {shots}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
