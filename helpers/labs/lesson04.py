"""Lab checkers for lesson 04 (Hugging Face Inference로 오픈소스 모델 호출).

Labs:

- ``"04-chat-from-seed"`` — ``ask_hf(client, prompt, model=<default>, max_new_tokens=200,
  temperature=0.7) -> str``: the seed's ``text_generation`` call rewritten as a chat call
  (``prompt`` as the user message, ``max_new_tokens`` as ``max_tokens``). Checked against
  :class:`FakeInferenceClient` (no network), which accepts exactly the installed
  ``InferenceClient.chat_completion`` arguments and returns real ``ChatCompletionOutput`` objects;
  its ``text_generation`` fails the way the router does for a chat-only model.
- ``"04-backoff"`` — ``call_with_backoff(call, max_attempts=4, base_delay=1.0, sleep=time.sleep)``:
  retries 429 and 5xx (``HfHubHTTPError``), honouring ``Retry-After`` and otherwise waiting an
  exponential backoff with jitter; any other error (401, 402, 404, a ``ValueError``) is raised at
  once; after ``max_attempts`` failures the last error is raised. Checked with real
  ``HfHubHTTPError`` objects and a recording ``sleep`` (nothing waits).
- ``"04-pick-provider"`` — ``pick_provider(mappings, task="conversational") -> str | None``: the
  name of the first provider whose mapping is ``live`` for ``task``, from real
  ``InferenceProviderMapping`` objects.

huggingface_hub and httpx2 are imported only when a check runs.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import time
from collections.abc import Callable
from typing import Any

from .. import catalog
from . import (
    TODO,
    Feedback,
    LearnerError,
    NotSolved,
    check_forwarded,
    check_signature,
    register,
    run_learner,
    signature_defaults,
)

__all__ = ["FakeInferenceClient", "http_error", "provider_mapping"]

# Same f-string as huggingface_hub's `TaskProviderHelper._prepare_mapping_info`; the provider is
# the first one in lesson 04's stored mapping (tools/fixture_specs/04_huggingface_inference.yaml).
CHAT_ONLY_PROVIDER = "deepinfra"
CHAT_ONLY_ERROR = (
    "Model {model} is not supported for task text-generation and provider {provider}. "
    "Supported task: conversational."
)
_UNSET = object()


def _chat_only_error(model: Any, provider: str = CHAT_ONLY_PROVIDER) -> str:
    """The ValueError text of ``TaskProviderHelper._prepare_mapping_info`` (huggingface_hub
    ``inference/_providers/_common.py``) when the provider serves the model for chat only."""
    return CHAT_ONLY_ERROR.format(model=model, provider=provider)


_STUB: Callable | None = None


def _sdk_chat_signature_stub() -> Callable:
    """A do-nothing function with the installed ``InferenceClient.chat_completion`` signature and
    qualified name; calling it binds arguments (and fails) exactly like the real method."""
    global _STUB
    if _STUB is None:
        from huggingface_hub import InferenceClient

        real = InferenceClient.chat_completion
        parts, star = [], False
        for param in inspect.signature(real).parameters.values():
            if param.kind is param.KEYWORD_ONLY and not star:
                parts.append("*")
                star = True
            if param.kind is param.VAR_POSITIONAL:
                parts.append(f"*{param.name}")
                star = True
            elif param.kind is param.VAR_KEYWORD:
                parts.append(f"**{param.name}")
            else:
                default = "" if param.default is param.empty else "=_UNSET"
                parts.append(f"{param.name}{default}")
        source = f"def chat_completion({', '.join(parts)}):\n    return dict(locals())\n"
        namespace: dict[str, Any] = {"_UNSET": _UNSET}
        exec(source, namespace)  # noqa: S102 - built from the SDK's own signature, no user input
        stub = namespace["chat_completion"]
        stub.__qualname__ = real.__qualname__
        _STUB = lambda *a, **k: {  # noqa: E731
            name: value
            for name, value in stub(*a, **k).items()
            if name != "self" and value is not _UNSET
        }
    return _STUB


def _is_placeholder(value: Any) -> bool:
    if value is Ellipsis or value is TODO:
        return True
    if isinstance(value, dict):
        return any(_is_placeholder(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_is_placeholder(v) for v in value)
    return False


# ------------------------------------------------------------------------------------------------
# 04-chat-from-seed
# ------------------------------------------------------------------------------------------------


class FakeInferenceClient:
    """A network-free stand-in for ``huggingface_hub.InferenceClient`` used by the lab checkers.

    ``chat_completion(messages, **kwargs)`` (also reachable as ``chat.completions.create``, the
    OpenAI-compatible alias) takes exactly the installed SDK's keyword arguments, raising the same
    ``TypeError`` for an unknown one, records a deep copy in ``calls`` and returns a real
    ``ChatCompletionOutput`` whose text names the prompt, so a hard-coded answer cannot pass.
    ``text_generation(...)`` is recorded in ``text_generation_calls`` and raises the ``ValueError``
    the SDK raises when the model's providers serve it for chat only.
    """

    def __init__(self) -> None:
        from types import SimpleNamespace

        self.calls: list[dict[str, Any]] = []
        self.returned: list[Any] = []
        self.text_generation_calls: list[dict[str, Any]] = []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.chat_completion))

    def chat_completion(self, *args: Any, **kwargs: Any):
        from huggingface_hub import ChatCompletionOutput

        # Bind exactly as the interpreter binds the real method, so a wrong call raises the very
        # TypeError text the installed SDK raises (tests compare the two).
        kwargs = _sdk_chat_signature_stub()(self, *args, **kwargs)
        placeholders = [k for k, v in kwargs.items() if _is_placeholder(v)]
        if placeholders:
            raise NotSolved(
                f"chat_completion(...)에 아직 채우지 않은 인자가 있습니다: {placeholders}"
            )
        self.calls.append(copy.deepcopy(kwargs))
        n = len(self.calls)
        prompt = ""
        for message in kwargs.get("messages") or []:
            if isinstance(message, dict) and message.get("role") == "user":
                prompt = str(message.get("content", ""))
        output = ChatCompletionOutput.parse_obj_as_instance(
            {
                "id": f"lab04-{n}",
                "object": "chat.completion",
                "created": 1_764_000_000 + n,
                "model": str(kwargs.get("model")),
                "system_fingerprint": "lab04",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "logprobs": None,
                        "message": {
                            "role": "assistant",
                            "content": f"[모의 응답 {n}] '{prompt[:30]}'에 대한 답입니다.",
                        },
                    }
                ],
                "usage": {"prompt_tokens": 12 + n, "completion_tokens": 9 + n, "total_tokens": 21},
            }
        )
        self.returned.append(output)
        return output

    def text_generation(self, prompt: Any = None, **kwargs: Any):
        self.text_generation_calls.append({"prompt": prompt, **copy.deepcopy(kwargs)})
        raise ValueError(_chat_only_error(kwargs.get("model")))


def _check_chat_call(
    fb: Feedback, kwargs: dict, prompt: str, model: str, limit: int, temp: float, label: str
) -> bool:
    ok = True
    messages = kwargs.get("messages")
    if not isinstance(messages, (list, tuple)) or not messages:
        fb.fail(
            f"{label}: `messages`가 메시지 목록이 아닙니다: {messages!r}",
            hint="`messages=[{'role': 'user', 'content': prompt}]`처럼 리스트로 넘기세요.",
        )
        return False
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if isinstance(messages, str) or last.get("role") != "user":
        fb.fail(
            f"{label}: 마지막 메시지가 user 메시지가 아닙니다: {messages[-1]!r}",
            hint="프롬프트는 `{'role': 'user', 'content': prompt}`로 보냅니다.",
        )
        ok = False
    elif last.get("content") != prompt:
        fb.fail(
            f"{label}: user 메시지 내용이 프롬프트와 다릅니다: {last.get('content')!r}",
            hint="`prompt`를 그대로 user 메시지의 `content`에 넣으세요.",
        )
        ok = False
    ok = check_forwarded(fb, kwargs, "model", model, label) and ok
    if "max_tokens" not in kwargs:
        fb.fail(
            f"{label}: 출력 한도(`max_tokens`)를 넘기지 않았습니다.",
            hint="`text_generation`의 `max_new_tokens`는 채팅에서 `max_tokens`입니다: "
            "`max_tokens=max_new_tokens`.",
        )
        ok = False
    elif kwargs["max_tokens"] != limit:
        fb.fail(
            f"{label}: `max_tokens={kwargs['max_tokens']!r}`입니다(기대: {limit}).",
            hint="값을 직접 쓰지 말고 `max_tokens=max_new_tokens`로 넘기세요.",
        )
        ok = False
    if "temperature" not in kwargs:
        fb.fail(
            f"{label}: `temperature`를 넘기지 않았습니다(기대: {temp}).",
            hint="원래 교재의 `temperature=0.7`도 채팅 호출에 그대로 옮깁니다: "
            "`temperature=temperature`.",
        )
        return False
    ok = check_forwarded(fb, kwargs, "temperature", temp, label) and ok
    return ok


def _run_ask(
    fb: Feedback,
    answer: Callable,
    client: FakeInferenceClient,
    *args: Any,
    what: str,
    **kwargs: Any,
) -> tuple[bool, Any]:
    """Run the learner's function; explain the two mistakes this lab is about."""
    try:
        return True, run_learner(answer, client, *args, what=what, **kwargs)
    except LearnerError as exc:
        original = exc.original
        if client.text_generation_calls and isinstance(original, ValueError):
            fb.fail(
                "아직 `client.text_generation(...)`을 부릅니다. 이 모델의 공급자는 채팅으로만 "
                f"서비스해서 오류가 났습니다: {original}",
                hint="`client.chat_completion(model=model, messages=[{'role': 'user', "
                "'content': prompt}], max_tokens=max_new_tokens, temperature=temperature)`로 "
                "바꾸세요.",
            )
            return False, None
        if isinstance(original, TypeError) and "max_new_tokens" in str(original):
            fb.fail(
                "`chat_completion`에 `max_new_tokens`를 넘겼습니다. 채팅에는 그 인자가 없습니다.",
                hint="출력 한도의 이름이 다릅니다: `max_tokens=max_new_tokens`.",
            )
            return False, None
        if isinstance(original, TypeError) and "argument 'prompt'" in str(original):
            fb.fail(
                "`chat_completion`에는 `prompt` 인자가 없습니다(SDK가 TypeError를 냈습니다).",
                hint="채팅은 프롬프트를 메시지 목록으로 받습니다: "
                "`messages=[{'role': 'user', 'content': prompt}]`.",
            )
            return False, None
        returned = client.returned[-1] if client.returned else None
        if (
            returned is not None
            and isinstance(original, AttributeError)
            and "'text'" in str(original)
        ):
            fb.fail(
                f"`choices[0].text`는 채팅 응답에 없습니다: `{original}`",
                hint="`text`는 완성(completion) API의 모양입니다. 채팅의 답은 "
                "`response.choices[0].message.content`에 있습니다.",
            )
            return False, None
        if returned is not None and isinstance(original, KeyError):
            key = original.args[0] if original.args else "?"
            cause = f"응답에 {key!r} 키가 없습니다."
            if key == "generated_text":
                cause = "`generated_text`는 `text_generation`의 결과 모양입니다. " + cause
            fb.fail(
                f"{cause} (`KeyError: {original}`)",
                hint="채팅의 답은 `response.choices[0].message.content`에 있습니다. "
                "huggingface_hub의 출력 객체는 딕셔너리이기도 해서 "
                "`response['choices'][0]['message']['content']`로 읽어도 같습니다.",
            )
            return False, None
        raise


