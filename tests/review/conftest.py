"""Fixtures for the review specifications: the example project with its icon template rewritten after approval,
so the two icon cases fail (changed since approval: v1 → v2) and the rest pass, as a pull request would leave it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.helpers import PREPARED, clone
from starlette.testclient import TestClient

from promptlib._library import Library
from promptlib.web import access_policy, create_app
from promptlib.web._server import running_app

from .helpers import regress


@pytest.fixture
def regressed(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the project whose latest run has the icon cases failing after a template change."""
    base = tmp_path_factory.getbasetemp() / "prepared"
    built = PREPARED.get("review-regressed", base, lambda root: regress(root, base))
    return clone(built, tmp_path / "repo")


@pytest.fixture
def library(regressed: Path) -> Library:
    return Library.load(regressed)


ORIGIN = "http://127.0.0.1:8090"


@pytest.fixture
def review_client(regressed: Path) -> Iterator[TestClient]:
    """The app on the regressed project, as the browser talks to it (its Host, same-origin fetch metadata)."""
    library = Library.load(regressed)
    app = create_app(regressed, policy=access_policy("127.0.0.1", 8090), library=library)
    with TestClient(app, base_url=ORIGIN, headers={"sec-fetch-site": "same-origin"}) as client:
        yield client
    library.close()


@pytest.fixture
def served_review(regressed: Path) -> Iterator[str]:
    """The app on the regressed project served on a free loopback port: its base URL (for the browser)."""
    library = Library.load(regressed)
    app = create_app(regressed, policy=access_policy("127.0.0.1", 0), library=library)
    with running_app(app) as url:
        yield url
    library.close()
