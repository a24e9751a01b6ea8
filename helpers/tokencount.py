"""Offline token counting with OpenAI's o200k_base encoding.

``tiktoken.get_encoding("o200k_base")`` downloads its table on first use, which fails offline (and
in CI). The same table ships inside this package (``helpers/data/o200k_base.tiktoken.gz``, the file
tiktoken downloads, gzip-compressed; it is checked against the SHA-256 that tiktoken itself
expects), and tiktoken builds the encoding from it with tiktoken's own split pattern. The counts
are therefore the real tokenizer's, for models that use o200k_base (gpt-4o, gpt-4.1, gpt-5.x,
o-series; see :func:`encoding_name_for_model`).

What is *not* measured here: the few tokens the API adds around each chat message. The OpenAI
Cookbook ("How to count tokens with tiktoken") gives 3 per message plus 3 to prime the reply for
the gpt-4o family; :func:`count_messages` uses those numbers, so a chat count is an estimate that
``usage.prompt_tokens`` from a real response confirms or corrects. Claude and Llama use other
tokenizers: o200k counts are only a rough guide for them.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

__all__ = [
    "O200K_SHA256",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_NAME",
    "REPLY_PRIMING",
    "count_messages",
    "count_text",
    "encode",
    "encoding",
    "encoding_name_for_model",
    "token_pieces",
]

ENCODING_NAME = "o200k_base"
DATA_FILE = "o200k_base.tiktoken.gz"
# The hash tiktoken_ext.openai_public.o200k_base() expects for the uncompressed file.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"

# OpenAI Cookbook, "How to count tokens with tiktoken" (gpt-4o family); an estimate for newer models.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


_PATCH_LOCK = threading.Lock()


def _read_table() -> bytes:
    data = resources.files(__package__).joinpath(f"data/{DATA_FILE}").read_bytes()
    raw = gzip.decompress(data)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != O200K_SHA256:
        raise RuntimeError(
            f"토큰 표 파일({DATA_FILE})이 손상되었습니다: SHA-256 {digest[:12]}…이(가) "
            f"tiktoken이 기대하는 {O200K_SHA256[:12]}…와 다릅니다. 패키지를 다시 설치하세요."
        )
    return raw


@functools.lru_cache(maxsize=1)
def encoding():
    """The o200k_base ``tiktoken.Encoding``, built offline from the table shipped with helpers."""
    try:
        import tiktoken
        from tiktoken_ext import openai_public
    except ImportError:  # pragma: no cover - tiktoken is a dependency
        raise ImportError("토큰을 세려면 tiktoken이 필요합니다: pip install tiktoken") from None
    ranks = {}
    for line in _read_table().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    # Take the split pattern and special tokens from tiktoken itself, only replacing the loader.
    # The stand-in returns the very table tiktoken would download, so even a concurrent caller of
    # tiktoken's own o200k_base() gets the right encoding; the lock keeps our restore orderly.
    with _PATCH_LOCK:
        original = openai_public.load_tiktoken_bpe
        try:
            openai_public.load_tiktoken_bpe = lambda *args, **kwargs: ranks
            params = openai_public.o200k_base()
        finally:
            openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**params)


def encoding_name_for_model(model: str) -> str | None:
    """tiktoken's encoding name for an OpenAI model id, or None when tiktoken does not know it."""
    import tiktoken.model

    try:
        return tiktoken.model.encoding_name_for_model(model)
    except KeyError:
        return None


def encode(text: str) -> list[int]:
    """Token ids of ``text`` (text that looks like a special token is counted as plain text)."""
    if not isinstance(text, str):
        raise TypeError(
            f"토큰을 셀 값은 문자열이어야 합니다. 받은 값의 자료형: {type(text).__name__}"
        )
    return encoding().encode_ordinary(text)


def count_text(text: str) -> int:
    """Number of o200k_base tokens in ``text``."""
    return len(encode(text))


def token_pieces(text: str) -> list[str]:
    """The text of each token; a piece that splits a character's UTF-8 bytes shows as ``�``."""
    enc = encoding()
    return [
        enc.decode_single_token_bytes(t).decode("utf-8", errors="replace") for t in encode(text)
    ]


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(
        part["text"]
        for part in content
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    )


def count_messages(
    messages: Sequence[dict[str, Any]],
    *,
    tokens_per_message: int = TOKENS_PER_MESSAGE,
    reply_priming: int = REPLY_PRIMING,
) -> int:
    """Estimated ``usage.prompt_tokens`` of a Chat Completions request with these messages.

    Content tokens are exact (o200k_base); the per-message and reply overhead follow the OpenAI
    Cookbook. An empty list counts 0 (nothing would be sent).
    """
    if not messages:
        return 0
    total = reply_priming
    for message in messages:
        total += tokens_per_message
        total += count_text(str(message.get("role", "")))
        total += count_text(_content_text(message.get("content")))
        if message.get("name"):
            total += TOKENS_PER_NAME + count_text(str(message["name"]))
    return total
