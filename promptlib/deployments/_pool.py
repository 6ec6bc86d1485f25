"""The HTTP clients of one Library: one per deployment name, made on first use, and requests for them."""

from __future__ import annotations

import dataclasses
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from promptlib.client._client import ImagesClient, RetryPolicy
from promptlib.client._requests import ImageRequest
from promptlib.deployments import endpoint_for

if TYPE_CHECKING:
    from promptlib.config._settings import Settings
    from promptlib.prompts._rendered import RenderedPrompt


@dataclass(frozen=True)
class ClientOptions:
    """How a pool's clients send: retry policy, and an async transport for network deployments (tests)."""

    retry: RetryPolicy | None = None
    transport: httpx.AsyncBaseTransport | None = None


#: Set by `promptlib.testing.client_options()`: a seam for tests, so nothing needs patching.
CLIENT_OPTIONS: ContextVar[ClientOptions | None] = ContextVar("promptlib_client_options", default=None)


class ClientPool:
    """One client per deployment name, created when first used; only the settings are needed to make them.

    Each pool has its own clients, and so its own concurrency limits and pacing: two Libraries in one process
    do not share them, and a run's `--concurrency` changes only the run's clients.
    """

    def __init__(self, settings: Settings, options: ClientOptions | None = None) -> None:
        self.settings = settings
        self.options = options or CLIENT_OPTIONS.get() or ClientOptions()
        self._clients: dict[str, ImagesClient] = {}
        self._lock = threading.Lock()

    def get(self, deployment: str) -> ImagesClient:
        with self._lock:
            client = self._clients.get(deployment)
            if client is None:
                endpoint = endpoint_for(self.settings, deployment)
                if self.options.transport is not None and endpoint.kind != "emulator":
                    endpoint = dataclasses.replace(endpoint, async_transport=self.options.transport)
                client = self._clients[deployment] = ImagesClient(endpoint, self.options.retry)
            return client

    def request_for(
        self, rendered: RenderedPrompt, deployment: str | None = None, sample: int = 0
    ) -> tuple[ImagesClient, ImageRequest]:
        """The client and request for a rendered prompt on its deployment (argument > PROMPTLIB_DEPLOYMENT >
        the template's > the project's default)."""
        name = self.settings.deployment_name(deployment, rendered.deployment)
        client = self.get(name)
        variant = self.settings.deployment(name).output_identity()
        request = ImageRequest.from_rendered(
            rendered, deployment=name, model=client.endpoint.model, sample=sample, variant=variant
        )
        return client, request

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()

    async def aclose(self) -> None:
        for client in list(self._clients.values()):
            await client.aclose()
        self.close()
