"""Image edits: keep what the mask protects, repaint what it exposes, from the prompt.

As in the API, a mask's fully transparent pixels (alpha 0) mark the area to edit and everything else is
kept; the kept pixels are copied, not re-rendered, so a PNG edit is bit-exact outside the mask. Without a
mask the whole image is the edit area and the prompt's elements are painted over it. Extra input images
(references) appear as framed thumbnails among the new elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from promptlib.emulator._layout import NO_VARIATION, Variation, plan_image, rng
from promptlib.emulator._plates import draw_plates
from promptlib.emulator._prompt import parse_prompt
from promptlib.emulator._synthesis import ImageSpec, render_plan

Box = tuple[int, int, int, int]


def has_transparency(image: Image.Image) -> bool:
    """Whether `image` has an alpha channel (or palette transparency) with any pixel below fully opaque."""
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return False
    extrema = image.convert("RGBA").getchannel("A").getextrema()
    return extrema[0] != 255


def render_edit(
    spec: ImageSpec, images: Sequence[Image.Image], mask: Image.Image | None, variation: Variation = NO_VARIATION
) -> Image.Image:
    """Edit `images[0]` as `spec` asks; the result has `spec`'s size and is RGBA iff `spec.transparent`."""
    size = (spec.width, spec.height)
    mode = "RGBA" if spec.transparent else "RGB"
    base = _conform(images[0], size, mode)
    region = None if mask is None else _edit_region(mask, size)
    box = (0, 0, *size) if region is None else region.getbbox()
    if box is None:
        return base
    scene = parse_prompt(spec.prompt)
    plan = plan_image(scene, variation)
    crop_size = (box[2] - box[0], box[3] - box[1])
    layer = render_plan(plan, crop_size, spec.quality, transparent=True)
    _paste_references(layer, images[1:], variation)
    draw_plates(layer, scene.quotes, faces=scene.faces)
    under = base.crop(box).convert("RGBA")
    if region is not None and spec.transparent:
        under = Image.new("RGBA", crop_size, (0, 0, 0, 0))
    elif region is not None:
        backdrop = render_plan(replace(plan, elements=()), crop_size, spec.quality, transparent=False)
        blurred = under.convert("RGB").filter(ImageFilter.BoxBlur(max(1, min(crop_size) // 24)))
        under = Image.blend(blurred, backdrop, 0.45).convert("RGBA")
    edited = base.copy()
    edited.paste(Image.alpha_composite(under, layer).convert(mode), box[:2])
    if region is None:
        return edited
    return Image.composite(edited, base, region)


def _conform(image: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """`image` in `mode` (alpha flattened onto white for RGB) and at `size`."""
    rgba = image.convert("RGBA")
    if mode == "RGB":
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        converted = Image.alpha_composite(white, rgba).convert("RGB")
    else:
        converted = rgba
    if converted.size != size:
        converted = converted.resize(size, Image.Resampling.BICUBIC)
    return converted


def _edit_region(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """An L image, 255 where the mask is fully transparent (to be edited), 0 where it keeps the original."""
    alpha = mask.convert("RGBA").getchannel("A")
    if alpha.size != size:
        alpha = alpha.resize(size, Image.Resampling.NEAREST)
    return alpha.point(lambda a: 255 if a == 0 else 0)


def _paste_references(layer: Image.Image, references: Sequence[Image.Image], variation: Variation) -> None:
    """Place each reference image as a framed thumbnail at a spot chosen by its index (and sample)."""
    width, height = layer.size
    side = max(8, min(width, height) // 4)
    for index, reference in enumerate(references):
        r = rng("reference", index, variation.sample if variation.variance > 0 else 0)
        thumb = ImageOps.contain(reference.convert("RGBA"), (side, side))
        frame = Image.new("RGBA", (thumb.width + 8, thumb.height + 8), (250, 250, 250, 255))
        frame.alpha_composite(thumb, (4, 4))
        ImageDraw.Draw(frame).rectangle((0, 0, frame.width - 1, frame.height - 1), outline=(30, 30, 30, 255))
        x = int(r.random() * max(1, width - frame.width))
        y = int((0.35 + 0.5 * r.random()) * max(1, height - frame.height))
        layer.alpha_composite(frame, (x, y))
