"""Lesson 02 labs: each checker passes the reference solution and rejects wrong answers with the
specific Korean hint."""

from __future__ import annotations

import pytest

from helpers.conversation import Conversation
from helpers.labs import TODO, check

# --- reference solutions (what the lesson's hint block describes) -----------------------------


def trim(messages, budget, count_tokens):
    system = messages[:1] if messages and messages[0]["role"] == "system" else []
    rest = messages[len(system) :]
    if count_tokens(system) > budget:
        raise ValueError("예산이 system 메시지보다 작습니다")
    starts = [i for i, m in enumerate(rest) if m["role"] == "user"]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    for start in starts:
        kept = system + rest[start:]
        if count_tokens(kept) <= budget:
            return kept
    return system


def first_turn_over(messages, budget, count_tokens):
    turn = 0
    for i, message in enumerate(messages):
        if message["role"] == "user":
            turn += 1
            if count_tokens(messages[: i + 1]) > budget:
                return turn
    return None


def resume(path, system):
    try:
        return Conversation.load(path)
    except FileNotFoundError:
        return Conversation(system)


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [("02-trim-budget", trim), ("02-over-budget", first_turn_over), ("02-resume", resume)],
)
def test_reference_solutions_pass(lab_id, answer):
    fb = check(lab_id, answer)
    assert fb.passed, str(fb)


@pytest.mark.parametrize("lab_id", ["02-trim-budget", "02-over-budget", "02-resume"])
def test_unsolved_gets_guidance(lab_id):
    assert check(lab_id, TODO).status == "unsolved"


@pytest.mark.parametrize("lab_id", ["02-trim-budget", "02-over-budget", "02-resume"])
def test_not_a_function(lab_id):
    fb = check(lab_id, 42)
    assert fb.status == "failed" and "함수여야" in str(fb)


# --- 02-trim-budget wrong answers ---------------------------------------------------------------


def trim_message_by_message(messages, budget, count_tokens):
    system = messages[:1] if messages and messages[0]["role"] == "system" else []
    if count_tokens(system) > budget:
        raise ValueError("too small")
    rest = messages[len(system) :]
    while rest and count_tokens(system + rest) > budget:
        rest = rest[1:]
    return system + rest


def trim_drops_system_too(messages, budget, count_tokens):
    kept = list(messages)
    while kept and count_tokens(kept) > budget:
        kept = kept[1:]
    if not kept:
        raise ValueError("too small")
    return kept


def trim_newest_first(messages, budget, count_tokens):
    system, rest = messages[:1], messages[1:]
    if count_tokens(system) > budget:
        raise ValueError("too small")
    while rest and count_tokens(system + rest) > budget:
        rest = rest[:-2]
    return system + rest


def trim_in_place(messages, budget, count_tokens):
    if count_tokens(messages[:1]) > budget:
        raise ValueError("too small")
    while count_tokens(messages) > budget:
        del messages[1:3]
    return messages


def trim_without_error(messages, budget, count_tokens):
    result = trim(messages, max(budget, count_tokens(messages[:1])), count_tokens)
    return result


def trim_too_much(messages, budget, count_tokens):
    result = trim(messages, budget, count_tokens)
    return result[:1] + result[-2:] if len(result) > 3 else result


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (trim_message_by_message, "턴 단위"),
        (trim_drops_system_too, "system 메시지는 모델의 역할과 규칙이라 지우지 않습니다"),
        (trim_newest_first, "가장 **오래된** 턴"),
        (trim_in_place, "원래 대화 기록은 그대로 두고"),
        (trim_without_error, "raise ValueError"),
        (trim_too_much, "필요보다 많이 지웠습니다"),
    ],
)
def test_trim_wrong_answers_get_the_specific_hint(wrong, hint):
    fb = check("02-trim-budget", wrong)
    assert not fb.passed
    assert hint in str(fb), str(fb)


def test_trim_that_ignores_the_budget_is_told_so():
    def keep_everything(messages, budget, count_tokens):
        if count_tokens(messages[:1]) > budget:
            raise ValueError("too small")
        return list(messages)

    fb = check("02-trim-budget", keep_everything)
    assert not fb.passed and "예산을 넘습니다" in str(fb)


# --- 02-over-budget wrong answers ---------------------------------------------------------------


def over_zero_based(messages, budget, count_tokens):
    result = first_turn_over(messages, budget, count_tokens)
    return None if result is None else result - 1


def over_greater_or_equal(messages, budget, count_tokens):
    turn = 0
    for i, message in enumerate(messages):
        if message["role"] == "user":
            turn += 1
            if count_tokens(messages[: i + 1]) >= budget:
                return turn
    return None


def over_counts_only_the_turn(messages, budget, count_tokens):
    turn = 0
    for message in messages:
        if message["role"] == "user":
            turn += 1
            if count_tokens([message]) > budget:
                return turn
    return None


def over_minus_one_when_never(messages, budget, count_tokens):
    result = first_turn_over(messages, budget, count_tokens)
    return -1 if result is None else result


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (over_zero_based, "1부터"),
        (over_greater_or_equal, "예산 이하(<=)는 보낼 수 있습니다"),
        (over_counts_only_the_turn, "대화 전체"),
        (over_minus_one_when_never, "`None`을 돌려주세요"),
    ],
)
def test_over_budget_wrong_answers_get_the_specific_hint(wrong, hint):
    fb = check("02-over-budget", wrong)
    assert not fb.passed
    assert hint in str(fb), str(fb)


# --- 02-resume wrong answers --------------------------------------------------------------------


def resume_always_new(path, system):
    return Conversation(system)


def resume_swallows_everything(path, system):
    try:
        return Conversation.load(path)
    except Exception:
        return Conversation(system)


def resume_reads_json(path, system):
    import json

    try:
        return json.loads(open(path, encoding="utf-8").read())
    except FileNotFoundError:
        return Conversation(system)


def resume_deletes_corrupt(path, system):
    import os

    try:
        return Conversation.load(path)
    except FileNotFoundError:
        return Conversation(system)
    except ValueError:
        os.remove(path)
        raise


def resume_crashes_when_missing(path, system):
    return Conversation.load(path)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (resume_always_new, "새로 만들면 앞의 대화를 잃습니다"),
        (resume_swallows_everything, "`except FileNotFoundError:`만 잡으세요"),
        (resume_reads_json, "`Conversation.load(path)`를 쓰세요"),
        (resume_deletes_corrupt, "파일은 그대로 두고"),
    ],
)
def test_resume_wrong_answers_get_the_specific_hint(wrong, hint):
    fb = check("02-resume", wrong)
    assert not fb.passed
    assert hint in str(fb), str(fb)


def test_resume_that_crashes_on_a_missing_file_is_reported_not_raised():
    fb = check("02-resume", resume_crashes_when_missing)
    assert fb.status == "error"
    assert "FileNotFoundError" in str(fb)
