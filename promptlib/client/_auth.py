"""Authentication as httpx.Auth flows: an API key header, or Entra ID bearer tokens.

Keys are read from the environment when a request is built, never stored in
files; Entra tokens come from azure-identity (imported only when used), are
cached until shortly before they expire, and are refreshed once on a 401. A
credential that cannot give a token raises TokenUnavailable, which the client
reports as AuthenticationFailed for its deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

import httpx

from promptlib.config._deployment_entries import DEFAULT_SCOPE
from promptlib.core._redact import register_secret
from promptlib.exceptions import ConfigError

REFRESH_MARGIN_S = 300.0


class TokenUnavailable(Exception):
    """The credential gave no token (not signed in, no managed identity, wrong tenant …); one line."""

    @classmethod
    def from_error(cls, error: Exception) -> TokenUnavailable:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return cls(f"{type(error).__name__}: {lines[0] if lines else 'no details'}")


class ApiKeyAuth(httpx.Auth):
    """Sends a key as ``api-key: <key>`` (Azure) or ``Authorization: Bearer <key>`` (OpenAI)."""

    def __init__(self, key: Callable[[], str], header: Literal["api-key", "authorization"] = "api-key") -> None:
        self._key = key
        self.header = header

    def __repr__(self) -> str:
        return f"ApiKeyAuth(header={self.header!r}, key='***')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = register_secret(self._key())
        if self.header == "api-key":
            request.headers["api-key"] = key
        else:
            request.headers["Authorization"] = f"Bearer {key}"
        yield request


class EntraTokenAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` from an azure-identity credential.

    ``credential`` is any object with ``get_token(scope)`` returning an AccessToken
    (sync or async); by default ``DefaultAzureCredential``.
    """

    def __init__(self, credential: Any = None, scope: str = DEFAULT_SCOPE) -> None:
        self._credential = credential
        self.scope = scope
        self._token: str | None = None
        self._expires_on = 0.0
        self._lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"EntraTokenAuth(scope={self.scope!r})"

    @property
    def credential(self) -> Any:
        if self._credential is None:
            self._credential = _default_credential()
        return self._credential

    def _fresh(self) -> str | None:
        if self._token and time.time() < self._expires_on - REFRESH_MARGIN_S:
            return self._token
        return None

    def _store(self, access_token: Any) -> str:
        token = register_secret(str(access_token.token))
        self._token, self._expires_on = token, float(access_token.expires_on)
        return token

    def invalidate(self) -> None:
        self._token, self._expires_on = None, 0.0

    def sync_token(self) -> str:
        with self._lock:
            cached = self._fresh()
            if cached is not None:
                return cached
            credential = self.credential
            try:
                result = credential.get_token(self.scope)
            except Exception as exc:
                raise TokenUnavailable.from_error(exc) from exc
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: close it, or Python warns about it at garbage collection
                raise ConfigError("this credential is async; use the async API (agenerate) with it")
            return self._store(result)

    async def async_token(self) -> str:
        cached = self._fresh()
        if cached is not None:
            return cached
        getter = self.credential.get_token
        if inspect.iscoroutinefunction(getter):
            async with self._loop_lock():  # tasks starting together wait for one token instead of each asking
                cached = self._fresh()
                if cached is not None:
                    return cached
                try:
                    access_token = await getter(self.scope)
                except Exception as exc:
                    raise TokenUnavailable.from_error(exc) from exc
                return self._store(access_token)
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.sync_token)

    def _loop_lock(self) -> AbstractAsyncContextManager[Any]:
        """An asyncio.Lock per event loop (a lock cannot be shared between loops); none under other libraries."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return contextlib.nullcontext()
        with self._lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.sync_token()}"
        response = yield request
        if response.status_code == 401:
            self.invalidate()
            request.headers["Authorization"] = f"Bearer {self.sync_token()}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {await self.async_token()}"
        response = yield request
        if response.status_code == 401:
            self.invalidate()
            request.headers["Authorization"] = f"Bearer {await self.async_token()}"
            yield request


def _default_credential() -> Any:
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise ConfigError(
            "Entra ID auth needs azure-identity; install it with: pip install 'promptlib[entra]'"
        ) from None
    return DefaultAzureCredential()
