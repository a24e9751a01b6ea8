"""The maintainer tools around the notebooks: lesson selection, run_series, refresh_outputs, bench."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from bench import harness
from bench import run as bench_run
from tools import lessons as lessons_mod
from tools import refresh_outputs, run_series
from tools.lessons import Lesson, LessonListError, replay_env, select
from tools.table import display_width, format_table

LESSONS = [
    Lesson("00", "00_setup.ipynb", "환경 설정", "키"),
    Lesson("01", "01_openai_chat_completions.ipynb", "OpenAI", "호출"),
    Lesson("02", "02_anthropic.ipynb", "Anthropic", "호출"),
]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(*sources: str) -> nbformat.NotebookNode:
    return new_notebook(
        cells=[new_code_cell(source) for source in sources], metadata={"kernelspec": KERNELSPEC}
    )


# ---------------------------------------------------------------------------------------------
# Lesson selection and environment
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "numbers"),
    [
        ("", ["00", "01", "02"]),
        ("01", ["01"]),
        ("1", ["01"]),
        ("01,02", ["01", "02"]),
        ("02 00", ["02", "00"]),
        ("01_openai_chat_completions.ipynb", ["01"]),
        ("notebooks/01_openai_chat_completions", ["01"]),
    ],
)
def test_select(wanted: str, numbers: list[str]) -> None:
    assert [lesson.number for lesson in select(LESSONS, wanted)] == numbers


def test_select_unknown_lesson_is_a_clear_error() -> None:
    with pytest.raises(LessonListError, match="99"):
        select(LESSONS, "99")


def test_replay_env_has_no_keys_and_replays_without_delay() -> None:
    base = {"OPENAI_API_KEY": "x", "ANTHROPIC_API_KEY": "y", "HF_TOKEN": "z", "PATH": "/bin"}
    env = replay_env(base)
    assert env == {
        "PATH": "/bin",
        "LLM_LAB_MODE": "replay",
        "LLM_LAB_REPLAY_SPEED": "0",
        "LLM_LAB_REPLAY_STRICT": "1",
        "LLM_LAB_DOTENV": "0",
    }
    assert "LLM_LAB_REPLAY_STRICT" not in replay_env(base, strict=False)
    assert base["OPENAI_API_KEY"] == "x", "the caller's mapping is not modified"


def test_github_slug_rejects_non_github_urls() -> None:
    assert lessons_mod.github_slug("https://github.com/a-b/c.d.git") == "a-b/c.d"
    with pytest.raises(LessonListError):
        lessons_mod.github_slug("https://gitlab.com/a/b")


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def test_table_lines_up_korean_text() -> None:
    text = format_table(["번호", "상태"], [["00", "성공 ok"], ["01", "실패"]])
    lines = text.splitlines()
    assert lines[1] == "----  -------"
    starts = {
        display_width(line[: line.index(cell)])
        for line, cell in zip([lines[0], *lines[2:]], ["상태", "성공", "실패"], strict=True)
    }
    assert starts == {6}, text


# ---------------------------------------------------------------------------------------------
# run_series
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("gpt-5.4", "gpt-5.4"),
        ("3", 3),
        ("0.5", 0.5),
        ("True", True),
        ("False", False),
        ("None", None),
    ],
)
def test_parameter_values_resolve_like_papermill(text: str, value) -> None:
    assert run_series.resolve_value(text) == value
    assert type(run_series.resolve_value(text)) is type(value)


def status_output(status) -> nbformat.NotebookNode:
    return new_output(
        "display_data", data={"text/plain": "표"}, metadata={run_series.STATUS_KEY: status}
    )


def test_status_is_read_from_display_metadata() -> None:
    nb = notebook("helpers.setup()")
    nb.cells[0].outputs = [
        new_output("stream", name="stdout", text="hello\n"),
        status_output(
            {"openai": {"mode": "live", "key_source": "env"}, "anthropic": {"mode": "replay"}}
        ),
    ]
    assert run_series.status_of(nb) == {"openai": "live", "anthropic": "replay"}


def test_last_status_wins_and_plain_strings_are_tolerated() -> None:
    nb = notebook("a", "b")
    nb.cells[0].outputs = [status_output({"openai": {"mode": "live"}})]
    nb.cells[1].outputs = [status_output({"openai": "replay", "huggingface": {}})]
    assert run_series.status_of(nb) == {"openai": "replay", "huggingface": "?"}


def test_missing_status_is_empty() -> None:
    nb = notebook("print(1)")
    nb.cells[0].outputs = [new_output("display_data", data={"text/plain": "x"}, metadata={})]
    assert run_series.status_of(nb) == {}


def test_series_table_shows_question_mark_for_unknown_modes() -> None:
    rows = [
        run_series.Row(LESSONS[0], "ok", 1.25, {"openai": "replay"}),
        run_series.Row(LESSONS[1], "failed", 2.0, {}, "boom"),
        run_series.Row(LESSONS[2], "missing"),
    ]
    text = run_series.table(rows)
    lines = text.splitlines()
    assert "openai" in lines[0] and "anthropic" in lines[0] and "huggingface" in lines[0]
    assert lines[2].split()[-3:] == ["replay", "?", "?"]
    assert "1.2" in lines[2] and "실패" in lines[3] and "없음" in lines[4]


STATUS_CELL = (
    "from IPython.display import publish_display_data\n"
    "import os\n"
    "publish_display_data({'text/plain': 'status'}, metadata={'llm_lab_status': "
    "{'openai': {'mode': os.environ.get('LLM_LAB_MODE', 'unset')}}})"
)


def test_run_lesson_executes_with_papermill_and_reads_modes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LLM_LAB_MODE", "replay")
    source = tmp_path / "notebooks"
    source.mkdir()
    nb = notebook(
        "MODE = 'auto'", STATUS_CELL, "import os\nassert os.getcwd().endswith('notebooks')"
    )
    nb.cells[0].metadata["tags"] = ["parameters"]
    lesson = Lesson("05", "05_x.ipynb", "x", "y")
    nbformat.write(nb, str(source / lesson.file))
    row = run_series.run_lesson(lesson, tmp_path / "build", {"MODE": "replay"}, notebooks=source)
    assert row.ok, row.error
    assert row.modes == {"openai": "replay"}
    assert row.seconds > 0
    executed = nbformat.read(str(tmp_path / "build" / lesson.file), as_version=4)
    assert any('MODE = "replay"' in c.source for c in executed.cells)  # injected parameters


def test_run_lesson_reports_failure_and_missing(tmp_path: Path) -> None:
    lesson = Lesson("05", "05_x.ipynb", "x", "y")
    missing = run_series.run_lesson(lesson, tmp_path / "build", {}, notebooks=tmp_path)
    assert missing.status == "missing" and not missing.ok
    nbformat.write(notebook("raise ValueError('고장')"), str(tmp_path / lesson.file))
    failed = run_series.run_lesson(lesson, tmp_path / "build", {}, notebooks=tmp_path)
    assert failed.status == "failed"
    assert "ValueError" in failed.error and "고장" in failed.error


def test_run_series_rejects_unknown_lesson(capsys) -> None:
    assert run_series.main(["--nb", "99"]) == 2
    assert "99" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# refresh_outputs
# ---------------------------------------------------------------------------------------------

ENV_CELL = (
    "import os\n"
    "print(sorted(k for k in ('OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'HF_TOKEN') if k in os.environ))\n"
    "print(os.environ['LLM_LAB_MODE'], os.environ['LLM_LAB_REPLAY_SPEED'], "
    "os.environ['LLM_LAB_REPLAY_STRICT'])\n"
    "print(os.path.basename(os.getcwd()))"
)


def test_refresh_runs_keyless_replay_and_strips_noise(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-real-key")
    folder = tmp_path / "lesson-folder"
    folder.mkdir()
    path = folder / "05_x.ipynb"
    nb = notebook(ENV_CELL, "x = 1", "x + 1")
    nb.metadata["papermill"] = {"duration": 1}
    nb.metadata["widgets"] = {"state": {}}
    nb.cells[1].metadata["execution"] = {"iopub.execute_input": "then"}
    nbformat.write(nb, str(path))
    refresh_outputs.refresh(path, replay_env(), folder)
    done = nbformat.read(str(path), as_version=4)
    assert [c.execution_count for c in done.cells] == [1, 2, 3]
    assert done.cells[0].outputs[0].text == "[]\nreplay 0 1\nlesson-folder\n"
    assert done.cells[2].outputs[0].data["text/plain"] == "2"
    assert "papermill" not in done.metadata and "widgets" not in done.metadata
    assert all("execution" not in c.metadata for c in done.cells)


def test_refresh_merges_token_by_token_prints_into_one_output(tmp_path: Path) -> None:
    path = tmp_path / "05_x.ipynb"
    streaming = (
        "import sys\n"
        "for piece in ['스트', '리밍', '입니다']:\n"
        "    print(piece, end='', flush=True)\n"
        "print(flush=True)\n"
        "print('오류', file=sys.stderr, flush=True)\n"
        "from IPython.display import display\n"
        "display('가운데')\n"
        "print('끝', flush=True)"
    )
    nbformat.write(notebook(streaming), str(path))
    refresh_outputs.refresh(path, replay_env(), tmp_path)
    outputs = nbformat.read(str(path), as_version=4).cells[0].outputs
    assert [(o.output_type, o.get("name")) for o in outputs] == [
        ("stream", "stdout"),
        ("stream", "stderr"),
        ("display_data", None),
        ("stream", "stdout"),
    ], "consecutive same-name streams merge; order across other outputs is kept"
    assert outputs[0].text == "스트리밍입니다\n"


def test_refresh_fails_loudly_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "05_x.ipynb"
    nbformat.write(notebook("print('시작')", "1 / 0"), str(path))
    before = path.read_bytes()
    with pytest.raises(refresh_outputs.CellExecutionError):
        refresh_outputs.refresh(path, replay_env(), tmp_path)
    assert path.read_bytes() == before


def test_refresh_at_learner_defaults_has_no_keys_and_no_lab_settings(tmp_path: Path, monkeypatch):
    from tools.passes import learner_env

    monkeypatch.setenv("OPENAI_API_KEY", "not-a-real-key")
    monkeypatch.setenv("LLM_LAB_REPLAY_STRICT", "1")
    path = tmp_path / "05_x.ipynb"
    cell = (
        "import os\n"
        "print(sorted(k for k in os.environ if k.startswith('LLM_LAB_') or k.endswith('_KEY')))\n"
        "print(os.path.basename(os.getcwd()))"
    )
    nbformat.write(notebook(cell), str(path))
    run_in = tmp_path / "scratch" / "notebooks"
    run_in.mkdir(parents=True)
    refresh_outputs.refresh(path, learner_env(), run_in)
    assert nbformat.read(str(path), as_version=4).cells[0].outputs[0].text == "[]\nnotebooks\n"


TIMING_CELL = "import random\nprint(f'첫 토큰까지 {random.random():.2f}초')"


def test_refreshing_twice_leaves_no_diff_when_only_timings_move(tmp_path: Path) -> None:
    path = tmp_path / "05_x.ipynb"
    nbformat.write(notebook(TIMING_CELL, "print('고정된 답')"), str(path))
    refresh_outputs.refresh(path, replay_env(), tmp_path)
    first = path.read_bytes()
    for _ in range(3):
        refresh_outputs.refresh(path, replay_env(), tmp_path)
        assert path.read_bytes() == first


def test_without_keeping_the_same_refresh_does_change_the_file(tmp_path: Path) -> None:
    # The check above can fail: taking every new output moves the random timing each run.
    path = tmp_path / "05_x.ipynb"
    nbformat.write(notebook(TIMING_CELL), str(path))
    seen = set()
    for _ in range(4):
        refresh_outputs.refresh(path, replay_env(), tmp_path, keep=False)
        seen.add(path.read_bytes())
    assert len(seen) > 1


def test_a_real_change_in_output_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "05_x.ipynb"
    marker = tmp_path / "answer.txt"
    marker.write_text("첫 답", encoding="utf-8")
    nbformat.write(notebook(f"print(open({str(marker)!r}, encoding='utf-8').read())"), str(path))
    refresh_outputs.refresh(path, replay_env(), tmp_path)
    marker.write_text("바뀐 답", encoding="utf-8")
    refresh_outputs.refresh(path, replay_env(), tmp_path)
    assert nbformat.read(str(path), as_version=4).cells[0].outputs[0].text == "바뀐 답\n"


def test_refresh_main_reports_missing_notebooks(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(refresh_outputs, "NOTEBOOKS", tmp_path)
    assert refresh_outputs.main(["00"]) == 1
    assert "00_setup.ipynb" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------------------------


class FakeClock:
    """Each call to a timed function advances time by its own fixed cost."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.now

    def task(self, name: str, costs: list[float]):
        costs = list(costs)

        def run() -> None:
            self.calls.append(name)
            self.now += costs.pop(0)

        return run


