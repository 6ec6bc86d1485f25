"""Writing a generation to disk: images named by template, version and content, plus a sidecar."""

from __future__ import annotations

import json
import re
from pathlib import Path

from promptlib.client._requests import ImageRequest
from promptlib.client._results import GenerationResult
from promptlib.core._atomic import atomic_write_text


def output_stem(result: GenerationResult) -> str:
    """``marketing-hero-banner-v3-1a2b3c4d``: readable, and unique per request.

    The suffix is the request hash (rendered prompt, parameters, inputs, deployment, model), so runs of one
    template with other values or on another deployment sit side by side instead of overwriting each other.
    """
    return request_stem(result.request)


def request_stem(request: ImageRequest) -> str:
    """:func:`output_stem` of the result ``request`` will have (streamed partial images are named by it)."""
    rendered = request.rendered
    if rendered is None:
        return f"request-{request.request_hash[:12]}"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", rendered.template_id).strip("-")
    return f"{slug}-v{rendered.version}-{request.request_hash[:8]}"


def write_generation(result: GenerationResult, directory: Path) -> tuple[list[Path], Path]:
    """Images first, sidecar last, each atomically: a sidecar means its images are complete."""
    stem = output_stem(result)
    paths = []
    for image in result.images:
        suffix = f"-{image.index}" if len(result.images) > 1 else ""
        paths.append(image.save(directory / f"{stem}{suffix}.{image.extension}"))
    sidecar = directory / f"{stem}.json"
    metadata = result.to_dict() | {"files": [p.name for p in paths]}
    atomic_write_text(sidecar, json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return paths, sidecar
