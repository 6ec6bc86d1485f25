"""GenerationResult: what a deployment returned, decoded and checked."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from promptlib.client._requests import ImageRequest
from promptlib.core._atomic import atomic_write_bytes
from promptlib.models._pricing import Usage


@dataclass(frozen=True)
class GeneratedImage:
    """One returned image; the bytes are exactly what the service sent."""

    data: bytes = field(repr=False)
    format: str  # png | jpeg | webp
    width: int
    height: int
    index: int = 0

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def mode(self) -> str:
        return _image_mode(self.data)

    @cached_property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else self.format

    def save(self, path: str | Path) -> Path:
        """Write the bytes atomically; a directory gets a name from the content hash."""
        target = Path(path)
        if target.is_dir():
            target = target / f"image-{self.sha256[:12]}.{self.extension}"
        atomic_write_bytes(target, self.data)
        return target


def _image_mode(data: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return str(img.mode)


@dataclass(frozen=True)
class FilteredImage:
    """An image the service's output filter removed from an otherwise good answer (Azure: ``data[i]`` with
    no image and ``content_filter_results`` marking a category)."""

    index: int
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "categories": list(self.categories)}


@dataclass(frozen=True)
class GenerationResult:
    """Images plus the accounting an operator needs: usage, cost, request id, latency."""

    request: ImageRequest
    images: tuple[GeneratedImage, ...]
    deployment: str
    model: str
    usage: Usage | None
    request_id: str | None
    latency_s: float
    cost: float = 0.0
    estimated_cost: float = 0.0
    attempts: int = 1
    cached: bool = False
    filtered: tuple[FilteredImage, ...] = ()  # images the output filter removed; the rest are in `images`

    @property
    def request_hash(self) -> str:
        return self.request.request_hash

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready metadata (no image bytes): the sidecar ``generate`` writes."""
        rendered = self.request.rendered
        return {
            "template_id": rendered.template_id if rendered else None,
            "version": rendered.version if rendered else None,
            "content_hash": rendered.content_hash if rendered else None,
            "prompt": self.request.prompt,
            "operation": self.request.operation,
            "parameters": self.request.parameters.to_wire(),
            "request_hash": self.request_hash,
            "deployment": self.deployment,
            "model": self.model,
            "request_id": self.request_id,
            "latency_s": round(self.latency_s, 3),
            "attempts": self.attempts,
            "cached": self.cached,
            "usage": self.usage.to_dict() if self.usage else None,
            "cost_usd": round(self.cost, 6),
            "estimated_cost_usd": round(self.estimated_cost, 6),
            "images": [
                {"index": i.index, "format": i.format, "width": i.width, "height": i.height, "sha256": i.sha256}
                for i in self.images
            ],
            "filtered": [f.to_dict() for f in self.filtered],
        }