def test_compare_interleaves_and_takes_medians() -> None:
    clock = FakeClock()
    a = clock.task("A", [3.0, 1.0, 2.0])
    b = clock.task("B", [1.0, 1.0, 10.0])
    result = harness.compare(a, b, repeats=3, clock=clock)
    assert clock.calls == ["A", "B", "B", "A", "A", "B"]
    assert result.a_times == (3.0, 1.0, 2.0) and result.b_times == (1.0, 1.0, 10.0)
    assert (result.a_median, result.b_median, result.ratio) == (2.0, 1.0, 2.0)


def test_compare_warmup_is_not_timed() -> None:
    clock = FakeClock()
    result = harness.compare(
        clock.task("A", [100.0, 1.0]),
        clock.task("B", [100.0, 2.0]),
        repeats=1,
        warmup=1,
        clock=clock,
    )
    assert (result.a_times, result.b_times) == ((1.0,), (2.0,))


def test_compare_needs_a_repeat() -> None:
    with pytest.raises(ValueError):
        harness.compare(lambda: None, lambda: None, repeats=0)


def test_figure_and_verdict() -> None:
    result = harness.Comparison((1.2,), (1.0,))
    row = harness.figure("x", "a", "b", result, target=1.3)
    assert row["ratio"] == pytest.approx(1.2)
    assert harness.verdict(row) == "met"
    assert (
        harness.verdict(
            harness.figure("x", "a", "b", harness.Comparison((2.0,), (1.0,)), target=1.3)
        )
        == "missed"
    )
    assert harness.verdict(harness.figure("x", "a", "b", None, target=1.3)) == ""
    assert harness.verdict(harness.figure("x", "a", "b", result, target="fast")) == ""


