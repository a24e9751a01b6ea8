"""Key lookup: environment, .env upward, Colab secrets; masked, never printed."""

from __future__ import annotations

import sys
import types

import pytest

from helpers.keys import SOURCE_COLAB, SOURCE_ENV, find_key, mask
from helpers.providers import PROVIDERS

OPENAI = PROVIDERS["openai"]
KEY = "sk-" + "k" * 40


@pytest.fixture(autouse=True)
def _dotenv_lookup_on(monkeypatch):
    """These tests read `.env` files: a keyless runner's LLM_LAB_DOTENV=0 must not leak in."""
    monkeypatch.delenv("LLM_LAB_DOTENV", raising=False)


def test_environment_wins(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    (clean_env / ".env").write_text("OPENAI_API_KEY=sk-" + "d" * 40)
    lookup = find_key(OPENAI)
    assert (lookup.value, lookup.source) == (KEY, SOURCE_ENV)


def test_dotenv_is_found_upward_from_the_notebook_folder(clean_env):
    (clean_env / ".env").write_text(f"OPENAI_API_KEY={KEY}\n")
    notebooks = clean_env / "repo" / "notebooks"
    notebooks.mkdir(parents=True)
    lookup = find_key(OPENAI, start=notebooks)
    assert lookup.value == KEY and str(clean_env / ".env") in lookup.source


def test_dotenv_with_quotes_is_parsed_and_empty_value_reported(clean_env):
    (clean_env / ".env").write_text(f'OPENAI_API_KEY="{KEY}"\nANTHROPIC_API_KEY=\n')
    assert find_key(OPENAI).value == KEY
    empty = find_key(PROVIDERS["anthropic"])
    assert not empty.found and "비어 있습니다" in empty.problems[0]


def test_wrong_provider_key_is_reported(clean_env, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # an OpenAI-shaped key in the Anthropic slot
    lookup = find_key(PROVIDERS["anthropic"])
    assert not lookup.found and "sk-ant-" in lookup.problems[0]


def _fake_colab(monkeypatch, behaviour):
    colab = types.ModuleType("google.colab")
    userdata = types.ModuleType("google.colab.userdata")

    class SecretNotFoundError(Exception):
        pass

    class NotebookAccessError(Exception):
        pass

    class TimeoutException(Exception):
        pass

    errors = {
        "missing": SecretNotFoundError,
        "no-access": NotebookAccessError,
        "timeout": TimeoutException,
    }

    def get(name):
        if behaviour in errors:
            raise errors[behaviour](name)
        return behaviour

    userdata.get = get
    colab.userdata = userdata
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)


def test_colab_secret_is_used(clean_env, monkeypatch):
    _fake_colab(monkeypatch, KEY)
    lookup = find_key(OPENAI)
    assert (lookup.value, lookup.source) == (KEY, SOURCE_COLAB)


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [("missing", None), ("no-access", "노트북 액세스"), ("timeout", "TimeoutException")],
)
def test_colab_failures_become_korean_notes(clean_env, monkeypatch, behaviour, expected):
    _fake_colab(monkeypatch, behaviour)
    lookup = find_key(OPENAI)
    assert not lookup.found
    if expected is None:
        assert lookup.problems == []
    else:
        assert expected in " ".join(lookup.problems)


def test_mask_never_reveals_the_key():
    shown = mask(KEY)
    assert KEY not in shown and shown.startswith("sk-") and "kkkkk" not in shown
    assert mask("short") == "*****"
