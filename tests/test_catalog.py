"""helpers.catalog: models.json, costs, and deprecations read from the installed SDKs."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from helpers import catalog
from tests.conftest import AS_OF, SDK_SNAPSHOT, pinned_sdk_records

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "helpers" / "data" / "models.json"


def deprecated_defaults(raw: dict) -> list[str]:
    """The defaults in a models.json dict that an installed SDK (or models.json) retires."""
    return [
        f"{role}={model}"
        for role, model in raw["defaults"].items()
        if catalog.deprecation(model, as_of=AS_OF) is not None
    ]


# --- models.json -------------------------------------------------------------------------------


def test_fixed_defaults():
    assert catalog.default_model("openai") == "gpt-5.4-mini"
    assert catalog.default_model("openai", alt=True) == "gpt-5.4"
    assert catalog.default_model("anthropic") == "claude-sonnet-4-6"
    assert catalog.default_model("huggingface") == "meta-llama/Llama-3.1-8B-Instruct"


def test_default_without_alt_is_a_korean_error():
    with pytest.raises(ValueError, match="기본 모델이 없습니다"):
        catalog.default_model("anthropic", alt=True)


def test_no_default_model_is_deprecated_by_the_pinned_sdk_data():
    assert deprecated_defaults(catalog.load_catalog()) == []


def test_the_deprecated_default_guard_catches_a_deprecated_default():
    raw = catalog.load_catalog()
    raw["defaults"]["openai"] = "gpt-4o-mini"
    raw["defaults"]["anthropic"] = "claude-sonnet-4-5"
    assert deprecated_defaults(raw) == ["openai=gpt-4o-mini", "anthropic=claude-sonnet-4-5"]


def test_every_default_is_a_catalog_model():
    raw = catalog.load_catalog()
    for model in raw["defaults"].values():
        assert model in raw["models"]


def test_seed_models_are_in_the_catalog():
    for model in ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4-20250514", "claude-haiku-4-5"):
        assert model in catalog.known_models()


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.mark.parametrize("model", catalog.known_models())
def test_every_model_has_source_date_and_honest_nulls(model):
    row = catalog.load_catalog()["models"][model]
    assert row["provider"] in catalog.PROVIDERS
    assert row["source"].startswith("https://")
    assert DATE.match(row["checked"])
    assert row["sources"], "each number needs the page it came from"
    for src in row["sources"]:
        assert src["url"].startswith("https://")
        assert src["page_date"]
        assert src["fields"]
    prices = row["price_usd_per_1m"]
    numbers = [row["context_window"], row["max_output_tokens"], prices["input"], prices["output"]]
    for value in numbers:
        assert value is None or (isinstance(value, (int, float)) and value > 0)
    if None in numbers:
        assert len(row["note"]) > 20, "a null must be explained in the note"


def test_prices_needed_by_the_cost_lesson_exist():
    for model in (catalog.default_model("openai"), catalog.default_model("openai", alt=True)):
        assert catalog.model_info(model).has_price
    assert catalog.model_info(catalog.default_model("anthropic")).has_price


def test_json_file_is_valid_and_loaded_copy_is_independent():
    json.loads(DATA.read_text(encoding="utf-8"))
    copy = catalog.load_catalog()
    copy["defaults"]["openai"] = "changed"
    assert catalog.default_model("openai") == "gpt-5.4-mini"


# --- model_info --------------------------------------------------------------------------------


def test_model_info_known():
    info = catalog.model_info("gpt-5.4-mini")
    assert info.known and info.provider == "openai"
    assert info.input_price_per_1m == 0.75 and info.output_price_per_1m == 4.5
    assert info.context_window == 400_000


def test_unknown_model_warns_in_korean_and_lists_known_ids():
    with pytest.warns(catalog.UnknownModelWarning) as record:
        info = catalog.model_info("gpt-9-imaginary")
    message = str(record[0].message)
    assert "models.json에 없는 모델" in message and "gpt-5.4-mini" in message
    assert info.known is False and info.provider == "openai"
    assert info.input_price_per_1m is None and not info.has_price


def test_unknown_model_strict_raises_keyerror_with_plain_korean_message():
    with pytest.raises(catalog.UnknownModelError) as exc:
        catalog.model_info("nope", strict=True)
    assert isinstance(exc.value, KeyError)
    assert str(exc.value).startswith("'nope'은(는) models.json에 없는 모델")


# --- cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "inp", "out", "expected"),
    [
        # 1000 × 0.75 / 1e6 + 500 × 4.50 / 1e6 = 0.00075 + 0.00225
        ("gpt-5.4-mini", 1000, 500, 0.003),
        # 1e6 × 2.50 / 1e6 + 1e6 × 15.00 / 1e6
        ("gpt-5.4", 1_000_000, 1_000_000, 17.5),
        # 123456 × 0.15 / 1e6 + 7890 × 0.60 / 1e6 = 0.0185184 + 0.004734
        ("gpt-4o-mini", 123_456, 7_890, 0.0232524),
        # 2000 × 3 / 1e6 + 100 × 15 / 1e6 = 0.006 + 0.0015
        ("claude-sonnet-4-6", 2000, 100, 0.0075),
        ("gpt-5.4-mini", 0, 0, 0.0),
    ],
)
def test_estimate_cost_matches_hand_computed_values(model, inp, out, expected):
    assert catalog.estimate_cost(model, inp, out) == pytest.approx(expected, abs=1e-12)


def test_estimate_cost_unknown_price_is_none():
    assert catalog.estimate_cost("meta-llama/Llama-3.1-8B-Instruct", 10, 10) is None
    with pytest.warns(catalog.UnknownModelWarning, match="비용을 계산할 수 없습니다"):
        assert catalog.estimate_cost("who-knows", 10, 10) is None


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("gpt-5.4-mini", "gpt-5.4-mini"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4-mini"),  # the entry's snapshots list
        ("gpt-5.4-2026-03-05", "gpt-5.4"),
        ("gpt-4o-2024-08-06", "gpt-4o"),  # the generic <id>-YYYY-MM-DD rule
        ("claude-sonnet-4-20250514", "claude-sonnet-4-20250514"),
        ("gpt-5.4-mini-2026-13-45", None),  # not a calendar date
        ("gpt-9-2026-01-01", None),  # dated, but of no catalog entry
        ("gpt-5.4-mini-preview", None),
        ("gpt-5.4-mini-2026", None),
        ("", None),
        (None, None),
    ],
)
def test_resolve_maps_a_dated_snapshot_to_its_catalog_entry(model_id, expected):
    assert catalog.resolve(model_id) == expected


def test_listed_snapshots_resolve_to_their_entry_and_name_a_source():
    rows = catalog.load_catalog()["models"]
    listed = {name: row["snapshots"] for name, row in rows.items() if "snapshots" in row}
    assert listed["gpt-5.4-mini"] == ["gpt-5.4-mini-2026-03-17"]
    assert listed["gpt-5.4"] == ["gpt-5.4-2026-03-05"]
    for name, snapshots in listed.items():
        assert rows[name]["snapshots_source"]["url"].startswith("https://")
        for snapshot in snapshots:
            assert catalog.resolve(snapshot) == name


def test_a_dated_snapshot_costs_what_its_alias_costs_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = catalog.model_info("gpt-5.4-mini-2026-03-17")
        cost = catalog.estimate_cost("gpt-5.4-mini-2026-03-17", 1_000_000, 1_000_000)
    assert info.known and info.id == "gpt-5.4-mini"
    assert cost == pytest.approx(0.75 + 4.5)
    with pytest.warns(catalog.UnknownModelWarning):
        assert catalog.estimate_cost("gpt-9-2026-01-01", 10, 10) is None


@pytest.mark.parametrize(("inp", "out", "error"), [(-1, 0, ValueError), (1.5, 0, TypeError)])
def test_estimate_cost_rejects_bad_token_counts(inp, out, error):
    with pytest.raises(error, match="input_tokens"):
        catalog.estimate_cost("gpt-5.4-mini", inp, out)


def test_format_cost():
    assert catalog.format_cost(None) == "가격 정보 없음"
    assert catalog.format_cost(0.0) == "$0"
    assert catalog.format_cost(0.003) == "$0.003000"
    assert catalog.format_cost(17.5) == "$17.5000"
    assert (
        catalog.format_cost(0.003, krw_per_usd=1400) == "$0.003000 (약 4.20원, 1달러=1,400원 기준)"
    )


# --- deprecations (the pinned snapshot of the SDKs' data, a fixed "as of" day) ---------------------


def test_openai_parser_finds_gpt_4o_mini_with_its_date():
    record = catalog.deprecation("gpt-4o-mini", as_of=AS_OF)
    assert record is not None and record.provider == "openai"
    assert record.shutdown == "2027-01-14" and not record.retired
    assert catalog.deprecation("gpt-4o", as_of=AS_OF).shutdown == "2027-01-14"


def test_default_openai_models_are_not_deprecated():
    assert catalog.deprecation("gpt-5.4-mini", as_of=AS_OF) is None
    assert catalog.deprecation("gpt-5.4", as_of=AS_OF) is None


def test_retired_alias_dropped_by_the_sdk_is_known_from_models_json():
    # anthropic 2.15.0 dropped claude-sonnet-4-5 from DEPRECATED_MODELS on its end of life.
    assert "claude-sonnet-4-5" not in catalog.sdk_deprecations(AS_OF)
    record = catalog.deprecation("claude-sonnet-4-5", as_of=AS_OF)
    assert record is not None and record.retired and record.shutdown == "2026-11-30"
    assert record.source.startswith("models.json lifecycle: https://")


def test_a_dated_lifecycle_is_judged_by_its_date_not_by_the_calendar():
    before = catalog.deprecation("claude-sonnet-4-5", as_of="2026-11-29")
    after = catalog.deprecation("claude-sonnet-4-5", as_of="2026-11-30")
    assert not before.retired and "종료될 예정" in before.describe()
    assert after.retired and "이미 종료되었습니다" in after.describe()


def test_sdk_date_past_as_of_means_retired():
    assert not catalog.deprecation("gpt-4o", as_of="2027-01-13").retired
    assert catalog.deprecation("gpt-4o", as_of="2027-01-14").retired


def test_malformed_as_of_is_rejected():
    with pytest.raises(ValueError):
        catalog.deprecation("gpt-4o", as_of="next tuesday")


def test_openai_block_parser_on_wrapped_lines():
    source = '''
from typing_extensions import Literal, TypeAlias
ChatModel: TypeAlias = Literal["a-1", "b-2", "c-3", "d-4"]
"""Deprecated values:

