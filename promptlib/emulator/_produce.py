"""From a validated request to encoded images: resolve the `auto` values, then synthesise each sample.

Runs in a worker thread (it is CPU-bound), so it takes plain data and returns plain data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from promptlib.emulator._edits import has_transparency, render_edit
from promptlib.emulator._layout import Variation
from promptlib.emulator._synthesis import ImageSpec, encode, synthesize
from promptlib.emulator._uploads import EditInputs
from promptlib.emulator._validation import ImageParams, Operation

#: What `size: auto` means for generations (an edit's `auto` is its first image's size).
DEFAULT_SIZE = (1024, 1024)


@dataclass(frozen=True)
class Produced:
    """The encoded images and the values `auto` resolved to (echoed in the response)."""

    images: list[bytes]
    size: tuple[int, int]
    background: str


def request_key(operation: Operation, params: ImageParams, uploads: Sequence[bytes]) -> str:
    """Identity of a request's content: samples are counted per key, so equal requests share a sequence."""
    content = {
        "operation": operation,
        "params": [params.prompt, params.size, params.quality, params.background, params.output_format,
                   params.output_compression],
        "uploads": [hashlib.sha256(data).hexdigest() for data in uploads],
    }  # fmt: skip
    return json.dumps(content, sort_keys=True)


def produce_generations(params: ImageParams, samples: Sequence[int], variance: float) -> Produced:
    size = DEFAULT_SIZE if params.size == "auto" else _parse_size(params.size)
    transparent = params.background == "transparent"
    spec = _spec(params, size, transparent)
    images = [synthesize(spec, Variation(variance, sample)) for sample in samples]
    return Produced(images, size, "transparent" if transparent else "opaque")


def produce_edits(params: ImageParams, inputs: EditInputs, samples: Sequence[int], variance: float) -> Produced:
    """Edit `inputs`; `background: auto` keeps the first image's transparency when the format can hold it."""
    first = inputs.images[0]
    size = first.size if params.size == "auto" else _parse_size(params.size)
    transparent = params.background == "transparent" or (
        params.background == "auto" and params.output_format != "jpeg" and has_transparency(first)
    )
    spec = _spec(params, size, transparent)
    images = [
        encode(render_edit(spec, inputs.images, inputs.mask, Variation(variance, sample)), spec.output_format,
               spec.output_compression)
        for sample in samples
    ]  # fmt: skip
    return Produced(images, size, "transparent" if transparent else "opaque")


def _spec(params: ImageParams, size: tuple[int, int], transparent: bool) -> ImageSpec:
    return ImageSpec(
        prompt=params.prompt,
        width=size[0],
        height=size[1],
        quality=params.resolved_quality,
        transparent=transparent,
        output_format=params.output_format,
        output_compression=params.output_compression,
    )


def _parse_size(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)
