"""Removing secrets before anything recorded is written to disk."""

from __future__ import annotations

import re
from typing import Any

SCRUBBED = "<scrubbed>"
KEY_SHAPED = re.compile(
    r"sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
)
# Response headers worth keeping: they teach something (rate limits, request ids) and hold no secret.
KEPT_HEADER_PREFIXES = (
    "content-type",
    "retry-after",
    "x-ratelimit-",
    "anthropic-ratelimit-",
    "x-request-id",
    "request-id",
    "openai-processing-ms",
    "x-should-retry",
)


def scrub_text(text: str) -> str:
    return KEY_SHAPED.sub(SCRUBBED, text)


def scrub_json(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v) for k, v in value.items()}
    return value


def kept_headers(headers: Any) -> dict[str, str]:
    kept = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered.startswith(KEPT_HEADER_PREFIXES):
            kept[lowered] = scrub_text(value)
    return kept
