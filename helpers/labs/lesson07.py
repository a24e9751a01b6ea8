"""Lab checkers for lesson 07 (errors, retries, timeouts).

Labs:

- ``"07-classify"`` — ``should_retry(error) -> bool`` over real exception objects from the three
  SDKs (built by each SDK's own error mapping) and from httpx2: 429 · 5xx · 529 · 408 · 409 ·
  timeouts · dropped connections are retried; 400 · 401 · 402 · 403 · 404 and code errors are not.
- ``"07-backoff"`` — ``call_with_backoff(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep)``
  driven by scripted failures and a fake ``sleep``: exponential backoff under a cap, Retry-After
  honoured (whole seconds are required, as RFC 9110 defines them; fractional seconds and
  ``retry-after-ms`` may be read or fall back to the backoff), no retry of a 400, the last
  exception re-raised after ``max_attempts``. The parser lessons 04 and 07 teach,
  ``helpers.retry.retry_after(error)``, passes; so does ``RetryPolicy(...).call(fn)``.
- ``"07-batch"`` — ``run_batch(client, questions, model=...) -> list[str]`` against a fake client
  that fails twice (429, then 500): every answer, in order, and no question sent twice after it
  succeeded (no double billing). Its ``with_options(max_retries=N)`` retries like the real SDK,
  so SDK retries (lesson 07 §5) pass as well as a hand-written retry loop.

Nothing here reaches the network or really waits (except what the learner's own code sleeps).
"""

from __future__ import annotations

import inspect
import math
from types import SimpleNamespace
from typing import Any

from .. import catalog
from . import Feedback, LearnerError, register, run_learner

__all__ = ["FlakyOpenAIClient", "classification_cases"]


class _Runaway(BaseException):
    """Raised by the checkers' fakes when learner code will not stop (escapes `except Exception`)."""


def _error(provider: str, status: int, retry_after: float | None = None) -> BaseException:
    from ..explain import sdk_status_error

    headers = None
    if retry_after is not None:
        headers = {
            "retry-after": f"{retry_after:g}",
            "retry-after-ms": str(int(retry_after * 1000)),
        }
    return sdk_status_error(provider, status, headers)


# ------------------------------------------------------------------------------------------------
# 07-classify
# ------------------------------------------------------------------------------------------------

_GROUP_HINTS = {
    "rate": "429(요청 한도 초과)는 잠시 기다렸다 다시 보내면 되는 대표적인 실패입니다.",
    "hf_status": "Hugging Face 예외(`HfHubHTTPError`)에는 `status_code` 속성이 없습니다. "
    "`error.response.status_code`를 읽으세요.",
    "5xx": "500 · 503 · 529 같은 서버 쪽 오류는 재시도 대상입니다: `status >= 500`.",
    "408/409": "408(서버 쪽 시간 초과)과 409(충돌)는 SDK도 재시도하는 4xx입니다.",
    "4xx": "400 · 401 · 403 · 404는 요청이나 키를 고쳐야 하는 실패라 다시 보내도 같은 결과입니다.",
    "402": "402는 크레딧·결제 한도 소진입니다. 기다려도 풀리지 않으니 재시도하지 않습니다.",
    "timeout": "시간 초과에는 상태 코드가 없습니다. `openai.APITimeoutError`, "
    "`httpx2.TimeoutException`, `InferenceTimeoutError`(`TimeoutError`의 하위 클래스)는 "
    "재시도합니다.",
    "connection": "연결 끊김(`openai.APIConnectionError`, `anthropic.APIConnectionError`, "
    "`httpx2.TransportError`)도 재시도합니다.",
    "code": "`ValueError`·`TypeError`는 내 코드의 문제입니다. 몇 번을 다시 해도 같으니 "
    "재시도하지 않습니다.",
}