def _check_text(fb: Feedback, out: Any, client: FakeInferenceClient, label: str) -> None:
    from huggingface_hub import ChatCompletionOutput, ChatCompletionOutputMessage

    expected = client.returned[-1].choices[0].message.content
    if isinstance(out, ChatCompletionOutput):
        fb.fail(
            f"{label}: 응답 객체 전체를 반환했습니다.",
            hint="답 글자만 돌려주세요: `response.choices[0].message.content`.",
        )
    elif isinstance(out, ChatCompletionOutputMessage):
        fb.fail(
            f"{label}: 메시지 객체를 반환했습니다.",
            hint="메시지의 글자만 필요합니다: `response.choices[0].message.content`.",
        )
    elif out != expected:
        fb.fail(
            f"{label}: 반환값이 모델의 답과 다릅니다: {out!r}",
            hint="`response.choices[0].message.content`를 가공하지 말고 그대로 반환하세요.",
        )
    else:
        fb.ok(f"{label}: 답 문자열(`choices[0].message.content`)을 반환합니다.")


@register("04-chat-from-seed", "ask_hf — 원래 교재의 text_generation을 채팅 호출로 바꾸기")
def check_chat_from_seed(answer: Any, fb: Feedback) -> None:
    needed = ["client", "prompt", "model", "max_new_tokens", "temperature"]
    usage = "def ask_hf(client, prompt, model=..., max_new_tokens=200, temperature=0.7)"
    defaults = check_signature(fb, answer, "ask_hf", needed, usage)
    if defaults is None:
        return
    model_default = defaults.get("model")
    if not isinstance(model_default, str):
        fb.fail(
            "`model`에 문자열 기본값이 없습니다.",
            hint="`model=HF_MODEL`처럼 레슨의 기본 모델 id를 기본값으로 두세요.",
        )
        model_default = catalog.default_model("huggingface")
    if defaults.get("max_new_tokens") != 200 or defaults.get("temperature") != 0.7:
        fb.fail(
            "`max_new_tokens`와 `temperature`의 기본값은 원래 교재와 같은 200과 0.7이어야 합니다.",
            hint="`max_new_tokens=200, temperature=0.7`",
        )

    # Call 1: defaults only.
    prompt = "자연어 처리(NLP)란"
    client = FakeInferenceClient()
    ran, out = _run_ask(fb, answer, client, prompt, what="ask_hf(client, prompt)")
    if not ran:
        return
    if client.text_generation_calls:
        fb.fail(
            "`text_generation`도 불렀습니다. 이 실습은 채팅 호출 하나로 충분합니다.",
            hint="`text_generation` 줄을 지우고 `chat_completion`만 남기세요.",
        )
    if not client.calls:
        fb.fail(
            "`client.chat_completion(...)`(또는 `client.chat.completions.create(...)`)을 "
            "호출하지 않았습니다.",
            hint="함수 밖의 전역 client가 아니라 인자로 받은 `client`로 호출하세요.",
        )
        return
    if len(client.calls) > 1:
        fb.fail(
            f"질문 하나에 채팅 API를 {len(client.calls)}번 호출했습니다.",
            hint="`chat_completion`은 한 번만 부르면 됩니다.",
        )
    if _check_chat_call(fb, client.calls[0], prompt, model_default, 200, 0.7, "기본값으로 호출"):
        fb.ok("프롬프트를 user 메시지로, `max_new_tokens`를 `max_tokens`로 옮겨 보냅니다.")
    _check_text(fb, out, client, "기본값으로 호출")

    # Call 2: every argument changed, fresh client.
    prompt2 = "트랜스포머의 핵심 구성요소를 설명해 주세요."
    client2 = FakeInferenceClient()
    ran, out2 = _run_ask(
        fb,
        answer,
        client2,
        prompt2,
        model="Qwen/Qwen2.5-7B-Instruct",
        max_new_tokens=50,
        temperature=0.2,
        what="ask_hf(client, prompt, model=..., max_new_tokens=50, temperature=0.2)",
    )
    if not ran:
        return
    if not client2.calls:
        fb.fail("인자를 바꿔 부른 두 번째 호출에서 채팅 API를 호출하지 않았습니다.")
        return
    if _check_chat_call(
        fb, client2.calls[-1], prompt2, "Qwen/Qwen2.5-7B-Instruct", 50, 0.2, "인자를 바꿔 호출"
    ):
        fb.ok("`model`, `max_new_tokens`, `temperature` 인자를 그대로 전달합니다.")
    _check_text(fb, out2, client2, "인자를 바꿔 호출")


