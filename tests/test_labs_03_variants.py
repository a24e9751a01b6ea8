"""Labs 03-to-anthropic and 03-stop-field: answers written differently from the reference that the
API accepts (and the lesson teaches) pass; plausible wrong answers fail with a message naming their
real cause. 03-ask-claude lives in test_labs_03_valid_answers.py."""

from __future__ import annotations

import copy
import inspect
import typing

import pytest

from helpers.labs import check

# --- 03-to-anthropic: valid answers --------------------------------------------------------------


def one_loop_shared_dicts(messages):
    # The original message dicts are shared, not copied: the input list itself is never touched.
    rest, systems = [], []
    for message in messages:
        if message["role"] == "system":
            systems.append(message["content"])
        else:
            rest.append(message)
    out = {"messages": rest}
    if systems:
        out["system"] = "\n\n".join(systems)
    return out


def copy_then_remove(messages):
    # A shallow copy of the list may be edited freely: `list.remove` leaves the caller's list alone.
    rest = list(messages)
    systems = [m for m in rest if m.get("role") == "system"]
    for m in systems:
        rest.remove(m)
    joined = "\n\n".join(m["content"] for m in systems)
    return {"system": joined, "messages": rest} if joined else {"messages": rest}


def system_as_one_text_block(messages):
    # `system: Union[str, Iterable[TextBlockParam]]`: one text block is the same prompt as a string.
    systems = [m["content"] for m in messages if m["role"] == "system"]
    out = {"messages": [dict(m) for m in messages if m["role"] != "system"]}
    if systems:
        out["system"] = [{"type": "text", "text": "\n\n".join(systems)}]
    return out


