"""tools.browser_test's own logic: what it expects from a notebook, how it judges what the browser
saw, the summary, the learner environment and the machine checks. No browser runs here."""

from __future__ import annotations

import json
import sys

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import browser_test as bt
from tools.lessons import NOTEBOOKS, Lesson, load_lessons

PNG = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
WIDGET = {bt.WIDGET_MIME: {"model_id": "x"}, "text/plain": "VBox()"}


def lesson_notebook():
    """00 title, 01 setup, 02 plot, 03 playground, 04 chat, 05 presses send, 06 stream, 07 text."""
    return new_notebook(
        cells=[
            new_markdown_cell("# 01. 제목"),
            new_code_cell("import helpers\n\nhelpers.setup(mode=MODE)"),
            new_code_cell("plt.plot([1, 2])", outputs=[new_output("display_data", data=PNG)]),
            new_code_cell(
                "from helpers.playground import playground\n\nplayground(client)",
                outputs=[new_output("execute_result", data=WIDGET, execution_count=3)],
            ),
            new_code_cell(
                "from helpers.chat_widget import chat_widget\n\nui = chat_widget(client)\n"
                'ui.input.value = "안녕하세요?"\nui',
                outputs=[new_output("display_data", data=WIDGET)],
            ),
            new_code_cell("ui.send_button.click()  # 코드로 누릅니다\nprint(1)"),
            new_code_cell("with StreamView() as view:\n    view.add('가')"),
            new_code_cell("print('끝')"),
        ]
    )


def good_report(expect: bt.Expectation) -> dict:
    cells = {}
    for n, i in enumerate(expect.code_cells, start=1):
        cells[str(i)] = {
            "count": n,
            "prompt": f"[{n}]:",
            "errors": [],
            "images": [{"ok": True, "w": 640, "h": 480}] if i in expect.image_cells else [],
            "widgets": 1 if i in expect.widget_cells else 0,
            "widgetProblems": [],
            "tables": (
                [{"headers": bt.SETUP_HEADERS, "rows": 3}] if i == expect.setup_cell else []
            ),
            "stderr": [],
        }
    return {"cells": cells}


# ---------------------------------------------------------------------------------------------
# What a notebook must show
# ---------------------------------------------------------------------------------------------


def test_expectations_read_from_cells_and_committed_outputs() -> None:
    expect = bt.expectations(lesson_notebook(), "x.ipynb")
    assert expect.code_cells == [1, 2, 3, 4, 5, 6, 7]
    assert expect.setup_cell == 1
    assert expect.image_cells == [2]
    assert expect.widget_cells == [3, 4]
    assert expect.stream_cell == 6
    playground, chat = expect.clicks
    assert (playground.kind, playground.button, playground.cell) == ("playground", "실행", 3)
    assert playground.preset is None
    assert (chat.kind, chat.button, chat.cell, chat.preset) == ("chat", "보내기", 4, "안녕하세요?")
    assert chat.pressed_by == "ui.send_button.click()  # 코드로 누릅니다"


def test_an_import_alone_is_not_a_widget_to_click() -> None:
    nb = new_notebook(cells=[new_code_cell("from helpers.playground import playground")])
    assert bt.expectations(nb).clicks == []


def test_describe_names_the_cell_and_its_first_line() -> None:
    expect = bt.expectations(lesson_notebook())
    sources = [bt._source(c) for c in lesson_notebook().cells]
    assert expect.describe(2, sources) == "셀 3 (코드 셀 2) `plt.plot([1, 2])`"
    assert expect.describe(0) == "셀 1"


def test_committed_lessons_have_what_the_browser_test_checks() -> None:
    """The real notebooks: a setup cell each, and the widgets and stream the brief names."""
    by_number = {}
    for lesson in load_lessons():
        nb = json.loads((NOTEBOOKS / lesson.file).read_text(encoding="utf-8"))
        by_number[lesson.number] = expect = bt.expectations(nb, lesson.file)
        assert expect.setup_cell is not None, lesson.file
    assert [c.kind for c in by_number["01"].clicks] == ["playground"]
    assert [c.kind for c in by_number["02"].clicks] == ["chat"]
    assert by_number["05"].stream_cell is not None


