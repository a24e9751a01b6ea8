"""Lesson 06: send the same tasks to OpenAI, Anthropic and Hugging Face and compare the answers.

Each provider is called with its own canonical, streamed SDK call — :func:`call_openai`,
:func:`call_anthropic`, :func:`call_huggingface` — written to be read: the lesson prints their
source with ``inspect.getsource``. They take a client the learner made with the SDK's own
constructor; nothing here wraps or builds a client.

:func:`call` turns one (task, provider) call into one normalised :class:`Result` (latency, time to
first token, tokens, estimated cost, finish reason, answer, or a Korean error) and never raises.
:func:`run` sends a task list to several providers at once — one worker thread per provider, so the
wall time is about the slowest provider's, not the sum — with a progress bar on longer runs.
The rest turns results into a tidy DataFrame, a styled summary and charts with Korean labels.

Import-light: pandas, matplotlib and tqdm are imported only by the functions that need them.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from . import catalog, explain, session
from .providers import PROVIDERS
from .session import MODE_LABELS

__all__ = [
    "CALLS",
    "Comparison",
    "Reply",
    "Result",
    "Task",
    "TaskFileError",
    "call",
    "call_anthropic",
    "call_huggingface",
    "call_openai",
    "describe_error",
    "load_tasks",
    "mode_note",
    "plot_metrics",
    "replay_speed",
    "run",
    "save_csv",
    "select_providers",
    "style_results",
    "style_summary",
    "summary_table",
    "to_frame",
]

DEFAULT_SYSTEM = {
    "ko": "당신은 정확하고 간결하게 답하는 한국어 AI 어시스턴트입니다.",
    "en": "You are an accurate and concise AI assistant.",
}
LANGS = ("ko", "en")
# Runs with at least this many calls show a progress bar (progress=None).
PROGRESS_MIN_CALLS = 6
COLORS = {"openai": "#10a37f", "anthropic": "#d97757", "huggingface": "#f2a900"}


# ------------------------------------------------------------------------------------------------
# The three canonical calls
# ------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What one streamed call gave back, before it is normalised into a :class:`Result`."""

    text: str = ""
    ttft_s: float | None = None  # seconds until the first piece of text arrived
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    model: str | None = None  # the model the response says answered (a dated snapshot, say)


def call_openai(client, model, system, prompt, max_tokens):
    """OpenAI Chat Completions, streamed: `client.chat.completions.create(..., stream=True)`."""
    started = time.perf_counter()
    reply = Reply()
    stream = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "developer", "content": system},  # o1 and newer: developer, not system
            {"role": "user", "content": prompt},
        ],
        max_completion_tokens=max_tokens,
        stream=True,
        stream_options={"include_usage": True},  # one last chunk: usage, and no choices
    )
    for chunk in stream:
        reply.model = chunk.model or reply.model  # the model that answered, on every chunk
        if chunk.usage is not None:
            reply.input_tokens = chunk.usage.prompt_tokens
            reply.output_tokens = chunk.usage.completion_tokens
        if not chunk.choices:  # the usage chunk has an empty choices list
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            if reply.ttft_s is None:
                reply.ttft_s = time.perf_counter() - started
            reply.text += choice.delta.content
        if choice.finish_reason:
            reply.finish_reason = choice.finish_reason  # "stop" or "length"
    return reply


def call_anthropic(client, model, system, prompt, max_tokens):
    """Anthropic Messages, streamed: `client.messages.stream(...)` takes the arguments of
    `client.messages.create(...)` but `stream`, and hands back the text as it arrives."""
    started = time.perf_counter()
    reply = Reply()
    with client.messages.stream(
        model=model,
        max_tokens=max_tokens,  # required by the Messages API
        system=system,  # system is its own parameter, not a message
        messages=[{"role": "user", "content": prompt}],
    ) as stream:
        for text in stream.text_stream:
            if reply.ttft_s is None:
                reply.ttft_s = time.perf_counter() - started
            reply.text += text
        final = stream.get_final_message()
    reply.input_tokens = final.usage.input_tokens
    reply.output_tokens = final.usage.output_tokens
    reply.finish_reason = final.stop_reason  # "end_turn" or "max_tokens"
    reply.model = final.model  # the model that answered
    return reply


def call_huggingface(client, model, system, prompt, max_tokens):
    """Hugging Face Inference Providers, streamed: `client.chat_completion(..., stream=True)`."""
    started = time.perf_counter()
    reply = Reply()
    # `client` stays referenced while we iterate: the stream closes with its InferenceClient.
    stream = client.chat_completion(
        model=model,
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ],
        max_tokens=max_tokens,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        reply.model = chunk.model or reply.model  # the model that answered, on every chunk
        if chunk.usage is not None:
            reply.input_tokens = chunk.usage.prompt_tokens
            reply.output_tokens = chunk.usage.completion_tokens
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            if reply.ttft_s is None:
                reply.ttft_s = time.perf_counter() - started
            reply.text += choice.delta.content
        if choice.finish_reason:
            reply.finish_reason = choice.finish_reason  # "stop" or "length"
    return reply


