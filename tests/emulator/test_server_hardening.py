"""The served emulator survives clients a shared dev box or CI runner may meet: huge bodies, slow clients,
hostile paths and deeply nested JSON all get a prompt, Azure-shaped answer and cost it nothing."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from promptlib.emulator import EmulatorConfig, running_emulator
from promptlib.emulator import _server as server
from promptlib.emulator._middleware import MAX_JSON_BODY

GENERATIONS = "/openai/deployments/images/images/generations?api-version=2025-04-01-preview"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(server, "HEADER_TIMEOUT", 1.0)
    with running_emulator(EmulatorConfig()) as url:
        yield url


def test_a_body_over_the_limit_is_refused_from_its_content_length(served: str) -> None:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", int(served.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(
            b"POST " + GENERATIONS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400000000\r\n\r\n{"
        )
        reply = b""
        while b"request_too_large" not in reply and time.perf_counter() - started < 5:
            chunk = sock.recv(4096)  # headers and body may come in separate packets
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413")
    assert b'"code":"request_too_large"' in reply
    assert time.perf_counter() - started < 5  # nothing of the 400 MB was waited for


def test_a_chunked_body_over_the_limit_is_cut_off_as_it_streams(served: str) -> None:
    def body() -> Iterator[bytes]:
        chunk = b" " * 65536
        for _ in range(MAX_JSON_BODY // len(chunk) + 8):
            yield chunk

    response = httpx.post(served + GENERATIONS, content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_client_trickling_its_headers_is_disconnected(served: str) -> None:
    """One byte a second would hold the connection for ever; it is closed after HEADER_TIMEOUT."""
    with socket.create_connection(("127.0.0.1", int(served.rsplit(":", 1)[1])), timeout=10) as sock:
        started = time.perf_counter()
        closed = False
        for byte in b"POST /openai/v1/images/generations HTTP/1.1\r\nHost: slow\r\n":
            try:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
            except OSError:
                closed = True
                break
            if time.perf_counter() - started > 8:
                break
        if not closed:
            sock.settimeout(5)
            closed = sock.recv(1) == b""
    assert closed
    assert time.perf_counter() - started < 8


def test_deep_json_is_a_400_in_azures_shape(served: str) -> None:
    response = httpx.post(
        served + GENERATIONS, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_hostile_path_cannot_forge_a_log_line(served: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="promptlib.emulator"):
        httpx.post(served + "/openai/v1/%0A2026-12-01 INFO POST /fake 200%1b[2J", json={})
    lines = [record.getMessage() for record in caplog.records if record.name == "promptlib.emulator"]
    assert lines and all("\n" not in line and "\x1b" not in line for line in lines)
    assert any("\\n2026-12-01 INFO POST /fake 200\\x1b[2J" in line for line in lines)
