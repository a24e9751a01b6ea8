"""Lesson 04 labs: each checker passes its reference solution and rejects wrong answers with the
specific Korean hint; unsolved answers get guidance. No network: fake clients and real
huggingface_hub error objects only."""

from __future__ import annotations

import random
import time

import pytest
from huggingface_hub.errors import HfHubHTTPError

from helpers import catalog
from helpers.labs import TODO, check
from helpers.labs.lesson04 import FakeInferenceClient, http_error, provider_mapping
from helpers.retry import retry_after

HF_MODEL = catalog.default_model("huggingface")
RETRY = {429, 500, 502, 503, 504}


# --- reference solutions (what the lesson's hint block describes) -------------------------------


def ask_hf(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_new_tokens,
        temperature=temperature,
    )
    return response.choices[0].message.content


def ask_hf_openai_style(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": "당신은 유용한 AI 어시스턴트입니다."},
            {"role": "user", "content": prompt},
        ],
        max_tokens=max_new_tokens,
        temperature=temperature,
    )
    return response.choices[0].message.content


def call_with_backoff(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    """The lesson's `call_with_retry` (cell "429와 재시도"), with the `sleep` the lab asks for."""
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            status = error.response.status_code
            if status not in RETRY or attempt == max_attempts:
                raise
            asked = retry_after(error)  # retry-after-ms, Retry-After seconds or HTTP-date
            if asked is not None and asked > 0:
                delay = asked
            else:
                delay = random.uniform(0, base_delay * 2 ** (attempt - 1))
            sleep(delay)


def call_with_backoff_rfc_seconds(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    """A parser that reads only RFC 9110 delay-seconds (digits) is also a conforming answer."""
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            status = error.response.status_code
            if status not in RETRY or attempt == max_attempts:
                raise
            header = error.response.headers.get("retry-after", "")
            if header.isdigit():
                delay = float(header)
            else:
                delay = random.uniform(0, base_delay * 2 ** (attempt - 1))
            sleep(delay)


def pick_provider(mappings, task="conversational"):
    for m in mappings:
        if m.status == "live" and m.task == task:
            return m.provider
    return None


# --- 04-chat-from-seed ------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [ask_hf, ask_hf_openai_style])
def test_chat_from_seed_reference_passes(answer):
    feedback = check("04-chat-from-seed", answer)
    assert feedback.passed, str(feedback)


def seed_as_is(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    return client.text_generation(
        prompt=prompt, model=model, max_new_tokens=max_new_tokens, temperature=temperature
    )


def keeps_max_new_tokens(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_new_tokens=max_new_tokens,
        temperature=temperature,
    )
    return response.choices[0].message.content


def returns_whole_output(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    return client.chat_completion(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_new_tokens,
        temperature=temperature,
    )


def fixed_temperature(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
    response = client.chat_completion(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_new_tokens,
        temperature=0.7,
    )
    return response.choices[0].message.content


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (seed_as_is, "아직 `client.text_generation(...)`을 부릅니다"),
        (keeps_max_new_tokens, "max_tokens=max_new_tokens"),
        (returns_whole_output, "응답 객체 전체"),
        (fixed_temperature, "temperature=temperature"),
        ("not a function", "함수여야"),
    ],
)
def test_chat_from_seed_wrong_answers_are_explained(answer, hint):
    feedback = check("04-chat-from-seed", answer)
    assert not feedback.passed and hint in str(feedback), str(feedback)


def test_chat_from_seed_unsolved_is_guidance():
    def ask_hf(client, prompt, model=HF_MODEL, max_new_tokens=200, temperature=0.7):
        return TODO

    assert check("04-chat-from-seed", ask_hf).status == "unsolved"


def test_fake_client_is_strict_like_the_real_sdk():
    client = FakeInferenceClient()
    with pytest.raises(TypeError, match="max_new_tokens"):
        client.chat_completion(messages=[], model="m", max_new_tokens=5)
    with pytest.raises(ValueError, match="conversational"):
        client.text_generation("x", model="m")
    output = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "질문"}]
    )
    assert "질문" in output.choices[0].message.content and client.calls[0]["model"] == "m"


# --- 04-backoff -------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [call_with_backoff, call_with_backoff_rfc_seconds])
def test_backoff_reference_passes(answer):
    feedback = check("04-backoff", answer)
    assert feedback.passed, str(feedback)


