"""helpers.setup(): per-provider modes, what it changes in the environment, and what it leaves alone."""

from __future__ import annotations

import os

import openai
import pytest

import helpers
from helpers.providers import PROVIDERS

FAKE_OPENAI_KEY = "sk-" + "t" * 30  # shaped like a key only inside this test process
FAKE_HF_KEY = "hf_" + "t" * 34


@pytest.fixture(autouse=True)
def _dotenv_lookup_on(monkeypatch):
    """These tests read `.env` files: a keyless runner's LLM_LAB_DOTENV=0 must not leak in."""
    monkeypatch.delenv("LLM_LAB_DOTENV", raising=False)


def test_auto_without_keys_replays_every_provider(clean_env):
    status = helpers.setup(quiet=True)
    assert {name: status.mode(name) for name in PROVIDERS} == dict.fromkeys(PROVIDERS, "replay")
    assert os.environ["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert os.environ["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
    assert os.environ["OPENAI_API_KEY"] == PROVIDERS["openai"].placeholder
    openai.OpenAI()  # the canonical constructor works with no key of the learner's


def test_auto_with_one_key_runs_that_provider_live_and_leaves_it_untouched(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    status = helpers.setup(quiet=True)
    assert status.mode("openai") == "live"
    assert status.mode("anthropic") == "replay" and status.mode("huggingface") == "replay"
    assert os.environ["OPENAI_API_KEY"] == FAKE_OPENAI_KEY
    assert "OPENAI_BASE_URL" not in os.environ, "nothing of replay leaks into a live provider"
    assert FAKE_OPENAI_KEY not in str(status) and FAKE_OPENAI_KEY not in status._repr_html_()


def test_setup_twice_and_switching_modes_restores_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    first = helpers.setup(mode="replay", quiet=True)
    assert first.mode("openai") == "replay"
    assert os.environ["OPENAI_API_KEY"] == PROVIDERS["openai"].placeholder
    again = helpers.setup(mode="replay", quiet=True)
    assert again.server_url == first.server_url, "one server per process"
    helpers.setup(mode="live", quiet=True)
    assert os.environ["OPENAI_API_KEY"] == FAKE_OPENAI_KEY
    assert "OPENAI_BASE_URL" not in os.environ


def test_live_without_a_key_falls_back_to_replay_with_a_reason(clean_env):
    status = helpers.setup(mode="live", quiet=True)
    assert status.mode("anthropic") == "replay"
    assert any("ANTHROPIC_API_KEY" in note for note in status.providers["anthropic"].notes)


def test_unknown_mode_is_explained_and_auto_is_used(clean_env):
    status = helpers.setup(mode="replya", quiet=True)
    assert status.mode("openai") == "replay"
    assert any("알 수 없는 모드 'replya'" in m for m in status.messages)


def test_mode_per_provider_and_environment_variable(clean_env, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", FAKE_HF_KEY)
    status = helpers.setup(mode={"huggingface": "replay"}, quiet=True)
    assert status.mode("huggingface") == "replay"
    monkeypatch.setenv("LLM_LAB_MODE", "replay")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    assert helpers.setup(quiet=True).mode("openai") == "replay"


def test_speed_and_strict_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("LLM_LAB_REPLAY_SPEED", "0")
    monkeypatch.setenv("LLM_LAB_REPLAY_STRICT", "1")
    status = helpers.setup(quiet=True)
    assert (status.speed, status.strict) == (0.0, True)
    monkeypatch.setenv("LLM_LAB_REPLAY_SPEED", "빠르게")
    status = helpers.setup(quiet=True)
    assert status.speed == 1.0 and any("숫자가 아니어서" in m for m in status.messages)


def test_huggingface_client_factory_is_installed_only_in_replay(clean_env, monkeypatch):
    from huggingface_hub.utils import _http

    helpers.setup(mode="replay", quiet=True)
    assert _http._GLOBAL_CLIENT_FACTORY is not _http.default_client_factory
    assert os.environ["HF_TOKEN"].startswith("hf_"), "the auto-router needs an hf_ token"
    monkeypatch.setenv("HF_TOKEN", FAKE_HF_KEY)
    helpers.setup(
        mode={"huggingface": "live", "openai": "replay", "anthropic": "replay"}, quiet=True
    )
    assert _http._GLOBAL_CLIENT_FACTORY is _http.default_client_factory


def test_status_table_in_a_notebook_carries_metadata(clean_env, monkeypatch):
    published = []
    import IPython
    import IPython.display

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(
        IPython.display, "publish_display_data", lambda data, metadata: published.append(metadata)
    )
    status = helpers.setup()
    assert published and published[0]["llm_lab_status"]["openai"]["mode"] == "replay"
    status._ipython_display_()  # the cell's value right after setup() is not shown twice
    assert len(published) == 1


@pytest.mark.parametrize("value", ["", "  ", "'sk-abc'", "your-key-here"])
def test_malformed_keys_in_env_are_ignored_with_a_reason(clean_env, monkeypatch, value):
    monkeypatch.setenv("OPENAI_API_KEY", value)
    status = helpers.setup(quiet=True)
    assert status.mode("openai") == "replay"
    assert status.providers["openai"].notes


def test_environment_mode_wins_over_the_notebook_default_auto(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("LLM_LAB_MODE", "replay")
    assert helpers.setup(mode="auto", quiet=True).mode("openai") == "replay"
    assert helpers.setup(mode="live", quiet=True).mode("openai") == "live", "explicit beats env"


def test_settings_are_read_from_dotenv(clean_env):
    (clean_env / ".env").write_text("LLM_LAB_MODE=replay\nLLM_LAB_REPLAY_SPEED=0.5\n")
    status = helpers.setup(quiet=True)
    assert status.speed == 0.5 and status.mode("openai") == "replay"
