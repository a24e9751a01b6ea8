"""Lab checkers for lesson 08 (structured output and tool calling).

Labs:

- ``"08-schema"`` — a Pydantic model ``Reservation`` for a Korean reservation message. The schema
  each SDK would send is built with the SDK's own converter (OpenAI ``chat.completions.parse`` →
  ``type_to_response_format_param``; Anthropic ``messages.parse`` → ``transform_schema``) and
  checked against strict mode (every property required, ``additionalProperties: false``, every
  field typed); then JSON a model could return is validated: the right answers must read back to
  the expected values, a count written in words or a missing field must be rejected.
- ``"08-roundtrip"`` — ``add_tool_results(messages, completion, run_tool)`` for Chat Completions:
  the assistant message with the calls, then one ``role: "tool"`` message per ``tool_call_id``.
- ``"08-roundtrip-anthropic"`` — the same for Messages: the response's content as the assistant
  turn, then ONE user message that starts with a ``tool_result`` block per ``tool_use`` id.
- ``"08-stop"`` — ``run_loop(ask_model, run_tools, max_turns=5) -> (reason, text)``: stops on a
  final answer, on a cut answer, and after ``max_turns`` model calls.

The round-trip graders judge what the real SDK puts on the wire: the learner's list goes through
``OpenAI(...)`` / ``Anthropic(...)`` with an ``httpx2.MockTransport``, so SDK objects, their
``model_dump()`` and hand-built dicts are all judged by the same JSON. Nothing reaches a network.
"""

from __future__ import annotations

from . import roundtrip, schema, stop
from .schema import RESERVATION_MESSAGE, show_strict_schemas, strict_schemas
from .stop import demo_stop
from .wire import sample_completion, sample_message, sample_run_tool, sent_messages

__all__ = [
    "RESERVATION_MESSAGE",
    "demo_stop",
    "sample_completion",
    "sample_message",
    "sample_run_tool",
    "sent_messages",
    "show_strict_schemas",
    "strict_schemas",
]
# the graders register themselves on import
_GRADERS = (roundtrip, schema, stop)
