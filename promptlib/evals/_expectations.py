"""Checks beyond goldens: size, format, real transparency, and pixels kept outside an edit's mask.

Size, format and transparency are checked whenever the request asked for them
(the service promises those); ``expect:`` in the suite can add or override them.
"""

from __future__ import annotations

import io

from promptlib.client._requests import ImageRequest
from promptlib.client._results import GeneratedImage
from promptlib.evals._suites import Expect

MASK_TOLERANCE = 0.01  # share of kept pixels allowed to differ (JPEG ringing at the mask edge)
PIXEL_TOLERANCE = 12  # per-channel difference still counted as "unchanged"


def expectation_failures(
    expect: Expect,
    image: GeneratedImage,
    request: ImageRequest,
    transparent_pixels: bool | None = None,
    unchanged: float | None = None,
) -> list[str]:
    """What is wrong with one sample, as short sentences (empty when all is well).

    ``transparent_pixels`` comes from the sample's fingerprint and ``unchanged`` from `unchanged_outside_mask`
    when known, saving a second decode.
    """
    params = request.parameters
    failures = []
    size = expect.size or (params.size if params.size not in (None, "auto") else None)
    if size and f"{image.width}x{image.height}" != size:
        failures.append(f"size is {image.width}x{image.height}, expected {size}")
    fmt = expect.format or params.output_format
    if fmt and image.format != fmt:
        failures.append(f"format is {image.format}, expected {fmt}")
    transparent = expect.transparent
    if transparent is None and params.background == "transparent":
        transparent = True
    if transparent is not None:
        has = _has_transparency(image.data) if transparent_pixels is None else transparent_pixels
        if transparent and not has:
            failures.append("no transparent pixels, but a transparent background was asked for")
        if not transparent and has:
            failures.append("has transparent pixels, but an opaque image was expected")
    if expect.unchanged_outside_mask:
        figure = unchanged if unchanged is not None else unchanged_outside_mask(image, request)
        failures.extend(_outside_mask(image, request, figure))
    return failures


def _has_transparency(data: bytes) -> bool:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        if img.mode not in ("RGBA", "LA", "PA") and "transparency" not in img.info:
            return False
        extrema = img.convert("RGBA").getchannel("A").getextrema()
        return bool(isinstance(extrema[0], int) and extrema[0] < 255)


def unchanged_outside_mask(image: GeneratedImage, request: ImageRequest) -> float | None:
    """The share of the pixels outside an edit's mask that stayed as they were (within PIXEL_TOLERANCE per
    channel), or None when the request has no image and mask or the output is another size."""
    from PIL import Image, ImageChops

    sources = [i for i in request.images if i.role == "image"]
    masks = [i for i in request.images if i.role == "mask"]
    if not sources or not masks:
        return None
    with (
        Image.open(io.BytesIO(sources[0].data)) as src,
        Image.open(io.BytesIO(masks[0].data)) as msk,
        Image.open(io.BytesIO(image.data)) as out,
    ):
        if out.size != src.size or msk.size != src.size:
            return None
        keep = msk.convert("RGBA").getchannel("A").point(lambda a: 255 if a == 255 else 0)
        diff = ImageChops.difference(out.convert("RGB"), src.convert("RGB")).convert("L")
        changed = ImageChops.multiply(diff.point(lambda d: 255 if d > PIXEL_TOLERANCE else 0), keep)
        kept = keep.histogram()[255]
        moved = changed.histogram()[255]
    return 1.0 - moved / kept if kept else None


def _outside_mask(image: GeneratedImage, request: ImageRequest, unchanged: float | None) -> list[str]:
    from PIL import Image

    sources = [i for i in request.images if i.role == "image"]
    if not sources or not [i for i in request.images if i.role == "mask"]:
        return ["unchanged_outside_mask needs an edit with an image and a mask"]
    if unchanged is None:
        with Image.open(io.BytesIO(sources[0].data)) as source:
            return [f"output is {image.width}x{image.height} but the input is {source.width}x{source.height}"]
    if 1.0 - unchanged > MASK_TOLERANCE:
        return [f"{1.0 - unchanged:.1%} of the pixels outside the mask changed"]
    return []
