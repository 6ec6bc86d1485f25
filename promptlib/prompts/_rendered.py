"""What rendering produces: the exact text and inputs that will be sent."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from promptlib.models._parameters import ImageParameters, Operation


@dataclass(frozen=True)
class InputImage:
    """An image or mask an edit template was given, already read into memory."""

    name: str
    role: Literal["image", "mask"]
    data: bytes = field(repr=False)
    path: Path | None = None

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class RenderedPrompt:
    """A template with its variables applied; the identity of a request starts here."""

    template_id: str
    version: int
    content_hash: str
    prompt: str
    parameters: ImageParameters
    operation: Operation
    deployment: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    images: tuple[InputImage, ...] = ()

    def __str__(self) -> str:
        return self.prompt

    def with_parameters(self, overrides: Mapping[str, Any]) -> RenderedPrompt:
        """The same prompt with some parameters overridden for one call, validated as a template's are."""
        from dataclasses import replace

        from pydantic import ValidationError

        from promptlib.exceptions import UsageError

        try:
            parameters = ImageParameters.model_validate({**self.parameters.to_wire(), **dict(overrides)})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "parameters"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise UsageError(f"{self.template_id}: parameters override {where}: {message}") from None
        return replace(self, parameters=parameters)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``render --json`` and reports (image bytes by hash only)."""
        return {
            "template_id": self.template_id,
            "version": self.version,
            "content_hash": self.content_hash,
            "operation": self.operation,
            "deployment": self.deployment,
            "prompt": self.prompt,
            "parameters": self.parameters.to_wire(),
            "variables": dict(self.variables),
            "images": [
                {
                    "name": img.name,
                    "role": img.role,
                    "path": img.path.as_posix() if img.path else None,
                    "sha256": img.sha256,
                    "bytes": len(img.data),
                }
                for img in self.images
            ],
        }
