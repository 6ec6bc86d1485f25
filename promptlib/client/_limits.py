"""One concurrency limit per deployment, honoured by sync and async callers alike; a run's retry budget.

A thread pool calling ``generate`` and an event loop calling ``agenerate`` on the
same deployment must not add up to more than its ``max_concurrency``, so the
limit is a thread-safe counter that async callers poll without blocking the loop.

The limit adapts (AIMD): a 429 halves it (not below 1), and a streak of as many
successes as the current limit adds one back, up to the configured maximum. Only
one 429 per "generation" of the limit counts, so a burst of 429s answering
requests that were all sent under the old limit halves it once, not once each.

A run's retry budget (``RetryBudget``) caps the retries of all its requests
together, so a dead or storming endpoint stops the run instead of retrying every
request to the end of its own attempts.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import anyio

_POLL_START_S = 0.002
_POLL_MAX_S = 0.05


class ConcurrencyLimiter:
    """At most ``limit`` calls in flight; ``limit`` adapts between 1 and ``ceiling`` (AIMD on 429)."""

    def __init__(self, limit: int) -> None:
        self._limit = self._ceiling = max(1, limit)
        self._in_flight = 0
        self._epoch = 0  # bumped whenever the limit is lowered
        self._streak = 0
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        """Set the limit and the ceiling AIMD climbs back to (``eval --concurrency``)."""
        with self._cond:
            self._limit = self._ceiling = max(1, value)
            self._streak = 0
            self._cond.notify_all()

    @property
    def ceiling(self) -> int:
        return self._ceiling

    @property
    def epoch(self) -> int:
        return self._epoch

    def rate_limited(self, epoch: int) -> None:
        """A request sent during ``epoch`` got a 429: halve the limit, once per epoch."""
        with self._cond:
            self._streak = 0
            if epoch == self._epoch and self._limit > 1:
                self._limit = max(1, self._limit // 2)
                self._epoch += 1

    def succeeded(self) -> None:
        """A request got an answer that was not a 429: after ``limit`` in a row, allow one more in flight."""
        with self._cond:
            if self._limit >= self._ceiling:
                return
            self._streak += 1
            if self._streak >= self._limit:
                self._limit += 1
                self._streak = 0
                self._cond.notify()

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
    def slot(self) -> Iterator[int]:
        """Hold one of the ``limit`` places; yields the epoch to pass to ``rate_limited``."""
        with self._cond:
            while self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1
            epoch = self._epoch
        try:
            yield epoch
        finally:
            self._release()

    @asynccontextmanager
    async def aslot(self) -> AsyncIterator[int]:
        delay = _POLL_START_S
        while not self._try_acquire():
            await anyio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX_S)
        epoch = self._epoch
        try:
            yield epoch
        finally:
            self._release()


RETRY_BUDGET_FLOOR = 20
RETRY_BUDGET_RATIO = 2.0


class RetryBudget:
    """The retries one run may spend, all deployments together: ``max(floor, ratio × requests started)``.

    The default (at least 20, else two retries per request on average) lets a run through a hostile but
    working service — one failing half of all attempts needs about one retry per request — while a dead
    endpoint (every attempt fails, up to 5 retries each) drains it after a few dozen requests. Once a retry
    is refused the budget is spent for good: requests not yet sent fail at once, without being sent.
    """

    def __init__(self, floor: int = RETRY_BUDGET_FLOOR, ratio: float = RETRY_BUDGET_RATIO) -> None:
        self.floor = floor
        self.ratio = ratio
        self.requests = 0
        self.retries = 0
        self.exhausted = False
        self._lock = threading.Lock()

    @property
    def allowed(self) -> int:
        return max(self.floor, int(self.ratio * self.requests))

    def started(self) -> None:
        """A request's first attempt is about to be sent."""
        with self._lock:
            self.requests += 1

    def spend(self) -> bool:
        """Take one retry; False (and spent for good) when the run has used all it may."""
        with self._lock:
            if self.exhausted or self.retries >= self.allowed:
                self.exhausted = True
                return False
            self.retries += 1
            return True

    def describe(self) -> str:
        cap = f"max({self.floor}, {self.ratio:g} × requests)"
        return f"{self.retries} retries for {self.requests} requests, at most {cap}"


@dataclass
class CallTally:
    """What one logical request cost in HTTP terms: attempts sent, 429s received, read timeouts."""

    attempts: int = 0
    rate_limited: int = 0
    read_timeouts: int = 0  # attempts that got no answer within the read timeout (retried at most once)

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


# The run's budget and the current call's tally, for the client to find without threading them through
# every signature; an eval run sets the budget, a caller wanting the counts sets a tally around one call.
retry_budget: contextvars.ContextVar[RetryBudget | None] = contextvars.ContextVar("retry_budget", default=None)
call_tally: contextvars.ContextVar[CallTally | None] = contextvars.ContextVar("call_tally", default=None)
