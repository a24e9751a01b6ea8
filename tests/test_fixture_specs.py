"""`tools.fixtures` refuses a broken spec before it touches any fixture.

A 0-byte spec is what an interrupted save leaves behind; `build` used to read it as "no entries",
delete every authored fixture of the lesson and report success. Other broken specs stopped with a
raw `KeyError`, `TypeError` or YAML traceback. Now each stops with a Korean message naming the
file, the entry and the field, exit status 2, and the fixtures as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import fixtures as fixture_tool

REQUEST = {
    "provider": "openai",
    "method": "POST",
    "host": "api.openai.com",
    "path": "/v1/chat/completions",
    "query": "",
    "body": {"model": "m", "messages": [{"role": "user", "content": "안녕"}]},
}


@pytest.fixture
def lesson(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A lesson 99 with a valid two-entry spec whose fixtures are built."""
    spec_dir, out_dir = tmp_path / "specs", tmp_path / "fixtures"
    monkeypatch.setattr(fixture_tool, "SPECS", spec_dir)
    monkeypatch.setattr(fixture_tool, "FIXTURES", out_dir)
    monkeypatch.setattr(fixture_tool, "ROOT", tmp_path)
    monkeypatch.setattr(fixture_tool, "notebook_for", lambda number: tmp_path / "99_demo.ipynb")
    spec = spec_dir / "99_demo.yaml"
    second = {
        **REQUEST,
        "body": {**REQUEST["body"], "messages": [{"role": "user", "content": "b"}]},
    }
    fixture_tool.save_spec(
        spec,
        [
            {"name": "01-a", "request": REQUEST, "answer": "네"},
            {"name": "02-b", "request": second, "answer": "아니요"},
        ],
    )
    assert fixture_tool.build("99") == 0
    folder = out_dir / "99_demo"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(before) == ["01-a.json", "02-b.json"]
    return spec, folder, before


def fixtures_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_an_empty_spec_stops_build_and_keeps_the_fixtures(lesson, capsys) -> None:
    spec, folder, before = lesson
    spec.write_bytes(b"")
    assert fixture_tool.build("99") == 2
    err = capsys.readouterr().err
    assert "specs/99_demo.yaml" in err and "비어 있습니다" in err
    assert "바꾸지 않았습니다" in err
    assert fixtures_in(folder) == before


def test_an_empty_spec_fails_check(lesson, capsys) -> None:
    spec, _, _ = lesson
    assert fixture_tool.check() == 0
    spec.write_text("# 주석만 남은 파일\n", encoding="utf-8")
    assert fixture_tool.check() == 2
    assert "99_demo.yaml" in capsys.readouterr().out


ENTRY_A = "- name: 01-a\n  request:\n"
REQUEST_YAML = (
    "    method: POST\n    host: api.openai.com\n    path: /v1/chat/completions\n    query: ''\n"
    "    body: {model: m, messages: [{role: user, content: 안녕}]}\n"
)

