"""Quoted text, drawn legibly: the emulator's stand-in for a model printing the text a prompt asks for.

Text is drawn at the final resolution (never upscaled), dark on a near-white plate, in Pillow's bundled
TrueType font, so a person or an OCR check can read it in the output.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

PLATE_FILL = (248, 248, 246)
TEXT_FILL = (18, 18, 24)
MAX_LINES = 3


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError("Pillow was built without FreeType; the emulator needs it to draw quoted text")
    return font


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap of `text` to lines no wider than `width` (a single long word may overflow)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit(text: str, box_width: float, start_size: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font size (down from `start_size`) at which `text` wraps into `MAX_LINES` lines."""
    size = start_size
    while True:
        font = _font(size)
        lines = _wrap(text, font, box_width)
        if size <= 12 or (len(lines) <= MAX_LINES and all(font.getlength(ln) <= box_width for ln in lines)):
            return font, lines
        size = max(12, int(size * 0.85))


def draw_plates(image: Image.Image, quotes: tuple[str, ...], offset: tuple[float, float] = (0.0, 0.0)) -> None:
    """Draw each quoted text on its own plate, stacked from the top centre of `image` (in place).

    `offset` (fractions of the image size) lets samples place the text slightly differently.
    """
    if not quotes:
        return
    width, height = image.size
    draw = ImageDraw.Draw(image)
    y = height * (0.05 + offset[1])
    for index, text in enumerate(quotes):
        font, lines = _fit(text, width * 0.8, max(12, int(min(width, height) * (0.085 if index == 0 else 0.06))))
        ascent, descent = font.getmetrics()
        line_height = int((ascent + descent) * 1.1)
        text_width = max(font.getlength(line) for line in lines)
        pad = line_height * 0.35
        left = width / 2 + width * offset[0] - text_width / 2 - pad
        box = (left, y, left + text_width + 2 * pad, y + line_height * len(lines) + 2 * pad)
        draw.rounded_rectangle(box, radius=pad, fill=PLATE_FILL)
        for row, line in enumerate(lines):
            line_left = width / 2 + width * offset[0] - font.getlength(line) / 2
            draw.text((line_left, y + pad + row * line_height), line, font=font, fill=TEXT_FILL)
        y = box[3] + height * 0.02
