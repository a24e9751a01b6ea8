"""Helpers for the LLM API 실습 notebooks.

Import cost matters (every lesson imports this in its first cells), so submodules load on first
use: `helpers.setup` pulls in the session code, `helpers.catalog` the model table, and so on.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

__all__ = ["setup"]


def setup(*args: Any, **kwargs: Any):
    """Choose live or replay per provider; see `helpers.session.setup`."""
    from .session import setup as _setup

    return _setup(*args, **kwargs)


def __getattr__(name: str) -> Any:
    # Any submodule is reachable as an attribute (`helpers.catalog`), imported on first use.
    if name in {module.name for module in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
