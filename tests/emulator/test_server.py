"""`running_emulator` serves real HTTP on loopback, shuts down cleanly, and never logs keys."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest
from emulator_helpers import GENERATIONS

from promptlib.emulator import EmulatorConfig, create_app, running_emulator


def test_serves_on_a_free_loopback_port_and_stops() -> None:
    app = create_app(EmulatorConfig())
    with running_emulator(app) as base:
        host, port = base.removeprefix("http://").split(":")
        assert host == "127.0.0.1" and int(port) > 0
        response = httpx.post(base + GENERATIONS, json={"prompt": "A kite", "quality": "low"})
        assert response.status_code == 200
    assert [r.status for r in app.requests] == [200]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=1):
        pass


def test_request_lines_are_logged_without_keys_or_query(caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cret-key-value"
    caplog.set_level(logging.INFO)
    with running_emulator(EmulatorConfig(api_key=secret)) as base:
        httpx.post(base + GENERATIONS + f"&api-key={secret}", json={"prompt": "A kite"}, headers={"api-key": "nope"})
        httpx.post(base + GENERATIONS, json={"prompt": "A kite", "quality": "low"}, headers={"api-key": secret})
    lines = [r.getMessage() for r in caplog.records if r.name == "promptlib.emulator"]
    assert len(lines) == 2 and " 401 " in lines[0] and " 200 " in lines[1]
    server_side = [r.getMessage() for r in caplog.records if r.name.startswith(("promptlib", "uvicorn"))]
    assert all(secret not in line and "nope" not in line for line in server_side)


def test_a_taken_port_fails_loudly() -> None:
    with running_emulator(EmulatorConfig()) as base:
        port = int(base.rsplit(":", 1)[1])
        with pytest.raises(OSError), running_emulator(EmulatorConfig(), port=port):
            pass
