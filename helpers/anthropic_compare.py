"""Side-by-side facts about the installed openai and anthropic SDKs, for lesson 03.

Lesson 03 compares OpenAI Chat Completions with Anthropic Messages row by row, and every row is
shown by a cell. Two rows need a little machinery that would only distract in the notebook:

- which exception each SDK raises for an HTTP status: asked of each SDK's own status-to-exception
  function (the one its clients call on an error response), with a response built in memory, so
  nothing is sent anywhere;
- which authentication headers a request carried, with the key masked.

Both SDKs are imported only when a function runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .keys import mask

__all__ = ["DEFAULT_STATUSES", "SECRET_HEADERS", "auth_headers", "error_class", "error_classes"]

DEFAULT_STATUSES = (400, 401, 403, 404, 429, 500, 503, 529)
SECRET_HEADERS = ("authorization", "x-api-key", "api-key")
AUTH_HEADERS = (*SECRET_HEADERS, "anthropic-version", "openai-organization", "openai-project")
_PLACEHOLDER_KEY = "not-a-real-key-offline-lookup"  # never sent: no request is made


def _client(provider: str) -> Any:
    # A client is needed only for its status-to-exception function; base_url points nowhere.
    if provider == "openai":
        import openai

        return openai.OpenAI(api_key=_PLACEHOLDER_KEY, base_url="http://127.0.0.1:9/v1")
    if provider == "anthropic":
        import anthropic

        return anthropic.Anthropic(api_key=_PLACEHOLDER_KEY, base_url="http://127.0.0.1:9")
    raise ValueError(f"알 수 없는 공급자입니다: {provider!r}. 'openai' 또는 'anthropic'만 됩니다.")


def error_class(provider: str, status: int) -> type[Exception]:
    """The exception class the installed SDK raises for an error response with ``status``."""
    import httpx2

    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"HTTP 오류 상태 코드(400~599)를 주세요. 받은 값: {status!r}")
    client = _client(provider)
    host = "api.openai.com" if provider == "openai" else "api.anthropic.com"
    request = httpx2.Request("POST", f"https://{host}/v1/example")
    response = httpx2.Response(status, request=request, json={"error": {"message": "example"}})
    error = client._make_status_error("example", body=None, response=response)
    return type(error)


def error_classes(statuses: Iterable[int] = DEFAULT_STATUSES):
    """A pandas DataFrame: HTTP status → exception class name in openai and in anthropic."""
    import pandas as pd

    rows = []
    for status in statuses:
        names = {p: error_class(p, status).__name__ for p in ("openai", "anthropic")}
        rows.append(
            {"HTTP 상태": status, "openai": names["openai"], "anthropic": names["anthropic"]}
        )
    return pd.DataFrame(rows).set_index("HTTP 상태")


def _masked_value(name: str, value: str) -> str:
    scheme, _, token = value.partition(" ")
    if name == "authorization" and token:
        return f"{scheme} {mask(token)}"
    return mask(value)


def auth_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """The authentication-related headers of a request, keys masked; other headers left out.

    Accepts ``raw.http_request.headers`` from ``with_raw_response`` (an ``httpx2.Headers``), a dict,
    or ``(name, value)`` pairs. Names come back in lower case.
    """
    items = headers.items() if hasattr(headers, "items") else headers
    found: dict[str, str] = {}
    for name, value in items:
        key = str(name).lower()
        if key not in AUTH_HEADERS:
            continue
        found[key] = _masked_value(key, str(value)) if key in SECRET_HEADERS else str(value)
    return found
