"""Automatic lab feedback in Korean.

A lab cell asks the learner for a small function or value; ``check(lab_id, answer)`` runs the
registered checker and returns a :class:`Feedback` that renders as Markdown in Jupyter and as plain
text in a terminal. ``check`` never raises: an unsolved answer gets guidance, an exception from the
learner's code becomes Korean feedback, and a bug in a checker is reported as such.

Checkers live in ``helpers.labs.lessonNN`` modules and are imported on first use (lab ids start with
the lesson number: ``"01-ask"`` → ``helpers.labs.lesson01``).
"""

from __future__ import annotations

import importlib
import os
import sysconfig
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "TODO",
    "Feedback",
    "LearnerError",
    "NotSolved",
    "check",
    "check_forwarded",
    "check_signature",
    "is_unsolved",
    "known_labs",
    "register",
    "run_learner",
    "signature_defaults",
]


class _Todo:
    """Sentinel for "not written yet": lab templates say ``answer = TODO``."""

    _instance: _Todo | None = None

    def __new__(cls) -> _Todo:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "TODO"

    def __bool__(self) -> bool:
        return False


TODO = _Todo()

_MARKS = {"ok": "✅", "fail": "❌", "hint": "💡", "info": "ℹ️", "todo": "📝", "error": "⚠️"}


class NotSolved(Exception):
    """Raised inside a checker to report that the answer is not written yet."""


class LearnerError(Exception):
    """Wraps an exception raised by the learner's code (see :func:`run_learner`)."""

    def __init__(self, original: BaseException, what: str):
        super().__init__(f"{what}: {type(original).__name__}: {original}")
        self.original = original
        self.what = what


class Feedback:
    """Korean check result: ✅/❌ lines plus hints.

    ``passed`` is True when at least one check passed and none failed. Displays as Markdown in
    Jupyter (``_repr_markdown_``) and as plain text with ``print``/``str``.
    """

    def __init__(self, lab_id: str, title: str = ""):
        self.lab_id = lab_id
        self.title = title
        self.lines: list[tuple[str, str]] = []
        self._unsolved = False
        self._errored = False

    # building ----------------------------------------------------------------------------
    def ok(self, text: str) -> Feedback:
        self.lines.append(("ok", text))
        return self

    def fail(self, text: str, hint: str | None = None) -> Feedback:
        self.lines.append(("fail", text))
        if hint:
            self.lines.append(("hint", hint))
        return self

    def hint(self, text: str) -> Feedback:
        self.lines.append(("hint", text))
        return self

    def info(self, text: str) -> Feedback:
        self.lines.append(("info", text))
        return self

    def todo(self, text: str) -> Feedback:
        self._unsolved = True
        self.lines.append(("todo", text))
        return self

    def error(self, text: str, hint: str | None = None) -> Feedback:
        self._errored = True
        self.lines.append(("error", text))
        if hint:
            self.lines.append(("hint", hint))
        return self

    # reading -----------------------------------------------------------------------------
    @property
    def failures(self) -> list[str]:
        return [text for kind, text in self.lines if kind in ("fail", "error")]

    @property
    def hints(self) -> list[str]:
        return [text for kind, text in self.lines if kind == "hint"]

    @property
    def passed(self) -> bool:
        kinds = {kind for kind, _ in self.lines}
        return "ok" in kinds and not ({"fail", "error"} & kinds) and not self._unsolved

    @property
    def status(self) -> str:
        """One of "passed", "failed", "unsolved", "error"."""
        if self._unsolved:
            return "unsolved"
        if self._errored:
            return "error"
        return "passed" if self.passed else "failed"

    def __contains__(self, text: str) -> bool:
        return any(text in line for _, line in self.lines)

    def _summary(self) -> str:
        return {
            "passed": "🎉 통과했습니다!",
            "failed": "아직 고칠 곳이 있습니다. 아래 ❌와 💡를 보고 다시 시도해 보세요.",
            "unsolved": "아직 풀지 않았습니다. 셀의 TODO를 채운 뒤 다시 실행하세요.",
            "error": "코드를 실행하다가 오류가 났습니다. 아래 설명을 확인하세요.",
        }[self.status]

    def __str__(self) -> str:
        head = f"[{self.lab_id}] {self.title}".rstrip()
        body = [f"{_MARKS[kind]} {text}" for kind, text in self.lines]
        return "\n".join([head, *body, self._summary()])

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        head = f"**실습 {self.lab_id}** {self.title}".rstrip()
        body = []
        for kind, text in self.lines:
            text = text.replace("\n", "  \n")
            indent = "    " if kind == "hint" else ""
            body.append(f"{indent}- {_MARKS[kind]} {text}")
        return "\n".join([head, "", *body, "", f"**{self._summary()}**"])


