"""What the installed SDK itself says about a parameter, so lessons check claims against it.

The OpenAI SDK documents every parameter in the docstrings of its resource methods. Lessons read
those docstrings from the installed package instead of repeating them from memory, so a table in
a notebook stays true when the SDK changes.
"""

from __future__ import annotations

import inspect
import re
from functools import cache
from importlib import metadata


@cache
def _chat_create_source() -> str:
    from openai.resources.chat.completions.completions import Completions

    return inspect.getsource(Completions)  # the overloads carry the docstrings


def openai_chat_param_doc(name: str) -> str | None:
    """The docstring paragraph(s) for one `chat.completions.create` parameter, or None."""
    source = _chat_create_source()
    match = re.search(rf"^ {{10}}{re.escape(name)}: (.*?)(?=^ {{10}}\w+: |\Z)", source, re.S | re.M)
    if match is None:
        return None
    return re.sub(r"\s+", " ", match.group(1)).strip()


def openai_chat_accepts(name: str) -> bool:
    from openai.resources.chat.completions.completions import Completions

    return name in inspect.signature(Completions.create).parameters


def documented_range(doc: str | None) -> tuple[float, float] | None:
    """'Number between -2.0 and 2.0' / 'between 0 and 2' -> (low, high)."""
    if not doc:
        return None
    match = re.search(r"between (-?\d+(?:\.\d+)?) and (-?\d+(?:\.\d+)?)", doc)
    return (float(match.group(1)), float(match.group(2))) if match else None


def is_documented_deprecated(doc: str | None) -> bool:
    # "This value is now deprecated in favor of ..." — not any mention of the word.
    return bool(doc) and re.search(r"\bis (?:now )?deprecated\b", doc, re.I) is not None


def sdk_version(package: str = "openai") -> str:
    return metadata.version(package)
