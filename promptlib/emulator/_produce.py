"""From a validated request to encoded images: resolve the `auto` values, then synthesise each sample.

Runs in a worker thread (it is CPU-bound), so it takes plain data and returns plain data. A streamed
request also gets its partial images (`partial_image`): coarse previews of the final image that sharpen
step by step, so each one is visibly closer to the final than the last (as the service's partial images
are); they are encoded one at a time as the stream sends them, so the first arrives early.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from PIL import Image

from promptlib.emulator._edits import has_transparency, render_edit
from promptlib.emulator._layout import Variation
from promptlib.emulator._synthesis import ImageSpec, OutputFormat, encode, render
from promptlib.emulator._uploads import EditInputs
from promptlib.emulator._validation import ImageParams, ImagesRoute

#: What `size: auto` means for generations (an edit's `auto` is its first image's size).
DEFAULT_SIZE = (1024, 1024)
#: The last partial image is the final one reduced by this factor (and each earlier one by twice the next's).
FINEST_PARTIAL = 8


@dataclass(frozen=True)
class Produced:
    """The encoded images and the values `auto` resolved to (echoed in the response)."""

    images: list[bytes]
    size: tuple[int, int]
    background: str
    preview: Image.Image | None = field(default=None, repr=False)  # the first image, for its partial images


def request_key(operation: ImagesRoute, params: ImageParams, uploads: Sequence[bytes]) -> str:
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
    pictures = [render(spec, Variation(variance, sample)) for sample in samples]
    return _encoded(params, spec, pictures, transparent)


def produce_edits(params: ImageParams, inputs: EditInputs, samples: Sequence[int], variance: float) -> Produced:
    """Edit `inputs`; `background: auto` keeps the first image's transparency when the format can hold it."""
    first = inputs.images[0]
    size = first.size if params.size == "auto" else _parse_size(params.size)
    transparent = params.background == "transparent" or (
        params.background == "auto" and params.output_format != "jpeg" and has_transparency(first)
    )
    spec = _spec(params, size, transparent)
    pictures = [render_edit(spec, inputs.images, inputs.mask, Variation(variance, sample)) for sample in samples]
    return _encoded(params, spec, pictures, transparent)


def partial_image(final: Image.Image, index: int, count: int) -> Image.Image:
    """Preview `index` of `count` (0 the coarsest): `final` reduced by FINEST_PARTIAL × 2^(count-1-index) and
    enlarged back as a mosaic (unsmoothed blocks encode about as fast and small as the final image)."""
    factor = FINEST_PARTIAL * 2 ** (count - 1 - index)
    small = final.resize((max(1, final.width // factor), max(1, final.height // factor)), Image.Resampling.BOX)
    return small.resize(final.size, Image.Resampling.NEAREST)


def encoded_partial(params: ImageParams, final: Image.Image, index: int) -> bytes:
    """Partial image `index` of a streamed request, encoded as its final image is."""
    picture = partial_image(final, index, params.partial_images)
    return encode(picture, cast(OutputFormat, params.output_format), params.output_compression)


def _encoded(params: ImageParams, spec: ImageSpec, pictures: list[Image.Image], transparent: bool) -> Produced:
    images = [encode(picture, spec.output_format, spec.output_compression) for picture in pictures]
    size = (spec.width, spec.height)
    preview = pictures[0] if params.stream and params.partial_images else None
    return Produced(images, size, "transparent" if transparent else "opaque", preview)


def _spec(params: ImageParams, size: tuple[int, int], transparent: bool) -> ImageSpec:
    return ImageSpec(
        prompt=params.prompt,
        width=size[0],
        height=size[1],
        quality=params.drawn_quality,
        transparent=transparent,
        output_format=cast(OutputFormat, params.output_format),  # checked drawable by `_models.check_model`
        output_compression=params.output_compression,
    )


def _parse_size(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)
