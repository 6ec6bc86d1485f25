"""The log of received requests: what arrived and how it was answered, for tests to assert on.

One `RequestRecord` is opened when a request arrives (before auth, faults or parsing) and completed as the
request is understood and answered, so a record exists even for requests that never reached a handler.
Records never hold headers, so no key can leak through them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace


@dataclass
class RequestRecord:
    """One received request. `deployment` is the path's deployment, or the `model` field on v1 paths.

    `received_at` is the wall-clock arrival time. `fault` names what was injected (`429`, `500`, `503`,
    `drop`, `badjson`, `truncate`, `slow`, `garble`, or `ratelimit` for the enforced RPM limit); `None` means none.
    For 429s, `retry_after_ms` is the wait asked for and `retry_not_before` the wall-clock time it ends, so
    tests can check that no later request arrived before a client was allowed to retry.
    """

    received_at: float
    method: str
    path: str
    request_id: str
    operation: str | None = None
    deployment: str | None = None
    model: str | None = None
    prompt: str | None = None
    n: int | None = None
    status: int | None = None
    fault: str | None = None
    retry_after_ms: int | None = None
    retry_not_before: float | None = None


class RequestLog:
    """Thread-safe, append-only list of records; readers get consistent copies."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def open(self, record: RequestRecord) -> RequestRecord:
        with self._lock:
            self._records.append(record)
        return record

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return [replace(record) for record in self._records]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
