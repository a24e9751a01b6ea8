"""`tools.drift`: snapshot, diffs, output normalization, report rendering, the notebook runner."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import drift

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "data" / "sdk_snapshot.json"


def make_snapshot() -> dict:
    """A small hand-made snapshot with one entry in every category."""
    return {
        "schema": drift.SCHEMA,
        "python": "3.11.7",
        "versions": {"openai": "3.57.0", "anthropic": "2.15.0", "huggingface-hub": "2.4.0"},
        "distributions": {"openai": "3.57.0", "anthropic": "2.15.0", "rich": "14.0.0"},
        "models": {
            "anthropic.Model": {"status": "ok", "ids": ["claude-haiku-4-5", "claude-sonnet-4-6"]},
            "openai.ChatModel": {"status": "ok", "ids": ["gpt-5.4", "gpt-5.4-mini"]},
        },
        "deprecations": {
            "source": "helpers.catalog.sdk_deprecations",
            "models": {
                "gpt-4": {
                    "provider": "openai",
                    "shutdown": "2026-10-23",
                    "raw_date": "2026-10-23",
                    "detail": "Announced shutdown date: 2026-10-23.",
                },
                "claude-opus-4-5": {
                    "provider": "anthropic",
                    "shutdown": "2027-01-22",
                    "raw_date": "January 22nd, 2027",
                    "detail": "end-of-life January 22nd, 2027",
                },
            },
        },
        "signatures": {
            "anthropic.resources.messages.Messages.create": {
                "status": "ok",
                "params": [
                    {
                        "name": "self",
                        "kind": "POSITIONAL_OR_KEYWORD",
                        "default": None,
                        "annotation": "",
                    },
                    {
                        "name": "max_tokens",
                        "kind": "KEYWORD_ONLY",
                        "default": None,
                        "annotation": "int",
                    },
                    {
                        "name": "metadata",
                        "kind": "KEYWORD_ONLY",
                        "default": "<Omit>",
                        "annotation": "MetadataParam | Omit",
                    },
                ],
            }
        },
    }


# --- diffs: every category reports a change, and an identical pair reports nothing -----------


def test_identical_snapshots_report_nothing():
    diff = drift.diff_snapshots(make_snapshot(), make_snapshot())
    assert not drift.has_snapshot_changes(diff)
    assert diff["other_versions"] == []


def test_version_change_and_removed_distribution():
    new = make_snapshot()
    new["versions"]["anthropic"] = "2.16.0"
    new["versions"]["openai"] = None
    diff = drift.diff_snapshots(make_snapshot(), new)
    assert diff["versions"] == [("anthropic", "2.15.0", "2.16.0"), ("openai", "3.57.0", None)]
    assert drift.has_snapshot_changes(diff)


def test_other_distributions_exclude_the_key_ones():
    new = make_snapshot()
    new["distributions"]["rich"] = "15.0.0"
    new["distributions"]["openai"] = "9.9.9"  # key distributions are reported from "versions"
    diff = drift.diff_snapshots(make_snapshot(), new)
    assert diff["other_versions"] == [("rich", "14.0.0", "15.0.0")]


def test_model_ids_added_and_removed():
    new = make_snapshot()
    new["models"]["anthropic.Model"]["ids"] = ["claude-haiku-4-5", "claude-sonnet-5"]
    diff = drift.diff_models(make_snapshot()["models"], new["models"])
    assert diff == {
        "anthropic.Model": {"added": ["claude-sonnet-5"], "removed": ["claude-sonnet-4-6"]}
    }


def test_model_literal_that_disappears_is_a_status_change():
    new = make_snapshot()
    new["models"]["openai.ChatModel"] = {"status": "missing", "reason": "ImportError: gone"}
    diff = drift.diff_models(make_snapshot()["models"], new["models"])
    assert diff == {
        "openai.ChatModel": {"status": ("ok", "missing"), "reason": "ImportError: gone"}
    }


def test_deprecations_added_removed_and_changed():
    old, new = make_snapshot(), make_snapshot()
    models = new["deprecations"]["models"]
    del models["gpt-4"]
    models["claude-sonnet-4-5"] = {
        "provider": "anthropic",
        "shutdown": "2026-11-30",
        "raw_date": "November 30th, 2026",
        "detail": "",
    }
    models["claude-opus-4-5"]["shutdown"] = "2027-03-01"
    diff = drift.diff_deprecations(old["deprecations"], new["deprecations"])
    assert list(diff["added"]) == ["claude-sonnet-4-5"]
    assert list(diff["removed"]) == ["gpt-4"]
    assert diff["changed"] == {"claude-opus-4-5": {"shutdown": ("2027-01-22", "2027-03-01")}}
    assert drift.diff_deprecations(old["deprecations"], old["deprecations"]) == {}


def test_signature_parameters_added_removed_and_changed():
    new = make_snapshot()
    params = new["signatures"]["anthropic.resources.messages.Messages.create"]["params"]
    params[1]["default"] = "1024"  # max_tokens no longer required
    params[2]["annotation"] = "Metadata | Omit"
    del params[2:]
    params.append(
        {"name": "temperature", "kind": "KEYWORD_ONLY", "default": "<Omit>", "annotation": "float"}
    )
    change = drift.diff_signatures(make_snapshot()["signatures"], new["signatures"])[
        "anthropic.resources.messages.Messages.create"
    ]
    assert [p["name"] for p in change["added"]] == ["temperature"]
    assert [p["name"] for p in change["removed"]] == ["metadata"]
    assert change["changed"] == {"max_tokens": {"default": (None, "1024")}}


def test_signature_kind_change_and_missing_method():
    key = "anthropic.resources.messages.Messages.create"
    new = make_snapshot()
    new["signatures"][key]["params"][1]["kind"] = "POSITIONAL_OR_KEYWORD"
    diff = drift.diff_signatures(make_snapshot()["signatures"], new["signatures"])
    assert diff[key] == {
        "changed": {"max_tokens": {"kind": ("KEYWORD_ONLY", "POSITIONAL_OR_KEYWORD")}}
    }

    gone = make_snapshot()
    gone["signatures"][key] = {"status": "missing", "reason": "AttributeError: stream"}
    diff = drift.diff_signatures(make_snapshot()["signatures"], gone["signatures"])
    assert diff == {key: {"status": ("ok", "missing"), "reason": "AttributeError: stream"}}
    # a method missing on both sides is not drift
    assert drift.diff_signatures(gone["signatures"], copy.deepcopy(gone)["signatures"]) == {}


def test_past_shutdown_uses_the_as_of_date():
    snap = make_snapshot()
    before = drift.past_shutdown({"lock": snap}, dt.date(2026, 10, 22))
    on_the_day = drift.past_shutdown({"lock": snap}, dt.date(2026, 10, 23))
    assert before == []
    assert on_the_day == [("gpt-4", "openai", "2026-10-23", ["lock"])]


# --- snapshot helpers -------------------------------------------------------------------------


def test_literal_ids_unwraps_unions_and_nested_literals():
    from typing import Literal, Union

    inner = Literal["b", "a"]
    annotation = Union[str, inner, Literal["c"]]  # noqa: UP007 - the SDKs spell it this way
    assert drift.literal_ids(annotation) == ["a", "b", "c"]
    assert drift.literal_ids(Literal["x"] | str) == ["x"]
    assert drift.literal_ids(str) == []


def test_describe_default_masks_sentinels_and_addresses():
    import inspect

    class NotGiven:
        pass

    class Thing:
        pass

    assert drift.describe_default(inspect.Parameter.empty) is None
    assert drift.describe_default(None) == "None"
    assert drift.describe_default(NotGiven()) == "<NotGiven>"
    assert "0x…" in drift.describe_default(Thing())
    assert drift.describe_default(False) == "False"


def test_signature_of_a_missing_module_is_an_entry_not_a_crash():
    entry = drift.signature_of("no_such_module_for_drift", "Thing.create")
    assert entry["status"] == "missing"
    assert "ModuleNotFoundError" in entry["reason"]


def test_snapshot_of_this_interpreter_has_the_expected_keys():
    snap = drift.take_snapshot()
    assert set(snap) == {
        "schema",
        "python",
        "versions",
        "distributions",
        "models",
        "deprecations",
        "signatures",
    }
    assert set(snap["versions"]) == set(drift.KEY_DISTRIBUTIONS)
    assert set(snap["models"]) == set(drift.MODEL_LITERALS)
    assert set(snap["signatures"]) == set(drift.METHODS)
    assert snap["models"]["anthropic.Model"]["status"] == "ok"
    assert snap["models"]["anthropic.Model"]["ids"], "anthropic.Model has no ids"
    create = snap["signatures"]["anthropic.resources.messages.Messages.create"]
    names = {p["name"]: p for p in create["params"]}
    assert names["max_tokens"]["default"] is None  # required
    assert all("0x" not in (p["default"] or "") for p in create["params"])
    some = next(iter(snap["deprecations"]["models"].values()))
    assert set(some) == {"provider", "shutdown", "raw_date", "detail"}
    json.dumps(snap)  # serializable as is


@pytest.mark.upstream
def test_committed_baseline_matches_this_interpreter():
    """Fails when the locked versions move without `snapshot --out` being rerun (and in drift)."""
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    diff = drift.diff_snapshots(baseline, drift.take_snapshot())
    assert not drift.has_snapshot_changes(diff), (
        f"{BASELINE.name} is stale: python -m tools.drift snapshot --out {BASELINE}"
    )


def test_write_text_atomic_and_json_format(tmp_path):
    target = tmp_path / "sub" / "snap.json"
    drift.write_text_atomic(target, drift.dump_json({"b": "한국어", "a": 1}))
    assert target.read_text(encoding="utf-8") == '{\n  "a": 1,\n  "b": "한국어"\n}\n'
    assert [p.name for p in target.parent.iterdir()] == ["snap.json"]  # no temp file left


# --- subprocess environment and pytest ----------------------------------------------------------


def test_keyless_env_removes_keys_and_sets_strict_replay():
    env = drift.keyless_env(
        {"OPENAI_API_KEY": "sk-x", "HF_TOKEN": "hf_x", "ANTHROPIC_API_KEY": "a", "PATH": "/bin"}
    )
    assert not {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN"} & set(env)
    assert env["LLM_LAB_MODE"] == "replay"
    assert env["LLM_LAB_REPLAY_STRICT"] == "1"
    assert env["LLM_LAB_REPLAY_SPEED"] == "0"
    assert env["PATH"] == "/bin"
    assert str(drift.ROOT) in env["PYTHONPATH"].split(":")


def test_pytest_command_selects_upstream_tests_despite_addopts(tmp_path, monkeypatch):
    """pyproject may deselect `upstream` in addopts for `make test`; drift must run them."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # nbmake & co. cost seconds here
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\naddopts = \"-m 'not upstream'\"\n"
        'markers = ["upstream: checks installed upstream data"]\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import pytest\n\n@pytest.mark.upstream\ndef test_up():\n    assert False\n\n"
        "def test_plain():\n    pass\n"
    )
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "1 deselected" in plain.stdout  # the addopts really deselect
    proc = subprocess.run(
        drift.pytest_command(sys.executable), cwd=tmp_path, capture_output=True, text=True
    )
    run = drift.parse_pytest_output(proc.stdout)
    assert run.counts == {"failed": 1, "passed": 1}
    assert run.failed == ["tests/test_x.py::test_up"]


