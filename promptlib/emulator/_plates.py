"""Quoted text, drawn legibly: the emulator's stand-in for a model printing the text a prompt asks for.

Text is drawn at the final resolution (never upscaled), dark on a near-white plate, in the typeface the
prompt asks for (`_fonts`), so a person or an OCR check can read it in the output. It is exactly the quoted
text (whitespace runs drawn as one space, wrapped at spaces onto at most three lines), unless the `garble`
fault is misprinting it (`_garble`).
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from promptlib.emulator._fonts import font, printable_face
from promptlib.emulator._garble import garble, is_garbling

PLATE_FILL = (248, 248, 246)
TEXT_FILL = (18, 18, 24)
MAX_LINES = 3


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap of `text` to lines no wider than `width` (a single long word may overflow)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit(text: str, face: str, box_width: float, start_size: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size of `face` (down from `start_size`) at which `text` wraps into `MAX_LINES` lines."""
    size = start_size
    while True:
        typeface = font(face, size)
        lines = _wrap(text, typeface, box_width)
        if size <= 12 or (len(lines) <= MAX_LINES and all(typeface.getlength(ln) <= box_width for ln in lines)):
            return typeface, lines
        size = max(12, int(size * 0.85))


def draw_plates(
    image: Image.Image,
    quotes: Sequence[str],
    offset: tuple[float, float] = (0.0, 0.0),
    faces: Sequence[str] = (),
) -> None:
    """Draw each quoted text on its own plate, stacked from the top centre of `image` (in place).

    `offset` (fractions of the image size) lets samples place the text slightly differently; `faces[i]`
    is the typeface for `quotes[i]` (Aileron, `regular`, where none is given).
    """
    if not quotes:
        return
    width, height = image.size
    draw = ImageDraw.Draw(image)
    y = height * (0.05 + offset[1])
    garbling = is_garbling()
    for index, quote in enumerate(quotes):
        text = garble(quote) if garbling else quote
        face = printable_face(faces[index] if index < len(faces) else "regular", text)
        start = max(12, int(min(width, height) * (0.085 if index == 0 else 0.06)))
        typeface, lines = _fit(text, face, width * 0.8, start)
        ascent, descent = typeface.getmetrics()
        line_height = int((ascent + descent) * 1.1)
        text_width = max(typeface.getlength(line) for line in lines)
        pad = line_height * 0.35
        left = width / 2 + width * offset[0] - text_width / 2 - pad
        box = (left, y, left + text_width + 2 * pad, y + line_height * len(lines) + 2 * pad)
        draw.rounded_rectangle(box, radius=pad, fill=PLATE_FILL)
        for row, line in enumerate(lines):
            line_left = width / 2 + width * offset[0] - typeface.getlength(line) / 2
            draw.text((line_left, y + pad + row * line_height), line, font=typeface, fill=TEXT_FILL)
        y = box[3] + height * 0.02
