"""Image bytes from someone else: real PNG/JPEG/WEBP within a pixel cap, checked from the header first.

Edit inputs, golden images and downloaded samples are all written by someone else. Pillow decodes a
13000x13000 PNG (169 MP) with only a warning, and reads any file it recognises; promptlib refuses both
before decoding, so a planted image cannot exhaust memory or smuggle a non-image upload.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: 4096x4096: above every size a GPT Image model produces (gpt-image-2 tops out at 8,294,400 pixels).
MAX_PIXELS = 4096 * 4096
MAX_EDIT_IMAGES = 16
MAX_MASK_BYTES = 4 * 1024 * 1024
_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


class ImageRefused(ValueError):
    """The bytes are not an image promptlib accepts; the message says what they are instead."""


@dataclass(frozen=True)
class ImageHeader:
    format: str  # png | jpeg | webp
    mode: str
    width: int
    height: int

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("RGBA", "LA", "PA", "RGBa", "La")


def open_checked(data: bytes) -> Any:
    """A PIL image of `data` (header read, pixels not yet decoded) after the format and pixel-cap checks."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # the pixel cap below is ours, and stricter than Pillow's warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRefused(f"is not a readable image ({type(exc).__name__})") from None
    if image.format not in _FORMATS:
        image.close()
        raise ImageRefused(f"is {image.format or 'an unknown format'}, not PNG, JPEG or WEBP")
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ImageRefused(f"is {width}x{height} ({width * height:,} pixels), over the {MAX_PIXELS:,}-pixel cap")
    return image


def header(data: bytes, *, verify: bool = False) -> ImageHeader:
    """Format, mode and size; with `verify`, the whole file is also checked for corruption (not decoded)."""
    image = open_checked(data)
    try:
        found = ImageHeader(_FORMATS[str(image.format)], _mode(image), *image.size)
        if verify:
            image.verify()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(f"is damaged ({type(exc).__name__})") from None
    finally:
        image.close()
    return found


def _mode(image: Any) -> str:
    if image.mode == "P" and "transparency" in image.info:
        return "PA"
    return str(image.mode)


def edit_input_problems(images: Sequence[tuple[str, str, bytes]]) -> list[str]:
    """What the service would refuse in an edit's inputs, as (name, role, data) triples; [] when fine.

    Azure: images PNG/JPEG/WEBP, at most 16; the mask a PNG with alpha, under 4 MB, the size of the first image.
    """
    problems: list[str] = []
    pictures = [(name, data) for name, role, data in images if role == "image"]
    masks = [(name, data) for name, role, data in images if role == "mask"]
    if len(pictures) > MAX_EDIT_IMAGES:
        problems.append(f"an edit takes at most {MAX_EDIT_IMAGES} images, not {len(pictures)}")
    first: ImageHeader | None = None
    for name, data in pictures:
        try:
            found = header(data, verify=True)
        except ImageRefused as exc:
            problems.append(f"image {name!r} {exc}")
            continue
        first = first or found
    for name, data in masks:
        problems += _mask_problems(name, data, first)
    return problems


def _mask_problems(name: str, data: bytes, first: ImageHeader | None) -> list[str]:
    try:
        mask = header(data, verify=True)
    except ImageRefused as exc:
        return [f"mask {name!r} {exc}"]
    problems = []
    if mask.format != "png":
        problems.append(f"mask {name!r} must be a PNG (it is {mask.format.upper()})")
    if not mask.has_alpha:
        problems.append(
            f"mask {name!r} has no alpha channel (mode {mask.mode}); transparent pixels mark the area "
            "to edit, so save it as RGBA"
        )
    if len(data) > MAX_MASK_BYTES:
        problems.append(f"mask {name!r} is {len(data):,} bytes; the service takes masks under 4 MB")
    if first is not None and mask.size != first.size:
        problems.append(f"mask {name!r} is {mask.size} but the image is {first.size}; they must be the same size")
    return problems
