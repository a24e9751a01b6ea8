"""Parameter playground for lesson 01: try temperature, top_p and max_completion_tokens.

The logic (:func:`build_request`, :func:`run_request`, :func:`format_result`) is plain Python and
unit-tested; :func:`playground` only wires it to ipywidgets. Widgets never call the API when a
slider moves — only the 실행 button does.

Works with ipywidgets 7.7 (Colab) and 8.x: it uses only APIs both have (``layout=Layout(...)``,
``style={'description_width': ...}``, ``Button.on_click``, ``observe(names='value')``, and the
``Output.outputs`` trait with ``append_stdout``/``append_stderr``). The output area is cleared by
resetting ``outputs`` rather than ``clear_output()``, which in 7.x only clears the front end and
lets old text come back on the next append.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from . import catalog

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

    @property
    def ok(self) -> bool:
        return self.error is None


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
        self.note = widgets.HTML(value=self._note_html())
        self.button = widgets.Button(
            description="실행", button_style="primary", icon="play", layout=widgets.Layout()
        )
        self.output = widgets.Output(
            layout=widgets.Layout(border="1px solid #ccc", padding="4px", width="95%")
        )
        help_text = widgets.HTML(
            value="<small>슬라이더를 움직여도 API는 호출되지 않습니다. <b>실행</b>을 눌러야 "
            "한 번 호출합니다. max_completion_tokens가 0이면 제한 없이 보냅니다.</small>"
        )
        for slider in (self.temperature, self.top_p):
            slider.observe(self._on_slider, names="value")
        self.button.on_click(self._on_click)
        self.box = widgets.VBox(
            [
                self.prompt,
                self.model,
                self.temperature,
                self.top_p,
                self.max_tokens,
                self.note,
                widgets.HBox([self.button, help_text]),
                self.output,
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

    def request(self) -> RequestKwargs:
        return build_request(
            self.prompt.value,
            self.model.value,
            temperature=round(float(self.temperature.value), 4),
            top_p=round(float(self.top_p.value), 4),
            max_completion_tokens=int(self.max_tokens.value) or None,
            system=self.system,
        )

    def _show(self, text: str, stream: str = "stdout") -> None:
        self.output.outputs = ()
        if stream == "stderr":
            self.output.append_stderr(text + "\n")
        else:
            self.output.append_stdout(text + "\n")

    def _on_click(self, _button: Any = None) -> None:
        self.button.disabled = True
        try:
            try:
                kwargs = self.request()
            except (TypeError, ValueError) as exc:
                self._show(f"❌ {exc}", "stderr")
                return
            self._show("⏳ 호출 중입니다...")
            result = run_request(self.client, kwargs)
            self.results.append(result)
            self._show(
                format_result(result, self.krw_per_usd), "stderr" if result.error else "stdout"
            )
        except Exception as exc:  # noqa: BLE001 - a callback's exception would be invisible
            self._show(f"❌ 예상하지 못한 오류: {type(exc).__name__}: {exc}", "stderr")
        finally:
            self.button.disabled = False


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
