"""Structured output and tool-call failure modes in authored fixtures, checked by the real SDKs.

Refusals (OpenAI Chat Completions JSON and stream, Responses), tool-call arguments sent verbatim
(broken JSON included), calls to tools the request does not define, the output formats each SDK
sends (`chat.completions.parse`, `responses.parse`, Anthropic `messages.parse`, HF
`response_format`) and their prompt-token cost, and the honesty rule: under a strict schema or a
strict tool the builder refuses an answer the real API could never send.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from huggingface_hub import ChatCompletionOutput
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel

from helpers.replay import builder
from helpers.replay.builder import SpecError, build_exchange
from helpers.replay.profiles import check_exchange
from helpers.replay.validate import schema_problems, structured_problems
from tests.conftest import anthropic_request, author, hf_request, openai_request, sse_payloads

TODAY = "2026-12-01"
QUESTION = [{"role": "user", "content": "서울 날씨를 JSON으로 알려 주세요."}]
REFUSAL = "죄송하지만 그 요청은 도와드릴 수 없습니다."
BROKEN = '{"city": "서울", "unit": '


class Weather(BaseModel):
    city: str
    celsius: int


STRICT_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "celsius": {"type": "integer"}},
    "required": ["city", "celsius"],
    "additionalProperties": False,
}


def weather_format(strict: bool = True) -> dict:
    return {
        "type": "json_schema",
        "json_schema": {"name": "Weather", "schema": STRICT_SCHEMA, "strict": strict},
    }


def weather_tool(strict: bool = False, name: str = "get_weather") -> dict:
    function = {
        "name": name,
        "description": "도시의 현재 날씨를 알려 줍니다.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    }
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def chat(**extra) -> dict:
    return {"model": "gpt-5.4", "messages": QUESTION, **extra}


def claude(**extra) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 400, "messages": QUESTION, **extra}


def build(request: dict, **spec):
    return build_exchange({"query": "", **request}, {"name": "t", **spec}, today=TODAY)


def openai_client(server) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="test",
        base_url=server.base_url("openai"),
        max_retries=0,
        _strict_response_validation=True,
    )


def anthropic_client(server) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="test",
        base_url=server.base_url("anthropic"),
        max_retries=0,
        _strict_response_validation=True,
    )


def sent_body(server, provider: str) -> dict:
    """The body the SDK really sent (the server logs every request)."""
    return server.requests_for(provider)[-1].body


# --- 1. Refusal -------------------------------------------------------------------------------


def test_refusal_parses_to_no_value_and_the_refusal_through_the_sdk(fixture_dir, make_server):
    # capture what chat.completions.parse sends, author the refusal for it, replay it strictly
    capture = make_server()
    with pytest.raises(openai.NotFoundError):
        openai_client(capture).chat.completions.parse(
            model="gpt-5.4", messages=QUESTION, response_format=Weather
        )
    body = sent_body(capture, "openai")
    path = author(fixture_dir, "refused", openai_request(body), refusal=REFUSAL)
    exchange = build(openai_request(body), refusal=REFUSAL)
    assert check_exchange(exchange) == []
    message = exchange.response_body["choices"][0]["message"]
    assert message["content"] is None and message["refusal"] == REFUSAL
    assert exchange.response_body["choices"][0]["finish_reason"] == "stop"

    server = make_server(strict=True)
    assert path.exists()
    completion = openai_client(server).chat.completions.parse(
        model="gpt-5.4", messages=QUESTION, response_format=Weather
    )
    parsed = completion.choices[0].message
    assert parsed.parsed is None and parsed.refusal == REFUSAL and parsed.content is None
    overhead = builder._profile("openai")["tokens"]["completion"]["overhead"]
    tokens = builder.tokenizer_for("openai").count(REFUSAL)
    assert completion.usage.completion_tokens == tokens + overhead


def test_streamed_refusal_arrives_in_refusal_deltas(fixture_dir, make_server):
    body = chat(response_format=weather_format(), stream=True)
    body["stream_options"] = {"include_usage": True}
    exchange = build(openai_request(body), refusal=REFUSAL)
    assert check_exchange(exchange) == []
    deltas = [p["choices"][0]["delta"] for p in sse_payloads(exchange.events) if p["choices"]]
    assert deltas[0] == {"role": "assistant", "content": None, "refusal": ""}
    pieces = [d["refusal"] for d in deltas[1:] if "refusal" in d]
    assert len(pieces) > 3 and "".join(pieces) == REFUSAL
    assert all("content" not in d for d in deltas[1:])

    state = ChatCompletionStreamState(response_format=Weather)
    for payload in sse_payloads(exchange.events):
        list(state.handle_chunk(ChatCompletionChunk.model_validate(payload)))
    final = state.get_final_completion().choices[0]
    assert final.message.parsed is None and final.message.refusal == REFUSAL
    assert final.finish_reason == "stop"


def test_stream_helper_emits_refusal_events_from_replay(fixture_dir, make_server):
    capture = make_server()
    with pytest.raises(openai.NotFoundError):
        with openai_client(capture).chat.completions.stream(
            model="gpt-5.4", messages=QUESTION, response_format=Weather
        ) as stream:
            list(stream)
    author(fixture_dir, "refused", openai_request(sent_body(capture, "openai")), refusal=REFUSAL)
    server = make_server(strict=True)
    with openai_client(server).chat.completions.stream(
        model="gpt-5.4", messages=QUESTION, response_format=Weather
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "refusal.delta" in kinds and "refusal.done" in kinds and "content.delta" not in kinds
    assert final.choices[0].message.parsed is None
    assert final.choices[0].message.refusal == REFUSAL


def test_responses_refusal_parses_to_no_output(fixture_dir, make_server):
    capture = make_server()
    with pytest.raises(openai.NotFoundError):
        openai_client(capture).responses.parse(
            model="gpt-5.4", input="서울 날씨를 JSON으로", text_format=Weather
        )
    body = sent_body(capture, "openai")
    assert body["text"]["format"]["type"] == "json_schema" and body["text"]["format"]["strict"]
    author(fixture_dir, "refused", openai_request(body, "/v1/responses"), refusal=REFUSAL)
    exchange = build(openai_request(body, "/v1/responses"), refusal=REFUSAL)
    assert check_exchange(exchange) == []
    assert exchange.response_body["output"][0]["content"] == [
        {"type": "refusal", "refusal": REFUSAL}
    ]
    server = make_server(strict=True)
    response = openai_client(server).responses.parse(
        model="gpt-5.4", input="서울 날씨를 JSON으로", text_format=Weather
    )
    assert response.output_parsed is None
    assert response.output[0].content[0].refusal == REFUSAL


@pytest.mark.parametrize(
    ("request_", "spec", "needle"),
    [
        (openai_request(chat()), {"refusal": REFUSAL, "answer": "네"}, "answer"),
        (openai_request(chat()), {"refusal": "  "}, "비어 있지 않은"),
        (anthropic_request(claude()), {"refusal": REFUSAL}, "stop_reason: refusal"),
        (
            hf_request(
                {"model": "meta-llama/Llama-3.1-8B-Instruct", "messages": QUESTION},
                "/v1/chat/completions",
            ),
            {"refusal": REFUSAL},
            "OpenAI",
        ),
    ],
    ids=["with-answer", "empty", "anthropic", "huggingface"],
)
def test_refusal_misuse_is_a_korean_spec_error(request_, spec, needle):
    with pytest.raises(SpecError) as caught:
        build(request_, **spec)
    assert needle in str(caught.value)


# --- 2. Tool-call arguments sent verbatim, and tools that do not exist --------------------------


def test_raw_arguments_reach_the_sdk_verbatim_in_json_and_stream():
    body = chat(tools=[weather_tool()])
    calls = [{"name": "get_weather", "raw_arguments": BROKEN}]
    exchange = build(openai_request(body), tool_calls=calls)
    assert check_exchange(exchange) == []
    call = ChatCompletion.model_validate(exchange.response_body).choices[0].message.tool_calls[0]
    assert call.function.arguments == BROKEN
    with pytest.raises(json.JSONDecodeError):
        json.loads(call.function.arguments)
    rule = builder._profile("openai")["tokens"]
    tokenizer = builder.tokenizer_for("openai")
    expected = (
        rule["completion"]["overhead"]
        + rule["tools"]["per_call"]
        + tokenizer.count("get_weather")
        + tokenizer.count(BROKEN)
    )
    assert exchange.response_body["usage"]["completion_tokens"] == expected

    streamed = build(openai_request({**body, "stream": True}), tool_calls=calls)
    assert check_exchange(streamed) == []
    state = ChatCompletionStreamState(input_tools=[weather_tool()])
    for payload in sse_payloads(streamed.events):
        list(state.handle_chunk(ChatCompletionChunk.model_validate(payload)))
    final = state.get_final_completion().choices[0].message.tool_calls[0]
    assert final.function.arguments == BROKEN


def test_raw_arguments_on_hugging_face():
    body = {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "messages": QUESTION,
        "tools": [weather_tool()],
    }
    calls = [{"name": "get_weather", "raw_arguments": BROKEN}]
    exchange = build(hf_request(body, "/v1/chat/completions"), tool_calls=calls)
    assert check_exchange(exchange) == []
    output = ChatCompletionOutput.parse_obj_as_instance(exchange.response_body)
    assert output.choices[0].message.tool_calls[0].function.arguments == BROKEN


@pytest.mark.parametrize(
    ("request_", "calls", "needle"),
    [
        (
            openai_request(chat(tools=[weather_tool()])),
            [{"name": "get_weather", "arguments": {"city": "서울"}, "raw_arguments": "{}"}],
            "하나만",
        ),
        (openai_request(chat()), [{"name": "get_weather", "raw_arguments": {"city": 1}}], "문자열"),
        (
            anthropic_request(
                claude(tools=[{"name": "get_weather", "input_schema": {"type": "object"}}])
            ),
            [{"name": "get_weather", "raw_arguments": BROKEN}],
            "input을 JSON 객체로",
        ),
    ],
    ids=["both", "not-a-string", "anthropic"],
)
def test_raw_arguments_misuse_is_a_korean_spec_error(request_, calls, needle):
    with pytest.raises(SpecError) as caught:
        build(request_, tool_calls=calls)
    assert needle in str(caught.value)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "huggingface"])
def test_a_call_to_a_tool_the_request_does_not_define_is_allowed(provider):
    calls = [{"name": "book_flight", "arguments": {"to": "제주"}}]
    if provider == "openai":
        request = openai_request(chat(tools=[weather_tool()]))
    elif provider == "anthropic":
        request = anthropic_request(
            claude(tools=[{"name": "get_weather", "input_schema": {"type": "object"}}])
        )
    else:
        body = {"model": "meta-llama/Llama-3.1-8B-Instruct", "messages": QUESTION}
        request = hf_request({**body, "tools": [weather_tool()]}, "/v1/chat/completions")
    exchange = build(request, tool_calls=calls)
    assert check_exchange(exchange) == []
    assert "book_flight" in json.dumps(exchange.response_body)


def test_strict_tools_never_call_an_unknown_tool():
    request = openai_request(chat(tools=[weather_tool(strict=True)]))
    with pytest.raises(SpecError) as caught:
        build(request, tool_calls=[{"name": "book_flight", "arguments": {}}])
    assert "book_flight" in str(caught.value) and "strict" in str(caught.value)


# --- 4. What each SDK sends for structured output, and what it costs ---------------------------


def test_anthropic_parse_sends_output_config_and_gets_parsed_output(fixture_dir, make_server):
    capture = make_server()
    with pytest.raises(anthropic.NotFoundError):
        anthropic_client(capture).messages.parse(
            model="claude-sonnet-4-5", max_tokens=400, messages=QUESTION, output_format=Weather
        )
    body = sent_body(capture, "anthropic")
    assert "output_format" not in body
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert body["output_config"]["format"]["schema"]["additionalProperties"] is False
    author(fixture_dir, "json", anthropic_request(body), answer='{"city":"서울","celsius":3}')
    server = make_server(strict=True)
    message = anthropic_client(server).messages.parse(
        model="claude-sonnet-4-5", max_tokens=400, messages=QUESTION, output_format=Weather
    )
    assert message.parsed_output == Weather(city="서울", celsius=3)
    # the format is counted in the prompt (the tokens.tools assumption), as sent
    plain = builder.anthropic_input_tokens(claude())
    assert builder.anthropic_input_tokens(body) > plain
    legacy = {**claude(), "output_format": body["output_config"]["format"]}
    assert builder.anthropic_input_tokens(legacy) == builder.anthropic_input_tokens(body)


def test_responses_parse_gets_output_parsed_and_the_format_echoed(fixture_dir, make_server):
    capture = make_server()
    with pytest.raises(openai.NotFoundError):
        openai_client(capture).responses.parse(
            model="gpt-5.4", input="서울 날씨를 JSON으로", text_format=Weather
        )
    body = sent_body(capture, "openai")
    author(
        fixture_dir,
        "json",
        openai_request(body, "/v1/responses"),
        answer='{"city":"서울","celsius":3}',
    )
    server = make_server(strict=True)
    response = openai_client(server).responses.parse(
        model="gpt-5.4", input="서울 날씨를 JSON으로", text_format=Weather
    )
    assert response.output_parsed == Weather(city="서울", celsius=3)
    assert response.text.format.type == "json_schema"
    assert response.text.format.name == body["text"]["format"]["name"]
    plain = {"model": "gpt-5.4", "input": "서울 날씨를 JSON으로"}
    assert builder.openai_prompt_tokens(body) > builder.openai_prompt_tokens(plain)
    as_text = {**plain, "text": {"format": {"type": "text"}}}
    assert builder.openai_prompt_tokens(as_text) == builder.openai_prompt_tokens(plain)


@pytest.mark.parametrize(
    "response_format",
    [
        {"type": "json_object"},
        {"type": "json_schema", "json_schema": {"name": "Weather", "schema": STRICT_SCHEMA}},
        weather_format(strict=True),
    ],
    ids=["json_object", "json_schema", "json_schema-strict"],
)
def test_hf_response_formats_build_and_parse(response_format):
    # the three ChatCompletionInputGrammarType forms huggingface_hub accepts
    body = {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "messages": QUESTION,
        "response_format": response_format,
    }
    exchange = build(hf_request(body, "/v1/chat/completions"), answer='{"city":"서울","celsius":3}')
    assert check_exchange(exchange) == []
    output = ChatCompletionOutput.parse_obj_as_instance(exchange.response_body)
    assert json.loads(output.choices[0].message.content) == {"city": "서울", "celsius": 3}
    plain = {key: value for key, value in body.items() if key != "response_format"}
    assert builder.hf_prompt_tokens(body) > builder.hf_prompt_tokens(plain)


# --- 5. A strict schema or a strict tool guarantees the answer ----------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        '{"city":"서울"}',  # a required key missing
        '{"city":"서울","celsius":"3도"}',  # wrong type
        '{"city":"서울","celsius":3,"wind":2}',  # additionalProperties false
        '{"city":"서울","celsius":3',  # not JSON
        "서울은 3도입니다.",  # free text
    ],
    ids=["missing", "type", "extra", "broken", "text"],
)
def test_an_answer_breaking_a_strict_schema_is_refused(answer):
    for request in (
        openai_request(chat(response_format=weather_format())),
        openai_request(
            {
                "model": "gpt-5.4",
                "input": "서울 날씨",
                "text": {
                    "format": {
                        "type": "json_schema",
                        "name": "Weather",
                        "schema": STRICT_SCHEMA,
                        "strict": True,
                    }
                },
            },
            "/v1/responses",
        ),
        anthropic_request(
            claude(output_config={"format": {"schema": STRICT_SCHEMA, "type": "json_schema"}})
        ),
        openai_request(chat(response_format=weather_format(), stream=True)),
        anthropic_request(
            claude(
                output_config={"format": {"schema": STRICT_SCHEMA, "type": "json_schema"}},
                stream=True,
            )
        ),
    ):
        with pytest.raises(SpecError) as caught:
            build(request, answer=answer)
        assert "strict" in str(caught.value), request["path"]


def test_what_strict_mode_does_not_guarantee_still_builds():
    good = '{"city":"서울","celsius":3}'
    assert build(openai_request(chat(response_format=weather_format())), answer=good)
    # non-strict schema and JSON mode: the model may break them (a failure mode to show)
    build(openai_request(chat(response_format=weather_format(strict=False))), answer="{broken")
    build(openai_request(chat(response_format={"type": "json_object"})), answer="{broken")
    # cut at the output limit: the JSON stops mid-way (finish_reason length)
    cut = build(
        openai_request(chat(response_format=weather_format(), max_completion_tokens=6)),
        answer=good,
    )
    assert cut.response_body["choices"][0]["finish_reason"] == "length"
    body = claude(output_config={"format": {"schema": STRICT_SCHEMA, "type": "json_schema"}})
    cut = build(anthropic_request({**body, "max_tokens": 3}), answer=good)
    assert cut.response_body["stop_reason"] == "max_tokens"
    # a refusal replaces the JSON
    build(openai_request(chat(response_format=weather_format())), refusal=REFUSAL)


def test_strict_tool_arguments_must_conform():
    forced = {"type": "function", "function": {"name": "get_weather"}}
    request = openai_request(chat(tools=[weather_tool(strict=True)], tool_choice=forced))
    build(request, tool_calls=[{"name": "get_weather", "arguments": {"city": "서울"}}])
    for calls in (
        [{"name": "get_weather", "arguments": {"town": "서울"}}],
        [{"name": "get_weather", "raw_arguments": BROKEN}],
    ):
        with pytest.raises(SpecError):
            build(request, tool_calls=calls)
        with pytest.raises(SpecError):
            build(openai_request({**request["body"], "stream": True}), tool_calls=calls)
    # the same broken call without strict is what a model may really send
    loose = openai_request(chat(tools=[weather_tool()], tool_choice=forced))
    build(loose, tool_calls=[{"name": "get_weather", "raw_arguments": BROKEN}])
    tool = {
        "name": "get_weather",
        "strict": True,
        "input_schema": weather_tool()["function"]["parameters"],
    }
    claude_request = anthropic_request(claude(tools=[tool]))
    build(claude_request, tool_calls=[{"name": "get_weather", "arguments": {"city": "서울"}}])
    with pytest.raises(SpecError):
        build(claude_request, tool_calls=[{"name": "get_weather", "arguments": {"city": 3}}])


def test_strict_tool_call_parses_through_chat_completions_parse(fixture_dir, make_server):
    class GetWeather(BaseModel):
        city: str

    tools = [openai.pydantic_function_tool(GetWeather)]
    capture = make_server()
    with pytest.raises(openai.NotFoundError):
        openai_client(capture).chat.completions.parse(
            model="gpt-5.4", messages=QUESTION, tools=tools
        )
    body = sent_body(capture, "openai")
    assert body["tools"][0]["function"]["strict"] is True
    calls = [{"name": "GetWeather", "arguments": {"city": "서울"}}]
    author(fixture_dir, "call", openai_request(body), tool_calls=calls)
    server = make_server(strict=True)
    completion = openai_client(server).chat.completions.parse(
        model="gpt-5.4", messages=QUESTION, tools=tools
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.parsed_arguments == GetWeather(city="서울")


SCHEMA_WITH_REFS = {
    "$defs": {
        "Unit": {"type": "string", "enum": ["c", "f"]},
        "Reading": {
            "type": "object",
            "properties": {"value": {"type": "number"}, "unit": {"$ref": "#/$defs/Unit"}},
            "required": ["value", "unit"],
            "additionalProperties": False,
        },
    },
    "type": "object",
    "properties": {
        "kind": {"const": "weather"},
        "note": {"type": ["string", "null"]},
        "readings": {"type": "array", "items": {"$ref": "#/$defs/Reading"}},
        "place": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    },
    "required": ["kind", "note", "readings", "place"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"kind": "weather", "note": None, "readings": [], "place": "서울"}, None),
        (
            {
                "kind": "weather",
                "note": "맑음",
                "readings": [{"value": 3, "unit": "c"}],
                "place": 1,
            },
            None,
        ),
        ({"kind": "rain", "note": None, "readings": [], "place": "서울"}, "$.kind"),
        ({"kind": "weather", "note": 3, "readings": [], "place": "서울"}, "$.note"),
        (
            {
                "kind": "weather",
                "note": None,
                "readings": [{"value": 3, "unit": "k"}],
                "place": "서울",
            },
            "$.readings[0].unit",
        ),
        (
            {
                "kind": "weather",
                "note": None,
                "readings": [{"value": True, "unit": "c"}],
                "place": "서울",
            },
            "$.readings[0].value",
        ),
        ({"kind": "weather", "note": None, "readings": [], "place": 1.5}, "$.place"),
        ({"kind": "weather", "note": None, "readings": []}, "place"),
    ],
    ids=[
        "ok-null",
        "ok-full",
        "const",
        "nullable",
        "ref-enum",
        "bool-not-number",
        "anyof",
        "required",
    ],
)
def test_schema_checker_covers_the_strict_keywords(value, where):
    problems = schema_problems(value, SCHEMA_WITH_REFS)
    if where is None:
        assert problems == []
    else:
        assert problems and where in problems[0], problems


def test_structured_problems_reads_the_wire_of_each_provider():
    bad = '{"city":"서울","celsius":"3"}'
    good = '{"city":"서울","celsius":3}'
    body = chat(response_format=weather_format())
    fine = build(openai_request(body), answer=good)
    args = ("openai", "/v1/chat/completions", body, 200)
    assert structured_problems(*args, fine.response_body, None) == []
    broken = json.loads(json.dumps(fine.response_body))
    broken["choices"][0]["message"]["content"] = bad
    assert structured_problems(*args, broken, None)
    assert structured_problems(*args[:3], 400, broken, None) == [], "errors carry no answer"
