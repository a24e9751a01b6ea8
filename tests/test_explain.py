"""`explain(error)` diagnoses every failure the lessons can meet, from all three SDKs: each replay
fault kind, the lesson's fixture-based 401/404/400, errors raised before a request is sent, a
replay miss; and `failure_map()` is what the installed SDKs themselves say."""

from __future__ import annotations

import os

import anthropic
import httpx2
import openai
import pytest

from helpers.explain import explain, failure_map, sdk_status_error
from helpers.replay.faults import ERROR_FAULTS, KINDS
from helpers.replay.fixture import load_file
from helpers.replay.server import ReplayServer
from helpers.replay.store import FixtureStore, default_dirs
from tests import fault_cases
from tests.fault_cases import EXPECTED, PROVIDERS, provoke
from tests.test_fixtures_wire import replay_through_sdk

fault_server = fault_cases.fault_server  # fixtures shared with test_retry.py
fault_lab = fault_cases.fault_lab
LESSON_FIXTURES = default_dirs()[0] / "07_errors_retries"


def test_every_fault_kind_has_an_expectation():
    assert set(EXPECTED) == set(KINDS), "a new fault kind needs an explain() expectation"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_every_injected_fault_is_explained(fault_lab, kind, provider):
    server, calls = fault_lab
    error = provoke(server, calls, provider, kind)
    diagnosis = explain(error)
    want_kind, want_retry = EXPECTED[kind]
    assert diagnosis.kind == want_kind, (type(error), error)
    assert diagnosis.retry is want_retry
    assert diagnosis.provider == provider, type(error)
    text = str(diagnosis)
    for label in ("무슨 일:", "누구 탓:", "할 일:", "재시도:"):
        assert label in text
    if kind in ERROR_FAULTS:
        assert diagnosis.status == ERROR_FAULTS[kind][0]
        assert diagnosis.injected == kind, "the learner is told the replay server made it up"
        assert "리플레이 서버가 주입한 장애" not in diagnosis.detail
    else:
        assert diagnosis.status is None and diagnosis.injected is None


def test_retry_after_is_read_into_the_advice(fault_lab):
    server, calls = fault_lab
    error = provoke(server, calls, "openai", "rate_limit")  # retry_after=0.01
    assert "0.01초 뒤에" in explain(error).fix
    assert "max_retries" in explain(error).fix, "OpenAI/Anthropic retried by default"
    hf_error = provoke(server, calls, "huggingface", "rate_limit")
    assert "스스로 재시도하지 않으므로" in explain(hf_error).fix


def _lesson_error_fixtures():
    exchanges = FixtureStore([default_dirs()[0]]).exchanges
    return [ex for ex in exchanges if ex.status >= 400 and ex.source.parent == LESSON_FIXTURES]


@pytest.fixture(scope="module")
def packaged_server():
    server = ReplayServer(FixtureStore([default_dirs()[0]]), speed=0, strict=True)
    yield server
    server.close()


def test_lesson_has_the_three_fixture_errors():
    assert sorted(ex.status for ex in _lesson_error_fixtures()) == [400, 401, 404]


@pytest.mark.parametrize(
    "exchange", _lesson_error_fixtures(), ids=lambda ex: f"{ex.status}-{ex.source.stem}"
)
def test_fixture_errors_are_explained(packaged_server, exchange):
    with pytest.raises(Exception) as caught:
        replay_through_sdk(packaged_server, exchange)
    diagnosis = explain(caught.value)
    assert diagnosis.kind == {400: "bad_request", 401: "auth", 404: "not_found"}[exchange.status]
    assert diagnosis.status == exchange.status and diagnosis.retry is False
    assert diagnosis.provider == exchange.provider
    message = load_file(exchange.source).response_body["error"]["message"]
    assert diagnosis.detail == message, "the server's own words are shown"
    if exchange.status == 401:
        env = "ANTHROPIC_API_KEY" if exchange.provider == "anthropic" else "OPENAI_API_KEY"
        assert env in diagnosis.fix


