"""Lesson 08 labs 08-roundtrip, 08-roundtrip-anthropic and 08-stop: answers written differently from
the reference that the API accepts and the lesson teaches must pass; plausible wrong ones are
rejected with a Korean message that names the real cause. (08-schema: test_labs_08_variants.py.)"""

from __future__ import annotations

import json

import pytest

from helpers.labs import check

# --- 08-roundtrip: valid answers ----------------------------------------------------------------


def mutates_with_model_dump(messages, completion, run_tool):
    message = completion.choices[0].message
    messages.append(message.model_dump())
    for call in message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    return messages


def exclude_none_and_comprehension(messages, completion, run_tool):
    message = completion.choices[0].message
    tool_messages = [
        {
            "role": "tool",
            "tool_call_id": c.id,
            "content": run_tool(c.function.name, json.loads(c.function.arguments)),
        }
        for c in message.tool_calls
    ]
    return messages + [message.model_dump(exclude_none=True)] + tool_messages


def hand_built_with_text_parts(messages, completion, run_tool):
    message = completion.choices[0].message
    new = list(messages)
    new.append(
        {
            "role": "assistant",
            "content": message.content,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in message.tool_calls
            ],
        }
    )
    for c in message.tool_calls:
        text = run_tool(c.function.name, json.loads(c.function.arguments))
        new.append(
            {"role": "tool", "tool_call_id": c.id, "content": [{"type": "text", "text": text}]}
        )
    return new


def adds_a_follow_up_user_message(messages, completion, run_tool):
    message = completion.choices[0].message
    messages.append(message)
    for call in message.tool_calls:
        args = json.loads(call.function.arguments or "{}")
        messages.append(
            {"role": "tool", "tool_call_id": call.id, "content": run_tool(call.function.name, args)}
        )
    messages.append({"role": "user", "content": "짧게 요약해 주세요."})
    return messages


def returns_a_tuple(messages, completion, run_tool):
    message = completion.choices[0].message
    results = tuple(
        {
            "role": "tool",
            "tool_call_id": c.id,
            "content": run_tool(c.function.name, json.loads(c.function.arguments)),
        }
        for c in message.tool_calls
    )
    return (*messages, message, *results)  # the SDK takes any iterable of messages


@pytest.mark.parametrize(
    "answer",
    [
        returns_a_tuple,
        mutates_with_model_dump,
        exclude_none_and_comprehension,
        hand_built_with_text_parts,
        adds_a_follow_up_user_message,
    ],
)
def test_roundtrip_valid_answers_pass(answer):
    feedback = check("08-roundtrip", answer)
    assert feedback.passed, str(feedback)


# --- 08-roundtrip: wrong answers ----------------------------------------------------------------


def no_assistant_message(messages, completion, run_tool):
    for call in completion.choices[0].message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return messages


def returns_history_only(messages, completion, run_tool):
    return messages + [completion.choices[0].message]


def only_first_call(messages, completion, run_tool):
    message = completion.choices[0].message
    call = message.tool_calls[0]
    result = run_tool(call.function.name, json.loads(call.function.arguments))
    return [*messages, message, {"role": "tool", "tool_call_id": call.id, "content": result}]


def raw_arguments(messages, completion, run_tool):
    message = completion.choices[0].message
    out = [*messages, message]
    for call in message.tool_calls:
        result = run_tool(call.function.name, call.function.arguments)
        out.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return out


def forgets_return(messages, completion, run_tool):
    message = completion.choices[0].message
    messages.append(message)
    for call in message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})


def wrong_id_key(messages, completion, run_tool):
    message = completion.choices[0].message
    out = [*messages, message]
    for call in message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        out.append({"role": "tool", "id": call.id, "content": result})
    return out


def swapped_results(messages, completion, run_tool):
    message = completion.choices[0].message
    calls = message.tool_calls
    results = [run_tool(c.function.name, json.loads(c.function.arguments)) for c in calls]
    out = [*messages, message]
    for call, result in zip(calls, reversed(results), strict=True):
        out.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return out


def parsed_arguments_in_assistant(messages, completion, run_tool):
    message = completion.choices[0].message
    calls = message.tool_calls
    out = [
        *messages,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {
                        "name": c.function.name,
                        "arguments": json.loads(c.function.arguments),
                    },
                }
                for c in calls
            ],
        },
    ]
    for c in calls:
        result = run_tool(c.function.name, json.loads(c.function.arguments))
        out.append({"role": "tool", "tool_call_id": c.id, "content": result})
    return out


def dict_content(messages, completion, run_tool):
    message = completion.choices[0].message
    out = [*messages, message]
    for call in message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        out.append({"role": "tool", "tool_call_id": call.id, "content": {"result": result}})
    return out


