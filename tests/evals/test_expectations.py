"""Checks beyond goldens: size, format, real transparency, and pixels kept outside an edit's mask."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from promptlib.client._requests import ImageRequest
from promptlib.client._results import GeneratedImage
from promptlib.evals._expectations import expectation_failures
from promptlib.evals._suites import Expect
from promptlib.models._parameters import ImageParameters
from promptlib.prompts._rendered import InputImage

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "edit"


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def generated(image: Image.Image, fmt: str = "png", **options: object) -> GeneratedImage:
    return GeneratedImage(
        data=encode(image, fmt.upper(), **options), format=fmt, width=image.width, height=image.height
    )


def request(operation: str = "generate", images: tuple[InputImage, ...] = (), **parameters: object) -> ImageRequest:
    return ImageRequest(
        operation=operation,
        prompt="p",
        parameters=ImageParameters(**parameters),  # type: ignore[arg-type]
        deployment="local",
        model="gpt-image-1.5",
        images=images,
    )


def picture(size: tuple[int, int] = (1024, 1024), mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size, (200, 180, 150, 255) if mode == "RGBA" else (200, 180, 150))
    ImageDraw.Draw(image).ellipse((100, 100, 400, 400), fill=(20, 40, 90, 255) if mode == "RGBA" else (20, 40, 90))
    return image


def cut_out() -> Image.Image:
    """A logo on a fully transparent background."""
    image = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((300, 300, 700, 700), fill=(20, 40, 90, 255))
    return image


def test_a_good_sample_has_no_failures() -> None:
    assert expectation_failures(Expect(), generated(picture()), request(size="1024x1024", output_format="png")) == []


def test_size_defaults_to_the_requested_size() -> None:
    failures = expectation_failures(Expect(), generated(picture((1536, 1024))), request(size="1024x1024"))
    assert failures == ["size is 1536x1024, expected 1024x1024"]


def test_expect_size_overrides_and_auto_is_not_checked() -> None:
    landscape = generated(picture((1536, 1024)))
    assert expectation_failures(Expect(size="1536x1024"), landscape, request(size="auto")) == []
    assert expectation_failures(Expect(), landscape, request(size="auto")) == []
    assert expectation_failures(Expect(size="1024x1536"), landscape, request(size="auto")) == [
        "size is 1536x1024, expected 1024x1536"
    ]


def test_format_defaults_to_the_requested_format_and_expect_overrides() -> None:
    jpeg = generated(picture(), "jpeg")
    assert expectation_failures(Expect(), jpeg, request(output_format="png")) == ["format is jpeg, expected png"]
    assert expectation_failures(Expect(format="jpeg"), jpeg, request(output_format="png")) == []
    assert expectation_failures(Expect(format="png"), jpeg, request()) == ["format is jpeg, expected png"]


def test_a_transparent_background_needs_real_transparent_pixels() -> None:
    asked = request(background="transparent", output_format="png")
    assert expectation_failures(Expect(), generated(cut_out()), asked) == []
    opaque_rgb = expectation_failures(Expect(), generated(picture()), asked)
    assert opaque_rgb == ["no transparent pixels, but a transparent background was asked for"]
    # An alpha channel that is 255 everywhere is not transparency.
    assert expectation_failures(Expect(), generated(picture(mode="RGBA")), asked) == opaque_rgb
    assert expectation_failures(Expect(), generated(cut_out().quantize(8)), asked) == []  # palette transparency


def test_expect_transparent_false_flags_alpha_and_true_overrides_the_request() -> None:
    assert expectation_failures(Expect(transparent=False), generated(cut_out()), request()) == [
        "has transparent pixels, but an opaque image was expected"
    ]
    assert expectation_failures(Expect(transparent=False), generated(picture(mode="RGBA")), request()) == []
    assert expectation_failures(Expect(transparent=True), generated(picture()), request(background="opaque")) == [
        "no transparent pixels, but a transparent background was asked for"
    ]


def test_every_failure_is_reported() -> None:
    failures = expectation_failures(
        Expect(transparent=True),
        generated(picture((1536, 1024)), "jpeg"),
        request(size="1024x1024", output_format="png"),
    )
    assert len(failures) == 3


@cache
def edit_inputs() -> tuple[InputImage, InputImage]:
    return (
        InputImage("image", "image", (ASSETS / "product.png").read_bytes()),
        InputImage("mask", "mask", (ASSETS / "product-mask.png").read_bytes()),
    )


def edited(outside: bool, inside: bool = True) -> Image.Image:
    """The source with its background (mask alpha 0) repainted; ``outside`` also scribbles on the kept product."""
    source = Image.open(ASSETS / "product.png").convert("RGB")
    keep = Image.open(ASSETS / "product-mask.png").getchannel("A")
    if inside:
        source = Image.composite(source, Image.new("RGB", source.size, (240, 230, 210)), keep)
    if outside:
        box = keep.getbbox()
        assert box is not None
        ImageDraw.Draw(source).rectangle(box, fill=(255, 0, 0))
    return source


def test_an_edit_that_keeps_the_unmasked_pixels_passes() -> None:
    edit = request("edit", edit_inputs(), size="1024x1024")
    expect = Expect(unchanged_outside_mask=True)
    assert expectation_failures(expect, generated(edited(outside=False)), edit) == []
    assert (
        expectation_failures(
            expect, generated(edited(outside=False), "jpeg", quality=90), request("edit", edit_inputs())
        )
        == []
    )  # JPEG ringing is tolerated


def test_an_edit_that_changes_the_kept_pixels_fails() -> None:
    edit = request("edit", edit_inputs(), size="1024x1024")
    (failure,) = expectation_failures(Expect(unchanged_outside_mask=True), generated(edited(outside=True)), edit)
    assert failure.endswith("of the pixels outside the mask changed")


def test_an_edit_returned_at_another_size_fails_the_mask_check() -> None:
    small = edited(outside=False).resize((512, 512))
    failures = expectation_failures(
        Expect(unchanged_outside_mask=True), generated(small), request("edit", edit_inputs())
    )
    assert failures == ["output is 512x512 but the input is 1024x1024"]


def test_the_mask_check_needs_an_edit_with_image_and_mask() -> None:
    failures = expectation_failures(Expect(unchanged_outside_mask=True), generated(picture()), request())
    assert failures == ["unchanged_outside_mask needs an edit with an image and a mask"]


@pytest.mark.parametrize("value", [None, False])
def test_the_mask_check_is_off_unless_asked(value: bool | None) -> None:
    assert (
        expectation_failures(
            Expect(unchanged_outside_mask=value), generated(edited(outside=True)), request("edit", edit_inputs())
        )
        == []
    )
