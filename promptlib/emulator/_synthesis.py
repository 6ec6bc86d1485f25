"""Deterministic image synthesis: a prompt becomes a flat illustration that behaves like a model's output.

The picture is drawn at a fraction of the requested resolution (shapes and gradients survive upscaling;
this keeps a 1024x1024 PNG well under 80 ms), upscaled, and then the quoted text is drawn at full
resolution so it stays sharp. See `_layout` for how the prompt drives the plan.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from promptlib.emulator._layout import (
    NO_VARIATION,
    RGB,
    SKY_KINDS,
    Background,
    Element,
    Plan,
    Variation,
    plan_image,
    rng,
)
from promptlib.emulator._plates import draw_plates
from promptlib.emulator._prompt import parse_prompt

Quality = Literal["low", "medium", "high"]
OutputFormat = Literal["png", "jpeg", "webp"]

#: Drawing happens at 1/scale of the output size, then is upscaled: lower quality is coarser (and cheaper),
#: as with the real models, where low quality means fewer image tokens.
WORK_SCALE: dict[Quality, int] = {"low": 4, "medium": 3, "high": 2}
#: zlib level 1: the emulator's PNGs are for tests and previews, where encoding speed matters more than bytes.
PNG_COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class ImageSpec:
    """Everything that determines a generated image's pixels and bytes (besides the sample variation)."""

    prompt: str
    width: int = 1024
    height: int = 1024
    quality: Quality = "high"
    transparent: bool = False
    output_format: OutputFormat = "png"
    output_compression: int | None = None


def synthesize(spec: ImageSpec, variation: Variation = NO_VARIATION) -> bytes:
    """The encoded image for `spec` (PNG/JPEG/WebP bytes)."""
    return encode(render(spec, variation), spec.output_format, spec.output_compression)


def render(spec: ImageSpec, variation: Variation = NO_VARIATION) -> Image.Image:
    """The image for `spec`: RGB, or RGBA with a fully transparent background when `spec.transparent`."""
    scene = parse_prompt(spec.prompt)
    plan = plan_image(scene, variation)
    image = render_plan(plan, (spec.width, spec.height), spec.quality, spec.transparent)
    draw_plates(image, scene.quotes, _plate_offset(variation), scene.faces)
    return image


def render_plan(plan: Plan, size: tuple[int, int], quality: Quality, transparent: bool) -> Image.Image:
    """Draw `plan` at reduced resolution and upscale it to `size` (RGB, or RGBA when `transparent`)."""
    scale = WORK_SCALE[quality]
    work = (max(1, round(size[0] / scale)), max(1, round(size[1] / scale)))
    canvas = Image.new("RGBA", work, (0, 0, 0, 0)) if transparent else _background(plan.background, work)
    draw = ImageDraw.Draw(canvas, "RGBA")
    for element in plan.elements:
        _draw_element(draw, element, work, quality, transparent, rng(plan.detail_seed, element.seed))
    if canvas.size == size:
        return canvas
    if transparent:
        # Resample premultiplied so transparent pixels' colour does not bleed into the subject's edges.
        return canvas.convert("RGBa").resize(size, Image.Resampling.BILINEAR).convert("RGBA")
    return canvas.resize(size, Image.Resampling.BILINEAR)


def encode(image: Image.Image, output_format: OutputFormat, output_compression: int | None) -> bytes:
    """Encode like the API: `output_compression` is OpenAI's 0-100 knob, read as the JPEG/WebP quality.

    OpenAI documents it as "compression level (0-100%)" defaulting to 100 for full quality, so 100 gives
    the best image and the largest file; PNG ignores it (validation rejects it for PNG).
    """
    buffer = io.BytesIO()
    quality = 100 if output_compression is None else output_compression
    if output_format == "png":
        image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    elif output_format == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, "WEBP", quality=quality, method=0)
    return buffer.getvalue()


def _plate_offset(variation: Variation) -> tuple[float, float]:
    if variation.variance <= 0:
        return (0.0, 0.0)
    r = rng("plate", variation.sample)
    return (r.gauss(0, 0.02 * variation.variance), abs(r.gauss(0, 0.03 * variation.variance)))


def _vertical_gradient(top: RGB, bottom: RGB, size: tuple[int, int]) -> Image.Image:
    height = size[1]
    column = Image.new("RGB", (1, height))
    column.putdata(
        [
            tuple(round(a + (b - a) * y / max(1, height - 1)) for a, b in zip(top, bottom, strict=True))
            for y in range(height)
        ]
    )
    return column.resize(size, Image.Resampling.NEAREST)


def _background(bg: Background, size: tuple[int, int]) -> Image.Image:
    """Sky gradient, a soft glow where the light is, and a hilly ground below the horizon."""
    width, height = size
    short = min(size)
    canvas = _vertical_gradient(*bg.palette.sky, size)
    glow = Image.new("L", size, 0)
    gx, gy, radius = bg.glow[0] * width, bg.glow[1] * height, 0.28 * short
    ImageDraw.Draw(glow).ellipse((gx - radius, gy - radius, gx + radius, gy + radius), fill=190)
    canvas.paste(bg.palette.glow, (0, 0), glow.filter(ImageFilter.BoxBlur(short * 0.1)))
    ground = _vertical_gradient(*bg.palette.ground, size)
    outline = [
        (x, height * (bg.horizon + bg.hill_amplitude * math.sin(2 * math.pi * (1.3 * x / width + bg.hill_phase))))
        for x in range(0, width + 8, 8)
    ]
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon([*outline, (width, height), (0, height)], fill=255)
    canvas.paste(ground, (0, 0), mask)
    return canvas