def tools_before_assistant(messages, completion, run_tool):
    message = completion.choices[0].message
    out = list(messages)
    for call in message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        out.append({"role": "tool", "tool_call_id": call.id, "content": result})
    out.append(message)
    return out


def runs_tools_twice(messages, completion, run_tool):
    message = completion.choices[0].message
    out = [*messages, message]
    for call in message.tool_calls:
        args = json.loads(call.function.arguments)
        run_tool(call.function.name, args)  # "just to check it works"
        out.append(
            {"role": "tool", "tool_call_id": call.id, "content": run_tool(call.function.name, args)}
        )
    return out


def drops_history(messages, completion, run_tool):
    message = completion.choices[0].message
    out = [message]
    for call in message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        out.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return out


def appends_whole_completion(messages, completion, run_tool):
    out = [*messages, completion]
    for call in completion.choices[0].message.tool_calls:
        result = run_tool(call.function.name, json.loads(call.function.arguments))
        out.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return out


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (no_assistant_message, "assistant 메시지가 없습니다", "completion.choices[0].message"),
        (only_first_call, "`run_tool`을 1번", "병렬 호출"),
        (returns_history_only, "`run_tool`을 0번", "호출마다 `run_tool(이름, 인자)`"),
        (raw_arguments, "str(으)로 넘겼습니다", "json.loads"),
        (forgets_return, "`None`을 돌려줍니다", "return messages"),
        (wrong_id_key, "답하지 않은 호출", "`tool_call_id` 키 이름"),
        (swapped_results, "엉뚱한 결과", "다른 호출의 결과"),
        (parsed_arguments_in_assistant, "`function.arguments`가 문자열이 아닙니다", "json.loads"),
        (dict_content, "`content`가 문자열이 아닙니다", "json.dumps"),
        (tools_before_assistant, "맨 앞에 없습니다", "completion.choices[0].message"),
        (runs_tools_twice, "`run_tool`을 2번", "두 번"),
        (drops_history, "원래 대화", "`messages`를 앞에 두고"),
        (appends_whole_completion, "assistant 메시지가 없습니다", "completion.choices[0].message"),
    ],
)
def test_roundtrip_wrong_answers_are_explained(answer, cause, hint):
    feedback = check("08-roundtrip", answer)
    assert not feedback.passed, str(feedback)
    text = str(feedback)
    assert cause in text, text
    assert hint in text, text


# --- 08-roundtrip-anthropic: valid answers ------------------------------------------------------


def dumped_blocks_and_loop(messages, response, run_tool):
    messages.append(
        {
            "role": "assistant",
            "content": [b.model_dump(exclude_none=True) for b in response.content],
        }
    )
    results = []
    for block in response.content:
        if block.type == "tool_use":
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": block.id,
                    "content": run_tool(block.name, block.input),
                    "is_error": False,
                }
            )
    messages.append({"role": "user", "content": results})
    return messages


def to_dict_text_blocks_and_trailing_text(messages, response, run_tool):
    assistant = {"role": response.role, "content": [b.to_dict() for b in response.content]}
    results = [
        {
            "type": "tool_result",
            "tool_use_id": b.id,
            "content": [{"type": "text", "text": run_tool(b.name, b.input)}],
        }
        for b in response.content
        if b.type == "tool_use"
    ]
    results.append({"type": "text", "text": "결과를 바탕으로 답해 주세요."})
    return [*messages, assistant, {"role": "user", "content": results}]


def json_dumped_result(messages, response, run_tool):
    uses = [b for b in response.content if b.type == "tool_use"]
    content = [
        {
            "type": "tool_result",
            "tool_use_id": u.id,
            "content": json.dumps(run_tool(u.name, u.input), ensure_ascii=False),
        }
        for u in uses
    ]
    return messages + [
        {"role": "assistant", "content": response.content},
        {"role": "user", "content": content},
    ]


@pytest.mark.parametrize(
    "answer", [dumped_blocks_and_loop, to_dict_text_blocks_and_trailing_text, json_dumped_result]
)
def test_roundtrip_anthropic_valid_answers_pass(answer):
    feedback = check("08-roundtrip-anthropic", answer)
    assert feedback.passed, str(feedback)


def test_model_dump_with_null_caller_passes_with_advice():
    def plain_model_dump(messages, response, run_tool):
        results = [
            {"type": "tool_result", "tool_use_id": b.id, "content": run_tool(b.name, b.input)}
            for b in response.content
            if b.type == "tool_use"
        ]
        return [
            *messages,
            {"role": "assistant", "content": [b.model_dump() for b in response.content]},
            {"role": "user", "content": results},
        ]

    feedback = check("08-roundtrip-anthropic", plain_model_dump)
    assert feedback.passed, str(feedback)
    assert any("caller" in h for h in feedback.hints), str(feedback)


