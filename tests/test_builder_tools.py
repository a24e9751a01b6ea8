"""Tool calls in authored fixtures parse through the real SDKs' own types and stream helpers.

Exchanges are built in memory (no committed fixtures). Each is validated by the SDK's model
classes: OpenAI `ChatCompletion` / `ChatCompletionChunk` accumulated by the SDK's
`ChatCompletionStreamState` (what `client.chat.completions.stream` uses), `parse_chat_completion`
(what `client.chat.completions.parse` uses), Anthropic `Message` and `accumulate_event` (what
`messages.stream` uses), Hugging Face `ChatCompletionOutput`. `check_exchange` must pass too.
"""

from __future__ import annotations

import json

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent, ToolUseBlock
from huggingface_hub import ChatCompletionOutput
from openai.lib._parsing._completions import parse_chat_completion
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, TypeAdapter

from helpers.replay import builder
from helpers.replay.builder import SpecError, build_exchange
from helpers.replay.profiles import check_exchange

TODAY = "2026-12-01"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "도시의 현재 날씨를 알려 줍니다.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CALLS = [
    {"name": "get_weather", "arguments": {"city": "서울"}},
    {"name": "get_weather", "arguments": {"city": "부산"}},
]


def _request(provider: str, path: str, body: dict) -> dict:
    hosts = {
        "openai": "api.openai.com",
        "anthropic": "api.anthropic.com",
        "huggingface": "router.huggingface.co",
    }
    return {
        "provider": provider,
        "method": "POST",
        "host": hosts[provider],
        "path": path,
        "body": body,
    }


def _payloads(exchange) -> list[dict]:
    found = []
    for _, text in exchange.events:
        data = [line for line in text.split("\n") if line.startswith("data: ")][-1][6:]
        if data != "[DONE]":
            found.append(json.loads(data))
    return found


def _openai_body(**extra) -> dict:
    messages = [{"role": "user", "content": "서울과 부산 날씨 알려 줘"}]
    return {"model": "gpt-5.2", "messages": messages, "tools": [WEATHER], **extra}


def test_openai_parallel_tool_calls_parse_as_chat_completion():
    exchange = build_exchange(
        _request("openai", "/v1/chat/completions", _openai_body()),
        {"name": "t", "tool_calls": CALLS},
        today=TODAY,
    )
    assert check_exchange(exchange) == []
    completion = ChatCompletion.model_validate(exchange.response_body)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert [json.loads(c.function.arguments) for c in calls] == [c["arguments"] for c in CALLS]
    assert all(c.id.startswith("call_") and c.type == "function" for c in calls)
    assert calls[0].id != calls[1].id


def test_openai_streamed_tool_calls_accumulate_in_the_sdk_stream_state():
    body = _openai_body(stream=True, stream_options={"include_usage": True})
    exchange = build_exchange(
        _request("openai", "/v1/chat/completions", body),
        {"name": "t", "tool_calls": CALLS},
        today=TODAY,
    )
    assert check_exchange(exchange) == []
    payloads = _payloads(exchange)
    state = ChatCompletionStreamState(input_tools=[WEATHER])
    for payload in payloads:
        list(state.handle_chunk(ChatCompletionChunk.model_validate(payload)))
    final = state.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments) for c in calls] == [c["arguments"] for c in CALLS]
    assert final.choices[0].finish_reason == "tool_calls"
    # the arguments arrive in pieces, after a header delta with empty arguments
    pieces = [p for p in payloads if p["choices"] and "tool_calls" in p["choices"][0]["delta"]]
    assert pieces[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] == ""
    assert len(pieces) > 2 * len(CALLS)
    assert final.usage.completion_tokens == 4 + builder._tool_output_tokens("openai", CALLS)


def test_openai_parse_with_a_pydantic_response_format():
    class Weather(BaseModel):
        city: str
        celsius: int

    schema = {
        "type": "json_schema",
        "json_schema": {"name": "Weather", "schema": Weather.model_json_schema(), "strict": True},
    }
    messages = [{"role": "user", "content": "서울 날씨를 JSON으로"}]
    body = {"model": "gpt-5.2", "messages": messages, "response_format": schema}
    exchange = build_exchange(
        _request("openai", "/v1/chat/completions", body),
        {"name": "t", "answer": '{"city":"서울","celsius":3}'},
        today=TODAY,
    )
    parsed = parse_chat_completion(
        response_format=Weather,
        input_tools=[],
        chat_completion=ChatCompletion.model_validate(exchange.response_body),
    )
    assert parsed.choices[0].message.parsed == Weather(city="서울", celsius=3)
    # the schema is counted in the prompt (the tokens.tools assumption)
    assert builder.openai_prompt_tokens(body) > builder.openai_prompt_tokens(
        {"model": "gpt-5.2", "messages": messages}
    )


ANTHROPIC_TOOL = {
    "name": "get_weather",
    "description": "도시의 현재 날씨를 알려 줍니다.",
    "input_schema": WEATHER["function"]["parameters"],
}


