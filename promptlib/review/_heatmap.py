"""A difference heatmap of two images, computed on the server with Pillow (the page only shows the PNG).

Both images are untrusted bytes (a downloaded run's sample, a golden): they go through the same format and
pixel-cap checks as every image promptlib reads, and are reduced before comparing, so a heatmap costs the same
for a 4K banner as for an icon.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageOps

from promptlib.core._image_files import open_checked

#: The long side the two images are compared at (and the heatmap's size).
SIDE = 512
#: A channel difference above this (of 255) counts as a changed pixel in `changed`.
CHANGED_LEVEL = 24
_GAIN = 4  # differences are faint; scaled up so a 10-level change is visible


@dataclass(frozen=True, slots=True)
class Heatmap:
    png: bytes
    width: int
    height: int
    changed: float  # share of pixels that differ by more than CHANGED_LEVEL in some channel


def heatmap(first: bytes, second: bytes) -> Heatmap:
    """Where `second` differs from `first`: dark where equal, red to yellow as the difference grows, over a faint
    grey copy of `first` for orientation. `second` is scaled to `first`'s size. ImageRefused for a bad image."""
    base = _rgb(first)
    other = _rgb(second).resize(base.size, Image.Resampling.BILINEAR)
    difference = ImageChops.difference(base, other)
    strongest = ImageChops.lighter(ImageChops.lighter(*difference.split()[:2]), difference.split()[2])
    histogram = strongest.histogram()
    changed = sum(histogram[CHANGED_LEVEL + 1 :]) / max(1, base.width * base.height)
    boosted = strongest.point(lambda level: min(255, level * _GAIN))
    colour = ImageOps.colorize(boosted, black="#111111", mid="#d1242f", white="#ffd33d", midpoint=96)
    context = ImageOps.grayscale(base).point(lambda level: level // 5).convert("RGB")
    shown = Image.composite(colour, context, boosted.point(lambda level: 255 if level else 0))
    buffer = io.BytesIO()
    shown.save(buffer, format="PNG", optimize=False)
    return Heatmap(buffer.getvalue(), base.width, base.height, round(changed, 4))


def _rgb(data: bytes) -> Any:
    """The image flattened onto white (transparent areas compare as white) and reduced to at most SIDE px."""
    with open_checked(data) as image:
        image.draft("RGB", (SIDE, SIDE))  # JPEG decodes at a reduced scale directly
        image.thumbnail((SIDE, SIDE))
        converted = image.convert("RGBA")
    flat = Image.new("RGBA", converted.size, (255, 255, 255, 255))
    flat.alpha_composite(converted)
    return flat.convert("RGB")
