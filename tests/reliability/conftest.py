"""Fixtures for the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Context managers a test enters (a client seam, a served emulator) and that close when it ends."""
    with ExitStack() as entered:
        yield entered
