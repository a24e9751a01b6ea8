"""Model catalog: default model ids, context sizes, prices and lifecycles.

Every lesson reads its default models from ``helpers/data/models.json`` through this module, so a
model change is a one-line data change. Deprecations are read from the *installed* SDKs
(``openai``'s ``ChatModel`` docstring and ``anthropic._data.DEPRECATED_MODELS``) by reading their
source files, without importing the SDKs; models.json's ``lifecycle`` record (status, date, source)
covers what an SDK release no longer lists. Every comparison with the calendar takes an ``as_of``
date, so tests pass a fixed day and lessons use today's.

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
    "SdkDeprecation",
    "deprecated_example",
    "lifecycle",
    "replacement_for",
    "sdk_records",
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
    "resolve",
    "snapshots",
    "sdk_deprecations",
    "warn_if_deprecated",
    "PRICE_KINDS",
    "price",
    "price_rules",
    "price_source",
    "usage_cost",
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


# A dated snapshot: "<alias>-YYYY-MM-DD", as OpenAI answers an alias in ``response.model``.
_DATED_SUFFIX = re.compile(r"^(?P<base>.+)-(?P<date>\d{4}-\d{2}-\d{2})$")


def snapshots(model_id: str) -> tuple[str, ...]:
    """The dated snapshots models.json lists for a catalog id (newest first); ``()`` if none."""
    return tuple(_raw_catalog()["models"].get(model_id, {}).get("snapshots", ()))


def resolve(model_id: str | None) -> str | None:
    """The models.json id for ``model_id``, or ``None`` when the catalog has no entry for it.

    A catalog id is itself. A dated snapshot (what the API reports in ``response.model`` when you
    asked for an alias, e.g. ``gpt-5.4-mini`` → ``gpt-5.4-mini-<date>``) resolves to its alias: by
    the entry's ``snapshots`` list (or, for a model served by several providers, the ids they answer
    with: ``provider_ids``) first, then by the generic rule that ``<id>-YYYY-MM-DD`` (a real
    calendar date) belongs to the catalog entry ``<id>``. Anything else is ``None``; nothing is
    guessed from a prefix, so ``gpt-5.4-mini`` never resolves to ``gpt-5.4``.
    """
    if not isinstance(model_id, str) or not model_id:
        return None
    models = _raw_catalog()["models"]
    if model_id in models:
        return model_id
    for name, row in models.items():
        if model_id in row.get("snapshots", ()) or model_id in row.get("provider_ids", {}).values():
            return name
    match = _DATED_SUFFIX.match(model_id)
    if match and match["base"] in models:
        try:
            _dt.date.fromisoformat(match["date"])
        except ValueError:
            return None
        return match["base"]
    return None


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
    A dated snapshot of a catalog model (see :func:`resolve`) gets that entry's row; its ``id``
    is then the catalog id.
    """
    models = _raw_catalog()["models"]
    catalog_id = resolve(model_id)
    row = models.get(catalog_id) if catalog_id is not None else None
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
        id=catalog_id,
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


def _priced_model(model_id: str) -> ModelInfo | None:
    """The catalog entry a cost is computed from, or None with a warning naming the known models
    (the warning points at the caller of the cost function)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        info = model_info(model_id)
    if info.known:
        return info
    warnings.warn(
        f"'{model_id}'은(는) models.json에 없어 비용을 계산할 수 없습니다(None). "
        f"알려진 모델: {', '.join(known_models())}",
        UnknownModelWarning,
        stacklevel=3,
    )
    return None


def estimate_cost(model_id: str, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated USD cost of one call: tokens × (USD per 1M tokens) / 1,000,000.

    Uses the standard-tier prices in models.json; cached-input discounts, batch discounts and
    long-context surcharges are not modelled. Returns ``None`` when the price is unknown
    (unknown model, or a model whose price is ``null`` in models.json). A dated snapshot such as
    the ``response.model`` of a call costs what its catalog entry costs (:func:`resolve`).
    """
    _check_tokens("input_tokens", input_tokens)
    _check_tokens("output_tokens", output_tokens)
    info = _priced_model(model_id)
    if info is None:
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


