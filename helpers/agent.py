"""A small agent loop that runs unchanged against OpenAI, Anthropic and Hugging Face chat clients.

Lesson 08 builds this instead of a framework: tools are plain functions whose arguments are a
Pydantic model (the JSON Schema comes from `model_json_schema()`, and the same model validates what
the model sent before the function runs). A provider adapter translates the three things that
differ: how tools are declared, where the model's tool calls live, and how results go back.

    tools = example_tools(clock=lambda: date(2026, 12, 1))
    transcript = run_agent(client, "openai", model="gpt-4o-mini", prompt="3*7은?", tools=tools)
    print(transcript)

Nothing a tool or the model does raises out of the loop: bad JSON, arguments that fail validation,
an unknown tool name and a tool that raises are all answered to the model as error results, so
it can correct itself. A turn limit stops a model that keeps calling tools, and a reply cut by the
token limit stops the loop instead of being taken for an answer.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

# --- tools -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """A function the model may call; `args` is the Pydantic model of its arguments."""

    name: str
    description: str
    args: type[BaseModel]
    func: Callable[..., Any]

    @property
    def schema(self) -> dict[str, Any]:
        return self.args.model_json_schema()


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for, normalised across providers.

    `raw_arguments` is what arrived: a JSON string (OpenAI, Hugging Face) or a dict (Anthropic).
    """

    id: str
    name: str
    raw_arguments: str | dict[str, Any]


@dataclass
class CallRecord:
    call: ToolCall
    arguments: dict[str, Any] | None = None  # parsed, None when the JSON could not be read
    result: str = ""
    is_error: bool = False


def _error(text: str) -> tuple[str, bool]:
    return f"오류: {text}", True


def execute(call: ToolCall, tools: dict[str, Tool]) -> CallRecord:
    """Run one call and never raise: every failure becomes an error result for the model."""
    record = CallRecord(call)
    tool = tools.get(call.name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "(없음)"
        record.result, record.is_error = _error(
            f"'{call.name}' 도구는 없습니다. 사용할 수 있는 도구: {known}"
        )
        return record
    raw = call.raw_arguments
    if isinstance(raw, str):
        try:
            # An empty string is how some providers send "no arguments".
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            record.result, record.is_error = _error(f"인자가 올바른 JSON이 아닙니다 ({exc.msg}).")
            return record
    if not isinstance(raw, dict):
        record.result, record.is_error = _error("인자는 JSON 객체여야 합니다.")
        return record
    record.arguments = raw
    try:
        parsed = tool.args.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(전체)'}: {e['msg']}" for e in exc.errors()
        )
        record.result, record.is_error = _error(f"인자가 스키마에 맞지 않습니다 — {problems}")
        return record
    try:
        value = tool.func(**parsed.model_dump())
    except Exception as exc:  # a tool's bug is the model's information, not the lesson's crash
        record.result, record.is_error = _error(f"도구 실행 중 {type(exc).__name__}: {exc}")
        return record
    record.result = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return record


# --- provider adapters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    text: str
    calls: list[ToolCall]
    finish: str  # the provider's own finish_reason / stop_reason, for the transcript


class OpenAIAdapter:
    """Chat Completions: tool calls in `message.tool_calls`, results as `role: "tool"` messages."""

    name = "openai"

    def tool_defs(self, tools: list[Tool]) -> list[dict[str, Any]]:
        return [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.schema},
            }
            for t in tools
        ]

    def create(self, client: Any, messages: list[dict], tools: list[dict], **kwargs: Any) -> Any:
        return client.chat.completions.create(messages=messages, tools=tools, **kwargs)

    def first_messages(self, prompt: str, system: str | None) -> list[dict[str, Any]]:
        head = [{"role": "system", "content": system}] if system else []
        return [*head, {"role": "user", "content": prompt}]

    def parse(self, response: Any) -> Reply:
        choice = response.choices[0]
        calls = [
            ToolCall(c.id, c.function.name, c.function.arguments)
            for c in choice.message.tool_calls or []
        ]
        return Reply(choice.message.content or "", calls, str(choice.finish_reason))

    def assistant_message(self, response: Any, reply: Reply) -> dict[str, Any]:
        # The tool messages must follow the assistant message that carried the calls, verbatim.
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.raw_arguments},
                }
                for c in reply.calls
            ]
        return message

    def result_messages(self, records: list[CallRecord]) -> list[dict[str, Any]]:
        # No error flag in this API: the "오류:" prefix of the content is the signal.
        return [{"role": "tool", "tool_call_id": r.call.id, "content": r.result} for r in records]


