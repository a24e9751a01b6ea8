"""Model catalog: default model ids, context sizes, prices and deprecations.

Every lesson reads its default models from ``helpers/data/models.json`` through this module, so a
model change is a one-line data change. Deprecation dates are not copied into the data file: they are
read from the *installed* SDKs (``openai``'s ``ChatModel`` docstring and
``anthropic._data.DEPRECATED_MODELS``) by reading their source files, without importing the SDKs.

Import-light on purpose: nothing heavy (pandas, openai, anthropic) is imported at module import.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "Deprecation",
    "ModelDeprecationWarning",
    "ModelInfo",
    "UnknownModelError",
    "UnknownModelWarning",
    "default_model",
    "deprecation",
    "estimate_cost",
    "format_cost",
    "known_models",
    "load_catalog",
    "model_info",
    "models_table",
    "sdk_deprecations",
    "warn_if_deprecated",
]

PROVIDERS = ("openai", "anthropic", "huggingface")


class UnknownModelWarning(UserWarning):
    """Issued when a model id is not in models.json (allowed, but no price/context is known)."""


class ModelDeprecationWarning(UserWarning):
    """Issued by :func:`warn_if_deprecated` for a model the installed SDK marks for shutdown."""


class UnknownModelError(KeyError):
    """Raised by ``model_info(..., strict=True)`` for an id that is not in models.json."""

    def __str__(self) -> str:  # KeyError would wrap the Korean message in quotes
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ModelInfo:
    """One row of models.json (or an empty row for an unknown model, ``known=False``)."""

    id: str
    provider: str | None
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_price_per_1m: float | None = None
    output_price_per_1m: float | None = None
    reasoning: bool | None = None
    source: str | None = None
    checked: str | None = None
    note: str = ""
    sources: tuple[dict[str, Any], ...] = ()
    known: bool = True

    @property
    def has_price(self) -> bool:
        return self.input_price_per_1m is not None and self.output_price_per_1m is not None


@dataclass(frozen=True)
class Deprecation:
    """A model's announced end of life, as found in an installed SDK (or models.json)."""

    model: str
    provider: str
    shutdown: str | None  # ISO date "YYYY-MM-DD", or None when the source gives no date
    source: str  # e.g. "openai 3.57.0: openai/types/shared/chat_model.py"
    detail: str = ""
    raw_date: str | None = None  # the date exactly as the source wrote it
    retired: bool = field(default=False)  # True when the shutdown date is today or earlier

    def describe(self) -> str:
        """Korean one-line description."""
        if self.shutdown is None:
            when = "종료일이 명시되지 않았습니다"
        elif self.retired and self.source.startswith("models.json"):
            when = f"{self.shutdown}에 이미 종료되었습니다 — 요청하면 오류가 납니다"
        elif self.retired:
            when = f"발표된 종료일({self.shutdown})이 지났습니다 — 요청이 실패할 가능성이 큽니다"
        else:
            when = f"{self.shutdown}에 종료될 예정입니다"
        return f"'{self.model}' 모델은 {when}. (출처: {self.source})"


# --------------------------------------------------------------------------------------------
# models.json
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _raw_catalog() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data/models.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_catalog() -> dict[str, Any]:
    """Return a deep copy of models.json (safe to modify)."""
    return json.loads(json.dumps(_raw_catalog()))


def known_models(provider: str | None = None) -> list[str]:
    """Model ids in models.json, optionally only one provider's, in file order."""
    models = _raw_catalog()["models"]
    return [m for m, row in models.items() if provider is None or row["provider"] == provider]


def default_model(provider: str, alt: bool = False) -> str:
    """The lesson default for ``provider`` ("openai", "anthropic", "huggingface").

    ``alt=True`` returns the alternative model used for comparisons (only "openai" has one:
    a bigger model).
    """
    defaults = _raw_catalog()["defaults"]
    key = f"{provider}_alt" if alt else provider
    if key not in defaults:
        choices = ", ".join(
            f"default_model({k.removesuffix('_alt')!r}{', alt=True' if k.endswith('_alt') else ''})"
            for k in defaults
        )
        raise ValueError(f"'{key}'에 해당하는 기본 모델이 없습니다. 쓸 수 있는 것: {choices}")
    return defaults[key]


def _guess_provider(model_id: str) -> str | None:
    if model_id.startswith("claude"):
        return "anthropic"
    if re.match(r"^(gpt-|o\d|chatgpt-|codex-)", model_id):
        return "openai"
    if "/" in model_id:
        return "huggingface"
    return None