# ------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------


@dataclass
class _Lab:
    lab_id: str
    title: str
    checker: Callable[[Any, Feedback], None]
    accepts_unsolved_dicts: bool = False


_REGISTRY: dict[str, _Lab] = {}


def _lesson_modules() -> list[str]:
    """Every ``lessonNN`` module in this package: adding a lesson's checkers needs no list edit."""
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("lesson"))


def register(lab_id: str, title: str = "") -> Callable:
    """Decorator: register ``checker(answer, feedback)`` under ``lab_id``."""

    def deco(func: Callable[[Any, Feedback], None]) -> Callable[[Any, Feedback], None]:
        _REGISTRY[lab_id] = _Lab(lab_id, title, func)
        return func

    return deco


def _load_for(lab_id: str) -> None:
    prefix = lab_id.split("-", 1)[0]
    names = [f"lesson{prefix}"] if prefix.isdigit() else _lesson_modules()
    for name in names:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


def known_labs() -> list[str]:
    for name in _lesson_modules():
        importlib.import_module(f"{__name__}.{name}")
    return sorted(_REGISTRY)


# ------------------------------------------------------------------------------------------------
# Unsolved answers and learner code
# ------------------------------------------------------------------------------------------------


def _returns_none_only(func: Callable) -> bool:
    import dis

    code = getattr(func, "__code__", None)
    if code is None:
        return False
    ops = [
        (ins.opname, ins.argval)
        for ins in dis.get_instructions(code)
        if ins.opname not in ("RESUME", "NOP", "CACHE")
    ]
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def _is_stub_function(func: Callable) -> bool:
    """True for a body of only ``...``, ``pass``, ``return TODO`` or ``raise NotImplementedError``
    (plus docstring and comments)."""
    import ast
    import inspect
    import textwrap

    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        # No source (e.g. defined via exec): an empty body compiles to "return None" only.
        return _returns_none_only(func)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not defs:
        return False
    body = list(defs[0].body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    if not body:
        return True
    for node in body:
        if isinstance(node, ast.Pass):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            if node.value.value is Ellipsis:
                continue
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
            if node.value.id == "TODO":
                continue
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def signature_defaults(func: Any) -> dict[str, Any] | None:
    """Parameter name -> default (``inspect.Parameter.empty`` when none), or None if unknown."""
    import inspect

    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return None
    return {name: p.default for name, p in params.items()}


def check_signature(
    fb: Feedback, answer: Any, name: str, needed: list[str], usage: str
) -> dict[str, Any] | None:
    """Korean feedback unless ``answer`` is a function whose first parameters are ``needed``.

    Returns the parameter defaults when the shape is right, so a checker can call the learner's
    function the way the lab describes; None (after failing ``fb``) otherwise.
    """
    if not callable(answer):
        fb.fail(
            f"`{name}`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint=f"`{usage}:`로 정의하세요.",
        )
        return None
    defaults = signature_defaults(answer) or {}
    names = list(defaults)
    if names and names[: len(needed)] != needed:
        fb.fail(
            f"매개변수가 {names}입니다(기대: {needed}).",
            hint=f"`{usage}` 순서와 이름을 지켜 주세요.",
        )
        return None
    return defaults


def check_forwarded(
    fb: Feedback, sent: dict[str, Any], name: str, expected: Any, label: str
) -> bool:
    """Fail with Korean feedback unless the learner's call passed ``name=expected`` through.

    Lab functions take parameters and must hand them to the SDK unchanged; a hard-coded value
    (or a forgotten argument) shows up here as a different value in the recorded call.
    """
    value = sent.get(name)
    if value == expected:
        return True
    fb.fail(
        f"{label}: 전달된 값은 `{name}={value!r}`입니다(기대: {expected!r}).",
        hint=f"값을 직접 쓰지 말고 `{name}={name}`으로 매개변수를 그대로 넘기세요.",
    )
    return False


def is_unsolved(answer: Any) -> bool:
    """None, ``...``, ``TODO``, or a function whose body is only ``...``/``pass``/
    ``raise NotImplementedError``."""
    if answer is None or answer is Ellipsis or answer is TODO:
        return True
    if callable(answer) and not isinstance(answer, type):
        return _is_stub_function(answer)
    return False


def run_learner(func: Callable, *args: Any, what: str = "", **kwargs: Any) -> Any:
    """Call learner code; wrap any exception in :class:`LearnerError`. ``NotImplementedError``
    and a returned ``TODO``/``...`` become :class:`NotSolved`."""
    try:
        result = func(*args, **kwargs)
    except NotSolved:
        raise
    except NotImplementedError as exc:
        raise NotSolved(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - anything the learner raises is reported
        name = what or f"{getattr(func, '__name__', '함수')}(...)"
        raise LearnerError(exc, name) from exc
    if result is TODO or result is Ellipsis:
        raise NotSolved(f"{getattr(func, '__name__', '함수')}가 아직 `{result!r}`를 돌려줍니다")
    return result


_EXC_HINTS = {
    "TypeError": "인자 이름·개수나 값의 자료형을 확인하세요. 예: `client.chat.completions.create`는 "
    "키워드 인자(`model=..., messages=...`)만 받습니다.",
    "AttributeError": "객체에 없는 속성을 읽었습니다. 오류 메시지에 나온 객체의 종류와 속성 "
    "이름을 확인하세요. 예: OpenAI 응답의 텍스트는 `response.choices[0].message.content`, "
    "Anthropic 응답의 텍스트는 `response.content[0].text`, 사용량은 둘 다 `response.usage`입니다.",
    "IndexError": "리스트 범위를 벗어났습니다. `response.choices[0]`처럼 인덱스를 확인하세요.",
    "KeyError": "딕셔너리에 없는 키를 읽었습니다. SDK 응답은 딕셔너리가 아니라 객체이므로 "
    "`response['choices']` 대신 `response.choices`로 읽습니다.",
    "NameError": "정의되지 않은 이름을 썼습니다. 필요한 셀(import, 변수 정의)을 먼저 실행했는지 "
    "확인하세요.",
    "ZeroDivisionError": "0으로 나누었습니다. 1M 토큰당 가격이면 1,000,000으로 나눕니다.",
}


_HELPERS_DIR = os.path.realpath(Path(__file__).parent.parent)


def _is_learner_file(filename: str) -> bool:
    """False for this package, installed libraries and the standard library."""
    path = os.path.realpath(filename)
    if path.startswith(_HELPERS_DIR + os.sep):
        return False
    if "site-packages" in path or "dist-packages" in path:
        return False
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    return not path.startswith(stdlib + os.sep)


def _learner_location(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if _is_learner_file(f.filename)]
    if not mine:
        return ""
    f = mine[-1]
    line = f" — `{f.line.strip()}`" if f.line else ""
    return f" (위치: {f.name}{line})"


# ------------------------------------------------------------------------------------------------
# check()
# ------------------------------------------------------------------------------------------------


def check(lab_id: str, answer: Any = TODO) -> Feedback:
    """Check a lab answer and return Korean :class:`Feedback`. Never raises."""
    try:
        _load_for(lab_id)
    except Exception as exc:  # noqa: BLE001
        fb = Feedback(lab_id)
        return fb.error(f"채점기를 불러오지 못했습니다: {type(exc).__name__}: {exc}")
    lab = _REGISTRY.get(lab_id)
    if lab is None:
        fb = Feedback(lab_id)
        known = ", ".join(f"`{k}`" for k in sorted(_REGISTRY)) or "(없음)"
        return fb.error(f"`{lab_id}`라는 실습은 없습니다. 있는 실습: {known}")

    fb = Feedback(lab_id, lab.title)
    if is_unsolved(answer):
        fb.todo(
            "아직 답이 없습니다(`None`, `...`, `TODO`, 또는 본문이 비어 있거나 "
            "`NotImplementedError`만 있는 함수)."
        )
        fb.hint(
            "셀의 TODO 부분을 채운 뒤 이 셀을 다시 실행하세요. 답을 쓰기 전에는 채점하지 않습니다."
        )
        return fb
    try:
        lab.checker(answer, fb)
    except NotSolved as exc:
        fb.todo(f"아직 풀지 않은 부분이 있습니다{': ' + str(exc) if str(exc) else ''}.")
        fb.hint("`NotImplementedError`나 `...`로 남겨 둔 부분을 채워 주세요.")
    except LearnerError as exc:
        orig = exc.original
        fb.error(
            f"여러분의 코드 `{exc.what}`에서 예외가 발생했습니다: "
            f"`{type(orig).__name__}: {orig}`{_learner_location(orig)}",
            hint=_EXC_HINTS.get(
                type(orig).__name__, "오류 메시지를 읽고, 셀을 작은 단계로 나누어 확인해 보세요."
            ),
        )
    except Exception as exc:  # noqa: BLE001 - a checker bug must not break the notebook
        fb.error(
            f"채점기 내부 오류입니다(여러분 잘못이 아닐 수 있습니다): {type(exc).__name__}: {exc}",
            hint="이 메시지를 강사나 저장소 이슈로 알려 주세요.",
        )
    return fb
