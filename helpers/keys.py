"""Finding API keys without ever showing them.

Keys are looked up in the order a learner expects: the environment, then a `.env` file searched
upward from the working directory, then Colab secrets. A key is reported only by its source and a
masked form; problems (an empty value, quotes pasted along, a placeholder, another service's key)
become Korean messages, and such a key is refused before anything is sent with it.

`LLM_LAB_DOTENV=0` (set by `tools.lessons.replay_env` for CI and output refreshes) turns the `.env`
and Colab lookups off: then only the environment counts, so a maintainer's own `.env` can never
leak into a keyless run.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .providers import PLACEHOLDERS, PROVIDERS, Provider

SOURCE_ENV = "환경 변수"
SOURCE_COLAB = "Colab 보안 비밀"

# "0"/"false"/"no"/"off" here: no `.env`, no Colab secrets, only the environment.
DOTENV_SWITCH = "LLM_LAB_DOTENV"
_OFF = ("0", "false", "no", "off")

# Total time all Colab secret lookups of one setup() may take (the real module waits 10 s each).
COLAB_BUDGET = 3.0

_PLACEHOLDER_WORDS = ("your", "here", "xxxx", "placeholder", "changeme", "<", ">")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def dotenv_enabled() -> bool:
    """False when `LLM_LAB_DOTENV` switches the `.env` and Colab lookups off."""
    return os.environ.get(DOTENV_SWITCH, "").strip().lower() not in _OFF


@dataclass
class KeyLookup:
    """The outcome of looking for one provider's key."""

    provider: str
    value: str | None = None
    source: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.value is not None

    @property
    def masked(self) -> str:
        return mask(self.value) if self.value else "-"


def mask(key: str) -> str:
    """Show just enough of a key to tell two keys apart, never enough to use it."""
    key = key.strip()
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}…{key[-4:]} ({len(key)}자)"


def _owner(value: str) -> Provider | None:
    """The provider whose key prefix `value` matches most specifically ('sk-ant-' over 'sk-')."""
    best, best_len = None, 0
    for provider in PROVIDERS.values():
        for prefix in provider.key_prefixes:
            if value.startswith(prefix) and len(prefix) > best_len:
                best, best_len = provider, len(prefix)
    return best


def key_problem(provider: Provider, value: str) -> str | None:
    """Return a Korean description of what is wrong with a key's value, or None.

    A key that belongs to another provider is refused here, so it is never sent to this one.
    """
    if not value.strip():
        return f"{provider.key_env} 값이 비어 있습니다."
    if value != value.strip():
        return f"{provider.key_env} 값 앞뒤에 공백이나 줄바꿈이 있습니다. 공백 없이 다시 붙여 넣으세요."
    if _CONTROL.search(value):
        return (
            f"{provider.key_env} 값에 보이지 않는 제어 문자(NUL 등)가 들어 있어 쓰지 않습니다. "
            "키를 발급 페이지에서 다시 복사해 넣으세요."
        )
    if value[0] in "\"'" or value[-1] in "\"'":
        return f"{provider.key_env} 값에 따옴표가 함께 들어 있습니다. 따옴표를 빼고 저장하세요."
    lowered = value.lower()
    if value in PLACEHOLDERS or any(word in lowered for word in _PLACEHOLDER_WORDS):
        return f"{provider.key_env} 값이 예시 문구처럼 보입니다. 실제 키로 바꾸세요."
    owner = _owner(value)
    if owner is not None and owner.name != provider.name:
        prefix = next(p for p in owner.key_prefixes if value.startswith(p))
        expected = ", ".join(f"'{p}'" for p in provider.key_prefixes)
        return (
            f"{provider.key_env}에 {owner.label} 키('{prefix}'로 시작)가 들어 있습니다. "
            f"{owner.key_env}와(과) {provider.key_env}을(를) 바꿔 넣지 않았는지 확인하세요"
            f"({provider.label} 키는 {expected}(으)로 시작합니다). "
            f"이 키는 {provider.label}에 보내지 않습니다. {provider.key_help}"
        )
    if not value.startswith(provider.key_prefixes):
        prefixes = ", ".join(f"'{p}'" for p in provider.key_prefixes)
        return (
            f"{provider.key_env} 값이 {prefixes}(으)로 시작하지 않습니다. "
            f"다른 서비스의 키를 넣지 않았는지 확인하세요. {provider.key_help}"
        )
    return None


def find_dotenv(start: Path | None = None) -> Path | None:
    """The nearest `.env` at or above `start` (the notebook's folder when run from Jupyter)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


@dataclass
class DotenvFile:
    """One `.env` as read: its values and, in Korean, what could not be read from it."""

    path: Path
    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class _Collect(logging.Filter):
    """Keeps python-dotenv's warnings (and stops its English text reaching the notebook)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return False