def model_info(model_id: str, *, strict: bool = False) -> ModelInfo:
    """Look up a model in models.json.

    An unknown id is allowed in lessons (you may try any model): it returns a ``ModelInfo`` with
    ``known=False`` and every number ``None``, and issues a Korean :class:`UnknownModelWarning`
    listing the known ids. With ``strict=True`` it raises :class:`UnknownModelError` instead.
    """
    models = _raw_catalog()["models"]
    row = models.get(model_id)
    if row is None:
        message = (
            f"'{model_id}'은(는) models.json에 없는 모델입니다. 호출은 할 수 있지만 가격·컨텍스트 "
            f"정보가 없어 비용은 계산하지 않습니다. 알려진 모델: {', '.join(models)}"
        )
        if strict:
            raise UnknownModelError(message)
        warnings.warn(message, UnknownModelWarning, stacklevel=2)
        return ModelInfo(id=model_id, provider=_guess_provider(model_id), known=False)
    price = row.get("price_usd_per_1m") or {}
    return ModelInfo(
        id=model_id,
        provider=row["provider"],
        context_window=row.get("context_window"),
        max_output_tokens=row.get("max_output_tokens"),
        input_price_per_1m=price.get("input"),
        output_price_per_1m=price.get("output"),
        reasoning=row.get("reasoning"),
        source=row.get("source"),
        checked=row.get("checked"),
        note=row.get("note", ""),
        sources=tuple(row.get("sources", ())),
        known=True,
    )


# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------


def _check_tokens(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}은(는) 정수(int)여야 합니다. 받은 값: {value!r}")
    if value < 0:
        raise ValueError(f"{name}은(는) 0 이상이어야 합니다. 받은 값: {value}")
    return value


def estimate_cost(model_id: str, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated USD cost of one call: tokens × (USD per 1M tokens) / 1,000,000.

    Uses the standard-tier prices in models.json; cached-input discounts, batch discounts and
    long-context surcharges are not modelled. Returns ``None`` when the price is unknown
    (unknown model, or a model whose price is ``null`` in models.json).
    """
    _check_tokens("input_tokens", input_tokens)
    _check_tokens("output_tokens", output_tokens)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        info = model_info(model_id)
    if not info.known:
        warnings.warn(
            f"'{model_id}'은(는) models.json에 없어 비용을 계산할 수 없습니다(None). "
            f"알려진 모델: {', '.join(known_models())}",
            UnknownModelWarning,
            stacklevel=2,
        )
        return None
    if not info.has_price:
        return None
    return (
        input_tokens * info.input_price_per_1m + output_tokens * info.output_price_per_1m
    ) / 1_000_000


def format_cost(usd: float | None, krw_per_usd: float | None = None) -> str:
    """Korean display of a USD cost, e.g. ``'$0.000420'`` or ``'$0.000420 (약 0.61원)'``.

    The KRW amount is shown only when you pass today's rate yourself (``krw_per_usd``):
    exchange rates change daily, so the catalog does not store one.
    """
    if usd is None:
        return "가격 정보 없음"
    if usd == 0:
        text = "$0"
    elif abs(usd) < 0.01:
        text = f"${usd:.6f}"
    else:
        text = f"${usd:,.4f}"
    if krw_per_usd is not None:
        krw = usd * krw_per_usd
        krw_text = f"{krw:,.2f}" if abs(krw) < 10 else f"{krw:,.0f}"
        text += f" (약 {krw_text}원, 1달러={krw_per_usd:,.0f}원 기준)"
    return text


# --------------------------------------------------------------------------------------------
# Deprecations from the installed SDKs (read from source files, no SDK import)
# --------------------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def _package_dir(name: str) -> Path | None:
    """Directory of an installed top-level package, found without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def _parse_english_date(text: str) -> str | None:
    """'November 30th, 2026' -> '2026-11-30'; ISO dates pass through."""
    iso = re.search(r"\d{4}-\d{2}-\d{2}", text)
    if iso:
        return iso.group(0)
    m = re.search(r"([A-Za-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text)
    if not m or m.group(1).lower() not in _MONTHS:
        return None
    return _dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))).isoformat()


def parse_openai_deprecated_block(source: str) -> dict[str, tuple[str | None, str]]:
    """Parse the ``\"\"\"Deprecated values: ...\"\"\"`` string that follows ``ChatModel`` in
    openai's ``types/shared/chat_model.py``. Returns ``{model_id: (iso_date_or_None, detail)}``.
    """
    import ast

    tree = ast.parse(source)
    body = tree.body
    doc = None
    for i, node in enumerate(body):
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target = node.target.id
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            t = node.targets[0]
            target = t.id if isinstance(t, ast.Name) else None
        if target == "ChatModel" and i + 1 < len(body):
            nxt = body[i + 1]
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                doc = nxt.value.value
            break
    if not isinstance(doc, str) or "Deprecated values" not in doc:
        return {}
    result: dict[str, tuple[str | None, str]] = {}
    text = doc.split("Deprecated values:", 1)[1]
    for bullet in re.split(r"\n\s*-\s+", "\n" + text):
        bullet = " ".join(bullet.split())
        if not bullet:
            continue
        ids = re.findall(r'"([^"]+)"', bullet)
        detail = bullet.rsplit('":', 1)[-1].strip() if '":' in bullet else bullet
        date = re.search(r"shutdown\s+date:\s*(\d{4}-\d{2}-\d{2})", bullet)
        for model in ids:
            result[model] = (date.group(1) if date else None, detail)
    return result