def test_replay_miss_is_not_blamed_on_the_api(make_server):
    client = openai.OpenAI(api_key="t", base_url=make_server().base_url("openai"), max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "녹화 없음"}]
        )
    diagnosis = explain(caught.value)
    assert diagnosis.kind == "replay_miss" and diagnosis.retry is False
    assert "실제 API의 오류가 아닙니다" in diagnosis.what
    assert "\n" in diagnosis.detail and "녹화" in diagnosis.detail, (
        "the server's report, line by line"
    )


def test_errors_before_any_request(monkeypatch, make_server):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(openai.OpenAIError) as caught:
        openai.OpenAI()
    assert explain(caught.value).kind == "missing_key"
    assert "OPENAI_API_KEY" in explain(caught.value).fix

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    keyless = anthropic.Anthropic(base_url=make_server().base_url("anthropic"))
    with pytest.raises(TypeError) as caught:
        keyless.messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "?"}]
        )
    assert explain(caught.value).kind == "missing_key"
    assert explain(caught.value).provider == "anthropic"

    client = anthropic.Anthropic(api_key="t", base_url="http://127.0.0.1:9")
    with pytest.raises(TypeError) as caught:
        client.messages.create(model="m", messages=[{"role": "user", "content": "?"}])
    assert explain(caught.value).kind == "bad_argument"
    assert explain(caught.value).retry is False


def test_hf_provider_mapping_value_error_and_unknown_errors():
    error = ValueError(f"Model {os.sep}x is not supported by provider hf-inference.")
    assert explain(error).kind == "no_provider"
    assert explain(ValueError("You must provide an api_key to work with novita API")).kind == (
        "missing_key"
    )
    unknown = explain(KeyError("choices"))
    assert unknown.kind == "unknown" and "KeyError" in unknown.what and unknown.retry is False


def test_connection_refused_and_network_errors_without_provider():
    client = openai.OpenAI(api_key="t", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(openai.APIConnectionError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "?"}])
    diagnosis = explain(caught.value)
    assert diagnosis.kind == "connection" and diagnosis.retry and diagnosis.provider == "openai"
    request = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")
    raw = explain(httpx2.ConnectError("refused", request=request))
    assert raw.kind == "connection" and raw.provider == "anthropic"


@pytest.mark.parametrize(
    ("status", "kind", "retry"),
    [
        (400, "bad_request", False),
        (401, "auth", False),
        (402, "credits", False),
        (403, "permission", False),
        (404, "not_found", False),
        (408, "request_timeout", True),
        (409, "conflict", True),
        (413, "too_large", False),
        (422, "bad_request", False),
        (429, "rate_limit", True),
        (500, "server", True),
        (502, "unavailable", True),
        (503, "unavailable", True),
        (504, "unavailable", True),
        (529, "overloaded", True),
    ],
)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_status_from_every_sdk(provider, status, kind, retry):
    diagnosis = explain(sdk_status_error(provider, status))
    assert (diagnosis.kind, diagnosis.retry, diagnosis.status) == (kind, retry, status)
    assert diagnosis.title.endswith(f"({status})")


def test_failure_map_is_what_the_sdks_say():
    table = failure_map()
    assert table.loc["과부하 (Anthropic)", "Anthropic 예외"] == "OverloadedError"
    assert table.loc["과부하 (Anthropic)", "OpenAI 예외"] == "InternalServerError"
    assert table.loc["크레딧 소진", "Anthropic 예외"] == "PaymentRequiredError"
    assert table.loc["크레딧 소진", "OpenAI 예외"] == "APIStatusError"
    assert table.loc["잘못된 요청", "Hugging Face 예외"] == "BadRequestError"
    assert set(table["Hugging Face 자동 재시도"]) == {"-"}
    sdk_retried = table.loc[table["OpenAI 자동 재시도"] == "O"].index
    assert list(table.loc[sdk_retried, "helpers.retry 재시도"]) == ["O"] * len(sdk_retried)
    assert table.loc["요청 한도 초과", "Anthropic 자동 재시도"] == "O"
    assert table.loc["인증 실패", "OpenAI 자동 재시도"] == "-"
