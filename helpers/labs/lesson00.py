"""Lab checkers for lesson 00 (환경 설정).

Labs:

- ``"00-mode"`` — the learner reads the status table and names OpenAI's current mode.
- ``"00-has-key"`` — ``has_key(name) -> bool`` tells whether an environment variable holds a
  value, without ever printing it. Checked on a made-up variable; the checker restores it.
"""

from __future__ import annotations

import contextlib
import io
import os

from ..session import MODE_LABELS, last_status
from . import LearnerError, register, run_learner

MODE_ALIASES = {
    "실시간": "live",
    "라이브": "live",
    "재생": "replay",
    "리플레이": "replay",
    "녹화": "record",
    # words for the same modes that a learner may have met elsewhere
    "재생(replay)": "replay",
    "실시간(live)": "live",
    # the labels the status table (and the notebook's `mode_of`) show: "리플레이(replay)"
    **{label.lower(): mode for mode, label in MODE_LABELS.items()},
}


@register("00-mode", "OpenAI는 지금 어떤 모드로 실행되고 있습니까?")
def _check_mode(answer, fb):
    status = last_status()
    if status is None:
        fb.fail(
            "아직 `helpers.setup()`을 실행하지 않았습니다.",
            hint="노트북 위쪽의 `helpers.setup(mode=MODE)` 셀을 먼저 실행하세요.",
        )
        return
    actual = status.mode("openai")
    if hasattr(answer, "mode") and hasattr(answer, "providers"):
        fb.fail(
            "`helpers.setup()`의 상태 객체 전체를 넘겼습니다. 답은 OpenAI 한 곳의 모드 이름입니다.",
            hint='`last_status().mode("openai")`처럼 `.mode("openai")`로 OpenAI의 모드만 꺼내세요.',
        )
        return
    given = str(answer).strip().lower()
    given = MODE_ALIASES.get(given, given)
    if given == actual:
        fb.ok(f"맞습니다. 이 노트북의 OpenAI 호출은 {MODE_LABELS[actual]} 모드로 실행됩니다.")
    elif given == "auto":
        fb.fail(
            "`auto`는 모드를 고르는 규칙입니다. 그 결과는 `live`나 `replay` 가운데 하나입니다.",
            hint="`helpers.setup()` 표에서 OpenAI 줄의 '모드' 열을 읽어 보세요.",
        )
    elif given not in MODE_LABELS:
        fb.fail(
            f"{answer!r}은(는) 모드 이름이 아닙니다.",
            hint="`live`, `replay`, `record` 가운데 하나를 문자열로 쓰세요.",
        )
    else:
        fb.fail(
            f"OpenAI는 지금 {given} 모드가 아닙니다.",
            hint="키가 있는지, `MODE`가 무엇인지 떠올려 보세요. 표의 '모드' 열이 답입니다.",
        )


@register("00-has-key", "키 값을 보여 주지 않고 키가 있는지 확인하기")
def _check_has_key(answer, fb):
    if not callable(answer):
        fb.fail(
            "함수를 넘겨 주세요.", hint='`check("00-has-key", has_key)`처럼 함수 이름을 넘깁니다.'
        )
        return
    import inspect

    try:
        inspect.signature(answer).bind("LLM_LAB_EXAMPLE_SECRET")
    except TypeError:
        fb.fail(
            "`has_key`는 환경 변수 이름 하나를 인자로 받아야 합니다.",
            hint="`def has_key(name):`처럼 매개변수를 하나 두고, 함수 안에서 그 `name`을 읽으세요.",
        )
        return
    except ValueError:  # no signature (a builtin): just call it
        pass
    name, secret = "LLM_LAB_EXAMPLE_SECRET", "예시-비밀-값-0000"
    saved = os.environ.pop(name, None)
    try:
        for value, expected, case in [
            (secret, True, "값이 있을 때"),
            ("", False, "값이 빈 문자열일 때"),
            (None, False, "변수가 아예 없을 때"),
        ]:
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                try:
                    result = run_learner(answer, name, what=f"has_key({name!r})")
                except LearnerError as exc:
                    if not isinstance(exc.original, KeyError):
                        raise
                    fb.fail(
                        f"{case} KeyError가 났습니다.",
                        hint="`os.environ[name]` 대신 `os.environ.get(name)`을 쓰면 변수가 없을 때 None을 돌려받습니다.",
                    )
                    return
            if secret in printed.getvalue():
                fb.fail(
                    "함수가 키 값을 화면에 출력했습니다.",
                    hint="값은 print하지 말고 True나 False만 돌려주세요.",
                )
                return
            if not isinstance(result, bool):
                fb.fail(
                    f"{case} {type(result).__name__} 값을 돌려주었습니다. True나 False여야 합니다.",
                    hint="값 자체가 아니라 `bool(...)`로 바꾼 결과를 돌려주세요.",
                )
                return
            if result != expected:
                if expected:
                    hint = (
                        "값이 있는데 False가 나왔습니다. 매개변수 `name`을 따옴표 없이 "
                        "`os.environ.get(name)`으로 읽는지, 결과를 `not`으로 뒤집지 않았는지 "
                        "확인하세요."
                    )
                elif value == "":
                    hint = "빈 문자열도 '키가 없다'로 봐야 합니다. `is not None` 대신 `bool(...)`을 쓰세요."
                else:
                    hint = "변수가 없으면 `os.environ.get(name)`이 None이고, `bool(None)`은 False입니다."
                fb.fail(f"{case} {expected}여야 하는데 {result}을(를) 돌려주었습니다.", hint=hint)
                return
        fb.ok("값이 있으면 True, 비어 있거나 없으면 False를 돌려줍니다.")
        fb.ok("키 값을 화면에 출력하지 않았습니다.")
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved
