"""Parameter playground for lesson 01: try temperature, top_p and max_completion_tokens.

The logic (:func:`build_request`, :func:`run_request`, :func:`format_result`) is plain Python and
unit-tested; :func:`playground` only wires it to ipywidgets. Widgets never call the API when a
slider moves — only the 실행 button does.

Works with ipywidgets 7.7 (Colab) and 8.x: it uses only APIs both have (``layout=Layout(...)``,
``style={'description_width': ...}``, ``Button.on_click``, ``observe(names='value')``, and the
``Output.outputs`` trait with ``append_stdout``/``append_stderr``). The output area is cleared by
resetting ``outputs`` rather than ``clear_output()``, which in 7.x only clears the front end and
lets old text come back on the next append.

In replay a note under the sliders lists, from the fixture store itself, which settings of the
current prompt have stored answers, and whether the current one does; a replay miss is one short
Korean line with the fix, the server's full diagnostic folded away below it.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any

from . import catalog
from . import replay as _replay
from .replay.store import canonical

__all__ = [
    "API_DEFAULTS",
    "PlaygroundUI",
    "RequestKwargs",
    "RunResult",
    "build_playground",
    "build_request",
    "format_result",
    "playground",
    "run_request",
]

# Values the API uses when a parameter is omitted. temperature/top_p = 1 as in the seed's table and
# OpenAI's API reference (the installed SDK's docstrings give the ranges, not the defaults);
# max_completion_tokens has no fixed default (the model's own limit), so "not set" is None.
API_DEFAULTS: dict[str, Any] = {"temperature": 1.0, "top_p": 1.0, "max_completion_tokens": None}

DEFAULT_PROMPT = "자연어 처리가 무엇인지 한 문장으로 설명해 주세요."

# Where the playground's request goes, as the replay store files it (method, host, path, query).
CHAT_ENDPOINT = ("POST", "api.openai.com", "/v1/chat/completions", "")
# The order settings are named in; anything else a stored request carries comes after.
_SETTING_ORDER = ("model", "temperature", "top_p", "max_completion_tokens")

_FINISH_REASONS = {
    "stop": "자연스럽게 끝남",
    "length": "출력 한도(max_completion_tokens)에 걸려 잘림",
    "content_filter": "콘텐츠 필터로 중단됨",
    "tool_calls": "도구 호출을 요청함",
    "function_call": "함수 호출을 요청함",
}


class RequestKwargs(dict):
    """The kwargs for ``client.chat.completions.create(**kwargs)``, plus Korean ``notes``."""

    def __init__(self, *args: Any, notes: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.notes: list[str] = list(notes or [])


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}은(는) 숫자여야 합니다. 받은 값: {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}은(는) {low}~{high} 사이여야 합니다. 받은 값: {value}")
    return float(value)


def build_request(
    prompt: str,
    model: str,
    temperature: float = 1.0,
    top_p: float = 1.0,
    max_completion_tokens: int | None = None,
    system: str | None = None,
) -> RequestKwargs:
    """Build the kwargs dict for ``client.chat.completions.create``.

    Parameters left at their API defaults (temperature 1, top_p 1, no output limit) are omitted,
    so the request shows exactly what you changed. ``max_completion_tokens`` of ``None`` or 0
    means "no limit". When both temperature and top_p are changed, ``.notes`` carries the
    Korean advice to change only one of them.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("프롬프트가 비어 있습니다. 모델에게 보낼 질문을 입력하세요.")
    if not isinstance(model, str) or not model.strip():
        raise ValueError("모델 id가 비어 있습니다. 예: catalog.default_model('openai')")
    temperature = _number("temperature", temperature, 0.0, 2.0)
    top_p = _number("top_p", top_p, 0.0, 1.0)
    if max_completion_tokens is not None:
        if isinstance(max_completion_tokens, bool) or not isinstance(max_completion_tokens, int):
            raise TypeError(
                f"max_completion_tokens는 정수여야 합니다. 받은 값: {max_completion_tokens!r}"
            )
        if max_completion_tokens < 0:
            raise ValueError("max_completion_tokens는 0(제한 없음) 이상이어야 합니다.")

    messages = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt})
    kwargs = RequestKwargs(model=model, messages=messages)
    temperature_changed = temperature != API_DEFAULTS["temperature"]
    top_p_changed = top_p != API_DEFAULTS["top_p"]
    if temperature_changed:
        kwargs["temperature"] = temperature
    if top_p_changed:
        kwargs["top_p"] = top_p
    if max_completion_tokens:
        kwargs["max_completion_tokens"] = max_completion_tokens
    if temperature_changed and top_p_changed:
        kwargs.notes.append(
            "temperature와 top_p를 둘 다 바꿨습니다. 둘 중 하나만 조절해야 효과를 구분할 수 "
            "있습니다(OpenAI SDK 문서: 'altering this or top_p but not both')."
        )
    return kwargs


