"""Token-like pieces of text, for authored fixtures.

Authored fixtures need plausible usage numbers and streams chunked where a tokenizer would cut.
This is an estimate (roughly one piece per Hangul syllable pair, per short English word part,
per punctuation mark), never presented as a real tokenizer's count.
"""

from __future__ import annotations

import re

_PIECE = re.compile(
    r"\s*[가-힣]{1,2}|\s*[A-Za-z]{1,5}|\s*\d{1,3}|\s*[^\sA-Za-z\d가-힣]|\s+",
)


def pieces(text: str) -> list[str]:
    """Split text into token-like pieces that join back to exactly the same text."""
    found = _PIECE.findall(text)
    assert "".join(found) == text, "every character belongs to one piece"
    return found


def estimate_tokens(text: str) -> int:
    return len(pieces(text))
