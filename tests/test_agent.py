"""The agent loop against fake clients that answer with each SDK's own typed response objects."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest
from anthropic.types import Message
from huggingface_hub import ChatCompletionOutput
from openai.types.chat import ChatCompletion

from helpers.agent import Tool, calculate, example_tools, run_agent

PROVIDERS = ["openai", "anthropic", "huggingface"]
# Not today: a tool that read the wall clock instead of `clock` would show up here.
TOOLS = example_tools(clock=lambda: date(2024, 3, 1))


def _openai_like(text, calls):
    message = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in calls
        ]
    return {
        "id": "c1",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls" if calls else "stop",
                "message": message,
            }
        ],
    }


def openai_response(text, calls):
    return ChatCompletion.model_validate({**_openai_like(text, calls), "object": "chat.completion"})


def hf_response(text, calls):
    data = {
        **_openai_like(text, calls),
        "system_fingerprint": "fp",
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return ChatCompletionOutput.parse_obj_as_instance(data)


def anthropic_response(text, calls):
    content = [{"type": "text", "text": text}] if text else []
    # Anthropic sends arguments as an object; the tests write them as JSON text for all three.
    content += [
        {"type": "tool_use", "id": i, "name": n, "input": json.loads(a)} for i, n, a in calls
    ]
    return Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": content,
            "stop_reason": "tool_use" if calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )


BUILDERS = {"openai": openai_response, "anthropic": anthropic_response, "huggingface": hf_response}


class FakeClient:
    """Answers scripted responses in order and keeps every request's keyword arguments."""

    def __init__(self, provider, responses):
        self.responses, self.requests = list(responses), []
        # Only the method the real client of `provider` would be called with exists.
        if provider == "openai":
            self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))
        elif provider == "anthropic":
            self.messages = SimpleNamespace(create=self._create)
        else:
            self.chat_completion = self._create

    def _create(self, **kwargs):
        self.requests.append(kwargs)
        return self.responses.pop(0)


def drive(provider, script, **kwargs):
    """`script` is a list of (text, [(id, name, json_args)]) turns."""
    client = FakeClient(provider, (BUILDERS[provider](t, c) for t, c in script))
    kwargs.setdefault("model", "m")
    transcript = run_agent(client, provider, prompt="질문", tools=TOOLS, **kwargs)
    return transcript, client


def sent_results(provider, client, turn=1):
    """The (id, content, is_error) results the loop sent after `turn`, as the wire carries them."""
    messages = client.requests[turn]["messages"]
    if provider == "anthropic":
        blocks = messages[-1]["content"]
        assert messages[-1]["role"] == "user"
        assert all(set(b) == {"type", "tool_use_id", "content", "is_error"} for b in blocks)
        assert all(b["type"] == "tool_result" for b in blocks)
        return [(b["tool_use_id"], b["content"], b["is_error"]) for b in blocks]
    tool_msgs = [m for m in messages if m["role"] == "tool"]
    assert all(set(m) == {"role", "tool_call_id", "content"} for m in tool_msgs)
    return [(m["tool_call_id"], m["content"], m["content"].startswith("오류:")) for m in tool_msgs]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tool_definitions_use_each_providers_shape(provider):
    _, client = drive(provider, [("답", [])])
    tools = client.requests[0]["tools"]
    schema = {
        "properties": {"expression": {"title": "Expression", "type": "string"}},
        "required": ["expression"],
        "title": "CalculatorArgs",
        "type": "object",
    }
    if provider == "anthropic":
        assert tools[0] == {
            "name": "calculator",
            "description": TOOLS[0].description,
            "input_schema": schema,
        }
        assert client.requests[0]["max_tokens"] == 1024
    else:
        assert tools[0] == {
            "type": "function",
            "function": {
                "name": "calculator",
                "description": TOOLS[0].description,
                "parameters": schema,
            },
        }