class HuggingFaceAdapter(OpenAIAdapter):
    """InferenceClient.chat_completion: the OpenAI shapes, a different method."""

    name = "huggingface"

    def create(self, client: Any, messages: list[dict], tools: list[dict], **kwargs: Any) -> Any:
        return client.chat_completion(messages=messages, tools=tools, **kwargs)

    def assistant_message(self, response: Any, reply: Reply) -> dict[str, Any]:
        message = super().assistant_message(response, reply)
        # Typed as str (ChatCompletionOutputFunctionDefinition.arguments), but TGI backends send an
        # object (huggingface/text-generation-inference#2136); the wire wants a string back.
        for c in message.get("tool_calls", []):
            if not isinstance(c["function"]["arguments"], str):
                c["function"]["arguments"] = json.dumps(
                    c["function"]["arguments"], ensure_ascii=False
                )
        return message


class AnthropicAdapter:
    """Messages: `tool_use` blocks in `content`, results as `tool_result` blocks in a user turn."""

    name = "anthropic"

    def tool_defs(self, tools: list[Tool]) -> list[dict[str, Any]]:
        return [
            {"name": t.name, "description": t.description, "input_schema": t.schema} for t in tools
        ]

    def create(self, client: Any, messages: list[dict], tools: list[dict], **kwargs: Any) -> Any:
        kwargs.setdefault("max_tokens", 1024)  # required by this API, unlike the other two
        return client.messages.create(messages=messages, tools=tools, **kwargs)

    def first_messages(self, prompt: str, system: str | None) -> list[dict[str, Any]]:
        return [{"role": "user", "content": prompt}]  # system goes in a parameter (see run_agent)

    def parse(self, response: Any) -> Reply:
        text = "".join(b.text for b in response.content if b.type == "text")
        calls = [ToolCall(b.id, b.name, b.input) for b in response.content if b.type == "tool_use"]
        return Reply(text, calls, str(response.stop_reason))

    def assistant_message(self, response: Any, reply: Reply) -> dict[str, Any]:
        # The whole content goes back, so each tool_result has its tool_use before it.
        blocks = [b.model_dump(exclude_none=True) for b in response.content]
        return {"role": "assistant", "content": blocks}

    def result_messages(self, records: list[CallRecord]) -> list[dict[str, Any]]:
        blocks = [
            {
                "type": "tool_result",
                "tool_use_id": r.call.id,
                "content": r.result,
                "is_error": r.is_error,
            }
            for r in records
        ]
        return [{"role": "user", "content": blocks}]


# finish_reason "length" (Chat Completions, Hugging Face) / stop_reason "max_tokens" (Messages):
# the text is unfinished and any tool call in it may carry truncated JSON arguments.
CUT_REASONS = ("length", "max_tokens")

ADAPTERS: dict[str, Any] = {
    a.name: a for a in (OpenAIAdapter(), AnthropicAdapter(), HuggingFaceAdapter())
}


# --- the loop ----------------------------------------------------------------------------------


@dataclass
class Turn:
    number: int
    text: str
    finish: str
    calls: list[CallRecord] = field(default_factory=list)


@dataclass
class Transcript:
    provider: str
    turns: list[Turn] = field(default_factory=list)
    stop_reason: str = ""
    final_text: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)  # everything sent, for study

    @property
    def finished(self) -> bool:
        return self.stop_reason == "final"

    def _reason(self) -> str:
        if self.finished:
            return "모델이 최종 답을 냈습니다."
        if self.stop_reason == "cut":
            finish = self.turns[-1].finish if self.turns else ""
            return (
                f"답이 토큰 한도에서 잘렸습니다(종료 사유: {finish}). 도구 호출이 있었다면 실행하지 "
                "않았습니다. 출력 한도(`max_tokens`, OpenAI는 `max_completion_tokens`)를 늘려 다시 물어보세요."
            )
        return (
            f"턴 한도({len(self.turns)}턴)에 도달해 멈췄습니다. 모델이 아직 도구를 요청하고 "
            "있었습니다."
        )

    def __str__(self) -> str:
        lines = [f"[{self.provider}] 에이전트 실행 기록 — {len(self.turns)}턴"]
        for turn in self.turns:
            lines.append(f"  {turn.number}턴 (종료 사유: {turn.finish})")
            if turn.text:
                lines.append(f"    모델: {turn.text}")
            for r in turn.calls:
                args = r.arguments if r.arguments is not None else r.call.raw_arguments
                mark = "⚠ " if r.is_error else ""
                lines.append(f"    도구 {r.call.name}({args}) → {mark}{r.result}")
        lines.append(f"  멈춘 이유: {self._reason()}")
        if self.final_text:
            label = "잘린 답" if self.stop_reason == "cut" else "최종 답"
            lines.append(f"  {label}: {self.final_text}")
        return "\n".join(lines)