@dataclass(frozen=True)
class SdkDeprecation:
    """One deprecation as an installed SDK states it, before any date is compared with today."""

    model: str
    provider: str
    shutdown: str | None
    raw_date: str | None
    detail: str
    source: str


def _read_installed_sdks() -> list[SdkDeprecation]:
    """Deprecations the installed openai/anthropic SDKs announce, read from their source files.

    A missing SDK (e.g. anthropic on Colab before the bootstrap) or a file layout this parser does
    not know simply contributes nothing.
    """
    found: list[SdkDeprecation] = []
    openai_dir = _package_dir("openai")
    chat_model = openai_dir / "types" / "shared" / "chat_model.py" if openai_dir else None
    if chat_model and chat_model.is_file():
        label = f"openai {_dist_version('openai')}: openai/types/shared/chat_model.py"
        try:
            parsed = parse_openai_deprecated_block(chat_model.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError):
            parsed = {}
        for model, (date, detail) in parsed.items():
            found.append(SdkDeprecation(model, "openai", date, date, detail, label))

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
            found.append(
                SdkDeprecation(
                    model, "anthropic", _parse_english_date(raw), raw, f"end-of-life {raw}", label
                )
            )
    return found


@functools.lru_cache(maxsize=1)
def sdk_records() -> tuple[SdkDeprecation, ...]:
    """What the installed SDKs announce (cached: the installed files do not change in a run).

    Tests replace this with the pinned snapshot ``tests/data/sdk_snapshot.json`` so that the
    project's logic is checked against fixed data, whatever release is installed.
    """
    return tuple(_read_installed_sdks())


def _as_of(as_of: str | _dt.date | None) -> str:
    """The day deprecation dates are compared with: ``as_of`` if given, else today's date."""
    if as_of is None:
        return _dt.date.today().isoformat()
    if isinstance(as_of, _dt.date):
        return as_of.isoformat()
    return _dt.date.fromisoformat(as_of).isoformat()  # rejects a malformed date loudly


def sdk_deprecations(as_of: str | _dt.date | None = None) -> dict[str, Deprecation]:
    """All deprecations the installed openai/anthropic SDKs announce, keyed by model id.

    ``retired`` is whether the announced shutdown date is ``as_of`` (default: today) or earlier.
    """
    day = _as_of(as_of)
    return {
        r.model: Deprecation(
            model=r.model,
            provider=r.provider,
            shutdown=r.shutdown,
            source=r.source,
            detail=r.detail,
            raw_date=r.raw_date,
            retired=bool(r.shutdown and r.shutdown <= day),
        )
        for r in sdk_records()
    }


def lifecycle(model_id: str) -> dict[str, Any] | None:
    """The ``lifecycle`` record of models.json for ``model_id`` (None for an unknown model)."""
    row = _raw_catalog()["models"].get(model_id)
    return dict(row["lifecycle"]) if row and "lifecycle" in row else None


def _from_lifecycle(model_id: str, day: str) -> Deprecation | None:
    row = _raw_catalog()["models"].get(model_id) or {}
    life = row.get("lifecycle") or {}
    if life.get("status") not in ("deprecated", "retired"):
        return None
    date = life.get("date")
    return Deprecation(
        model=model_id,
        provider=row.get("provider", "?"),
        shutdown=date,
        source=f"models.json lifecycle: {life.get('source', '?')}",
        detail=life.get("detail", ""),
        raw_date=date,
        # A dated record is judged by its date, so a fixed ``as_of`` gives a fixed answer.
        retired=date <= day if date else life["status"] == "retired",
    )


