"""ImageRequest: the canonical description of one call, and its hash.

The request hash is the identity the cache and the goldens use: same rendered
prompt, parameters, input images, deployment, model and sample number means the
same request. Endpoints and secrets are never part of it, so moving a deployment
to another resource does not invalidate anything, and nothing secret is hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from promptlib.models._parameters import ImageParameters, Operation
from promptlib.prompts._rendered import InputImage, RenderedPrompt

REQUEST_SCHEMA = 1


@dataclass(frozen=True)
class ImageRequest:
    """Everything sent for one generation or edit, minus transport details."""

    operation: Operation
    prompt: str
    parameters: ImageParameters
    deployment: str
    model: str
    sample: int = 0
    images: tuple[InputImage, ...] = field(default=(), repr=False)
    rendered: RenderedPrompt | None = field(default=None, repr=False, compare=False)
    # What else changes the output on this deployment (the emulator's variance and seed): in the key, so a
    # changed setting is a cache miss rather than last week's images.
    variant: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_rendered(
        cls,
        rendered: RenderedPrompt,
        *,
        deployment: str,
        model: str,
        sample: int = 0,
        n: int | None = None,
        variant: Mapping[str, Any] | None = None,
    ) -> ImageRequest:
        parameters = rendered.parameters
        if n is not None and n != parameters.n:
            parameters = parameters.model_copy(update={"n": n})
        return cls(
            operation=rendered.operation,
            prompt=rendered.prompt,
            parameters=parameters,
            deployment=deployment,
            model=model,
            sample=sample,
            images=rendered.images,
            rendered=rendered,
            variant=dict(variant or {}),
        )

    def canonical(self) -> dict[str, Any]:
        """The hashed form: stable key order, image bytes by sha256."""
        variant = {"variant": dict(self.variant)} if self.variant else {}
        return variant | {
            "schema": REQUEST_SCHEMA,
            "operation": self.operation,
            "prompt": self.prompt,
            "parameters": self.parameters.to_wire(),
            "images": [{"role": img.role, "sha256": img.sha256} for img in self.images],
            "deployment": self.deployment,
            "model": self.model,
            "sample": self.sample,
        }

    @cached_property
    def request_hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
