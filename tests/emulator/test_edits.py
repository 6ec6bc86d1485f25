"""Edits keep what the mask protects, bit for bit, and repaint what it exposes."""

from __future__ import annotations

import io

from emulator_helpers import changed_fraction
from PIL import Image, ImageChops, ImageDraw

from promptlib.emulator._edits import render_edit
from promptlib.emulator._layout import Variation
from promptlib.emulator._synthesis import ImageSpec, encode, render

HOLE = (300, 450, 800, 950)


def _photo(size: tuple[int, int] = (1024, 1024)) -> Image.Image:
    return render(ImageSpec("A quiet harbour with boats at sunrise", width=size[0], height=size[1]))


def _mask(size: tuple[int, int] = (1024, 1024), hole: tuple[int, int, int, int] = HOLE) -> Image.Image:
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle(hole, fill=(0, 0, 0, 0))
    return mask


def _keep(mask: Image.Image) -> Image.Image:
    return mask.getchannel("A").point(lambda a: 255 if a else 0)


def test_masked_edit_keeps_outside_pixels_exactly_and_repaints_inside() -> None:
    photo, mask = _photo(), _mask()
    edited = render_edit(ImageSpec("A giant yellow rubber duck"), [photo], mask)
    # Round-trip through PNG, as the API returns it.
    decoded = Image.open(io.BytesIO(encode(edited, "png", None))).convert("RGB")
    outside = ImageChops.difference(decoded, photo).convert("L")
    assert ImageChops.multiply(outside, _keep(mask)).getbbox() is None
    inside = (HOLE[0], HOLE[1], HOLE[2] + 1, HOLE[3] + 1)
    assert changed_fraction(decoded.crop(inside), photo.crop(inside)) > 0.5


def test_edit_content_follows_the_prompt() -> None:
    photo, mask = _photo(), _mask()
    duck = render_edit(ImageSpec("A giant yellow rubber duck"), [photo], mask)
    whale = render_edit(ImageSpec("A sleeping whale"), [photo], mask)
    assert changed_fraction(duck, whale) > 0.05


def test_edit_without_mask_paints_over_part_of_the_image() -> None:
    photo = _photo()
    edited = render_edit(ImageSpec("A flock of seagulls"), [photo], None)
    assert 0.05 < changed_fraction(photo, edited) < 0.9


def test_edit_output_size_follows_the_request_or_the_input() -> None:
    photo = _photo((800, 600))
    same = render_edit(ImageSpec("A red kite", width=800, height=600), [photo], None)
    wide = render_edit(ImageSpec("A red kite", width=1536, height=1024), [photo], None)
    assert same.size == (800, 600)
    assert wide.size == (1536, 1024)


def test_transparent_edit_clears_the_masked_area_behind_new_elements() -> None:
    photo = _photo().convert("RGBA")
    edited = render_edit(ImageSpec("A small star", transparent=True), [photo], _mask())
    assert edited.mode == "RGBA"
    hole_alpha = edited.getchannel("A").crop(HOLE).histogram()
    assert hole_alpha[0] > 0, "cleared pixels inside the hole"
    assert edited.getchannel("A").crop((0, 0, 200, 200)).getextrema() == (255, 255)


def test_reference_images_appear_in_the_repainted_area() -> None:
    photo, mask = _photo(), _mask()
    alone = render_edit(ImageSpec("A teapot on a table"), [photo], mask)
    with_reference = render_edit(
        ImageSpec("A teapot on a table"), [photo, Image.new("RGB", (300, 300), (255, 0, 255))], mask
    )
    magenta = with_reference.crop(HOLE).convert("RGB").getcolors(1 << 20) or []
    assert any(colour == (255, 0, 255) for _, colour in magenta)
    assert alone.tobytes() != with_reference.tobytes()


def test_edit_samples_vary_only_with_variance() -> None:
    photo, mask = _photo(), _mask()
    spec = ImageSpec("A giant yellow rubber duck")
    fixed = {render_edit(spec, [photo], mask, Variation(0.0, k)).tobytes() for k in range(3)}
    varied = {render_edit(spec, [photo], mask, Variation(0.15, k)).tobytes() for k in range(3)}
    assert (len(fixed), len(varied)) == (1, 3)
