"""`helpers.ratelimit.read_rate_limits`: every provider's header dialect, read from a headers mapping,
from a real SDK raw response off the replay server, and from an SDK exception; malformed values
become None with a Korean note, never an exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import helpers
from helpers.explain import sdk_status_error
from helpers.ratelimit import KINDS, Limit, RateLimits, parse_duration, read_rate_limits

FIXTURES = Path(helpers.__file__).parent / "fixtures" / "07_errors_retries"


def fixture_headers(name: str) -> dict[str, str]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["response"][
        "headers"
    ]


def unix(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# --- OpenAI durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),  # the OpenAI guide's sample values
        ("12ms", 0.012),
        ("20ms", 0.02),
        ("0s", 0.0),
        ("41.724s", 41.724),
        ("14h29m11.04s", 14 * 3600 + 29 * 60 + 11.04),  # from a public 429 message
        ("1m30.5s", 90.5),
        ("500us", 0.0005),
        ("30", 30.0),  # Azure OpenAI sends bare seconds
        (" 2s ", 2.0),
    ],
)
def test_durations_in_every_form_the_servers_send(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "s", "1m-2s", "-1", "nan", "inf", "1s2", "m1s"])
def test_malformed_durations_are_none(text):
    assert parse_duration(text) is None


# --- the authored fixtures' headers, as the builder writes them -----------------------------------


def test_openai_fixture_headers():
    headers = fixture_headers("07-ratelimit-headers-openai")
    limits = read_rate_limits(headers)
    assert limits.provider == "openai" and not limits.problems
    assert limits.requests == Limit(
        int(headers["x-ratelimit-limit-requests"]),
        int(headers["x-ratelimit-remaining-requests"]),
        parse_duration(headers["x-ratelimit-reset-requests"]),
    )
    assert limits.tokens.limit == int(headers["x-ratelimit-limit-tokens"])
    assert limits.tokens.remaining == int(headers["x-ratelimit-remaining-tokens"])
    assert limits.input_tokens is None and limits.output_tokens is None
    assert limits.requests.remaining < limits.requests.limit


def test_anthropic_fixture_headers_reset_is_a_moment():
    headers = fixture_headers("07-ratelimit-headers-anthropic")
    reset = headers["anthropic-ratelimit-requests-reset"]
    limits = read_rate_limits(headers, now=unix(reset) - 7.5)
    assert limits.provider == "anthropic" and not limits.problems
    for kind in KINDS:
        limit = getattr(limits, kind)
        name = "anthropic-ratelimit-" + kind.replace("_", "-")
        assert limit.limit == int(headers[f"{name}-limit"])
        assert limit.remaining == int(headers[f"{name}-remaining"])
        expected = unix(headers[f"{name}-reset"]) - unix(reset) + 7.5
        assert limit.reset_seconds == pytest.approx(expected)
    # A reset moment already past means "full now", not a negative wait.
    assert read_rate_limits(headers, now=unix(reset) + 60).requests.reset_seconds == 0


def test_header_names_are_case_insensitive_in_a_plain_dict():
    limits = read_rate_limits(
        {"X-RateLimit-Remaining-Requests": "7", "X-RateLimit-Limit-Requests": "9"}
    )
    assert limits.requests == Limit(9, 7, None)


# --- from the real SDKs, through the replay server ------------------------------------------------


def test_from_an_openai_raw_response(clean_env):
    from openai import OpenAI

    helpers.setup(mode="replay", quiet=True)
    raw = OpenAI().chat.completions.with_raw_response.create(
        model="gpt-5.4-mini",
        messages=[
            {"role": "user", "content": "한도 헤더를 확인하는 요청입니다. 짧게 인사해 주세요."}
        ],
        max_completion_tokens=30,
    )
    limits = read_rate_limits(raw)
    assert limits.provider == "openai"
    assert limits.requests.remaining == int(raw.headers["x-ratelimit-remaining-requests"])
    assert limits.tokens.reset_seconds == parse_duration(raw.headers["x-ratelimit-reset-tokens"])


def test_from_an_anthropic_raw_response(clean_env):
    import anthropic

    helpers.setup(mode="replay", quiet=True)
    body = json.loads((FIXTURES / "07-ratelimit-headers-anthropic.json").read_text("utf-8"))
    request = body["request"]["body"]
    raw = anthropic.Anthropic().messages.with_raw_response.create(
        model=request["model"], max_tokens=request["max_tokens"], messages=request["messages"]
    )
    limits = read_rate_limits(raw, now=unix(raw.headers["anthropic-ratelimit-tokens-reset"]))
    assert limits.provider == "anthropic"
    assert limits.output_tokens.remaining == int(
        raw.headers["anthropic-ratelimit-output-tokens-remaining"]
    )
    assert limits.tokens.reset_seconds == 0


@pytest.mark.parametrize(
    ("provider", "headers", "kind", "remaining"),
    [
        (
            "openai",
            {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"},
            "tokens",
            0,
        ),
        (
            "anthropic",
            {"anthropic-ratelimit-requests-remaining": "0", "retry-after": "3"},
            "requests",
            0,
        ),
        ("huggingface", {"ratelimit": '"api";r=0;t=55'}, "requests", 0),
    ],
)
def test_from_an_sdk_error(provider, headers, kind, remaining):
    error = sdk_status_error(provider, 429, headers)
    limits = read_rate_limits(error)
    assert limits.provider == provider
    assert getattr(limits, kind).remaining == remaining


# --- Hugging Face ---------------------------------------------------------------------------------


def test_huggingface_draft_headers_with_their_window():
    limits = read_rate_limits(
        {"ratelimit": '"api";r=12;t=55', "ratelimit-policy": '"fixed window";"api";q=500;w=300'}
    )
    assert limits.provider == "huggingface"
    assert limits.requests == Limit(500, 12, 55.0, 300.0)
    assert limits.tokens is None


def test_huggingface_malformed_header_is_a_note():
    limits = read_rate_limits({"ratelimit": "lots"})
    assert not limits and "ratelimit" in limits.problems[0] and "무시했습니다" in limits.problems[0]


# --- malformed values: None and a Korean note, never a crash ---------------------------------------


OPENAI_GOOD = fixture_headers("07-ratelimit-headers-openai")
ANTHROPIC_GOOD = fixture_headers("07-ratelimit-headers-anthropic")
RATE_HEADERS = sorted(name for name in {**OPENAI_GOOD, **ANTHROPIC_GOOD} if "ratelimit" in name)


@pytest.mark.parametrize("name", RATE_HEADERS)
@pytest.mark.parametrize("bad", ["", "abc", "1.5e3x", "-", "٣", "12 34"])
def test_every_header_with_a_malformed_value(name, bad):
    headers = dict(OPENAI_GOOD if name.startswith("x-") else ANTHROPIC_GOOD)
    headers[name] = bad
    limits = read_rate_limits(headers, now=0)
    kind = "requests" if "requests" in name else None
    for candidate in ("input_tokens", "output_tokens", "tokens"):
        if kind is None and candidate.replace("_", "-") in name:
            kind = candidate
    field = name.rsplit("-", 2)[1] if name.startswith("x-") else name.rsplit("-", 1)[1]
    attribute = {"reset": "reset_seconds"}.get(field, field)
    assert getattr(getattr(limits, kind), attribute) is None
    assert len(limits.problems) == 1 and name in limits.problems[0]
    assert "무시했습니다" in limits.problems[0]


def test_azure_minus_one_means_not_reported():
    limits = read_rate_limits(
        {
            "x-ratelimit-limit-tokens": "-1",
            "x-ratelimit-remaining-tokens": "-1",
            "x-ratelimit-reset-tokens": "0",
        }
    )
    assert limits.tokens == Limit(None, None, 0.0)
    assert len(limits.problems) == 2 and all("알려 주지 않는" in p for p in limits.problems)


def test_an_rfc3339_time_without_an_offset_is_refused():
    moment = fixture_headers("07-ratelimit-headers-anthropic")["anthropic-ratelimit-requests-reset"]
    assert moment.endswith("Z")
    limits = read_rate_limits({"anthropic-ratelimit-requests-reset": moment.removesuffix("Z")})
    assert limits.requests == Limit(None, None, None) and limits.problems


def test_no_rate_limit_headers_is_an_empty_answer():
    limits = read_rate_limits({"content-type": "application/json", "retry-after": "3"})
    assert limits == RateLimits() and not limits
    assert limits.describe() == "이 응답에는 요청 한도 헤더가 없습니다."


def test_describe_in_korean():
    text = read_rate_limits(
        {
            "x-ratelimit-limit-requests": "5000",
            "x-ratelimit-remaining-requests": "4999",
            "x-ratelimit-reset-requests": "12ms",
            "x-ratelimit-remaining-tokens": "many",
        }
    ).describe()
    assert text.splitlines()[0] == "요청 수: 4,999 / 5,000 남음, 0.012초 뒤 다 찹니다"
    assert "토큰 수: ? / ? 남음" in text and "⚠ x-ratelimit-remaining-tokens" in text


@pytest.mark.parametrize("source", [None, 42, "x-ratelimit-limit-requests: 5"])
def test_what_it_cannot_read_from_is_refused_in_korean(source):
    with pytest.raises(TypeError, match="응답 헤더"):
        read_rate_limits(source)


def test_reset_moment_is_measured_from_the_wall_clock_by_default():
    soon = datetime.now(UTC).timestamp() + 30
    reset = datetime.fromtimestamp(soon, UTC).isoformat().replace("+00:00", "Z")
    seconds = read_rate_limits({"anthropic-ratelimit-requests-reset": reset}).requests.reset_seconds
    assert 25 < seconds <= 30
