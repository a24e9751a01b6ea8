"""`helpers.setup()`: decide, per provider, whether lesson code talks to the real API or to replay.

Lesson code stays canonical (`OpenAI()`, `anthropic.Anthropic()`, `InferenceClient(...)`); this
function only changes what those SDKs find in their environment: for a provider in replay it
points the SDK's documented base-URL variable (or, for Hugging Face, its HTTP client factory) at
the loopback server and leaves a clearly labelled placeholder key. A provider that runs live is
left exactly as the learner set it up. Calling `setup()` again re-decides and undoes what an
earlier call changed.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .keys import ColabSecrets, DotenvFile, KeyLookup, find_key, read_dotenv
from .providers import PROVIDERS

MODES = ("auto", "live", "replay", "record")
MODE_LABELS = {"live": "라이브(live)", "replay": "리플레이(replay)", "record": "녹화(record)"}
_TRUE = ("1", "true", "yes", "on")

# Environment values as they were before setup() first changed them, so a later call can restore.
_saved_env: dict[str, str | None] = {}
_hf_factory_installed = False
_last_status: Status | None = None


@dataclass
class ProviderStatus:
    provider: str
    mode: str
    key: KeyLookup
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return PROVIDERS[self.provider].label

    @property
    def key_text(self) -> str:
        if self.key.found:
            return f"{self.key.source} · {self.key.masked}"
        return "없음"


@dataclass
class Status:
    providers: dict[str, ProviderStatus]
    server_url: str | None
    fixtures: str
    speed: float
    strict: bool
    messages: list[str] = field(default_factory=list)
    _already_shown: bool = False

    def mode(self, provider: str) -> str:
        return self.providers[provider].mode

    def to_metadata(self) -> dict[str, Any]:
        return {
            name: {"mode": st.mode, "key_source": st.key.source, "notes": st.notes}
            for name, st in self.providers.items()
        }

    def rows(self) -> list[tuple[str, str, str, str]]:
        return [
            (st.label, MODE_LABELS[st.mode], st.key_text, " ".join(st.notes))
            for st in self.providers.values()
        ]

    def footer(self) -> str:
        if self.server_url is None:
            return "모든 공급자가 실제 API를 호출합니다. 호출마다 요금이 부과될 수 있습니다."
        strict = "켜짐" if self.strict else "꺼짐"
        return (
            f"리플레이 서버 {self.server_url} · 픽스처 {self.fixtures} · "
            f"재생 속도 {self.speed:g} · 엄격 모드 {strict}"
        )

    def __str__(self) -> str:
        lines = [f"{'공급자':<12} {'모드':<14} {'키':<28} 비고"]
        lines += [f"{a:<12} {b:<14} {c:<28} {d}" for a, b, c, d in self.rows()]
        lines.append(self.footer())
        lines += self.messages
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
            for row in self.rows()
        )
        extra = "".join(f"<li>{html.escape(m)}</li>" for m in self.messages)
        return (
            "<table><thead><tr><th>공급자</th><th>모드</th><th>키</th><th>비고</th></tr></thead>"
            f"<tbody>{cells}</tbody></table><p><small>{html.escape(self.footer())}</small></p>"
            + (f"<ul>{extra}</ul>" if extra else "")
        )

    def show(self) -> None:
        """Display the table once; in a notebook it also carries machine-readable metadata."""
        try:
            from IPython import get_ipython
            from IPython.display import publish_display_data
        except ImportError:
            get_ipython = None  # noqa: N806 - mirrors the IPython name
        if get_ipython is not None and get_ipython() is not None:
            publish_display_data(
                {"text/plain": str(self), "text/html": self._repr_html_()},
                metadata={"llm_lab_status": self.to_metadata()},
            )
            self._already_shown = True
        else:
            print(self)

    def _ipython_display_(self) -> None:
        # setup() has shown the table already; showing it again as the cell's value is noise.
        if self._already_shown:
            self._already_shown = False
            return
        self.show()


def _parse_modes(mode: Any) -> tuple[dict[str, str], list[str]]:
    messages: list[str] = []
    wanted: dict[str, str] = dict.fromkeys(PROVIDERS, "auto")
    if isinstance(mode, dict):
        items = mode.items()
    else:
        text = str(mode or "auto").strip().lower()
        items = [(name, text) for name in PROVIDERS]
    for name, value in items:
        value = str(value).strip().lower()
        if name not in PROVIDERS:
            messages.append(
                f"알 수 없는 공급자 {name!r}는 무시합니다. 가능한 값: {', '.join(PROVIDERS)}"
            )
            continue
        if value not in MODES:
            messages.append(
                f"알 수 없는 모드 {value!r}입니다. 가능한 값: {', '.join(MODES)}. "
                f"{PROVIDERS[name].label}은(는) auto로 진행합니다."
            )
            value = "auto"
        wanted[name] = value
    return wanted, messages


_our_values: dict[str, str | None] = {}


def _set_env(name: str, value: str | None) -> None:
    if name not in _saved_env:
        _saved_env[name] = os.environ.get(name)
    _our_values[name] = value
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _restore_env(name: str) -> None:
    if name in _saved_env:
        original = _saved_env.pop(name)
        if os.environ.get(name) != _our_values.pop(name, None):
            return  # the learner changed it since; their value wins
        if original is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = original


def _resolve(name: str, wanted: str, key: KeyLookup) -> ProviderStatus:
    status = ProviderStatus(name, wanted, key)
    provider = PROVIDERS[name]
    status.notes.extend(key.problems)
    if wanted == "auto":
        status.mode = "live" if key.found else "replay"
        if not key.found:
            status.notes.append(f"키가 없어 리플레이 모드입니다. {provider.key_help}")
    elif wanted in ("live", "record") and not key.found:
        status.mode = "replay"
        status.notes.append(
            f"{MODE_LABELS[wanted]} 모드에는 {provider.key_env}가 필요합니다. "
            "키를 찾지 못해 리플레이 모드로 진행합니다."
        )
    return status


def _point_sdk(status: ProviderStatus, server: Any) -> None:
    """Make the canonical SDK constructor find what this provider's mode needs."""
    global _hf_factory_installed
    provider = PROVIDERS[status.provider]
    routed = status.mode in ("replay", "record")
    if provider.base_url_env:
        if routed:
            _set_env(provider.base_url_env, server.base_url(provider.name))
        else:
            _restore_env(provider.base_url_env)
    if status.mode == "replay":
        _set_env(provider.key_env, provider.placeholder)
    else:
        _restore_env(provider.key_env)
        if status.key.found and os.environ.get(provider.key_env) != status.key.value:
            # A key from .env or Colab secrets must be where the SDK looks for it.
            _set_env(provider.key_env, status.key.value)
    if provider.name == "huggingface" and (routed or _hf_factory_installed):
        from huggingface_hub import set_async_client_factory, set_client_factory
        from huggingface_hub.utils._http import (
            default_async_client_factory,
            default_client_factory,
        )

        from .replay import hf_async_client_factory, hf_client_factory

        set_client_factory(hf_client_factory(server.url) if routed else default_client_factory)
        set_async_client_factory(
            hf_async_client_factory(server.url) if routed else default_async_client_factory
        )
        _hf_factory_installed = routed


