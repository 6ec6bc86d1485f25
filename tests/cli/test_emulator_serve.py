"""``promptlib emulator serve`` as a real process: loopback only, checks the key, never prints it."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from deployments.helpers import (
    API_VERSION,
    azure_yaml,
    image_of,
    make_project,
)

from promptlib import Library

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

KEY = "SERVE-KEY-7f3a9c21"
GENERATIONS = f"/openai/deployments/images/images/generations?api-version={API_VERSION}"
BODY = {"prompt": "A lighthouse on a cliff", "size": "1024x1024", "quality": "low"}


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """Everything the server printed; stops it first so the output is complete."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        return self.log.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    port = _free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "promptlib.cli", "emulator", "serve", "--port", str(port), *args],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )  # fmt: skip
    served = Served(f"http://127.0.0.1:{port}", port, process, log)
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(served.url + "/", timeout=0.5)
            return served
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the emulator did not start:\n{served.output()}") from None
            time.sleep(0.05)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = _start(tmp_path, "--api-key", KEY)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(timeout=15)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port``, from /proc/net/tcp{,6} (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:] if Path(table).exists() else []
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def test_it_binds_loopback_and_says_where(served: Served) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs /proc/net/tcp to see the listening address")

    assert _listening_addresses(served.port) == {"0100007F"}  # 127.0.0.1, and nothing else
    assert f"promptlib emulator on http://127.0.0.1:{served.port} (auth on)" in served.output()


def test_the_right_key_works_a_wrong_one_gets_401(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        by_header = http.post(GENERATIONS, json=BODY, headers={"api-key": KEY})
        by_bearer = http.post(GENERATIONS, json=BODY, headers={"Authorization": f"Bearer {KEY}"})
        wrong = http.post(GENERATIONS, json=BODY, headers={"api-key": KEY[:-1] + "x"})
        missing = http.post(GENERATIONS, json=BODY)

    assert by_header.status_code == by_bearer.status_code == 200
    image = image_of(base64.b64decode(by_header.json()["data"][0]["b64_json"]))
    assert (image.format, image.size) == ("PNG", (1024, 1024))
    assert by_header.headers["x-request-id"]
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["error"]["code"] == "401"
    assert KEY not in wrong.text
    assert KEY not in served.output()


def test_a_key_in_the_query_string_is_not_logged(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        response = http.post(f"{GENERATIONS}&api-key={KEY}", json=BODY, headers={"api-key": KEY})

    assert response.status_code == 200
    output = served.output()
    assert "/openai/deployments/images/images/generations" in output  # requests are logged …
    assert KEY not in output  # … without their query strings or headers


def test_a_library_generates_against_the_served_process(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    for style in (None, "v1"):
        project = make_project(tmp_path / f"p-{style}", azure_yaml("dev", endpoint=served.url, api_style=style))
        with Library.load(project) as library:
            result = library.generate("tile", deployment="dev")
        assert result.images[0].size == (1024, 1024)
        assert result.request_id

    assert KEY not in served.output()


def test_the_key_from_the_environment_is_not_printed_either(tmp_path: Path) -> None:
    server = _start(tmp_path, env={"PROMPTLIB_EMULATOR_API_KEY": KEY})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post(GENERATIONS, json=BODY, headers={"api-key": KEY}).status_code == 200
            assert http.post(GENERATIONS, json=BODY, headers={"api-key": "nope-nope"}).status_code == 401
    finally:
        output = server.output()

    assert "(auth on)" in output
    assert KEY not in output


def test_without_a_key_anyone_on_loopback_may_call(tmp_path: Path) -> None:
    server = _start(tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post(GENERATIONS, json=BODY).status_code == 200
    finally:
        output = server.output()

    assert "(auth off)" in output
