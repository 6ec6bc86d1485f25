"""Fixtures for the trust-boundary tests: a pull request's copy of the example project, CI's secrets, and a
listener standing in for the attacker's host.

Every attack here is written as a PR author would write it: edit files in a git checkout of the example
project (whose `main` is the reviewed base), then let CI run `promptlib check` and `promptlib eval` with
its secrets in the environment. The foreign host is a loopback listener set as the HTTP(S) proxy, so any
request to `attacker.example` (or anywhere else off the machine) reaches it and is recorded.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from e2e.helpers import approved_brand, clone

AZURE_KEY = "azure-key-SECRET-7f3a9c1e5b2d4680"
GITHUB_TOKEN = "ghs_SECRETtoken4b8c2d9e1f7a3c5e"


@dataclass
class Listener:
    """A TCP server on 127.0.0.1 that records what each connection sends, then hangs up."""

    port: int
    received: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def everything(self) -> bytes:
        return b"".join(self.received)


@pytest.fixture
def foreign_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    """Stands in for attacker.example: every proxy variable points at it, so nothing off-machine is reached."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    listener = Listener(port=server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    listener.received.append(connection.recv(65536) or b"<connected, sent nothing>")
                except OSError:
                    listener.received.append(b"<connected>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, listener.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield listener
    stop.set()
    thread.join(5)
    server.close()


@dataclass
class CiJob:
    """What a CI job's environment holds: the Azure key, a GitHub token and the job summary file."""

    step_summary: Path
    secrets: tuple[str, ...] = (AZURE_KEY, GITHUB_TOKEN)


@pytest.fixture
def ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CiJob:
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    return CiJob(step_summary=summary)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "base",
            "GIT_AUTHOR_EMAIL": "b@x",
            "GIT_COMMITTER_NAME": "base",
            "GIT_COMMITTER_EMAIL": "b@x",
            "PATH": "/usr/bin:/bin",
            "HOME": str(root),
        },
    )
    return done.stdout


@pytest.fixture
def pr(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project (brand suite, approved) committed as `main`: the PR's edits come on top of it."""
    root = clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")
    (root / ".gitignore").write_text(".promptlib/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root