CallFunction = Callable[[Any, str, str, str, int], Reply]
CALLS: dict[str, CallFunction] = {
    "openai": call_openai,
    "anthropic": call_anthropic,
    "huggingface": call_huggingface,
}
# finish/stop reasons that mean "cut at the output limit"
TRUNCATED = {"length", "max_tokens"}


# ------------------------------------------------------------------------------------------------
# Tasks
# ------------------------------------------------------------------------------------------------


class TaskFileError(ValueError):
    """A task file or task the comparison cannot use (Korean message)."""


@dataclass(frozen=True)
class Task:
    """One comparison task: a Korean prompt, the same content in English, and an output limit."""

    id: str
    kind: str
    prompt: str
    prompt_en: str | None = None
    max_tokens: int = 300
    system: str = DEFAULT_SYSTEM["ko"]
    system_en: str = DEFAULT_SYSTEM["en"]

    def prompt_for(self, lang: str) -> str | None:
        return self.prompt if lang == "ko" else self.prompt_en

    def system_for(self, lang: str) -> str:
        return self.system if lang == "ko" else self.system_en

    @classmethod
    def from_dict(
        cls, data: Any, *, system: str | None = None, system_en: str | None = None
    ) -> Task:
        """Validate one task entry (as in the JSON file) and build a Task."""
        if isinstance(data, Task):
            return data
        if not isinstance(data, Mapping):
            raise TaskFileError(
                f"작업은 딕셔너리여야 합니다(받은 값: {type(data).__name__}). "
                '예: {"id": "summary", "kind": "요약", "prompt": "...", "prompt_en": "...", '
                '"max_tokens": 300}'
            )
        name = data.get("id", "?")
        missing = [key for key in ("id", "kind", "prompt") if not data.get(key)]
        if missing:
            raise TaskFileError(f"작업 {name!r}에 {', '.join(missing)}이(가) 없습니다.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TaskFileError(
                f"작업 {name!r}에 모르는 항목 {unknown}이 있습니다. 쓸 수 있는 항목: "
                f"{', '.join(sorted(known))}"
            )
        for key in ("id", "kind", "prompt", "prompt_en", "system", "system_en"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise TaskFileError(f"작업 {name!r}의 {key}는 비어 있지 않은 문자열이어야 합니다.")
        limit = data.get("max_tokens", 300)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
            raise TaskFileError(
                f"작업 {name!r}의 max_tokens는 1 이상의 정수여야 합니다(받은 값: {limit!r})."
            )
        return cls(
            id=data["id"],
            kind=data["kind"],
            prompt=data["prompt"],
            prompt_en=data.get("prompt_en"),
            max_tokens=limit,
            system=data.get("system") or system or DEFAULT_SYSTEM["ko"],
            system_en=data.get("system_en") or system_en or DEFAULT_SYSTEM["en"],
        )


def _read_task_file(path: str | Path | None) -> Any:
    if path is None:
        text = resources.files(__package__).joinpath("data/tasks_ko.json").read_text("utf-8")
        return json.loads(text)
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TaskFileError(
            f"작업 파일 {path}을(를) 찾지 못했습니다. 노트북이 실행되는 폴더 기준의 경로인지 "
            "확인하세요."
        ) from exc
    except OSError as exc:
        raise TaskFileError(f"작업 파일 {path}을(를) 읽지 못했습니다: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskFileError(
            f"작업 파일 {path}이(가) 올바른 JSON이 아닙니다: {exc.lineno}번째 줄 {exc.colno}번째 "
            f"글자 근처 ({exc.msg})"
        ) from exc


def load_tasks(path: str | Path | None = None) -> list[Task]:
    """The task set: the packaged ``helpers/data/tasks_ko.json``, or an instructor's own file.

    The file is ``{"system": {"ko": ..., "en": ...}, "tasks": [{"id", "kind", "prompt",
    "prompt_en", "max_tokens"}, ...]}`` or just the list of tasks. Raises :class:`TaskFileError`
    with a Korean message for a file it cannot use.
    """
    data = _read_task_file(path)
    system: dict[str, Any] = {}
    if isinstance(data, Mapping):
        system = data.get("system") or {}
        if isinstance(system, str):
            system = {"ko": system}
        data = data.get("tasks")
    if not isinstance(data, list) or not data:
        raise TaskFileError(
            '작업 파일에는 작업 목록이 있어야 합니다: {"tasks": [{"id": ..., "kind": ..., '
            '"prompt": ..., "prompt_en": ..., "max_tokens": ...}, ...]}'
        )
    tasks = [
        Task.from_dict(item, system=system.get("ko"), system_en=system.get("en")) for item in data
    ]
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise TaskFileError(f"작업 id {task.id!r}가 두 번 나옵니다. id는 겹치면 안 됩니다.")
        seen.add(task.id)
    return tasks


def select_providers(value: str | Iterable[str] | None) -> list[str]:
    """``"openai,huggingface"`` or a list → provider names in the series' order (papermill)."""
    if value is None:
        return list(PROVIDERS)
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(name).strip().lower() for name in names if str(name).strip()]
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown or not names:
        raise ValueError(
            f"알 수 없는 공급자 {unknown}입니다. 쓸 수 있는 값: {', '.join(PROVIDERS)} "
            '(예: "openai,anthropic")'
        )
    return [name for name in PROVIDERS if name in names]