def test_bench_run_reports_a_failing_module_and_exits_zero(monkeypatch, capsys) -> None:
    monkeypatch.setattr(bench_run, "discover", lambda names: ["bench_does_not_exist"])
    assert bench_run.main([]) == 0
    out = capsys.readouterr().out
    assert "bench_does_not_exist" in out and "failed" in out


def test_bench_run_discovers_the_series_figure() -> None:
    assert "bench_series" in bench_run.discover([])
    assert bench_run.discover(["series"]) == ["bench_series"]


def test_bench_table_shows_unmeasured_figures() -> None:
    rows = [
        harness.figure("a", "A", "B", harness.Comparison((1.1,), (1.0,)), target=1.3),
        harness.figure("b", "A", "B", None, target=1.3, note="아직 없습니다"),
    ]
    text = bench_run.format_rows(rows)
    assert "1.10×" in text and "≤ 1.30×" in text and "met" in text and "아직 없습니다" in text
    assert "1.10 s" in text
    assert [bench_run._seconds(v) for v in (0.0012345, 0.0000123)] == ["1.23 ms", "12.3 µs"]


def test_series_figure_says_when_there_are_no_notebooks(tmp_path: Path, monkeypatch) -> None:
    from bench import bench_series

    monkeypatch.setattr(bench_series, "NOTEBOOKS", tmp_path)
    [row] = bench_series.figures()
    assert row["ratio"] is None and "없습니다" in row["note"]
    assert row["target"] == 1.3


