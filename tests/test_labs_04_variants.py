"""Labs 04-chat-from-seed, 04-backoff and 04-pick-provider: answers written differently from the
reference that the API accepts and the lesson teaches pass; plausible wrong answers are rejected
with a Korean message naming the real cause. No network, nothing really sleeps."""

from __future__ import annotations

import email.utils
import random
import time

import pytest
from huggingface_hub import ChatCompletionInputMessage
from huggingface_hub.errors import HfHubHTTPError

from helpers import catalog
from helpers.labs import check
from helpers.retry import is_retryable, retry_after

HF_MODEL = catalog.default_model("huggingface")


# --- 04-chat-from-seed: valid answers ------------------------------------------------------------


def positional_messages_dict_access(
    client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7
):
    # `chat_completion(self, messages, *, model=None, ...)`: messages may be positional, and the
    # output types subclass `dict`, so item access reads the same field.
    response = client.chat_completion(
        [dict(role="user", content=prompt)],
        temperature=temperature,
        max_tokens=max_new_tokens,
        model=model,
    )
    return response["choices"][0]["message"]["content"]


def typed_message_and_params_dict(
    client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7
):
    # `messages: list[dict | ChatCompletionInputMessage]` — the SDK's own message type.
    params = {
        "model": model,
        "messages": [ChatCompletionInputMessage(role="user", content=prompt)],
        "max_tokens": max_new_tokens,
        "temperature": temperature,
        "stream": False,
    }
    return client.chat_completion(**params).choices[0].message.content