@pytest.mark.parametrize("provider", PROVIDERS)
def test_final_answer_without_tools(provider):
    transcript, client = drive(provider, [("안녕하세요", [])])
    assert transcript.stop_reason == "final" and transcript.final_text == "안녕하세요"
    assert len(client.requests) == 1 and len(transcript.turns) == 1
    assert "최종 답: 안녕하세요" in str(transcript)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_single_call_round_trip(provider):
    script = [("", [("t1", "calculator", '{"expression": "(3+4)*2"}')]), ("14입니다", [])]
    transcript, client = drive(provider, script)
    assert sent_results(provider, client) == [("t1", "14", False)]
    assistant = client.requests[1]["messages"][-2 if provider != "anthropic" else -2]
    if provider == "anthropic":
        assert assistant == {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "t1",
                    "name": "calculator",
                    "input": {"expression": "(3+4)*2"},
                }
            ],
        }
    else:
        assert assistant == {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "calculator", "arguments": '{"expression": "(3+4)*2"}'},
                }
            ],
        }
    assert transcript.final_text == "14입니다" and transcript.turns[0].calls[0].result == "14"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_parallel_calls_are_all_answered(provider):
    calls = [("a", "today", "{}"), ("b", "lookup_population", '{"city": "부산"}')]
    _, client = drive(provider, [("", calls), ("끝", [])])
    assert sent_results(provider, client) == [
        ("a", "2024-03-01", False),
        ("b", "부산 인구는 약 335만 명입니다.", False),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_arguments_go_back_as_an_error(provider):
    _, client = drive(provider, [("", [("t1", "calculator", '{"expr": "1+1"}')]), ("끝", [])])
    [(call_id, content, is_error)] = sent_results(provider, client)
    assert call_id == "t1" and is_error
    assert content.startswith("오류: 인자가 스키마에 맞지 않습니다") and "expression" in content


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_tool_names_the_known_ones(provider):
    _, client = drive(provider, [("", [("t1", "weather", "{}")]), ("끝", [])])
    assert sent_results(provider, client) == [
        (
            "t1",
            "오류: 'weather' 도구는 없습니다. 사용할 수 있는 도구: calculator, lookup_population, today",
            True,
        )
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_raising_tool_reports_type_and_message(provider):
    calls = [
        ("t1", "calculator", '{"expression": "1/0"}'),
        ("t2", "lookup_population", '{"city": "제주"}'),
    ]
    _, client = drive(provider, [("", calls), ("끝", [])])
    assert sent_results(provider, client) == [
        ("t1", "오류: 도구 실행 중 ZeroDivisionError: division by zero", True),
        (
            "t2",
            "오류: 도구 실행 중 LookupError: 표에 없는 도시입니다: 제주 "
            "(있는 도시: 서울, 부산, 인천, 대구, 대전, 광주)",
            True,
        ),
    ]


@pytest.mark.parametrize("provider", ["openai", "huggingface"])
def test_invalid_json_arguments(provider):
    # Anthropic's `input` is already a parsed object (ToolUseBlock.input: Dict[str, object]),
    # so only the string-argument providers can send broken JSON.
    _, client = drive(provider, [("", [("t1", "calculator", '{"expression": ')]), ("끝", [])])
    [(call_id, content, is_error)] = sent_results(provider, client)
    assert (
        call_id == "t1" and is_error and content.startswith("오류: 인자가 올바른 JSON이 아닙니다")
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_max_turns_stops_with_a_korean_reason(provider):
    looping = ("", [("t1", "today", "{}")])
    transcript, client = drive(provider, [looping, looping, looping], max_turns=2)
    assert len(client.requests) == 2 and transcript.stop_reason == "max_turns"
    assert not transcript.finished and transcript.final_text == ""
    assert "턴 한도(2턴)에 도달해 멈췄습니다" in str(transcript)


def test_system_prompt_goes_where_each_provider_wants_it():
    _, client = drive("anthropic", [("답", [])], system="짧게")
    assert (
        client.requests[0]["system"] == "짧게"
        and client.requests[0]["messages"][0]["role"] == "user"
    )
    _, client = drive("openai", [("답", [])], system="짧게")
    assert client.requests[0]["messages"][0] == {"role": "system", "content": "짧게"}


def test_calculator_refuses_anything_but_arithmetic():
    assert calculate("2**10 - 3*4") == 1012
    for bad in ("__import__('os')", "x + 1", "9**9**9"):
        with pytest.raises(ValueError):
            calculate(bad)


def test_tool_arguments_are_validated_before_the_call():
    seen = []
    tool = Tool("echo", "", TOOLS[0].args, lambda expression: seen.append(expression))
    client = FakeClient("openai", [openai_response("", [("t1", "echo", '{"expression": 3}')])])
    run_agent(client, "openai", prompt="q", tools=[tool], max_turns=1, model="m")
    assert seen == []  # pydantic refused 3 for a str field; the function never ran


def test_huggingface_dict_arguments_are_sent_back_as_a_string():
    # ChatCompletionOutputFunctionDefinition.arguments is typed `str`, but the dataclass does not
    # enforce it and some router backends send an object; the loop accepts both.
    response = hf_response("", [("t1", "calculator", "{}")])
    response.choices[0].message.tool_calls[0].function.arguments = {"expression": "2+3"}
    client = FakeClient("huggingface", [response, hf_response("5", [])])
    run_agent(client, "huggingface", prompt="q", tools=TOOLS, model="m")
    sent = client.requests[1]["messages"]
    assert sent[-2]["tool_calls"][0]["function"]["arguments"] == '{"expression": "2+3"}'
    assert sent[-1] == {"role": "tool", "tool_call_id": "t1", "content": "5"}


@pytest.mark.parametrize("provider", ["openai", "huggingface"])
def test_empty_argument_string_means_no_arguments(provider):
    _, client = drive(provider, [("", [("t1", "today", "")]), ("끝", [])])
    assert sent_results(provider, client) == [("t1", "2024-03-01", False)]


def _cut(provider, response):
    """The same response, stopped by the token limit instead of finishing."""
    if provider == "anthropic":
        response.stop_reason = "max_tokens"
    else:
        response.choices[0].finish_reason = "length"
    return response


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("calls", [[], [("t1", "calculator", '{"expression": "1+1"}')]])
def test_a_cut_reply_stops_the_loop_without_running_tools(provider, calls):
    seen = []
    tool = Tool("calculator", "", TOOLS[0].args, lambda expression: seen.append(expression))
    response = _cut(provider, BUILDERS[provider]("서울 인구는 약", calls))
    client = FakeClient(provider, [response, BUILDERS[provider]("다음 턴", [])])
    transcript = run_agent(client, provider, prompt="q", tools=[tool], model="m")
    assert len(client.requests) == 1 and seen == []
    assert transcript.stop_reason == "cut" and not transcript.finished
    assert transcript.final_text == "서울 인구는 약"
    assert "답이 토큰 한도에서 잘렸습니다" in str(transcript)
    assert "잘린 답: 서울 인구는 약" in str(transcript)


# --- the real SDK clients, over an in-memory transport ------------------------------------------


def _wire_client(provider, replies):
    """A real SDK client whose HTTP goes to `replies` (JSON bodies, in order); requests kept."""
    import httpx2

    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return httpx2.Response(200, json=replies.pop(0))

    transport = httpx2.MockTransport(handler)
    if provider == "openai":
        import openai

        client = openai.OpenAI(
            api_key="test",
            base_url="http://agent.invalid/v1",
            max_retries=0,
            http_client=httpx2.Client(transport=transport),
        )
    elif provider == "anthropic":
        import anthropic

        client = anthropic.Anthropic(
            api_key="test",
            base_url="http://agent.invalid",
            max_retries=0,
            http_client=httpx2.Client(transport=transport),
        )
    else:
        from huggingface_hub import InferenceClient, set_client_factory

        set_client_factory(lambda: httpx2.Client(transport=transport))
        client = InferenceClient(base_url="http://agent.invalid/v1", api_key="test")
    return client, bodies


@pytest.fixture
def restore_hf_session():
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    yield
    set_client_factory(default_client_factory)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_real_sdk_clients_carry_the_round_trip(provider, restore_hf_session):
    calls = [("a", "today", "{}"), ("b", "lookup_population", '{"city": "부산"}')]
    first = BUILDERS[provider]("확인하겠습니다.", calls)
    replies = [
        _json_body(first),
        _json_body(BUILDERS[provider]("부산은 약 335만 명입니다.", [])),
    ]
    client, bodies = _wire_client(provider, replies)
    transcript = run_agent(client, provider, prompt="질문", tools=TOOLS, model="m")
    assert transcript.finished and transcript.final_text == "부산은 약 335만 명입니다."
    assert len(bodies) == 2
    sent = bodies[1]["messages"]
    if provider == "anthropic":
        assistant, results = sent[-2], sent[-1]
        # Every block as the API returned it, and no `null` fields the response model added.
        assert [b["type"] for b in assistant["content"]] == ["text", "tool_use", "tool_use"]
        assert all(None not in b.values() for b in assistant["content"])
        assert [(b["type"], b["tool_use_id"]) for b in results["content"]] == [
            ("tool_result", "a"),
            ("tool_result", "b"),
        ]
    else:
        assistant = sent[-3]
        assert [c["id"] for c in assistant["tool_calls"]] == ["a", "b"]
        assert all(isinstance(c["function"]["arguments"], str) for c in assistant["tool_calls"])
        assert [(m["role"], m["tool_call_id"]) for m in sent[-2:]] == [("tool", "a"), ("tool", "b")]
    assert bodies[1]["tools"] == bodies[0]["tools"]


def _json_body(response):
    if hasattr(response, "model_dump"):
        return response.model_dump(mode="json", exclude_none=True)
    import dataclasses

    return json.loads(json.dumps(dataclasses.asdict(response), default=str))


def test_tgi_object_arguments_over_the_real_hf_client(restore_hf_session):
    # TGI answers `"arguments": {...}` (huggingface/text-generation-inference#2136); the
    # InferenceClient passes the object through, and the loop sends a string back.
    first = _json_body(hf_response("", [("t1", "calculator", "{}")]))
    first["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = {"expression": "6*7"}
    client, bodies = _wire_client("huggingface", [first, _json_body(hf_response("42", []))])
    transcript = run_agent(client, "huggingface", prompt="q", tools=TOOLS, model="m")
    assert transcript.final_text == "42" and transcript.turns[0].calls[0].result == "42"
    sent = bodies[1]["messages"]
    assert sent[-2]["tool_calls"][0]["function"]["arguments"] == '{"expression": "6*7"}'
    assert sent[-1] == {"role": "tool", "tool_call_id": "t1", "content": "42"}