def messages_as_tuple(messages):
    # `messages: Iterable[MessageParam]`: `messages.create(**result)` accepts a tuple as well.
    kept = tuple(
        {"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"
    )
    systems = [m["content"] for m in messages if m["role"] == "system"]
    return {"messages": kept, **({"system": "\n\n".join(systems)} if systems else {})}


def deep_copy_then_pop(messages):
    work = copy.deepcopy(messages)
    systems = []
    i = 0
    while i < len(work):
        if work[i]["role"] == "system":
            systems.append(work.pop(i)["content"])
        else:
            i += 1
    result = {"messages": work}
    if systems:
        result["system"] = "\n\n".join(systems)
    return result


TO_ANTHROPIC_VALID = [
    one_loop_shared_dicts,
    copy_then_remove,
    system_as_one_text_block,
    messages_as_tuple,
    deep_copy_then_pop,
]


@pytest.mark.parametrize("answer", TO_ANTHROPIC_VALID, ids=lambda f: f.__name__)
def test_to_anthropic_valid_answers_pass(answer):
    fb = check("03-to-anthropic", answer)
    assert fb.passed, str(fb)


# --- 03-to-anthropic: wrong answers --------------------------------------------------------------


def single_newline_join(messages):
    systems = [m["content"] for m in messages if m["role"] == "system"]
    out = {"messages": [m for m in messages if m["role"] != "system"]}
    if systems:
        out["system"] = "\n".join(systems)
    return out


def last_system_wins(messages):
    out = {"messages": []}
    for m in messages:
        if m["role"] == "system":
            out["system"] = m["content"]  # overwritten by the next system message
        else:
            out["messages"].append(m)
    return out


def one_block_per_system(messages):
    blocks = [{"type": "text", "text": m["content"]} for m in messages if m["role"] == "system"]
    out = {"messages": [m for m in messages if m["role"] != "system"]}
    if blocks:
        out["system"] = blocks
    return out


def system_turned_into_user(messages):
    systems = [m["content"] for m in messages if m["role"] == "system"]
    out = {
        "messages": [
            {"role": "user" if m["role"] == "system" else m["role"], "content": m["content"]}
            for m in messages
        ]
    }
    if systems:
        out["system"] = "\n\n".join(systems)
    return out


def pops_from_the_input(messages):
    systems = [
        messages.pop(i)["content"]
        for i in reversed(range(len(messages)))
        if messages[i]["role"] == "system"
    ]
    out = {"messages": messages}
    if systems:
        out["system"] = "\n\n".join(reversed(systems))
    return out


TO_ANTHROPIC_WRONG = [
    (single_newline_join, "줄바꿈 하나(`'\\n'`)로 이었습니다", "빈 줄(`'\\n\\n'`)"),
    (last_system_wins, "마지막 system 메시지만", "덮어씁니다"),
    (one_block_per_system, "system 메시지마다 블록 하나", "블록 하나"),
    (system_turned_into_user, "`role: user` 메시지로 바꿔", "`messages`에서 빼서"),
    (pops_from_the_input, "입력으로 받은 리스트를 바꿨습니다", "새 리스트를 만들어"),
]


@pytest.mark.parametrize(
    ("answer", "failure", "hint"),
    TO_ANTHROPIC_WRONG,
    ids=[w[0].__name__ for w in TO_ANTHROPIC_WRONG],
)
def test_to_anthropic_wrong_answers_name_their_cause(answer, failure, hint):
    fb = check("03-to-anthropic", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(failure in f for f in fb.failures), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)


# --- 03-stop-field: valid answers ----------------------------------------------------------------


def _params(fn):
    return inspect.signature(fn).parameters


def _sdk_derived_row():
    """What the hint's own expressions give, taken from the installed SDKs (no typing by hand)."""
    import anthropic
    from openai import OpenAI
    from openai.types.chat.chat_completion import Choice

    openai_client = OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9")
    claude = anthropic.Anthropic(api_key="sk-ant-test", base_url="http://127.0.0.1:9")
    (oa,) = [n for n in _params(openai_client.chat.completions.create) if "stop" in n]
    (cl,) = [n for n in _params(claude.messages.create) if "stop" in n]
    oa_reasons = typing.get_args(Choice.model_fields["finish_reason"].annotation)
    cl_reasons = typing.get_args(anthropic.types.StopReason)
    return {
        "openai_param": oa,
        "anthropic_param": cl,
        "openai_reason": oa_reasons[oa_reasons.index("stop")],
        "anthropic_reason": next(r for r in cl_reasons if r.startswith("stop")),
    }


def _parameter_objects_row():
    """`signature(...).parameters['stop']` is an `inspect.Parameter`; it names the parameter."""
    from anthropic.resources.messages import Messages
    from openai.resources.chat.completions import Completions

    return {
        "openai_param": _params(Completions.create)["stop"],
        "anthropic_param": _params(inspect.unwrap(Messages.create))["stop_sequences"],
        "openai_reason": "stop",
        "anthropic_reason": "stop_sequence",
    }


def _spaced_row_with_a_note():
    return {
        "openai_param": " stop",
        "anthropic_param": "stop_sequences\n",
        "openai_reason": "stop ",
        "anthropic_reason": "\tstop_sequence",
        "note": "OpenAI는 멈춤 문자열과 자연스러운 끝을 구분하지 않습니다",  # an extra key is harmless
    }


@pytest.mark.parametrize(
    "make_row", [_sdk_derived_row, _parameter_objects_row, _spaced_row_with_a_note]
)
def test_stop_field_valid_answers_pass(make_row):
    fb = check("03-stop-field", make_row())
    assert fb.passed, str(fb)


# --- 03-stop-field: wrong answers ----------------------------------------------------------------

REFERENCE_ROW = {
    "openai_param": "stop",
    "anthropic_param": "stop_sequences",
    "openai_reason": "stop",
    "anthropic_reason": "stop_sequence",
}


@pytest.mark.parametrize(
    ("change", "failure", "hint"),
    [
        # the hint's list comprehension pasted in as is: a list, not the name
        ({"anthropic_param": ["stop_sequences"]}, "이름이 아니라 list", "`[0]`"),
        ({"anthropic_reason": "stop_sequences"}, "매개변수 이름입니다", "단수형"),
        ({"openai_param": "Stop"}, "대소문자", "소문자"),
        ({"anthropic_param": "stop_sequence"}, "없는 매개변수", "복수형"),
        (
            {"openai_reason": "stop_sequence"},
            "OpenAI의 `finish_reason` 값이 아닙니다",
            "구분하지 않습니다",
        ),
    ],
)
def test_stop_field_wrong_answers_name_their_cause(change, failure, hint):
    fb = check("03-stop-field", {**REFERENCE_ROW, **change})
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(failure in f for f in fb.failures), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)
