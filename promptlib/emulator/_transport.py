"""A synchronous httpx transport for ASGI apps, so sync and async callers share one code path.

httpx ships only an async ASGI transport. This one runs that transport on a private event loop in a daemon
thread and blocks the calling thread until the response is complete. Responses are fully read before they
are returned (the emulator's are small and finite).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

T = TypeVar("T")


class SyncASGITransport(httpx.BaseTransport):
    """`httpx.Client(transport=SyncASGITransport(app))` calls `app` in-process, like `httpx.ASGITransport`."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app)
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
