"""Fixtures for tests/deployments: a clean environment, real retry timing, asyncio for anyio tests, send."""

from .helpers import fixture_anyio_backend, fixture_clean_environment, fixture_real_retries, fixture_send

__all__ = ["fixture_anyio_backend", "fixture_clean_environment", "fixture_real_retries", "fixture_send"]
