"""From a template id and values to a request on the right deployment's client."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from promptlib.client._client import ImagesClient
from promptlib.client._requests import ImageRequest
from promptlib.deployments import endpoint_for
from promptlib.exceptions import UsageError
from promptlib.prompts._parameters import ImageParameters

if TYPE_CHECKING:
    from promptlib._library import Library
    from promptlib.prompts._rendered import RenderedPrompt


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
    library: Library, template_id: str, variables: dict[str, Any], deployment: str | None,
    parameters: Mapping[str, Any] | None = None,
) -> tuple[ImagesClient, ImageRequest]:
    """Render, pick the deployment (argument > PROMPTLIB_DEPLOYMENT > template > default), build the request.

    ``parameters`` overrides the template's for this call only (``{"n": 2, "size": "1024x1536"}``): checked
    like the template's own, and part of the request hash, so the cache never confuses the two.
    """
    rendered = library.render(template_id, **variables)
    if parameters:
        rendered = replace(rendered, parameters=overridden(rendered, parameters))
    return prepare_rendered(library, rendered, deployment)


def overridden(rendered: RenderedPrompt, overrides: Mapping[str, Any]) -> ImageParameters:
    """The template's parameters with ``overrides`` applied, validated as a template's are."""
    try:
        return ImageParameters.model_validate({**rendered.parameters.to_wire(), **dict(overrides)})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "parameters"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise UsageError(f"{rendered.template_id}: parameters override {where}: {message}") from None


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
