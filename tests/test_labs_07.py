"""Lesson 07 labs: each checker passes the reference solution and rejects wrong answers with the
specific Korean hint; unsolved answers get guidance."""

from __future__ import annotations

import random
import time

import anthropic
import httpx2
import openai
import pytest

from helpers import catalog
from helpers.labs import TODO, check
from helpers.labs.lesson07 import FlakyOpenAIClient, classification_cases
from helpers.retry import RetryPolicy, is_retryable, retry_after

MODEL = catalog.default_model("openai")

# --- reference solutions (what the <details> hints lead to) -----------------------------------


def should_retry(error):
    status = getattr(error, "status_code", None)
    response = getattr(error, "response", None)
    if status is None and response is not None:
        status = response.status_code
    if status is not None:
        return status in (408, 409, 429) or status >= 500
    transient = (
        openai.APIConnectionError,
        anthropic.APIConnectionError,
        httpx2.TransportError,
        TimeoutError,
        ConnectionError,
    )
    return isinstance(error, transient)


def call_with_backoff(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            asked = retry_after(error)  # the one parser lessons 04 and 07 teach
            sleep(asked if asked else random.random() * min(cap, base * 2 ** (attempt - 1)))


def run_batch(client, questions, model=MODEL):
    policy = RetryPolicy(max_attempts=4, base_delay=0.05)
    answers = []
    for question in questions:
        response = policy.call(
            client.chat.completions.create,
            model=model,
            messages=[{"role": "user", "content": question}],
        )
        answers.append(response.choices[0].message.content)
    return answers


@pytest.mark.parametrize(
    ("lab_id", "answer"),
    [
        ("07-classify", should_retry),
        ("07-classify", is_retryable),
        ("07-backoff", call_with_backoff),
        ("07-batch", run_batch),
    ],
)
def test_reference_solutions_pass(lab_id, answer):
    feedback = check(lab_id, answer)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("lab_id", ["07-classify", "07-backoff", "07-batch"])
def test_unsolved_is_guidance(lab_id):
    def stub(*args, **kwargs):
        return TODO

    assert check(lab_id, TODO).status == "unsolved"
    assert check(lab_id, stub).status == "unsolved"


def test_cases_cover_all_three_sdks_and_both_answers():
    cases = classification_cases()
    modules = {type(error).__module__.split(".")[0] for _, error, _, _ in cases}
    assert {"openai", "anthropic", "huggingface_hub", "httpx2", "builtins"} <= modules
    assert {want for _, _, want, _ in cases} == {True, False}
    assert all(is_retryable(error) == want for _, error, want, _ in cases), (
        "cases agree with policy"
    )


# --- 07-classify wrong answers ----------------------------------------------------------------


def only_status_code(error):
    status = getattr(error, "status_code", None)
    if status is not None:
        return status in (408, 409, 429) or status >= 500
    return isinstance(error, (openai.APIConnectionError, httpx2.TransportError, TimeoutError))


def retry_everything(error):
    return True


def only_429(error):
    return (
        should_retry(error)
        if getattr(error, "status_code", None) != 500
        and not (getattr(getattr(error, "response", None), "status_code", 0) >= 500)
        else False
    )


def crashes_without_response(error):
    return error.response.status_code in (408, 409, 429) or error.response.status_code >= 500


def retries_402(error):
    return should_retry(error) or getattr(error, "status_code", None) == 402


def says_yes_in_words(error):
    return "예" if should_retry(error) else "아니요"


def ignores_transport(error):
    status = getattr(error, "status_code", None)
    response = getattr(error, "response", None)
    if status is None and response is not None:
        status = response.status_code
    return status is not None and (status in (408, 409, 429) or status >= 500)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (only_status_code, "`status_code` 속성이 없습니다"),
        (retry_everything, "다시 보내도 같은 결과"),
        (retry_everything, "`ValueError`·`TypeError`"),
        (only_429, "status >= 500"),
        (crashes_without_response, "응답을 받지 못한 예외"),
        (retries_402, "402는 크레딧"),
        (says_yes_in_words, "True나 False"),
        (ignores_transport, "시간 초과에는 상태 코드가 없습니다"),
        ("not a function", "함수여야"),
    ],
)
def test_classify_wrong_answers_are_explained(answer, hint):
    feedback = check("07-classify", answer)
    assert not feedback.passed and hint in str(feedback), str(feedback)


# --- 07-backoff wrong answers -----------------------------------------------------------------


def no_sleep_parameter(fn, max_attempts=4, base=0.1, cap=1.0):
    return fn()