# ------------------------------------------------------------------------------------------------
# 04-backoff
# ------------------------------------------------------------------------------------------------

_URL = "https://router.huggingface.co/v1/chat/completions"


def http_error(status: int, retry_after: str | None = None, message: str = "") -> Exception:
    """A real ``HfHubHTTPError`` for ``status``, as huggingface_hub raises it."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    request = httpx2.Request("POST", _URL)
    response = httpx2.Response(status, headers=headers, json={"error": message}, request=request)
    return HfHubHTTPError(f"{status} error for url: {_URL}", response=response)


class _Script:
    """A callable that fails as scripted, then returns a value; counts its calls."""

    def __init__(self, outcomes: list[Any], value: str = "성공") -> None:
        self.outcomes = list(outcomes)
        self.value = value
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= len(self.outcomes):
            raise self.outcomes[self.calls - 1]
        return self.value


class _Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@contextlib.contextmanager
def _no_real_sleep():
    """time.sleep is replaced while the learner's code runs, so a forgotten `sleep=` argument is
    caught instead of making the check wait."""
    used: list[float] = []
    original = time.sleep
    time.sleep = used.append  # type: ignore[assignment]
    try:
        yield used
    finally:
        time.sleep = original


def _own_error(error: Exception | None, script: _Script) -> bool:
    """True when `error` came from the learner's code, not from the scripted `call()`."""
    return error is not None and not any(error is e for e in script.outcomes)