def classification_cases() -> list[tuple[str, BaseException, bool, str]]:
    """(label, exception, should retry, group) for lab 07-classify and its tests."""
    import anthropic
    import httpx2
    import openai
    from huggingface_hub.errors import InferenceTimeoutError

    labels = {"openai": "OpenAI", "anthropic": "Anthropic", "huggingface": "Hugging Face"}
    cases = []
    for provider, status, want, group in [
        ("openai", 429, True, "rate"),
        ("anthropic", 429, True, "rate"),
        ("huggingface", 429, True, "hf_status"),
        ("openai", 500, True, "5xx"),
        ("anthropic", 503, True, "5xx"),
        ("anthropic", 529, True, "5xx"),
        ("huggingface", 503, True, "hf_status"),
        ("openai", 408, True, "408/409"),
        ("anthropic", 409, True, "408/409"),
        ("openai", 400, False, "4xx"),
        ("anthropic", 401, False, "4xx"),
        ("anthropic", 403, False, "4xx"),
        ("openai", 404, False, "4xx"),
        ("huggingface", 400, False, "4xx"),
        ("openai", 402, False, "402"),
        ("anthropic", 402, False, "402"),
        ("huggingface", 402, False, "402"),
    ]:
        error = _error(provider, status)
        label = f"{labels[provider]} {status} `{type(error).__name__}`"
        cases.append((label, error, want, group))
    url = "https://router.huggingface.co/v1/chat/completions"
    oa_request = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions")
    an_request = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")
    hf_request = httpx2.Request("POST", url)
    cut = "peer closed connection without sending complete message body (incomplete chunked read)"
    cases += [
        (
            "OpenAI 시간 초과 `APITimeoutError`",
            openai.APITimeoutError(request=oa_request),
            True,
            "timeout",
        ),
        (
            "Anthropic 연결 실패 `APIConnectionError`",
            anthropic.APIConnectionError(request=an_request),
            True,
            "connection",
        ),
        (
            "스트림 도중 시간 초과 `httpx2.ReadTimeout`",
            httpx2.ReadTimeout("timed out", request=an_request),
            True,
            "timeout",
        ),
        (
            "끊긴 스트림 `httpx2.RemoteProtocolError`",
            httpx2.RemoteProtocolError(cut, request=hf_request),
            True,
            "connection",
        ),
        (
            "Hugging Face 시간 초과 `InferenceTimeoutError`",
            InferenceTimeoutError(f"Inference call timed out: {url}"),
            True,
            "timeout",
        ),
        (
            "공급자 없음 `ValueError`",
            ValueError("Model x is not supported by provider hf-inference."),
            False,
            "code",
        ),
        (
            "빠뜨린 인자 `TypeError`",
            TypeError(
                "Missing required arguments; Expected ('max_tokens', 'messages' and 'model')"
            ),
            False,
            "code",
        ),
    ]
    return cases