# ------------------------------------------------------------------------------------------------
# One call → one normalised record
# ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One (task, provider) call, normalised across the three APIs.

    ``model`` is the model you asked for; ``answered_model`` is the one the response names
    (``chunk.model``, ``message.model``), often a dated snapshot, and the one the cost is priced
    at. ``mode`` says who answered: ``"live"`` (the real API), ``"replay"`` (an authored example
    from the replay server: its timings and tokens are not measurements) or ``"record"``.
    """

    provider: str
    model: str  # requested
    task: str
    kind: str
    lang: str
    latency_s: float | None = None
    ttft_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    truncated: bool | None = None
    answer: str = ""
    error: str | None = None
    answered_model: str | None = None
    mode: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def requested_model(self) -> str:
        return self.model


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _is_replay_miss(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    try:
        if headers is not None and headers.get("x-llm-lab-miss"):
            return True
    except Exception:  # noqa: BLE001 - any header object that cannot answer means "no"
        pass
    return "저장된 응답이 없습니다" in str(exc)


_STATUS_TEXT = {
    400: "잘못된 요청(400): 매개변수나 모델 이름을 확인하세요.",
    401: "인증 실패(401): API 키가 틀렸거나 폐기되었습니다.",
    402: "크레딧 부족(402): 결제 정보나 남은 크레딧을 확인하세요.",
    403: "권한 없음(403): 이 키로는 이 모델을 쓸 수 없습니다.",
    404: "찾을 수 없음(404): 모델 이름이나 사용 권한을 확인하세요.",
    408: "시간 초과(408): 서버가 요청을 기다리다 끊었습니다.",
    413: "요청이 너무 큼(413): 입력을 줄이세요.",
    422: "처리할 수 없는 요청(422): 매개변수 값을 확인하세요.",
    429: "요청 한도 초과(429): 잠시 뒤 다시 시도하세요.",
    500: "서버 오류(500): 공급자 쪽 문제입니다. 잠시 뒤 다시 시도하세요.",
    502: "게이트웨이 오류(502): 잠시 뒤 다시 시도하세요.",
    503: "서비스 일시 중단(503): 잠시 뒤 다시 시도하세요.",
    529: "과부하(529): 공급자가 바쁩니다. 잠시 뒤 다시 시도하세요.",
}


# Statuses where the API's own reason names what to change (a parameter the model refuses, a
# model id that does not exist); describe_error() quotes it after the Korean explanation.
_QUOTE_SERVER_FOR = {400, 404, 413, 422}
_SERVER_DETAIL_CHARS = 160


def _server_detail(exc: BaseException) -> str:
    """The API's own reason for refusing a request, on one line ("" when it gave none)."""
    return explain.one_line(explain.api_reason(exc), _SERVER_DETAIL_CHARS)


def describe_error(exc: BaseException) -> str:
    """A short Korean explanation of a failed call, with the exception's class name.

    For a refused request (400, 404, 413, 422) the API's own reason follows, so a parameter a
    model does not accept is named instead of guessed at.
    """
    name = type(exc).__name__
    if _is_replay_miss(exc):
        return (
            "리플레이 픽스처 없음: 이 요청(모델·작업 조합)에는 저장된 응답이 없습니다. 키를 넣어 "
            f"라이브로 실행하거나 기본 모델·작업으로 되돌리세요. [{name}]"
        )
    status = _status_of(exc)
    if status is not None:
        text = _STATUS_TEXT.get(status)
        if text is None:
            text = f"HTTP {status} 오류" + (": 서버 쪽 문제입니다." if status >= 500 else ".")
        detail = _server_detail(exc) if status in _QUOTE_SERVER_FOR else ""
        if detail:
            text = f"{text} 서버의 설명: {detail}"
        return f"{text} [{name}]"
    lowered = f"{name} {exc}".lower()
    if "timeout" in lowered or "timed out" in lowered:
        return f"시간 초과: 응답이 제한 시간 안에 오지 않았습니다. [{name}]"
    if "connection" in lowered or "connect" in lowered:
        return f"연결 실패: 서버에 닿지 못했습니다. 네트워크나 주소를 확인하세요. [{name}]"
    if "authentication" in lowered or "api_key" in lowered or "api key" in lowered:
        return f"키 없음: API 키를 찾지 못했습니다. .env나 Colab 보안 비밀을 확인하세요. [{name}]"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{name}: {first_line[:200]}" if first_line else name


