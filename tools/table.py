"""Plain-text tables that line up with Korean text (wide characters take two columns)."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to the widest cell, a dashed rule under the header."""
    lines = [header, *rows]
    widths = [max(display_width(line[i]) for line in lines) for i in range(len(header))]

    def render(line: list[str]) -> str:
        cells = (
            cell + " " * (w - display_width(cell)) for cell, w in zip(line, widths, strict=True)
        )
        return "  ".join(cells).rstrip()

    return "\n".join([render(header), "  ".join("-" * w for w in widths), *map(render, rows)])