def test_parse_pytest_output_counts_and_ids():
    text = (
        "..F.E\n"
        "=========================== short test summary info ===========================\n"
        "FAILED tests/test_catalog.py::test_deprecations[claude] - AssertionError: x\n"
        "ERROR tests/test_keys.py::test_dotenv - RuntimeError\n"
        "2 failed, 310 passed, 3 skipped, 1 error in 41.20s\n"
    )
    run = drift.parse_pytest_output(text)
    assert run.counts == {"failed": 2, "passed": 310, "skipped": 3, "error": 1}
    assert run.failed == [
        "tests/test_catalog.py::test_deprecations[claude]",
        "tests/test_keys.py::test_dotenv",
    ]
    assert run.complete
    assert not drift.parse_pytest_output("ModuleNotFoundError: No module named pytest").complete


# --- notebook outputs ------------------------------------------------------------------------------


def test_normalize_output_masks_noise_but_keeps_models_and_dates():
    text = (
        "\x1b[31m응답\x1b[0m 시간: 0.01초, 1.23s, 45 ms\n"
        "<openai.OpenAI object at 0x7f3a2b1c9d90> id=140234567890123\n"
        "속도: 123.4 토큰/초, 55 tok/s\n"
        "요청 id 6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b\n"
        "리플레이 서버 http://127.0.0.1:39789 · 픽스처\n"
        "포트 47810이(가) 사용 중이어서 빈 포트를 골랐습니다.\n"
        "OpenAI    gpt-4.1-mini  요약  0.614548  0.074175    156     83  $0.000491\n"
        "anthropic 2.15.0 >=2.15, Python 3.11.7, 모델 claude-sonnet-4-5 종료일 2026-11-30, 3 seconds   \n"
    )
    assert drift.normalize_output(text) == (
        "응답 시간: <시간>, <시간>, <시간>\n"
        "<openai.OpenAI object at 0x…> id=…\n"
        "속도: <속도>, <속도>\n"
        "요청 id <uuid>\n"
        "리플레이 서버 http://127.0.0.1:<port> · 픽스처\n"
        "OpenAI gpt-4.1-mini 요약 <수> <수> 156 83 $0.000491\n"
        "anthropic 2.15.0 >=2.15, Python 3.11.7, 모델 claude-sonnet-4-5 종료일 2026-11-30, <시간>"
    )


