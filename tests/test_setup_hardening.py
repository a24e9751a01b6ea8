"""helpers.setup() never crashes or hangs on a learner's environment, and never leaks a key.

Keyless runs ignore a maintainer's `.env`, another service's key is refused before it is sent,
malformed settings fall back with a Korean note, Colab secrets are read in bounded time, and a
failed connection is explained in Korean. Nothing here reaches a real API.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import types

import anthropic
import httpx2
import openai
import pytest
from huggingface_hub import InferenceClient

import helpers
from helpers import keys
from helpers.explain import explain
from helpers.keys import find_key, key_problem
from helpers.providers import PROVIDERS
from tools.lessons import replay_env

OPENAI_KEY = "sk-proj-" + "o" * 40  # key-shaped only inside this test process
ANTHROPIC_KEY = "sk-ant-api03-" + "a" * 40
HF_KEY = "hf_" + "h" * 34


@pytest.fixture(autouse=True)
def _no_switches(monkeypatch):
    for name in ("LLM_LAB_DOTENV", "LLM_LAB_REPLAY_PORT"):
        monkeypatch.delenv(name, raising=False)
    if hasattr(keys, "ColabSecrets"):  # a lookup stuck in an earlier test is not this test's
        monkeypatch.setattr(keys.ColabSecrets, "_stuck", None)


def _run_bounded(fn, limit: float = 10.0):
    """fn() in a thread; fails (instead of hanging the suite) when it takes longer than `limit`."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            box["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"setup() did not return within {limit} s"
    if "error" in box:
        raise box["error"]
    return box["value"], time.monotonic() - started


# --- 1. keyless runs ignore .env -------------------------------------------------------------


def test_replay_env_switches_off_dotenv(clean_env, monkeypatch):
    (clean_env / ".env").write_text(
        f"OPENAI_API_KEY={OPENAI_KEY}\nANTHROPIC_API_KEY={ANTHROPIC_KEY}\nHF_TOKEN={HF_KEY}\n"
        "LLM_LAB_MODE=live\n"
    )
    notebooks = clean_env / "repo" / "notebooks"
    notebooks.mkdir(parents=True)
    monkeypatch.chdir(notebooks)
    env = replay_env()
    assert env["LLM_LAB_DOTENV"] == "0"
    for name in ("LLM_LAB_DOTENV", "LLM_LAB_MODE", "LLM_LAB_REPLAY_SPEED"):
        monkeypatch.setenv(name, env[name])
    status = helpers.setup(quiet=True)
    text = str(status)
    assert all(status.mode(name) == "replay" for name in PROVIDERS)
    assert ".env" not in text and str(clean_env) not in text
    assert all(not st.key.found and st.key.source is None for st in status.providers.values())
    assert all(v["key_source"] is None for v in status.to_metadata().values())
    assert "…" not in text, "no masked key"
    assert os.environ["OPENAI_API_KEY"] == PROVIDERS["openai"].placeholder