def parse_anthropic_deprecated_models(source: str) -> dict[str, str]:
    """Read the ``DEPRECATED_MODELS`` dict literal from anthropic's ``_data/deprecated_models.py``."""
    import ast

    for node in ast.parse(source).body:
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        if target == "DEPRECATED_MODELS" and value is not None:
            return dict(ast.literal_eval(value))
    return {}


@functools.lru_cache(maxsize=1)
def sdk_deprecations() -> dict[str, Deprecation]:
    """All deprecations the installed openai/anthropic SDKs announce, keyed by model id.

    A missing SDK (e.g. anthropic on Colab) or a file layout this parser does not know simply
    contributes nothing.
    """
    today = _dt.date.today().isoformat()
    found: dict[str, Deprecation] = {}

    openai_dir = _package_dir("openai")
    chat_model = openai_dir / "types" / "shared" / "chat_model.py" if openai_dir else None
    if chat_model and chat_model.is_file():
        label = f"openai {_dist_version('openai')}: openai/types/shared/chat_model.py"
        try:
            parsed = parse_openai_deprecated_block(chat_model.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError):
            parsed = {}
        for model, (date, detail) in parsed.items():
            found[model] = Deprecation(
                model=model,
                provider="openai",
                shutdown=date,
                source=label,
                detail=detail,
                raw_date=date,
                retired=bool(date and date <= today),
            )

    anthropic_dir = _package_dir("anthropic")
    dep_file = anthropic_dir / "_data" / "deprecated_models.py" if anthropic_dir else None
    if dep_file and dep_file.is_file():
        label = (
            f"anthropic {_dist_version('anthropic')}: anthropic/_data/deprecated_models.py "
            "(DEPRECATED_MODELS)"
        )
        try:
            parsed_a = parse_anthropic_deprecated_models(dep_file.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError):
            parsed_a = {}
        for model, raw in parsed_a.items():
            date = _parse_english_date(raw)
            found[model] = Deprecation(
                model=model,
                provider="anthropic",
                shutdown=date,
                source=label,
                detail=f"end-of-life {raw}",
                raw_date=raw,
                retired=bool(date and date <= today),
            )
    return found


def deprecation(model_id: str) -> Deprecation | None:
    """The model's announced shutdown, or ``None`` if no source announces one.

    Looks first in the installed SDKs (see :func:`sdk_deprecations`), then in the ``lifecycle``
    field of models.json, which records what the SDKs no longer know (a model already removed
    from them, such as the seed's ``claude-sonnet-4-20250514``).
    """
    record = sdk_deprecations().get(model_id)
    if record is not None:
        return record
    row = _raw_catalog()["models"].get(model_id) or {}
    life = row.get("lifecycle")
    if life and life.get("status") in ("deprecated", "retired"):
        date = life.get("date")
        retired = life.get("status") == "retired" or bool(
            date and date <= _dt.date.today().isoformat()
        )
        return Deprecation(
            model=model_id,
            provider=row.get("provider", "?"),
            shutdown=date,
            source=f"models.json lifecycle: {life.get('source', '?')}",
            detail=life.get("detail", ""),
            raw_date=date,
            retired=retired,
        )
    return None


def warn_if_deprecated(model_id: str, *, stacklevel: int = 2) -> Deprecation | None:
    """Issue a Korean :class:`ModelDeprecationWarning` if ``model_id`` is deprecated or retired.

    Returns the :class:`Deprecation` record (or ``None`` when the model is fine).
    """
    record = deprecation(model_id)
    if record is None:
        return None
    provider = record.provider
    suggestion = ""
    if provider in ("openai", "anthropic", "huggingface"):
        replacement = default_model(provider)
        if replacement != model_id:
            suggestion = f" 대신 이 수업의 기본 모델 '{replacement}'을(를) 쓰세요."
    warnings.warn(
        f"⚠️ {record.describe()}{suggestion}", ModelDeprecationWarning, stacklevel=stacklevel
    )
    return record


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------


def models_table(provider: str | None = None):
    """A pandas DataFrame of the catalog for display in lessons (Korean column names)."""
    import pandas as pd

    raw = _raw_catalog()
    roles: dict[str, list[str]] = {}
    for key, model in raw["defaults"].items():
        roles.setdefault(model, []).append(key.replace("_alt", " (대안)"))
    rows = []
    for model in known_models(provider):
        info = model_info(model)
        dep = deprecation(model)
        if dep is None:
            status = "—"
        elif dep.retired:
            status = f"종료됨 {dep.shutdown or ''}".strip()
        else:
            status = f"종료 예정 {dep.shutdown or '(날짜 없음)'}"
        rows.append(
            {
                "모델": model,
                "제공자": info.provider,
                "기본값": ", ".join(roles.get(model, [])) or "",
                "컨텍스트(토큰)": info.context_window,
                "최대 출력(토큰)": info.max_output_tokens,
                "입력 $/1M": info.input_price_per_1m,
                "출력 $/1M": info.output_price_per_1m,
                "추론 모델": info.reasoning,
                "지원 종료": status,
                "출처": info.source,
                "확인일": info.checked,
                "비고": info.note,
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("컨텍스트(토큰)", "최대 출력(토큰)"):
        frame[col] = frame[col].astype("Int64")
    return frame