def _cost(model: str | None, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """The price of the model that answered; a dated snapshot costs what its alias costs.

    An unknown model (a papermill parameter, say) has no price; run() warns about it once.
    """
    catalog_id = catalog.resolve(model)
    if input_tokens is None or output_tokens is None or catalog_id is None:
        return None
    return catalog.estimate_cost(catalog_id, input_tokens, output_tokens)


def _mode_of(provider: str, modes: Mapping[str, str] | None) -> str | None:
    """Who answers ``provider``: the ``modes`` given, else what ``helpers.setup()`` decided."""
    if modes is not None and provider in modes:
        return modes[provider]
    status = session.last_status()
    if status is not None and provider in status.providers:
        return status.mode(provider)
    return None


def call(
    provider: str,
    client: Any,
    model: str,
    task: Task,
    *,
    lang: str = "ko",
    calls: Mapping[str, CallFunction] | None = None,
    modes: Mapping[str, str] | None = None,
) -> Result:
    """Send one task to one provider and return one :class:`Result`. Never raises: a failure
    becomes a Result whose ``error`` says, in Korean, what went wrong.

    ``modes`` (``{"openai": "replay", ...}``) says who answers each provider; without it the
    mode comes from ``helpers.setup()`` (``None`` when neither says).
    """
    task = Task.from_dict(task)
    result = Result(provider=provider, model=model, task=task.id, kind=task.kind, lang=lang)
    result.mode = _mode_of(provider, modes)
    prompt = task.prompt_for(lang)
    if prompt is None:
        result.error = f"이 작업에는 {lang} 질문이 없습니다(prompt_en)."
        return result
    function = (calls or CALLS).get(provider)
    if function is None:
        result.error = f"알 수 없는 공급자입니다: {provider!r}"
        return result
    started = time.perf_counter()
    try:
        reply = function(client, model, task.system_for(lang), prompt, task.max_tokens)
    except Exception as exc:  # noqa: BLE001 - one provider's failure is a row, not a crash
        result.latency_s = time.perf_counter() - started
        result.error = describe_error(exc)
        return result
    result.latency_s = time.perf_counter() - started
    result.ttft_s = reply.ttft_s
    result.input_tokens = reply.input_tokens
    result.output_tokens = reply.output_tokens
    result.answered_model = reply.model
    result.cost_usd = _cost(reply.model or model, reply.input_tokens, reply.output_tokens)
    result.finish_reason = reply.finish_reason
    result.truncated = None if reply.finish_reason is None else reply.finish_reason in TRUNCATED
    result.answer = reply.text
    return result


# ------------------------------------------------------------------------------------------------
# Many calls, concurrently
# ------------------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """What :func:`run` returns: the results in task × provider order and the wall time."""

    results: list[Result]
    wall_s: float
    concurrent: bool
    lang: str = "ko"
    providers: list[str] = field(default_factory=list)

    def frame(self):
        return to_frame(self.results)

    def provider_seconds(self) -> dict[str, float]:
        """Each provider's own time: the sum of its calls' latencies (they run one after another)."""
        totals = dict.fromkeys(self.providers, 0.0)
        for r in self.results:
            totals[r.provider] = totals.get(r.provider, 0.0) + (r.latency_s or 0.0)
        return totals

    def summary(self) -> str:
        failed = sum(not r.ok for r in self.results)
        how = "동시 실행" if self.concurrent else "차례로 실행"
        text = f"✓ {len(self.results)}개 호출 완료 · 걸린 시간 {self.wall_s:.2f}초 ({how})"
        return text + (f" · 오류 {failed}건" if failed else "")

    def __repr__(self) -> str:
        return f"<Comparison {self.summary()}>"


class _Progress:
    """A tqdm bar: a widget in notebooks, replaced by a one-line summary when the run ends (so a
    saved notebook holds text, not a widget without state); a console bar elsewhere."""

    def __init__(self, total: int, show: bool, desc: str) -> None:
        self.bar = None
        self.handle = None
        if not show:
            return
        from tqdm.auto import tqdm

        try:
            from tqdm.notebook import tqdm as notebook_tqdm
        except ImportError:  # pragma: no cover - tqdm always ships it
            notebook_tqdm = None
        if notebook_tqdm is not None and issubclass(tqdm, notebook_tqdm):
            from IPython.display import display

            self.bar = tqdm(total=total, desc=desc, unit="호출", display=False)
            self.handle = display(self.bar.container, display_id=True)
        else:
            self.bar = tqdm(total=total, desc=desc, unit="호출", leave=False)

    def update(self, result: Result) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.provider}·{result.task}", refresh=False)
            self.bar.update(1)

    def close(self, summary: str) -> None:
        if self.bar is None:
            return
        self.bar.close()
        if self.handle is not None:
            self.handle.update({"text/plain": summary}, raw=True)


