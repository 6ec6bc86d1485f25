"""Edit inputs: decode the uploaded images and mask once, with the API's limits and error messages."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from promptlib.emulator._errors import invalid_request

MAX_IMAGES = 16
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_MASK_BYTES = 4 * 1024 * 1024
#: Larger inputs are refused rather than decoded (a decompression bomb would stall the emulator).
MAX_PIXELS = 36_000_000
IMAGE_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})


@dataclass(frozen=True)
class EditInputs:
    """Decoded edit inputs: `images[0]` is edited, the rest are references; `mask` matches `images[0]`."""

    images: tuple[Image.Image, ...]
    mask: Image.Image | None


def decode_inputs(images: list[bytes], mask: bytes | None) -> EditInputs:
    """Decode and check the uploads; raise a 400 `ApiError` naming the first bad one."""
    if not images:
        raise invalid_request("Missing required parameter: 'image'.", "image", "missing_required_parameter")
    if len(images) > MAX_IMAGES:
        raise invalid_request(
            f"Invalid 'image': too many images. Expected at most {MAX_IMAGES}, but got {len(images)}.",
            "image",
        )
    decoded = tuple(_decode_image(data, index + 1) for index, data in enumerate(images))
    return EditInputs(decoded, None if mask is None else _decode_mask(mask, decoded[0].size))


def _decode_image(data: bytes, number: int) -> Image.Image:
    image = _open(data, MAX_IMAGE_BYTES, IMAGE_FORMATS)
    if image is None:
        raise invalid_request(
            f"Invalid image file or mode for image {number}, please check your image file. Each image must be "
            "a PNG, JPEG or WEBP file smaller than 50 MB.",
            "image",
            "invalid_image_file",
        )
    return image


def _decode_mask(data: bytes, size: tuple[int, int]) -> Image.Image:
    mask = _open(data, MAX_MASK_BYTES, frozenset({"PNG"}))
    if mask is None:
        raise invalid_request(
            "Invalid mask image: the mask must be a valid PNG file smaller than 4 MB.", "mask", "invalid_mask_image"
        )
    if "A" not in mask.getbands() and "transparency" not in mask.info:
        raise invalid_request(
            "Invalid mask image: the mask must have an alpha channel (fully transparent pixels mark the area to edit).",
            "mask",
            "invalid_mask_image",
        )
    if mask.size != size:
        raise invalid_request(
            f"Invalid mask image: the mask ({mask.width}x{mask.height}) must have the same dimensions as the "
            f"first image ({size[0]}x{size[1]}).",
            "mask",
            "invalid_mask_image",
        )
    return mask


def _open(data: bytes, max_bytes: int, formats: frozenset[str]) -> Image.Image | None:
    """The decoded image, or None when it is too big, of another format, or not decodable."""
    if not data or len(data) > max_bytes:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in formats or image.width * image.height > MAX_PIXELS:
            return None
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    return image
