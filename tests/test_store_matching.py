"""A lenient replay stands in only with an answer of the requested shape.

Parameters such as temperature or max_tokens may differ from a stored exchange (it stands in with
a warning), but the ones that decide what kind of answer comes back — tool_choice,
parallel_tool_calls, response_format, the Responses API's text.format, Anthropic's output_config —
must match, or the request misses with the usual Korean message.
"""

from __future__ import annotations

import anthropic
import openai
import pytest
from pydantic import BaseModel

from helpers.replay.builder import build_exchange
from helpers.replay.store import FixtureStore, lenient_key
from tests.conftest import anthropic_request, author, openai_request

QUESTION = [{"role": "user", "content": "서울 날씨를 알려 주세요."}]
WEATHER_TOOL = {
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
CITY_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "City",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


class City(BaseModel):
    city: str


def chat(**extra) -> dict:
    return {"model": "gpt-5.4", "messages": QUESTION, **extra}


def store_with(*entries: tuple[dict, dict]) -> FixtureStore:
    store = FixtureStore([])
    for request, spec in entries:
        store.add(build_exchange({"query": "", **request}, spec, today="2026-12-01"))
    return store


def find(store: FixtureStore, request: dict):
    return store.find(request["method"], request["host"], request["path"], "", request["body"])


@pytest.mark.parametrize(
    ("stored", "sent"),
    [
        # a JSON-schema request never gets a free-text answer
        (chat(), chat(response_format=CITY_SCHEMA)),
        (chat(response_format={"type": "json_object"}), chat(response_format=CITY_SCHEMA)),
        # a forced tool call never gets the answer of an auto one
        (chat(tools=[WEATHER_TOOL]), chat(tools=[WEATHER_TOOL], tool_choice="required")),
        (
            chat(tools=[WEATHER_TOOL], tool_choice="auto"),
            chat(
                tools=[WEATHER_TOOL],
                tool_choice={"type": "function", "function": {"name": "get_weather"}},
            ),
        ),
        (
            chat(tools=[WEATHER_TOOL]),
            chat(tools=[WEATHER_TOOL], parallel_tool_calls=False),
        ),
    ],
    ids=[
        "text-vs-schema",
        "json-object-vs-schema",
        "auto-vs-required",
        "auto-vs-named",
        "parallel",
    ],
)
def test_answer_shaping_parameters_are_part_of_the_lenient_key(stored, sent):
    store = store_with((openai_request(stored), {"answer": "서울은 맑습니다."}))
    match = find(store, openai_request(sent))
    assert match.exchange is None, match.differences
    assert store.peek("POST", "api.openai.com", "/v1/chat/completions", "", sent).exchange is None


def test_other_parameters_stay_lenient():
    stored = chat(response_format=CITY_SCHEMA, temperature=0.7)
    store = store_with((openai_request(stored), {"answer": '{"city":"서울"}'}))
    match = find(store, openai_request(chat(response_format=CITY_SCHEMA, max_tokens=50)))
    assert match.exchange is not None and not match.exact
    assert any(line.startswith("temperature") for line in match.differences)
    assert any(line.startswith("max_tokens") for line in match.differences)


def test_responses_text_format_decides_but_verbosity_does_not():
    def body(**text) -> dict:
        plain = {"model": "gpt-5.4", "input": "서울 날씨"}
        return {**plain, "text": text} if text else plain

    schema = {"type": "json_schema", **CITY_SCHEMA["json_schema"]}
    path = "/v1/responses"
    store = store_with((openai_request(body(format=schema), path), {"answer": '{"city":"서울"}'}))
    same_format = find(store, openai_request(body(format=schema, verbosity="low"), path))
    assert same_format.exchange is not None, "text.verbosity is lenient"
    assert find(store, openai_request(body(), path)).exchange is None
    assert find(store, openai_request(body(format={"type": "text"}), path)).exchange is None


def test_anthropic_output_config_and_tool_choice_decide():
    base = {"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": QUESTION}
    fmt = {"format": {"schema": City.model_json_schema(), "type": "json_schema"}}
    store = store_with((anthropic_request(base), {"answer": "서울은 맑습니다."}))
    assert find(store, anthropic_request({**base, "max_tokens": 300})).exchange is not None
    assert find(store, anthropic_request({**base, "output_config": fmt})).exchange is None
    effort = {**base, "output_config": {"effort": "low"}}
    assert find(store, anthropic_request(effort)).exchange is not None, "effort stays lenient"
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    store = store_with((anthropic_request({**base, "tools": tools}), {"answer": "맑습니다."}))
    forced = {**base, "tools": tools, "tool_choice": {"type": "tool", "name": "get_weather"}}
    assert find(store, anthropic_request(forced)).exchange is None


def test_a_text_generation_grammar_decides_but_max_new_tokens_does_not():
    def key(**parameters) -> str:
        body = {"inputs": "서울 날씨를 JSON으로", "parameters": parameters}
        return lenient_key("POST", "localhost:8080", "/", "", body)

    grammar = {"type": "json", "value": {"type": "object"}}
    assert key(max_new_tokens=50) == key(max_new_tokens=80)
    assert key(max_new_tokens=50) != key(max_new_tokens=50, grammar=grammar)


def test_lenient_key_differs_exactly_on_answer_shape():
    def key(body: dict) -> str:
        return lenient_key("POST", "api.openai.com", "/v1/chat/completions", "", body)

    assert key(chat(temperature=0.1)) == key(chat(temperature=0.9))
    assert key(chat()) != key(chat(response_format=CITY_SCHEMA))
    assert key(chat(tools=[WEATHER_TOOL])) != key(chat(tools=[WEATHER_TOOL], tool_choice="none"))


def test_a_lenient_server_misses_a_schema_request_with_the_korean_message(fixture_dir, make_server):
    author(fixture_dir, "free_text", openai_request(chat()), answer="서울은 맑습니다.")
    author(
        fixture_dir,
        "forced_text",
        anthropic_request({"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": QUESTION}),
        answer="서울은 맑습니다.",
    )
    server = make_server(strict=False)
    client = openai.OpenAI(api_key="test", base_url=server.base_url("openai"), max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.parse(model="gpt-5.4", messages=QUESTION, response_format=City)
    assert "저장된 응답이 없습니다" in str(caught.value)
    assert "response_format" in str(caught.value), "the diff names the field that differs"
    claude = anthropic.Anthropic(
        api_key="test", base_url=server.base_url("anthropic"), max_retries=0
    )
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.messages.parse(
            model="claude-sonnet-4-5", max_tokens=200, messages=QUESTION, output_format=City
        )
    assert "저장된 응답이 없습니다" in str(caught.value)
    # the same requests without the format are stood in for (lenient), as before
    reply = client.chat.completions.create(model="gpt-5.4", messages=QUESTION, temperature=0.3)
    assert reply.choices[0].message.content == "서울은 맑습니다."
