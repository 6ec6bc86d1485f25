"""Render every example template on a deployment into one labelled PNG grid.

Numbers cannot tell you whether the emulator's images are worth looking at; a
contact sheet can. Run it after changing the emulator or the example library:

    python benchmarks/contact_sheet.py [--deployment local] [--out out/contact-sheet.png]
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

import promptlib

THUMB = 384
LABEL = 48
COLUMNS = 4


def _thumbnail(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGBA")
        img.thumbnail((THUMB, THUMB))
        # a checkerboard shows where a transparent image really is transparent
        board = Image.new("RGBA", img.size, (255, 255, 255, 255))
        draw = ImageDraw.Draw(board)
        for y in range(0, img.height, 16):
            for x in range(0, img.width, 16):
                if (x // 16 + y // 16) % 2:
                    draw.rectangle((x, y, x + 15, y + 15), fill=(225, 225, 225, 255))
        board.alpha_composite(img)
        return board.convert("RGB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployment", default=None, help="deployment name (default: the project's)")
    parser.add_argument("--out", type=Path, default=Path("out/contact-sheet.png"))
    args = parser.parse_args()

    library = promptlib.Library.load()
    cells: list[tuple[str, Image.Image]] = []
    started = time.perf_counter()
    with library:
        for template in library.templates():
            examples = template.examples or [None]
            for example in examples:
                values = dict(example.variables) if example else {}
                result = library.generate(template.id, deployment=args.deployment, **values)
                title = f"{template.id} v{template.version}"
                for image in result.images:
                    detail = f"{example.name if example else 'defaults'} · {image.width}x{image.height} {image.format}"
                    cells.append((f"{title}\n{detail}", _thumbnail(image.data)))
    elapsed = time.perf_counter() - started

    rows = math.ceil(len(cells) / COLUMNS)
    sheet = Image.new("RGB", (COLUMNS * THUMB, rows * (THUMB + LABEL)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=15)
    for i, (label, thumb) in enumerate(cells):
        x, y = (i % COLUMNS) * THUMB, (i // COLUMNS) * (THUMB + LABEL)
        sheet.paste(thumb, (x + (THUMB - thumb.width) // 2, y + (THUMB - thumb.height) // 2))
        draw.multiline_text((x + 8, y + THUMB + 4), label, fill="black", font=font, spacing=3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"{len(cells)} images from {len(library.ids())} templates in {elapsed:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
