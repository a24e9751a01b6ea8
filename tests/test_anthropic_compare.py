"""helpers.anthropic_compare: status → exception class from each SDK, masked auth headers."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from helpers import anthropic_compare


@pytest.mark.parametrize(
    ("status", "openai_class", "anthropic_class"),
    [
        (404, openai.NotFoundError, anthropic.NotFoundError),
        (429, openai.RateLimitError, anthropic.RateLimitError),
        (503, openai.InternalServerError, anthropic.ServiceUnavailableError),
        (529, openai.InternalServerError, anthropic.OverloadedError),
    ],
)
def test_error_class_is_what_each_sdk_raises(status, openai_class, anthropic_class):
    assert anthropic_compare.error_class("openai", status) is openai_class
    assert anthropic_compare.error_class("anthropic", status) is anthropic_class


def test_error_classes_table_has_one_row_per_status():
    table = anthropic_compare.error_classes([400, 529])
    assert list(table.index) == [400, 529]
    assert table.loc[529, "anthropic"] == "OverloadedError"
    assert table.loc[529, "openai"] == "InternalServerError"
    assert table.loc[400, "openai"] == table.loc[400, "anthropic"] == "BadRequestError"


@pytest.mark.parametrize("status", [200, 302, 600, "404", True])
def test_error_class_refuses_what_is_not_an_error_status(status):
    with pytest.raises(ValueError, match="400~599"):
        anthropic_compare.error_class("anthropic", status)


def test_error_class_refuses_an_unknown_provider():
    with pytest.raises(ValueError, match="알 수 없는 공급자"):
        anthropic_compare.error_class("gemini", 500)


KEY = "example-secret-value-1234567890"


def test_auth_headers_masks_keys_and_keeps_only_auth_headers():
    headers = httpx2.Headers(
        {
            "Authorization": f"Bearer {KEY}",
            "anthropic-version": "2026-10-21",
            "content-type": "application/json",
            "user-agent": "Anthropic/Python",
        }
    )
    shown = anthropic_compare.auth_headers(headers)
    assert set(shown) == {"authorization", "anthropic-version"}
    assert shown["authorization"].startswith("Bearer ")
    assert KEY not in shown["authorization"] and KEY[-4:] in shown["authorization"]
    assert shown["anthropic-version"] == "2026-10-21"


def test_auth_headers_masks_x_api_key_given_as_pairs():
    shown = anthropic_compare.auth_headers([("X-Api-Key", KEY), ("Accept", "application/json")])
    assert list(shown) == ["x-api-key"]
    assert KEY not in shown["x-api-key"]
