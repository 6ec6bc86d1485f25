"""Fixtures for the review specifications: the example project with its icon template rewritten after approval,
so the two icon cases fail (changed since approval: v1 → v2) and the rest pass, as a pull request would leave it."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.helpers import PREPARED, clone

from promptlib._library import Library

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
