"""Lesson 00 labs (00-mode, 00-has-key): answers written differently from the reference that the
lesson teaches pass; plausible wrong answers fail with a message naming their real cause.

The lesson (notebooks/00_setup.ipynb) shows the mode in the `helpers.setup()` table as
``리플레이(replay)`` / ``라이브(live)``, calls it 리플레이 in its prose, and defines
``mode_of(provider)`` (4절), which returns that same label.
"""

from __future__ import annotations

import os

import pytest

import helpers
from helpers.labs import check
from helpers.session import MODE_LABELS, last_status

SECRET = "예시-비밀-값-0000"


@pytest.fixture
def replaying(clean_env):
    helpers.setup(mode="replay", quiet=True)


# --- 00-mode: valid ------------------------------------------------------------------------------


def mode_of(provider: str) -> str:
    """The notebook's own helper (4절): the mode label as the status table shows it."""
    return MODE_LABELS[last_status().mode(provider)]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: "리플레이(replay)", id="copied_from_the_table"),
        pytest.param(lambda: "재생(replay)", id="older_label_for_the_same_mode"),
        pytest.param(lambda: mode_of("openai"), id="notebook_mode_of_helper"),
        pytest.param(lambda: last_status().mode("openai"), id="solution_code_route"),
        pytest.param(lambda: "  REPLAY\n", id="upper_case_with_spaces"),
        pytest.param(lambda: "리플레이", id="prose_name"),
    ],
)
def test_mode_valid_answers_pass(replaying, answer):
    fb = check("00-mode", answer())
    assert fb.passed, str(fb)


# --- 00-mode: wrong ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        pytest.param(
            lambda: last_status(),
            "`helpers.setup()`의 상태 객체 전체",
            '`.mode("openai")`',
            id="status_object",
        ),
        pytest.param(
            lambda: "라이브(live)",
            "OpenAI는 지금 live 모드가 아닙니다",
            "'모드' 열",
            id="live_label",
        ),
        pytest.param(
            lambda: mode_of("anthropic") + "?", "모드 이름이 아닙니다", "`replay`", id="typo"
        ),
    ],
)
def test_mode_wrong_answers_name_the_cause(replaying, answer, cause, hint):
    fb = check("00-mode", answer())
    assert not fb.passed, str(fb)
    assert any(cause in f for f in fb.failures), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)


# --- 00-has-key: valid ---------------------------------------------------------------------------


def getenv_with_default(name):
    return bool(os.getenv(name, ""))


def not_in_none_or_empty(var_name: str) -> bool:
    return os.environ.get(var_name) not in (None, "")


def eafp_keyerror(name):
    try:
        return os.environ[name] != ""
    except KeyError:
        return False


def length_check_and_safe_message(name):
    present = len(os.environ.get(name) or "") > 0
    print(f"{name}: {'설정됨' if present else '없음'}")  # the name, never the value
    return present


has_key_lambda = lambda name: bool(os.environ.get(name))  # noqa: E731 - a learner's one-liner


@pytest.mark.parametrize(
    "answer",
    [
        getenv_with_default,
        not_in_none_or_empty,
        eafp_keyerror,
        length_check_and_safe_message,
        has_key_lambda,
    ],
    ids=lambda f: f.__name__,
)
def test_has_key_valid_answers_pass(clean_env, answer):
    fb = check("00-has-key", answer)
    assert fb.passed, str(fb)


# --- 00-has-key: wrong ---------------------------------------------------------------------------


def is_not_none(name):
    return os.environ.get(name) is not None


def quoted_name(name):
    return bool(os.environ.get("name"))


def inverted(name):
    return not os.environ.get(name)


def no_parameter():
    return bool(os.environ.get("OPENAI_API_KEY"))


def prints_the_environment(name):
    print(dict(os.environ))
    return bool(os.environ.get(name))


def returns_default_false(name):
    return os.environ.get(name, False)


@pytest.mark.parametrize(
    ("answer", "cause", "hint"),
    [
        (
            is_not_none,
            "값이 빈 문자열일 때 False여야 하는데 True",
            "빈 문자열도 '키가 없다'로",
        ),
        (quoted_name, "값이 있을 때 True여야 하는데 False", "`os.environ.get(name)`"),
        (inverted, "값이 있을 때 True여야 하는데 False", "`not`"),
        (no_parameter, "환경 변수 이름 하나를 인자로 받아야", "`def has_key(name):`"),
        (prints_the_environment, "키 값을 화면에 출력했습니다", "True나 False만"),
        (returns_default_false, "값이 있을 때 str 값을", "`bool(...)`"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_has_key_wrong_answers_name_the_cause(clean_env, answer, cause, hint):
    fb = check("00-has-key", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert any(cause in f for f in fb.failures), str(fb)
    assert any(hint in h for h in fb.hints), str(fb)
    assert SECRET not in str(fb)
    # the quoted_name hint must not blame empty strings: that is not what went wrong
    if answer in (quoted_name, inverted):
        assert "빈 문자열" not in str(fb), str(fb)
