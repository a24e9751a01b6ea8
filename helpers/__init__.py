"""Helpers for the LLM API 실습 notebooks.

Import cost matters (every lesson imports this in its first cells), so submodules load on first
use: `helpers.setup` pulls in the session code, `helpers.labs` the lab checkers, and so on.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["setup", "catalog", "labs", "playground", "replay", "keys"]

_SUBMODULES = {"catalog", "labs", "playground", "replay", "keys", "providers", "session"}


def setup(*args: Any, **kwargs: Any):
    """Choose live or replay per provider; see `helpers.session.setup`."""
    from .session import setup as _setup

    return _setup(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
