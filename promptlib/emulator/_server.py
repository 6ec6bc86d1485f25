"""Serving the emulator over real HTTP: blocking (`serve`) or in a background thread (`running_emulator`).

Uvicorn's access log is off: it prints query strings, which a careless client could fill with a key. The
emulator's own request lines (method, path, status, request id) go to the `promptlib.emulator` logger.

The HTTP protocol is uvicorn's h11 one with a hook for the `drop` fault: ASGI has no way to say "close the
connection without answering" (an app that raises gets a 500 sent for it), so each connection puts a
callable that closes its socket into the request scope's extensions.
"""

from __future__ import annotations

import asyncio
import copy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from promptlib.emulator._app import EmulatorApp, create_app
from promptlib.emulator._config import EmulatorConfig
from promptlib.emulator._faults import DROP_EXTENSION

STARTUP_TIMEOUT = 10.0
#: Seconds a connection may take to send a request's headers (slow-loris clients are cut off after it).
HEADER_TIMEOUT = 10.0


def serve(config: EmulatorConfig, host: str = "127.0.0.1", port: int = 8089) -> None:
    """Serve the emulator until interrupted (Ctrl-C). Binds to loopback unless `host` says otherwise."""
    uvicorn.run(create_app(config), **_uvicorn_options(), host=host, port=port, log_config=_log_config())


@contextmanager
def running_emulator(config: EmulatorConfig | EmulatorApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the emulator in a background thread; yield its base URL (`http://127.0.0.1:54321`).

    `port=0` picks a free port. Pass an app from `create_app` instead of a config to keep a handle on its
    request log. The server is stopped and its thread joined when the block exits.
    """
    app = config if isinstance(config, EmulatorApp) else create_app(config)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, **_uvicorn_options(), log_config=None, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="promptlib-emulator", daemon=True)
        thread.start()
        _wait_started(server, thread)
        try:
            yield f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{bound_port}"
        finally:
            server.should_exit = True
            thread.join(STARTUP_TIMEOUT)
    finally:
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.01)


class _DroppableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, offering each request a way to close its connection without a response, and
    closing connections whose request headers do not arrive within HEADER_TIMEOUT (uvicorn waits for ever, so
    a client sending a byte a second would hold its connection open indefinitely)."""

    _header_timer: asyncio.TimerHandle | None = None
    _timed_cycle: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()
        inner: ASGIApp = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})[DROP_EXTENSION] = transport.close
            await inner(scope, receive, send)

        self.app = app

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._timed_cycle:  # a request's headers are complete
            self._timed_cycle = self.cycle
            self._disarm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()  # a kept-alive connection must send its next request's headers in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def _uvicorn_options() -> dict[str, Any]:
    # No websockets or lifespan: the app needs neither, and loading them only adds start-up time. No proxy
    # headers: a client must not be able to rename itself with X-Forwarded-For.
    return {
        "access_log": False, "ws": "none", "lifespan": "off", "timeout_graceful_shutdown": 5,
        "http": _DroppableH11Protocol, "proxy_headers": False,
    }  # fmt: skip


def _log_config() -> dict[str, Any]:
    """Uvicorn's logging config plus the emulator's request lines on the same console handler."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["promptlib.emulator"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