# ---------------------------------------------------------------------------------------------
# Judging the report: a passing notebook, and each way to fail
# ---------------------------------------------------------------------------------------------


def test_a_complete_report_passes() -> None:
    expect = bt.expectations(lesson_notebook())
    assert bt.judge(expect, good_report(expect)) == []


def test_unexecuted_cells_fail_with_the_first_one_named() -> None:
    expect = bt.expectations(lesson_notebook())
    report = good_report(expect)
    for i in ("6", "7"):
        report["cells"][i].update(count=None, prompt="[ ]:")
    (failure,) = bt.judge(expect, report)
    assert "실행되지 않은 코드 셀 2개" in failure and "셀 7 (코드 셀 6)" in failure
    assert "[ ]:" in failure


def test_error_output_fails() -> None:
    expect = bt.expectations(lesson_notebook())
    report = good_report(expect)
    report["cells"]["7"]["errors"] = ["ValueError: boom"]
    assert bt.judge(expect, report) == [
        "오류 출력 (error output) 셀 8 (코드 셀 7): ValueError: boom"
    ]


@pytest.mark.parametrize(
    ("tables", "needle"),
    [
        ([], "HTML 표로 보이지 않습니다"),
        ([{"headers": ["a", "b"], "rows": 3}], "HTML 표로 보이지 않습니다"),
        ([{"headers": bt.SETUP_HEADERS, "rows": 1}], "행이 1개뿐"),
    ],
)
def test_setup_table_must_be_an_html_table(tables, needle) -> None:
    expect = bt.expectations(lesson_notebook())
    report = good_report(expect)
    report["cells"]["1"]["tables"] = tables
    (failure,) = bt.judge(expect, report)
    assert needle in failure


def test_a_missing_or_broken_image_fails() -> None:
    expect = bt.expectations(lesson_notebook())
    for images in ([], [{"ok": False, "w": 0, "h": 0}]):
        report = good_report(expect)
        report["cells"]["2"]["images"] = images
        (failure,) = bt.judge(expect, report)
        assert "그림이 있는 셀 1개, 화면에는 0개" in failure


def test_an_unrendered_widget_fails_with_what_was_shown() -> None:
    expect = bt.expectations(lesson_notebook())
    report = good_report(expect)
    report["cells"]["3"].update(
        widgets=0, widgetProblems=["Error displaying widget: model not found"]
    )
    (failure,) = bt.judge(expect, report)
    assert "셀 4 (코드 셀 3)" in failure and "model not found" in failure


def test_a_cell_missing_from_the_page_fails() -> None:
    expect = bt.expectations(lesson_notebook())
    report = good_report(expect)
    del report["cells"]["7"]
    assert any("화면에 없는 코드 셀 1개" in f for f in bt.judge(expect, report))


# ---------------------------------------------------------------------------------------------
# Clicks and streams
# ---------------------------------------------------------------------------------------------


def test_chat_with_an_empty_input_says_why() -> None:
    chat = bt.expectations(lesson_notebook()).clicks[1]
    before = {"button": True, "input": "", "replies": 1, "answer": ""}
    after = {
        "button": True,
        "answer": "❌ 사용자 메시지가 비어 있습니다.",
        "error": True,
        "replies": 1,
    }
    empty, error = bt.judge_click(chat, before, after)
    assert "입력 칸이 비어 있습니다" in empty
    assert (
        "'안녕하세요?'" in empty and "ui.send_button.click()" in empty and "먼저 보냅니다" in empty
    )
    assert "모델 답 1개" in empty
    assert "오류가 보입니다 — ❌ 사용자 메시지가 비어 있습니다." in error


def test_chat_answer_passes_and_must_add_a_reply() -> None:
    chat = bt.expectations(lesson_notebook()).clicks[1]
    before = {"button": True, "input": "질문", "replies": 0}
    assert bt.judge_click(chat, before, {"answer": "모델: 답", "error": False, "replies": 1}) == []
    (failure,) = bt.judge_click(chat, before, {"answer": "나: 질문", "error": False, "replies": 0})
    assert "모델의 답이 늘지 않았습니다" in failure