def _explain_own_error(fb: Feedback, error: Exception, what: str) -> None:
    """A crash in the learner's own code (a header read, a conversion), named as such."""
    header = isinstance(error, KeyError) or (
        isinstance(error, (TypeError, ValueError))
        and ("int()" in str(error) or "float" in str(error))
    )
    fb.fail(
        f"{what}: 함수 안에서 `{type(error).__name__}: {error}`가 났습니다.",
        hint="`Retry-After` 헤더를 읽다가 난 오류로 보입니다. 헤더는 없을 수도 있습니다. "
        "`error.response.headers.get('retry-after')`로 읽고, 없거나 숫자로 읽을 수 없으면 "
        "지수 백오프+지터로 기다리세요. 5절의 `retry_after(error)`는 헤더가 없으면 `None`을 "
        "돌려줍니다."
        if header
        else "재시도할 오류를 받은 뒤 기다릴 시간을 정하는 코드에서 예외가 났습니다. 그 부분을 "
        "확인하세요.",
    )


def _attempt(
    answer: Callable, script: _Script, **kwargs: Any
) -> tuple[Any, Exception | None, _Sleeps]:
    sleeps = _Sleeps()
    try:
        result = answer(script, sleep=sleeps, **kwargs)
    except NotImplementedError as exc:
        raise NotSolved(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - the scenarios expect some errors to come back out
        return None, exc, sleeps
    if result is TODO or result is Ellipsis:
        raise NotSolved("call_with_backoff가 아직 TODO를 돌려줍니다")
    return result, None, sleeps


@register("04-backoff", "call_with_backoff — 429·5xx만 다시, Retry-After 지키기")
def check_backoff(answer: Any, fb: Feedback) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    if not callable(answer):
        fb.fail(
            f"`call_with_backoff`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def call_with_backoff(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):`",
        )
        return
    params = signature_defaults(answer) or {}
    if "sleep" not in params or "max_attempts" not in params:
        fb.fail(
            f"매개변수가 {list(params)}입니다. `max_attempts`와 `sleep`이 있어야 합니다.",
            hint="`def call_with_backoff(call, max_attempts=4, base_delay=1.0, sleep=time.sleep):` "
            "— 기다릴 때 `time.sleep` 대신 `sleep(초)`를 부르면 채점기가 실제로 기다리지 않고 "
            "기다린 시간을 셀 수 있습니다.",
        )
        return

    first_cap = params.get("base_delay", 1.0)
    if isinstance(first_cap, bool) or not isinstance(first_cap, (int, float)) or first_cap <= 0:
        first_cap = 1.0
    with _no_real_sleep() as real_sleeps:
        # 1. success at once: no waiting.
        script = _Script([])
        result, error, sleeps = _attempt(answer, script)
        if error is not None:
            raise LearnerError(error, "call_with_backoff(성공하는 call)")
        if result != "성공":
            fb.fail(
                f"성공한 호출의 결과를 돌려주지 않았습니다: {result!r}",
                hint="`return call()`처럼 call의 반환값을 그대로 돌려주세요.",
            )
            return
        if script.calls != 1 or sleeps:
            fb.fail(
                f"처음부터 성공했는데 {script.calls}번 부르고 {len(sleeps)}번 기다렸습니다.",
                hint="성공하면 바로 돌려주세요.",
            )
            return
        fb.ok("성공하면 한 번만 부르고 바로 결과를 돌려줍니다.")

        # 2. non-retryable errors: exactly one call.
        stopped = True
        for status, why in ((402, "크레딧 소진"), (401, "잘못된 토큰"), (404, "없는 모델")):
            script = _Script([http_error(status)])
            _, error, sleeps = _attempt(answer, script)
            if script.calls != 1 or sleeps:
                stopped = False
                fb.fail(
                    f"{status}({why})인데 {script.calls}번 불렀습니다.",
                    hint="429와 5xx만 다시 시도하세요. 다른 4xx는 다시 보내도 같은 답이 오므로 "
                    "`error.response.status_code`를 보고 바로 `raise` 합니다.",
                )
                break
            if not isinstance(error, HfHubHTTPError):
                stopped = False
                fb.fail(
                    f"{status}({why})에서 오류를 올리지 않았습니다(반환값 또는 다른 예외: "
                    f"{error!r}).",
                    hint="포기할 때는 받은 오류를 그대로 `raise` 해서 호출한 쪽이 알게 합니다.",
                )
                break
        script = _Script([ValueError("Model is not supported by provider")])
        _, error, _ = _attempt(answer, script)
        if stopped and (script.calls != 1 or not isinstance(error, ValueError)):
            stopped = False
            fb.fail(
                f"HTTP 오류가 아닌 ValueError를 {script.calls}번 시도했거나 삼켰습니다.",
                hint="`except HfHubHTTPError`만 잡고, 다른 예외는 그대로 올라가게 두세요.",
            )
        if stopped:
            fb.ok("401·402·404와 HTTP가 아닌 오류는 다시 보내지 않고 바로 올립니다.")

        # 3. 429 with Retry-After, twice, then success.
        script = _Script([http_error(429, "3"), http_error(429, "3")])
        result, error, sleeps = _attempt(answer, script)
        if real_sleeps:
            fb.fail(
                "`time.sleep`을 직접 불렀습니다.",
                hint="인자로 받은 `sleep`을 부르세요(`sleep(delay)`). 그래야 채점기와 테스트가 "
                "실제로 기다리지 않고 기다린 시간을 확인할 수 있습니다.",
            )
            return
        shown = [round(s, 2) for s in sleeps]
        if _own_error(error, script):
            _explain_own_error(fb, error, "`Retry-After: 3`이 붙은 429")
        elif error is not None or result != "성공":
            fb.fail(
                f"429 두 번 뒤 성공해야 하는데 결과가 {result!r}, 오류가 {error!r}입니다.",
                hint="429면 기다렸다가 다시 `call()`을 부르는 반복문이 필요합니다.",
            )
        elif script.calls != 3 or len(sleeps) != 2:
            fb.fail(
                f"429 두 번 뒤 성공: {script.calls}번 부르고 {len(sleeps)}번 기다렸습니다"
                "(기대: 3번, 2번).",
                hint="실패할 때마다 한 번 기다리고 다시 부릅니다.",
            )
        elif any(s < 3 for s in sleeps):
            fb.fail(
                f"서버가 `Retry-After: 3`을 보냈는데 {shown}초만 기다렸습니다.",
                hint="`error.response.headers.get('retry-after')`가 있으면 그 초만큼은 "
                "기다려야 합니다(5절의 `retry_after(error)`가 초로 바꿔 줍니다). 더 일찍 보내면 "
                "또 429를 받습니다.",
            )
        elif any(s > 30 for s in sleeps):
            fb.fail(f"`Retry-After: 3`에 {shown}초나 기다렸습니다.", hint="3초 남짓이면 됩니다.")
        else:
            fb.ok(f"429에서 `Retry-After`를 지켜 기다린 뒤 다시 부릅니다(기다린 시간 {shown}초).")

        # 4. 503 without Retry-After: backoff with jitter.
        runs = []
        for _ in range(30):
            script = _Script([http_error(503), http_error(503)])
            result, error, sleeps = _attempt(answer, script)
            runs.append((script.calls, result, error, list(sleeps)))
            if _own_error(error, script):
                break
        calls, result, error, sleeps = runs[-1]
        all_sleeps = [s for run in runs for s in run[3]]
        if _own_error(error, script):
            _explain_own_error(fb, error, "`Retry-After`가 없는 503")
        elif error is not None or result != "성공" or calls != 3:
            fb.fail(
                f"503 두 번 뒤 성공해야 하는데 {calls}번 부르고 결과 {result!r}, 오류 {error!r}.",
                hint="5xx(500·502·503·504)도 서버 쪽 일시 장애이므로 다시 시도합니다.",
            )
        elif not all_sleeps or any(s < 0 for s in all_sleeps) or max(all_sleeps) == 0:
            fb.fail(
                f"Retry-After가 없을 때 기다린 시간이 {sleeps}입니다.",
                hint="지수 백오프: n번째 실패 뒤 `base_delay * 2 ** (n - 1)`초 안팎을 기다립니다.",
            )
        elif max(all_sleeps) > 60:
            fb.fail(
                f"두 번 실패했을 뿐인데 {max(all_sleeps):.1f}초나 기다렸습니다.",
                hint="`base_delay=1.0`이면 1초, 2초 안팎이면 충분합니다.",
            )
        elif len({round(s, 6) for run in runs for s in run[3][:1]}) == 1:
            fb.fail(
                f"여러 번 실행해도 첫 대기 시간이 늘 {runs[0][3][0]}초로 같습니다(지터가 없습니다).",
                hint="모든 클라이언트가 같은 순간에 다시 몰리지 않도록 무작위 값을 섞습니다. "
                "예: `random.uniform(0, base_delay * 2 ** (attempt - 1))`.",
            )
        elif max(run[3][1] for run in runs) <= first_cap + 1e-9:
            fb.fail(
                f"{len(runs)}번 실행하는 동안 두 번째 대기가 한 번도 `base_delay`"
                f"({first_cap:g}초)를 넘지 않았습니다. 대기 상한이 늘지 않습니다.",
                hint="지수 백오프: n번째 실패 뒤의 상한은 `base_delay * 2 ** (n - 1)`로 두 배씩 "
                "커집니다. 예: `random.uniform(0, base_delay * 2 ** (attempt - 1))`.",
            )
        else:
            fb.ok("Retry-After가 없으면 지수 백오프에 지터(무작위)를 섞어 기다립니다.")

        # 5. persistent 429: give up after max_attempts with the last error.
        last = http_error(429, "1", "still limited")
        script = _Script([http_error(429, "1"), http_error(429, "1"), last])
        script.outcomes += [http_error(429, "1") for _ in range(7)]
        _, error, sleeps = _attempt(answer, script, max_attempts=3)
        if script.calls != 3:
            fb.fail(
                f"`max_attempts=3`인데 {script.calls}번 불렀습니다.",
                hint="시도 횟수를 세어 `max_attempts`번째 실패에서 멈추세요.",
            )
        elif error is not last:
            fb.fail(
                "끝내 실패했을 때 마지막 오류를 그대로 올리지 않았습니다"
                f"({type(error).__name__ if error else '오류 없이 반환'}).",
                hint="마지막 시도에서 받은 `HfHubHTTPError`를 `raise` 하세요(None을 돌려주면 "
                "호출한 쪽이 실패를 모릅니다).",
            )
        elif len(sleeps) != 2:
            fb.fail(
                f"세 번 시도하는 동안 {len(sleeps)}번 기다렸습니다(기대: 2번).",
                hint="마지막 실패 뒤에는 기다릴 필요 없이 바로 오류를 올립니다.",
            )
        else:
            fb.ok("`max_attempts`번 실패하면 더 기다리지 않고 마지막 오류를 올립니다.")
    if real_sleeps:
        fb.fail(
            f"`time.sleep`을 직접 불렀습니다({len(real_sleeps)}번).",
            hint="인자로 받은 `sleep`을 부르세요. 그래야 테스트에서 기다리지 않고 확인할 수 "
            "있습니다.",
        )


# ------------------------------------------------------------------------------------------------
# 04-pick-provider
# ------------------------------------------------------------------------------------------------

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def provider_mapping(rows: list[tuple[str, str, str, str]]) -> list[Any]:
    """Real ``InferenceProviderMapping`` objects from (provider, provider_id, status, task)."""
    from huggingface_hub.hf_api import InferenceProviderMapping

    return [
        InferenceProviderMapping(
            provider=provider, providerId=provider_id, status=status, task=task, hf_model_id=MODEL
        )
        for provider, provider_id, status, task in rows
    ]


_PICK_CASES: list[tuple[str, list[tuple[str, str, str, str]], str, str | None]] = [
    (
        "첫 공급자가 조건에 맞음",
        [
            ("cerebras", "llama3.1-8b", "live", "conversational"),
            ("novita", "meta-llama/llama-3.1-8b-instruct", "live", "conversational"),
        ],
        "conversational",
        "cerebras",
    ),
    (
        "첫 공급자가 staging",
        [
            ("nscale", MODEL, "staging", "conversational"),
            ("novita", "meta-llama/llama-3.1-8b-instruct", "live", "conversational"),
        ],
        "conversational",
        "novita",
    ),
    (
        "작업이 다른 공급자를 건너뜀",
        [
            ("cerebras", "llama3.1-8b", "live", "conversational"),
            ("featherless-ai", MODEL, "live", "text-generation"),
        ],
        "text-generation",
        "featherless-ai",
    ),
    (
        "건강 검사에 실패한 공급자(error)",
        [
            (
                "fireworks-ai",
                "accounts/fireworks/models/llama-v3p1-8b-instruct",
                "error",
                "conversational",
            ),
            ("scaleway", "llama-3.1-8b-instruct", "live", "conversational"),
        ],
        "conversational",
        "scaleway",
    ),
    (
        "맞는 공급자가 없음",
        [("cerebras", "llama3.1-8b", "live", "conversational")],
        "text-generation",
        None,
    ),
    ("매핑이 비어 있음", [], "conversational", None),
]


@register("04-pick-provider", "pick_provider — 작업을 live로 서비스하는 첫 공급자 고르기")
def check_pick_provider(answer: Any, fb: Feedback) -> None:
    if not callable(answer):
        fb.fail(
            f"`pick_provider`는 함수여야 합니다(받은 값: {type(answer).__name__}).",
            hint="`def pick_provider(mappings, task='conversational'):`",
        )
        return
    wrong = 0
    for label, rows, task, expected in _PICK_CASES:
        mappings = provider_mapping(rows)
        got = run_learner(answer, mappings, task, what=f"pick_provider(mappings, {task!r})")
        if got is TODO or got is Ellipsis:
            raise NotSolved("pick_provider가 아직 TODO를 돌려줍니다")
        if got == expected:
            continue
        wrong += 1
        by_object = {id(m): m for m in mappings}
        matches = [m.provider for m in mappings if m.status == "live" and m.task == task]
        if isinstance(got, (list, tuple, set)):
            hint = (
                "조건에 맞는 공급자 모두의 리스트가 아니라 첫 공급자의 이름 하나(문자열)를 "
                "돌려주세요. 찾자마자 `return m.provider`."
            )
        elif id(got) in by_object:
            hint = "매핑 객체가 아니라 공급자 이름(`m.provider`) 문자열을 돌려주세요."
        elif got in {m.provider_id for m in mappings} and got not in {m.provider for m in mappings}:
            hint = "`provider_id`는 공급자 쪽 모델 id입니다. 공급자 이름은 `m.provider`입니다."
        elif len(matches) > 1 and got == matches[-1]:
            hint = (
                "조건에 맞는 공급자가 여럿일 때 마지막으로 맞은 공급자를 돌려주었습니다. 반복문에서 "
                "변수에 덮어쓰지 말고, 처음 찾은 곳에서 바로 `return m.provider` 하세요."
            )
        elif expected is None:
            hint = (
                "조건에 맞는 공급자가 없으면 `None`을 돌려주세요(반복문이 끝난 뒤 `return None`)."
            )
        elif any(m.provider == got and m.status != "live" for m in mappings):
            hint = "`status`가 'live'인지 확인하세요. 'staging'은 시험용, 'error'는 건강 검사 실패입니다."
        elif any(m.provider == got and m.task != task for m in mappings):
            hint = (
                "`m.task == task`인지도 확인하세요. 채팅(conversational)만 서비스하는 공급자는 "
                "text-generation 요청을 받지 않습니다."
            )
        else:
            hint = (
                "목록 순서대로 보며 `m.status == 'live' and m.task == task`인 첫 공급자를 고르세요."
            )
        fb.fail(f"{label}: 기대한 값 {expected!r}, 돌려준 값 {got!r}", hint=hint)
        if wrong >= 2:
            break
    if not wrong:
        fb.ok(
            f"{len(_PICK_CASES)}개 사례(staging·error 건너뛰기, 작업 확인, 없으면 None)를 모두 맞혔습니다."
        )
