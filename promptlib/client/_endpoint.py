"""Endpoint: a resolved deployment, everything the client needs to call it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import httpx

from promptlib.exceptions import UsageError
from promptlib.models._parameters import ImageParameters, Operation
from promptlib.models._pricing import Price

if TYPE_CHECKING:
    from promptlib.models._capabilities import Provider
    from promptlib.models._table import ModelSpec

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
    requests_per_minute: int | None = None  # paced client-side (see promptlib.client._ratelimit)
    price: Price | None = None  # promptlib.yaml `prices:` (negotiated rates); None: the model's list prices
    timeout: float = 120.0
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    async_transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    # What the model accepts, from the model table (None: a model the table does not know: wire rules only).
    capabilities: ModelSpec | None = field(default=None, repr=False)

    @property
    def provider(self) -> Provider:
        """Whose rules apply: the emulator emulates Azure."""
        return "openai" if self.kind == "openai" else "azure"

    def url(self, operation: Operation) -> str:
        return f"{self.base_url.rstrip('/')}/{_PATHS[operation]}"

    def params(self, operation: Operation) -> dict[str, str]:
        return dict(self.query)

    def check_parameters(self, parameters: ImageParameters, operation: Operation) -> None:
        """Refuse what this deployment's model would reject (model table), before spending a request on it."""
        from promptlib.models._rules import parameter_problems

        for _, message in parameters.check_operation(operation):
            raise UsageError(f"deployment {self.name!r}: {message}")
        if self.capabilities is not None:
            for _, message in parameter_problems(parameters, operation, self.capabilities, self.provider):
                raise UsageError(f"deployment {self.name!r}: {message}")
        fmt = parameters.output_format or "png"
        declared = self.capabilities.formats(self.provider) if self.capabilities is not None else None
        if declared is None and fmt not in self.output_formats:  # the model table's formats, where it has any
            allowed = " or ".join(sorted(self.output_formats))
            raise UsageError(
                f"deployment {self.name!r} ({self.kind}) does not accept output_format {fmt}; use {allowed}"
            )
