"""Lesson 07 labs 07-backoff and 07-batch: answers written differently from the reference that the
API accepts and the lesson teaches must pass; plausible wrong ones are rejected with a Korean
message that names the real cause. Nothing here really sleeps (fake `sleep`, no-sleep SDK fake)."""

from __future__ import annotations

import email.utils
import random
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest

from helpers import catalog
from helpers.explain import sdk_status_error
from helpers.labs import check
from helpers.labs.lesson07 import FlakyOpenAIClient
from helpers.retry import RetryPolicy, is_retryable, retry_after

MODEL = catalog.default_model("openai")


def _status(error):
    status = getattr(error, "status_code", None)
    response = getattr(error, "response", None)
    if status is None and response is not None:
        status = response.status_code
    return status


# --- 07-backoff: valid answers ------------------------------------------------------------------


def seconds_only_parser(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    """Lesson 04's `call_with_retry` style: RFC 9110 delay-seconds are digits only."""
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            value = error.response.headers.get("retry-after", "") if _status(error) else ""
            if value.isdigit():
                sleep(int(value))
            else:
                sleep(random.uniform(0, min(cap, base * 2 ** (attempt - 1))))


def int_or_http_date(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    """Both RFC forms (delay-seconds via int(), HTTP-date); anything else falls back to backoff."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as error:
            if attempt >= max_attempts or not is_retryable(error):
                raise
            delay = None
            response = getattr(error, "response", None)
            value = response.headers.get("Retry-After") if response is not None else None
            if value:
                try:
                    delay = int(value)
                except ValueError:
                    try:
                        delay = max(
                            0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time()
                        )
                    except (TypeError, ValueError):
                        delay = None
            if delay is None:
                delay = random.random() * min(cap, base * 2 ** (attempt - 1))
            sleep(delay)


def full_parser_with_extra_jitter(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    """retry-after-ms, then float seconds, then HTTP-date; a little jitter *on top* (never less)."""
    for attempt in range(max_attempts):
        try:
            return fn()
        except Exception as error:
            if attempt + 1 == max_attempts or not is_retryable(error):
                raise
            headers = getattr(getattr(error, "response", None), "headers", None) or {}
            delay = None
            if headers.get("retry-after-ms"):
                delay = float(headers["retry-after-ms"]) / 1000
            elif headers.get("retry-after"):
                try:
                    delay = float(headers["retry-after"])
                except ValueError:
                    when = email.utils.parsedate_to_datetime(headers["retry-after"])
                    delay = max(0.0, when.timestamp() - time.time())
            if delay is None:
                delay = random.random() * min(cap, base * 2**attempt)
            else:
                delay += random.random() * 0.1 * base
            sleep(delay)


def shared_parser_while_loop(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    """The hint's parser, `helpers.retry.retry_after`, in a while loop with a negative-safe wait."""
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as error:
            if attempt == max_attempts or not is_retryable(error):
                raise
            asked = retry_after(error)
            if asked is None:
                asked = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
            sleep(max(0.0, asked))
            attempt += 1


def policy_from_section_7(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    """Lesson 07 §7: `RetryPolicy` already is a capped, jittered backoff that honours Retry-After."""
    return RetryPolicy(max_attempts=max_attempts, base_delay=base, max_delay=cap, sleep=sleep).call(
        fn
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (shared_parser_while_loop, "`retry-after: 0.3`(`retry-after-ms: 300`)만큼"),
        (policy_from_section_7, "`retry-after: 0.3`(`retry-after-ms: 300`)만큼"),
        (seconds_only_parser, "자체 백오프"),
        (int_or_http_date, "자체 백오프"),
        (full_parser_with_extra_jitter, "`retry-after: 0.3`(`retry-after-ms: 300`)만큼"),
    ],
)
def test_backoff_valid_answers_pass(answer, said):
    feedback = check("07-backoff", answer)
    assert feedback.passed, str(feedback)
    assert said in str(feedback), str(feedback)


# --- 07-backoff: wrong answers ------------------------------------------------------------------


def int_parser_crashes(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            asked = error.response.headers.get("retry-after") if _status(error) else None
            sleep(int(asked) if asked else random.random() * min(cap, base * 2 ** (attempt - 1)))


def ignores_the_header(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            sleep(random.random() * min(cap, base * 2 ** (attempt - 1)))


def ms_read_as_seconds(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            ms = error.response.headers.get("retry-after-ms") if _status(error) else None
            sleep(float(ms) if ms else random.random() * min(cap, base * 2 ** (attempt - 1)))


def passes_the_response_not_the_error(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    """`retry_after` takes the exception; given `error.response` it finds no headers (None)."""
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            asked = retry_after(getattr(error, "response", None))
            sleep(asked if asked else random.random() * min(cap, base * 2 ** (attempt - 1)))


def jitters_the_server_delay(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            asked = error.response.headers.get("retry-after") if _status(error) else None
            bound = float(asked) if asked else min(cap, base * 2 ** (attempt - 1))
            sleep(
                (0.5 + 0.4 * random.random()) * bound
            )  # full jitter applied to the server's delay


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (int_parser_crashes, "`ValueError: invalid literal for int()"),
        (ignores_the_header, "헤더를 읽지 않고 자체 백오프로 기다린 것 같습니다"),
        (passes_the_response_not_the_error, "응답이 아니라 예외 객체를 넘깁니다"),
        (ms_read_as_seconds, "`retry-after-ms`는 밀리초입니다"),
        (jitters_the_server_delay, "서버가 요청한 시간보다 짧습니다"),
    ],
)
def test_backoff_wrong_answers_name_the_cause(answer, cause):
    feedback = check("07-backoff", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- 07-batch: valid answers --------------------------------------------------------------------


def sdk_retries_sequential(client, questions, model=MODEL):
    """Lesson 07 §5: let the SDK retry (`with_options(max_retries=...)`)."""
    retrying = client.with_options(max_retries=4)
    answers = []
    for question in questions:
        response = retrying.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}]
        )
        answers.append(response.choices[0].message.content)
    return answers


def sdk_retries_in_threads(client, questions, model=MODEL):
    retrying = client.with_options(max_retries=3, timeout=30)

    def ask(question):
        response = retrying.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}], timeout=10
        )
        return response.choices[0].message.content

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(ask, questions))


