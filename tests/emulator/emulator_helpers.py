"""Helpers shared by the emulator tests: decoding responses and comparing images as a user would."""

from __future__ import annotations

import base64
import io

import imagehash
from PIL import Image, ImageChops

API_VERSION = "2025-04-01-preview"
GENERATIONS = f"/openai/deployments/images/images/generations?api-version={API_VERSION}"
EDITS = f"/openai/deployments/images/images/edits?api-version={API_VERSION}"


def decode(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def phash_distance(a: Image.Image, b: Image.Image) -> int:
    """64-bit pHash Hamming distance, alpha flattened onto white as promptlib's hash spec does."""
    return int(imagehash.phash(_flat(a)) - imagehash.phash(_flat(b)))


def changed_fraction(a: Image.Image, b: Image.Image, tolerance: int = 8) -> float:
    """Share of pixels whose largest channel difference exceeds `tolerance`."""
    diff = ImageChops.difference(_flat(a), _flat(b)).convert("L")
    histogram = diff.point(lambda v: 255 if v > tolerance else 0).histogram()
    return histogram[255] / (a.width * a.height)


def _flat(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