SETTINGS = ("LLM_LAB_MODE", "LLM_LAB_REPLAY_SPEED", "LLM_LAB_REPLAY_STRICT")


def _settings(dotenv: DotenvFile | None) -> dict[str, str]:
    """LLM_LAB_* settings: the environment first, then the nearest `.env` (when it is read)."""
    found = {name: os.environ[name] for name in SETTINGS if os.environ.get(name)}
    if dotenv is not None:
        for name in SETTINGS:
            if name not in found and dotenv.values.get(name):
                found[name] = dotenv.values[name]
    return found


def _speed(raw: Any, messages: list[str]) -> float:
    """A replay speed >= 0; anything else (text, nan, inf) is reported and becomes 1."""
    try:
        speed = float(raw)
    except (TypeError, ValueError):
        messages.append(f"LLM_LAB_REPLAY_SPEED={raw!r}는 숫자가 아니어서 1로 둡니다.")
        return 1.0
    if not math.isfinite(speed):
        messages.append(
            f"재생 속도 {raw!r}는 쓸 수 없는 값(무한대·NaN)이어서 1로 둡니다. "
            "0(기다리지 않음) 이상의 보통 숫자를 쓰세요."
        )
        return 1.0
    return max(0.0, speed)


PORT_SETTING = "LLM_LAB_REPLAY_PORT"


def _start_server(messages: list[str]) -> Any:
    """The replay server; a malformed LLM_LAB_REPLAY_PORT is reported and the default used."""
    from .replay import DEFAULT_PORT, get_server

    raw = os.environ.get(PORT_SETTING)
    if raw is None or get_server(create=False) is not None:
        return get_server()
    try:
        port = int(raw.strip())
    except ValueError:
        port = -1
    if 0 <= port <= 65535:
        return get_server()
    messages.append(
        f"{PORT_SETTING}={raw!r}는 0~65535 사이의 포트 번호가 아니어서 무시하고 "
        f"기본 포트 {DEFAULT_PORT}를 씁니다."
    )
    os.environ.pop(PORT_SETTING)
    try:
        return get_server()
    finally:
        os.environ[PORT_SETTING] = raw


