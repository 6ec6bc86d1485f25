"""Helpers for testing code that uses promptlib: a served emulator, offline mode, deployment entries.

The pytest plugin builds its fixtures on these (they are there in every test run, with or without
``--promptlib``):

- ``promptlib_library``: the project's :class:`~promptlib.Library`, closed after the test;
- ``promptlib_emulator``: an emulator served on 127.0.0.1 (a :class:`ServedEmulator`); override
  ``promptlib_emulator_config`` to change how it behaves.

Outside pytest, use :func:`serve_emulator` and :func:`offline` directly::

    with serve_emulator() as emulator, offline(allow_hosts=["127.0.0.1"]):
        client = openai.AzureOpenAI(azure_endpoint=emulator.azure_endpoint, api_key=emulator.api_key, ...)
        client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_key)

Importing this module is cheap: the emulator and httpx are imported when first used.
"""

from __future__ import annotations

import importlib
import importlib.util
import secrets
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promptlib.client._client import RetryPolicy
    from promptlib.emulator import EmulatorApp, EmulatorConfig, RequestRecord

__all__ = [
    "DEFAULT_KEY_ENV",
    "NetworkAccessBlocked",
    "ServedEmulator",
    "client_options",
    "emulator_deployment_config",
    "fast_retries",
    "offline",
    "serve_emulator",
    "without_ocr",
]

DEFAULT_KEY_ENV = "PROMPTLIB_EMULATOR_API_KEY"


class NetworkAccessBlocked(RuntimeError):
    """A real network request was made inside :func:`offline`."""


@dataclass(frozen=True)
class ServedEmulator:
    """An emulator listening on a real port: point an app, or the openai SDK, at it.

    ``AzureOpenAI(azure_endpoint=emulator.azure_endpoint, api_key=emulator.api_key, api_version=...)`` or
    ``OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_key)``; ``base_url`` is the server root
    (``http://127.0.0.1:PORT``), the same as ``azure_endpoint``.
    """

    base_url: str
    api_key: str | None = field(repr=False)
    app: EmulatorApp = field(repr=False)

    @property
    def azure_endpoint(self) -> str:
        """The resource root, as the Azure portal shows an endpoint (for `AzureOpenAI(azure_endpoint=…)`)."""
        return self.base_url

    @property
    def openai_base_url(self) -> str:
        """`…/openai/v1/`: what the plain `OpenAI(base_url=…)` client needs for Azure's v1 API."""
        return f"{self.base_url}/openai/v1/"

    @property
    def requests(self) -> list[RequestRecord]:
        """What the emulator received so far, oldest first (method, path, deployment, prompt, n, status)."""
        return self.app.requests

    def deployment_config(self, **options: Any) -> dict[str, Any]:
        """A promptlib.yaml ``deployments:`` entry for this emulator; see :func:`emulator_deployment_config`."""
        return emulator_deployment_config(self.base_url, model=self.app.config.model, **options)


@contextmanager
def serve_emulator(config: EmulatorConfig | None = None) -> Iterator[ServedEmulator]:
    """Serve an emulator on 127.0.0.1 (a free port) for the duration of the block.

    Without ``config`` it requires a fresh random API key, as an Azure resource would.
    """
    from promptlib.emulator import EmulatorConfig, create_app, running_emulator

    if config is None:
        config = EmulatorConfig(api_key=secrets.token_urlsafe(16))
    app = create_app(config)
    with running_emulator(app) as base_url:
        yield ServedEmulator(base_url=base_url, api_key=config.api_key, app=app)


def emulator_deployment_config(
    base_url: str,
    *,
    deployment: str = "gpt-image-2",
    model: str = "gpt-image-2",
    key_env: str = DEFAULT_KEY_ENV,
    api_style: str = "deployments",
) -> dict[str, Any]:
    """A promptlib.yaml ``deployments:`` entry that reaches a served emulator as an Azure resource.

    The key is read from the environment variable ``key_env`` (set it to the emulator's ``api_key``):
    promptlib.yaml never holds secrets, and the emulator checks the key the way Azure does.
    """
    return {
        "kind": "azure-openai",
        "endpoint": base_url,
        "deployment": deployment,
        "model": model,
        "api_style": api_style,
        "auth": {"type": "api-key", "env": key_env},
    }


