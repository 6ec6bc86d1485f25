"""Draw the input image and mask that ``prompts/edits/replace-background.yaml`` edits.

Why a script: the example edit needs a product photo and a matching mask, and a
hand-made PNG can't be reviewed or regenerated. The geometry below is the single
source of truth for both files, so the mask always fits the product exactly.

Writes (relative to the repository root):
  assets/edit/product.png       1024x1024 RGB: a ceramic mug on a plain studio backdrop
  assets/edit/product-mask.png  1024x1024 RGBA: alpha 0 over the backdrop (to replace), 255 over the mug (kept)

Deterministic (no randomness, fixed PNG settings) and idempotent: a file is only
rewritten when its bytes would change, so re-running leaves git clean.
Run: python scripts/make_edit_inputs.py
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 1024
OUT_DIR = Path(__file__).resolve().parent.parent / "assets" / "edit"

BACKDROP_TOP = (214, 216, 220)  # cool grey seamless paper, lighter towards the floor
BACKDROP_BOTTOM = (236, 237, 239)
MUG = (38, 62, 104)  # glazed navy
MUG_SHADE = (27, 45, 78)
MUG_HIGHLIGHT = (92, 122, 168)
BAND = (255, 111, 89)  # coral band, so the edit has a detail worth keeping
SHADOW = (170, 172, 178)

# The mug's silhouette (see product_alpha): body, handle ring, and the rim ellipse.
BODY = (352, 360, 672, 800)
RIM = (352, 330, 672, 390)
HANDLE_OUTER = (600, 450, 800, 690)
HANDLE_INNER = (640, 500, 750, 640)
BAND_BOX = (352, 610, 672, 650)


def product_alpha() -> Image.Image:
    """255 over the mug, 0 elsewhere (including the backdrop seen through the handle)."""
    alpha = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(alpha)
    draw.ellipse(HANDLE_OUTER, fill=255)
    draw.ellipse(HANDLE_INNER, fill=0)  # punch the handle's hole before the body covers its edge
    draw.rounded_rectangle(BODY, radius=48, fill=255)
    draw.ellipse(RIM, fill=255)
    return alpha


def draw_product() -> Image.Image:
    backdrop = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(backdrop)
    for y in range(SIZE):  # vertical seamless-paper gradient
        t = y / (SIZE - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(BACKDROP_TOP, BACKDROP_BOTTOM, strict=True))
        draw.line([(0, y), (SIZE, y)], fill=colour)
    draw.ellipse((300, 770, 760, 840), fill=SHADOW)  # contact shadow: part of the background, so replaced
    mug = Image.new("RGB", (SIZE, SIZE), MUG)
    draw = ImageDraw.Draw(mug)
    draw.rectangle(BAND_BOX, fill=BAND)
    draw.rounded_rectangle((380, 400, 420, 760), radius=20, fill=MUG_HIGHLIGHT)  # glaze highlight
    draw.rounded_rectangle((610, 400, 660, 780), radius=24, fill=MUG_SHADE)  # shaded side
    draw.ellipse((372, 340, 652, 380), fill=MUG_SHADE)  # inside of the rim
    return Image.composite(mug, backdrop, product_alpha())


def draw_mask() -> Image.Image:
    mask = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    mask.putalpha(product_alpha())
    return mask


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds it; True when written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_bytes(data)
    temp.replace(path)
    return True


def main() -> None:
    outputs = {
        OUT_DIR / "product.png": draw_product(),
        OUT_DIR / "product-mask.png": draw_mask(),
    }
    for path, image in outputs.items():
        changed = write_if_changed(path, png_bytes(image))
        print(f"{'wrote' if changed else 'unchanged'} {path.relative_to(OUT_DIR.parent.parent)}")


if __name__ == "__main__":
    main()