def setup(
    mode: Any = None,
    *,
    speed: float | None = None,
    strict: bool | None = None,
    quiet: bool = False,
    start: Path | None = None,
) -> Status:
    """Choose live, replay or record per provider and show the result as a Korean table.

    mode: "auto" (default: live where a key is found), "live", "replay", "record", or a dict
    per provider such as {"openai": "live", "anthropic": "replay"}. Reads LLM_LAB_MODE,
    LLM_LAB_REPLAY_SPEED and LLM_LAB_REPLAY_STRICT when the arguments are not given.
    """
    global _last_status
    dotenv = read_dotenv(start)
    settings = _settings(dotenv)
    if mode is None or (isinstance(mode, str) and mode.strip().lower() == "auto"):
        # "auto" is every notebook's default, so an instructor's or CI's LLM_LAB_MODE wins over it.
        mode = settings.get("LLM_LAB_MODE") or "auto"
    wanted, messages = _parse_modes(mode)
    if dotenv is not None:
        messages.extend(dotenv.problems)
    speed = _speed(
        settings.get("LLM_LAB_REPLAY_SPEED") or "1" if speed is None else speed, messages
    )
    if strict is None:
        strict = (settings.get("LLM_LAB_REPLAY_STRICT") or "").strip().lower() in _TRUE
    for name in list(_saved_env):
        _restore_env(
            name
        )  # undo an earlier setup() first, so keys are looked up as the learner left them
    colab = ColabSecrets()
    statuses = {}
    for name, provider in PROVIDERS.items():
        if wanted[name] == "replay":
            # Replay needs no key: none is looked up, so no .env path or Colab prompt appears.
            statuses[name] = _resolve(name, "replay", KeyLookup(provider=name))
        else:
            key = find_key(provider, start, dotenv=dotenv, colab=colab)
            statuses[name] = _resolve(name, wanted[name], key)
    messages.extend(colab.notes)
    server = None
    if any(st.mode != "live" for st in statuses.values()):
        server = _start_server(messages)
        server.speed, server.strict = speed, strict
        server.modes = {name: st.mode for name, st in statuses.items() if st.mode != "live"}
        record_dir = os.environ.get("LLM_LAB_RECORD_DIR")
        server.record_dir = Path(record_dir) if record_dir else None
        capture = os.environ.get("LLM_LAB_CAPTURE")
        server.capture_path = Path(capture) if capture else None
        if server.port_note:
            messages.append(server.port_note)
        messages.extend(f"읽지 못한 픽스처: {e}" for e in server.store.errors)
    for st in statuses.values():
        _point_sdk(st, server)
    status = Status(
        providers=statuses,
        server_url=server.url if server else None,
        fixtures=server.store.describe().split(" — ")[0] if server else "-",
        speed=speed,
        strict=strict,
        messages=messages,
    )
    _last_status = status
    live = [name for name, st in statuses.items() if st.mode in ("live", "record")]
    if live:
        _explain_connection_failures(live)
    if not quiet:
        status.show()
    return status


# The exceptions a live call raises when it cannot reach the service (no network, a proxy, DNS):
# the SDKs' own traceback says "Connection error." and nothing about what to do.
_CONNECTION_ERRORS = {
    "openai": (("openai", "APIConnectionError"),),
    "anthropic": (("anthropic", "APIConnectionError"),),
    "huggingface": (("httpx2", "ConnectError"), ("httpx2", "ConnectTimeout")),
}


def connection_error_types(providers: list[str]) -> tuple[type[BaseException], ...]:
    """The connection-failure exception classes of ``providers``' SDKs (imported on demand)."""
    import importlib

    found = []
    for provider in providers:
        for module_name, attribute in _CONNECTION_ERRORS.get(provider, ()):
            try:
                found.append(getattr(importlib.import_module(module_name), attribute))
            except (ImportError, AttributeError):
                continue  # an SDK that is not installed cannot raise its error either
    return tuple(dict.fromkeys(found))


def show_with_explanation(shell: Any, etype, value, tb, tb_offset=None) -> None:
    """IPython custom-exception handler: the usual traceback, then the Korean explanation."""
    from .explain import explain

    structured = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    shell._showtraceback(etype, value, structured)
    print(explain(value))


def _explain_connection_failures(providers: list[str]) -> bool:
    """In a notebook with live providers, follow a failed connection by its Korean explanation.

    Lesson code stays as it is; the kernel still reports the cell as failed. Returns whether a
    handler was installed (False outside IPython).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    types = connection_error_types(providers)
    if shell is None or not types:
        return False
    shell.set_custom_exc(types, show_with_explanation)
    return True


def last_status() -> Status | None:
    return _last_status