BROKEN = {
    "not-a-list": ("name: 01-a\nanswer: 네\n", ["맨 위는 항목 목록"]),
    "entry-not-a-mapping": ("- 3\n", ["항목 1번", "매핑"]),
    "missing-name": ("- request:\n" + REQUEST_YAML + "  answer: 네\n", ["항목 1번", "name"]),
    "name-not-a-string": (
        "- name: [1, 2]\n  request:\n" + REQUEST_YAML + "  answer: 네\n",
        ["항목 1번", "name", "문자열"],
    ),
    "name-is-a-path": (
        "- name: ../escape\n  request:\n" + REQUEST_YAML + "  answer: 네\n",
        ["항목 1번(../escape)", "name"],
    ),
    "missing-request": ("- name: 01-a\n  answer: 네\n", ["항목 1번(01-a)", "request"]),
    "request-not-a-mapping": (
        "- name: 01-a\n  request: POST /v1/chat\n  answer: 네\n",
        ["항목 1번(01-a)", "request", "매핑"],
    ),
    "missing-host": (
        ENTRY_A + REQUEST_YAML.replace("    host: api.openai.com\n", "") + "  answer: 네\n",
        ["항목 1번(01-a)", "request.host"],
    ),
    "body-wrong-type": (
        ENTRY_A
        + REQUEST_YAML.replace("    body: {", "    body: [{").replace("}]}\n", "}]}]\n")
        + "  answer: 네\n",
        ["항목 1번(01-a)", "request.body", "매핑"],
    ),
    "status-wrong-type": (
        ENTRY_A + REQUEST_YAML + "  answer: 네\n  status: 사백이십구\n",
        ["항목 1번(01-a)", "status", "정수"],
    ),
    "usage-wrong-type": (
        ENTRY_A + REQUEST_YAML + "  answer: 네\n  usage: 많이\n",
        ["항목 1번(01-a)", "usage"],
    ),
    "usage-field-wrong-type": (
        ENTRY_A + REQUEST_YAML + "  answer: 네\n  usage: {input: 열}\n",
        ["항목 1번(01-a)", "usage에는 reasoning"],
    ),
    "duplicate-name": (
        ENTRY_A + REQUEST_YAML + "  answer: 네\n" + ENTRY_A + REQUEST_YAML + "  answer: 네\n",
        ["항목 2번(01-a)", "항목 1번과 겹칩니다"],
    ),
    "yaml-syntax": (ENTRY_A + REQUEST_YAML + "  answer: [네\n  status: 200\n", ["YAML", "번째 줄"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_spec_is_a_korean_error_and_no_fixture_changes(lesson, capsys, case) -> None:
    spec, folder, before = lesson
    text, expected = BROKEN[case]
    spec.write_text(text, encoding="utf-8")
    assert fixture_tool.build("99") == 2
    err = capsys.readouterr().err
    assert "99_demo.yaml" in err
    for words in expected:
        assert words in err, err
    assert "Traceback" not in err
    assert fixtures_in(folder) == before
    assert fixture_tool.check() == 2
    assert "99_demo.yaml" in capsys.readouterr().out


def test_a_yaml_error_names_the_line(lesson, capsys) -> None:
    spec, _, _ = lesson
    spec.write_text("- name: 01-a\n  request: {method: POST\n  answer: 네\n", encoding="utf-8")
    assert fixture_tool.build("99") == 2
    err = capsys.readouterr().err
    assert "YAML 문법 오류" in err and "3번째 줄" in err


def test_build_without_a_spec_stops_and_keeps_the_fixtures(lesson, capsys) -> None:
    spec, folder, before = lesson
    spec.unlink()
    assert fixture_tool.build("99") == 2
    assert "spec 파일이 없습니다" in capsys.readouterr().err
    assert fixtures_in(folder) == before


def test_capture_does_not_overwrite_a_broken_spec(lesson, monkeypatch, capsys) -> None:
    spec, _, _ = lesson
    spec.write_bytes(b"")

    def must_not_run(notebook, env, allow_errors):
        raise AssertionError("the notebook must not run against a broken spec")

    monkeypatch.setattr(fixture_tool, "run_notebook", must_not_run)
    assert fixture_tool.capture("99") == 2
    assert "비어 있습니다" in capsys.readouterr().err
    assert spec.read_bytes() == b""


def test_main_exits_2_on_a_broken_spec(lesson, capsys) -> None:
    spec, folder, before = lesson
    spec.write_text("- name: 01-a\n", encoding="utf-8")
    assert fixture_tool.main(["build", "99"]) == 2
    assert "request" in capsys.readouterr().err
    assert fixtures_in(folder) == before


def test_an_explicitly_empty_list_is_a_valid_spec(lesson) -> None:
    """``[]`` is written on purpose (a lesson without requests), unlike an empty file."""
    spec, folder, _ = lesson
    spec.write_text("[]\n", encoding="utf-8")
    assert fixture_tool.build("99") == 0
    assert fixtures_in(folder) == {}


def test_unfinished_answers_are_still_reported_not_refused(lesson, capsys) -> None:
    spec, folder, before = lesson
    entries = fixture_tool.load_spec(spec)
    entries[1]["answer"] = "TODO"
    fixture_tool.save_spec(spec, entries)
    assert fixture_tool.build("99") == 1
    assert "미완성: 02-b" in capsys.readouterr().out
    assert json.loads(fixtures_in(folder)["01-a.json"]) == json.loads(before["01-a.json"])


def test_the_committed_specs_are_valid() -> None:
    for spec in sorted(fixture_tool.SPECS.glob("*.yaml")):
        assert fixture_tool.load_spec(spec), spec.name
