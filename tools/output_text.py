"""Notebook outputs as comparable text: what changes from run to run is masked.

``make drift`` compares the outputs of the same notebook under two sets of releases, and
``tools.refresh_outputs`` keeps a committed output when a new run differs from it only in this
noise (timings, ports, addresses), so refreshing unchanged notebooks leaves no diff.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_OBJECT_AT = re.compile(r"(<[^<>\n]*?) at 0x[0-9a-fA-F]+>")
_HEX_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_NUMBER = r"(?<![\w.])\d+(?:[.,]\d+)?"
_RATE = re.compile(_NUMBER + r"\s*(?:tok(?:ens?)?/s|토큰/초|자/초|chars?/s|개/초)(?![\w/])")
_DURATION = re.compile(
    _NUMBER + r"\s*(?:ms|밀리초|µs|us|ns|s|sec|secs|seconds?|초|분|min|minutes?)(?![\w/])"
)
# Unlabelled floats are latencies and rates in the comparison tables (0.652696); versions
# (2.15.0), model ids (gpt-4.1-mini) and dates are never a bare "digits.digits" token.
_FLOAT = re.compile(r"(?<![\w.\-$=<>~])\d+\.\d+(?![\w.\-])")
_LOOPBACK_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d{2,5}\b")
# helpers.setup() falls back to a free port when another run holds the fixed one.
_PORT_FALLBACK_LINE = re.compile(r"^.*사용 중이어서 빈 포트를 골랐습니다.*$\n?", re.M)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_PYTHON_ID = re.compile(r"\bid=\d{6,}\b")


def normalize_output(text: str) -> str:
    """Mask what changes from run to run but says nothing about the SDKs.

    ANSI colours, memory addresses, object ids, UUIDs, loopback ports, durations, rates and bare
    floats go, and runs of spaces shrink to one (table columns widen with the numbers); model ids,
    versions, integers such as token counts, and dates (``2026-06-30``) stay, because they are
    exactly what a new release may change.
    """
    text = _ANSI.sub("", text)
    text = _PORT_FALLBACK_LINE.sub("", text)
    text = _LOOPBACK_PORT.sub(r"\1:<port>", text)
    text = _OBJECT_AT.sub(r"\1 at 0x…>", text)
    text = _HEX_ADDRESS.sub("0x…", text)
    text = _UUID.sub("<uuid>", text)
    text = _PYTHON_ID.sub("id=…", text)
    text = _RATE.sub("<속도>", text)
    text = _DURATION.sub("<시간>", text)
    text = _FLOAT.sub("<수>", text)
    return "\n".join(re.sub(r"[ \t]{2,}", " ", line).rstrip() for line in text.splitlines())


def output_text(output: Mapping[str, Any]) -> str:
    """One output as text: streams as printed, rich outputs by their plain-text form."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return "".join(text) if isinstance(text, list) else str(text)
    if kind == "error":
        return f"{output.get('ename', '')}: {output.get('evalue', '')}\n"
    data = output.get("data") or {}
    for mime in ("text/plain", "text/markdown"):
        if mime in data:
            value = data[mime]
            return ("".join(value) if isinstance(value, list) else str(value)) + "\n"
    return f"[{', '.join(sorted(data))}]\n"