# ---------------------------------------------------------------------------------------------
# passes (make test)
# ---------------------------------------------------------------------------------------------


def test_the_learner_pass_has_no_keys_and_no_lab_settings() -> None:
    from tools.passes import learner_env

    base = {
        "PATH": "/bin",
        "OPENAI_API_KEY": "x",
        "HF_TOKEN": "y",
        "LLM_LAB_MODE": "replay",
        "LLM_LAB_REPLAY_SPEED": "0",
        "LLM_LAB_REPLAY_STRICT": "1",
    }
    assert learner_env(base) == {"PATH": "/bin"}


def test_the_learner_pass_runs_a_copy_far_from_any_dotenv(tmp_path: Path) -> None:
    from helpers.keys import find_dotenv
    from tools.passes import make_pass

    learner = make_pass("learner", tmp_path)
    assert (learner.cwd / "notebooks" / "00_setup.ipynb").is_file()
    assert learner.cwd.is_relative_to(tmp_path) and find_dotenv(learner.cwd) is None
    strict = make_pass("strict", tmp_path)
    assert strict.env["LLM_LAB_REPLAY_SPEED"] == "0" and strict.env["LLM_LAB_REPLAY_STRICT"] == "1"


def test_passes_fail_when_one_pass_fails(monkeypatch, capsys) -> None:
    from tools import passes

    def fake(name: str, scratch: Path) -> passes.Pass:
        code = (
            "print('1 passed')" if name == "unit" else "import sys; print('1 failed'); sys.exit(1)"
        )
        return passes.Pass(name, [sys.executable, "-c", code], dict(os.environ), scratch)

    monkeypatch.setattr(passes, "make_pass", fake)
    assert passes.main(["unit", "strict"]) == 1
    out = capsys.readouterr().out
    assert "===== strict: 실패 / FAILED" in out and "| unit | 통과 |" in out


