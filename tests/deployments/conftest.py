"""Fixtures for tests/deployments: a clean environment, real retry timing, asyncio for anyio tests."""

from .helpers import anyio_backend, clean_environment, real_retries

__all__ = ["anyio_backend", "clean_environment", "real_retries"]
