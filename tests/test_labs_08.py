"""Lesson 08 labs: the reference solutions of /tmp/briefs/lab08_contract.md pass, unsolved answers get
guidance, an answer that raises becomes feedback, and the public helpers the notebook uses work."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from helpers.labs import TODO, check
from helpers.labs.lesson08 import (
    RESERVATION_MESSAGE,
    demo_stop,
    sample_completion,
    sample_message,
    sample_run_tool,
    sent_messages,
    show_strict_schemas,
    strict_schemas,
)

# --- reference solutions (the contract's) -------------------------------------------------------


class Reservation(BaseModel):
    guest_name: str = Field(description="예약자 이름")
    party_size: int = Field(description="인원 수")
    visit_time: str = Field(description="방문 시각, 24시간제 HH:MM")
    requests: list[str] = Field(description="요청 사항 목록, 없으면 빈 리스트")
    phone: str | None = Field(description="연락처, 메시지에 없으면 null")


def add_tool_results(messages, completion, run_tool):
    message = completion.choices[0].message
    messages = [*messages, message]
    for call in message.tool_calls:
        arguments = json.loads(call.function.arguments)
        result = run_tool(call.function.name, arguments)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return messages


def add_tool_results_anthropic(messages, response, run_tool):
    results = [
        {
            "type": "tool_result",
            "tool_use_id": block.id,
            "content": run_tool(block.name, block.input),
        }
        for block in response.content
        if block.type == "tool_use"
    ]
    return [
        *messages,
        {"role": "assistant", "content": response.content},
        {"role": "user", "content": results},
    ]


def run_loop(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in ("length", "max_tokens"):
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
        run_tools(reply.calls)
    return ("max_turns", reply.text)


REFERENCES = {
    "08-schema": Reservation,
    "08-roundtrip": add_tool_results,
    "08-roundtrip-anthropic": add_tool_results_anthropic,
    "08-stop": run_loop,
}


@pytest.mark.parametrize(("lab_id", "answer"), sorted(REFERENCES.items()))
def test_reference_solutions_pass(lab_id, answer):
    feedback = check(lab_id, answer)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("lab_id", sorted(REFERENCES))
def test_unsolved_is_guidance(lab_id):
    def stub(*args, **kwargs):
        return TODO

    assert check(lab_id, TODO).status == "unsolved"
    assert check(lab_id, stub).status == "unsolved"


def test_template_class_without_fields_is_unsolved():
    class Reservation(BaseModel):
        # TODO: fields
        ...

    feedback = check("08-schema", Reservation)
    assert feedback.status == "unsolved", str(feedback)
    assert "필드가 없습니다" in str(feedback)


@pytest.mark.parametrize("lab_id", ["08-roundtrip", "08-roundtrip-anthropic", "08-stop"])
def test_an_answer_that_raises_becomes_feedback(lab_id):
    names = {
        "08-roundtrip": ["messages", "completion", "run_tool"],
        "08-roundtrip-anthropic": ["messages", "response", "run_tool"],
        "08-stop": ["ask_model", "run_tools", "max_turns"],
    }[lab_id]
    namespace: dict = {}
    exec(f"def answer({', '.join(names)}):\n    return {{}}['no such key']\n", namespace)
    feedback = check(lab_id, namespace["answer"])
    assert feedback.status == "error", str(feedback)
    assert "KeyError" in str(feedback)


def test_a_model_whose_validator_raises_is_rejected_not_crashing():
    from pydantic import field_validator

    class Reservation(BaseModel):
        guest_name: str
        party_size: int
        visit_time: str
        requests: list[str]
        phone: str | None

        @field_validator("guest_name")
        @classmethod
        def boom(cls, value):
            raise ValueError("이름 검사기가 항상 실패합니다")

    feedback = check("08-schema", Reservation)
    assert feedback.status == "failed", str(feedback)
    assert "올바른 답" in str(feedback) and "guest_name" in str(feedback)


def test_wrong_kind_of_answer_is_named():
    assert "클래스 자체" in str(check("08-schema", Reservation.model_validate_json(_good())))
    assert "BaseModel" in str(check("08-schema", {"guest_name": "김민수"}))
    assert "함수여야" in str(check("08-roundtrip", [1, 2]))
    assert "매개변수" in str(check("08-stop", lambda model, tools, turns: ("final", "")))


def _good() -> str:
    return json.dumps(
        {
            "guest_name": "김민수",
            "party_size": 4,
            "visit_time": "19:00",
            "requests": [],
            "phone": None,
        }
    )


# --- public helpers -----------------------------------------------------------------------------


def test_reservation_message_holds_the_expected_facts():
    for fact in ("김민수", "4명", "7시", "창가", "아기 의자"):
        assert fact in RESERVATION_MESSAGE


def test_strict_schemas_are_what_each_sdk_sends():
    schemas = strict_schemas(Reservation)
    assert set(schemas) == {"openai", "anthropic"}
    for schema in schemas.values():
        assert schema["additionalProperties"] is False
        assert schema["required"] == list(Reservation.model_fields)


def test_sample_completion_arguments_are_json_strings():
    calls = sample_completion(parallel=True).choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["서울", "부산"]
    assert len(sample_completion().choices[0].message.tool_calls) == 1


def test_sample_message_has_text_then_tool_use():
    kinds = [b.type for b in sample_message(parallel=True).content]
    assert kinds == ["text", "tool_use", "tool_use"]


def test_sample_run_tool_explains_a_string_argument():
    assert sample_run_tool("get_weather", {"city": "서울"}).startswith("서울:")
    assert "없습니다" in sample_run_tool("search", {"q": "x"})
    with pytest.raises(TypeError, match="json.loads"):
        sample_run_tool("get_weather", '{"city": "서울"}')


def test_sent_messages_serializes_sdk_objects_like_dicts():
    message = sample_completion().choices[0].message
    wire = sent_messages("openai", [{"role": "user", "content": "q"}, message])
    assert wire[1]["tool_calls"][0]["function"]["arguments"] == '{"city": "서울"}'
    blocks = sample_message().content
    wire = sent_messages("anthropic", [{"role": "assistant", "content": blocks}])
    assert [b["type"] for b in wire[0]["content"]] == ["text", "tool_use"]
    with pytest.raises(ValueError):
        sent_messages("huggingface", [])


def test_demo_stop_prints_every_scenario(capsys):
    demo_stop(run_loop)
    out = capsys.readouterr().out
    assert out.count("\n") == 9
    assert "'max_turns'" in out and "'cut'" in out and "멈추지 않음" not in out

    def never_stops(ask_model, run_tools, max_turns=5):
        while True:
            run_tools(ask_model().calls)

    demo_stop(never_stops)
    assert "멈추지 않음" in capsys.readouterr().out


def test_show_strict_schemas_never_raises(capsys):
    show_strict_schemas(Reservation)
    out = capsys.readouterr().out
    assert "--- openai" in out and "--- anthropic" in out and '"additionalProperties": false' in out

    class Empty(BaseModel):
        pass

    from typing import Any

    class Untyped(BaseModel):
        value: Any

    for model in (Empty, int, None):
        show_strict_schemas(model)
        assert "정의하면" in capsys.readouterr().out
    show_strict_schemas(Untyped)
    assert "SDK가 스키마를 만들지 못했습니다: ValueError" in capsys.readouterr().out