@dataclass
class RunResult:
    """What one playground call produced (``error`` is set instead of raising)."""

    model: str
    request: dict[str, Any]
    text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    elapsed_s: float = 0.0
    cost_usd: float | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    # A replay miss: ``error`` is a short Korean line, ``detail`` the server's full diagnostic.
    miss: bool = False
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _is_bad_request(exc: BaseException) -> bool:
    """Whether ``exc`` is the openai SDK's 400 ``BadRequestError`` (openai imported lazily)."""
    try:
        import openai
    except ImportError:  # pragma: no cover - the lesson installs openai
        return False
    return isinstance(exc, openai.BadRequestError)


def run_request(client: Any, kwargs: dict[str, Any]) -> RunResult:
    """Call ``client.chat.completions.create(**kwargs)`` once and summarise the response.

    Never raises for API errors: the exception becomes ``RunResult.error`` (Korean), so a widget
    or a lesson cell keeps running. The cost is estimated with :func:`catalog.estimate_cost`.
    """
    model = str(kwargs.get("model"))
    notes = list(getattr(kwargs, "notes", []))
    result = RunResult(model=model, request=dict(kwargs), notes=notes)
    started = time.perf_counter()
    try:
        response = client.chat.completions.create(**kwargs)
    except Exception as exc:  # noqa: BLE001 - shown to the learner, not raised
        result.elapsed_s = time.perf_counter() - started
        if _replay.is_miss(exc):
            result.miss, result.detail = True, _replay.miss_detail(exc)
            result.error = (
                "리플레이에 이 요청의 저장된 응답이 없습니다. 키를 넣어 실제 API로 실행하세요."
            )
        elif _is_bad_request(exc):
            # The SDK's create() docstring: "Parameter support can differ depending on the model
            # used to generate the response, particularly for newer reasoning models."
            result.error = (
                f"모델이 이 요청을 거절했습니다({type(exc).__name__}): "
                f"{getattr(exc, 'message', exc)}\n"
                "→ SDK 설명대로 매개변수 지원은 모델마다, 특히 새 추론 모델에서 다를 수 "
                "있습니다. temperature와 top_p를 1.0(기본값)으로 되돌리거나 다른 모델을 골라 "
                "보세요."
            )
        else:
            result.error = f"API 호출이 실패했습니다: {type(exc).__name__}: {exc}"
        return result
    result.elapsed_s = time.perf_counter() - started
    try:
        choice = response.choices[0]
        result.text = choice.message.content
        result.finish_reason = choice.finish_reason
    except (AttributeError, IndexError, TypeError) as exc:
        result.error = f"응답에서 답을 읽지 못했습니다: {type(exc).__name__}: {exc}"
    usage = getattr(response, "usage", None)
    if usage is not None:
        result.prompt_tokens = getattr(usage, "prompt_tokens", None)
        result.completion_tokens = getattr(usage, "completion_tokens", None)
        result.total_tokens = getattr(usage, "total_tokens", None)
        if isinstance(result.prompt_tokens, int) and isinstance(result.completion_tokens, int):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", catalog.UnknownModelWarning)
                result.cost_usd = catalog.estimate_cost(
                    model, result.prompt_tokens, result.completion_tokens
                )
    return result


