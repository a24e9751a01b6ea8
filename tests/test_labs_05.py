"""Lesson 05 labs: each checker accepts the reference solution and rejects wrong answers with the
specific Korean hint; the fake streams behave like the SDK's."""

from __future__ import annotations

import pytest

from helpers.labs import TODO, check
from helpers.labs.lesson05 import ANSWER, FakeClock, FakeStream, chunks_for

# --- reference solutions (the notebook's hints) --------------------------------------------------


def collect(stream):
    parts, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    return "".join(parts), usage


def time_to_first_token(open_stream, clock):
    start = clock()
    stream = open_stream()
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            stream.close()
            return clock() - start
    return None


def first_chars(stream, n):
    text = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if len(text) >= n:
            break
    stream.close()
    return text[:n]


def first_chars_with(stream, n):
    text = ""
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
                if len(text) >= n:
                    break
    return text[:n]


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [
        ("05-collect", collect),
        ("05-ttft", time_to_first_token),
        ("05-stop", first_chars),
        ("05-stop", first_chars_with),
    ],
)
def test_reference_solutions_pass(lab_id, answer):
    feedback = check(lab_id, answer)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("lab_id", ["05-collect", "05-ttft", "05-stop"])
def test_unsolved_is_guidance(lab_id):
    def stub(*args):
        return TODO

    assert check(lab_id, TODO).status == "unsolved"
    assert check(lab_id, stub).status == "unsolved"


@pytest.mark.parametrize("lab_id", ["05-collect", "05-ttft", "05-stop"])
def test_not_a_function_is_explained(lab_id):
    feedback = check(lab_id, "문자열")
    assert not feedback.passed and "함수여야" in str(feedback)


# --- the fake streams are what the SDK yields -------------------------------------------------------


def test_chunks_look_like_the_sdks():
    chunks = chunks_for(ANSWER)
    assert (
        chunks[0].choices[0].delta.role == "assistant" and chunks[0].choices[0].delta.content == ""
    )
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-2].choices[0].delta.content is None
    assert collect(iter(chunks)) == (ANSWER, chunks[-1].usage)
    assert all(c.usage is None for c in chunks_for(ANSWER, include_usage=False))


def test_fake_stream_counts_closes_and_moves_the_clock():
    clock = FakeClock(0.0)
    stream = FakeStream(chunks_for(ANSWER), clock, first=0.5, step=0.1)
    iterator = iter(stream)
    next(iterator)
    next(iterator)
    assert stream.taken == 2 and clock.now == pytest.approx(0.6)
    stream.close()
    assert list(iterator) == [], "a closed stream yields no more"
    with pytest.raises(RuntimeError, match="한 번만"):
        iter(stream)


# --- 05-collect wrong answers -------------------------------------------------------------------


def collect_seed_loop(stream):
    text, usage = "", None
    for chunk in stream:
        if chunk.choices[0].delta.content is not None:
            text += chunk.choices[0].delta.content
        usage = chunk.usage
    return text, usage


def collect_adds_none(stream):
    text, usage = "", None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content
        usage = chunk.usage or usage
    return text, usage


def collect_str_none(stream):
    text, usage = "", None
    for chunk in stream:
        if chunk.choices:
            text += str(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    return text, usage


def collect_no_usage(stream):
    parts = [c.choices[0].delta.content or "" for c in stream if c.choices]
    return "".join(parts), None


def collect_first_usage(stream):
    parts, usage = [], "unset"
    for chunk in stream:
        if usage == "unset":
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
    return "".join(parts), usage


def collect_text_only(stream):
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def collect_list(stream):
    parts, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    return parts, usage


def collect_fake_usage_when_missing(stream):
    text, usage = collect(stream)
    return text, usage or {"completion_tokens": 0}


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (collect_seed_loop, "if chunk.choices:"),
        (collect_adds_none, "None"),
        (collect_str_none, "'None'이 섞여"),
        (collect_no_usage, "마지막 조각(`choices`가 빈 리스트인 조각)에만"),
        (collect_first_usage, "마지막 조각(`choices`가 빈 리스트인 조각)에만"),
        (collect_text_only, "튜플"),
        (collect_list, '"".join(parts)'),
        (collect_fake_usage_when_missing, "include_usage` 없이"),
    ],
)
def test_collect_wrong_answers_are_explained(answer, hint):
    feedback = check("05-collect", answer)
    assert not feedback.passed
    assert hint in str(feedback), str(feedback)


# --- 05-ttft wrong answers ------------------------------------------------------------------------


def ttft_starts_late(open_stream, clock):
    stream = open_stream()
    start = clock()
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            return clock() - start
    return None


def ttft_role_chunk(open_stream, clock):
    start = clock()
    for _chunk in open_stream():
        return clock() - start
    return None


def ttft_total(open_stream, clock):
    start = clock()
    for _chunk in open_stream():
        pass
    return clock() - start


def ttft_absolute(open_stream, clock):
    for chunk in open_stream():
        if chunk.choices and chunk.choices[0].delta.content:
            return clock()
    return None


def ttft_zero_when_empty(open_stream, clock):
    start = clock()
    for chunk in open_stream():
        if chunk.choices and chunk.choices[0].delta.content:
            return clock() - start
    return 0.0


def ttft_unguarded(open_stream, clock):
    start = clock()
    for chunk in open_stream():
        if chunk.choices[0].delta.content:
            return clock() - start
    return None


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (ttft_starts_late, "호출 **전에**"),
        (ttft_role_chunk, "역할만 담은 조각"),
        (ttft_total, "스트림 전체를 읽는 데"),
        (ttft_absolute, "시작 시각을 빼세요"),
        (ttft_zero_when_empty, "return None"),
        (ttft_unguarded, "if chunk.choices:"),
    ],
)
def test_ttft_wrong_answers_are_explained(answer, hint):
    feedback = check("05-ttft", answer)
    assert not feedback.passed
    assert hint in str(feedback), str(feedback)


# --- 05-stop wrong answers ------------------------------------------------------------------------


def stop_reads_everything(stream, n):
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    stream.close()
    return text[:n]


def stop_never_closes(stream, n):
    text = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if len(text) >= n:
            break
    return text[:n]


def stop_too_long(stream, n):
    text = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if len(text) >= n:
            break
    stream.close()
    return text


def stop_unguarded(stream, n):
    text = ""
    for chunk in stream:
        text += chunk.choices[0].delta.content or ""
        if len(text) >= n:
            break
    stream.close()
    return text[:n]


def stop_nothing_when_short(stream, n):
    text = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
            if len(text) >= n:
                stream.close()
                return text[:n]
    stream.close()
    return ""


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (stop_reads_everything, "`break`"),
        (stop_nothing_when_short, "짧을 때"),
        (stop_never_closes, "stream.close()"),
        (stop_too_long, "text[:n]"),
        (stop_unguarded, "if chunk.choices:"),
    ],
)
def test_stop_wrong_answers_are_explained(answer, hint):
    feedback = check("05-stop", answer)
    assert not feedback.passed
    assert hint in str(feedback), str(feedback)