- "a-1", "b-2": Announced shutdown
  date: 2026-03-26. See https://example.invalid for details.
- "c-3": Not a supported model ID.
"""
'''
    parsed = catalog.parse_openai_deprecated_block(source)
    assert parsed["a-1"][0] == "2026-03-26" and parsed["b-2"][0] == "2026-03-26"
    assert parsed["c-3"] == (None, "Not a supported model ID.")
    assert "d-4" not in parsed


def test_anthropic_parser_reads_the_dict_literal_and_english_dates():
    source = 'DEPRECATED_MODELS: dict[str, str] = {"m-1": "November 30th, 2026", "m-2": "x"}\n'
    assert catalog.parse_anthropic_deprecated_models(source) == {
        "m-1": "November 30th, 2026",
        "m-2": "x",
    }
    assert catalog._parse_english_date("January 22nd, 2027") == "2027-01-22"
    assert catalog._parse_english_date("x") is None


def test_seed_anthropic_model_is_retired_via_models_json():
    record = catalog.deprecation("claude-sonnet-4-20250514", as_of=AS_OF)
    assert record is not None and record.retired and record.shutdown == "2026-06-15"
    assert record.source.startswith("models.json lifecycle: https://")


def test_warn_if_deprecated_names_date_and_replacement():
    with pytest.warns(catalog.ModelDeprecationWarning) as record:
        result = catalog.warn_if_deprecated("gpt-4o-mini", as_of=AS_OF)
    message = str(record[0].message)
    assert "2027-01-14" in message and "'gpt-5.4-mini'" in message and "종료될 예정" in message
    assert result.shutdown == "2027-01-14"


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (True, "실제 호출(live) 모드이므로 이 모델로 보내는 요청은 실패합니다"),
        (False, "리플레이라 저장된 응답이 재생되지만, 실제 API에서는 요청이 실패합니다"),
    ],
)
def test_a_retired_model_says_what_happens_to_the_call(live, expected):
    with pytest.warns(catalog.ModelDeprecationWarning) as record:
        catalog.warn_if_deprecated("claude-sonnet-4-5", as_of=AS_OF, live=live)
    message = str(record[0].message)
    assert expected in message and "'claude-sonnet-4-6'" in message
    assert "2026-11-30" in message


@pytest.mark.parametrize(
    ("mode", "expected"), [("live", r"실제 호출\(live\)"), ("replay", "리플레이라")]
)
def test_the_consequence_follows_the_mode_setup_chose(monkeypatch, mode, expected):
    from types import SimpleNamespace

    import helpers.session as session

    status = SimpleNamespace(providers={"anthropic": None}, mode=lambda provider: mode)
    monkeypatch.setattr(session, "_last_status", status)
    with pytest.warns(catalog.ModelDeprecationWarning, match=expected):
        catalog.warn_if_deprecated("claude-sonnet-4-5", as_of=AS_OF)


def test_an_unknown_model_warns_with_the_lesson_default():
    with pytest.warns(catalog.UnknownModelWarning) as record:
        assert catalog.warn_if_deprecated("claude-sonet-4-6", as_of=AS_OF) is None
    message = str(record[0].message)
    assert "models.json)에 없는 모델" in message and "'claude-sonnet-4-6'" in message


def test_a_deprecation_without_a_date_says_so_and_names_the_replacement():
    record = catalog.deprecation("gpt-5.1-mini", as_of=AS_OF)
    assert record.shutdown is None and "종료일이 명시되지 않았습니다" in record.describe()
    with pytest.warns(catalog.ModelDeprecationWarning, match="대신 'gpt-5.4-mini'"):
        catalog.warn_if_deprecated("gpt-5.1-mini", as_of=AS_OF)


def test_describe_wording_depends_on_the_evidence():
    seed = catalog.deprecation("claude-sonnet-4-20250514", as_of=AS_OF)
    assert "이미 종료되었습니다" in seed.describe()
    past = catalog.deprecation("gpt-3.5-turbo-0613", as_of=AS_OF)  # SDK: shutdown 2024-09-13
    assert past.retired and "발표된 종료일(2024-09-13)이 지났습니다" in past.describe()
    assert "날짜 없음" not in catalog.deprecation("gpt-5.1-mini", as_of=AS_OF).describe()


def test_warn_if_deprecated_is_silent_for_defaults():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for provider in ("openai", "anthropic", "huggingface"):
            model = catalog.default_model(provider)
            assert catalog.warn_if_deprecated(model, as_of=AS_OF) is None


def test_deprecated_example_is_the_nearest_shutdown_not_yet_passed():
    example = catalog.deprecated_example("anthropic", as_of=AS_OF)
    # The pinned anthropic data lists claude-mythos-preview (2026-06-30, already past) and
    # claude-opus-4-5 with its snapshot (2027-01-22): the alias of the one still ahead.
    assert example.model == "claude-opus-4-5" and example.shutdown == "2027-01-22"
    assert catalog.deprecated_example("anthropic", as_of="2027-01-22") is None


def test_deprecated_example_follows_the_data_not_a_fixed_name(monkeypatch):
    records = (
        catalog.SdkDeprecation("m-late", "anthropic", "2030-01-02", "x", "", "test"),
        catalog.SdkDeprecation("m-soon-20300101", "anthropic", "2030-01-01", "x", "", "test"),
        catalog.SdkDeprecation("m-soon", "anthropic", "2030-01-01", "x", "", "test"),
        catalog.SdkDeprecation("m-nodate", "anthropic", None, None, "", "test"),
    )
    monkeypatch.setattr(catalog, "sdk_records", lambda: records)
    assert catalog.deprecated_example("anthropic", as_of=AS_OF).model == "m-soon"
    assert catalog.deprecated_example("anthropic", as_of="2030-01-01").model == "m-late"
    assert catalog.deprecated_example("openai", as_of=AS_OF) is None


LIFECYCLE_STATUSES = {"current", "deprecated", "retired"}


@pytest.mark.parametrize("model", catalog.known_models())
def test_every_model_has_a_sourced_lifecycle(model):
    life = catalog.lifecycle(model)
    assert life is not None, f"{model}: models.json needs a lifecycle record"
    assert life["status"] in LIFECYCLE_STATUSES
    assert life["source"].startswith("https://") and DATE.match(life["checked"])
    assert life.get("detail")
    if life["status"] != "current":
        assert life.get("date") is None or DATE.match(life["date"])
        assert life.get("replacement") in catalog.known_models()


def test_models_json_agrees_with_the_pinned_sdk_data():
    """A model the pinned SDKs deprecate is not recorded as current in models.json."""
    announced = catalog.sdk_deprecations(AS_OF)
    for model in catalog.known_models():
        if model in announced:
            assert catalog.lifecycle(model)["status"] != "current", model


# --- upstream: the installed SDKs themselves (run by `make drift`, deselected by `make test`) ----


def _snapshot() -> dict:
    return json.loads(SDK_SNAPSHOT.read_text(encoding="utf-8"))


@pytest.mark.upstream
def test_installed_sdk_deprecations_equal_the_pinned_snapshot():
    installed = {(r.model, r.provider, r.shutdown, r.raw_date) for r in catalog.sdk_records()}
    pinned = {(r.model, r.provider, r.shutdown, r.raw_date) for r in pinned_sdk_records()}
    assert installed == pinned, "make lock refreshes tests/data/sdk_snapshot.json"


@pytest.mark.upstream
def test_anthropic_parse_equals_the_installed_sdk_dict():
    from anthropic._data import DEPRECATED_MODELS

    parsed = {r.model: r.raw_date for r in catalog.sdk_records() if r.provider == "anthropic"}
    assert parsed == DEPRECATED_MODELS


@pytest.mark.upstream
def test_openai_parse_only_names_ids_of_the_installed_chatmodel_literal():
    from typing import get_args

    from openai.types.shared.chat_model import ChatModel

    parsed = {r.model for r in catalog.sdk_records() if r.provider == "openai"}
    assert len(parsed) > 50
    assert parsed <= set(get_args(ChatModel))


@pytest.mark.upstream
def test_no_default_model_is_deprecated_by_the_installed_sdks():
    assert deprecated_defaults(catalog.load_catalog()) == []


@pytest.mark.upstream
def test_the_seed_anthropic_model_is_not_in_the_installed_literal():
    from typing import get_args

    from anthropic.types.model import Model

    assert "claude-sonnet-4-20250514" not in get_args(get_args(Model)[0])


def test_models_table_has_korean_columns_with_sources():
    table = catalog.models_table()
    for column in ("모델", "공급자", "입력 $/1M", "출력 $/1M", "지원 종료", "출처", "확인일"):
        assert column in table.columns
    assert len(table) == len(catalog.known_models())
    table = catalog.models_table(as_of=AS_OF).set_index("모델")
    assert table.loc["gpt-4o-mini", "지원 종료"] == "종료 예정 2027-01-14"
    assert table.loc["claude-sonnet-4-5", "지원 종료"] == "종료됨 2026-11-30"
    assert len(catalog.models_table("anthropic")) == len(catalog.known_models("anthropic"))


def test_modules_import_light():
    code = (
        "import sys, helpers.catalog, helpers.labs, helpers.labs.lesson01, helpers.playground\n"
        "helpers.catalog.sdk_deprecations()\n"
        "heavy = [m for m in ('pandas', 'openai', 'anthropic', 'ipywidgets') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_hf_billing_facts_are_sourced_and_dated():
    facts = catalog.billing("huggingface")
    assert facts["source"].startswith("https://") and re.fullmatch(
        r"\d{4}-\d{2}-\d{2}", facts["checked"]
    )
    assert facts["pro"]["monthly_credits_usd"] == 2.0
    with pytest.raises(KeyError, match="요금 정보"):
        catalog.billing("nobody")


def test_billing_table_reads_the_data_file(monkeypatch):
    table = catalog.billing_table("huggingface")
    assert list(table.index) == ["무료(Free)", "PRO", "Team·Enterprise (좌석당)"]
    assert table.loc["무료(Free)", "매달 포함 크레딧"] == "없음"
    assert table.loc["PRO", "매달 포함 크레딧"] == "$2.00"
    assert "확인한 날" in table.attrs["source_line"]
    raw = copy.deepcopy(catalog._raw_catalog())
    raw["billing"]["huggingface"]["pro"].update(monthly_credits_usd=9.5, extra_usage="never")
    monkeypatch.setattr(catalog, "_raw_catalog", lambda: raw)
    moved = catalog.billing_table("huggingface", plans=("pro",))
    assert moved.loc["PRO"].tolist() == ["$9.50", "never"]  # unknown wording stays as written


def test_hf_feature_statements_are_quoted_sourced_and_dated():
    facts = catalog.features("huggingface")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", facts["checked"])
    assert facts["live_table"].startswith("https://huggingface.co/")
    kinds = [fact["feature"] for fact in facts["facts"]]
    assert {"structured_output", "function_calling", "strict"} <= set(kinds)
    for fact in facts["facts"]:
        assert fact["source"].startswith("https://huggingface.co/docs/inference-providers/")
        assert fact["statement"].strip()
    with pytest.raises(KeyError, match="기능 정보"):
        catalog.features("nobody")


def test_features_table_reads_the_data_file(monkeypatch):
    table = catalog.features_table("huggingface")
    assert table.loc["구조화된 출력(response_format)", "안내서 예시 공급자"] == "cerebras"
    assert table.loc["strict 모드", "안내서 예시 공급자"] == "—"
    assert "확인한 날" in table.attrs["source_line"]
    raw = copy.deepcopy(catalog._raw_catalog())
    raw["features"]["huggingface"]["facts"][0].update(provider_in_guide="groq", feature="new_one")
    monkeypatch.setattr(catalog, "_raw_catalog", lambda: raw)
    moved = catalog.features_table("huggingface")
    assert moved.loc["new_one", "안내서 예시 공급자"] == "groq"  # an unknown feature keeps its id


def test_lesson_clock_is_the_data_file_day(monkeypatch):
    import datetime

    assert isinstance(catalog.lesson_clock(), datetime.date)
    raw = copy.deepcopy(catalog._raw_catalog())
    raw["lesson_clock"]["day"] = "2030-01-02"
    monkeypatch.setattr(catalog, "_raw_catalog", lambda: raw)
    assert catalog.lesson_clock() == datetime.date(2030, 1, 2)
    del raw["lesson_clock"]
    with pytest.raises(KeyError, match="lesson_clock"):
        catalog.lesson_clock()


# --- cache and batch prices (H6) ------------------------------------------------------------------

CACHE_KINDS = {
    "openai": ("cached_input", "batch_input", "batch_output"),
    "anthropic": ("cache_write_5m", "cache_write_1h", "cache_read", "batch_input", "batch_output"),
    "huggingface": ("cached_input", "batch_input", "batch_output"),
}


@pytest.mark.parametrize("model", catalog.known_models())
def test_every_model_has_sourced_cache_and_batch_prices_or_an_explained_null(model):
    row = catalog.load_catalog()["models"][model]
    assert DATE.match(row["prices_checked"])
    for kind in CACHE_KINDS[row["provider"]]:
        assert kind in row["price_usd_per_1m"], f"{model}: {kind}"
        value = catalog.price(model, kind)
        if value is None:
            assert len(row["price_note"]) > 20, "a null price must be explained in price_note"
            continue
        assert isinstance(value, float) and value > 0
        source = catalog.price_source(model, kind)
        assert source is not None and source["url"].startswith("https://"), (model, kind)
        assert source["page_date"] and DATE.match(source["checked"])


def _multiplier(model, kind):
    rules = catalog.price_rules("anthropic")
    return rules.get("exceptions", {}).get(model, {}).get(kind, rules[kind])


@pytest.mark.parametrize("model", catalog.known_models("anthropic"))
def test_anthropic_cache_and_batch_prices_follow_the_documented_multipliers(model):
    base, out = catalog.price(model, "input"), catalog.price(model, "output")
    if base is None:
        pytest.skip("no standard price, so no derived ones (see price_note)")
    for kind in ("cache_write_5m", "cache_write_1h", "cache_read"):
        assert catalog.price(model, kind) == pytest.approx(base * _multiplier(model, kind))
    half = catalog.price_rules("anthropic")["batch_discount"]
    assert catalog.price(model, "batch_input") == pytest.approx(base * half)
    assert catalog.price(model, "batch_output") == pytest.approx(out * half)


@pytest.mark.parametrize("model", catalog.known_models("openai"))
def test_openai_batch_is_half_price_and_cached_input_is_cheaper(model):
    half = catalog.price_rules("openai")["batch_discount"]
    assert half == 0.5
    assert catalog.price(model, "batch_input") == pytest.approx(
        catalog.price(model, "input") * half
    )
    assert catalog.price(model, "batch_output") == pytest.approx(
        catalog.price(model, "output") * half
    )
    assert 0 < catalog.price(model, "cached_input") < catalog.price(model, "input")


def test_the_rules_quote_their_sources():
    anthropic_rules = catalog.price_rules("anthropic")
    assert (anthropic_rules["cache_write_5m"], anthropic_rules["cache_write_1h"]) == (1.25, 2.0)
    assert anthropic_rules["cache_read"] == 0.1 and anthropic_rules["batch_discount"] == 0.5
    assert "stack with other pricing modifiers such as the Batch API" in anthropic_rules["quote"]
    assert all(url.startswith("https://platform.claude.com/") for url in anthropic_rules["sources"])
    assert "50%" in catalog.price_rules("openai")["batch_quote"]
    with pytest.raises(KeyError, match="price_rules"):
        catalog.price_rules("nobody")


def test_price_kinds_unknown_models_and_snapshots():
    with pytest.raises(ValueError, match="가격 종류 'cached'를 모릅니다"):
        catalog.price("gpt-5.4-mini", "cached")
    with pytest.warns(catalog.UnknownModelWarning, match="models.json에 없어"):
        assert catalog.price("gpt-unknown", "input") is None
    assert catalog.price("gpt-5.4-mini-2026-03-17", "cached_input") == catalog.price(
        "gpt-5.4-mini", "cached_input"
    )
    # a kind the provider does not sell has no price
    assert catalog.price("gpt-5.4-mini", "cache_write_5m") is None
    assert catalog.price("claude-sonnet-4-6", "cached_input") is None


OPENAI_USAGE = {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
}
# the shape of turn 2 of the public recording wire_profiles.json cites for Anthropic caching
ANTHROPIC_USAGE = {
    "input_tokens": 3,
    "cache_creation_input_tokens": 409,
    "cache_read_input_tokens": 1111,
    "cache_creation": {"ephemeral_5m_input_tokens": 409, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 33,
}


def test_usage_cost_prices_openai_cached_tokens_inside_prompt_tokens():
    expected = (86 * 0.75 + 1920 * 0.075 + 300 * 4.5) / 1_000_000
    assert catalog.usage_cost("gpt-5.4-mini", OPENAI_USAGE) == pytest.approx(expected)
    batched = (86 * 0.375 + 1920 * 0.0375 + 300 * 2.25) / 1_000_000
    assert catalog.usage_cost("gpt-5.4-mini", OPENAI_USAGE, batch=True) == pytest.approx(batched)
    plain = {**OPENAI_USAGE, "prompt_tokens_details": {"cached_tokens": 0}}
    assert catalog.usage_cost("gpt-5.4-mini", plain) == pytest.approx(
        catalog.estimate_cost("gpt-5.4-mini", 2006, 300)
    )


def test_usage_cost_adds_anthropic_cache_reads_and_writes_to_input_tokens():
    expected = (3 * 3.0 + 1111 * 0.3 + 409 * 3.75 + 33 * 15.0) / 1_000_000
    assert catalog.usage_cost("claude-sonnet-4-6", ANTHROPIC_USAGE) == pytest.approx(expected)
    batched = (3 * 1.5 + 1111 * 0.15 + 409 * 1.875 + 33 * 7.5) / 1_000_000
    assert catalog.usage_cost("claude-sonnet-4-6", ANTHROPIC_USAGE, batch=True) == pytest.approx(
        batched
    )
    one_hour = {
        **ANTHROPIC_USAGE,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 409},
    }
    assert catalog.usage_cost("claude-sonnet-4-6", one_hour) - expected == pytest.approx(
        409 * (6.0 - 3.75) / 1_000_000
    )


def test_usage_cost_reads_the_sdk_usage_objects():
    from anthropic.types import Usage
    from openai.types import CompletionUsage

    assert catalog.usage_cost(
        "gpt-5.4-mini", CompletionUsage.model_validate(OPENAI_USAGE)
    ) == pytest.approx(catalog.usage_cost("gpt-5.4-mini", OPENAI_USAGE))
    assert catalog.usage_cost(
        "claude-sonnet-4-6", Usage.model_validate(ANTHROPIC_USAGE)
    ) == pytest.approx(catalog.usage_cost("claude-sonnet-4-6", ANTHROPIC_USAGE))


def test_usage_cost_explains_bad_usage_in_korean_and_unknown_prices_are_none():
    with pytest.raises(ValueError, match="prompt_tokens 안에 들어 있는"):
        catalog.usage_cost(
            "gpt-5.4-mini", {**OPENAI_USAGE, "prompt_tokens_details": {"cached_tokens": 3000}}
        )
    broken = {**ANTHROPIC_USAGE, "cache_creation_input_tokens": 500}
    with pytest.raises(ValueError, match="합이"):
        catalog.usage_cost("claude-sonnet-4-6", broken)
    with pytest.raises(ValueError, match="usage에 prompt_tokens"):
        catalog.usage_cost("gpt-5.4-mini", {"tokens": 3})
    with pytest.raises(TypeError, match="정수"):
        catalog.usage_cost("gpt-5.4-mini", {**OPENAI_USAGE, "completion_tokens": "300"})
    hf = catalog.default_model("huggingface")
    assert catalog.usage_cost(hf, {"prompt_tokens": 10, "completion_tokens": 5}) is None
    with pytest.warns(catalog.UnknownModelWarning):
        assert catalog.usage_cost("gpt-unknown", OPENAI_USAGE) is None
