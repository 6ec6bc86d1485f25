"""From a template id and values to a request on the right deployment's client."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ._client import ImagesClient
from ._requests import ImageRequest
from .deployments import endpoint_for

if TYPE_CHECKING:
    from ._library import Library
    from ._rendered import RenderedPrompt


class ClientPool:
    """One client per deployment name for a Library, created when first used."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self._clients: dict[str, ImagesClient] = {}
        self._lock = threading.Lock()

    def get(self, deployment: str) -> ImagesClient:
        with self._lock:
            client = self._clients.get(deployment)
            if client is None:
                endpoint = endpoint_for(self._library.settings, deployment)
                client = self._clients[deployment] = ImagesClient(endpoint)
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()

    async def aclose(self) -> None:
        for client in list(self._clients.values()):
            await client.aclose()
        self.close()


def prepare(
    library: Library, template_id: str, variables: dict[str, Any], deployment: str | None
) -> tuple[ImagesClient, ImageRequest]:
    """Render, pick the deployment (argument > PROMPTLIB_DEPLOYMENT > template > default), build the request."""
    rendered = library.render(template_id, **variables)
    return prepare_rendered(library, rendered, deployment)


def prepare_rendered(
    library: Library, rendered: RenderedPrompt, deployment: str | None, sample: int = 0
) -> tuple[ImagesClient, ImageRequest]:
    name = library.settings.deployment_name(deployment, rendered.deployment)
    client = library.clients.get(name)
    variant = library.settings.deployment(name).output_identity()
    request = ImageRequest.from_rendered(
        rendered, deployment=name, model=client.endpoint.model, sample=sample, variant=variant
    )
    return client, request