def test_an_html_only_change_is_taken(tmp_path: Path) -> None:
    """A styled table can print the same text while its HTML changed (a hidden column)."""
    from tools.refresh_outputs import reads_the_same

    def shown(html: str) -> list:
        return [new_output("display_data", data={"text/plain": "<표>", "text/html": html})]

    assert reads_the_same(shown("<td>0.41</td>"), shown("<td>0.58</td>"))
    assert not reads_the_same(shown("<th>모델</th><td>a</td>"), shown("<td>a</td>"))


# ---------------------------------------------------------------------------------------------
# run_series for instructors: replay settings, unknown parameters, the output folder
# ---------------------------------------------------------------------------------------------


def one_lesson_series(tmp_path: Path, monkeypatch, *sources: str) -> Lesson:
    """A series of one lesson, ``05_x.ipynb`` in ``tmp_path/notebooks``, whose first cell is
    the ``parameters`` cell."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = notebook(*sources)
    nb.cells[0].metadata["tags"] = ["parameters"]
    lesson = Lesson("05", "05_x.ipynb", "x", "y")
    nbformat.write(nb, str(folder / lesson.file))
    monkeypatch.setattr(run_series, "NOTEBOOKS", folder)
    monkeypatch.setattr(run_series, "load_lessons", lambda: [lesson])
    return lesson


def test_kernel_environment_keeps_the_callers_replay_settings() -> None:
    caller = {
        "PATH": "/usr/bin",
        "OPENAI_API_KEY": "sk-test",
        "HF_TOKEN": "hf_test",
        "LLM_LAB_REPLAY_STRICT": "1",
        "LLM_LAB_REPLAY_SPEED": "0.5",
    }
    env = run_series.kernel_environment("replay", caller)
    assert env["LLM_LAB_REPLAY_STRICT"] == "1" and env["LLM_LAB_REPLAY_SPEED"] == "0.5"
    assert env["LLM_LAB_MODE"] == "replay" and env["PATH"] == "/usr/bin"
    assert "OPENAI_API_KEY" not in env and "HF_TOKEN" not in env
    plain = run_series.kernel_environment("replay", {"PATH": "/usr/bin"})
    assert plain["LLM_LAB_REPLAY_SPEED"] == "0" and "LLM_LAB_REPLAY_STRICT" not in plain
    live = run_series.kernel_environment("live", caller)
    assert live["LLM_LAB_MODE"] == "live" and live["OPENAI_API_KEY"] == "sk-test"


def test_strict_replay_reaches_the_kernels_and_is_shown(tmp_path, monkeypatch, capsys) -> None:
    """``LLM_LAB_REPLAY_STRICT=1 make run`` used to be dropped by an ``os.environ.clear()``."""
    lesson = one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'")
    monkeypatch.setenv("LLM_LAB_REPLAY_STRICT", "1")
    monkeypatch.setenv("LLM_LAB_REPLAY_SPEED", "0.25")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-seen")
    seen: dict[str, str] = {}

    def fake_run(lesson_, out_dir, parameters, notebooks=None):
        seen.update(os.environ)
        return run_series.Row(lesson_, "ok", 0.1, {"openai": "replay"})

    monkeypatch.setattr(run_series, "run_lesson", fake_run)
    assert run_series.main(["--out", str(tmp_path / "build")]) == 0
    assert seen["LLM_LAB_REPLAY_STRICT"] == "1"
    assert seen["LLM_LAB_REPLAY_SPEED"] == "0.25"
    assert seen["LLM_LAB_MODE"] == "replay" and "PATH" in seen
    assert "OPENAI_API_KEY" not in seen
    out = capsys.readouterr().out
    assert out.count("LLM_LAB_REPLAY_STRICT=1, LLM_LAB_REPLAY_SPEED=0.25") == 2  # header, table
    assert lesson.file in out
    assert os.environ["OPENAI_API_KEY"] == "sk-never-seen"  # the caller's environment is back


def test_strict_replay_setting_reaches_a_real_kernel(tmp_path, monkeypatch) -> None:
    """End to end: the kernel really gets the caller's strict setting."""
    one_lesson_series(
        tmp_path,
        monkeypatch,
        "MODE = 'auto'",
        "import os\nassert os.environ.get('LLM_LAB_REPLAY_STRICT') == '1', 'not strict'",
    )
    monkeypatch.setenv("LLM_LAB_REPLAY_STRICT", "1")
    assert run_series.main(["--out", str(tmp_path / "build")]) == 0


