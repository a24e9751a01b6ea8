"""The fixture builder: deterministic, cuts at output limits, writes SSE the way decoders need it."""

from __future__ import annotations

import json

import pytest

from helpers.replay.builder import SpecError, build_exchange
from helpers.replay.tokens import estimate_tokens, pieces

LONG = "트랜스포머는 셀프 어텐션으로 문장 안의 모든 토큰 사이의 관계를 한 번에 계산합니다."


def request(host, path, body, method="POST"):
    return {"method": method, "host": host, "path": path, "query": "", "body": body}


def chat(**extra):
    body = {"model": "m", "messages": [{"role": "user", "content": "질문"}], **extra}
    return request("api.openai.com", "/v1/chat/completions", body)


def test_same_spec_builds_identical_files():
    first = build_exchange(chat(), {"name": "a", "answer": LONG}, today="2026-11-26")
    again = build_exchange(chat(), {"name": "a", "answer": LONG}, today="2026-11-26")
    assert first.to_json() == again.to_json()
    other = build_exchange(chat(), {"name": "b", "answer": LONG}, today="2026-11-26")
    assert other.response_body["id"] != first.response_body["id"]


def test_openai_output_limit_cuts_with_length():
    exchange = build_exchange(chat(max_completion_tokens=5), {"name": "a", "answer": LONG})
    choice = exchange.response_body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert LONG.startswith(choice["message"]["content"]) and choice["message"]["content"] != LONG
    assert exchange.response_body["usage"]["completion_tokens"] == 5


def test_anthropic_output_limit_cuts_with_max_tokens():
    body = {"model": "c", "max_tokens": 4, "messages": [{"role": "user", "content": "질문"}]}
    exchange = build_exchange(request("api.anthropic.com", "/v1/messages", body), {"answer": LONG})
    assert exchange.response_body["stop_reason"] == "max_tokens"


def test_several_answers_become_several_choices():
    exchange = build_exchange(chat(n=2), {"answer": ["첫째", "둘째"]})
    assert [c["message"]["content"] for c in exchange.response_body["choices"]] == ["첫째", "둘째"]


@pytest.mark.parametrize("answer", ["TODO", "", None])
def test_unwritten_answer_is_refused(answer):
    with pytest.raises(SpecError):
        build_exchange(chat(), {"answer": answer})


def test_openai_sse_has_blank_lines_done_and_usage_chunk_last():
    body = {"stream": True, "stream_options": {"include_usage": True}}
    exchange = build_exchange(chat(**body), {"answer": LONG})
    texts = [text for _, text in exchange.events]
    assert all(text.startswith("data: ") and text.endswith("\n\n") for text in texts)
    assert texts[-1] == "data: [DONE]\n\n"
    usage_chunk = json.loads(texts[-2][len("data: ") :])
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0
    assert all(delay >= 0 for delay, _ in exchange.events)
    assert exchange.events[0][0] > exchange.events[1][0], "time to first token is the longest wait"


def test_anthropic_sse_names_every_event():
    body = {
        "model": "c",
        "max_tokens": 100,
        "stream": True,
        "messages": [{"role": "user", "content": "질문"}],
    }
    exchange = build_exchange(request("api.anthropic.com", "/v1/messages", body), {"answer": LONG})
    names = [text.split("\n", 1)[0] for _, text in exchange.events]
    assert names[:2] == ["event: message_start", "event: content_block_start"]
    assert names[-2:] == ["event: message_delta", "event: message_stop"]


def test_errors_use_each_providers_error_shape():
    spec = {"status": 401, "error": {"message": "bad key", "type": "authentication_error"}}
    openai_error = build_exchange(chat(), spec).response_body
    assert openai_error["error"]["message"] == "bad key"
    body = {"model": "c", "max_tokens": 1, "messages": []}
    anthropic_error = build_exchange(request("api.anthropic.com", "/v1/messages", body), spec)
    assert anthropic_error.response_body["type"] == "error"


def test_unknown_endpoint_is_a_spec_error():
    with pytest.raises(SpecError, match="모르는 엔드포인트"):
        build_exchange(request("api.openai.com", "/v1/audio/speech", {}), {"answer": "x"})


@pytest.mark.parametrize("text", [LONG, "Hello, world! 123 테스트", "  공백  ", ""])
def test_pieces_join_back_and_count(text):
    assert "".join(pieces(text)) == text
    assert estimate_tokens(text) == len(pieces(text))
