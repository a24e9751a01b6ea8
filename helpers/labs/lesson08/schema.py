""" "08-schema": a strict-mode Pydantic model for the reservation message."""

from __future__ import annotations

import datetime
import json
from typing import Any

from .. import Feedback, NotSolved, register

# ------------------------------------------------------------------------------------------------
# 08-schema
# ------------------------------------------------------------------------------------------------

RESERVATION_MESSAGE = (
    "안녕하세요! 이번 주 토요일 저녁 7시에 4명 예약하고 싶어요. 예약자는 김민수입니다. "
    "창가 자리로 부탁드리고, 아기 의자도 하나 필요해요."
)

_FIELDS = ["guest_name", "party_size", "visit_time", "requests", "phone"]

_FIELD_HINTS = {
    "guest_name": "`guest_name: str`",
    "party_size": "`party_size: int` — 인원은 숫자입니다.",
    "visit_time": '`visit_time: str`("19:00" 같은 24시간제 문자열) 또는 `datetime.time`',
    "requests": "`requests: list[str]` — 요청 사항이 없으면 빈 리스트 `[]`가 옵니다.",
    "phone": "`phone: str | None` — 메시지에 연락처가 없으면 모델은 `null`을 돌려줍니다.",
}

# (label, JSON a model could return, expected values after validation)
_GOOD_OUTPUTS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "예약 메시지(연락처 없음)",
        json.dumps(
            {
                "guest_name": "김민수",
                "party_size": 4,
                "visit_time": "19:00",
                "requests": ["창가 자리", "아기 의자 1개"],
                "phone": None,
            },
            ensure_ascii=False,
        ),
        {
            "guest_name": "김민수",
            "party_size": 4,
            "visit_time": "19:00",
            "requests": ["창가 자리", "아기 의자 1개"],
            "phone": None,
        },
    ),
    (
        "다른 예약(요청 사항 없음, 연락처 있음)",
        json.dumps(
            {
                "guest_name": "박서연",
                "party_size": 2,
                "visit_time": "18:30",
                "requests": [],
                "phone": "010-2345-6789",
            },
            ensure_ascii=False,
        ),
        {
            "guest_name": "박서연",
            "party_size": 2,
            "visit_time": "18:30",
            "requests": [],
            "phone": "010-2345-6789",
        },
    ),
]

# (label, JSON that must be rejected, what accepting it means)
_BAD_OUTPUTS: list[tuple[str, str, str]] = [
    (
        '인원을 "네 명"으로 쓴 답',
        json.dumps(
            {
                "guest_name": "김민수",
                "party_size": "네 명",
                "visit_time": "19:00",
                "requests": [],
                "phone": None,
            },
            ensure_ascii=False,
        ),
        '`party_size`가 글자로 된 인원("네 명")도 받아들입니다. 뒤의 코드가 계산할 수 있게 '
        "`party_size: int`로 적으세요.",
    ),
    (
        "`party_size`가 빠진 답",
        json.dumps(
            {"guest_name": "김민수", "visit_time": "19:00", "requests": [], "phone": None},
            ensure_ascii=False,
        ),
        "`party_size`가 빠진 답도 통과합니다. 기본값(`= 0` 등)을 두면 빠진 값이 조용히 채워집니다. "
        "strict 모드에서는 모든 필드가 필수이니 기본값을 지우세요.",
    ),
    (
        "요청 사항을 리스트가 아닌 문자열로 쓴 답",
        json.dumps(
            {
                "guest_name": "김민수",
                "party_size": 4,
                "visit_time": "19:00",
                "requests": "창가 자리",
                "phone": None,
            },
            ensure_ascii=False,
        ),
        "`requests`가 리스트가 아닌 문자열도 받아들입니다. 뒤의 코드는 리스트를 기대하므로 "
        "`requests: list[str]`로만 적으세요.",
    ),
]


def strict_schemas(model: type) -> dict[str, dict[str, Any]]:
    """The JSON Schema each SDK's parse helper would send for ``model``.

    OpenAI: what ``client.chat.completions.parse(response_format=model)`` puts in
    ``response_format.json_schema.schema``. Anthropic: what ``client.messages.parse(
    output_format=model)`` puts in ``output_config.format.schema``. Raises what the SDKs raise.
    """
    from anthropic.lib._parse._transform import to_json_output_format
    from openai.lib._parsing._completions import type_to_response_format_param

    openai_param = type_to_response_format_param(model)
    return {
        "openai": openai_param["json_schema"]["schema"],
        "anthropic": to_json_output_format(model)["schema"],
    }