def read_dotenv(start: Path | None = None) -> DotenvFile | None:
    """The nearest `.env` read with python-dotenv; None when there is none or the lookup is off."""
    if not dotenv_enabled():
        return None
    path = find_dotenv(start)
    if path is None:
        return None
    result = DotenvFile(path)
    logger = logging.getLogger("dotenv.main")
    collect = _Collect()
    logger.addFilter(collect)
    try:
        from dotenv import dotenv_values

        values = dotenv_values(path)
    except UnicodeDecodeError:
        result.problems.append(
            f"{path} 파일이 UTF-8 텍스트가 아니어서 읽지 못했습니다. UTF-8로 다시 저장하세요."
        )
        return result
    except OSError as exc:
        result.problems.append(
            f"{path} 파일을 열지 못했습니다({type(exc).__name__}). 파일 권한을 확인하세요."
        )
        return result
    except Exception as exc:  # a malformed .env must not stop the lesson
        result.problems.append(
            f"{path} 파일을 읽지 못했습니다({type(exc).__name__}). 형식을 확인하세요."
        )
        return result
    finally:
        logger.removeFilter(collect)
    result.values = {k: v for k, v in values.items() if isinstance(v, str)}
    for record in collect.records:
        line = record.args[0] if isinstance(record.args, tuple) and record.args else None
        where = f"{line}번째 줄" if line is not None else "한 줄"
        result.problems.append(
            f"{path} 파일의 {where}을 해석하지 못해 건너뛰었습니다. "
            "따옴표를 열었으면 같은 줄에서 닫았는지, 'NAME=값' 모양인지 확인하세요."
        )
    return result


class ColabSecrets:
    """Colab secret lookups with one bounded time budget for all of them.

    The real `userdata.get` waits up to 10 s for the browser and outside the Colab UI can block
    for good; each lookup here runs in a daemon thread, the total wait is `budget` seconds, and
    after the first timeout nothing more is asked.
    """

    _stuck: threading.Thread | None = None  # a lookup of an earlier call that never returned

    def __init__(self, budget: float | None = None):
        self.budget = COLAB_BUDGET if budget is None else budget
        self.deadline: float | None = None
        self.stopped = False
        self.notes: list[str] = []  # about the lookup as a whole (shown once)

    def _give_up(self, detail: str = "") -> None:
        self.stopped = True
        self.notes.append(
            f"Colab 보안 비밀을 읽는 데 시간이 너무 오래 걸려{detail} 건너뛰었습니다. "
            "왼쪽 열쇠 아이콘에서 이 노트북의 '노트북 액세스'를 켜고 셀을 다시 실행하세요. "
            "키가 없으면 리플레이 모드로 진행합니다."
        )

    def get(self, name: str, problems: list[str]) -> str | None:
        if self.stopped:
            return None
        try:
            from google.colab import userdata  # type: ignore[import-not-found]
        except ImportError:
            self.stopped = True
            return None
        stuck = ColabSecrets._stuck
        if stuck is not None and stuck.is_alive():
            self._give_up("(앞선 조회가 아직 끝나지 않아)")
            return None
        if self.deadline is None:
            self.deadline = time.monotonic() + self.budget
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self._give_up()
            return None
        outcome: dict[str, object] = {}

        def ask() -> None:
            try:
                outcome["value"] = userdata.get(name)
            except BaseException as exc:  # noqa: BLE001 - reported below, never raised here
                outcome["error"] = exc

        # Run with the caller's context: the kernel keeps the executing cell's parent there.
        context = contextvars.copy_context()
        worker = threading.Thread(
            target=context.run, args=(ask,), name="llm-lab-colab-secret", daemon=True
        )
        worker.start()
        worker.join(remaining)
        if worker.is_alive():
            ColabSecrets._stuck = worker
            self._give_up()
            return None
        error = outcome.get("error")
        if error is not None:
            kind = type(error).__name__
            if kind == "SecretNotFoundError":
                return None
            if kind == "NotebookAccessError":
                problems.append(
                    f"Colab 보안 비밀 {name}에 이 노트북의 접근 권한이 없습니다. "
                    "왼쪽 열쇠 아이콘에서 '노트북 액세스'를 켜 주세요."
                )
                return None
            if "timeout" in kind.lower() or isinstance(error, TimeoutError):
                self._give_up(f"({kind})")
                return None
            problems.append(
                f"Colab 보안 비밀 {name}을(를) 읽지 못했습니다({kind}). "
                "열쇠 아이콘에서 이름과 '노트북 액세스'를 확인하세요."
            )
            return None
        value = outcome.get("value")
        return value if isinstance(value, str) else None


_UNREAD = object()


def find_key(
    provider: Provider,
    start: Path | None = None,
    *,
    dotenv: DotenvFile | None | object = _UNREAD,
    colab: ColabSecrets | None = None,
) -> KeyLookup:
    """Look for a provider's key: environment, then `.env`, then Colab secrets.

    `setup()` passes the `.env` it has read and one `ColabSecrets` for all providers and shows
    their file-wide notes once; called alone, this reads both and keeps their notes here.
    """
    lookup = KeyLookup(provider=provider.name)
    env_value = os.environ.get(provider.key_env)
    if env_value in PLACEHOLDERS:
        env_value = None  # our own replay placeholder from an earlier setup() is not a key
    candidate: tuple[str, str] | None = None
    if env_value is not None:
        candidate = (env_value, SOURCE_ENV)
    elif dotenv_enabled():
        if dotenv is _UNREAD:
            dotenv = read_dotenv(start)
            if dotenv is not None:
                lookup.problems.extend(dotenv.problems)
        if isinstance(dotenv, DotenvFile) and provider.key_env in dotenv.values:
            candidate = (dotenv.values[provider.key_env], f".env ({dotenv.path})")
        else:
            own = colab is None
            secrets = ColabSecrets() if own else colab
            value = secrets.get(provider.key_env, lookup.problems)
            if own:
                lookup.problems.extend(secrets.notes)
            if value is not None:
                candidate = (value, SOURCE_COLAB)
    if candidate is not None:
        value, source = candidate
        problem = key_problem(provider, value)
        if problem:
            lookup.problems.append(f"{problem} (출처: {source})")
        else:
            lookup.value, lookup.source = value, source
    return lookup