def test_normalize_output_keeps_real_differences():
    pairs = [
        ("모델: claude-sonnet-4-6 (0.02초)", "모델: claude-sonnet-4-5 (0.91초)"),
        ("anthropic SDK 2.15.0", "anthropic SDK 2.14.0"),
        ("설치된 SDK의 모델 목록: 20개", "설치된 SDK의 모델 목록: 22개"),
        ("입력 토큰 156", "입력 토큰 161"),
    ]
    for old, new in pairs:
        assert drift.normalize_output(old) != drift.normalize_output(new), (old, new)
    assert drift.normalize_output("걸린 시간 0.02초") == drift.normalize_output("걸린 시간 0.91초")
    assert drift.normalize_output("OpenAI  9.581") == drift.normalize_output("OpenAI 29.654")


def _run(cells: list[dict], error: str = "") -> dict:
    return {"error": error, "seconds": 1.0, "cells": cells}


def _cell(index, status="ok", text="", error="", first="print('x')"):
    return {"index": index, "first_line": first, "status": status, "error": error, "text": text}


def test_compare_runs_finds_new_failures_and_output_changes():
    lock = _run([_cell(2, text="a\n"), _cell(3, text="t 0.1초\n"), _cell(5, text="ok\n"), _cell(7)])
    new = _run(
        [
            _cell(2, text="b\n"),
            _cell(3, text="t 0.7초\n"),
            _cell(5, "error", error="TypeError: unexpected keyword argument 'temperature'"),
            _cell(7),
        ]
    )
    comp = drift.compare_runs("03.ipynb", lock, new)
    kinds = [(c.index, c.kind) for c in comp.changes]
    assert kinds == [(2, "output"), (5, "fails")]
    assert "-a" in comp.changes[0].detail and "+b" in comp.changes[0].detail
    assert "temperature" in comp.changes[1].detail
    assert drift.compare_runs("03.ipynb", lock, lock).changes == []