@contextmanager
def fast_retries(attempts: int = 3) -> Iterator[None]:
    """Retries without waiting (stamina's testing mode), at most ``attempts`` each: tests of code that meets a
    failing deployment do not sleep through backoffs."""
    import stamina

    with stamina.set_testing(True, attempts=attempts, cap=True):
        yield


@contextmanager
def client_options(*, retry: RetryPolicy | None = None, transport: Any = None) -> Iterator[None]:
    """Libraries created inside the block send with ``retry`` (a `RetryPolicy`) and, for network deployments,
    through ``transport`` (an `httpx.AsyncBaseTransport`, e.g. one that records every attempt)."""
    from promptlib.deployments._pool import CLIENT_OPTIONS, ClientOptions

    token = CLIENT_OPTIONS.set(ClientOptions(retry=retry, transport=transport))
    try:
        yield
    finally:
        CLIENT_OPTIONS.reset(token)


@contextmanager
def without_ocr() -> Iterator[None]:
    """Within this block promptlib behaves as without the `promptlib[ocr]` extra: importing its engine fails.

    For testing what users without the extra see (a case that expects text is an error, `eval` exits 2 with
    the install command) without uninstalling anything.
    """
    import sys

    from promptlib.text._ocr import ENGINE_MODULE, replace_reader

    absent = object()
    saved_module = sys.modules.get(ENGINE_MODULE, absent)
    saved_reader = replace_reader(None)
    sys.modules[ENGINE_MODULE] = None  # type: ignore[assignment]  # import machinery: "import halted"
    try:
        yield
    finally:
        if saved_module is absent:
            sys.modules.pop(ENGINE_MODULE, None)
        else:
            sys.modules[ENGINE_MODULE] = saved_module  # type: ignore[assignment]
        replace_reader(saved_reader)


@contextmanager
def offline(allow_hosts: Iterable[str] = ()) -> Iterator[None]:
    """Make every real network request through httpx raise :class:`NetworkAccessBlocked`.

    In-process emulator deployments (``kind: emulator``) keep working: they use httpx's ASGI transport,
    not the network. ``allow_hosts`` lets requests to these hosts through (e.g. ``["127.0.0.1"]`` for a
    served emulator). httpx2, which the openai SDK uses from version 3 on, is covered too when installed.
    Not thread-aware: it patches the transports for the whole process until the block exits.
    """
    allowed = frozenset(allow_hosts)
    originals: list[tuple[type, str, Any]] = []
    for module in _httpx_modules():
        for cls, name, is_async in (
            (module.HTTPTransport, "handle_request", False),
            (module.AsyncHTTPTransport, "handle_async_request", True),
        ):
            original = getattr(cls, name)
            originals.append((cls, name, original))
            setattr(cls, name, _guarded_async(original, allowed) if is_async else _guarded(original, allowed))
    try:
        yield
    finally:
        for cls, name, original in reversed(originals):
            setattr(cls, name, original)


def _httpx_modules() -> list[ModuleType]:
    import httpx

    modules = [httpx]
    if importlib.util.find_spec("httpx2") is not None:
        modules.append(importlib.import_module("httpx2"))
    return modules


def _guarded(original: Callable[[Any, Any], Any], allowed: frozenset[str]) -> Callable[[Any, Any], Any]:
    def handle_request(self: Any, request: Any) -> Any:
        _check(request, allowed)
        return original(self, request)

    return handle_request


def _guarded_async(
    original: Callable[[Any, Any], Awaitable[Any]], allowed: frozenset[str]
) -> Callable[[Any, Any], Awaitable[Any]]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        _check(request, allowed)
        return await original(self, request)

    return handle_async_request


def _check(request: Any, allowed: frozenset[str]) -> None:
    if request.url.host in allowed:
        return
    # Scheme, host and path only: queries and credentials stay out of the message.
    where = f"{request.url.scheme}://{request.url.host}{f':{request.url.port}' if request.url.port else ''}"
    raise NetworkAccessBlocked(
        f"offline(): real network request blocked: {request.method} {where}{request.url.path} "
        "(use an emulator deployment, or allow the host)"
    )
