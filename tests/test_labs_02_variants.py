"""Lesson 02 labs (02-trim-budget, 02-over-budget, 02-resume): answers written differently from the
lesson's hint that do what the lab asks pass; plausible wrong answers fail with a message naming
their real cause."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

import pytest

from helpers.conversation import Conversation, ConversationFileError, split_turns, trim_to_budget
from helpers.labs import check


def _rejected(fb, cause, hint, status="failed"):
    assert not fb.passed and fb.status == status, str(fb)
    assert any(cause in f for f in fb.failures), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)


# ================================================================================================
# 02-trim-budget
# ================================================================================================


def trim_with_library_helper(messages, budget, count_tokens):
    # the lesson's own helper does exactly this
    return trim_to_budget(messages, budget, count_tokens)


def trim_pop_whole_turns(messages, budget, count_tokens):
    has_system = bool(messages) and messages[0]["role"] == "system"
    system = [messages[0]] if has_system else []
    if count_tokens(system) > budget:
        raise ValueError("예산이 system 메시지보다 작습니다")
    rest = list(messages[len(system) :])  # a copy: the caller's list stays as it was
    while rest and count_tokens(system + rest) > budget:
        rest.pop(0)  # the oldest message, then the rest of its turn
        while rest and rest[0]["role"] != "user":
            rest.pop(0)
    return system + rest


def trim_newest_turns_backwards(messages, budget, count_tokens):
    system, turns = split_turns(messages)
    head = [system] if system else []
    if count_tokens(head) > budget:
        raise ValueError("system 메시지만으로 예산을 넘습니다")
    kept: list[dict] = []
    for turn in reversed(turns):
        if count_tokens(head + turn + kept) > budget:
            break
        kept = turn + kept
    return head + kept


@pytest.mark.parametrize(
    "answer",
    [trim_with_library_helper, trim_pop_whole_turns, trim_newest_turns_backwards],
    ids=lambda f: f.__name__,
)
def test_trim_valid_answers_pass(answer):
    fb = check("02-trim-budget", answer)
    assert fb.passed, str(fb)


def trim_stops_too_early_on_equal(messages, budget, count_tokens):
    system = messages[:1] if messages and messages[0]["role"] == "system" else []
    if count_tokens(system) > budget:
        raise ValueError("too small")
    rest = messages[len(system) :]
    starts = [i for i, m in enumerate(rest) if m["role"] == "user"] or [0]
    for start in starts:
        if count_tokens(system + rest[start:]) < budget:  # should be <=
            return system + rest[start:]
    return system


def trim_drops_pairs(messages, budget, count_tokens):
    system, rest = messages[:1], messages[1:]
    if messages and messages[0]["role"] != "system":
        system, rest = [], messages
    if count_tokens(system) > budget:
        raise ValueError("too small")
    while rest and count_tokens(system + rest) > budget:
        rest = rest[2:]  # assumes every turn is exactly user + assistant
    return system + rest


def trim_raises_runtime_error(messages, budget, count_tokens):
    if count_tokens(messages[:1]) > budget:
        raise RuntimeError("예산이 너무 작습니다")
    return trim_to_budget(messages, budget, count_tokens)


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (trim_stops_too_early_on_equal, "필요보다 많이 지웠습니다", "예산과 **같은**"),
        (trim_drops_pairs, "질문(user) 없이 답(assistant)만 남은 턴", "**턴 단위**"),
        (trim_raises_runtime_error, "`RuntimeError`를 냈습니다", "`raise ValueError"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_trim_wrong_answers_name_the_cause(answer, cause, hint):
    _rejected(check("02-trim-budget", answer), cause, hint)


# ================================================================================================
# 02-over-budget
# ================================================================================================


def over_user_indexes(messages, budget, count_tokens):
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    for turn, i in enumerate(users, start=1):
        if count_tokens(messages[: i + 1]) > budget:
            return turn
    return None


def over_next_generator(messages, budget, count_tokens):
    prefixes = (messages[: i + 1] for i, m in enumerate(messages) if m["role"] == "user")
    return next(
        (turn for turn, prefix in enumerate(prefixes, 1) if count_tokens(prefix) > budget), None
    )


def over_while_loop(messages, budget, count_tokens):
    i, turn = 0, 0
    while i < len(messages):
        if messages[i]["role"] == "user":
            turn += 1
            if not count_tokens(messages[: i + 1]) <= budget:
                return turn
        i += 1
    return None


@pytest.mark.parametrize(
    "answer",
    [over_user_indexes, over_next_generator, over_while_loop],
    ids=lambda f: f.__name__,
)
def test_over_budget_valid_answers_pass(answer):
    fb = check("02-over-budget", answer)
    assert fb.passed, str(fb)


def over_returns_message_index(messages, budget, count_tokens):
    for i, message in enumerate(messages):
        if message["role"] == "user" and count_tokens(messages[: i + 1]) > budget:
            return i
    return None


def over_counts_the_reply_too(messages, budget, count_tokens):
    turn = 0
    for i, message in enumerate(messages):
        if message["role"] == "user":
            turn += 1
            if count_tokens(messages[: i + 2]) > budget:  # includes the answer to this turn
                return turn
    return None


def over_returns_false_when_never(messages, budget, count_tokens):
    result = over_user_indexes(messages, budget, count_tokens)
    return False if result is None else result


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (over_returns_message_index, "메시지 위치(인덱스)", "user 메시지의 개수"),
        (over_counts_the_reply_too, "그 턴의 답까지 세었습니다", "아직 답이 없습니다"),
        (over_returns_false_when_never, "어느 요청도 예산을 넘지 않는데 False", "`None`을"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_over_budget_wrong_answers_name_the_cause(answer, cause, hint):
    fb = check("02-over-budget", answer)
    _rejected(fb, cause, hint)
    if answer is over_returns_message_index:
        assert "대화 전체" not in str(fb), str(fb)  # it did count the whole history


# ================================================================================================
# 02-resume
# ================================================================================================


def resume_look_before_you_leap(path, system):
    if Path(path).exists():
        return Conversation.load(path)
    return Conversation(system)


def resume_os_path(path, system):
    if not os.path.isfile(path):
        return Conversation(system=system)
    conversation = Conversation.load(str(path))
    return conversation


def resume_suppress(path, system):
    with suppress(FileNotFoundError):
        return Conversation.load(path)
    return Conversation(system)


def resume_wraps_the_error(path, system):
    try:
        return Conversation.load(path)
    except FileNotFoundError:
        return Conversation(system)
    except ConversationFileError as exc:
        raise RuntimeError(
            f"대화 파일이 손상되었습니다: {path}. 파일은 그대로 두었습니다."
        ) from exc


@pytest.mark.parametrize(
    "answer",
    [resume_look_before_you_leap, resume_os_path, resume_suppress, resume_wraps_the_error],
    ids=lambda f: f.__name__,
)
def test_resume_valid_answers_pass(answer):
    fb = check("02-resume", answer)
    assert fb.passed, str(fb)


def resume_catches_value_error(path, system):
    try:
        return Conversation.load(path)
    except (FileNotFoundError, ValueError):
        return Conversation(system)


def resume_without_a_fallback(path, system):
    return Conversation.load(path)


def resume_overwrites_corrupt(path, system):
    try:
        return Conversation.load(path)
    except FileNotFoundError:
        return Conversation(system)
    except ConversationFileError:
        fresh = Conversation(system)
        fresh.save(path)
        return fresh


def resume_new_without_system(path, system):
    try:
        return Conversation.load(path)
    except FileNotFoundError:
        return Conversation()


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (
            resume_catches_value_error,
            "오류 없이 새 대화를 돌려주었습니다",
            "다른 오류(`ValueError`",
        ),
        (resume_without_a_fallback, "`FileNotFoundError`가 났습니다", "`Conversation(system)`"),
        (resume_overwrites_corrupt, "손상된 파일을 지우거나 바꿨습니다", "파일은 그대로 두고"),
        (
            resume_new_without_system,
            "system 메시지만 있는 새 `Conversation`",
            "`Conversation(system)`",
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_resume_wrong_answers_name_the_cause(answer, cause, hint):
    fb = check("02-resume", answer)
    # a function that raises is reported as an error of the learner's code, with its cause named
    _rejected(fb, cause, hint, status="error" if answer is resume_without_a_fallback else "failed")
    if answer is resume_catches_value_error:
        # the learner caught ValueError, not Exception: the message must not say otherwise
        assert "`except Exception:`으로" not in str(fb), str(fb)