def test_short_diff_is_capped():
    old = "\n".join(f"line {i}" for i in range(100))
    new = "\n".join(f"LINE {i}" for i in range(100))
    diff = drift.short_diff(old, new, cap=10)
    assert len(diff.splitlines()) == 11
    assert "more lines" in diff.splitlines()[-1]


def test_summarize_cells_statuses():
    cells = [
        {"cell_type": "markdown", "source": "# 제목"},
        {"cell_type": "code", "source": "\nprint(1)", "execution_count": 1, "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "1\n"}]},
        {"cell_type": "code", "source": "1/0", "execution_count": 2, "outputs": [
            {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero"}]},
        {"cell_type": "code", "source": "x", "execution_count": None, "outputs": []},
    ]  # fmt: skip
    summary = drift.summarize_cells(cells, notebook_failed=True)
    assert [(c["index"], c["status"]) for c in summary] == [(1, "ok"), (2, "error"), (3, "not-run")]
    assert summary[0]["first_line"] == "print(1)"
    assert summary[1]["error"] == "ZeroDivisionError: division by zero"


def test_execute_runner_on_a_tiny_notebook(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, sys\nprint(os.getcwd() == os.path.dirname(os.path.abspath('x')))"
        ),
        nbformat.v4.new_code_cell("print(sys.executable)"),
        nbformat.v4.new_code_cell("raise ValueError('드리프트')"),
        nbformat.v4.new_code_cell("print('after')"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out.json"
    assert drift.main(["execute", str(path), str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["error"] == ""
    statuses = [c["status"] for c in result["cells"]]
    assert statuses == ["ok", "ok", "error", "ok"], result
    assert result["cells"][1]["text"].strip() == sys.executable  # the kernel is this interpreter
    assert result["cells"][2]["error"] == "ValueError: 드리프트"
    assert result["cells"][3]["text"] == "after\n"


# --- report rendering ------------------------------------------------------------------------------


def _inputs(drift_snapshot, **extra) -> drift.ReportInputs:
    return drift.ReportInputs(
        as_of=dt.date(2026, 12, 1),
        lock_python="/lock/bin/python",
        drift_python="/drift/bin/python",
        baseline_path="tests/data/sdk_snapshot.json",
        baseline=make_snapshot(),
        drift=drift_snapshot,
        **extra,
    )


def test_report_without_changes_says_so_in_korean_and_english():
    text = drift.render_report(_inputs(make_snapshot()))
    for heading in (
        "## 버전 변화 / Version changes",
        "## 모델 목록 변화 / Model literal changes",
        "## 지원 중단(deprecation) 목록 변화 / Deprecation changes",
        "## 메서드 시그니처 변화 / Signature changes",
        "## 단위 테스트 (최신 환경, upstream 포함) / Unit tests in the drift venv",
        "## 노트북 실행 비교 (고정 vs 최신) / Notebooks: lock vs drift",
    ):
        assert heading in text
    assert text.count(drift.NOTHING) == 4  # key versions, models, deprecations, signatures
    assert drift.INCOMPLETE not in text
    assert "`gpt-4` | openai | 2026-10-23" in text  # past its shutdown as of 2026-12-01


def test_report_shows_each_change():
    new = make_snapshot()
    new["versions"]["anthropic"] = "2.14.0"
    new["models"]["anthropic.Model"]["ids"].append("claude-sonnet-4-5")
    new["deprecations"]["models"]["claude-sonnet-4-5"] = {
        "provider": "anthropic",
        "shutdown": "2026-11-30",
        "raw_date": "November 30th, 2026",
        "detail": "",
    }
    params = new["signatures"]["anthropic.resources.messages.Messages.create"]["params"]
    params.append(
        {"name": "top_k", "kind": "KEYWORD_ONLY", "default": "<Omit>", "annotation": "int | Omit"}
    )
    run = drift.PytestRun(
        counts={"failed": 1, "passed": 9}, failed=["tests/test_catalog.py::test_x"]
    )
    comp = drift.NotebookComparison(
        name="03_anthropic_claude.ipynb",
        changes=[drift.CellChange(12, "client.messages.create(", "output", "-a\n+b")],
    )
    lesson = frozenset({"claude-sonnet-4-5"})
    text = drift.render_report(_inputs(new, tests=run, notebooks=[comp], lesson_models=lesson))
    assert "| anthropic | `2.15.0` | `2.14.0` |" in text
    assert "- 추가됨 / added: `claude-sonnet-4-5`" in text
    row = "| anthropic | 추가 / added | — | 2026-11-30 (November 30th, 2026) |"
    assert f"| `claude-sonnet-4-5`{drift.LESSON_FLAG} {row}" in text
    assert "추가된 매개변수 / added: `top_k` (KEYWORD_ONLY, `int \\| Omit`" in text
    assert "`tests/test_catalog.py::test_x`" in text
    assert "셀 [12] 출력 차이 / output differs: `client.messages.create(`" in text
    assert "```diff\n-a\n+b\n```" in text
    assert "최신 drift |" in text  # claude-sonnet-4-5 past shutdown, listed only by the drift SDK


def test_report_for_a_broken_drift_venv_is_marked_incomplete(tmp_path):
    inputs = _inputs(None)
    inputs.drift, problem = drift.snapshot_in(str(tmp_path / "missing" / "python"))
    inputs.problems.append(problem)
    text = drift.render_report(inputs)
    assert text.startswith("# 최신 릴리스 드리프트 보고서 / Upstream drift report")
    assert drift.INCOMPLETE in text
    assert "인터프리터" in text and "없습니다" in text


def test_report_command_exits_2_on_an_unreadable_baseline(tmp_path, capsys):
    code = drift.main(
        ["report", "--drift-python", sys.executable, "--baseline", str(tmp_path / "none.json")]
    )
    assert code == 2
    assert "기준선" in capsys.readouterr().err