def test_a_parameter_the_lesson_lacks_is_named_in_a_warning(tmp_path, monkeypatch, capsys):
    lesson = one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'\nOPENAI_MODEL = 'gpt-x'")
    assert run_series.unknown_parameters(
        lesson, {"MODE": "replay", "OPENAI_MODLE": "y"}, tmp_path / "notebooks"
    ) == ["OPENAI_MODLE"]
    monkeypatch.setattr(
        run_series, "run_lesson", lambda les, *a, **k: run_series.Row(les, "ok", 0.1)
    )
    code = run_series.main(
        ["-p", "OPENAI_MODLE", "gpt-5.4", "-p", "OPENAI_MODEL", "gpt-5.4", "--out", str(tmp_path)]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "경고" in err and lesson.file in err and "OPENAI_MODLE" in err
    assert "OPENAI_MODEL," not in err and "OPENAI_MODEL이" not in err


def test_no_warning_when_every_parameter_is_declared(tmp_path, monkeypatch, capsys) -> None:
    one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'\nOPENAI_MODEL = 'gpt-x'")
    monkeypatch.setattr(
        run_series, "run_lesson", lambda les, *a, **k: run_series.Row(les, "ok", 0.1)
    )
    assert run_series.main(["-p", "OPENAI_MODEL", "gpt-5.4", "--out", str(tmp_path)]) == 0
    assert "경고" not in capsys.readouterr().err


def test_an_output_folder_that_cannot_be_created_still_prints_the_table(
    tmp_path, monkeypatch, capsys
) -> None:
    lesson = one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'")
    blocker = tmp_path / "build"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    assert run_series.main(["--out", str(blocker / "sub")]) == 1
    captured = capsys.readouterr()
    assert "결과 폴더" in captured.err and "만들 수 없습니다" in captured.err
    assert "번호 No." in captured.out and lesson.file in captured.out  # the table
    assert "실패 failed" in captured.out


def test_a_read_only_output_folder_is_a_korean_message(tmp_path, monkeypatch, capsys) -> None:
    one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'")
    out = tmp_path / "build"
    out.mkdir()

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr(run_series.tempfile, "TemporaryFile", read_only)
    assert run_series.main(["--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "쓸 수 없습니다" in captured.err and "Permission denied" not in captured.out
    assert "번호 No." in captured.out


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores permission bits"
)
def test_a_really_read_only_output_folder(tmp_path, monkeypatch, capsys) -> None:
    one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'")
    out = tmp_path / "build"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert run_series.main(["--out", str(out)]) == 1
    finally:
        out.chmod(0o755)
    captured = capsys.readouterr()
    assert "쓸 수 없습니다" in captured.err and "번호 No." in captured.out


def test_run_lesson_turns_a_permission_error_into_korean(tmp_path, monkeypatch) -> None:
    import papermill

    lesson = one_lesson_series(tmp_path, monkeypatch, "MODE = 'auto'")
    target = tmp_path / "build" / lesson.file

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(papermill, "execute_notebook", denied)
    row = run_series.run_lesson(lesson, tmp_path / "build", {}, tmp_path / "notebooks")
    assert row.status == "failed"
    assert "권한이 없습니다" in row.error and str(target) in row.error
    assert "PermissionError" not in row.error


def test_each_lesson_runs_in_its_own_folder_so_the_repository_dotenv_is_found(
    tmp_path, monkeypatch
) -> None:
    """papermill's default cwd is the caller's; run_series passes the notebook's folder."""
    (tmp_path / ".env").write_text("LLM_LAB_TEST=1\n", encoding="utf-8")
    lesson = one_lesson_series(
        tmp_path,
        monkeypatch,
        "MODE = 'auto'",
        f"from pathlib import Path\nassert (Path.cwd().parent / '.env').exists()\n"
        f"assert Path.cwd() == Path({str(tmp_path / 'notebooks')!r})",
    )
    monkeypatch.chdir(tmp_path.parent)
    row = run_series.run_lesson(lesson, tmp_path / "build", {}, tmp_path / "notebooks")
    assert row.ok, row.error