def run(
    clients: Mapping[str, Any],
    models: Mapping[str, str],
    tasks: Iterable[Task | Mapping[str, Any]],
    *,
    lang: str = "ko",
    concurrent: bool = True,
    progress: bool | None = None,
    calls: Mapping[str, CallFunction] | None = None,
    modes: Mapping[str, str] | None = None,
) -> Comparison:
    """Send every task to every provider in ``clients`` and collect one Result per pair.

    concurrent=True: one worker thread per provider; each sends its tasks in order, so requests
    to one provider never pile up, and the wall time is about the slowest provider's own time.
    concurrent=False: everything one after another (for comparison).
    progress=None shows a bar from PROGRESS_MIN_CALLS calls on. Never raises for a failed call.
    ``modes`` is passed on to :func:`call` (each Result's ``mode``).
    """
    if lang not in LANGS:
        raise ValueError(f"lang은 {LANGS} 중 하나여야 합니다(받은 값: {lang!r}).")
    task_list = [Task.from_dict(t) for t in tasks]
    if len({t.id for t in task_list}) != len(task_list):
        raise ValueError("작업 id가 겹칩니다. 작업마다 다른 id를 주세요.")
    providers = list(clients)
    missing = [p for p in providers if p not in models]
    if missing:
        raise ValueError(f"models에 {missing}의 모델 id가 없습니다.")
    for provider in providers:
        if models[provider] not in catalog.known_models():
            catalog.model_info(models[provider])  # a Korean warning, once, in the main thread
    total = len(providers) * len(task_list)
    show = total >= PROGRESS_MIN_CALLS if progress is None else bool(progress)
    bar = _Progress(total, show, "비교 중")
    collected: list[Result] = []

    def work(provider: str, deliver: Callable[[Result], None]) -> None:
        for task in task_list:
            try:
                result = call(
                    provider,
                    clients[provider],
                    models[provider],
                    task,
                    lang=lang,
                    calls=calls,
                    modes=modes,
                )
            except Exception as exc:  # noqa: BLE001 - a row must arrive, or run() waits forever
                result = Result(provider, models[provider], task.id, task.kind, lang)
                result.mode = _mode_of(provider, modes)
                result.error = describe_error(exc)
            deliver(result)

    def keep(result: Result) -> None:
        collected.append(result)
        bar.update(result)

    started = time.perf_counter()
    try:
        if concurrent and len(providers) > 1:
            inbox: queue.Queue[Result] = queue.Queue()
            workers = [
                threading.Thread(target=work, args=(p, inbox.put), name=f"compare-{p}", daemon=True)
                for p in providers
            ]
            for worker in workers:
                worker.start()
            while len(collected) < total:
                try:
                    keep(inbox.get(timeout=0.1))  # the bar is updated from this thread only
                except queue.Empty:
                    if inbox.empty() and not any(w.is_alive() for w in workers):
                        break  # a worker died without answering; its rows are filled in below
            for worker in workers:
                worker.join()
        else:
            for provider in providers:
                work(provider, keep)
        wall = time.perf_counter() - started
    except BaseException:
        bar.close("중단되었습니다.")
        raise
    pairs = [(t, p) for t in task_list for p in providers]
    answered = {(r.task, r.provider) for r in collected}
    for task, provider in pairs:
        if (task.id, provider) not in answered:
            lost = Result(provider, models[provider], task.id, task.kind, lang)
            lost.mode = _mode_of(provider, modes)
            lost.error = "결과를 받지 못했습니다(비교 코드 내부 오류)."
            collected.append(lost)
    order = {(t.id, p): i for i, (t, p) in enumerate(pairs)}
    collected.sort(key=lambda r: order[(r.task, r.provider)])
    comparison = Comparison(collected, wall, concurrent and len(providers) > 1, lang, providers)
    bar.close(comparison.summary())
    return comparison


@contextmanager
def replay_speed(speed: float | None):
    """Inside the block, replayed streams keep their stored delays × ``speed`` (0: no delay).

    Only the replay server is affected; providers running live are untouched. ``None`` leaves
    the speed as ``helpers.setup()`` set it (``LLM_LAB_REPLAY_SPEED``).
    """
    from .replay import get_server

    server = get_server(create=False)
    if server is None or speed is None:
        yield
        return
    previous = server.speed
    server.speed = max(0.0, float(speed))
    try:
        yield
    finally:
        server.speed = previous


