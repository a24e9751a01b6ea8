"""Removing secrets before anything recorded is written to disk."""

from __future__ import annotations

import json
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


# --- streams ---------------------------------------------------------------------------------------
# A stream is saved as the pieces it arrived in (one per network read, each with its delay). A key
# can be cut anywhere: by a TCP write, or by the model emitting it token by token, one SSE event per
# token. So a stream is never scrubbed piece by piece: the text of each field is read across all
# events, then the whole wire text, and each replacement is put back into the pieces it touched.

_DATA_LINE = re.compile(r"^data:[ ]?([^\r\n]*)", re.MULTILINE)
Span = tuple[int, int, str]


def scrub_stream(pieces: list[str]) -> list[str]:
    """Scrub an SSE body given as its network pieces, as if it were read whole.

    First every string field of the events' JSON payloads is read across events (the `content`
    of each delta joined in order, for example); an event holding part of a key gets its payload
    rewritten with that part replaced (the event where the key starts) or removed. Then the joined
    wire text is scrubbed once. Pieces keep their number and order, so their delays still fit.
    """
    return scrub_pieces(_scrub_event_fields(pieces))


def scrub_pieces(pieces: list[str]) -> list[str]:
    """Scrub text cut into pieces as if it were whole; a key's pieces all lose their part of it."""
    joined = "".join(pieces)
    spans = [(m.start(), m.end(), SCRUBBED) for m in KEY_SHAPED.finditer(joined)]
    return replace_spans(pieces, spans) if spans else list(pieces)


def replace_spans(pieces: list[str], spans: list[Span]) -> list[str]:
    """Replace `(start, end, text)` spans of the joined pieces, keeping piece boundaries.

    Spans are sorted and do not overlap; offsets are in the joined text. The replacement goes into
    the piece where its span starts; the rest of the span is cut from the pieces that follow.
    """
    out, offset, index = [], 0, 0
    for piece in pieces:
        end = offset + len(piece)
        parts, cursor = [], offset
        while index < len(spans) and spans[index][0] < end:
            start, stop, text = spans[index]
            if start >= offset:
                parts += [piece[cursor - offset : start - offset], text]
            cursor = max(cursor, min(stop, end))
            if stop > end:
                break  # the span goes on into the next piece
            index += 1
        parts.append(piece[cursor - offset :])
        out.append("".join(parts))
        offset = end
    return out


def _scrub_event_fields(pieces: list[str]) -> list[str]:
    joined = "".join(pieces)
    payloads: list[tuple[int, int, Any]] = []
    for match in _DATA_LINE.finditer(joined):
        try:
            payloads.append((match.start(1), match.end(1), json.loads(match.group(1))))
        except ValueError:
            continue  # `[DONE]` and other non-JSON data
    changed = _scrub_across_events([value for _, _, value in payloads])
    spans = [
        (start, stop, json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        for index, (start, stop, value) in enumerate(payloads)
        if index in changed
    ]
    return replace_spans(pieces, spans) if spans else list(pieces)


def _scrub_across_events(values: list[Any]) -> set[int]:
    """Scrub each field path's strings joined across events, in place; the events changed."""
    channels: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
    for index, value in enumerate(values):
        for path, text in _string_leaves(value):
            channels.setdefault(path, []).append((index, text))
    changed = set()
    for path, entries in channels.items():
        scrubbed = scrub_pieces([text for _, text in entries])
        for (index, text), new in zip(entries, scrubbed, strict=True):
            if new != text:
                _set_leaf(values[index], path, new)
                changed.add(index)
    return changed


def _string_leaves(value: Any, path: tuple[Any, ...] = ()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _string_leaves(item, (*path, position))


def _set_leaf(value: Any, path: tuple[Any, ...], new: str) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new
