"""The fixture builder: deterministic, cuts at output limits, writes SSE the way decoders need it."""

from __future__ import annotations

import json

import pytest

from helpers.replay.builder import SpecError, build_exchange
from helpers.replay.tokens import tokenizer_for

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


def test_anthropic_models_carry_the_lifecycle_the_sdk_requires():
    from anthropic.types import ModelInfo

    released = "2026-02-17T00:00:00Z"
    spec = {
        "models": {
            "claude-a": {"display_name": "Claude A", "created_at": released},
            "claude-b": {"lifecycle": "deprecated", "created_at": released},
        }
    }
    built = build_exchange(request("api.anthropic.com", "/v1/models", None, method="GET"), spec)
    data = built.response_body["data"]
    parsed = [ModelInfo.model_validate(entry) for entry in data]
    assert [m.lifecycle for m in parsed] == ["active", "deprecated"]
    assert [m.display_name for m in parsed] == ["Claude A", "claude-b"]
    assert built.response_body["first_id"] == "claude-a"


def test_anthropic_error_request_id_looks_like_an_id():
    body = {"model": "c", "max_tokens": 1, "messages": []}
    spec = {"status": 404, "error": {"type": "not_found_error", "message": "model: c"}}
    built = build_exchange(request("api.anthropic.com", "/v1/messages", body), spec)
    request_id = built.response_body["request_id"]
    assert request_id.startswith("req_") and len(request_id) == 28
    assert len(set(request_id[4:])) > 5, "an id, not one character repeated"


def test_unknown_endpoint_is_a_spec_error():
    with pytest.raises(SpecError, match="모르는 엔드포인트"):
        build_exchange(request("api.openai.com", "/v1/audio/speech", {}), {"answer": "x"})


@pytest.mark.parametrize("provider", ["openai", "anthropic", "huggingface"])
@pytest.mark.parametrize("text", [LONG, "Hello, world! 123 테스트", "  공백  ", "", "👋🏽 é"])
def test_token_pieces_join_back_and_count(provider, text):
    tokenizer = tokenizer_for(provider)
    assert "".join(tokenizer.tokens(text)) == text
    assert tokenizer.count(text) == len(tokenizer.tokens(text))
    assert "".join(tokenizer.chunks(text)) == text
    assert all(tokenizer.chunks(text)), "no empty stream delta"


def test_anthropic_model_without_release_date_is_a_spec_error():
    spec = {"models": {"claude-a": "Claude A"}}
    with pytest.raises(SpecError, match="created_at"):
        build_exchange(request("api.anthropic.com", "/v1/models", None, method="GET"), spec)


def _stream_request(provider):
    question = [{"role": "user", "content": "질문"}]
    if provider == "anthropic":
        body = {"model": "c", "max_tokens": 200, "stream": True, "messages": question}
        return request("api.anthropic.com", "/v1/messages", body)
    if provider == "huggingface":
        body = {"model": "m/x", "messages": question, "stream": True}
        return request("router.huggingface.co", "/v1/chat/completions", body)
    return chat(stream=True, stream_options={"include_usage": True})


@pytest.mark.parametrize("provider", ["openai", "anthropic", "huggingface"])
def test_timing_sets_first_token_and_total_stream_time(provider):
    spec = {"name": "t", "answer": LONG, "timing": {"first_token": 0.5, "total": 1.5}}
    exchange = build_exchange(_stream_request(provider), spec)
    delays = [delay for delay, _ in exchange.events]
    assert delays[0] == 0.5
    assert sum(delays) == pytest.approx(1.5, abs=0.001 * len(delays))
    plain = build_exchange(_stream_request(provider), {"name": "t", "answer": LONG})
    assert [text for _, text in plain.events] == [text for _, text in exchange.events]
    # the authored rhythm is kept, only scaled
    timed = [i for i, (delay, _) in enumerate(plain.events) if i and delay > 0]
    ratio = delays[timed[0]] / plain.events[timed[0]][0]
    assert delays[timed[-1]] == pytest.approx(plain.events[timed[-1]][0] * ratio, abs=1e-4)


def test_timing_first_token_alone_keeps_the_rest():
    spec = {"name": "t", "answer": LONG, "timing": {"first_token": 2}}
    exchange = build_exchange(_stream_request("openai"), spec)
    plain = build_exchange(_stream_request("openai"), {"name": "t", "answer": LONG})
    assert exchange.events[0][0] == 2.0
    assert exchange.events[1:] == plain.events[1:]


@pytest.mark.parametrize(
    ("timing", "message"),
    [
        ({"first_token": 1.0, "total": 0.5}, "짧습니다"),
        ({"first_token": -1}, "0 이상"),
        ({"total": "2s"}, "0 이상"),
        ({"delay": 1}, "형식"),
        (1.5, "형식"),
    ],
)
def test_bad_timing_is_a_spec_error(timing, message):
    spec = {"answer": LONG, "timing": timing}
    with pytest.raises(SpecError, match=message):
        build_exchange(_stream_request("openai"), spec)


def test_timing_first_token_needs_a_stream():
    with pytest.raises(SpecError, match="스트림"):
        build_exchange(chat(), {"answer": LONG, "timing": {"first_token": 1}})


def test_json_timing_total_is_a_delay_kept_in_the_fixture_file():
    from helpers.replay.fixture import parse_exchange

    exchange = build_exchange(chat(), {"answer": LONG, "timing": {"total": 1.25}})
    assert exchange.delay == 1.25 and exchange.events is None
    data = exchange.to_json()
    assert data["response"]["delay"] == 1.25
    assert parse_exchange(data).delay == 1.25
    plain = build_exchange(chat(), {"answer": LONG}).to_json()
    assert "delay" not in plain["response"], "fixtures without timing are unchanged"
    with pytest.raises(SpecError, match="0 이상"):
        build_exchange(chat(), {"answer": LONG, "timing": {"total": -2}})


def test_the_sending_sdk_decides_the_format_whatever_the_host():
    # huggingface_hub pointed at a local server (base_url) still speaks Hugging Face.
    body = {"model": "m", "messages": [{"role": "user", "content": "질문"}], "max_tokens": 50}
    local_chat = {**request("localhost", "/v1/chat/completions", body), "provider": "huggingface"}
    exchange = build_exchange(local_chat, {"answer": LONG})
    assert exchange.provider == "huggingface"
    assert "service_tier" not in exchange.response_body, "not OpenAI's own chat format"
    tgi = request("localhost", "/", {"inputs": "질문", "parameters": {"details": True}})
    generated = build_exchange({**tgi, "provider": "huggingface"}, {"answer": LONG})
    assert generated.response_body[0]["generated_text"] == LONG
    assert generated.response_body[0]["details"]["finish_reason"] == "eos_token"
    with pytest.raises(SpecError):
        build_exchange(tgi, {"answer": LONG})  # without the provider, localhost means OpenAI


def test_hub_model_list_keeps_entries_and_wraps_bare_ids():
    listing = request("huggingface.co", "/api/models", None, method="GET")
    entry = {"id": "org/a", "inferenceProviderMapping": [{"provider": "novita", "task": "x"}]}
    exchange = build_exchange(listing, {"models": [entry, "org/b"]})
    assert exchange.response_body == [entry, {"id": "org/b"}]
