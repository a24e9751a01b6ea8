"""Lesson 07 lab 07-classify: answers written differently from the notebook's hint that classify
the real SDK exceptions correctly must pass; plausible wrong ones are rejected with a Korean
message that names the real cause. (07-backoff and 07-batch: tests/test_labs_07_valid_answers.py.)"""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest
from huggingface_hub.errors import HfHubHTTPError

from helpers.labs import check

# --- valid answers ------------------------------------------------------------------------------


def by_response_status(error):
    """Every SDK status error carries the HTTP response; read the status there for all three."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return status in {408, 409, 429} or 500 <= status <= 599
    return isinstance(error, (TimeoutError, httpx2.TransportError, openai.APIConnectionError)) or (
        isinstance(error, anthropic.APIConnectionError)
    )


def by_sdk_classes(error):
    """The SDKs' own exception classes first (lesson 07 §2's table), status codes for the rest."""
    retry_classes = (
        openai.RateLimitError,
        openai.InternalServerError,
        openai.ConflictError,
        openai.APIConnectionError,  # APITimeoutError is a subclass
        anthropic.RateLimitError,
        anthropic.InternalServerError,  # OverloadedError (529) and ServiceUnavailableError too
        anthropic.ConflictError,
        anthropic.APIConnectionError,
        httpx2.TimeoutException,
        httpx2.RemoteProtocolError,
        TimeoutError,
    )
    if isinstance(error, retry_classes):
        return True
    if isinstance(error, (openai.APIStatusError, anthropic.APIStatusError)):
        return error.status_code == 408
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        return error.response.status_code in (429, 503) or error.response.status_code >= 500
    return False


def status_then_types_with_try(error):
    try:
        status = error.status_code
    except AttributeError:
        try:
            status = error.response.status_code
        except AttributeError:
            status = None
    if status:
        return bool(status == 408 or status == 409 or status == 429 or status >= 500)
    return isinstance(
        error,
        (openai.APITimeoutError, openai.APIConnectionError, anthropic.APIConnectionError)
        + (httpx2.TransportError, TimeoutError, ConnectionError),
    )


@pytest.mark.parametrize("answer", [by_response_status, by_sdk_classes, status_then_types_with_try])
def test_classify_valid_answers_pass(answer):
    feedback = check("07-classify", answer)
    assert feedback.passed, str(feedback)
    assert "모두 맞게 분류했습니다" in str(feedback)


# --- wrong answers ------------------------------------------------------------------------------


def _status(error):
    status = getattr(error, "status_code", None)
    if status is None and getattr(error, "response", None) is not None:
        status = error.response.status_code
    return status


def forgets_408_409(error):
    status = _status(error)
    if status is not None:
        return status == 429 or status >= 500
    return isinstance(error, (openai.APIConnectionError, httpx2.TransportError, TimeoutError))


def retries_every_4xx(error):
    status = _status(error)
    if status is not None:
        return status >= 400
    return isinstance(error, (openai.APIConnectionError, httpx2.TransportError, TimeoutError))


def status_code_only(error):
    return error.status_code in (408, 409, 429) or error.status_code >= 500


def builtin_timeout_only(error):
    status = _status(error)
    if status is not None:
        return status in (408, 409, 429) or status >= 500
    return isinstance(error, (TimeoutError, ConnectionError))  # the SDKs' own classes are not these


def anthropic_connection_forgotten(error):
    status = _status(error)
    if status is not None:
        return status in (408, 409, 429) or status >= 500
    return isinstance(error, (openai.APIConnectionError, httpx2.TransportError, TimeoutError))


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (forgets_408_409, "408(서버 쪽 시간 초과)과 409(충돌)는 SDK도 재시도"),
        (retries_every_4xx, "402는 크레딧·결제 한도 소진"),
        (status_code_only, "`error.response.status_code`를 읽으세요"),
        (builtin_timeout_only, "`openai.APITimeoutError`"),
        (anthropic_connection_forgotten, "`anthropic.APIConnectionError`"),
    ],
)
def test_classify_wrong_answers_name_the_cause(answer, cause):
    feedback = check("07-classify", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


def test_status_code_only_crash_names_both_causes():
    """`error.status_code` fails for two different reasons: a Hugging Face error keeps its status
    on `error.response`, and a timeout or dropped connection has no response at all."""
    feedback = str(check("07-classify", status_code_only))
    assert "Hugging Face 429 `HfHubHTTPError`" in feedback, feedback
    assert "`error.response.status_code`를 읽으세요" in feedback, feedback
    assert "`APITimeoutError`" in feedback and "`response`도 `status_code`도 없습니다" in feedback


def test_response_only_crash_names_the_missing_response():
    def response_only(error):
        status = error.response.status_code
        return status in (408, 409, 429) or status >= 500

    feedback = str(check("07-classify", response_only))
    assert "`response`도 `status_code`도 없습니다" in feedback, feedback
    assert "`error.response.status_code`를 읽으세요" not in feedback, feedback