def deprecation(model_id: str, *, as_of: str | _dt.date | None = None) -> Deprecation | None:
    """The model's announced end of life as of ``as_of`` (default today), or ``None``.

    The installed SDKs are asked first (see :func:`sdk_deprecations`). A model they do not list is
    looked up in the ``lifecycle`` record of models.json, which remembers what an SDK release has
    dropped (the seed's ``claude-sonnet-4-20250514``, or ``claude-sonnet-4-5`` after its end of
    life). When models.json already records a model as retired, that wins over an SDK that still
    announces a future date.
    """
    day = _as_of(as_of)
    from_sdk = sdk_deprecations(day).get(model_id)
    from_data = _from_lifecycle(model_id, day)
    if from_sdk is None:
        return from_data
    if from_data is not None and from_data.retired and not from_sdk.retired:
        return from_data
    return from_sdk


def replacement_for(model_id: str, provider: str | None = None) -> str | None:
    """What to use instead: models.json's ``lifecycle.replacement``, else the lesson default."""
    life = lifecycle(model_id) or {}
    if life.get("replacement"):
        return life["replacement"]
    provider = provider or _guess_provider(model_id)
    if provider in PROVIDERS:
        default = default_model(provider)
        return default if default != model_id else None
    return None


def _provider_is_live(provider: str | None) -> bool | None:
    """Whether ``helpers.setup()`` put ``provider`` in live mode (None before setup ran)."""
    if provider is None:
        return None
    import sys

    session = sys.modules.get(f"{__package__}.session")  # never import the session just to ask
    status = session.last_status() if session is not None else None
    if status is None or provider not in status.providers:
        return None
    return status.mode(provider) == "live"


def _consequence(record: Deprecation, live: bool | None) -> str:
    """What a retired model means for this run's calls (``describe()`` already says it is over)."""
    if not record.retired or live is None:
        return ""
    if live:
        return " 이 공급자는 지금 실제 호출(live) 모드이므로 이 모델로 보내는 요청은 실패합니다."
    return " 지금은 리플레이라 저장된 응답이 재생되지만, 실제 API에서는 요청이 실패합니다."


def warn_if_deprecated(
    model_id: str,
    *,
    stacklevel: int = 2,
    as_of: str | _dt.date | None = None,
    live: bool | None = None,
) -> Deprecation | None:
    """Warn in Korean, before any call, about a model that is deprecated, retired or unknown.

    - deprecated or retired: a :class:`ModelDeprecationWarning` with the date, its source, what
      happens to a call (a retired model fails live; ``live`` defaults to what ``helpers.setup()``
      chose for the provider) and the replacement. Returns the :class:`Deprecation`.
    - not in models.json and not announced by an SDK: an :class:`UnknownModelWarning` (calls are
      allowed, but there is no price or context size) naming the lesson default. Returns ``None``.
    - a known, current model: silent, returns ``None``.
    """
    record = deprecation(model_id, as_of=as_of)
    provider = record.provider if record else _guess_provider(model_id)
    replacement = replacement_for(model_id, provider)
    suggestion = f" 대신 '{replacement}'을(를) 쓰세요." if replacement else ""
    if record is None:
        if model_id not in _raw_catalog()["models"]:
            default = f" 이 시리즈의 기본 모델은 '{replacement}'입니다." if replacement else ""
            warnings.warn(
                f"'{model_id}'은(는) 이 시리즈의 모델 파일(models.json)에 없는 모델입니다. 철자를 "
                "확인하세요. 호출은 할 수 있지만 가격·컨텍스트 정보가 없어 비용은 계산하지 "
                f"않습니다.{default}",
                UnknownModelWarning,
                stacklevel=stacklevel,
            )
        return None
    if live is None:
        live = _provider_is_live(provider)
    warnings.warn(
        f"⚠️ {record.describe()}{_consequence(record, live)}{suggestion}",
        ModelDeprecationWarning,
        stacklevel=stacklevel,
    )
    return record