# --- 08-roundtrip-anthropic: wrong answers ------------------------------------------------------


def one_user_message_per_result(messages, response, run_tool):
    out = [*messages, {"role": "assistant", "content": response.content}]
    for b in response.content:
        if b.type == "tool_use":
            result = {
                "type": "tool_result",
                "tool_use_id": b.id,
                "content": run_tool(b.name, b.input),
            }
            out.append({"role": "user", "content": [result]})
    return out


def text_before_results(messages, response, run_tool):
    blocks = [{"type": "text", "text": "도구 결과입니다."}]
    for b in response.content:
        if b.type == "tool_use":
            blocks.append(
                {"type": "tool_result", "tool_use_id": b.id, "content": run_tool(b.name, b.input)}
            )
    return [
        *messages,
        {"role": "assistant", "content": response.content},
        {"role": "user", "content": blocks},
    ]


def results_without_assistant(messages, response, run_tool):
    blocks = [
        {"type": "tool_result", "tool_use_id": b.id, "content": run_tool(b.name, b.input)}
        for b in response.content
        if b.type == "tool_use"
    ]
    return [*messages, {"role": "user", "content": blocks}]


def first_tool_use_only(messages, response, run_tool):
    use = next(b for b in response.content if b.type == "tool_use")
    result = {
        "type": "tool_result",
        "tool_use_id": use.id,
        "content": run_tool(use.name, use.input),
    }
    return [
        *messages,
        {"role": "assistant", "content": response.content},
        {"role": "user", "content": [result]},
    ]


def single_block_not_list(messages, response, run_tool):
    use = next(b for b in response.content if b.type == "tool_use")
    results = [run_tool(b.name, b.input) for b in response.content if b.type == "tool_use"]
    block = {"type": "tool_result", "tool_use_id": use.id, "content": "\n".join(results)}
    return [
        *messages,
        {"role": "assistant", "content": response.content},
        {"role": "user", "content": block},
    ]


def openai_style_key(messages, response, run_tool):
    blocks = [
        {"type": "tool_result", "tool_call_id": b.id, "content": run_tool(b.name, b.input)}
        for b in response.content
        if b.type == "tool_use"
    ]
    return [
        *messages,
        {"role": "assistant", "content": response.content},
        {"role": "user", "content": blocks},
    ]


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (one_user_message_per_result, "user 메시지 여러 개에 나눠", "하나로"),
        (text_before_results, "앞에 있습니다", "tool_result 블록들을 먼저"),
        (results_without_assistant, "assistant 메시지가 없습니다", "response.content"),
        (first_tool_use_only, "`run_tool`을 1번", "병렬 호출"),
        (single_block_not_list, "블록의 리스트가 아닙니다", "리스트로"),
        (openai_style_key, "답하지 않은 `tool_use`", "`tool_use_id` 키 이름"),
    ],
)
def test_roundtrip_anthropic_wrong_answers_are_explained(answer, cause, hint):
    feedback = check("08-roundtrip-anthropic", answer)
    assert not feedback.passed, str(feedback)
    text = str(feedback)
    assert cause in text, text
    assert hint in text, text


# --- 08-stop: valid answers ---------------------------------------------------------------------


def while_with_counter(ask_model, run_tools, max_turns=5):
    turns = 0
    text = ""
    while turns < max_turns:
        turns += 1
        reply = ask_model()
        text = reply.text
        if reply.finish == "length" or reply.finish == "max_tokens":
            return "cut", text
        if reply.calls:
            run_tools(reply.calls)
            continue
        return "final", text
    return "max_turns", text


def recursive(ask_model, run_tools, max_turns=5):
    reply = ask_model()
    if reply.finish in {"length", "max_tokens"}:
        return ("cut", reply.text)
    if len(reply.calls) == 0:
        return ("final", reply.text)
    if max_turns == 1:
        return ("max_turns", reply.text)  # the last turn's tools would have no one to read them
    run_tools(reply.calls)
    return recursive(ask_model, run_tools, max_turns - 1)


def for_else_with_list(ask_model, run_tools, max_turns=5):
    for turn in range(1, max_turns + 1):
        reply = ask_model()
        if reply.finish in ("length", "max_tokens"):
            result = ["cut", reply.text]
            break
        if not reply.calls:
            result = ["final", reply.text]
            break
        if turn < max_turns:
            run_tools(reply.calls)
    else:
        result = ["max_turns", reply.text]
    return result


