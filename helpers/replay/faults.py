"""Failures on demand: the replay server can answer like a struggling API.

A fault is queued for a provider (or any) and consumed by the next matching requests. This is how
the errors lesson and the tests reproduce 429s, 5xx, 529 overloads, 402 credit exhaustion, 403,
a slow first byte, a stream that stalls or is cut mid-way, a dropped connection and a batch that
expires without waiting for a real outage or a real day.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# kind -> (HTTP status, error type per provider family, message)
ERROR_FAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "rate_limit_error", "Rate limit reached. Please try again later."),
    "server_error": (500, "api_error", "The server had an error while processing your request."),
    "unavailable": (503, "api_error", "The service is temporarily unavailable."),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "credits": (402, "payment_required", "You have exceeded your monthly included credits."),
    "forbidden": (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
}
# slow: first byte after `delay` s; cut_stream: hang up after `after_events` events;
# drip: from event `after_events` on, each event `delay` s after the one before, the events
# before it at once, whatever the replay speed (a JSON body waits `delay` once);
# disconnect: close the connection without answering at all.
STREAM_FAULTS = ("slow", "cut_stream", "drip")
CONNECTION_FAULTS = ("disconnect",)
# The faults a request meets (what lesson 07's explain() and retry cover).
KINDS = (*ERROR_FAULTS, *STREAM_FAULTS, *CONNECTION_FAULTS)
# batch_expired: the next batch created (OpenAI Batch API or Anthropic Message Batches) expires
# after its first `finished` requests. Only a batch creation takes it, never another request, and
# no request fails because of it, so it is not one of KINDS.
BATCH_FAULTS = ("batch_expired",)
ALL_KINDS = (*KINDS, *BATCH_FAULTS)


@dataclass
class Fault:
    kind: str
    provider: str | None = None
    times: int = 1
    retry_after: float | None = None
    delay: float = 5.0
    after_events: int = 5
    finished: int = 0

    def applies_to(self, provider: str) -> bool:
        return self.provider in (None, provider)


class FaultQueue:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in ALL_KINDS:
            raise ValueError(
                f"알 수 없는 장애 종류입니다: {fault.kind!r}. 가능한 값: {', '.join(ALL_KINDS)}"
            )
        if fault.finished < 0:
            raise ValueError("finished는 0 이상이어야 합니다.")
        if fault.times < 1:
            raise ValueError("times는 1 이상이어야 합니다.")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, provider: str, kinds: tuple[str, ...] | None = None) -> Fault | None:
        """The next fault for this provider, used up by one request.

        Without `kinds`, any fault but a batch fault (which waits for a batch to be created);
        with `kinds`, only a fault of those kinds.
        """
        with self._lock:
            for fault in self._faults:
                wanted = (
                    fault.kind in kinds if kinds is not None else fault.kind not in BATCH_FAULTS
                )
                if wanted and fault.applies_to(provider):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