def retries_everything(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError:
            if attempt == max_attempts:
                raise
            sleep(random.uniform(0, base_delay * 2**attempt))


def ignores_retry_after(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in RETRY or attempt == max_attempts:
                raise
            sleep(random.uniform(0, base_delay * 2 ** (attempt - 1)))


def no_jitter(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in RETRY or attempt == max_attempts:
                raise
            retry_after = error.response.headers.get("retry-after", "")
            sleep(float(retry_after) if retry_after else base_delay * 2 ** (attempt - 1))


def swallows_last_error(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for _ in range(max_attempts):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in RETRY:
                raise
            retry_after = error.response.headers.get("retry-after", "")
            sleep(float(retry_after) if retry_after else random.uniform(0, base_delay))
    return None


def sleeps_for_real(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except HfHubHTTPError as error:
            if error.response.status_code not in RETRY or attempt == max_attempts:
                raise
            retry_after = error.response.headers.get("retry-after", "")
            delay = float(retry_after) if retry_after else random.uniform(0, base_delay)
            time.sleep(delay)


def retries_value_errors(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except (HfHubHTTPError, ValueError) as error:
            response = getattr(error, "response", None)
            if response is not None and response.status_code not in RETRY:
                raise
            if attempt == max_attempts:
                raise
            sleep(random.uniform(0, base_delay))


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (retries_everything, "429와 5xx만"),
        (ignores_retry_after, "retry-after"),
        (no_jitter, "지터"),
        (swallows_last_error, "마지막 오류"),
        (sleeps_for_real, "time.sleep"),
        (retries_value_errors, "HfHubHTTPError`만"),
        (lambda call: call(), "`sleep`이 있어야"),
    ],
)
def test_backoff_wrong_answers_are_explained(answer, hint):
    started = time.perf_counter()
    feedback = check("04-backoff", answer)
    assert not feedback.passed and hint in str(feedback), str(feedback)
    assert time.perf_counter() - started < 5, "the checker never really waits"


def test_backoff_real_sleep_is_the_one_thing_reported():
    feedback = check("04-backoff", sleeps_for_real)
    assert "time.sleep" in str(feedback)
    assert len(feedback.failures) == 1, "no cascade of failures caused by the same mistake"


def test_backoff_unsolved_is_guidance():
    def call_with_backoff(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):
        return TODO

    assert check("04-backoff", call_with_backoff).status == "unsolved"
    assert time.sleep.__name__ == "sleep", "the checker puts time.sleep back"


def test_http_error_is_what_huggingface_hub_raises():
    error = http_error(429, "3", "slow down")
    assert isinstance(error, HfHubHTTPError)
    assert error.response.status_code == 429 and error.response.headers["retry-after"] == "3"


# --- 04-pick-provider -------------------------------------------------------------------------


def test_pick_provider_reference_passes():
    feedback = check("04-pick-provider", pick_provider)
    assert feedback.passed, str(feedback)


def ignores_status(mappings, task="conversational"):
    return next((m.provider for m in mappings if m.task == task), None)


def returns_provider_id(mappings, task="conversational"):
    return next((m.provider_id for m in mappings if m.status == "live" and m.task == task), None)


def ignores_task(mappings, task="conversational"):
    return next((m.provider for m in mappings if m.status == "live"), None)


def returns_mapping(mappings, task="conversational"):
    return next((m for m in mappings if m.status == "live" and m.task == task), None)


def returns_empty_string(mappings, task="conversational"):
    return next((m.provider for m in mappings if m.status == "live" and m.task == task), "")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (ignores_status, "`status`가 'live'"),
        (returns_provider_id, "공급자 쪽 모델 id"),
        (ignores_task, "`m.task == task`"),
        (returns_mapping, "공급자 이름(`m.provider`)"),
        (returns_empty_string, "`None`을 돌려주세요"),
        (42, "함수여야"),
    ],
)
def test_pick_provider_wrong_answers_are_explained(answer, hint):
    feedback = check("04-pick-provider", answer)
    assert not feedback.passed and hint in str(feedback), str(feedback)


def test_provider_mapping_builds_sdk_objects():
    (mapping,) = provider_mapping([("novita", "x/y", "live", "conversational")])
    assert (mapping.provider, mapping.provider_id, mapping.hf_model_id) == (
        "novita",
        "x/y",
        "meta-llama/Llama-3.1-8B-Instruct",
    )


# --- the fake speaks the real SDK's words ----------------------------------------------------------


def _type_error(call):
    with pytest.raises(TypeError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {"messages": [], "model": "m", "max_new_tokens": 5}),  # text_generation's name
        ((), {"prompt": "x", "model": "m"}),  # the seed's keyword
        (([], []), {}),  # a second positional argument
        (([],), {"messages": []}),  # messages twice
        ((), {"model": "m"}),  # no messages at all
    ],
)
def test_fake_type_errors_are_the_real_sdks_text(args, kwargs):
    from huggingface_hub import InferenceClient

    real = InferenceClient(token="hf_not_used")  # binding fails before any request is built
    fake = FakeInferenceClient()
    assert _type_error(lambda: fake.chat_completion(*args, **kwargs)) == _type_error(
        lambda: real.chat_completion(*args, **kwargs)
    )


def test_fake_chat_only_error_is_the_real_sdks_text(monkeypatch):
    from huggingface_hub.hf_api import InferenceProviderMapping
    from huggingface_hub.inference._providers import _common, get_provider_helper

    from helpers.labs.lesson04 import CHAT_ONLY_PROVIDER

    mapping = InferenceProviderMapping(
        provider=CHAT_ONLY_PROVIDER,
        hf_model_id=HF_MODEL,
        providerId=HF_MODEL,
        status="live",
        task="conversational",
    )
    monkeypatch.setattr(_common, "_fetch_inference_provider_mapping", lambda model: [mapping])
    helper = get_provider_helper(CHAT_ONLY_PROVIDER, "text-generation", HF_MODEL)
    with pytest.raises(ValueError) as real:
        helper._prepare_mapping_info(HF_MODEL)
    with pytest.raises(ValueError) as fake:
        FakeInferenceClient().text_generation("x", model=HF_MODEL)
    assert str(fake.value) == str(real.value)
