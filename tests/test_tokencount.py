"""helpers.tokencount: the shipped o200k_base table is tiktoken's own, and counting is offline."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from helpers import tokencount
from helpers.tokencount import count_messages, count_text, encode, token_pieces

SAMPLES = [
    "hello world",
    "Transformer의 핵심 메커니즘은 무엇인가요?",
    "자연어 처리(NLP)는 컴퓨터가 사람의 언어를 이해하도록 돕는 기술입니다.",
    "def f(x):\n    return x ** 2  # 제곱\n",
    "가격은 $0.75 / 1M tokens, 2026-11-26 기준 🙂",
    "<|endoftext|> 특수 토큰처럼 보이는 글자",
    "   여러   칸의   공백\n\n\n줄바꿈",
]


@pytest.fixture
def tiktoken_reference(tmp_path, monkeypatch):
    """tiktoken's own o200k_base loader, fed from its cache (where a download would have put it)."""
    import tiktoken
    from tiktoken_ext import openai_public

    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    raw = gzip.decompress((tokencount_data_path()).read_bytes())
    (tmp_path / hashlib.sha1(url.encode()).hexdigest()).write_bytes(raw)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    return tiktoken.Encoding(**openai_public.o200k_base())


def tokencount_data_path():
    from importlib import resources

    return resources.files("helpers").joinpath("data/o200k_base.tiktoken.gz")


def test_shipped_table_is_the_file_tiktoken_expects():
    from tiktoken_ext import openai_public  # noqa: F401 - the hash below is the one it checks

    raw = gzip.decompress(tokencount_data_path().read_bytes())
    assert hashlib.sha256(raw).hexdigest() == tokencount.O200K_SHA256
    assert tokencount.O200K_SHA256 in open(openai_public.__file__, encoding="utf-8").read()


@pytest.mark.parametrize("text", SAMPLES)
def test_counts_equal_tiktokens_own_o200k_base(tiktoken_reference, text):
    assert encode(text) == tiktoken_reference.encode_ordinary(text)
    assert count_text(text) == len(tiktoken_reference.encode_ordinary(text))


def test_known_counts():
    # Fixed values so a change of table or pattern shows up even without the reference fixture.
    assert count_text("hello world") == 2
    assert count_text("") == 0
    assert encode("hello world") == [24912, 2375]


def test_pieces_join_back_for_whole_characters():
    pieces = token_pieces("Transformer의 핵심")
    assert "".join(pieces) == "Transformer의 핵심"
    assert pieces[0] == "Transformer"


def test_a_corrupt_table_is_refused_in_korean(monkeypatch):
    from importlib import resources

    class FakeFiles:
        def joinpath(self, name):
            return self

        def read_bytes(self):
            return gzip.compress(b"AAAA 0\n")

    monkeypatch.setattr(resources, "files", lambda package: FakeFiles())
    with pytest.raises(RuntimeError, match="손상"):
        tokencount._read_table()


def test_encoding_is_built_without_network_or_cache(tmp_path, monkeypatch):
    # An empty cache dir and (from conftest) no network: only the shipped table can work.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    tokencount.encoding.cache_clear()
    try:
        assert count_text("오프라인에서도 셉니다") > 0
    finally:
        tokencount.encoding.cache_clear()
    assert list(tmp_path.iterdir()) == []


def test_count_messages_follows_the_cookbook_overhead():
    messages = [
        {"role": "system", "content": "hello world"},
        {"role": "user", "content": "hello world", "name": "minjun"},
    ]
    expected = (
        tokencount.REPLY_PRIMING
        + 2 * tokencount.TOKENS_PER_MESSAGE
        + count_text("system")
        + count_text("user")
        + 2 * 2
        + tokencount.TOKENS_PER_NAME
        + count_text("minjun")
    )
    assert count_messages(messages) == expected == 18
    assert count_messages([]) == 0


def test_count_messages_reads_text_parts():
    parts = [{"type": "text", "text": "hello"}, {"type": "text", "text": " world"}]
    assert count_messages([{"role": "user", "content": parts}]) == count_messages(
        [{"role": "user", "content": "hello world"}]
    )


def test_non_text_is_refused():
    with pytest.raises(TypeError, match="문자열"):
        count_text(None)


def test_model_encoding_names():
    assert tokencount.encoding_name_for_model("gpt-4o-mini") == "o200k_base"
    assert tokencount.encoding_name_for_model("claude-sonnet-4-6") is None


def test_korean_needs_more_tokens_per_character_than_english():
    korean = "오늘 날씨가 좋아서 공원에 산책을 갔습니다."
    english = "The weather was nice today, so I went for a walk in the park."
    assert count_text(korean) > 0 and count_text(english) > 0
    assert count_text(korean) / len(korean) > count_text(english) / len(english)


# The OpenAI Cookbook's "How to count tokens with tiktoken" (section 6) sends these messages to
# gpt-4o and gpt-4o-mini and prints "124 prompt tokens counted by the OpenAI API." for both.
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate "
        "jargon into plain English.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "New synergies will help drive top-line growth.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
        "for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client "
        "deliverable.",
    },
]


def test_count_matches_the_prompt_tokens_the_cookbook_got_from_the_api():
    assert count_messages(COOKBOOK_MESSAGES) == 124
