"""The difference heatmap is a PNG computed with Pillow: dark where two images agree, bright where they differ."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from promptlib.core._image_files import ImageRefused
from promptlib.review._heatmap import SIDE, heatmap


def png(
    size: tuple[int, int] = (200, 100), square: tuple[int, int, int, int] | None = None, mode: str = "RGB"
) -> bytes:
    image = Image.new(mode, size, "white")
    if square:
        ImageDraw.Draw(image).rectangle(square, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_identical_images_show_no_change() -> None:
    result = heatmap(png(square=(10, 10, 50, 50)), png(square=(10, 10, 50, 50)))
    assert result.changed == 0.0
    with Image.open(io.BytesIO(result.png)) as shown:
        assert shown.format == "PNG"
        assert shown.size == (200, 100) == (result.width, result.height)


def test_a_changed_region_is_bright_and_the_rest_dark() -> None:
    result = heatmap(png(), png(square=(100, 0, 199, 99)))
    assert result.changed == pytest.approx(0.5, abs=0.02)
    with Image.open(io.BytesIO(result.png)) as shown:
        rgb = shown.convert("RGB")
        assert sum(rgb.getpixel((150, 50))) > 400  # where they differ
        assert sum(rgb.getpixel((50, 50))) < 200  # where they agree


def test_images_of_different_sizes_are_compared_at_the_first_ones_size() -> None:
    result = heatmap(png((200, 100)), png((400, 200)))
    assert (result.width, result.height) == (200, 100)
    assert result.changed == 0.0


def test_large_images_are_reduced_and_transparency_compares_as_white() -> None:
    result = heatmap(png((2048, 1024)), png((2048, 1024), mode="RGBA"))
    assert max(result.width, result.height) == SIDE
    transparent = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    buffer = io.BytesIO()
    transparent.save(buffer, format="PNG")
    assert heatmap(png((64, 64)), buffer.getvalue()).changed == 0.0


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(ImageRefused):
        heatmap(png(), b"GIF89a not really")
