"""Lesson 00 labs: the mode question and has_key(), each checked both ways."""

from __future__ import annotations

import os

import pytest

import helpers
from helpers.labs import TODO, check


@pytest.fixture
def replaying(clean_env):
    helpers.setup(mode="replay", quiet=True)


def has_key(name):
    return bool(os.environ.get(name))


def test_mode_reference_and_alias_pass(replaying):
    assert check("00-mode", "replay").passed
    assert check("00-mode", "재생").passed


@pytest.mark.parametrize(
    ("answer", "hint"),
    [("auto", "규칙"), ("live", "모드가 아닙니다"), ("빠르게", "모드 이름이 아닙니다")],
)
def test_mode_wrong_answers_are_explained(replaying, answer, hint):
    feedback = check("00-mode", answer)
    assert not feedback.passed and hint in str(feedback)


def test_mode_unsolved_is_guidance(replaying):
    assert check("00-mode", TODO).status == "unsolved"


def test_has_key_reference_passes(clean_env):
    feedback = check("00-has-key", has_key)
    assert feedback.passed, str(feedback)
    assert "LLM_LAB_EXAMPLE_SECRET" not in os.environ, "the checker cleans up after itself"


def prints_the_value(name):
    value = os.environ.get(name)
    print("키:", value)
    return bool(value)


def returns_the_value(name):
    return os.environ.get(name)


def raises_when_missing(name):
    return bool(os.environ[name])


def empty_counts_as_set(name):
    return name in os.environ


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (prints_the_value, "출력했습니다"),
        (returns_the_value, "True나 False여야"),
        (raises_when_missing, "KeyError"),
        (empty_counts_as_set, "빈 문자열"),
        ("not a function", "함수를"),
    ],
)
def test_has_key_wrong_answers_are_rejected(clean_env, answer, hint):
    feedback = check("00-has-key", answer)
    assert not feedback.passed and hint in str(feedback)
    assert "예시-비밀-값-0000" not in str(feedback), "feedback never repeats the secret"
