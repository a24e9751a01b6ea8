"""Lesson 02 shows the paths of saved conversations without the machine's folders: messages of
`Conversation.save`/`load` give a path inside the working folder relative to it and one inside
the home folder with ``~`` (committed outputs must not show /root/... or /tmp/...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.conversation import Conversation, ConversationFileError, _shown


def test_a_path_in_the_home_folder_is_shown_with_a_tilde(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # the working folder is not inside home here
    missing = home / ".cache" / "없는_대화.json"
    with pytest.raises(FileNotFoundError) as caught:
        Conversation.load(missing)
    assert "~/.cache/없는_대화.json" in str(caught.value)
    assert str(home) not in str(caught.value)


def test_a_path_in_the_working_folder_is_shown_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broken = tmp_path / "sub" / "broken.json"
    broken.parent.mkdir()
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ConversationFileError) as caught:
        Conversation.load(broken)
    assert f": {Path('sub', 'broken.json')}." in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_other_and_relative_paths_are_shown_as_given(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert _shown(Path("chat.json")) == "chat.json"
    assert _shown(Path("/elsewhere/chat.json")) == "/elsewhere/chat.json"