def own_loop_in_threads(client, questions, model=MODEL):
    no_sdk_retry = client.with_options(max_retries=0)

    def ask(question):
        for attempt in range(4):
            try:
                response = no_sdk_retry.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": question}]
                )
                return response.choices[0].message.content
            except Exception as error:
                if attempt == 3 or not is_retryable(error):
                    raise
                time.sleep(0.001 * 2**attempt)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(ask, questions))


@pytest.mark.parametrize(
    "answer", [sdk_retries_sequential, sdk_retries_in_threads, own_loop_in_threads]
)
def test_batch_valid_answers_pass(answer):
    feedback = check("07-batch", answer)
    assert feedback.passed, str(feedback)
    assert "요청은 22번" in str(feedback), str(feedback)


# --- 07-batch: wrong answers --------------------------------------------------------------------


def sdk_retries_turned_off(client, questions, model=MODEL):
    no_retry = client.with_options(max_retries=0)
    return [
        no_retry.chat.completions.create(model=model, messages=[{"role": "user", "content": q}])
        .choices[0]
        .message.content
        for q in questions
    ]


def misspelt_option(client, questions, model=MODEL):
    retrying = client.with_options(max_retires=4)
    return [
        retrying.chat.completions.create(model=model, messages=[{"role": "user", "content": q}])
        .choices[0]
        .message.content
        for q in questions
    ]


def unlimited_as_none(client, questions, model=MODEL):
    retrying = client.with_options(max_retries=None)
    return [
        retrying.chat.completions.create(model=model, messages=[{"role": "user", "content": q}])
        .choices[0]
        .message.content
        for q in questions
    ]


def completion_order(client, questions, model=MODEL):
    retrying = client.with_options(max_retries=4)

    def ask(question):
        response = retrying.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}]
        )
        return response.choices[0].message.content

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(ask, q) for q in questions]
        done = [f.result() for f in as_completed(futures)]
    # as_completed yields in finishing order; force a visible reorder so the test is deterministic
    return done[1:] + done[:1]


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (sdk_retries_turned_off, "`client.with_options(max_retries=4)`로 보내거나"),
        (misspelt_option, "unexpected keyword argument 'max_retires'"),
        (unlimited_as_none, "max_retries cannot be None"),
        (completion_order, "답변은 질문과 같은 순서로"),
    ],
)
def test_batch_wrong_answers_name_the_cause(answer, cause):
    feedback = check("07-batch", answer)
    assert not feedback.passed and cause in str(feedback), str(feedback)


# --- the fake behaves like the SDK --------------------------------------------------------------


def test_with_options_copy_retries_like_the_sdk_and_shares_counters():
    import openai

    ask = {"model": "m", "messages": [{"role": "user", "content": "?"}]}
    client = FlakyOpenAIClient(
        {1: sdk_status_error("openai", 429), 2: sdk_status_error("openai", 503)}
    )
    retrying = client.with_options(max_retries=2)
    assert client.max_retries == 0 and retrying.max_retries == 2 and retrying is not client
    retrying.chat.completions.create(**ask)  # 429, 503, then answered
    assert client.attempts == 3 and len(client.answered) == 1 and client.sdk_retries == 2

    client = FlakyOpenAIClient({1: sdk_status_error("openai", 400)})
    with pytest.raises(openai.BadRequestError):  # the SDK never retries a 400
        client.with_options(max_retries=5).chat.completions.create(**ask)
    assert client.attempts == 1

    timeout = openai.APITimeoutError(request=None)
    client = FlakyOpenAIClient({1: timeout, 2: timeout, 3: timeout})
    with pytest.raises(openai.APITimeoutError):  # max_retries=2 -> 3 attempts, then give up
        client.copy(max_retries=2, timeout=0.5).chat.completions.create(**ask)
    assert client.attempts == 3 and not client.answered
