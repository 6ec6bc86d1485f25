"""An enforced requests-per-minute limit, the way Azure enforces one: over short windows, not per minute.

Azure limits "a 600-RPM deployment … if more than 10 requests are received during each 1-second period", and
also checks a 10-second period. So an RPM of R allows `ceil(R/60)` requests in any sliding 1-second window and
`ceil(R/6)` in any sliding 10-second window (6 RPM → 1 request per 10 s; 60 RPM → 1 per second and 10 per
10 s). Rounding up keeps small limits usable: a 6-RPM deployment still admits one request at a time.

Every admitted request counts, whatever its outcome (Azure counts failed requests too). A request over the
limit is answered 429 with `retry-after-ms` set to exactly when it would be admitted, and is not counted.
Every response carries `x-ratelimit-limit-requests` (the RPM), `x-ratelimit-remaining-requests` (how many
more would be admitted right now) and `x-ratelimit-reset-requests` (seconds until the windows are empty).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptlib.emulator._faults import throttled
from promptlib.emulator._middleware import record_in

WINDOWS = (1.0, 10.0)


def allowances(rpm: int) -> tuple[int, int]:
    """Requests allowed per 1-second and per 10-second window for `rpm`."""
    return math.ceil(rpm / 60), math.ceil(rpm / 6)


class RateLimiter:
    """Sliding 1 s and 10 s windows over admitted requests' arrival times (thread-safe)."""

    def __init__(self, rpm: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rpm = rpm
        self._limits = tuple(zip(WINDOWS, allowances(rpm), strict=True))
        self._admitted: deque[float] = deque()
        self._clock = clock
        self._lock = threading.Lock()

    def admit(self) -> tuple[float, dict[str, str]]:
        """(0, headers) and count the request if it is within the limit; else (seconds to wait, headers)."""
        with self._lock:
            now = self._clock()
            while self._admitted and self._admitted[0] <= now - WINDOWS[-1]:
                self._admitted.popleft()
            wait = self._wait(now)
            if wait <= 0:
                self._admitted.append(now)
            return max(wait, 0.0), self._headers(now)

    def _wait(self, now: float) -> float:
        """How long until one more request fits in every window."""
        wait = 0.0
        for window, allowed in self._limits:
            inside = [t for t in self._admitted if t > now - window]
            if len(inside) >= allowed:
                wait = max(wait, inside[-allowed] + window - now)
        return wait

    def _headers(self, now: float) -> dict[str, str]:
        remaining = min(allowed - sum(t > now - window for t in self._admitted) for window, allowed in self._limits)
        reset = self._admitted[-1] + WINDOWS[-1] - now if self._admitted else 0.0
        return {
            "x-ratelimit-limit-requests": str(self.rpm),
            "x-ratelimit-remaining-requests": str(max(remaining, 0)),
            "x-ratelimit-reset-requests": f"{max(reset, 0.0):.3f}".rstrip("0").rstrip("."),
        }


class RateLimit:
    """ASGI layer (just inside the request log): 429 over the limit, `x-ratelimit-*` headers on every answer."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wait, headers = self.limiter.admit()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        if wait <= 0:
            await self.app(scope, receive, send_with_headers)
            return
        wait_ms = math.ceil(wait * 1000)
        record = record_in(scope)
        record.fault = "ratelimit"
        record.retry_after_ms = wait_ms
        record.retry_not_before = time.time() + wait_ms / 1000
        await throttled(wait_ms)(scope, receive, send_with_headers)