# ------------------------------------------------------------------------------------------------
# Tables and charts
# ------------------------------------------------------------------------------------------------

# Who answered, and with which model, come right after the provider.
_FIRST_COLUMNS = ["provider", "mode", "model", "answered_model"]
COLUMNS = _FIRST_COLUMNS + [f.name for f in fields(Result) if f.name not in _FIRST_COLUMNS]

# What a row's numbers are, by mode: every table and chart built from results says it.
MODE_NOTES = {
    "replay": "리플레이(replay): 작성한 예시 응답 — 실제 성능이 아닙니다.",
    "record": "녹화(record): 실제 API의 응답을 리플레이 서버를 거쳐 받아 잰 값입니다.",
    None: "모드를 알 수 없는 행은 실제로 잰 값인지 알 수 없습니다.",
}
NO_LIVE_NOTE = "라이브로 받은 행이 없어 가장 빠르거나 싼 곳을 표시하지 않습니다."
SOME_LIVE_NOTE = "초록색 표시는 라이브로 받은 행 중에서만 고릅니다."
UNKNOWN_MODE_LABEL = "알 수 없음"


def _clean_mode(mode: Any) -> str | None:
    return mode if isinstance(mode, str) and mode in MODE_LABELS else None


def _mode_label(mode: Any) -> str:
    mode = _clean_mode(mode)
    return UNKNOWN_MODE_LABEL if mode is None else MODE_LABELS[mode]


def _modes_of(frame) -> list[str | None]:
    """The modes in a results frame, in order of appearance (an old frame: unknown)."""
    if "mode" not in frame.columns:
        return [None] if len(frame) else []
    return list(dict.fromkeys(_clean_mode(m) for m in frame["mode"]))


def mode_note(modes: Any) -> str:
    """One Korean line saying what the rows that did not come live are ("" when all are live).

    ``modes`` is a results frame (its ``mode`` column) or the modes themselves.
    """
    if hasattr(modes, "columns"):
        modes = _modes_of(modes)
    found = list(dict.fromkeys(_clean_mode(m) for m in modes))
    return " ".join(MODE_NOTES[m] for m in ("replay", "record", None) if m in found)


def to_frame(results: Iterable[Result]):
    """One row per call (tidy); token counts are nullable integers, missing numbers are NaN."""
    import pandas as pd

    frame = pd.DataFrame([asdict(r) for r in results], columns=COLUMNS)
    frame["mode"] = frame["mode"].astype("object")
    frame["answered_model"] = frame["answered_model"].astype("object")
    for column in ("input_tokens", "output_tokens"):
        frame[column] = frame[column].astype("Int64")
    for column in ("latency_s", "ttft_s", "cost_usd"):
        frame[column] = frame[column].astype("float64")
    frame["truncated"] = frame["truncated"].astype("boolean")
    return frame


def save_csv(frame, path: str | Path, *, encoding: str = "utf-8-sig") -> Path:
    """Save ``frame`` as CSV (no index) atomically; returns the path.

    ``utf-8-sig`` puts a BOM first so that Excel shows Korean correctly. The file is written next
    to its target and renamed into place, so a failed write (a full disk) leaves the previous CSV
    as it was instead of a truncated one. The folder is created if needed.
    """
    from .atomic import write_text_atomic

    target = Path(path)
    write_text_atomic(target, frame.to_csv(index=False, lineterminator="\n"), encoding=encoding)
    return target


def _label(provider: str) -> str:
    return PROVIDERS[provider].label if provider in PROVIDERS else provider


def _answered(frame):
    """The model that answered each row; the requested one where the response named none."""
    if "answered_model" not in frame.columns:
        return frame["model"]
    return frame["answered_model"].where(frame["answered_model"].notna(), frame["model"])


def _same_model(answered: str, requested: str) -> bool:
    known = catalog.resolve(answered)
    return known is not None and known == catalog.resolve(requested)


def _model_text(group) -> str:
    """``answered``, or ``answered (요청: requested)`` when another model answered than the one
    requested (lenient replay with a model no fixture has), for each model a provider's rows name."""
    ok = group[group["error"].isna()]
    rows = ok if len(ok) else group
    pairs = dict.fromkeys(zip(_answered(rows), rows["model"], strict=True))
    # a dated snapshot or a provider's own id of the requested model is the same model
    return ", ".join(
        answered
        if answered == requested or _same_model(answered, requested)
        else f"{answered} (요청: {requested})"
        for answered, requested in pairs
    )