CUT = ("length", "max_tokens")


def status_first(ask_model, run_tools, max_turns=5):
    last = None
    for _ in range(max_turns):
        last = ask_model()
        stopped = "cut" if last.finish in CUT else ("final" if not last.calls else None)
        if stopped:
            return (stopped, last.text)
        run_tools(last.calls)
    return ("max_turns", last.text if last else "")


@pytest.mark.parametrize(
    "answer", [while_with_counter, recursive, for_else_with_list, status_first]
)
def test_stop_valid_answers_pass(answer):
    feedback = check("08-stop", answer)
    assert feedback.passed, str(feedback)


# --- 08-stop: wrong answers ---------------------------------------------------------------------


def no_limit(ask_model, run_tools, max_turns=5):
    while True:
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
        run_tools(reply.calls)


def one_turn_short(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns - 1):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
        run_tools(reply.calls)
    return ("max_turns", reply.text if reply else "")


def one_turn_too_many(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns + 1):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
        run_tools(reply.calls)
    return ("max_turns", reply.text)


def ignores_cut(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if not reply.calls:
            return ("final", reply.text)
        run_tools(reply.calls)
    return ("max_turns", reply.text)


def calls_before_cut(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.calls:
            run_tools(reply.calls)
            continue
        if reply.finish in CUT:
            return ("cut", reply.text)
        return ("final", reply.text)
    return ("max_turns", reply.text)


def never_runs_tools(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
    return ("max_turns", reply.text)


def returns_text_only(ask_model, run_tools, max_turns=5):
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT or not reply.calls:
            return reply.text
        run_tools(reply.calls)
    return reply.text


def finish_as_reason(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return (reply.finish, reply.text)
        run_tools(reply.calls)
    return ("max_turns", reply.text)


def none_at_limit(ask_model, run_tools, max_turns=5):
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
        run_tools(reply.calls)
    return ("max_turns", None)


def wrong_calls_passed(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if not reply.calls:
            return ("final", reply.text)
        run_tools([reply])
    return ("max_turns", reply.text)


def tools_by_finish_name(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if reply.finish == "tool_calls":
            run_tools(reply.calls)
            continue
        return ("final", reply.text)
    return ("max_turns", reply.text)


def final_by_finish_name(ask_model, run_tools, max_turns=5):
    reply = None
    for _ in range(max_turns):
        reply = ask_model()
        if reply.finish in CUT:
            return ("cut", reply.text)
        if reply.finish == "stop":
            return ("final", reply.text)
        run_tools(reply.calls)
    return ("max_turns", reply.text)


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (tools_by_finish_name, "1번만 부르고 멈췄습니다", "`reply.calls`로 판단"),
        (final_by_finish_name, "`finish='end_turn'`", "`reply.calls`로 판단"),
        (no_limit, "루프가 멈추지 않았습니다", "range(max_turns)"),
        (one_turn_short, "마지막 허용 턴", "range(max_turns - 1)"),
        (one_turn_too_many, "`ask_model`을 4번 불렀습니다", "range(max_turns)"),
        (ignores_cut, "이유가 'final'입니다", "잘림을 먼저 확인"),
        (calls_before_cut, "잘린 답의 도구 호출을 실행했습니다", "도구를 실행하지 말고"),
        (never_runs_tools, "`run_tools`를 0번", "정확히 한 번"),
        (returns_text_only, "`(이유, 텍스트)` 튜플", 'return ("final"'),
        (finish_as_reason, "이유가 'stop'입니다", "'final'"),
        (none_at_limit, "문자열이 아닌 NoneType", "마지막 `reply.text`"),
        (wrong_calls_passed, "`reply.calls`가 아닌 값", "run_tools(reply.calls)"),
    ],
)
def test_stop_wrong_answers_are_explained(answer, cause, hint):
    feedback = check("08-stop", answer)
    assert not feedback.passed, str(feedback)
    text = str(feedback)
    assert cause in text, text
    assert hint in text, text


def test_dropping_the_text_block_passes_with_advice():
    def tool_use_only(messages, response, run_tool):
        uses = [b for b in response.content if b.type == "tool_use"]
        results = [
            {"type": "tool_result", "tool_use_id": u.id, "content": run_tool(u.name, u.input)}
            for u in uses
        ]
        return [
            *messages,
            {"role": "assistant", "content": uses},
            {"role": "user", "content": results},
        ]

    feedback = check("08-roundtrip-anthropic", tool_use_only)
    assert feedback.passed, str(feedback)
    assert any("텍스트 블록을 뺐습니다" in h for h in feedback.hints), str(feedback)
