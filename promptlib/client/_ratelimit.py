"""Client-side requests-per-minute pacing, per deployment, shared by sync and async callers.

Azure enforces a deployment's RPM over short windows — about 1 s and 10 s (a 60-RPM deployment admits one
request per second, ten per ten seconds) — not per minute, so a burst of a minute's allowance is refused
even when the minute's total is fine. The pacer therefore never bursts: it hands out send times spaced
``60 / rpm`` seconds apart (plus a small margin for the jitter between our clock and the service's arrival
times), which keeps every 1 s and 10 s window within its allowance while running at ~97% of the rate.

A 429 that names its wait (``retry-after-ms``) pushes the next send time back by that much, so the
requests queued behind the one refused do not walk into the same full window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import anyio

MARGIN = 0.03  # fraction of the interval added for arrival-time jitter


class RequestPacer:
    """Hands out send times at most one per ``interval`` seconds (thread-safe; no credit is saved up)."""

    def __init__(self, rpm: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rpm < 1:
            raise ValueError(f"requests per minute must be at least 1, not {rpm}")
        self.rpm = rpm
        self.interval = 60.0 / rpm * (1 + MARGIN)
        self._clock = clock
        self._next = float("-inf")
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next send time; returns how long to wait for it (0 when it is now)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now

    def pause(self, seconds: float) -> None:
        """The service asked to wait ``seconds``: send nothing more before then."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)

    def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            time.sleep(delay)

    async def await_turn(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await anyio.sleep(delay)
