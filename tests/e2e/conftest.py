"""Fixtures for the end-to-end tests: a private copy of the approved example project."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import approved_brand, clone


@pytest.fixture
def approved(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project (brand suite) with every case approved from a seeded run, copied for this test."""
    return clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")
