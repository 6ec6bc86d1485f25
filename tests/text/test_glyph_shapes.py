"""Specification of the glyph-shape evidence: an engine that reads a printed "2O%" as "20%" (as PP-OCRv6 and
Tesseract do, from context) is overruled by the glyph's own width, or in a monospaced face by its clear
counter; a zero is never called a letter; and where the shape is unclear the engine's reading stands."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from promptlib.emulator._fonts import font
from promptlib.text._glyph_shapes import glyph_shapes, line_shapes
from promptlib.text._match import TextExpectation, find_text
from promptlib.text._reading import Quad, Reading, TextLine

pytest.importorskip("cv2")  # comes with the OCR extra, as the measuring does


def drawn(
    text: str, face: str = "sans", size: int = 72, *, halo: bool = False, inverted: bool = False
) -> tuple[np.ndarray, Quad, list[Quad]]:
    """`text` drawn dark on a light ground (light on dark when `inverted`), as greyscale pixels, with its line
    box and each visible glyph's box (where an engine would put them: the glyph's advance, the line's height).
    A `halo` is drawn in the ground's tone but stronger, as ad type's contrasting outline is."""
    typeface = font(face, size)
    ground, ink, outline = (40, 235, 5) if inverted else (215, 25, 250)
    image = Image.new("L", (60 + int(typeface.getlength(text)) + 60, size * 2), ground)
    x0, y0 = 60, size // 2
    ImageDraw.Draw(image).text((x0, y0), text, font=typeface, fill=ink,
                               stroke_width=max(1, size // 16) if halo else 0, stroke_fill=outline)  # fmt: skip
    top, bottom = y0 - size // 8, y0 + size + size // 8
    boxes = []
    for index, char in enumerate(text):
        if char.isspace():
            continue
        left = x0 + typeface.getlength(text[:index])
        right = x0 + typeface.getlength(text[: index + 1])
        boxes.append(((left, top), (right, top), (right, bottom), (left, bottom)))
    line = ((x0 - 20.0, top), (x0 + typeface.getlength(text) + 20, top),
            (x0 + typeface.getlength(text) + 20, bottom), (x0 - 20.0, bottom))  # fmt: skip
    return np.asarray(image), line, boxes


def split(line: Quad, boxes: list[Quad], first: int) -> tuple[tuple[Quad, list[Quad]], tuple[Quad, list[Quad]]]:
    """The one line cut in two after visible glyph `first`, as a detector does at a wide space."""

    def around(part: list[Quad]) -> Quad:
        left, right = part[0][0][0] - 10, part[-1][1][0] + 10
        return ((left, line[0][1]), (right, line[0][1]), (right, line[2][1]), (left, line[2][1]))

    return (around(boxes[:first]), boxes[:first]), (around(boxes[first:]), boxes[first:])


@pytest.mark.parametrize("face", ["regular", "sans", "bold", "serif"])
@pytest.mark.parametrize("halo", [False, True])
def test_a_capital_o_among_digits_is_shown_to_be_the_letter(face: str, halo: bool) -> None:
    pixels, line, boxes = drawn("2O% off", face, halo=halo)
    assert glyph_shapes(pixels, line, "20% off", boxes)[1] == "o"  # the engine read a zero; the shape says O


@pytest.mark.parametrize("size", [40, 72, 110])
@pytest.mark.parametrize(("halo", "inverted"), [(False, False), (True, False), (True, True)])
def test_a_capital_o_in_a_monospaced_face_is_shown_by_its_clear_counter(size: int, halo: bool, inverted: bool) -> None:
    pixels, line, boxes = drawn("2O% off", "mono", size, halo=halo, inverted=inverted)
    assert glyph_shapes(pixels, line, "20% off", boxes)[1] == "o"  # as wide as the figures; its zero is dotted


def test_a_line_split_at_its_space_borrows_the_pitch_of_its_neighbour() -> None:
    pixels, line, boxes = drawn("2O% off", "mono", 110, halo=True)
    (left, left_boxes), (right, right_boxes) = split(line, boxes, 3)
    assert glyph_shapes(pixels, left, "20%", left_boxes) == "???"  # three glyphs alone show no pitch
    assert line_shapes(pixels, [("20%", left, left_boxes), ("off", right, right_boxes)])[0] == "?o?"
    far = tuple((x + 4 * 110, y) for x, y in right)  # the same words on the row, but nowhere near
    assert line_shapes(pixels, [("20%", left, left_boxes), ("off", far, right_boxes)])[0] == "???"


@pytest.mark.parametrize("face", ["regular", "sans", "bold", "serif"])
def test_a_proportional_face_is_never_taken_for_a_monospaced_one(face: str) -> None:
    pixels, line, boxes = drawn("20% off", face, 110)
    (left, left_boxes), (right, right_boxes) = split(line, boxes, 3)
    assert line_shapes(pixels, [("20%", left, left_boxes), ("off", right, right_boxes)])[0] == "???"


@pytest.mark.parametrize("face", ["regular", "sans", "bold", "serif", "mono"])
@pytest.mark.parametrize("text", ["20% off", "Up to 70% off", "Call 555-0199", "Members save 10%", "$50"])
def test_a_zero_is_never_called_a_letter(face: str, text: str) -> None:
    pixels, line, boxes = drawn(text, face, halo=face == "bold")
    shapes = glyph_shapes(pixels, line, text, boxes)
    assert shapes is not None and shapes[text.index("0")] == "?"


@pytest.mark.parametrize("size", [20, 32, 56, 90])
@pytest.mark.parametrize("blur", [0, 1.5, 4])
@pytest.mark.parametrize(("halo", "inverted"), [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("text", ["20% off", "Up to 70% off", "Call 555-0199", "Only 30 left"])
def test_a_monospaced_zero_keeps_its_dot_even_blurred(
    text: str, size: int, blur: float, halo: bool, inverted: bool
) -> None:
    pixels, line, boxes = drawn(text, "mono", size, halo=halo, inverted=inverted)
    if blur:  # a blurred dot fades below the ink threshold, or runs into the ring
        pixels = np.asarray(Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(blur)))
    shapes = glyph_shapes(pixels, line, text, boxes)
    assert shapes is not None and shapes[text.index("0")] == "?"


def test_a_round_capital_with_no_digit_beside_it_is_judged_by_its_roundness() -> None:
    pixels, line, boxes = drawn("Open", "sans")
    assert glyph_shapes(pixels, line, "0pen", boxes) == "o???"


def test_without_boxes_per_character_or_round_glyphs_there_is_no_evidence() -> None:
    pixels, line, boxes = drawn("20% off")
    assert glyph_shapes(pixels, line, "20% off", boxes[:-1]) is None
    assert glyph_shapes(pixels, line, "25% aff", boxes) is None
    flat = np.full_like(pixels, 128)
    assert glyph_shapes(flat, line, "20% off", boxes) == "???????"


def test_the_shape_overrules_a_confident_reading_and_forgives_a_confident_misreading() -> None:
    box = ((0.0, 0.0), (100.0, 0.0), (100.0, 40.0), (0.0, 40.0))
    misprint = Reading("e", 640, 640, (TextLine("20% off", box, 0.99, (0.99,) * 7, "?o?????"),))
    match = find_text(TextExpectation.of("20% off"), misprint)
    assert not match.found and match.read == "2O% off"  # quoted as printed, not as the engine guessed
    assert match.message() == "text '20% off' not found; read '2O% off'"
    misread = Reading("e", 640, 640, (TextLine("C0ho", box, 0.99, (0.99,) * 4, "?o??"),))
    assert find_text(TextExpectation.of("Coho"), misread).found
    unclear = Reading("e", 640, 640, (TextLine("20% off", box, 0.99, (0.99,) * 7, "???????"),))
    assert find_text(TextExpectation.of("20% off"), unclear).found


def test_the_engine_refuses_a_printed_2O_percent_for_20_percent() -> None:
    pytest.importorskip("rapidocr")
    from promptlib.text._ocr import text_reader

    for printed, found in (("2O% off", False), ("20% off", True)):
        image = Image.new("RGB", (900, 300), (230, 220, 200))
        ImageDraw.Draw(image).text((60, 90), printed, font=font("sans", 80), fill=(20, 20, 20))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        match = find_text(TextExpectation.of("20% off"), text_reader().read(buffer.getvalue()))
        assert match.found is found, (printed, match.message())