def format_result(result: RunResult, krw_per_usd: float | None = None) -> str:
    """Korean multi-line summary of a :class:`RunResult`."""
    params = {k: v for k, v in result.request.items() if k not in ("model", "messages")}
    shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "모두 기본값"
    lines = [f"요청: 모델 {result.model} · {shown}"]
    lines += [f"참고: {note}" for note in result.notes]
    if result.error:
        lines.append(f"❌ {result.error}")
        return "\n".join(lines)
    lines.append("─" * 40)
    lines.append(result.text if result.text else "(빈 응답)")
    lines.append("─" * 40)
    reason = result.finish_reason or "?"
    lines.append(f"종료 이유: {reason} ({_FINISH_REASONS.get(reason, '알 수 없음')})")
    if result.total_tokens is not None:
        lines.append(
            f"토큰: 입력 {result.prompt_tokens:,} · 출력 {result.completion_tokens:,} · "
            f"합계 {result.total_tokens:,}"
        )
    else:
        lines.append("토큰: 응답에 usage가 없습니다")
    cost = catalog.format_cost(result.cost_usd, krw_per_usd)
    lines.append(f"걸린 시간: {result.elapsed_s:.2f}초 · 예상 비용: {cost}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Stored settings (replay)
# ------------------------------------------------------------------------------------------------


def _shown_value(name: str, body: dict[str, Any]) -> Any:
    """A setting as the controls show it; a request that leaves it out means the API default."""
    if name in body:
        return body[name]
    if name == "max_completion_tokens":
        return 0  # the slider's "no limit"
    return API_DEFAULTS.get(name)


def _format_setting(name: str, value: Any) -> str:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "model":
        return f"모델 {value}"
    if name == "temperature" and number:
        return f"temperature {value:.1f}"
    if name == "top_p" and number:
        return f"top_p {value:.2f}"
    if name == "max_completion_tokens" and value == 0:
        return "max_completion_tokens 0(제한 없음)"
    return f"{name} {value if number or isinstance(value, str) else canonical(value)}"


def _setting_names(*bodies: dict[str, Any]) -> list[str]:
    extra = set().union(*bodies) - set(_SETTING_ORDER) - {"messages"}
    return [*_SETTING_ORDER, *sorted(extra)]


def describe_setting(body: dict[str, Any], first: dict[str, Any]) -> str:
    """``body``'s settings as what differs from ``first`` (the playground's opening settings).

    >>> describe_setting({"model": "m", "temperature": 0.0}, {"model": "m"})
    'temperature 0.0'
    """
    parts = [
        _format_setting(name, _shown_value(name, body))
        for name in _setting_names(body, first)
        if _shown_value(name, body) != _shown_value(name, first)
    ]
    return " · ".join(parts) or "처음 설정"


def describe_first(first: dict[str, Any]) -> str:
    """The opening settings in full, e.g. ``모델 gpt-5.4-mini · temperature 1.0 · …``."""
    names = [n for n in _setting_names(first) if n in _SETTING_ORDER or n in first]
    return " · ".join(_format_setting(n, _shown_value(n, first)) for n in names)


# ------------------------------------------------------------------------------------------------
# Widgets
# ------------------------------------------------------------------------------------------------


def _default_models() -> list[str]:
    default = catalog.default_model("openai")
    others = [
        m for m in catalog.known_models("openai") if m != default and catalog.deprecation(m) is None
    ]
    return [default, *others]


class PlaygroundUI:
    """The widgets of one playground; ``box`` is what a notebook displays."""

    def __init__(
        self,
        client: Any,
        models: list[str] | None = None,
        prompt: str = DEFAULT_PROMPT,
        system: str | None = None,
        krw_per_usd: float | None = None,
    ):
        import ipywidgets as widgets

        self.client = client
        self.system = system
        self.krw_per_usd = krw_per_usd
        self.results: list[RunResult] = []
        models = list(models) if models else _default_models()
        wide = widgets.Layout(width="95%")
        label_style = {"description_width": "170px"}

        self.prompt = widgets.Textarea(
            value=prompt,
            description="프롬프트",
            layout=widgets.Layout(width="95%", height="80px"),
            style=label_style,
        )
        self.model = widgets.Dropdown(
            options=models, value=models[0], description="모델", style=label_style
        )
        self.temperature = widgets.FloatSlider(
            value=1.0,
            min=0.0,
            max=2.0,
            step=0.1,
            description="temperature",
            readout_format=".1f",
            continuous_update=False,
            layout=wide,
            style=label_style,
        )
        self.top_p = widgets.FloatSlider(
            value=1.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="top_p",
            readout_format=".2f",
            continuous_update=False,
            layout=wide,
            style=label_style,
        )
        self.max_tokens = widgets.IntSlider(
            value=200,
            min=0,
            max=2000,
            step=10,
            description="max_completion_tokens",
            continuous_update=False,
            layout=wide,
            style=label_style,
        )
        # The opening settings: stored settings are named by how they differ from these.
        self.first = self._try_request()
        self.note = widgets.HTML(value=self._note_html())
        self.replay_note = widgets.HTML(value=self.replay_note_html(), layout=wide)
        self.button = widgets.Button(
            description="실행", button_style="primary", icon="play", layout=widgets.Layout()
        )
        self.output = widgets.Output(
            layout=widgets.Layout(border="1px solid #ccc", padding="4px", width="95%")
        )
        self.details = widgets.HTML(value="", layout=wide)
        help_text = widgets.HTML(
            value="<small>슬라이더를 움직여도 API는 호출되지 않습니다. <b>실행</b>을 눌러야 "
            "한 번 호출합니다. max_completion_tokens가 0이면 제한 없이 보냅니다.</small>"
        )
        for control in (self.temperature, self.top_p):
            control.observe(self._on_slider, names="value")
        for control in (self.prompt, self.model, self.max_tokens):
            control.observe(self._on_setting, names="value")
        self.button.on_click(self._on_click)
        self.box = widgets.VBox(
            [
                self.prompt,
                self.model,
                self.temperature,
                self.top_p,
                self.max_tokens,
                self.note,
                self.replay_note,
                widgets.HBox([self.button, help_text]),
                self.output,
                self.details,
            ]
        )

    # logic ---------------------------------------------------------------------------------
    def _note_html(self) -> str:
        both = self.temperature.value != 1.0 and self.top_p.value != 1.0
        if not both:
            return ""
        return (
            "<span style='color:#b45309'>⚠️ temperature와 top_p를 둘 다 바꿨습니다. "
            "하나만 바꿔야 효과를 비교할 수 있습니다.</span>"
        )

    def _on_slider(self, change: dict) -> None:
        self.note.value = self._note_html()
        self._on_setting(change)

    def _on_setting(self, change: dict) -> None:
        self.replay_note.value = self.replay_note_html()

    def request(self) -> RequestKwargs:
        return build_request(
            self.prompt.value,
            self.model.value,
            temperature=round(float(self.temperature.value), 4),
            top_p=round(float(self.top_p.value), 4),
            max_completion_tokens=int(self.max_tokens.value) or None,
            system=self.system,
        )

    def _try_request(self) -> RequestKwargs | None:
        try:
            return self.request()
        except (TypeError, ValueError):
            return None

    # replay --------------------------------------------------------------------------------
    def _replay_server(self) -> Any:
        """The replay server answering this client, or None when calls reach the real API."""
        server = _replay.server_for(self.client)
        if server is None or server.modes.get("openai") == "record":
            return None
        return server

    def _reachable(self, body: dict[str, Any]) -> bool:
        """Whether these controls can send exactly ``body``, so naming it as a choice is true.

        A stored ``temperature: 0`` is not ``0.0`` to the strict matcher, and 12 tokens is not on
        a slider with step 10: such exchanges answer the lesson's cells, not the playground.
        """
        values = [body.get("temperature", 1.0), body.get("top_p", 1.0)]
        limit = body.get("max_completion_tokens", 0)
        if body.get("model") not in self.model.options or not isinstance(limit, int):
            return False
        sliders = (self.temperature, self.top_p, self.max_tokens)
        if not all(_on_slider(s, v) for s, v in zip(sliders, [*values, limit], strict=True)):
            return False
        try:
            rebuilt = build_request(
                self.prompt.value,
                body["model"],
                temperature=values[0],
                top_p=values[1],
                max_completion_tokens=limit or None,
                system=self.system,
            )
        except (TypeError, ValueError):
            return False
        return canonical(dict(rebuilt)) == canonical(body)

    def stored_choices(self, kwargs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Request bodies with stored answers for the current prompt that the controls can send."""
        server = self._replay_server()
        kwargs = kwargs if kwargs is not None else self._try_request()
        if server is None or kwargs is None:
            return []
        seen, choices = set(), []
        for exchange in server.store.same_conversation(*CHAT_ENDPOINT, dict(kwargs)):
            key = canonical(exchange.body)
            if (
                key not in seen
                and isinstance(exchange.body, dict)
                and self._reachable(exchange.body)
            ):
                seen.add(key)
                choices.append(exchange.body)
        return choices

    def _choices_text(self, choices: list[dict[str, Any]]) -> str:
        # Choices are separated by commas; the parts of one choice by middle dots.
        return ", ".join(describe_setting(body, self.first or {}) for body in choices)

    def _stand_in(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """The stored body a lenient server answers ``kwargs`` with, when it is not exact."""
        server = self._replay_server()
        if server is None or server.strict:
            return None
        match = server.store.peek(*CHAT_ENDPOINT, dict(kwargs))
        if match.exchange is None or match.exact:
            return None
        return match.exchange.body

    def replay_note_html(self) -> str:
        """Korean note: live/record, or which settings replay has stored answers for."""
        if _replay.server_for(self.client) is None:
            return (
                "<small>🌐 <b>라이브 모드</b>: 실행하면 실제 OpenAI API를 호출합니다. 어떤 설정이든 "
                "실험할 수 있지만, 호출마다 요금이 부과됩니다.</small>"
            )
        server = self._replay_server()
        if server is None:
            return (
                "<small>⏺ <b>녹화 모드</b>: 실행하면 실제 API를 호출하고, 그 응답을 픽스처로 "
                "저장합니다(요금이 부과됩니다).</small>"
            )
        kwargs = self._try_request()
        if kwargs is None:
            return ""  # the button explains bad input
        return f"<small>📼 {html.escape(self._stored_text(kwargs), quote=False)}</small>".replace(
            "\n", "<br>"
        )

    def _stored_text(self, kwargs: RequestKwargs) -> str:
        choices = self.stored_choices(kwargs)
        if not choices:
            stand_in = self._stand_in(kwargs)
            lines = [self._no_prompt_line()]
            if stand_in is not None:
                lines.append(
                    "⚠️ 엄격 모드가 꺼져 있어, 실행하면 같은 프롬프트의 다른 설정("
                    f"{describe_setting(stand_in, self.first or {})})으로 저장된 응답이 대신 "
                    "나옵니다. 이 설정으로 만든 답이 아닙니다."
                )
            return "\n".join(lines)
        first = describe_first(self.first or {})
        lines = [
            "리플레이에는 이 프롬프트에 대해 다음 설정의 응답이 저장되어 있습니다: "
            f"{self._choices_text(choices)} (적지 않은 값은 처음 설정 그대로입니다. "
            f"처음 설정: {first})."
        ]
        server = self._replay_server()
        if server.store.peek(*CHAT_ENDPOINT, dict(kwargs)).exact:
            lines.append("✅ 지금 설정에는 저장된 응답이 있습니다.")
        elif server.strict:
            lines.append(
                "⚠️ 지금 설정에는 저장된 응답이 없어, 실행해도 답이 나오지 않습니다(엄격 모드). "
                "위 설정 중 하나로 바꾸세요."
            )
        else:
            stand_in = self._stand_in(kwargs) or {}
            lines.append(
                "⚠️ 지금 설정에는 저장된 응답이 없습니다. 엄격 모드가 꺼져 있어, 실행하면 저장된 "
                f"다른 설정({describe_setting(stand_in, self.first or {})})의 응답이 대신 "
                "나옵니다. 이 설정으로 만든 답이 아닙니다."
            )
        return "\n".join(lines)

    def _no_prompt_line(self) -> str:
        if self.first is not None and self.prompt.value != self.first["messages"][-1]["content"]:
            return (
                "이 프롬프트에는 저장된 응답이 없습니다. 처음 프롬프트로 되돌리거나, 키를 넣어 "
                "실제 API로 실행하세요."
            )
        return "이 프롬프트에는 저장된 응답이 없습니다. 키를 넣어 실제 API로 실행하세요."

    def miss_line(self, kwargs: RequestKwargs) -> str:
        """The one Korean line a replay miss shows: what is stored and how to get an answer."""
        choices = self.stored_choices(kwargs)
        if not choices:
            return self._no_prompt_line()
        return (
            f"이 설정에 저장된 응답이 없습니다. 저장된 설정({self._choices_text(choices)}) 중 "
            "하나로 바꾸거나, 키를 넣어 실제 API로 실행하세요."
        )

    # output --------------------------------------------------------------------------------
    def _show(self, text: str, stream: str = "stdout") -> None:
        self.output.outputs = ()
        if stream == "stderr":
            self.output.append_stderr(text + "\n")
        else:
            self.output.append_stdout(text + "\n")

    def _show_details(self, detail: str | None) -> None:
        if not detail:
            self.details.value = ""
            return
        self.details.value = (
            "<details><summary><small>자세한 진단 보기(리플레이 서버 메시지)</small></summary>"
            "<pre style='white-space:pre-wrap;font-size:0.85em'>"
            f"{html.escape(detail, quote=False)}</pre></details>"
        )

    def _on_click(self, _button: Any = None) -> None:
        self.button.disabled = True
        self._show_details(None)
        try:
            try:
                kwargs = self.request()
            except (TypeError, ValueError) as exc:
                self._show(f"❌ {exc}", "stderr")
                return
            stand_in = self._stand_in(kwargs)
            if stand_in is not None:
                kwargs.notes.append(
                    "이 설정에 저장된 응답이 없어, 저장된 다른 설정("
                    f"{describe_setting(stand_in, self.first or {})})의 응답을 대신 보여 줍니다. "
                    "이 설정으로 만든 답이 아닙니다."
                )
            self._show("⏳ 호출 중입니다...")
            result = run_request(self.client, kwargs)
            if result.miss:
                result.error = self.miss_line(kwargs)
            self.results.append(result)
            self._show(
                format_result(result, self.krw_per_usd), "stderr" if result.error else "stdout"
            )
            self._show_details(result.detail)
        except Exception as exc:  # noqa: BLE001 - a callback's exception would be invisible
            self._show(f"❌ 예상하지 못한 오류: {type(exc).__name__}: {exc}", "stderr")
        finally:
            self.button.disabled = False


def _on_slider(slider: Any, value: Any) -> bool:
    """Whether a slider can be set to ``value`` exactly (in range and on its step)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if not slider.min <= value <= slider.max:
        return False
    steps = (value - slider.min) / slider.step
    return abs(steps - round(steps)) < 1e-6


def build_playground(
    client: Any,
    models: list[str] | None = None,
    *,
    prompt: str = DEFAULT_PROMPT,
    system: str | None = None,
    krw_per_usd: float | None = None,
) -> PlaygroundUI:
    """Build the playground and return its :class:`PlaygroundUI` (for tests and customising)."""
    return PlaygroundUI(client, models, prompt=prompt, system=system, krw_per_usd=krw_per_usd)


def playground(
    client: Any,
    models: list[str] | None = None,
    *,
    prompt: str = DEFAULT_PROMPT,
    system: str | None = None,
    krw_per_usd: float | None = None,
):
    """Return the playground widget (an ``ipywidgets.VBox``) for a notebook cell to display.

    ``client`` is the lesson's own ``OpenAI()`` client; ``models`` defaults to the catalog's
    OpenAI models that the installed SDK does not mark as deprecated, default model first.
    """
    return build_playground(
        client, models, prompt=prompt, system=system, krw_per_usd=krw_per_usd
    ).box
