"""Token counts and stream pieces for authored fixtures, one tokenizer per provider.

An authored answer is text a person wrote; its usage numbers and stream chunks are derived from
that text by the rule of the provider that would have answered:

- OpenAI (gpt-5.x, o200k_base): the real tokenizer, offline (:mod:`helpers.tokencount`). A stream
  sends one token per chunk, holding back a token that ends inside a character's UTF-8 bytes
  until the character is complete, as the API does with Korean.
- Anthropic and Hugging Face (Llama 3.1): their tokenizers do not ship for offline use, so a
  documented rule counts them: each script class of text (Hangul syllables, Latin words, digits,
  punctuation, ...) costs a calibrated number of tokens per unit. The rule and its calibration
  live in the wire profile (``helpers/data/wire_profiles.json``) with their sources.

Every tokenizer can ``count`` text, ``cut`` it at an output limit (the text of exactly that many
tokens, as a ``length``/``max_tokens`` stop returns it) and split it into stream ``chunks``.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from .profiles import load_profiles

__all__ = [
    "O200kTokenizer",
    "RuleTokenizer",
    "Tokenizer",
    "pieces",
    "tokenizer_for",
]


class Tokenizer:
    """What the builder needs from a provider's tokenizer."""

    name = "tokenizer"

    def tokens(self, text: str) -> list[str]:
        """The text split into token-sized pieces that join back to exactly ``text``."""
        raise NotImplementedError

    def count(self, text: str) -> int:
        return len(self.tokens(text))

    def cut(self, text: str, limit: int) -> str:
        """The first ``limit`` tokens of ``text`` (the whole text when it is shorter)."""
        return "".join(self.tokens(text)[:limit])

    def chunks(self, text: str, per_chunk: int = 1) -> list[str]:
        """Stream deltas of ``per_chunk`` tokens each (the last may be shorter)."""
        parts = self.tokens(text)
        return ["".join(parts[i : i + per_chunk]) for i in range(0, len(parts), per_chunk)]


class O200kTokenizer(Tokenizer):
    """OpenAI's o200k_base, the tokenizer of gpt-4o, gpt-4.1, gpt-5.x and the o-series."""

    name = "o200k_base"

    def tokens(self, text: str) -> list[str]:
        # A token may end inside a multi-byte character (common in Korean); the API never
        # sends half a character, so such a token travels with the next one.
        from ..tokencount import encode, encoding

        enc = encoding()
        out: list[str] = []
        pending = b""
        for token in encode(text):
            pending += enc.decode_single_token_bytes(token)
            try:
                piece = pending.decode("utf-8")
            except UnicodeDecodeError:
                out.append("")  # this token is counted; its character arrives with the next
                continue
            out.append(piece)
            pending = b""
        assert "".join(out) == text, "o200k pieces join back to the text"
        return out

    def count(self, text: str) -> int:
        from ..tokencount import count_text

        return count_text(text)

    def chunks(self, text: str, per_chunk: int = 1) -> list[str]:
        merged: list[str] = []
        for group in super().chunks(text, per_chunk):
            if merged and not merged[-1]:
                merged[-1] = group  # the bytes held back arrive with the next token
            else:
                merged.append(group)
        return [piece for piece in merged if piece]


@dataclass(frozen=True)
class _Unit:
    pattern: str
    tokens_per_unit: float


class RuleTokenizer(Tokenizer):
    """A documented counting rule: text is split into units by script class, and each unit of a
    class costs a calibrated number of tokens; a text costs the sum, rounded up. Units below one
    token share a piece (two Hangul syllables at 0.5 each, say)."""

    def __init__(self, name: str, units: list[dict[str, Any]]) -> None:
        self.name = name
        self.units = [_Unit(u["pattern"], float(u["tokens_per_unit"])) for u in units]
        alternatives = "|".join(f"(?P<u{i}>{u.pattern})" for i, u in enumerate(self.units))
        self._regex = re.compile(alternatives + r"|(?P<other>.)", re.DOTALL)

    def _weighted(self, text: str) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        for match in self._regex.finditer(text):
            kind = match.lastgroup or "other"
            weight = 1.0 if kind == "other" else self.units[int(kind[1:])].tokens_per_unit
            out.append((match.group(), weight))
        return out

    def tokens(self, text: str) -> list[str]:
        # A piece ends wherever the running cost crosses a whole token; a unit that crosses
        # several (a long word) is followed by empty pieces, so len(tokens) is the count.
        out: list[str] = []
        piece, total, emitted = "", 0.0, 0
        for unit, cost in self._weighted(text):
            piece += unit
            total += cost
            crossed = math.floor(total + 1e-9) - emitted
            if crossed > 0:
                out += [piece] + [""] * (crossed - 1)
                piece, emitted = "", emitted + crossed
        if piece:
            out.append(piece)
        assert "".join(out) == text, "rule pieces join back to the text"
        return out

    def chunks(self, text: str, per_chunk: int = 1) -> list[str]:
        return [chunk for chunk in super().chunks(text, per_chunk) if chunk]


@functools.cache
def tokenizer_for(provider: str) -> Tokenizer:
    """The tokenizer the builder uses for ``provider``'s answers (see the module docstring)."""
    rule = load_profiles()[provider]["tokens"]
    if rule["kind"] == "o200k_base":
        return O200kTokenizer()
    return RuleTokenizer(rule["name"], rule["units"])


def pieces(text: str) -> list[str]:
    """Token-sized pieces of ``text`` for a provider-neutral use (the o200k tokens)."""
    return [piece for piece in O200kTokenizer().chunks(text)]