def summary_table(frame):
    """Per provider: its mode, the model that answered, successes, mean latency and time to first
    token, tokens and cost summed."""
    import pandas as pd

    rows, modes = [], {}
    for provider, group in frame.groupby("provider", sort=False):
        ok = group[group["error"].isna()]
        costs = ok["cost_usd"]
        modes[_label(provider)] = _modes_of(group)
        rows.append(
            {
                "공급자": _label(provider),
                "모드": " · ".join(_mode_label(m) for m in _modes_of(group)),
                "모델": _model_text(group),
                "성공": f"{len(ok)}/{len(group)}",
                "평균 지연(초)": ok["latency_s"].mean(),
                "평균 첫 토큰(초)": ok["ttft_s"].mean(),
                "입력 토큰(합)": ok["input_tokens"].sum(min_count=1),
                "출력 토큰(합)": ok["output_tokens"].sum(min_count=1),
                # unknown when any successful call has no price
                "예상 비용(합)": costs.sum()
                if len(costs) and costs.notna().all()
                else float("nan"),
                "잘린 답변": int(ok["truncated"].fillna(False).sum()),
            }
        )
    table = pd.DataFrame(rows).set_index("공급자")
    table.attrs["modes"] = modes  # per row, the modes behind its 모드 label (style_summary)
    return table


def _styler_available() -> bool:
    try:
        import jinja2  # noqa: F401 - pandas' Styler needs it
    except ImportError:
        return False
    return True


def _styler(data, uuid: str):
    """A pandas Styler with stable element ids (a saved notebook does not change on every run)
    and a plain-text form for terminals and logs instead of ``<Styler at 0x…>``."""
    from pandas.io.formats.style import Styler

    class TableStyler(Styler):
        def __repr__(self) -> str:
            text = self.data.to_string()
            return f"{text}\n{self.caption}" if self.caption else text

    return TableStyler(data, uuid=uuid, cell_ids=False)


def _plain(table, caption: str):
    """Without jinja2 there is no Styler: the caption becomes a printed line above the table."""
    if caption:
        print(caption)
    return table


CAPTION_STYLE = [
    {"selector": "caption", "props": "caption-side: top; text-align: left; color: #8a4b00;"}
]


def _summary_modes(table) -> tuple[list[Any], list[str | None]]:
    """The summary's live rows (index labels) and every mode behind its rows (summary_table keeps
    them in ``table.attrs``; a table from elsewhere counts as unknown)."""
    per_row = table.attrs.get("modes", {})
    live = [index for index in table.index if per_row.get(index) == ["live"]]
    modes = [mode for index in table.index for mode in per_row.get(index, [None])]
    return live, modes


def _summary_caption(live: list[Any], modes: list[str | None], rows: int) -> str:
    note = mode_note(modes)
    if not live and rows:
        return f"{note} {NO_LIVE_NOTE}".strip()
    if note:
        return f"{note} {SOME_LIVE_NOTE}"
    return ""


def style_summary(table):
    """The summary table, formatted: unknown prices spelled out, and the fastest and cheapest
    highlighted among the rows that came live only (replayed numbers are authored, not measured).
    A caption says when rows are replayed and why nothing, or only some rows, can be the best."""
    live, modes = _summary_modes(table)
    caption = _summary_caption(live, modes, len(table))
    if not _styler_available():
        return _plain(table, caption)
    import pandas as pd

    def seconds(value):
        return "-" if pd.isna(value) else f"{value:.2f}"

    def tokens(value):
        return "-" if pd.isna(value) else f"{int(value):,}"

    def cost(value):
        return catalog.format_cost(None if pd.isna(value) else float(value))

    best = "background-color: #d9f2e4; font-weight: bold"
    styler = (
        _styler(table, "compare-summary")
        .format(
            {
                "평균 지연(초)": seconds,
                "평균 첫 토큰(초)": seconds,
                "입력 토큰(합)": tokens,
                "출력 토큰(합)": tokens,
                "예상 비용(합)": cost,
            }
        )
        .set_table_styles(CAPTION_STYLE, overwrite=False)
    )
    if live:  # only measured rows can be "the fastest" or "the cheapest"
        rows = pd.IndexSlice[live, ["평균 지연(초)", "평균 첫 토큰(초)"]]
        styler = styler.highlight_min(subset=rows, props=best)
        styler = styler.highlight_min(subset=pd.IndexSlice[live, ["예상 비용(합)"]], props=best)
    return styler.set_caption(caption) if caption else styler


RESULT_LABELS = {
    "provider": "공급자",
    "mode": "모드",
    "model": "모델",  # the model that answered
    "kind": "작업",
    "latency_s": "지연(초)",
    "ttft_s": "첫 토큰(초)",
    "input_tokens": "입력 토큰",
    "output_tokens": "출력 토큰",
    "cost_usd": "예상 비용",
    "finish_reason": "종료 이유",
    "error": "오류",
}


