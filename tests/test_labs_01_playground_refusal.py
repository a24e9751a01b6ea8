"""Lesson 01's playground: a model that refuses a sampling parameter gets a Korean explanation.

The installed openai SDK says in the ``chat.completions.create`` docstring: "Parameter support can
differ depending on the model used to generate the response, particularly for newer reasoning
models." Whether the default (reasoning) model accepts ``temperature`` live could not be checked
here, so the playground must turn a 400 ``BadRequestError`` into advice instead of a raw error.
The refusal is produced by the real SDK against an in-memory transport (no network).
"""

from __future__ import annotations

import json

import httpx2
import openai

from helpers import catalog
from helpers.playground import build_request, format_result, run_request

MODEL = catalog.default_model("openai")
PROMPT = "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."


def _refusing_client(param: str) -> openai.OpenAI:
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if param in body:
            return httpx2.Response(
                400,
                json={
                    "error": {
                        "message": f"Unsupported parameter: '{param}' is not supported with "
                        "this model.",
                        "type": "invalid_request_error",
                        "param": param,
                        "code": "unsupported_parameter",
                    }
                },
            )
        return httpx2.Response(500, json={"error": {"message": "unexpected", "type": "x"}})

    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://refusing.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def test_a_refused_temperature_is_explained_in_korean():
    kwargs = build_request(PROMPT, MODEL, temperature=0.2)
    result = run_request(_refusing_client("temperature"), kwargs)
    assert not result.ok
    assert result.error.startswith("모델이 이 요청을 거절했습니다(BadRequestError)"), result.error
    assert "Unsupported parameter: 'temperature'" in result.error
    assert "새 추론 모델에서 다를 수" in result.error
    assert "1.0(기본값)으로 되돌리거나" in result.error
    assert "❌ 모델이 이 요청을 거절했습니다" in format_result(result)


def test_other_errors_keep_the_generic_message():
    class Broken:
        class chat:  # noqa: N801 - mimics client.chat.completions
            class completions:  # noqa: N801
                @staticmethod
                def create(**kwargs):
                    raise ConnectionError("연결 끊김")

    result = run_request(Broken(), build_request(PROMPT, MODEL, temperature=0.2))
    assert result.error == "API 호출이 실패했습니다: ConnectionError: 연결 끊김"
