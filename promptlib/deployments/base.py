"""Endpoint: a resolved deployment, everything the client needs to call it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx

from .._parameters import ImageParameters, Operation
from .._pricing import Price
from ..exceptions import UsageError

_PATHS: dict[Operation, str] = {"generate": "images/generations", "edit": "images/edits"}


@dataclass(frozen=True)
class Endpoint:
    """Where and how to send image requests for one named deployment."""

    name: str
    kind: Literal["azure-openai", "openai", "emulator"]
    model: str
    base_url: str
    query: Mapping[str, str] = field(default_factory=dict)
    body_model: str | None = None
    auth: httpx.Auth | None = field(default=None, repr=False)
    output_formats: frozenset[str] = frozenset({"png", "jpeg"})
    max_concurrency: int = 4
    requests_per_minute: int | None = None  # paced client-side (see promptlib._ratelimit)
    price: Price | None = None  # promptlib.yaml `prices:` (negotiated rates); None: the model's list prices
    timeout: float = 120.0
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    async_transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)

    def url(self, operation: Operation) -> str:
        return f"{self.base_url.rstrip('/')}/{_PATHS[operation]}"

    def params(self, operation: Operation) -> dict[str, str]:
        return dict(self.query)

    def check_parameters(self, parameters: ImageParameters, operation: Operation) -> None:
        """Refuse what this deployment would reject, before spending a request on it."""
        fmt = parameters.output_format or "png"
        if fmt not in self.output_formats:
            allowed = " or ".join(sorted(self.output_formats))
            raise UsageError(
                f"deployment {self.name!r} ({self.kind}) does not accept output_format {fmt}; use {allowed}"
            )
        if parameters.background == "transparent" and fmt not in ("png", "webp"):
            raise UsageError(f"deployment {self.name!r}: a transparent background needs png output")
        if parameters.input_fidelity is not None and self.model == "gpt-image-1-mini":
            raise UsageError(f"deployment {self.name!r} serves gpt-image-1-mini, which does not accept input_fidelity")
        for _, message in parameters.check_operation(operation):
            raise UsageError(f"deployment {self.name!r}: {message}")