@register("07-classify", "should_retry(error) — 재시도할까, 말까")
def check_classify(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`should_retry`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def should_retry(error):`로 정의하고 True나 False를 돌려주세요.",
        )
        return
    from ..retry import is_retryable

    cases = classification_cases()
    errors_by_label = {label: error for label, error, _, _ in cases}
    wrong: dict[str, list[str]] = {}
    crashed: list[tuple[str, LearnerError]] = []
    for label, error, want, group in cases:
        try:
            got = run_learner(answer, error, what=f"should_retry({label})")
        except LearnerError as exc:
            crashed.append((label, exc))
            continue
        if not isinstance(got, bool):
            fb.fail(
                f"{label}에 대해 {got!r}를 돌려주었습니다. True나 False여야 합니다.",
                hint="조건식 결과(`status in (...)`, `isinstance(...)`)를 그대로 돌려주면 bool입니다.",
            )
            return
        if got != want:
            wrong.setdefault(group, []).append(f"{label} → {got} (기대: {want})")
    if crashed:
        # Two different causes behind an AttributeError: a Hugging Face status error keeps its
        # status on `error.response` (no `status_code` attribute), while a timeout or a dropped
        # connection has no response at all. Name each one with an example.
        by_cause: dict[str, tuple[str, LearnerError]] = {}
        for label, exc in crashed:
            original = exc.original
            if not isinstance(original, AttributeError):
                cause = "other"
            elif getattr(
                getattr(errors_by_label.get(label), "response", None), "status_code", None
            ):
                cause = "hf_status"
            else:
                cause = "no_response"
            by_cause.setdefault(cause, (label, exc))
        hints = {
            "hf_status": _GROUP_HINTS["hf_status"],
            "no_response": "시간 초과나 연결 끊김처럼 응답을 받지 못한 예외에는 `response`도 "
            "`status_code`도 없습니다. `getattr(error, 'response', None)`처럼 없을 때를 "
            "대비하세요.",
            "other": "오류 메시지를 읽고 해당 예외에서 어떤 속성을 읽으려 했는지 확인하세요.",
        }
        for cause, (label, exc) in by_cause.items():
            original = exc.original
            fb.fail(
                f"{len(crashed)}개 예외에서 함수가 멈췄습니다. 예: {label}에서 "
                f"`{type(original).__name__}: {original}`"
                if cause == next(iter(by_cause))
                else f"또 {label}에서 `{type(original).__name__}: {original}`",
                hint=hints[cause],
            )
    for group, lines in wrong.items():
        fb.fail(f"잘못 분류한 예외: {'; '.join(lines)}", hint=_GROUP_HINTS[group])
    if not wrong and not crashed:
        fb.ok(f"세 SDK와 httpx2의 예외 {len(cases)}개를 모두 맞게 분류했습니다.")
        if answer is is_retryable:
            fb.info("`helpers.retry.is_retryable`을 그대로 썼군요. 그 함수의 규칙과 같습니다.")


# ------------------------------------------------------------------------------------------------
# 07-backoff
# ------------------------------------------------------------------------------------------------


class _Script:
    """A callable that plays scripted outcomes: exceptions are raised, other values returned."""

    def __init__(self, outcomes: list[Any], limit: int = 40) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.limit = limit
        self.raised: list[BaseException] = []

    def __call__(self) -> Any:
        self.calls += 1
        if self.calls > self.limit:
            raise _Runaway
        outcome = self.outcomes[min(self.calls, len(self.outcomes)) - 1]
        if isinstance(outcome, BaseException):
            error = _fresh(outcome)
            self.raised.append(error)
            raise error
        return outcome


def _fresh(error: BaseException) -> BaseException:
    """A new exception object like `error`, so notes or tracebacks never leak between calls."""
    from ..retry import headers_of, status_of

    status = status_of(error)
    if status is None:
        return error
    headers = dict(headers_of(error))
    provider = type(error).__module__.split(".")[0]
    provider = provider if provider in ("openai", "anthropic") else "huggingface"
    from ..explain import sdk_status_error

    return sdk_status_error(provider, status, headers)


class _Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


_BACKOFF_PARAMS = ["fn", "max_attempts", "base", "cap", "sleep"]


def _run_backoff(
    answer: Any, script: _Script, what: str, **kwargs: Any
) -> tuple[str, Any, _Sleeps]:
    """('returned', value) or ('raised', exception) or ('runaway', None), plus the sleeps."""
    sleeps = _Sleeps()
    try:
        value = run_learner(answer, script, sleep=sleeps, what=what, **kwargs)
    except LearnerError as exc:
        return "raised", exc.original, sleeps
    except _Runaway:
        return "runaway", None, sleeps
    return "returned", value, sleeps


def _retry_after_run(answer: Any, seconds: float, params: dict[str, Any]) -> tuple[Any, ...]:
    """One 429 carrying `retry-after`/`retry-after-ms` for `seconds`, then success."""
    script = _Script([_error("openai", 429, retry_after=seconds), "답"])
    outcome, value, sleeps = _run_backoff(
        answer, script, f"call_with_backoff(retry-after {seconds:g}초)", **params
    )
    return script, outcome, value, sleeps


def _check_retry_after(answer: Any, fb: Feedback, params: dict[str, Any]) -> bool:
    """Scenario 3: whole seconds must be honoured; fractional ones may be, or may fall back.

    RFC 9110 defines delay-seconds as digits only, so `retry-after: 1` (with `retry-after-ms:
    1000`, as OpenAI and Anthropic send) is what every parser must honour. `retry-after: 0.3`
    (with `retry-after-ms: 300`) is honoured by a parser that reads floats or the milliseconds;
    a seconds-only parser may treat it as absent and use its own backoff instead.
    Waiting somewhat longer than asked is allowed (Retry-After is a minimum), up to `cap` more.
    """
    cap, first = params["cap"], min(params["cap"], params["base"])
    whole = _retry_after_run(answer, 1, params)
    frac = _retry_after_run(answer, 0.3, params)
    asked = {1: "`retry-after: 1`(`retry-after-ms: 1000`)", 0.3: "`retry-after: 0.3`(`retry-after-ms: 300`)"}  # fmt: skip
    for seconds, (script, outcome, value, sleeps) in ((1, whole), (0.3, frac)):
        if outcome == "raised" and not any(value is e for e in script.raised):
            fb.fail(
                f"서버가 {asked[seconds]}을 보냈을 때 함수 안에서 "
                f"`{type(value).__name__}: {value}`가 났습니다.",
                hint="헤더 값을 숫자로 바꾸다 실패한 것 같습니다. 04 레슨과 7절의 "
                "`helpers.retry.retry_after(error)`는 `retry-after-ms`, 초, HTTP 날짜를 차례로 "
                "읽고 읽을 수 없으면 `None`을 돌려줍니다. 직접 읽는다면 정수만 받을 때 "
                "`value.isdigit()`로 먼저 확인하고, 읽을 수 없는 값은 없는 것으로 보고 자체 "
                "백오프로 기다리세요(`float(value)`는 소수도 읽습니다).",
            )
            return False
        if outcome == "raised":
            fb.fail(
                f"서버가 {asked[seconds]}을 보낸 429를 재시도하지 않고 그대로 냈습니다.",
                hint="`retry-after`가 있는 429도 재시도 대상입니다. 헤더는 기다릴 시간을 알려 줄 "
                "뿐입니다.",
            )
            return False
        if outcome == "runaway" or value != "답" or len(sleeps) != 1:
            fb.fail(
                f"{asked[seconds]}이 붙은 429 한 번 뒤 성공해야 하는데 `fn`을 {script.calls}번 "
                f"부르고 {len(sleeps)}번 기다렸습니다(결과: {value!r}).",
                hint="실패 한 번에 `sleep` 한 번, 성공하면 곧바로 그 값을 돌려주세요.",
            )
            return False
    (waited,), (waited_frac,) = whole[3], frac[3]
    if math.isclose(waited, 1000, rel_tol=0.01) or math.isclose(waited_frac, 300, rel_tol=0.01):
        fb.fail(
            f"서버가 {asked[1]}을 보냈는데 {waited:g}초를 기다렸습니다.",
            hint="`retry-after-ms`는 밀리초입니다. 1000으로 나누어 초로 바꾸세요.",
        )
        return False
    if waited < 1 - 1e-6:
        ignored = waited_frac <= first + 1e-9
        fb.fail(
            f"서버가 {asked[1]}을 보냈는데 {waited:g}초만 기다렸습니다"
            + (
                f"({asked[0.3]}일 때도 {waited_frac:g}초). 헤더를 읽지 않고 자체 백오프로 "
                "기다린 것 같습니다."
                if ignored
                else ". 서버가 요청한 시간보다 짧습니다."
            ),
            hint="`helpers.retry.retry_after(error)`(응답이 아니라 예외 객체를 넘깁니다)가 "
            "숫자를 돌려주면 그 초만큼 기다리세요. 서버가 가장 잘 압니다. 지터는 헤더가 없을 때의 "
            "백오프에만 섞습니다.",
        )
        return False
    if waited > 1 + cap + 1e-9:
        fb.fail(
            f"서버가 {asked[1]}을 보냈는데 {waited:g}초를 기다렸습니다.",
            hint="`retry-after`는 기다릴 최소 시간입니다. 그 값에 백오프를 곱하거나 더하지 말고 "
            "그만큼만 기다리세요.",
        )
        return False
    if 0.3 - 1e-6 <= waited_frac <= 0.3 + cap + 1e-9:
        fb.ok(f"서버가 보낸 {asked[1]}과 {asked[0.3]}만큼 기다렸습니다.")
    elif waited_frac <= first + 1e-9:
        fb.ok(f"서버가 보낸 {asked[1]}만큼 기다렸습니다.")
        fb.info(
            f"{asked[0.3]}에는 자체 백오프({waited_frac:g}초)로 기다렸습니다. RFC 9110의 "
            "delay-seconds는 정수뿐이라 틀린 것은 아닙니다. OpenAI · Anthropic 서버는 더 정밀한 "
            "`retry-after-ms`도 보내니, 그것부터 읽으면(`float(ms) / 1000`) 서버가 말한 시간을 "
            "그대로 따를 수 있습니다."
        )
    else:
        fb.fail(
            f"서버가 {asked[0.3]}을 보냈는데 {waited_frac:g}초를 기다렸습니다. 요청한 시간보다 "
            "짧고, 자체 백오프 상한(첫 재시도는 base)보다는 깁니다.",
            hint="읽은 값이 있으면 그만큼 기다리고, 읽지 못했으면 자체 백오프를 쓰세요. 헤더 값에 "
            "지터를 곱하면 서버가 말한 시간보다 일찍 다시 보냅니다.",
        )
        return False
    return True


@register("07-backoff", "call_with_backoff(fn, ...) — 상한이 있는 지수 백오프")
def check_backoff(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`call_with_backoff`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def call_with_backoff(fn, max_attempts=4, base=0.1, cap=1.0, sleep=time.sleep):`",
        )
        return
    try:
        names = list(inspect.signature(answer).parameters)
    except (TypeError, ValueError):
        names = _BACKOFF_PARAMS
    if names[:5] != _BACKOFF_PARAMS:
        fb.fail(
            f"매개변수가 {names}입니다(기대: {_BACKOFF_PARAMS}).",
            hint="채점기는 `call_with_backoff(fn, max_attempts=..., base=..., cap=..., sleep=가짜)`로 "
            "부릅니다. 특히 `sleep` 인자를 받아 그것으로 기다려야 합니다.",
        )
        return
    rate_limited = _error("openai", 429)
    server_error = _error("anthropic", 500)
    bad_request = _error("openai", 400)
    params = {"max_attempts": 4, "base": 0.1, "cap": 1.0}

    # 1. success at once -------------------------------------------------------------------------
    outcome, value, sleeps = _run_backoff(
        answer, _Script(["답"]), "call_with_backoff(성공하는 fn)", **params
    )
    if outcome != "returned" or value != "답":
        fb.fail(
            f"`fn()`이 바로 성공했는데 그 값을 돌려주지 않았습니다(결과: {value!r}).",
            hint="성공하면 `return fn()`의 값을 그대로 돌려주세요.",
        )
        return
    if sleeps:
        fb.fail("바로 성공했는데도 기다렸습니다.", hint="실패했을 때만 `sleep`을 부르세요.")
        return

    # 2. two 429s, then success ------------------------------------------------------------------
    script = _Script([rate_limited, rate_limited, "답"])
    outcome, value, sleeps = _run_backoff(
        answer, script, "call_with_backoff(429 두 번 뒤 성공)", **params
    )
    if outcome == "raised":
        fb.fail(
            f"429를 받자 재시도하지 않고 `{type(value).__name__}`로 멈췄습니다.",
            hint="`try: return fn()` / `except Exception as error:`에서 재시도할 실패면 기다렸다가 "
            "다시 부르세요(실습 1의 `should_retry`를 쓸 수 있습니다).",
        )
        return
    if outcome == "runaway" or value != "답" or script.calls != 3:
        fb.fail(
            f"429 두 번 뒤 세 번째에 성공해야 하는데 `fn`을 {script.calls}번 불렀고 결과는 {value!r}입니다.",
            hint="성공하면 곧바로 그 값을 돌려주세요.",
        )
        return
    if len(sleeps) != 2:
        fb.fail(
            f"재시도 두 번 사이에 `sleep`을 {len(sleeps)}번 불렀습니다(기대: 2번).",
            hint="기다릴 때는 `time.sleep`이 아니라 인자로 받은 `sleep(초)`을 부르세요. 채점기가 "
            "가짜 `sleep`을 넘겨 기다린 시간을 잽니다.",
        )
        return
    bounds = [min(1.0, 0.1 * 2**i) for i in range(2)]
    if any(not isinstance(s, (int, float)) or s < 0 for s in sleeps):
        fb.fail(f"대기 시간이 올바른 숫자가 아닙니다: {sleeps}")
        return
    if sum(sleeps) == 0:
        fb.fail(
            "실패한 뒤 기다리지 않고(0초) 바로 다시 보냈습니다.",
            hint="바로 다시 보내면 같은 이유로 또 실패합니다. `base × 2ⁿ⁻¹`(상한 `cap`) 안에서 기다리세요.",
        )
        return
    over = [
        (i + 1, s, b) for i, (s, b) in enumerate(zip(sleeps, bounds, strict=True)) if s > b + 1e-9
    ]
    if over:
        n, s, b = over[0]
        fb.fail(
            f"{n}번째 재시도 전에 {s:g}초를 기다렸습니다(상한: min(cap, base × 2^{n - 1}) = {b:g}초).",
            hint="n번째 재시도 전 대기는 `min(cap, base * 2 ** (n - 1))` 이하입니다(첫 재시도는 base).",
        )
        return
    fb.ok("429 두 번을 견디고 세 번째 결과를 돌려주며, 대기 시간이 지수 백오프 상한 안에 있습니다.")

    # 3. Retry-After -----------------------------------------------------------------------------
    if not _check_retry_after(answer, fb, params):
        return

    # 4. never retry a 400 -----------------------------------------------------------------------
    script = _Script([bad_request, "답"])
    outcome, value, sleeps = _run_backoff(answer, script, "call_with_backoff(400)", **params)
    if outcome == "raised" and script.calls == 1 and not sleeps:
        fb.ok("400은 재시도하지 않고 바로 예외를 냅니다.")
    else:
        fb.fail(
            f"400 `BadRequestError`에 `fn`을 {script.calls}번 불렀습니다(결과: {outcome}).",
            hint="400 같은 재시도할 수 없는 실패는 기다리지 말고 바로 `raise` 하세요.",
        )

    # 5. give up after max_attempts, re-raising the last error -----------------------------------
    script = _Script([server_error] * 30)
    outcome, value, sleeps = _run_backoff(answer, script, "call_with_backoff(계속 500)", **params)
    if outcome == "runaway":
        fb.fail(
            "계속 실패하는 `fn`을 멈추지 않고 40번 넘게 불렀습니다.",
            hint="`for attempt in range(1, max_attempts + 1):`처럼 시도 횟수에 상한을 두세요.",
        )
    elif outcome == "returned":
        fb.fail(
            f"네 번 모두 실패했는데 예외 대신 {value!r}를 돌려주었습니다.",
            hint="포기할 때는 마지막 예외를 `raise`로 다시 내야 호출한 쪽이 실패를 압니다.",
        )
    elif script.calls != 4:
        fb.fail(
            f"`max_attempts=4`인데 `fn`을 {script.calls}번 불렀습니다.",
            hint="처음 호출도 한 번으로 셉니다. 네 번 시도하면 재시도는 세 번입니다.",
        )
    elif value is not script.raised[-1]:
        fb.fail(
            f"포기할 때 `{type(value).__name__}`를 냈습니다. 마지막으로 받은 500 예외가 아닙니다.",
            hint="새 예외를 만들지 말고 `except` 블록에서 `raise`만 쓰면 원래 예외가 그대로 나갑니다.",
        )
    else:
        fb.ok("`max_attempts`번 시도한 뒤 마지막 예외를 그대로 다시 냅니다.")

    # 6. growth and cap over many retries -------------------------------------------------------
    runs = []
    for _ in range(15):
        script = _Script([rate_limited] * 7 + ["답"])
        outcome, value, sleeps = _run_backoff(
            answer, script, "call_with_backoff(429 일곱 번)", max_attempts=8, base=0.5, cap=1.0
        )
        if outcome != "returned" or len(sleeps) != 7:
            fb.fail(
                f"`max_attempts=8`로 429 일곱 번 뒤 성공해야 하는데 결과가 {outcome}, 대기 {len(sleeps)}번입니다.",
                hint="시도 횟수는 `max_attempts` 인자를 따르세요.",
            )
            return
        runs.append(list(sleeps))
    flat = [s for run in runs for s in run]
    if max(flat) > 1.0 + 1e-9:
        fb.fail(
            f"`cap=1.0`인데 {max(flat):g}초를 기다린 적이 있습니다.",
            hint="대기는 `min(cap, base * 2 ** (n - 1))`을 넘지 않아야 합니다.",
        )
    elif max(run[0] for run in runs) > 0.5 + 1e-9:
        fb.fail(
            "첫 재시도 전 대기가 `base`(0.5초)를 넘었습니다.", hint="첫 재시도의 상한은 base입니다."
        )
    elif max(s for run in runs for s in run[2:]) <= 0.75:
        fb.fail(
            "재시도를 거듭해도 대기 시간이 늘지 않습니다.",
            hint="지수 백오프: n번째 재시도의 상한은 `base × 2ⁿ⁻¹`로 두 배씩 커지다가 `cap`에서 멈춥니다.",
        )
    else:
        fb.ok("대기 상한이 두 배씩 늘다가 `cap`에서 멈춥니다.")
        if all(run == runs[0] for run in runs):
            fb.info(
                "대기 시간이 매번 똑같습니다(지터 없음). 여러 클라이언트가 같은 순간에 실패하면 같은 "
                "순간에 다시 몰립니다. `random.random() * 상한`(완전 지터)을 써 보세요."
            )


