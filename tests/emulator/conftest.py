"""Fixtures for the emulator tests: asyncio for anyio tests, and in-process clients on fresh apps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from promptlib.emulator import EmulatorApp, EmulatorConfig, create_app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app() -> EmulatorApp:
    """An emulator with no key, no variance and one blocked term."""
    return create_app(EmulatorConfig(block=("forbidden fruit", "gun")))


@pytest.fixture
async def client(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
        yield c
