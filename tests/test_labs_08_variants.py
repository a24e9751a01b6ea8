"""Lesson 08 lab 08-schema: models written differently from the reference that both SDKs turn into a
strict schema and that read the model's JSON right must pass; plausible wrong ones are rejected
with a Korean message naming the real cause. (Round trips and the loop:
tests/test_labs_08_valid_answers.py.)"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any, List, Literal, Optional  # noqa: UP035

import pytest
from pydantic import BaseModel, ConfigDict, Field

from helpers.labs import check

# --- valid answers ------------------------------------------------------------------------------


class WithTimeAndTypingAliases(BaseModel):
    """`datetime.time` for the time, `typing.List` / `Optional` spellings."""

    guest_name: str
    party_size: int
    visit_time: datetime.time
    requests: List[str]  # noqa: UP006 - the older spelling learners meet in docs
    phone: Optional[str]  # noqa: UP045


class AnnotatedWithDefaultNone(BaseModel):
    """`Annotated[..., Field()]`, `extra="forbid"`, a `None` default (strict makes it required)."""

    model_config = ConfigDict(extra="forbid")

    guest_name: Annotated[str, Field(description="예약자 이름", min_length=1)]
    party_size: Annotated[int, Field(description="인원 수", ge=1)]
    visit_time: Annotated[str, Field(description="HH:MM", pattern=r"^\d{2}:\d{2}$")]
    requests: Annotated[list[str], Field(description="요청 사항")]
    phone: Annotated[str | None, Field(description="연락처")] = None


class AliasedFields(BaseModel):
    """Python names differ; the JSON keys (aliases) are the contract's."""

    name: str = Field(alias="guest_name")
    size: int = Field(alias="party_size")
    at: str = Field(alias="visit_time")
    wishes: list[str] = Field(alias="requests")
    contact: str | None = Field(alias="phone")


class Plain(BaseModel):
    guest_name: str
    party_size: int
    visit_time: str
    requests: list[str]
    phone: None | str


class Strict(BaseModel):
    """Pydantic strict mode still reads "19:00" into a `time` from JSON."""

    model_config = ConfigDict(strict=True)

    guest_name: str
    party_size: int
    visit_time: datetime.time
    requests: list[str]
    phone: str | None


@pytest.mark.parametrize(
    "model", [WithTimeAndTypingAliases, AnnotatedWithDefaultNone, AliasedFields, Plain, Strict]
)
def test_valid_models_pass(model):
    feedback = check("08-schema", model)
    assert feedback.passed, str(feedback)


# --- wrong answers ------------------------------------------------------------------------------


class CountAsText(BaseModel):
    guest_name: str
    party_size: str
    visit_time: str
    requests: list[str]
    phone: str | None


class CountWithDefault(BaseModel):
    guest_name: str
    party_size: int = 0
    visit_time: str
    requests: list[str]
    phone: str | None


class PhoneNotNullable(BaseModel):
    guest_name: str
    party_size: int
    visit_time: str
    requests: list[str]
    phone: str


class RenamedField(BaseModel):
    name: str
    party_size: int
    visit_time: str
    requests: list[str]
    phone: str | None


class ExtraAllowed(BaseModel):
    model_config = ConfigDict(extra="allow")

    guest_name: str
    party_size: int
    visit_time: str
    requests: list[str]
    phone: str | None


class RequestsAsDict(BaseModel):
    guest_name: str
    party_size: int
    visit_time: str
    requests: dict[str, str]
    phone: str | None


class UntypedTime(BaseModel):
    guest_name: str
    party_size: int
    visit_time: Any
    requests: list[str]
    phone: str | None


class RequestsStrOrList(BaseModel):
    guest_name: str
    party_size: int
    visit_time: str
    requests: list[str] | str
    phone: str | None


class TimeAsDatetime(BaseModel):
    guest_name: str
    party_size: int
    visit_time: datetime.datetime
    requests: list[str]
    phone: str | None


class CountAsFloat(BaseModel):
    guest_name: str
    party_size: float
    visit_time: str
    requests: list[str]
    phone: str | None


class Seat(enum.Enum):
    WINDOW = "창가"


class ExtraEnumField(BaseModel):
    guest_name: str
    party_size: int
    visit_time: str
    requests: list[str]
    phone: str | None
    seat: Seat | None


class TimeAsLiteral(BaseModel):
    """A Literal that cannot hold the second booking's time."""

    guest_name: str
    party_size: int
    visit_time: Literal["19:00"]
    requests: list[str]
    phone: str | None


@pytest.mark.parametrize(
    ("model", "cause", "hint"),
    [
        (CountAsText, "party_size", "int"),
        (CountWithDefault, "`party_size`가 빠진 답도 통과", "기본값"),
        (PhoneNotNullable, "`phone`", "str | None"),
        (RenamedField, "필드가 빠졌습니다: `guest_name`", "표에 없는 필드가 있습니다: `name`"),
        (ExtraAllowed, "정의되지 않은 키를 허용", 'extra="allow"'),
        (RequestsAsDict, "아무 키나 받는 딕셔너리", "additionalProperties"),
        (UntypedTime, "`visit_time`의 자료형이 정해지지 않았습니다", "Any"),
        (RequestsStrOrList, "리스트가 아닌 문자열도 받아들입니다", "list[str]"),
        (TimeAsDatetime, "`visit_time`", "datetime.time"),
        (CountAsFloat, "`party_size`: 4.0", "int"),
        (ExtraEnumField, "표에 없는 필드가 있습니다: `seat`", "모든 필드가 필수"),
        (TimeAsLiteral, "`visit_time`", "24시간제"),
    ],
)
def test_wrong_models_are_explained(model, cause, hint):
    feedback = check("08-schema", model)
    assert feedback.status == "failed", str(feedback)
    text = str(feedback)
    assert cause in text, text
    assert hint in text, text
