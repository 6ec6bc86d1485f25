"""Shared fixtures: a clean environment for every test and a small throwaway project.

The ``project`` fixture builds, in ``tmp_path``, what a user's repository looks like
after a few weeks of use: promptlib.yaml with a local emulator and an Azure
deployment that needs environment variables, two templates (one including a
nested partial), one eval suite and an up-to-date lock. Tests change it through
the helpers on :class:`Project` and look at what the library or CLI then says.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import stamina
from click.testing import CliRunner, Result
from project_helpers import CONFIG, HERO, HERO_ID, LOGO, LOGO_ID, PALETTE, SUITE, TONE, Project

from promptlib.cli import cli

if TYPE_CHECKING:
    from promptlib.client._client import ImagesClient
    from promptlib.client._requests import ImageRequest
    from promptlib.client._results import GenerationResult

ENV_PREFIXES = ("PROMPTLIB_", "AZURE_", "OPENAI_")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may depend on (or leak into) the developer's PROMPTLIB_/AZURE_/OPENAI_ variables."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A small valid, locked project in tmp_path; the working directory is its root."""
    root = tmp_path / "repo"
    proj = Project(root)
    proj.write("promptlib.yaml", CONFIG, dedent=False)
    proj.write_template(HERO_ID, HERO)
    proj.write_template(LOGO_ID, LOGO)
    proj.write_partial("brand/palette.j2", PALETTE)
    proj.write_partial("brand/tone.j2", TONE)
    proj.write("evals/smoke.yaml", SUITE)
    proj.lock()
    monkeypatch.chdir(root)
    return proj


@pytest.fixture
def invoke() -> Callable[..., Result]:
    """Run ``promptlib ARGS`` in-process; fail if a traceback leaks out without --debug."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=True)
        unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
        assert not unexpected, f"uncaught {result.exception!r}"
        if "--debug" not in args:
            assert "Traceback" not in result.output
        return result

    return run


@pytest.fixture
def real_retries() -> Iterator[None]:
    """Retries and their waits as in production, whatever another conftest set for stamina (modules that time
    the client's back-off use it: `pytestmark = pytest.mark.usefixtures("real_retries")`)."""
    was_active, was_testing = stamina.is_active(), stamina.is_testing()
    stamina.set_active(True)
    stamina.set_testing(False)
    yield
    stamina.set_active(was_active)
    stamina.set_testing(was_testing)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def send(request: pytest.FixtureRequest) -> Callable[[ImagesClient, ImageRequest], Awaitable[GenerationResult]]:
    """`await send(client, request)`: `generate` in a worker thread, or `agenerate` on the loop (both paths)."""

    async def go(client: ImagesClient, image_request: ImageRequest) -> GenerationResult:
        if request.param == "sync":
            import anyio.to_thread

            return await anyio.to_thread.run_sync(client.generate, image_request)
        return await client.agenerate(image_request)

    return go
