"""Finding API keys without ever showing them.

Keys are looked up in the order a learner expects: the environment, then a `.env` file searched
upward from the working directory, then Colab secrets. A key is reported only by its source and a
masked form; problems (an empty value, quotes pasted along, a placeholder) become Korean messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .providers import PLACEHOLDERS, Provider

SOURCE_ENV = "환경 변수"
SOURCE_COLAB = "Colab 보안 비밀"

_PLACEHOLDER_WORDS = ("your", "here", "xxxx", "placeholder", "changeme", "<", ">")


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


def key_problem(provider: Provider, value: str) -> str | None:
    """Return a Korean description of what is wrong with a key's value, or None."""
    if not value.strip():
        return f"{provider.key_env} 값이 비어 있습니다."
    if value != value.strip():
        return f"{provider.key_env} 값 앞뒤에 공백이나 줄바꿈이 있습니다. 공백 없이 다시 붙여 넣으세요."
    if value[0] in "\"'" or value[-1] in "\"'":
        return f"{provider.key_env} 값에 따옴표가 함께 들어 있습니다. 따옴표를 빼고 저장하세요."
    lowered = value.lower()
    if value in PLACEHOLDERS or any(word in lowered for word in _PLACEHOLDER_WORDS):
        return f"{provider.key_env} 값이 예시 문구처럼 보입니다. 실제 키로 바꾸세요."
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


def _from_dotenv(name: str, start: Path | None, problems: list[str]) -> tuple[str, str] | None:
    path = find_dotenv(start)
    if path is None:
        return None
    try:
        from dotenv import dotenv_values

        value = dotenv_values(path).get(name)
    except Exception as exc:  # a malformed .env must not stop the lesson
        problems.append(f"{path} 파일을 읽지 못했습니다({type(exc).__name__}). 형식을 확인하세요.")
        return None
    if value is None:
        return None
    return value, f".env ({path})"


def _from_colab(name: str, problems: list[str]) -> tuple[str, str] | None:
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        value = userdata.get(name)
    except Exception as exc:
        # SecretNotFoundError, NotebookAccessError and the timeout outside the Colab UI all end here.
        kind = type(exc).__name__
        if kind == "SecretNotFoundError":
            return None
        if kind == "NotebookAccessError":
            problems.append(
                f"Colab 보안 비밀 {name}에 이 노트북의 접근 권한이 없습니다. "
                "왼쪽 열쇠 아이콘에서 '노트북 액세스'를 켜 주세요."
            )
        else:
            problems.append(f"Colab 보안 비밀 {name}을(를) 읽지 못했습니다({kind}).")
        return None
    if value is None:
        return None
    return value, SOURCE_COLAB


def find_key(provider: Provider, start: Path | None = None) -> KeyLookup:
    """Look for a provider's key: environment, then `.env`, then Colab secrets."""
    lookup = KeyLookup(provider=provider.name)
    env_value = os.environ.get(provider.key_env)
    if env_value in PLACEHOLDERS:
        env_value = None  # our own replay placeholder from an earlier setup() is not a key
    candidates = []
    if env_value is not None:
        candidates.append((env_value, SOURCE_ENV))
    else:
        for finder in (
            lambda: _from_dotenv(provider.key_env, start, lookup.problems),
            lambda: _from_colab(provider.key_env, lookup.problems),
        ):
            found = finder()
            if found:
                candidates.append(found)
                break
    for value, source in candidates:
        problem = key_problem(provider, value)
        if problem:
            lookup.problems.append(f"{problem} (출처: {source})")
            continue
        lookup.value, lookup.source = value, source
    return lookup