# ------------------------------------------------------------------------------------------------
# 07-batch
# ------------------------------------------------------------------------------------------------


class _FlakyState:
    """What every `with_options` copy of one `FlakyOpenAIClient` shares: attempts and answers."""

    def __init__(self, fail_at: dict[int, BaseException], limit: int) -> None:
        import threading

        from .lesson01 import FakeOpenAIClient

        self.inner = FakeOpenAIClient()
        self.fail_at = dict(fail_at)
        self.attempts = 0
        self.limit = limit
        self.sdk_retries = 0
        self.lock = threading.Lock()


def _sdk_retries(error: BaseException) -> bool:
    """Whether the installed openai SDK's own retry loop retries this failure.

    Status errors go through the SDK's own `_should_retry` (x-should-retry, 408 · 409 · 429 · 5xx,
    a `retry-after` over two minutes); timeouts and dropped connections are always retried.
    """
    import openai

    from ..explain import _client

    if isinstance(error, openai.APIStatusError):
        return bool(_client("openai")._should_retry(error.response))
    return isinstance(error, openai.APIConnectionError)  # APITimeoutError is a subclass


class FlakyOpenAIClient:
    """A network-free ``openai.OpenAI`` stand-in whose `fail_at`-th attempts raise real SDK errors.

    Attempts are counted over every ``chat.completions.create`` call; a failing attempt never
    reaches the answering fake, so ``client.answered`` counts only calls that would be billed.
    The client itself has ``max_retries=0`` (the lab asks the learner to retry). Like the real
    SDK, ``with_options(...)`` / ``copy(...)`` returns a copy with the given settings that shares
    the connection (here: the attempt counter and the answers): with ``max_retries=N`` each
    ``create`` call retries up to N times whatever the SDK would retry (the SDK's own
    ``_should_retry`` for status errors; timeouts and dropped connections), without sleeping.
    """

    def __init__(
        self,
        fail_at: dict[int, BaseException],
        limit: int = 200,
        *,
        max_retries: int = 0,
        timeout: Any = None,
        _state: _FlakyState | None = None,
    ) -> None:
        self._state = _state if _state is not None else _FlakyState(fail_at, limit)
        self.max_retries = max_retries
        self.timeout = timeout
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    @property
    def answered(self) -> list[dict[str, Any]]:
        return self._state.inner.calls

    @property
    def attempts(self) -> int:
        return self._state.attempts

    @property
    def limit(self) -> int:
        return self._state.limit

    @property
    def fail_at(self) -> dict[int, BaseException]:
        return self._state.fail_at

    @property
    def sdk_retries(self) -> int:
        """How many retries the `with_options(max_retries=...)` copies made on their own."""
        return self._state.sdk_retries

    def with_options(self, **options: Any) -> FlakyOpenAIClient:
        import openai

        known = set(inspect.signature(openai.OpenAI.copy).parameters) - {"self"}
        unknown = sorted(set(options) - known)
        if unknown:  # the real method has keyword-only parameters, so Python says the same
            raise TypeError(f"copy() got an unexpected keyword argument '{unknown[0]}'")
        max_retries = options.get("max_retries", self.max_retries)
        if max_retries is None:  # same messages as the SDK's _validate_max_retries
            raise TypeError(
                "max_retries cannot be None. Use 0 to disable retries or a large integer for a "
                "larger retry budget."
            )
        if not isinstance(max_retries, int) or isinstance(max_retries, bool):
            raise TypeError("max_retries must be a non-negative integer")
        if max_retries < 0:
            raise ValueError("max_retries must be a non-negative integer")
        return FlakyOpenAIClient(
            {},
            max_retries=max_retries,
            timeout=options.get("timeout", self.timeout),
            _state=self._state,
        )

    copy = with_options

    def _create(self, *args: Any, **kwargs: Any) -> Any:
        import openai

        for retries_taken in range(self.max_retries + 1):
            try:
                return self._attempt(*args, **kwargs)
            except (openai.APIStatusError, openai.APIConnectionError) as error:
                if retries_taken == self.max_retries or not _sdk_retries(error):
                    raise
                with self._state.lock:
                    self._state.sdk_retries += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, *args: Any, **kwargs: Any) -> Any:
        state = self._state
        with state.lock:
            state.attempts += 1
            attempt = state.attempts
        if attempt > state.limit:
            raise _Runaway
        failure = state.fail_at.get(attempt)
        if failure is not None:
            raise _fresh(failure)
        with state.lock:
            return state.inner._create(*args, **kwargs)