def _anthropic_body(**extra) -> dict:
    messages = [{"role": "user", "content": "서울과 부산 날씨 알려 줘"}]
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 512,
        "messages": messages,
        "tools": [ANTHROPIC_TOOL],
        **extra,
    }


def test_anthropic_tool_use_blocks_parse_as_message():
    exchange = build_exchange(
        _request("anthropic", "/v1/messages", _anthropic_body()),
        {"name": "t", "answer": "날씨를 찾아보겠습니다.", "tool_calls": CALLS},
        today=TODAY,
    )
    assert check_exchange(exchange) == []
    message = Message.model_validate(exchange.response_body)
    assert message.stop_reason == "tool_use"
    assert message.content[0].type == "text"
    tools = message.content[1:]
    assert all(isinstance(b, ToolUseBlock) and b.id.startswith("toolu_01") for b in tools)
    assert [b.input for b in tools] == [c["arguments"] for c in CALLS]


def test_anthropic_stream_accumulates_input_json_delta_into_input():
    exchange = build_exchange(
        _request("anthropic", "/v1/messages", _anthropic_body(stream=True)),
        {"name": "t", "tool_calls": CALLS},
        today=TODAY,
    )
    assert check_exchange(exchange) == []
    adapter = TypeAdapter(RawMessageStreamEvent)
    snapshot, bufs = None, {}
    payloads = [p for p in _payloads(exchange) if p["type"] != "ping"]
    for payload in payloads:
        event = adapter.validate_python(payload)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert [b.input for b in snapshot.content] == [c["arguments"] for c in CALLS]
    assert snapshot.stop_reason == "tool_use"
    starts = [p for p in payloads if p["type"] == "content_block_start"]
    assert all(p["content_block"]["input"] == {} for p in starts)
    deltas = [p for p in payloads if p["type"] == "content_block_delta"]
    assert all(d["delta"]["type"] == "input_json_delta" for d in deltas)
    assert len(deltas) > 2 * len(CALLS)


def test_hf_tool_calls_parse_as_chat_completion_output():
    messages = [{"role": "user", "content": "서울 날씨 알려 줘"}]
    body = {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "messages": messages,
        "tools": [WEATHER],
        "tool_choice": "auto",
    }
    exchange = build_exchange(
        _request("huggingface", "/v1/chat/completions", body),
        {"name": "t", "tool_calls": CALLS[:1]},
        today=TODAY,
    )
    assert check_exchange(exchange) == []
    output = ChatCompletionOutput.parse_obj_as_instance(exchange.response_body)
    call = output.choices[0].message.tool_calls[0]
    assert isinstance(call.function.arguments, str)  # a JSON string, as huggingface_hub types it
    assert json.loads(call.function.arguments) == {"city": "서울"}
    assert output.choices[0].finish_reason == "tool_calls"


def test_hf_streamed_tool_calls_are_refused_in_korean():
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    with pytest.raises(SpecError, match="지원하지 않습니다"):
        build_exchange(
            _request("huggingface", "/v1/chat/completions", body),
            {"name": "t", "tool_calls": CALLS[:1]},
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("count", "body"),
    [
        (
            builder.openai_prompt_tokens,
            {
                "messages": [
                    {"role": "user", "content": "날씨?"},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_x",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city":"서울"}'},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_x", "content": "맑음, 3도"},
                ],
                "tools": [WEATHER],
                "tool_choice": "auto",
            },
        ),
        (
            builder.anthropic_input_tokens,
            {
                "messages": [
                    {"role": "user", "content": "날씨?"},
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "tool_use",
                                "id": "toolu_01x",
                                "name": "get_weather",
                                "input": {"city": "서울"},
                            }
                        ],
                    },
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": "toolu_01x",
                                "content": [{"type": "text", "text": "맑음, 3도"}],
                            }
                        ],
                    },
                ],
                "tools": [ANTHROPIC_TOOL],
                "tool_choice": {"type": "any"},
            },
        ),
        (
            builder.hf_prompt_tokens,
            {
                "messages": [
                    {"role": "user", "content": "날씨?"},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_x",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city":"서울"}'},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_x", "content": "맑음, 3도"},
                ],
                "tools": [WEATHER],
                "tool_choice": "auto",
            },
        ),
    ],
)
def test_tool_definitions_calls_and_results_all_count_as_prompt_tokens(count, body):
    without_tools = {k: v for k, v in body.items() if k not in ("tools", "tool_choice")}
    assert count(body) > count(without_tools)

    def longer(old: str, new: str) -> dict:
        return json.loads(json.dumps(body, ensure_ascii=False).replace(old, new))

    # the call's arguments and the tool's result are counted, not skipped
    assert count(longer("서울", "서울특별시 종로구 세종대로")) > count(body)
    assert count(longer("맑음, 3도", "맑음, 3도, 바람 약함, 습도 40%")) > count(body)
