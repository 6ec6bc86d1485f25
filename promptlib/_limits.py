"""One concurrency limit per deployment, honoured by sync and async callers alike.

A thread pool calling ``generate`` and an event loop calling ``agenerate`` on the
same deployment must not add up to more than its ``max_concurrency``, so the
limit is a thread-safe counter that async callers poll without blocking the loop.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio

_POLL_START_S = 0.002
_POLL_MAX_S = 0.05


class ConcurrencyLimiter:
    """At most ``limit`` calls in flight; ``limit`` can change while running (AIMD later)."""

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._in_flight = 0
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        with self._cond:
            self._limit = max(1, value)
            self._cond.notify_all()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _try_acquire(self) -> bool:
        with self._cond:
            if self._in_flight < self._limit:
                self._in_flight += 1
                return True
            return False

    def _release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            while self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1
        try:
            yield
        finally:
            self._release()

    @asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        delay = _POLL_START_S
        while not self._try_acquire():
            await anyio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX_S)
        try:
            yield
        finally:
            self._release()


_registry: dict[str, ConcurrencyLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(deployment: str, limit: int) -> ConcurrencyLimiter:
    """The process-wide limiter of a deployment (created on first use)."""
    with _registry_lock:
        limiter = _registry.get(deployment)
        if limiter is None:
            limiter = _registry[deployment] = ConcurrencyLimiter(limit)
        return limiter