def _batch_questions() -> list[str]:
    words = ["사과", "바다", "하늘", "구름", "나무", "학교", "도서관", "기차", "시계", "우산",
             "연필", "고양이", "강아지", "바람", "별", "달", "꽃", "책상", "의자", "창문"]  # fmt: skip
    return [f"{i:02d}번: '{word}'를 영어 한 단어로" for i, word in enumerate(words, start=1)]


def _user_text(kwargs: dict[str, Any]) -> str:
    for message in kwargs.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


@register("07-batch", "run_batch(client, questions) — 두 번의 실패를 견디는 배치")
def check_batch(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`run_batch`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def run_batch(client, questions, model=OPENAI_MODEL):`로 정의하세요.",
        )
        return
    questions = _batch_questions()
    client = FlakyOpenAIClient(
        {3: _error("openai", 429, retry_after=0.01), 12: _error("openai", 500)}
    )
    try:
        result = run_learner(answer, client, list(questions), what="run_batch(client, questions)")
    except _Runaway:
        fb.fail(
            f"요청을 {client.limit}번 넘게 보내고도 끝나지 않았습니다.",
            hint="재시도에는 횟수 상한을 두고, 성공한 질문은 다시 보내지 마세요.",
        )
        return
    except LearnerError as exc:
        if exc.original.__class__.__name__ in ("RateLimitError", "InternalServerError"):
            fb.fail(
                f"{client.attempts}번째 요청의 `{type(exc.original).__name__}` 한 번에 배치 전체가 "
                "멈췄습니다.",
                hint="질문 하나를 보내는 호출을 재시도로 감싸세요. 예: SDK 재시도를 켠 "
                "`client.with_options(max_retries=4)`로 보내거나, `RetryPolicy(max_attempts=4, "
                "base_delay=0.05).call(client.chat.completions.create, model=model, messages=...)`",
            )
            return
        raise
    if isinstance(result, (str, bytes)) or not hasattr(result, "__len__"):
        fb.fail(
            f"답변 목록(list)을 돌려주어야 합니다(받은 값: {type(result).__name__}).",
            hint="질문마다 답변 텍스트를 `answers.append(...)`로 모아 `return answers` 하세요.",
        )
        return
    result = list(result)
    if len(result) != len(questions):
        fb.fail(
            f"질문은 {len(questions)}개인데 답변은 {len(result)}개입니다.",
            hint="실패한 질문도 재시도해서 답을 받아야 합니다. 건너뛰지 마세요.",
        )
        return
    if any(not isinstance(item, str) for item in result):
        sample = next(item for item in result if not isinstance(item, str))
        if sample is None or sample == "":
            hint = (
                "실패를 삼키고(`except: pass`) 넘어간 것 같습니다. 재시도해서 답을 받아야 합니다."
            )
        else:
            hint = "응답 객체가 아니라 `response.choices[0].message.content`(문자열)를 모으세요."
        fb.fail(f"답변이 문자열이 아닌 항목이 있습니다: {type(sample).__name__}", hint=hint)
        return
    per_question: dict[str, int] = {}
    for kwargs in client.answered:
        text = _user_text(kwargs)
        per_question[text] = per_question.get(text, 0) + 1
    doubled = [q for q, n in per_question.items() if n > 1]
    if doubled:
        fb.fail(
            f"이미 답을 받은 질문을 다시 보냈습니다({len(doubled)}개, 예: {doubled[0]!r}). "
            "실제 API라면 요금이 두 번 나갑니다.",
            hint="배치 전체를 처음부터 다시 돌리지 말고, 실패한 질문 하나만 재시도하세요.",
        )
        return
    missing = [q for q in questions if q not in per_question]
    if missing:
        fb.fail(
            f"보내지 않은 질문이 있습니다(예: {missing[0]!r}).",
            hint="질문 목록의 문장을 그대로 user 메시지의 content로 보내세요.",
        )
        return
    misplaced = [
        i for i, (q, a) in enumerate(zip(questions, result, strict=True)) if q[:30] not in a
    ]
    if misplaced:
        fb.fail(
            f"{misplaced[0] + 1}번째 답변이 {misplaced[0] + 1}번째 질문의 답이 아닙니다.",
            hint="답변은 질문과 같은 순서로 돌려주세요(스레드를 쓴다면 `pool.map`이 순서를 지킵니다).",
        )
        return
    models = {kwargs.get("model") for kwargs in client.answered}
    default = catalog.default_model("openai")
    if models != {default}:
        fb.info(
            f"보낸 모델: {sorted(map(str, models))}. 기본값 `model` 인자를 그대로 넘기면 됩니다."
        )
    fb.ok(
        f"두 번의 실패(429, 500)를 견디고 답변 {len(result)}개를 순서대로 돌려주었습니다. "
        f"요청은 {client.attempts}번(질문 {len(questions)}개 + 재시도 {client.attempts - len(questions)}번)."
    )