def alias_with_system_first(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    messages = [
        {"role": "system", "content": "한국어로 답합니다."},
        {"role": "user", "content": prompt},
    ]
    completion = client.chat.completions.create(
        messages=messages, model=model, max_tokens=max_new_tokens, temperature=temperature
    )
    (choice,) = completion.choices
    return choice.message.content


@pytest.mark.parametrize(
    "answer",
    [positional_messages_dict_access, typed_message_and_params_dict, alias_with_system_first],
)
def test_chat_from_seed_valid_answers_pass(answer):
    fb = check("04-chat-from-seed", answer)
    assert fb.passed, str(fb)


# --- 04-chat-from-seed: wrong answers ------------------------------------------------------------


def prompt_keyword_kept(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        prompt=prompt, model=model, max_tokens=max_new_tokens, temperature=temperature
    )
    return response.choices[0].message.content


def completion_style_text(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_new_tokens,
        temperature=temperature,
    )
    return response.choices[0].text


def generated_text_key(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_new_tokens,
        temperature=temperature,
    )
    return response["generated_text"]


def forgot_temperature(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_new_tokens
    )
    return response.choices[0].message.content


def single_message_not_a_list(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        messages={"role": "user", "content": prompt},
        model=model,
        max_tokens=max_new_tokens,
        temperature=temperature,
    )
    return response.choices[0].message.content


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (prompt_keyword_kept, "`chat_completion`에는 `prompt` 인자가 없습니다"),
        (completion_style_text, "`choices[0].text`는 채팅 응답에 없습니다"),
        (generated_text_key, "`generated_text`는 `text_generation`"),
        (forgot_temperature, "`temperature`를 넘기지 않았습니다"),
        (single_message_not_a_list, "리스트로 넘기세요"),
    ],
)
def test_chat_from_seed_wrong_answers_name_the_cause(answer, cause):
    fb = check("04-chat-from-seed", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert cause in str(fb), str(fb)


# --- 04-backoff: valid answers (one retry-after parser, as lessons 04 and 07 teach) --------------


def helpers_retry_library(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    """Lesson 07's helpers: `is_retryable` and `retry_after` (ms, seconds, HTTP-date)."""
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts:
                raise
            asked = retry_after(error)
            sleep(
                asked if asked is not None else random.uniform(0, base_delay * 2 ** (attempt - 1))
            )


def full_parser_with_extra_jitter(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    """retry-after-ms, then float seconds, then HTTP-date; a little jitter on top, never less."""
    for attempt in range(max_attempts):
        try:
            return call()
        except HfHubHTTPError as error:
            status = error.response.status_code
            if not (status == 429 or 500 <= status < 600) or attempt + 1 == max_attempts:
                raise
            headers = error.response.headers
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
                delay = random.random() * base_delay * 2**attempt
            else:
                delay += random.random() * 0.1
            sleep(delay)


def date_first_then_int(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    """HTTP-date tried first, then int(); a while loop and `getattr` instead of `except HfHub…`."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except Exception as error:
            response = getattr(error, "response", None)
            status = getattr(response, "status_code", None)
            if status not in (429, 500, 502, 503, 504) or attempt >= max_attempts:
                raise
            value = response.headers.get("Retry-After")
            delay = None
            if value:
                try:
                    when = email.utils.parsedate_to_datetime(value)
                    delay = max(0.0, when.timestamp() - time.time())
                except (TypeError, ValueError):
                    try:
                        delay = int(value)
                    except ValueError:
                        delay = None
            if delay is None:
                delay = base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)  # equal jitter
            sleep(delay)


@pytest.mark.parametrize(
    "answer", [helpers_retry_library, full_parser_with_extra_jitter, date_first_then_int]
)
def test_backoff_valid_answers_pass(answer):
    fb = check("04-backoff", answer)
    assert fb.passed, str(fb)


# --- 04-backoff: wrong answers -------------------------------------------------------------------


def header_by_index(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in (429, 500, 502, 503, 504):
                raise
            if attempt == max_attempts:
                raise
            sleep(float(error.response.headers["retry-after"]))  # KeyError on a 503 without it


def int_of_missing_header(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in (429, 500, 502, 503, 504):
                raise
            if attempt == max_attempts:
                raise
            asked = error.response.headers.get("retry-after")
            sleep(max(int(asked), random.uniform(0, base_delay)))  # int(None) on a 503


def jitters_the_server_delay(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in (429, 500, 502, 503, 504):
                raise
            if attempt == max_attempts:
                raise
            asked = error.response.headers.get("retry-after")
            bound = float(asked) if asked else base_delay * 2 ** (attempt - 1)
            sleep(random.uniform(0, bound))


def constant_jitter_no_growth(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in (429, 500, 502, 503, 504):
                raise
            if attempt == max_attempts:
                raise
            asked = error.response.headers.get("retry-after", "")
            sleep(float(asked) if asked.isdigit() else random.uniform(0, base_delay))


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (header_by_index, "`KeyError"),
        (int_of_missing_header, "`TypeError"),
        (jitters_the_server_delay, "`Retry-After: 3`을 보냈는데"),
        (constant_jitter_no_growth, "대기 상한이 늘지 않습니다"),
    ],
)
def test_backoff_wrong_answers_name_the_cause(answer, cause):
    started = time.perf_counter()
    fb = check("04-backoff", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert cause in str(fb), str(fb)
    assert time.perf_counter() - started < 5


def test_backoff_header_crash_is_not_blamed_on_5xx():
    fb = check("04-backoff", header_by_index)
    assert "5xx(500·502·503·504)도 서버 쪽 일시 장애이므로" not in str(fb), str(fb)
    assert "headers.get('retry-after')`로 읽고" in str(fb), str(fb)


# --- 04-pick-provider: valid answers -------------------------------------------------------------


def next_with_default(mappings, task="conversational"):
    return next((m.provider for m in mappings if (m.status, m.task) == ("live", task)), None)


def first_of_filtered_list(mappings, task="conversational"):
    names = [m.provider for m in mappings if m.task == task and m.status in ("live",)]
    return names[0] if names else None


def index_loop_getattr(mappings, task="conversational"):
    for i in range(len(mappings)):
        m = mappings[i]
        if getattr(m, "task") != task:  # noqa: B009 - a learner's spelling
            continue
        if getattr(m, "status") == "live":  # noqa: B009
            return getattr(m, "provider")  # noqa: B009
    return None


@pytest.mark.parametrize("answer", [next_with_default, first_of_filtered_list, index_loop_getattr])
def test_pick_provider_valid_answers_pass(answer):
    fb = check("04-pick-provider", answer)
    assert fb.passed, str(fb)


# --- 04-pick-provider: wrong answers -------------------------------------------------------------


def every_match_as_list(mappings, task="conversational"):
    return [m.provider for m in mappings if m.status == "live" and m.task == task] or None


def last_match_wins(mappings, task="conversational"):
    found = None
    for m in mappings:
        if m.status == "live" and m.task == task:
            found = m.provider  # no return/break: a later match overwrites the first
    return found


def skips_only_errors(mappings, task="conversational"):
    return next((m.provider for m in mappings if m.status != "error" and m.task == task), None)


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (every_match_as_list, "리스트가 아니라 첫 공급자의 이름 하나"),
        (last_match_wins, "마지막으로 맞은 공급자"),
        (skips_only_errors, "'staging'은 시험용"),
    ],
)
def test_pick_provider_wrong_answers_name_the_cause(answer, cause):
    fb = check("04-pick-provider", answer)
    assert not fb.passed and fb.status == "failed", str(fb)
    assert cause in str(fb), str(fb)
