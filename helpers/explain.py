"""`explain(error)`: any exception from the three SDKs or the replay server, in short Korean.

Every lesson's "bad input" cells catch an exception and print `explain(error)`: what happened,
whose fault it is (my code, my key or account, my usage, the provider's server, the network, or a
missing replay recording) and what to do, including whether sending the same request again can
help (the same rule as `helpers.retry.is_retryable`).

`failure_map()` builds lesson 07's table of which exception each installed SDK raises for each
HTTP status and whether the SDK retries it by itself, by asking the SDKs' own functions.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Any

from .providers import PROVIDERS
from .retry import headers_of, is_retryable, retry_after, status_of

__all__ = ["Explanation", "explain", "failure_map", "FAILURE_CASES"]

_INJECTED_SUFFIX = " (리플레이 서버가 주입한 장애)"
_LABELS = {name: p.label for name, p in PROVIDERS.items()}


@dataclass(frozen=True)
class Explanation:
    """A Korean diagnosis of one exception. `print()` it; its fields are there for code."""

    kind: str
    title: str
    what: str
    whose: str
    fix: str
    retry: bool
    provider: str | None
    error_type: str
    status: int | None
    detail: str = ""
    injected: str | None = None

    def __str__(self) -> str:
        head = " · ".join(
            part
            for part in (
                _LABELS.get(self.provider or "", ""),
                self.error_type,
                str(self.status) if self.status else "",
            )
            if part
        )
        lines = [
            f"[{head}] {self.title}",
            f"  무슨 일: {self.what}",
            f"  누구 탓: {self.whose}",
            f"  할 일: {self.fix}",
            "  재시도: "
            + ("다시 보내면 나아질 수 있습니다." if self.retry else "다시 보내도 같은 결과입니다."),
        ]
        if self.detail:
            lines.append(f"  서버 메시지: {self.detail}")
        if self.injected:
            lines.append(f"  (리플레이 서버가 일부러 만든 장애입니다: {self.injected})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


# How to go on without a network: every lesson's parameters cell has MODE.
_OFFLINE = (
    ' 네트워크 없이 계속하려면 노트북 맨 위 매개변수 셀에서 MODE = "replay"로 바꾸고 '
    "helpers.setup() 셀부터 다시 실행하세요(리플레이 모드는 인터넷이 필요 없습니다)."
)
_CONNECT_FAILED = (
    "서버에 연결하지 못해 요청이 전달되지 않았습니다. 인터넷이 끊겼거나, 서버 주소를 찾지 "
    "못했거나(DNS), 프록시·방화벽이 막았거나, 연결을 거부당했습니다. 요금은 들지 않습니다."
)
# Exceptions (anywhere in the cause chain) that mean no connection was made at all.
_CONNECT_ERRORS = ("ConnectError", "ConnectionRefusedError", "gaierror")

# kind -> (title, what happened, whose fault, what to do); {env}, {wait}, {sdk} are filled in.
_TEXT: dict[str, tuple[str, str, str, str]] = {
    "missing_key": (
        "API 키 없음",
        "클라이언트가 쓸 API 키를 찾지 못해 요청을 보내지도 못했습니다.",
        "내 설정(키)",
        "{env}를 환경 변수나 .env, Colab 보안 비밀에 넣으세요. 키가 없다면 "
        "helpers.setup()이 리플레이 모드로 실행해 줍니다.",
    ),
    "auth": (
        "인증 실패",
        "서버가 API 키를 받아들이지 않았습니다. 틀렸거나, 폐기했거나, 다른 서비스의 키입니다.",
        "내 키",
        "키를 새로 복사해 {env}에 넣으세요. 앞뒤 공백이나 따옴표가 섞이지 않았는지 확인하세요.",
    ),
    "credits": (
        "크레딧·결제 한도 소진",
        "계정의 크레딧(쓸 수 있는 금액)이나 결제 한도를 다 써서 서버가 거절했습니다.",
        "내 계정(결제)",
        "공급자 콘솔에서 남은 크레딧과 결제 설정을 확인하세요. 충전하거나 다음 주기까지 "
        "기다려야 풀립니다.",
    ),
    "permission": (
        "권한 없음",
        "키는 맞지만 이 모델이나 기능을 쓸 권한이 없습니다(프로젝트·조직 설정, 지역 제한, "
        "모델 접근 승인 등).",
        "내 계정 권한",
        "콘솔에서 키가 속한 프로젝트·조직의 권한과 모델 접근 권한을 확인하세요.",
    ),
    "not_found": (
        "없는 모델 또는 주소",
        "요청한 모델(또는 주소)을 서버가 찾지 못했습니다. 이름이 틀렸거나, 폐기됐거나, "
        "이 계정에서 쓸 수 없는 모델입니다.",
        "내 코드(모델 이름)",
        "모델 이름의 철자를 확인하고 client.models.list()로 쓸 수 있는 모델을 찾아보세요. "
        "기본 모델은 helpers.catalog.default_model()에 있습니다.",
    ),
    "replay_miss": (
        "리플레이 픽스처 없음",
        "리플레이 서버에 이 요청과 똑같은 저장된 응답이 없습니다. 실제 API의 오류가 아닙니다.",
        "리플레이 픽스처(요청이 노트북의 원래 코드와 다름)",
        '요청을 노트북의 원래 코드대로 되돌리거나, 키를 넣고 helpers.setup(mode="live")로 '
        "실제 API를 호출하세요. 서버 메시지에 가장 비슷한 픽스처와의 차이가 있습니다.",
    ),
    "bad_request": (
        "잘못된 요청",
        "요청 내용(매개변수 값, 메시지 형식 등)이 API 규칙에 맞지 않습니다.",
        "내 코드(요청 내용)",
        "서버 메시지가 가리키는 매개변수를 고치세요.",
    ),
    "too_large": (
        "요청이 너무 큼",
        "요청 본문이 서버가 받는 크기를 넘었습니다.",
        "내 코드(입력 크기)",
        "입력을 줄이거나 여러 요청으로 나누세요.",
    ),
    "request_timeout": (
        "서버 쪽 시간 초과",
        "서버가 요청을 다 받기 전에 기다리다 연결을 끊었습니다.",
        "네트워크 또는 서버",
        "잠시 뒤 다시 보내세요.",
    ),
    "conflict": (
        "충돌",
        "같은 자원을 바꾸려는 요청이 동시에 겹쳤습니다.",
        "일시적인 상태(서버)",
        "잠시 뒤 다시 보내세요.",
    ),
    "rate_limit": (
        "요청 한도 초과",
        "짧은 시간에 요청(또는 토큰)을 너무 많이 보내 서버가 잠시 거절했습니다.",
        "내 사용량(속도) — 코드 오류가 아닙니다",
        "기다렸다가 다시 보내세요{wait}. 자주 나면 요청 속도를 줄이고(토큰 버킷·세마포어), "
        "한도는 콘솔에서 확인하세요.{sdk}",
    ),
    "server": (
        "서버 오류",
        "공급자 서버 안에서 문제가 생겼습니다. 내 요청 탓이 아닙니다.",
        "공급자 서버",
        "잠시 뒤 다시 보내세요{wait}. 계속되면 공급자의 상태 페이지를 확인하세요.{sdk}",
    ),
    "unavailable": (
        "서비스 일시 중단",
        "서버가 잠시 요청을 받을 수 없는 상태입니다(점검, 과부하, 게이트웨이 문제).",
        "공급자 서버",
        "잠시 뒤 다시 보내세요{wait}.{sdk}",
    ),
    "overloaded": (
        "서버 과부하",
        "공급자 전체가 붐벼서 요청을 처리하지 못했습니다. 내 한도(429)와 달리 모든 사용자에게 "
        "함께 일어납니다.",
        "공급자 서버",
        "잠시 뒤 다시 보내세요{wait}. 오래 계속되면 다른 모델이나 공급자로 바꾸는 것도 "
        "방법입니다.{sdk}",
    ),
    "timeout": (
        "시간 초과",
        "정해 둔 시간(timeout) 안에 서버의 응답이 오지 않았습니다. 스트림이라면 다음 조각이 "
        "그 시간 안에 오지 않은 것입니다.",
        "서버·네트워크 지연, 또는 너무 짧은 timeout",
        "timeout을 늘리거나(긴 답은 스트리밍으로) 잠시 뒤 다시 보내세요. 스트림 도중이었다면 "
        "받은 부분을 보관하고 다시 요청할지 정하세요.{sdk}",
    ),
    "connection": (
        "연결 실패",
        "서버와 연결하지 못했거나, 서버가 답하기 전에 연결이 끊겼습니다.",
        "네트워크",
        "인터넷 연결, 프록시·방화벽(HTTPS_PROXY 등), base_url 주소를 확인하고 잠시 뒤 다시 "
        "보내세요.{sdk}",
    ),
    "stream_cut": (
        "스트림 끊김",
        "스트리밍으로 답을 받던 중에 연결이 끊겼습니다. 받은 부분까지만 남습니다.",
        "네트워크(또는 서버)",
        "받은 텍스트를 보관하고 다시 요청할지 정하세요. 다시 보내면 답이 처음부터 새로 "
        "생성되고 요금도 다시 듭니다.",
    ),
    "no_provider": (
        "이 모델을 서비스하는 공급자 없음",
        "Hugging Face에서 이 모델을 이 작업(task)으로 서비스하는 Inference Provider를 찾지 "
        "못했습니다.",
        "내 코드(모델·작업 선택)",
        "chat_completion을 쓰거나, 이 작업을 지원하는 다른 모델을 고르세요(모델 페이지의 "
        "Inference Providers 항목).",
    ),
    "bad_argument": (
        "잘못된 인자",
        "SDK 함수가 받지 않는 인자를 넘겼거나 필요한 인자를 빠뜨려, 요청을 보내기 전에 "
        "실패했습니다.",
        "내 코드",
        "설치된 SDK 함수의 설명(help(...))에서 인자 이름을 확인하세요.",
    ),
    "replay_setup": (
        "리플레이 서버 사용법",
        "리플레이 서버 기능을 쓸 준비가 되지 않았거나 값이 잘못됐습니다.",
        "내 코드(노트북 실행 순서)",
        "helpers.setup()을 먼저 실행했는지, 장애 종류 이름이 맞는지 확인하세요.",
    ),
    "unknown": (
        "예상하지 못한 오류",
        "이 설명서가 모르는 종류의 예외입니다.",
        "알 수 없음",
        "예외 이름과 메시지를 읽고, 셀을 작은 단계로 나누어 어디서 나는지 찾아보세요.",
    ),
}

_STATUS_KINDS = {
    400: "bad_request",
    401: "auth",
    402: "credits",
    403: "permission",
    404: "not_found",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    422: "bad_request",
    429: "rate_limit",
    502: "unavailable",
    503: "unavailable",
    504: "unavailable",
    529: "overloaded",
}


def _provider_of(error: BaseException) -> str | None:
    root = type(error).__module__.split(".")[0]
    if root in ("openai", "anthropic"):
        return root
    if root == "huggingface_hub":
        return "huggingface"
    text = str(error)
    if "Could not resolve authentication method" in text:
        return "anthropic"
    if "OPENAI_API_KEY" in text:
        return "openai"
    url = _url_of(error)
    for name, provider in PROVIDERS.items():
        if any(host in url for host in provider.hosts) or f"/{name}/" in url:
            return name
    if "/hf/" in url:
        return "huggingface"
    return None


def _url_of(error: BaseException) -> str:
    """The URL of the request that failed, or "" when the error carries none."""
    for source in (error, _response(error)):
        try:
            request = getattr(source, "request", None)
        except Exception:  # httpx raises RuntimeError when no request was attached
            request = None
        if request is not None and getattr(request, "url", None) is not None:
            return str(request.url)
    return ""


def _to_replay_server(url: str) -> bool:
    """Whether `url` is this process's replay server (then replay mode is already on)."""
    from .replay import get_server

    server = get_server(create=False)
    return server is not None and bool(url) and url.startswith(server.url + "/")