def run_agent(
    client: Any,
    provider: str,
    *,
    prompt: str,
    tools: list[Tool],
    max_turns: int = 5,
    system: str | None = None,
    **create_kwargs: Any,
) -> Transcript:
    """Ask, run the tools the model calls, send results back, until it answers or turns run out.

    One turn is one model call. `stop_reason` ends as "final", "max_turns" or "cut" (the reply
    hit the token limit: it is not an answer, and its tool calls are not run). `create_kwargs` (model, max_tokens, tool_choice …) go to the
    provider's create call unchanged.
    """
    if provider not in ADAPTERS:
        raise ValueError(f"provider는 {', '.join(ADAPTERS)} 중 하나여야 합니다: {provider!r}")
    if max_turns < 1:
        raise ValueError("max_turns는 1 이상이어야 합니다.")
    adapter = ADAPTERS[provider]
    by_name = {t.name: t for t in tools}
    defs = adapter.tool_defs(tools)
    if system and provider == "anthropic":
        create_kwargs["system"] = system
    transcript = Transcript(provider, messages=adapter.first_messages(prompt, system))
    messages = transcript.messages
    for number in range(1, max_turns + 1):
        # A copy per call: the SDK (or a fake) may keep the list it was given.
        response = adapter.create(client, list(messages), defs, **create_kwargs)
        reply = adapter.parse(response)
        turn = Turn(number, reply.text, reply.finish)
        transcript.turns.append(turn)
        if reply.finish in CUT_REASONS:
            transcript.stop_reason, transcript.final_text = "cut", reply.text
            return transcript
        if not reply.calls:
            transcript.stop_reason, transcript.final_text = "final", reply.text
            return transcript
        messages.append(adapter.assistant_message(response, reply))
        # Every call of a parallel turn is answered, or the next request is rejected.
        turn.calls = [execute(c, by_name) for c in reply.calls]
        messages.extend(adapter.result_messages(turn.calls))
    transcript.stop_reason = "max_turns"
    return transcript


# --- example tools -----------------------------------------------------------------------------

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def calculate(expression: str) -> float | int:
    """Arithmetic only, by walking the syntax tree: no names, calls or attributes, so no eval."""

    def walk(node: ast.AST) -> float | int:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise ValueError("거듭제곱 지수가 너무 큽니다.")  # 9**9**9 would hang the kernel
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        raise ValueError(f"계산할 수 없는 식입니다: {ast.unparse(node)}")

    return walk(ast.parse(expression, mode="eval").body)


# 2020 인구주택총조사 기준 대략값(만 명). 실습용 표이므로 정확한 통계가 아닙니다.
CITY_POPULATION: dict[str, int] = {
    "서울": 958,
    "부산": 335,
    "인천": 294,
    "대구": 238,
    "대전": 145,
    "광주": 145,
}


def lookup_population(city: str) -> str:
    if city not in CITY_POPULATION:
        raise LookupError(f"표에 없는 도시입니다: {city} (있는 도시: {', '.join(CITY_POPULATION)})")
    return f"{city} 인구는 약 {CITY_POPULATION[city]}만 명입니다."


class CalculatorArgs(BaseModel):
    expression: str


class PopulationArgs(BaseModel):
    city: str


class NoArgs(BaseModel):
    pass


def example_tools(clock: Callable[[], date]) -> list[Tool]:
    """The lesson's three tools. `clock` is injected so tests and replay always see the same day."""
    return [
        Tool(
            "calculator",
            "사칙연산과 거듭제곱 식을 계산합니다. 예: '(3+4)*2'",
            CalculatorArgs,
            calculate,
        ),
        Tool(
            "lookup_population",
            "한국 도시의 인구(만 명)를 찾습니다.",
            PopulationArgs,
            lookup_population,
        ),
        Tool("today", "오늘 날짜를 YYYY-MM-DD로 알려 줍니다.", NoArgs, lambda: clock().isoformat()),
    ]