def test_playground_error_box_no_answer_and_missing_button() -> None:
    playground = bt.expectations(lesson_notebook()).clicks[0]
    before = {"button": True, "input": "프롬프트", "answer": ""}
    (failure,) = bt.judge_click(
        playground, before, {"answer": "❌ 저장된 응답이 없습니다:\n  요청", "error": True}
    )
    assert "01 플레이그라운드(playground)의 '실행' 버튼" in failure
    assert "❌ 저장된 응답이 없습니다: 요청" in failure
    assert "나타나지 않았습니다" in bt.judge_click(playground, before, None)[0]
    assert "찾지 못했습니다" in bt.judge_click(playground, {"button": False}, None)[0]
    assert bt.judge_click(playground, before, {"answer": "요청: …\n답", "error": False}) == []


def test_stream_lengths_count_growth_while_running_only() -> None:
    samples = [(0, False, 0), (100, True, 0), (200, True, 5), (300, True, 5), (400, True, 9)]
    samples += [(500, True, 7), (600, True, 14), (700, False, 20)]
    assert bt.stream_lengths(samples) == [5, 9, 14]


def test_stream_must_grow_over_three_samples() -> None:
    expect = bt.expectations(lesson_notebook())
    assert bt.judge_stream(expect, [(0, True, 3), (100, True, 8), (200, True, 12)]) == []
    (failure,) = bt.judge_stream(expect, [(0, True, 3), (900, True, 400), (1000, False, 400)])
    assert "[3, 400]" in failure and "StreamView" in failure
    no_stream = bt.expectations(new_notebook(cells=[new_code_cell("print(1)")]))
    assert bt.judge_stream(no_stream, []) == []


def test_describe_changes_names_what_jupyterlab_changed_on_open() -> None:
    saved = lesson_notebook()
    current = json.loads(json.dumps(saved))
    current["metadata"]["kernelspec"] = {"display_name": "Python 3 (ipykernel)"}
    current["cells"][1]["id"] = "new-id"
    changes = bt.describe_changes(saved, current)
    assert changes[0].startswith("metadata.kernelspec: '<없음>' → ")
    assert changes[1].startswith("cells[1].id: ")
    assert bt.describe_changes(saved, json.loads(json.dumps(saved))) == []


# ---------------------------------------------------------------------------------------------
# Summary, order, environment, machine checks
# ---------------------------------------------------------------------------------------------


def test_summary_lists_every_notebook_and_every_failure() -> None:
    results = [
        bt.Result("00", "00_setup.ipynb", 12.34),
        bt.Result("01", "01_x.ipynb", 20.0, failures=["첫 실패", "둘째 실패"], notes=["참고"]),
    ]
    text = bt.summary(results)
    lines = text.splitlines()
    assert lines[0].startswith("노트북 notebook")
    assert "통과 PASS" in lines[2] and "12.3" in lines[2]
    assert "실패 FAIL" in lines[3] and "첫 실패 (+1)" in lines[3]
    assert "  ✗ 둘째 실패" in lines and "  · 참고" in lines
    assert lines[-1] == "1/2 통과 (passed)"


def test_run_order_puts_the_most_streaming_first() -> None:
    lessons = [Lesson(n, f"{n}.ipynb", "t", "l") for n in ("00", "05", "06")]
    nbs = {
        "00.ipynb": new_notebook(cells=[new_code_cell("print(1)")]),
        "05.ipynb": new_notebook(cells=[new_code_cell("a(stream=True)\nb(stream=True)")]),
        "06.ipynb": new_notebook(cells=[new_code_cell("c.messages.stream(x)")]),
    }
    assert [x.number for x in bt.run_order(lessons, nbs)] == ["05", "06", "00"]


def test_learner_env_has_no_keys_or_settings(tmp_path) -> None:
    base = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "OPENAI_API_KEY": "sk-x",
        "OPENAI_BASE_URL": "http://x",
        "ANTHROPIC_API_KEY": "a",
        "HF_TOKEN": "hf_x",
        "LLM_LAB_MODE": "replay",
        "LLM_LAB_REPLAY_SPEED": "0",
        "JUPYTER_TOKEN": "t",
        "VIRTUAL_ENV": "/v",
    }
    env = bt.learner_env(base, tmp_path)
    assert env["PATH"] == "/usr/bin" and env["HOME"] == "/home/me"
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "HF_TOKEN"):
        assert name not in env
    assert not [k for k in env if k.startswith("LLM_LAB_")]
    assert "JUPYTER_TOKEN" not in env and "VIRTUAL_ENV" not in env
    for name in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTER_RUNTIME_DIR", "TMPDIR", "IPYTHONDIR"):
        assert env[name].startswith(str(tmp_path))


