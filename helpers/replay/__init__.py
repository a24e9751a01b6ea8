"""Keyless replay and live recording.

`helpers.setup()` starts one loopback `ReplayServer` per process and points the SDKs of the
providers in replay or record mode at it. This module keeps that server and offers what lessons
and tests use around it: fault injection and the log of requests the server received.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import Fault
    from .server import ReplayServer, RequestLog

_server: ReplayServer | None = None
_lock = threading.Lock()


DEFAULT_PORT = 47810


def preferred_port() -> int:
    """A fixed port keeps URLs in committed notebook outputs stable; a taken one falls back."""
    import os

    try:
        return int(os.environ.get("LLM_LAB_REPLAY_PORT", DEFAULT_PORT))
    except ValueError:
        return DEFAULT_PORT


def get_server(create: bool = True) -> ReplayServer | None:
    """The process-wide replay server, started on first use."""
    global _server
    with _lock:
        if _server is None and create:
            from .server import ReplayServer

            _server = ReplayServer(port=preferred_port())
        return _server


def _require_server() -> ReplayServer:
    server = get_server(create=False)
    if server is None:
        raise RuntimeError("리플레이 서버가 아직 없습니다. 먼저 helpers.setup()을 실행하세요.")
    return server


def inject_fault(kind: str, provider: str | None = None, times: int = 1, **options: Any) -> Fault:
    """Make the next `times` requests (to `provider`, or any) fail as `kind`.

    kinds: rate_limit (429), server_error (500), unavailable (503), overloaded (529),
    credits (402), forbidden (403), slow (first byte after `delay` seconds), cut_stream (after
    `after_events`), drip (from event `after_events` on, each event `delay` seconds late),
    disconnect (the connection closes with no answer), batch_expired (the next batch created
    expires after `finished` of its requests are done; see :mod:`helpers.replay.batches`).
    """
    from .faults import Fault

    return _require_server().faults.add(Fault(kind, provider, times, **options))


def clear_faults() -> None:
    _require_server().faults.clear()


@contextmanager
def fault(kind: str, provider: str | None = None, times: int = 1, **options: Any):
    """Inject a fault for the duration of a `with` block, then clear what is left of it."""
    injected = inject_fault(kind, provider, times, **options)
    try:
        yield injected
    finally:
        server = _require_server()
        with server.faults._lock:
            if injected in server.faults._faults:
                server.faults._faults.remove(injected)


def requests_seen(provider: str | None = None) -> RequestLog:
    """Requests the replay server received so far (to count an SDK's retries, for example).

    The server keeps the last 1000 records, but `len()` counts every request, so
    ``mark = len(requests_seen(p))`` … ``requests_seen(p)[mark:]`` stays right in a long session.
    """
    return _require_server().requests_for(provider)


def server_for(client: Any) -> ReplayServer | None:
    """The process-wide replay server if `client` (an SDK client) talks to it, else None.

    Decided by the client's own base URL, so a widget given a live client never mistakes itself
    for replay even when another provider runs in replay in the same kernel.
    """
    server = get_server(create=False)
    base = str(getattr(client, "base_url", "") or "")
    if server is None or not base.startswith(server.url + "/"):
        return None
    return server


def is_miss(exc: BaseException) -> bool:
    """True when `exc` is an SDK error for the replay server's "no recorded answer" reply."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    try:
        return bool(headers is not None and headers.get("x-llm-lab-miss"))
    except Exception:  # noqa: BLE001 - a header object that cannot answer means "not a miss"
        return False


def miss_detail(exc: BaseException) -> str:
    """The replay server's full diagnostic for a miss (fixtures searched, nearest diff, fixes)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str):
            return message
    return str(exc)


def hf_client_factory(server_url: str):
    """An httpx2 client factory for huggingface_hub that sends every request to the server."""
    import httpx2
    from huggingface_hub.utils._http import hf_request_event_hook

    class RedirectTransport(httpx2.HTTPTransport):
        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            target = f"{server_url}/hf/{request.url.host}{request.url.raw_path.decode()}"
            request.url = httpx2.URL(target)
            request.headers["host"] = server_url.split("://", 1)[1]
            return super().handle_request(request)

    def factory() -> httpx2.Client:
        return httpx2.Client(
            transport=RedirectTransport(),
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=None,
        )

    return factory


def hf_async_client_factory(server_url: str):
    """The async twin of :func:`hf_client_factory`, for ``AsyncInferenceClient``.

    huggingface_hub builds a fresh ``httpx2.AsyncClient`` per async client from a separate factory
    (``set_async_client_factory``), so the sync factory alone never reaches it.
    """
    import httpx2
    from huggingface_hub.utils._http import (
        async_hf_request_event_hook,
        async_hf_response_event_hook,
    )

    class RedirectTransport(httpx2.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            target = f"{server_url}/hf/{request.url.host}{request.url.raw_path.decode()}"
            request.url = httpx2.URL(target)
            request.headers["host"] = server_url.split("://", 1)[1]
            return await super().handle_async_request(request)

    def factory() -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            transport=RedirectTransport(),
            event_hooks={
                "request": [async_hf_request_event_hook],
                "response": [async_hf_response_event_hook],
            },
            follow_redirects=True,
            timeout=None,
        )

    return factory
