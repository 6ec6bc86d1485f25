"""httpx transports for ASGI apps that behave like a socket: sync as well as async, and with timeouts.

httpx ships only an async ASGI transport, and it ignores the client's timeout: a stalled app would hang the
caller forever. `AsyncASGITransport` gives up after the request's read timeout with `httpx.ReadTimeout`, as a
real connection would (the emulator's `slow` fault and long latencies rely on it). `SyncASGITransport` runs
that transport on a private event loop in a daemon thread and blocks the calling thread until the response
is complete. Responses are fully read before they are returned (the emulator's are small and finite).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import anyio
import httpx
from starlette.types import ASGIApp

T = TypeVar("T")


class AsyncASGITransport(httpx.ASGITransport):
    """`httpx.ASGITransport` that honours the client's read timeout (the whole exchange must fit in it)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        limit = _read_timeout(request)
        if limit is None:
            return await super().handle_async_request(request)
        with anyio.move_on_after(limit) as scope:
            return await super().handle_async_request(request)
        if scope.cancelled_caught:
            raise httpx.ReadTimeout(f"no complete response within {limit:g} s", request=request)
        raise AssertionError("unreachable: the request either finished or timed out")


class SyncASGITransport(httpx.BaseTransport):
    """`httpx.Client(transport=SyncASGITransport(app))` calls `app` in-process, like `httpx.ASGITransport`."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = AsyncASGITransport(app=app)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body,
                                  extensions=request.extensions)  # fmt: skip
        status, headers, content, extensions = self._run(self._send(forwarded))
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), extensions=extensions)

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    async def _send(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes, dict[str, Any]]:
        response = await self._transport.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        return response.status_code, response.headers, content, dict(response.extensions)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop()).result()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="promptlib-asgi-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) else None