def _response(error: BaseException) -> Any:
    try:
        return getattr(error, "response", None)
    except Exception:
        return None


def _causes(error: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain


def api_reason(error: BaseException) -> str:
    """The API's own reason for a failed request, or "" when the response gave none.

    anthropic keeps it as ``api_message``, openai as ``body["message"]`` (the "error" object);
    huggingface_hub only has the response (``{"error": {"message": ...}}`` or ``{"error": ...}``).
    """
    message = getattr(error, "api_message", None)  # anthropic
    if not message:
        body = getattr(error, "body", None)  # openai keeps the "error" object as body
        if isinstance(body, dict):
            message = body.get("message")
            if isinstance(message, dict):
                message = message.get("message")
    if not message:
        response = _response(error)
        try:
            data = response.json() if response is not None else None
        except Exception:
            data = None
        if isinstance(data, dict):
            inner = data.get("error", data)
            message = inner.get("message") if isinstance(inner, dict) else inner
    if not isinstance(message, str):
        return ""
    return message.replace(_INJECTED_SUFFIX, "").strip()


def _server_message(error: BaseException) -> str:
    return api_reason(error) or str(error).replace(_INJECTED_SUFFIX, "").strip()


def one_line(text: str, limit: int = 240) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_instance(error: BaseException, module: str, *names: str) -> bool:
    mod = sys.modules.get(module)
    classes = (
        tuple(cls for name in names if isinstance(cls := getattr(mod, name, None), type))
        if mod
        else ()
    )
    return bool(classes) and isinstance(error, classes)


def _kind(error: BaseException) -> str:
    status = status_of(error)
    text = str(error)
    if status is not None and status >= 400:
        if status == 404 and headers_of(error).get("x-llm-lab-miss"):
            return "replay_miss"
        return _STATUS_KINDS.get(status, "server" if status >= 500 else "bad_request")
    names = {type(e).__name__ for e in _causes(error)}
    texts = " ".join(str(e) for e in _causes(error))
    if "OverloadedError" in names and _is_instance(
        error, "huggingface_hub.errors", "OverloadedError"
    ):
        return "overloaded"
    if "complete message body" in texts or "incomplete chunked read" in texts:
        return "stream_cut"
    timeouts = (
        "APITimeoutError",
        "InferenceTimeoutError",
        "ReadTimeout",
        "ConnectTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "TimeoutException",
        "TimeoutError",
    )
    if names & set(timeouts):
        return "timeout"
    if is_retryable(error):
        return "connection"
    if "Could not resolve authentication method" in text or (
        type(error).__name__ == "OpenAIError" and "api_key" in text
    ):
        return "missing_key"
    if isinstance(error, ValueError) and "You must provide an api_key" in text:
        return "missing_key"
    if isinstance(error, ValueError) and (
        "not supported by provider" in text
        or "not supported for task" in text
        or re.search(r"Task '.*' not supported for provider", text)
    ):
        return "no_provider"
    lowered = text.lower()
    if isinstance(error, TypeError) and (
        "unexpected keyword argument" in lowered or ("missing" in lowered and "required" in lowered)
    ):
        return "bad_argument"
    if "리플레이 서버" in text or "장애 종류" in text:
        return "replay_setup"
    return "unknown"


def _sdk_note(provider: str | None) -> str:
    if provider in ("openai", "anthropic"):
        return (
            f" {_LABELS[provider]} SDK는 기본 설정(max_retries=2)에서 이런 실패를 스스로 "
            "재시도한 뒤에야 예외를 냅니다."
        )
    if provider == "huggingface":
        return " huggingface_hub는 스스로 재시도하지 않으므로 재시도는 직접 해야 합니다."
    return ""


def explain(error: BaseException) -> Explanation:
    """A short Korean diagnosis of `error`: what happened, whose fault, what to do."""
    kind = _kind(error)
    provider = _provider_of(error)
    title, what, whose, fix = _TEXT[kind]
    status = status_of(error)
    if status is not None and status < 400:
        status = None
    env = PROVIDERS[provider].key_env if provider else "OPENAI_API_KEY·ANTHROPIC_API_KEY·HF_TOKEN"
    wait = retry_after(error)
    retry = is_retryable(error)
    fix = fix.format(
        env=env,
        wait=f"(서버가 {wait:g}초 뒤에 다시 오라고 했습니다)" if wait and wait > 0 else "",
        sdk=_sdk_note(provider) if retry else "",
    )
    if kind in ("unknown", "replay_setup"):
        what = f"{what} {type(error).__name__}: {one_line(str(error), 160)}"
    if kind == "connection":
        if {type(e).__name__ for e in _causes(error)} & set(_CONNECT_ERRORS):
            what = _CONNECT_FAILED
        if not _to_replay_server(_url_of(error)):
            fix += _OFFLINE  # for a call to the replay server itself the hint is moot
    detail = ""
    if status is not None or kind in ("bad_request", "not_found"):
        detail = one_line(_server_message(error))
        if kind == "replay_miss":
            # The server's own report (nearest recording, a diff) is the useful part: keep lines.
            lines = _server_message(error).splitlines()[1:14]
            detail = "\n    " + "\n    ".join(line.rstrip() for line in lines)
    elif kind == "no_provider":
        detail = one_line(str(error))
    headers = headers_of(error)
    return Explanation(
        kind=kind,
        title=title + (f"({status})" if status else ""),
        what=what,
        whose=whose,
        fix=fix,
        retry=retry,
        provider=provider,
        error_type=type(error).__name__,
        status=status,
        detail=detail,
        injected=headers.get("x-llm-lab-fault"),
    )


# ------------------------------------------------------------------------------------------------
# The failure map, from the installed SDKs themselves
# ------------------------------------------------------------------------------------------------

FAILURE_CASES: list[tuple[str, int | str]] = [
    ("잘못된 요청", 400),
    ("인증 실패", 401),
    ("크레딧 소진", 402),
    ("권한 없음", 403),
    ("없는 모델", 404),
    ("서버 쪽 시간 초과", 408),
    ("충돌", 409),
    ("처리할 수 없는 요청", 422),
    ("요청 한도 초과", 429),
    ("서버 오류", 500),
    ("서비스 일시 중단", 503),
    ("과부하 (Anthropic)", 529),
    ("시간 초과", "timeout"),
    ("연결 실패", "connection"),
]

_URLS = {
    "openai": "https://api.openai.com/v1/chat/completions",
    "anthropic": "https://api.anthropic.com/v1/messages",
    "huggingface": "https://router.huggingface.co/v1/chat/completions",
}


def _fake_response(
    provider: str, status: int, headers: dict[str, str] | None = None, message: str = ""
) -> Any:
    import httpx2

    request = httpx2.Request("POST", _URLS[provider])
    body = {"error": {"message": message or f"HTTP {status}", "type": "x"}}
    return httpx2.Response(status, json=body, headers=headers, request=request)


def sdk_status_error(
    provider: str, status: int, headers: dict[str, str] | None = None, message: str = ""
) -> BaseException:
    """The exception the installed SDK raises for an HTTP `status` (built by the SDK itself),
    with the given response headers (e.g. `{"retry-after": "0.5"}`)."""
    response = _fake_response(provider, status, headers, message)
    if provider == "huggingface":
        from huggingface_hub.utils import hf_raise_for_status

        try:
            hf_raise_for_status(response)
        except Exception as error:  # noqa: BLE001 - whatever the SDK raises is the answer
            return error
        raise AssertionError(f"huggingface_hub did not raise for {status}")
    return _client(provider)._make_status_error_from_response(response)


def sdk_retries_status(provider: str, status: int) -> bool:
    """Whether the installed SDK retries this status by itself (its own `_should_retry`)."""
    if provider == "huggingface":
        return False  # InferenceClient._inner_post has no retry loop
    return bool(_client(provider)._should_retry(_fake_response(provider, status)))


@functools.cache
def _client(provider: str) -> Any:
    # A client that is never used to send anything: only its error mapping is consulted.
    if provider == "openai":
        import openai

        return openai.OpenAI(api_key="failure-map", base_url="http://127.0.0.1:9/v1")
    import anthropic

    return anthropic.Anthropic(api_key="failure-map", base_url="http://127.0.0.1:9")


def _transport_row(kind: str) -> dict[str, tuple[str, bool]]:
    # Read from the SDK sources: openai/anthropic `_base_client` retry loops retry timeouts and
    # connection errors; InferenceClient turns timeouts into InferenceTimeoutError and lets
    # httpx2's connection errors through, without retrying. Lesson 07 demonstrates each one.
    if kind == "timeout":
        return {
            "openai": ("APITimeoutError", True),
            "anthropic": ("APITimeoutError", True),
            "huggingface": ("InferenceTimeoutError", False),
        }
    return {
        "openai": ("APIConnectionError", True),
        "anthropic": ("APIConnectionError", True),
        "huggingface": ("httpx2.ConnectError 등 (그대로)", False),
    }


def failure_map():
    """A pandas DataFrame: per failure, the exception each SDK raises and whether it retries."""
    import pandas as pd

    rows = []
    for label, case in FAILURE_CASES:
        row: dict[str, Any] = {"상황": label, "상태": case if isinstance(case, int) else "-"}
        if isinstance(case, int):
            cells = {
                provider: (
                    type(sdk_status_error(provider, case)).__name__,
                    sdk_retries_status(provider, case),
                )
                for provider in ("openai", "anthropic", "huggingface")
            }
            ours = is_retryable(sdk_status_error("openai", case))
        else:
            cells = _transport_row(case)
            ours = True
        for provider, (name, retried) in cells.items():
            row[f"{_LABELS[provider]} 예외"] = name
            row[f"{_LABELS[provider]} 자동 재시도"] = "O" if retried else "-"
        row["helpers.retry 재시도"] = "O" if ours else "-"
        rows.append(row)
    return pd.DataFrame(rows).set_index("상황")
