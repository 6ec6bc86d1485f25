"""pytest plugin for promptlib (minimal placeholder; grows below)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("promptlib", "promptlib eval suites")
    group.addoption(
        "--promptlib",
        action="store_true",
        default=False,
        help="Collect promptlib eval suites (evals/*.yaml) as test items.",
    )
