"""The JSON body a real SDK client puts on the wire, captured offline.

Graders judge what the API would receive, not the learner's Python objects: an SDK object, its
``model_dump()`` and a hand-built dict are all right if the SDK sends the same JSON. The client is
the real ``openai.OpenAI`` / ``anthropic.Anthropic`` on an ``httpx2.MockTransport``, so nothing
reaches a network and the SDK's own serialization (and its ``TypeError`` for an unknown
argument) is what a learner gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_BASE_URLS = {"openai": "http://labs.invalid/v1", "anthropic": "http://labs.invalid"}


def sent_body(provider: str, reply: dict[str, Any], send: Callable[[Any], Any]) -> dict[str, Any]:
    """Run ``send(client)`` on an offline client of ``provider`` answering ``reply``; return the
    JSON body of the last request it sent. Raises what the SDK raises."""
    import httpx2

    seen: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=reply)

    if provider == "openai":
        import openai

        factory: Any = openai.OpenAI
    elif provider == "anthropic":
        import anthropic

        factory = anthropic.Anthropic
    else:
        raise ValueError(f"provider는 'openai'나 'anthropic'이어야 합니다: {provider!r}")
    client = factory(
        api_key="lab-no-key",
        base_url=_BASE_URLS[provider],
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    with client:
        send(client)
    return seen[-1]