def style_results(frame):
    """Every call without the answer text: its mode and the model that answered (a caption says
    when rows are replayed); rows that failed are tinted."""
    import pandas as pd

    view = frame.reindex(columns=list(RESULT_LABELS)).copy()
    view["model"] = _answered(frame)
    view["mode"] = [_mode_label(m) for m in view["mode"]]
    view["provider"] = view["provider"].map(_label)
    view = view.rename(columns=RESULT_LABELS)
    caption = mode_note(frame)
    if not _styler_available():
        return _plain(view, caption)

    def tint(row):
        failed = isinstance(row["오류"], str)
        return ["background-color: #fde2e1" if failed else ""] * len(row)

    def seconds(value):
        return "-" if pd.isna(value) else f"{value:.2f}"

    def tokens(value):
        return "-" if pd.isna(value) else f"{int(value):,}"

    styler = (
        _styler(view, "compare-results")
        .apply(tint, axis=1)
        .format(
            {
                "지연(초)": seconds,
                "첫 토큰(초)": seconds,
                "입력 토큰": tokens,
                "출력 토큰": tokens,
                "예상 비용": lambda v: catalog.format_cost(None if pd.isna(v) else float(v)),
                "종료 이유": lambda v: "-" if v is None or pd.isna(v) else v,
                "오류": lambda v: "" if v is None or pd.isna(v) else v,
            }
        )
        .hide(axis="index")
        .set_table_styles(CAPTION_STYLE, overwrite=False)
    )
    return styler.set_caption(caption) if caption else styler


def _koreanize() -> None:
    """Register the bundled Hangul font; if it cannot be, say why the labels will be boxes."""
    from .fonts import use_korean_font

    try:
        use_korean_font()
    except (OSError, RuntimeError) as exc:  # file missing or unreadable (FreeType: RuntimeError)
        warnings.warn(
            f"한글 글꼴을 등록하지 못해 그래프의 한글이 네모(□)로 보일 수 있습니다: {exc}",
            stacklevel=3,
        )


def plot_metrics(frame, *, per: int = 1000):
    """Three bar charts per task, one bar per provider: latency, output tokens, and the estimated
    cost of ``per`` identical calls. Failed calls are left out; a provider without a price says
    so on the cost chart. The legend names each provider's mode, and a box under the charts says
    when bars come from replayed (authored) responses. Returns the matplotlib Figure."""
    _koreanize()
    import matplotlib.pyplot as plt
    import numpy as np

    ok = frame[frame["error"].isna()]
    tasks = list(dict.fromkeys(frame["task"]))
    kind_of = dict(zip(frame["task"], frame["kind"], strict=True))
    kinds = list(kind_of.values())
    labels = [kind_of[t] if kinds.count(kind_of[t]) == 1 else f"{kind_of[t]}\n({t})" for t in tasks]
    providers = list(dict.fromkeys(frame["provider"]))
    modes = {p: _modes_of(frame[frame["provider"] == p]) for p in providers}
    legend_names = {
        p: f"{_label(p)} · {' · '.join(_mode_label(m) for m in modes[p])}" for p in providers
    }
    x = np.arange(len(tasks))
    width = 0.8 / max(1, len(providers))
    charts = [
        ("latency_s", "지연 시간(초)", 1),
        ("output_tokens", "출력 토큰 수", 1),
        ("cost_usd", f"예상 비용(같은 호출 {per:,}번, USD)", per),
    ]
    fig, axes = plt.subplots(1, len(charts), figsize=(15, 4.4))
    for ax, (column, title, scale) in zip(axes, charts, strict=True):
        unpriced = []
        for j, provider in enumerate(providers):
            rows = ok[ok["provider"] == provider].set_index("task")[column]
            values = [
                float(rows[t]) * scale if t in rows.index and not _isna(rows[t]) else np.nan
                for t in tasks
            ]
            if column == "cost_usd" and np.all(np.isnan(values)):
                unpriced.append(_label(provider))
            ax.bar(
                x + (j - (len(providers) - 1) / 2) * width,
                values,
                width,
                label=legend_names[provider],
                color=COLORS.get(provider),
            )
        ax.set_xticks(x, labels)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        if unpriced:
            ax.text(
                0.02,
                0.97,
                f"{', '.join(unpriced)}: 가격 정보 없음",
                transform=ax.transAxes,
                va="top",
                fontsize=9,
                color="#555555",
            )
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.94), ncol=len(names))
    fig.suptitle("작업별 공급자 비교 (실패한 호출은 빠짐)", y=0.995)
    note = mode_note(frame)
    if note:
        fig.text(
            0.5,
            0.015,
            note,
            ha="center",
            va="bottom",
            fontsize=10,
            color="#8a4b00",
            bbox={"boxstyle": "round", "facecolor": "#fff4e0", "edgecolor": "#e0b070"},
        )
    fig.tight_layout(rect=(0, 0.07 if note else 0, 1, 0.88))
    return fig


def _isna(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