def _draw_element(
    draw: ImageDraw.ImageDraw,
    e: Element,
    size: tuple[int, int],
    quality: Quality,
    transparent: bool,
    detail: random.Random,
) -> None:
    """One element; `quality` adds a ground shadow and highlight (medium) and surface texture (high)."""
    width, height = size
    s = e.size * min(size)
    x, y = e.x * width, e.y * height
    if quality != "low" and not transparent and e.kind not in SKY_KINDS:
        draw.ellipse((x - s * 0.45 * e.aspect, y - s * 0.06, x + s * 0.45 * e.aspect, y + s * 0.06), fill=(0, 0, 0, 70))
    box = _SHAPES[e.kind](draw, e, x, y, s)
    if quality == "low":
        return
    light = tuple(min(255, c + 60) for c in e.colour)
    left, top, right, bottom = box
    hx, hy, hr = left + (right - left) * 0.32, top + (bottom - top) * 0.3, (right - left) * 0.1
    draw.ellipse((hx - hr, hy - hr * 0.7, hx + hr, hy + hr * 0.7), fill=(*light, 150))
    if quality == "high":
        dark = tuple(max(0, c - 50) for c in e.colour)
        for _ in range(6):
            px = left + (right - left) * (0.3 + 0.4 * detail.random())
            py = top + (bottom - top) * (0.45 + 0.4 * detail.random())
            r = max(1.0, s * 0.025)
            draw.ellipse((px - r, py - r, px + r, py + r), fill=(*dark, 170))


Box = tuple[float, float, float, float]


def _disc(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    box = (x - s / 2, y - s / 2, x + s / 2, y + s / 2)
    draw.ellipse(box, fill=e.colour)
    return box


def _ring(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    box = (x - s / 2, y - s / 2, x + s / 2, y + s / 2)
    draw.ellipse(box, outline=e.colour, width=max(2, round(s * 0.14)))
    return box


def _cloud(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    r = rng(e.seed)
    puffs = 3 + r.randrange(3)
    for i in range(puffs):
        px = x + (i - (puffs - 1) / 2) * s * 0.35 * e.aspect
        pr = s * (0.22 + 0.12 * r.random())
        draw.ellipse((px - pr, y - pr, px + pr, y + pr * 0.8), fill=e.colour)
    half = (puffs / 2) * s * 0.35 * e.aspect
    return (x - half, y - s * 0.3, x + half, y + s * 0.3)


def _star(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    turn = rng(e.seed).random()
    points = [
        (
            x + (s / 2 if k % 2 == 0 else s / 5) * math.cos(math.pi * (k / 5 + turn)),
            y + (s / 2 if k % 2 == 0 else s / 5) * math.sin(math.pi * (k / 5 + turn)),
        )
        for k in range(10)
    ]
    draw.polygon(points, fill=e.colour)
    return (x - s / 2, y - s / 2, x + s / 2, y + s / 2)


def _blob(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    r = rng(e.seed)
    n = 9 + r.randrange(6)
    cy = y - s / 2
    radii = [s / 2 * (0.7 + 0.35 * r.random()) for _ in range(n)]
    points = [
        (x + radii[k] * e.aspect * math.cos(2 * math.pi * k / n), cy + radii[k] * math.sin(2 * math.pi * k / n))
        for k in range(n)
    ]
    draw.polygon(points, fill=e.colour)
    return (x - s / 2 * e.aspect, y - s, x + s / 2 * e.aspect, y)


def _box(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    half = s * 0.5 * e.aspect
    box = (x - half, y - s, x + half, y)
    draw.rounded_rectangle(box, radius=s * 0.12, fill=e.colour)
    return box


def _mountain(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    half = s * 0.8 * e.aspect
    draw.polygon([(x - half, y), (x, y - s), (x + half, y)], fill=e.colour)
    return (x - half / 2, y - s * 0.7, x + half / 2, y)


def _tower(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    half = s * 0.18 * e.aspect
    draw.rectangle((x - half, y - s * 1.1, x + half, y), fill=e.colour)
    draw.polygon([(x - half * 1.4, y - s * 1.1), (x, y - s * 1.45), (x + half * 1.4, y - s * 1.1)], fill=e.colour)
    return (x - half, y - s * 1.1, x + half, y)


def _dome(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    half = s * 0.55 * e.aspect
    draw.chord((x - half, y - s * 0.8, x + half, y + s * 0.8), 180, 360, fill=e.colour)
    return (x - half, y - s * 0.8, x + half, y)


def _tree(draw: ImageDraw.ImageDraw, e: Element, x: float, y: float, s: float) -> Box:
    trunk = tuple(max(0, c - 70) for c in e.colour)
    draw.rectangle((x - s * 0.06, y - s * 0.5, x + s * 0.06, y), fill=trunk)
    crown = (x - s * 0.38 * e.aspect, y - s * 1.15, x + s * 0.38 * e.aspect, y - s * 0.4)
    draw.ellipse(crown, fill=e.colour)
    return crown


_SHAPES = {
    "disc": _disc,
    "ring": _ring,
    "cloud": _cloud,
    "star": _star,
    "blob": _blob,
    "box": _box,
    "mountain": _mountain,
    "tower": _tower,
    "dome": _dome,
    "tree": _tree,
}
