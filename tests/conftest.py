"""Shared test fixtures: no network beyond loopback, a clean environment, authored exchanges."""

from __future__ import annotations

import ipaddress
import json
import socket
from functools import cache
from pathlib import Path

import pytest

from helpers import catalog
from helpers.replay.builder import build_exchange
from helpers.replay.fixture import dump_file
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore

PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "HF_TOKEN",
    "LLM_LAB_MODE",
    "LLM_LAB_REPLAY_SPEED",
    "LLM_LAB_REPLAY_STRICT",
    "LLM_LAB_CAPTURE",
    "LLM_LAB_RECORD_DIR",
    "LLM_LAB_FIXTURES",
    "LLM_LAB_DOTENV",
    "LLM_LAB_REPLAY_PORT",
)

# The installed SDKs' model and deprecation lists as the lock pins them (`make lock` rewrites it).
SDK_SNAPSHOT = Path(__file__).parent / "data" / "sdk_snapshot.json"
# Tests that compare dates take this day, never the calendar: the verdict cannot move overnight.
AS_OF = "2026-12-01"


@cache
def pinned_sdk_records() -> tuple[catalog.SdkDeprecation, ...]:
    models = json.loads(SDK_SNAPSHOT.read_text(encoding="utf-8"))["deprecations"]["models"]
    entries = [{"model": model, **fields} for model, fields in models.items()]
    return tuple(
        catalog.SdkDeprecation(
            model=e["model"],
            provider=e["provider"],
            shutdown=e.get("shutdown"),
            raw_date=e.get("raw_date"),
            detail=e.get("detail", ""),
            source=f"{e['provider']} (pinned snapshot)",
        )
        for e in entries
    )


@pytest.fixture(autouse=True)
def pinned_sdk_data(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog reads the pinned snapshot, not the installed SDKs, except in upstream tests."""
    if request.node.get_closest_marker("upstream") is None:
        monkeypatch.setattr(catalog, "sdk_records", pinned_sdk_records)


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address, *args, **kwargs):
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests may not reach the network ({host})")
    return _real_connect(self, address, *args, **kwargs)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No keys, no mode settings, and a working directory without a .env above it."""
    import helpers.session as session

    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(session, "_saved_env", {})
    monkeypatch.setattr(session, "_our_values", {})
    yield tmp_path
    # setup() may have pointed Hugging Face at a server; put its default client back.
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    set_client_factory(default_client_factory)
    session._hf_factory_installed = False


def author(folder: Path, name: str, request: dict, **spec) -> Path:
    """Write one authored fixture built from a request and an answer."""
    request = {"query": "", **request}
    path = folder / f"{name}.json"
    dump_file(build_exchange(request, {"name": name, **spec}, today="2026-11-26"), path)
    return path


def sse_payloads(events) -> list[dict]:
    """The JSON each SSE event of a fixture carries (``[DONE]`` left out)."""
    out = []
    for _, text in events:
        data = text.strip().split("\n")[-1].removeprefix("data: ")
        if data != "[DONE]":
            out.append(json.loads(data))
    return out


def openai_request(body: dict, path: str = "/v1/chat/completions", method: str = "POST") -> dict:
    return {"method": method, "host": "api.openai.com", "path": path, "body": body}


def anthropic_request(body: dict, path: str = "/v1/messages", method: str = "POST") -> dict:
    return {"method": method, "host": "api.anthropic.com", "path": path, "body": body}


def hf_request(body: dict, path: str, method: str = "POST", host: str = "router.huggingface.co"):
    return {"method": method, "host": host, "path": path, "body": body}


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    return folder


@pytest.fixture
def make_server(fixture_dir: Path):
    servers: list[ReplayServer] = []

    def make(**kwargs) -> ReplayServer:
        server = ReplayServer(FixtureStore([fixture_dir]), speed=kwargs.pop("speed", 0), **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