def deprecated_example(
    provider: str = "anthropic", *, as_of: str | _dt.date | None = None
) -> Deprecation | None:
    """A model the installed SDK announces as deprecated but not yet retired as of ``as_of``.

    Lessons demonstrate the SDK's own deprecation warning with it, so the demo keeps working when a
    release drops the model it used to show. The nearest shutdown comes first; of a dated snapshot
    and its alias, the alias (the shorter id). ``None`` when the SDK lists no such model.
    """
    day = _as_of(as_of)
    candidates = [
        d
        for d in sdk_deprecations(day).values()
        if d.provider == provider and d.shutdown is not None and not d.retired
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda d: (d.shutdown, len(d.model), d.model))


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------


def models_table(provider: str | None = None, *, as_of: str | _dt.date | None = None):
    """A pandas DataFrame of the catalog for display in lessons (Korean column names).

    ``지원 종료`` is each model's lifecycle as of ``as_of`` (default today).
    """
    import pandas as pd

    raw = _raw_catalog()
    roles: dict[str, list[str]] = {}
    for key, model in raw["defaults"].items():
        roles.setdefault(model, []).append(key.replace("_alt", " (대안)"))
    rows = []
    for model in known_models(provider):
        info = model_info(model)
        dep = deprecation(model, as_of=as_of)
        if dep is None:
            status = "—"
        elif dep.retired:
            status = f"종료됨 {dep.shutdown or ''}".strip()
        else:
            status = f"종료 예정 {dep.shutdown or '(날짜 없음)'}"
        rows.append(
            {
                "모델": model,
                "공급자": info.provider,
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


def billing(provider: str) -> dict[str, Any]:
    """Account-level billing facts for one provider (credits, pay-as-you-go) with source and date."""
    facts = _raw_catalog().get("billing", {}).get(provider)
    if facts is None:
        raise KeyError(f"models.json에 {provider}의 요금 정보(billing)가 없습니다")
    return json.loads(json.dumps(facts))


_PLAN_LABELS = {
    "free": ("무료(Free)", "monthly_credits_usd"),
    "pro": ("PRO", "monthly_credits_usd"),
    "team_or_enterprise": ("Team·Enterprise (좌석당)", "monthly_credits_usd_per_seat"),
}
_AFTER_CREDITS = {
    "credits purchase required": "크레딧을 사면 계속 씁니다",
    "pay-as-you-go": "쓴 만큼 결제(pay-as-you-go)",
}


def billing_table(provider: str, plans: tuple[str, ...] = ("free", "pro", "team_or_enterprise")):
    """The provider's account credits as a Korean DataFrame, indexed by account type.

    ``attrs["source_line"]`` says where the numbers come from and when they were checked, so a
    lesson prints it under the table. Values that have no Korean wording stay in English.
    """
    import pandas as pd

    facts = billing(provider)
    rows = []
    for plan in plans:
        label, field = _PLAN_LABELS[plan]
        usd = facts[plan][field]
        extra = facts[plan]["extra_usage"]
        rows.append(
            {
                "계정": label,
                "매달 포함 크레딧": "없음" if usd is None else f"${usd:.2f}",
                "다 쓴 뒤": _AFTER_CREDITS.get(extra, extra),
            }
        )
    frame = pd.DataFrame(rows).set_index("계정")
    frame.attrs["source_line"] = f"출처: {facts['source']} (확인한 날: {facts['checked']})"
    return frame


def features(provider: str) -> dict[str, Any]:
    """What a provider's docs say about structured output and tool calling, with sources."""
    facts = _raw_catalog().get("features", {}).get(provider)
    if facts is None:
        raise KeyError(f"models.json에 {provider}의 기능 정보(features)가 없습니다")
    return json.loads(json.dumps(facts))


_FEATURE_LABELS = {
    "structured_output": "구조화된 출력(response_format)",
    "function_calling": "도구 호출(tools)",
    "strict": "strict 모드",
    "named_tool_choice": "이름으로 도구 강제(tool_choice)",
    "streaming_tool_calls": "도구 호출 스트리밍",
}


def features_table(provider: str):
    """The provider's documented feature statements as a DataFrame, one row per feature.

    ``attrs["source_line"]`` names the live compatibility table and the day the pages were
    checked, so a lesson prints it under the table. Statements stay in English, as quoted.
    """
    import pandas as pd

    facts = features(provider)
    rows = [
        {
            "기능": _FEATURE_LABELS.get(fact["feature"], fact["feature"]),
            "안내서 예시 공급자": fact["provider_in_guide"] or "—",
            "문서의 말": fact["statement"],
        }
        for fact in facts["facts"]
    ]
    frame = pd.DataFrame(rows).set_index("기능")
    pages = ", ".join(dict.fromkeys(fact["source"] for fact in facts["facts"]))
    frame.attrs["source_line"] = (
        f"출처: {pages} (확인한 날: {facts['checked']}). 공급자별 지원 표: {facts['live_table']}"
    )
    return frame


def lesson_clock() -> _dt.date:
    """The fixed 'today' lesson 08's tools use, so replayed tool conversations always match."""
    clock = _raw_catalog().get("lesson_clock")
    if not clock or not isinstance(clock.get("day"), str):
        raise KeyError("models.json에 lesson_clock.day(고정된 오늘 날짜)가 없습니다")
    return _dt.date.fromisoformat(clock["day"])


# --------------------------------------------------------------------------------------------
# Cache and batch prices
# --------------------------------------------------------------------------------------------

PRICE_KINDS = {
    "input": "입력",
    "output": "출력",
    "cached_input": "캐시된 입력(OpenAI)",
    "cache_write_5m": "캐시 쓰기 5분(Anthropic)",
    "cache_write_1h": "캐시 쓰기 1시간(Anthropic)",
    "cache_read": "캐시 읽기(Anthropic)",
    "batch_input": "배치 입력",
    "batch_output": "배치 출력",
}


def _check_kind(kind: Any) -> str:
    if kind not in PRICE_KINDS:
        raise ValueError(f"가격 종류 {kind!r}를 모릅니다. 쓸 수 있는 것: {', '.join(PRICE_KINDS)}")
    return kind


def price(model_id: str, kind: str = "input") -> float | None:
    """USD per 1M tokens of one kind for ``model_id`` (see :data:`PRICE_KINDS`), from models.json.

    ``None`` when the catalog has no number: an unknown model (with a Korean
    :class:`UnknownModelWarning`), a price the provider does not publish (``null`` in
    models.json, its ``price_note`` says why), or a kind the provider does not sell (OpenAI has no
    cache writes; Anthropic calls its cache hits ``cache_read``). A dated snapshot costs what its
    catalog entry costs (:func:`resolve`).
    """
    _check_kind(kind)
    catalog_id = resolve(model_id)
    if catalog_id is None:
        warnings.warn(
            f"'{model_id}'은(는) models.json에 없어 가격을 알 수 없습니다(None). "
            f"알려진 모델: {', '.join(known_models())}",
            UnknownModelWarning,
            stacklevel=2,
        )
        return None
    return (_raw_catalog()["models"][catalog_id].get("price_usd_per_1m") or {}).get(kind)


def price_source(model_id: str, kind: str) -> dict[str, Any] | None:
    """The ``sources`` entry that vouches for one price of ``model_id`` (url, page_date, fields),
    with the day the prices were checked; ``None`` for an unknown model or an unsourced price."""
    _check_kind(kind)
    catalog_id = resolve(model_id)
    if catalog_id is None:
        return None
    row = _raw_catalog()["models"][catalog_id]
    wanted = {f"price_usd_per_1m.{kind}"} | (
        {"price_usd_per_1m"} if kind in ("input", "output") else set()
    )
    for source in row.get("sources", ()):
        if wanted & set(source.get("fields", ())):
            checked = row.get("prices_checked") if kind not in ("input", "output") else None
            return {**source, "checked": checked or row.get("checked")}
    return None


def price_rules(provider: str) -> dict[str, Any]:
    """How one provider's cache and batch prices relate to its standard prices (multipliers,
    quotes, sources and the day checked), from models.json ``price_rules``."""
    rules = _raw_catalog().get("price_rules", {}).get(provider)
    if rules is None:
        raise KeyError(f"models.json에 {provider}의 가격 규칙(price_rules)이 없습니다")
    return json.loads(json.dumps(rules))


def _usage_field(usage: Any, name: str) -> Any:
    if isinstance(usage, dict):
        return usage.get(name)
    return getattr(usage, name, None)


def _usage_count(usage: Any, *path: str) -> int:
    value: Any = usage
    for name in path:
        value = _usage_field(value, name) if value is not None else None
    return 0 if value is None else _check_tokens(".".join(path), value)


def usage_cost(model_id: str, usage: Any, *, batch: bool = False) -> float | None:
    """Estimated USD cost of one response's ``usage`` (a dict or the SDK's usage object), with
    its cache counts priced by the catalog.

    - OpenAI (``prompt_tokens``/``completion_tokens``): ``prompt_tokens`` already includes the
      ``prompt_tokens_details.cached_tokens``, which cost ``cached_input`` instead of ``input``.
    - Anthropic (``input_tokens``/``output_tokens``): ``input_tokens`` excludes the cache, so
      ``cache_read_input_tokens`` (at ``cache_read``) and ``cache_creation_input_tokens`` (at
      ``cache_write_5m``/``cache_write_1h`` by ``cache_creation``; 5m when the split is absent)
      are added.

    ``batch=True`` prices the call as part of a batch: ``batch_input``/``batch_output`` and the
    cache prices times the provider's ``price_rules`` batch discount. ``None`` when a price the
    usage needs is unknown.
    """
    info = _priced_model(model_id)
    if info is None:
        return None
    discount = 1.0
    if batch:
        discount = (
            _raw_catalog().get("price_rules", {}).get(info.provider, {}).get("batch_discount")
        )
        if discount is None:
            return None

    def cost(kind: str, tokens: int) -> float | None:
        if tokens == 0:
            return 0.0
        if batch and kind in ("input", "output"):
            value = price(info.id, f"batch_{kind}")
        else:
            value = price(info.id, kind)
            value = None if value is None else value * discount
        return None if value is None else tokens * value

    if _usage_field(usage, "prompt_tokens") is not None:
        prompt = _usage_count(usage, "prompt_tokens")
        cached = _usage_count(usage, "prompt_tokens_details", "cached_tokens")
        if cached > prompt:
            raise ValueError(
                f"cached_tokens({cached})가 prompt_tokens({prompt})보다 큽니다. OpenAI의 "
                "cached_tokens는 prompt_tokens 안에 들어 있는 수입니다."
            )
        parts = [
            cost("input", prompt - cached),
            cost("cached_input", cached),
            cost("output", _usage_count(usage, "completion_tokens")),
        ]
    elif _usage_field(usage, "input_tokens") is not None:
        written = _usage_count(usage, "cache_creation_input_tokens")
        one_hour = _usage_count(usage, "cache_creation", "ephemeral_1h_input_tokens")
        five_min = _usage_count(usage, "cache_creation", "ephemeral_5m_input_tokens")
        if _usage_field(usage, "cache_creation") is None:
            five_min = written
        if five_min + one_hour != written:
            raise ValueError(
                f"cache_creation의 5분({five_min})과 1시간({one_hour}) 합이 "
                f"cache_creation_input_tokens({written})와 다릅니다."
            )
        parts = [
            cost("input", _usage_count(usage, "input_tokens")),
            cost("cache_read", _usage_count(usage, "cache_read_input_tokens")),
            cost("cache_write_5m", five_min),
            cost("cache_write_1h", one_hour),
            cost("output", _usage_count(usage, "output_tokens")),
        ]
    else:
        raise ValueError(
            "usage에 prompt_tokens(OpenAI)나 input_tokens(Anthropic)가 없습니다. 응답의 "
            "usage를 그대로 넘기세요."
        )
    if any(part is None for part in parts):
        return None
    return sum(parts) / 1_000_000