def show_strict_schemas(model: Any) -> None:
    """Print the schema each SDK would send for ``model``, or a Korean reason why there is none."""
    from pydantic import BaseModel

    if not (isinstance(model, type) and issubclass(model, BaseModel)) or not model.model_fields:
        print("`Reservation`을 필드가 있는 `BaseModel` 클래스로 정의하면 스키마를 보여 드립니다.")
        return
    try:
        schemas = strict_schemas(model)
    except Exception as exc:  # noqa: BLE001 - a learner's cell shows the cause, not a traceback
        print(f"SDK가 스키마를 만들지 못했습니다: {type(exc).__name__}: {exc}")
        return
    for provider, schema in schemas.items():
        print(f"--- {provider}")
        print(json.dumps(schema, ensure_ascii=False, indent=2))


def _schema_problems(schema: Any, path: str = "") -> list[str]:
    """Strict-mode violations in an already converted schema (OpenAI's converter keeps them)."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return problems
    where = path or "(모델 전체)"
    typed = any(k in schema for k in ("type", "anyOf", "allOf", "oneOf", "$ref", "enum", "const"))
    if path and not typed:
        problems.append(
            f"`{where}`의 자료형이 정해지지 않았습니다(`Any`나 자료형 없는 필드). strict 모드는 "
            "모든 값의 자료형을 요구합니다."
        )
    props = schema.get("properties")
    if schema.get("type") == "object" or isinstance(props, dict):
        extra = schema.get("additionalProperties", True)
        if extra is not False:
            if isinstance(extra, dict):
                problems.append(
                    f"`{where}`는 아무 키나 받는 딕셔너리(`dict[...]`)입니다. strict 모드는 "
                    "`additionalProperties: false`만 허용하므로, 키가 정해진 필드로 나누세요."
                )
            else:
                problems.append(
                    f"`{where}`가 정의되지 않은 키를 허용합니다(`additionalProperties`가 false가 "
                    '아님). `model_config`의 `extra="allow"`를 지우세요.'
                )
        if isinstance(props, dict):
            missing = [k for k in props if k not in schema.get("required", [])]
            if missing:
                problems.append(
                    f"`{where}`에서 필수가 아닌 필드가 있습니다: {', '.join(missing)}. strict 모드는 "
                    "모든 필드를 `required`로 요구합니다."
                )
            for key, sub in props.items():
                problems += _schema_problems(sub, f"{path}.{key}" if path else key)
    for key in ("items",):
        if isinstance(schema.get(key), dict):
            problems += _schema_problems(schema[key], f"{path}[]")
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key) or []:
            problems += _schema_problems(sub, path)
    for name, sub in (schema.get("$defs") or {}).items():
        problems += _schema_problems(sub, f"$defs.{name}")
    return problems


def _normalise(name: str, value: Any) -> Any:
    if name == "visit_time" and isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if name == "requests" and isinstance(value, (tuple, set, frozenset)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return value


def _validation_causes(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return f"{type(exc).__name__}: {exc}"
    parts = []
    for e in errors():
        loc = ".".join(str(p) for p in e.get("loc", ())) or "(전체)"
        parts.append(f"`{loc}`: {e.get('msg')}")
    return "; ".join(parts)


def _failed_fields(exc: Exception) -> list[str]:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return []
    return [str(e["loc"][0]) for e in errors() if e.get("loc")]


@register("08-schema", "예약 메시지를 담을 Pydantic 모델")
def _check_schema(answer: Any, fb: Feedback) -> None:
    from pydantic import BaseModel

    if isinstance(answer, BaseModel):
        fb.fail(
            "모델의 인스턴스를 넘겼습니다. SDK에는 클래스 자체를 넘깁니다.",
            hint='`check("08-schema", Reservation)`처럼 괄호 없이 클래스를 넘기세요.',
        )
        return
    if not (isinstance(answer, type) and issubclass(answer, BaseModel)):
        fb.fail(
            f"`Reservation`은 `pydantic.BaseModel`을 상속한 클래스여야 합니다(받은 값: "
            f"{answer.__name__ if isinstance(answer, type) else type(answer).__name__}).",
            hint="`class Reservation(BaseModel):`로 정의하세요.",
        )
        return
    if not answer.model_fields:
        raise NotSolved("`Reservation`에 아직 필드가 없습니다")

    from anthropic.lib._parse._transform import to_json_output_format
    from openai.lib._parsing._completions import type_to_response_format_param

    try:
        openai_schema = type_to_response_format_param(answer)["json_schema"]["schema"]
    except Exception as exc:  # noqa: BLE001 - what the SDK raises is the lesson here
        fb.fail(
            f"OpenAI SDK가 이 모델로 strict 스키마를 만들지 못했습니다: `{type(exc).__name__}: {exc}`",
            hint="필드 자료형을 `str`, `int`, `list[str]`, `str | None`처럼 JSON으로 나타낼 수 "
            "있는 것으로 적으세요.",
        )
        return

    names = list(openai_schema.get("properties", {}))
    missing = [n for n in _FIELDS if n not in names]
    extra = [n for n in names if n not in _FIELDS]
    if missing or extra:
        if missing:
            fb.fail(
                f"필드가 빠졌습니다: {', '.join(f'`{n}`' for n in missing)}.",
                hint="표의 필드 이름을 그대로 쓰세요. 뒤의 코드가 이 이름으로 값을 읽습니다: "
                + " · ".join(_FIELD_HINTS[n] for n in missing),
            )
        if extra:
            fb.fail(
                f"표에 없는 필드가 있습니다: {', '.join(f'`{n}`' for n in extra)}. strict 모드에서는 "
                "모든 필드가 필수라, 모델이 이 값도 매번 채워야 합니다.",
                hint="이름을 바꿨다면 표의 이름으로 되돌리고, 필요 없는 필드는 지우세요.",
            )
        return
    fb.ok(f"필드 다섯 개({', '.join(_FIELDS)})가 있습니다.")

    problems = _schema_problems(openai_schema)
    if problems:
        for p in problems:
            fb.fail(f"strict 스키마: {p}")
        return
    try:
        to_json_output_format(answer)
    except Exception as exc:  # noqa: BLE001
        fb.fail(
            f"Anthropic SDK(`messages.parse`)가 이 모델로 스키마를 만들지 못했습니다: "
            f"`{type(exc).__name__}: {exc}`",
            hint="필드마다 JSON 자료형이 정해지도록 적으세요.",
        )
        return
    fb.ok(
        "두 SDK의 변환기(`chat.completions.parse`, `messages.parse`)가 strict 스키마를 만들었고, "
        "모든 필드가 필수이며 `additionalProperties: false`입니다."
    )

    for label, raw, expected in _GOOD_OUTPUTS:
        try:
            parsed = answer.model_validate_json(raw)
        except Exception as exc:  # noqa: BLE001 - a ValidationError is the learner's feedback
            hints = [
                _FIELD_HINTS[f] for f in dict.fromkeys(_failed_fields(exc)) if f in _FIELD_HINTS
            ]
            fb.fail(
                f"올바른 답({label})을 거부했습니다: {_validation_causes(exc)}",
                hint=" · ".join(hints) or "자료형을 표와 맞추세요.",
            )
            return
        # By alias: `Field(alias="guest_name")` names the JSON key, which is the contract.
        values = parsed.model_dump(by_alias=True)
        wrong = {}
        for name, want in expected.items():
            got = _normalise(name, values.get(name))
            if got != want or (name == "party_size" and type(got) is not int):
                wrong[name] = f"`{name}`: {got!r}(기대: {want!r})"
        if wrong:
            fb.fail(
                f"올바른 답({label})을 읽은 값이 다릅니다: {'; '.join(wrong.values())}",
                hint=" · ".join(_FIELD_HINTS[name] for name in wrong),
            )
            return
    fb.ok("올바른 답 두 개(연락처가 `null`인 답, 요청 사항이 빈 답)를 기대한 값으로 읽었습니다.")

    accepted = False
    for label, raw, cause in _BAD_OUTPUTS:
        try:
            answer.model_validate_json(raw)
        except Exception:  # noqa: BLE001 - rejecting is the expected outcome
            continue
        accepted = True
        fb.fail(f"잘못된 답({label})을 받아들였습니다.", hint=cause)
    if not accepted:
        fb.ok("잘못된 답(글자로 쓴 인원, 빠진 필드, 문자열 요청 사항)은 모두 거부했습니다.")