def test_switch_alone_stops_dotenv_keys_and_settings(clean_env, monkeypatch):
    (clean_env / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\nLLM_LAB_REPLAY_SPEED=0.25\n")
    monkeypatch.setenv("LLM_LAB_DOTENV", "0")
    assert not find_key(PROVIDERS["openai"]).found
    status = helpers.setup(quiet=True)
    assert status.mode("openai") == "replay" and status.speed == 1.0


def test_replay_mode_does_not_look_keys_up(clean_env, monkeypatch):
    (clean_env / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\nLLM_LAB_MODE=replay\n")
    status = helpers.setup(quiet=True)
    assert status.mode("openai") == "replay"
    assert not status.providers["openai"].key.found
    assert ".env" not in str(status), "replay needs no key, so no key source is shown"


# --- 2. another provider's key is refused ----------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "value", "owner"),
    [
        ("openai", ANTHROPIC_KEY, "Anthropic"),
        ("openai", HF_KEY, "Hugging Face"),
        ("anthropic", OPENAI_KEY, "OpenAI"),
        ("anthropic", "sk-" + "k1" * 20, "OpenAI"),
        ("anthropic", HF_KEY, "Hugging Face"),
        ("huggingface", ANTHROPIC_KEY, "Anthropic"),
        ("huggingface", OPENAI_KEY, "OpenAI"),
    ],
)
def test_key_of_another_provider_is_refused(slot, value, owner):
    problem = key_problem(PROVIDERS[slot], value)
    assert problem and PROVIDERS[slot].key_env in problem and f"{owner} 키" in problem


def test_anthropic_key_in_openai_slot_is_never_sent_live(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", OPENAI_KEY)
    status = helpers.setup(mode="live", quiet=True)
    for name, other in (("openai", "ANTHROPIC_API_KEY"), ("anthropic", "OPENAI_API_KEY")):
        assert status.mode(name) == "replay"
        notes = " ".join(status.providers[name].notes)
        assert PROVIDERS[name].key_env in notes and other in notes
    assert os.environ["OPENAI_API_KEY"] == PROVIDERS["openai"].placeholder
    assert os.environ["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert key_problem(PROVIDERS["openai"], OPENAI_KEY) is None
    assert key_problem(PROVIDERS["anthropic"], ANTHROPIC_KEY) is None


# --- 3. malformed values: a Korean note and the default, never a crash -----------------------


def test_nul_byte_in_dotenv_key_is_refused(clean_env):
    (clean_env / ".env").write_bytes(b"OPENAI_API_KEY=sk-abc\x00defghijklmnopqrstuvwxyz\n")
    status = helpers.setup(quiet=True)
    assert status.mode("openai") == "replay"
    assert "제어 문자" in " ".join(status.providers["openai"].notes)


@pytest.mark.parametrize("port", ["70000", "-1", "99999999999999999999", "abc"])
def test_bad_replay_port_falls_back(clean_env, monkeypatch, port):
    import helpers.replay as replay

    monkeypatch.setattr(replay, "_server", None)  # this test starts its own server
    monkeypatch.setenv("LLM_LAB_REPLAY_PORT", port)
    status = helpers.setup(quiet=True)
    try:
        assert status.server_url and "LLM_LAB_REPLAY_PORT" in " ".join(status.messages)
        assert os.environ["LLM_LAB_REPLAY_PORT"] == port, "the learner's setting is left as is"
    finally:
        replay._server.close()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_speed_is_reported(clean_env, monkeypatch, value):
    monkeypatch.setenv("LLM_LAB_REPLAY_SPEED", value)
    status = helpers.setup(quiet=True)
    assert status.speed == 1.0 and "재생 속도" in " ".join(status.messages)
    assert helpers.setup(speed=float("nan"), quiet=True).speed == 1.0


def test_unterminated_quote_in_dotenv_is_a_korean_note(clean_env, capfd):
    (clean_env / ".env").write_text(
        f'OPENAI_API_KEY={OPENAI_KEY}\nANTHROPIC_API_KEY="sk-ant-broken\nHF_TOKEN={HF_KEY}\n'
    )
    status = helpers.setup(quiet=True)
    notes = " ".join(status.messages)
    assert "2번째 줄" in notes and "따옴표" in notes and str(clean_env / ".env") in notes
    assert "python-dotenv could not parse" not in capfd.readouterr().err
    assert status.mode("openai") == "live" and status.mode("anthropic") == "replay"


# --- 5. Colab secrets in bounded time --------------------------------------------------------


def _fake_colab(monkeypatch, get):
    colab = types.ModuleType("google.colab")
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = get
    colab.userdata = userdata
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)


def _error(name):
    return type(name, (Exception,), {})


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()  # let a blocked fake lookup end


@pytest.mark.parametrize("behaviour", ["sleep", "block", "timeout"])
def test_slow_or_blocking_colab_lookups_are_bounded(clean_env, monkeypatch, release, behaviour):
    calls = []

    def get(name):
        calls.append(name)
        if behaviour == "sleep":
            time.sleep(10)  # what the real module does outside the Colab UI
        elif behaviour == "block":
            release.wait()
        else:
            raise _error("TimeoutException")(name)
        return OPENAI_KEY

    _fake_colab(monkeypatch, get)
    status, elapsed = _run_bounded(lambda: helpers.setup(quiet=True))
    assert elapsed < 5, "bounded: about 3 s in all, not 10 s per provider"
    assert len(calls) == 1, "no more questions after the first timeout"
    assert all(status.mode(name) == "replay" for name in PROVIDERS)
    text = " ".join(status.messages)
    assert "시간이 너무 오래 걸려" in text and "노트북 액세스" in text
    if behaviour == "block":  # a second setup() does not wait again for the stuck lookup
        again, elapsed = _run_bounded(lambda: helpers.setup(quiet=True))
        assert elapsed < 1 and "시간이 너무 오래 걸려" in " ".join(again.messages)


@pytest.mark.parametrize(
    ("error", "expected"), [("SecretNotFoundError", None), ("NotebookAccessError", "노트북 액세스")]
)
def test_colab_errors_are_quick_and_korean(clean_env, monkeypatch, error, expected):
    calls = []

    def get(name):
        calls.append(name)
        raise _error(error)(name)

    _fake_colab(monkeypatch, get)
    status, elapsed = _run_bounded(lambda: helpers.setup(quiet=True))
    assert elapsed < 2 and len(calls) == 3
    notes = " ".join(n for st in status.providers.values() for n in st.notes)
    if expected:
        assert expected in notes and "OPENAI_API_KEY" in notes
    assert all(status.mode(name) == "replay" for name in PROVIDERS)


def test_colab_secret_is_still_used(clean_env, monkeypatch):
    _fake_colab(monkeypatch, lambda name: {"HF_TOKEN": HF_KEY}.get(name))
    status, _ = _run_bounded(lambda: helpers.setup(quiet=True))
    assert status.mode("huggingface") == "live" and status.mode("openai") == "replay"


# --- 6. a live call that cannot connect ------------------------------------------------------


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _connect_failures(port):
    url = f"http://127.0.0.1:{port}"
    message = [{"role": "user", "content": "안녕하세요"}]
    yield (
        "openai",
        lambda: openai.OpenAI(
            api_key=OPENAI_KEY, base_url=f"{url}/v1", max_retries=0
        ).chat.completions.create(model="gpt-5-mini", messages=message),
        openai.APIConnectionError,
    )
    yield (
        "anthropic",
        lambda: anthropic.Anthropic(
            api_key=ANTHROPIC_KEY, base_url=url, max_retries=0
        ).messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=message),
        anthropic.APIConnectionError,
    )
    yield (
        "huggingface",
        lambda: InferenceClient(token=HF_KEY, base_url=url).chat_completion(messages=message),
        httpx2.ConnectError,
    )


@pytest.mark.parametrize("index", [0, 1, 2])
def test_connection_failure_is_explained_with_the_replay_way_out(closed_port, index):
    provider, call, error_type = list(_connect_failures(closed_port))[index]
    with pytest.raises(error_type) as caught:
        call()
    diagnosis = explain(caught.value)
    assert diagnosis.kind == "connection" and diagnosis.retry
    assert "연결하지 못해" in diagnosis.what
    assert 'MODE = "replay"' in diagnosis.fix and "프록시" in diagnosis.fix
    if provider != "huggingface":
        assert diagnosis.provider == provider


# --- a live call that cannot connect, in a notebook -------------------------------------------------


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    instance = InteractiveShell.instance()
    yield instance
    instance.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _failing_call(port: int) -> str:
    base_url = f"http://127.0.0.1:{port}/v1"
    return (
        "import openai\n"
        f"openai.OpenAI(api_key='sk-test', base_url='{base_url}', max_retries=0).models.list()"
    )


def test_a_failed_live_connection_in_a_notebook_ends_with_the_korean_explanation(shell, capsys):
    from helpers import session

    assert session._explain_connection_failures(["openai", "anthropic", "huggingface"])
    result = shell.run_cell(_failing_call(_closed_port()))
    out = capsys.readouterr().out
    assert type(result.error_in_exec).__name__ == "APIConnectionError", "the cell still fails"
    assert "APIConnectionError" in out, "the usual traceback is still shown"
    assert "연결" in out and 'MODE = "replay"' in out


def test_without_the_handler_the_traceback_has_no_korean_explanation(shell, capsys):
    shell.run_cell(_failing_call(_closed_port()))
    assert 'MODE = "replay"' not in capsys.readouterr().out


def test_connection_error_types_cover_all_three_sdks():
    import anthropic
    import httpx2
    import openai

    from helpers.session import connection_error_types

    types = connection_error_types(["openai", "anthropic", "huggingface"])
    assert {openai.APIConnectionError, anthropic.APIConnectionError, httpx2.ConnectError} <= set(
        types
    )
    assert connection_error_types(["nobody"]) == ()
