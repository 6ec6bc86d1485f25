"""Fixtures for the web app: a copy of the example project, the app on it, an HTTP client, a served instance.

The example project (this repository's prompts/, evals/ with goldens, assets/ and promptlib.yaml) is copied into a
temporary folder once per module, so a test may save templates and approve goldens without touching the checkout.
Its `local` deployment is the in-process emulator with no latency: generations take milliseconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from promptlib._library import Library
from promptlib.web import access_policy, create_app
from promptlib.web._server import running_app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("promptlib.yaml", "prompts", "evals", "assets")
ORIGIN = "http://127.0.0.1:8090"


def copy_example(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


@pytest.fixture(scope="module")
def example_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the example project, shared by one test module."""
    return copy_example(tmp_path_factory.mktemp("web") / "project")


@pytest.fixture(scope="module")
def web_app(example_project: Path) -> Iterator[Starlette]:
    library = Library.load(example_project)
    yield create_app(example_project, policy=access_policy("127.0.0.1", 8090), library=library)
    library.close()


@pytest.fixture(scope="module")
def client(web_app: Starlette) -> Iterator[TestClient]:
    """Requests as the browser sends them from the page: the app's Host, same-origin fetch metadata."""
    with TestClient(web_app, base_url=ORIGIN, headers={"sec-fetch-site": "same-origin"}) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def served(web_app: Starlette) -> Iterator[str]:
    """The app served on a free loopback port (for the browser); its base URL."""
    with running_app(web_app) as url:
        yield url
