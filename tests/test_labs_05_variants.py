"""Lesson 05 labs (05-collect, 05-ttft, 05-stop): answers written differently from the reference
that the SDK accepts and the lesson teaches must pass; plausible wrong ones are rejected with a
Korean message that names the real cause. The fake streams are built from the wire profile
(:mod:`helpers.replay.builder`): a role-only first chunk, a `finish_reason`-only chunk and, with
`include_usage`, a last chunk whose `choices` is empty."""

from __future__ import annotations

import time
from contextlib import closing

import pytest

from helpers.labs import check
from helpers.labs.lesson05 import ANSWER, FakeStream, chunks_for

# --- 05-collect: valid answers ------------------------------------------------------------------


def collect_over_choices(stream):
    """Loop over `chunk.choices` (an empty list simply has no iterations); usage of the last chunk
    wins (OpenAI sends `usage: null` on every other chunk)."""
    text, usage = "", None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
        usage = chunk.usage
    return text, usage


def collect_continue_on_usage_chunk(stream):
    parts = []
    usage = None
    with stream:
        for chunk in stream:
            if not chunk.choices:
                usage = chunk.usage
                continue
            content = chunk.choices[0].delta.content
            if content is not None:
                parts.append(content)
    return ("".join(parts), usage)


def collect_list_first(stream):
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if len(c.choices) > 0)
    last = chunks[-1] if chunks else None
    usage = last.usage if last is not None and not last.choices else None
    return text, usage


def collect_try_index(stream):
    text, usage = "", None
    for chunk in stream:
        if getattr(chunk, "usage", None) is not None:
            usage = chunk.usage
        try:
            delta = chunk.choices[0].delta
        except IndexError:
            continue
        if delta.content:
            text += delta.content
    return text, usage


@pytest.mark.parametrize(
    "answer",
    [collect_over_choices, collect_continue_on_usage_chunk, collect_list_first, collect_try_index],
)
def test_collect_valid_answers_pass(answer):
    feedback = check("05-collect", answer)
    assert feedback.passed, str(feedback)


# --- 05-collect: wrong answers ------------------------------------------------------------------


def collect_guard_is_not_none(stream):
    text, usage = "", None
    for chunk in stream:
        if chunk.choices is not None:  # [] is not None: the usage chunk gets through
            text += chunk.choices[0].delta.content or ""
        if chunk.usage:
            usage = chunk.usage
    return text, usage


def collect_message_not_delta(stream):
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].message.content:
            text += chunk.choices[0].message.content
        if chunk.usage:
            usage = chunk.usage
    return text, usage


def collect_breaks_on_index_error(stream):
    text = ""
    for chunk in stream:
        try:
            text += chunk.choices[0].delta.content or ""
        except IndexError:
            break  # stops at the usage chunk without reading its usage
    return text, None