def never_waits(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            sleep(0)


def uses_time_sleep(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            time.sleep(0.001)


def ignores_retry_after(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            sleep(random.random() * min(cap, base * 2 ** (attempt - 1)))


def retries_400(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if attempt == max_attempts:
                raise
            response = getattr(error, "response", None)
            asked = response.headers.get("retry-after") if response is not None else None
            sleep(float(asked) if asked else min(cap, base * 2 ** (attempt - 1)))


def swallows_after_giving_up(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    try:
        return call_with_backoff(fn, max_attempts, base, cap, sleep)
    except openai.APIError:
        return None
    except anthropic.APIError:
        return None


def constant_delay(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            response = getattr(error, "response", None)
            asked = response.headers.get("retry-after") if response is not None else None
            sleep(float(asked) if asked else base)


def no_cap(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            response = getattr(error, "response", None)
            asked = response.headers.get("retry-after") if response is not None else None
            sleep(float(asked) if asked else base * 2 ** (attempt - 1))


def never_stops(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    while True:
        try:
            return fn()
        except Exception as error:
            if not should_retry(error):
                raise
            response = getattr(error, "response", None)
            asked = response.headers.get("retry-after") if response is not None else None
            sleep(float(asked) if asked else 0.01)


def raises_a_new_error(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    try:
        return call_with_backoff(fn, max_attempts, base, cap, sleep)
    except openai.BadRequestError:
        raise
    except Exception as error:
        raise RuntimeError("포기했습니다") from error


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (no_sleep_parameter, "`sleep` 인자를 받아"),
        (never_waits, "기다리지 않고(0초)"),
        (uses_time_sleep, "인자로 받은 `sleep(초)`"),
        (ignores_retry_after, "retry-after: 0.3"),
        (retries_400, "400 `BadRequestError`"),
        (swallows_after_giving_up, "예외 대신 None"),
        (constant_delay, "대기 시간이 늘지 않습니다"),
        (no_cap, "`cap=1.0`인데"),
        (never_stops, "멈추지 않고"),
        (raises_a_new_error, "마지막으로 받은 500 예외가 아닙니다"),
    ],
)
def test_backoff_wrong_answers_are_explained(answer, hint):
    feedback = check("07-backoff", answer)
    assert not feedback.passed and hint in str(feedback), str(feedback)


def no_jitter(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not should_retry(error) or attempt == max_attempts:
                raise
            response = getattr(error, "response", None)
            asked = response.headers.get("retry-after") if response is not None else None
            sleep(float(asked) if asked else min(cap, base * 2 ** (attempt - 1)))


def test_backoff_without_jitter_passes_with_advice():
    feedback = check("07-backoff", no_jitter)
    assert feedback.passed and "지터 없음" in str(feedback)


# --- 07-batch wrong answers -------------------------------------------------------------------


def no_retry(client, questions, model=MODEL):
    return [
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": q}])
        .choices[0]
        .message.content
        for q in questions
    ]


def swallows_failures(client, questions, model=MODEL):
    answers = []
    for q in questions:
        try:
            response = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": q}]
            )
            answers.append(response.choices[0].message.content)
        except openai.APIError:
            answers.append(None)
    return answers


def restarts_the_whole_batch(client, questions, model=MODEL):
    for _ in range(5):
        try:
            return no_retry(client, questions, model)
        except openai.APIError:
            continue
    raise RuntimeError("다섯 번 모두 실패")


def returns_responses(client, questions, model=MODEL):
    policy = RetryPolicy(max_attempts=4, base_delay=0.01)
    return [
        policy.call(
            client.chat.completions.create, model=model, messages=[{"role": "user", "content": q}]
        )
        for q in questions
    ]


def reversed_order(client, questions, model=MODEL):
    return list(reversed(run_batch(client, questions, model)))


def drops_failed_questions(client, questions, model=MODEL):
    return [a for a in swallows_failures(client, questions, model) if a is not None]


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (no_retry, "배치 전체가 멈췄습니다"),
        (swallows_failures, "실패를 삼키고"),
        (restarts_the_whole_batch, "이미 답을 받은 질문을 다시 보냈습니다"),
        (returns_responses, "`response.choices[0].message.content`(문자열)"),
        (reversed_order, "같은 순서로"),
        (drops_failed_questions, "답변은 18개입니다"),
        (42, "함수여야"),
    ],
)
def test_batch_wrong_answers_are_explained(answer, hint):
    feedback = check("07-batch", answer)
    assert not feedback.passed and hint in str(feedback), str(feedback)


def test_flaky_client_fails_exactly_where_asked():
    from helpers.explain import sdk_status_error

    client = FlakyOpenAIClient({2: sdk_status_error("openai", 429)})
    ask = {"model": "m", "messages": [{"role": "user", "content": "?"}]}
    client.chat.completions.create(**ask)
    with pytest.raises(openai.RateLimitError):
        client.with_options(max_retries=0).chat.completions.create(**ask)
    client.chat.completions.create(**ask)
    assert client.attempts == 3 and len(client.answered) == 2