def test_lab_settings_turn_off_windowing_autosave_and_news(tmp_path) -> None:
    bt.write_lab_settings(tmp_path)
    tracker = tmp_path / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    docmanager = tmp_path / "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
    assert json.loads(tracker.read_text())["windowingMode"] == "none"
    assert json.loads(docmanager.read_text())["autosave"] is False


def test_copy_refuses_a_reachable_dotenv(tmp_path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "00_setup.ipynb").write_text("{}")
    (source / "99_other.ipynb").write_text("{}")
    (source / "lessons.toml").write_text("")
    lessons = [Lesson("00", "00_setup.ipynb", "t", "l")]
    dest = bt.copy_notebooks(lessons, tmp_path / "run1", source)
    assert sorted(p.name for p in dest.iterdir()) == ["00_setup.ipynb", "lessons.toml"]
    (tmp_path / "run2").mkdir()
    (tmp_path / "run2" / ".env").write_text("OPENAI_API_KEY=sk-x\n")
    with pytest.raises(bt.ToolError, match=r"\.env"):
        bt.copy_notebooks(lessons, tmp_path / "run2", source)


@pytest.mark.parametrize("uid", [0, 1000])
def test_lab_command_has_no_token_and_allows_root_only_for_root(monkeypatch, tmp_path, uid) -> None:
    monkeypatch.setattr(bt.os, "geteuid", lambda: uid)
    args = bt.Lab(tmp_path, {}, tmp_path / "log").command()
    assert args[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--IdentityProvider.token=" in args and "--ServerApp.password=" in args
    assert "--ip=127.0.0.1" in args and f"--ServerApp.root_dir={tmp_path}" in args
    assert ("--allow-root" in args) == (uid == 0)


def test_missing_packages_as_a_normal_user_say_the_exact_command(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(bt, "APT_FILES", {"chromium": (tmp_path / "no-chromium",)})
    monkeypatch.setattr(bt.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(bt.shutil, "which", lambda name: None)
    with pytest.raises(bt.ToolError) as info:
        bt.ensure_apt_packages()
    assert "sudo sh -c 'apt-get update && apt-get install -y chromium'" in str(info.value)


def test_nothing_to_install_when_the_files_are_there(monkeypatch, tmp_path) -> None:
    (tmp_path / "chromium").write_text("")
    monkeypatch.setattr(bt, "APT_FILES", {"chromium": (tmp_path / "chromium",)})
    monkeypatch.setattr(bt.subprocess, "run", lambda *a, **k: pytest.fail("nothing to run"))
    bt.ensure_apt_packages()


def test_missing_playwright_names_the_pip_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)
    with pytest.raises(bt.ToolError, match=r"-m pip install playwright"):
        bt.ensure_playwright()


def test_command_line_defaults() -> None:
    args = bt.parse_args([])
    assert (args.nb, args.jobs, args.timeout, args.keep_screenshots) == ("", 3, 150.0, False)
    assert args.screenshots == bt.SCREENSHOTS and args.notebooks == NOTEBOOKS
    assert bt.parse_args(["--nb", "01,05", "--keep-screenshots"]).keep_screenshots is True


def test_describe_changes_ignores_jupyterlabs_in_memory_trust() -> None:
    saved = lesson_notebook()
    current = json.loads(json.dumps(saved))
    current["metadata"]["language_info"] = {"version": "3.11.2"}
    for cell in current["cells"]:
        cell["metadata"]["trusted"] = False
    assert bt.describe_changes(saved, current) == [
        'metadata.language_info: \'<없음>\' → {"version": "3.11.2"}'
    ]


def test_only_a_kernel_language_change_is_forgiven() -> None:
    version = "metadata.language_info.version: '3.11.7' → '3.11.2'"
    assert bt.only_kernel_language_changed([version])
    assert not bt.only_kernel_language_changed([])
    assert not bt.only_kernel_language_changed([version, "metadata.kernelspec.display_name: …"])
    assert not bt.only_kernel_language_changed(["cells[3].id: '<없음>' → 'abc'"])