def collect_token_count_only(stream):
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage.completion_tokens
    return text, usage


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (collect_guard_is_not_none, "`choices`가 빈 리스트입니다"),
        (collect_message_not_delta, "`delta`"),
        (collect_breaks_on_index_error, "마지막 조각(`choices`가 빈 리스트인 조각)에만"),
        (collect_token_count_only, "`chunk.usage` 객체를 그대로"),
    ],
)
def test_collect_wrong_answers_name_the_cause(answer, cause):
    feedback = check("05-collect", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


def test_collect_unguarded_crash_names_the_empty_choices():
    def seed_loop(stream):
        text = ""
        for chunk in stream:
            if chunk.choices[0].delta.content is not None:
                text += chunk.choices[0].delta.content
        return text, None

    feedback = check("05-collect", seed_loop)
    assert not feedback.passed
    assert "IndexError" in str(feedback) and "`choices`가 빈 리스트" in str(feedback), str(feedback)


# --- 05-ttft: valid answers ---------------------------------------------------------------------


def ttft_with_block(open_stream, clock):
    start = clock()
    with open_stream() as stream:
        for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    return clock() - start
    return None


def ttft_next_generator(open_stream, clock):
    start = clock()
    stream = open_stream()
    first = next((c for c in stream if c.choices and c.choices[0].delta.content), None)
    if first is None:
        return None
    elapsed = clock() - start
    stream.close()
    return elapsed


def ttft_break_then_compute(open_stream, clock):
    started_at = clock()
    stream = open_stream()
    first_at = None
    for chunk in stream:
        if len(chunk.choices) and chunk.choices[0].delta.content not in (None, ""):
            first_at = clock()
            break
    stream.response.close()  # what the SDK's `Stream.close()` does
    return None if first_at is None else first_at - started_at


def ttft_next_on_stream(open_stream, clock):
    """The SDK's `Stream` is an iterator: `next(stream)` works."""
    start = clock()
    stream = open_stream()
    while True:
        chunk = next(stream, None)
        if chunk is None:
            return None
        if chunk.choices and chunk.choices[0].delta.content:
            stream.close()
            return clock() - start


@pytest.mark.parametrize(
    "answer",
    [ttft_with_block, ttft_next_generator, ttft_break_then_compute, ttft_next_on_stream],
)
def test_ttft_valid_answers_pass(answer):
    feedback = check("05-ttft", answer)
    assert feedback.passed, str(feedback)


# --- 05-ttft: wrong answers ---------------------------------------------------------------------


def ttft_content_is_not_none(open_stream, clock):
    start = clock()
    for chunk in open_stream():
        if chunk.choices and chunk.choices[0].delta.content is not None:
            return clock() - start  # the role-only chunk has content ""
    return None


def ttft_guard_is_not_none(open_stream, clock):
    start = clock()
    for chunk in open_stream():
        if chunk.choices is not None and chunk.choices[0].delta.content:
            return clock() - start
    return None


def ttft_perf_counter(open_stream, clock):
    start = time.perf_counter()  # lesson 05 §6 timed real streams like this
    for chunk in open_stream():
        if chunk.choices and chunk.choices[0].delta.content:
            return time.perf_counter() - start
    return None


def ttft_milliseconds(open_stream, clock):
    start = clock()
    for chunk in open_stream():
        if chunk.choices and chunk.choices[0].delta.content:
            return (clock() - start) * 1000
    return None


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (ttft_content_is_not_none, "역할만 담은 조각"),
        (ttft_guard_is_not_none, "`choices`가 빈 리스트입니다"),
        (ttft_perf_counter, "인자로 받은 `clock()`"),
        (ttft_milliseconds, "밀리초"),
    ],
)
def test_ttft_wrong_answers_name_the_cause(answer, cause):
    feedback = check("05-ttft", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- 05-stop: valid answers ---------------------------------------------------------------------


def stop_closing_join(stream, n):
    parts = []
    with closing(stream):
        for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
            if sum(map(len, parts)) >= n:
                break
    return "".join(parts)[:n]


def stop_response_close(stream, n):
    text = ""
    try:
        for chunk in stream:
            if not chunk.choices:
                continue
            text += chunk.choices[0].delta.content or ""
            if len(text) >= n:
                return text[:n]
        return text
    finally:
        stream.response.close()  # what `Stream.close()` does inside the SDK


def stop_next_loop(stream, n):
    text = ""
    while len(text) < n:
        chunk = next(stream, None)
        if chunk is None:
            break
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
    stream.close()
    return text[:n]


@pytest.mark.parametrize("answer", [stop_closing_join, stop_response_close, stop_next_loop])
def test_stop_valid_answers_pass(answer):
    feedback = check("05-stop", answer)
    assert feedback.passed, str(feedback)


# --- 05-stop: wrong answers ---------------------------------------------------------------------


def stop_guard_is_not_none(stream, n):
    text = ""
    with stream:
        for chunk in stream:
            if chunk.choices is not None:
                text += chunk.choices[0].delta.content or ""
            if len(text) >= n:
                break
    return text[:n]


def stop_strictly_more(stream, n):
    text = ""
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            if len(text) > n:  # waits for one chunk too many when a chunk lands exactly on n
                break
    return text[:n]


def stop_counts_chunks(stream, n):
    parts = []
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            if len(parts) >= n:  # n chunks, not n characters
                break
    return "".join(parts)[:n]


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (stop_guard_is_not_none, "`choices`가 빈 리스트입니다"),
        (stop_strictly_more, "`len(text) >= n`일 때 멈추세요"),
        (stop_counts_chunks, "조각 수"),
    ],
)
def test_stop_wrong_answers_name_the_cause(answer, cause):
    feedback = check("05-stop", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- the fake stream behaves like the SDK's `Stream` --------------------------------------------


def test_fake_stream_is_an_iterator_with_a_closable_response():
    stream = FakeStream(chunks_for(ANSWER))
    first = next(stream)
    assert first.choices[0].delta.role == "assistant" and stream.taken == 1
    for chunk in stream:  # like the SDK, a `for` loop resumes where `next()` stopped
        assert chunk is not first
        break
    assert stream.taken == 2 and not stream.response.is_closed
    stream.response.close()
    assert stream.closed and stream.response.is_closed
    assert next(stream, None) is None
