"""tests/deployments time retries and back-off as production does."""

import pytest


@pytest.fixture(autouse=True)
def _production_retries(real_retries: None) -> None:
    """Every test here sees stamina's real waits (see `real_retries` in tests/conftest.py)."""
