"""Serving the app: in the foreground for `promptlib playground`, in a thread for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

STARTUP_TIMEOUT = 10.0


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before uvicorn starts, so the URL printed is the port actually served."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _server(app: Starlette) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", timeout_graceful_shutdown=1))


def serve(app: Starlette, host: str, port: int, on_ready: Callable[[int], None]) -> None:
    """Serve until Ctrl-C; `on_ready(port)` runs once the server accepts connections."""
    sock = _bind(host, port)
    server = _server(app)
    port_bound = sock.getsockname()[1]
    watcher = threading.Thread(target=_when_started, args=(server, lambda: on_ready(port_bound)), daemon=True)
    watcher.start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _when_started(server: uvicorn.Server, then: Callable[[], None]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    if server.started:
        then()


@contextmanager
def running_app(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` in a background thread; yield its base URL. Stopped and joined when the block exits."""
    sock = _bind(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="promptlib-web", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the playground server did not start")
            time.sleep(0.005)
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()
