"""Measure the emulator: ms per image (synthesis + encoding) and the pHash behaviour the design promises.

Run: python tests/emulator/bench_emulator.py [--sheet /tmp/emulator_samples.png]
Not collected by pytest (timings belong in a report, not in a pass/fail check on a shared CI machine).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from emulator_helpers import changed_fraction, phash_distance
from PIL import Image, ImageDraw

from promptlib.emulator._edits import render_edit
from promptlib.emulator._layout import Variation
from promptlib.emulator._synthesis import ImageSpec, Quality, render, synthesize

PROMPTS = [
    "A red fox sitting in a snowy forest at dawn, watercolor",
    "Product photo of a ceramic coffee mug on a marble counter, soft daylight",
    "A lighthouse on a rocky cliff during a thunderstorm at night",
    "Isometric illustration of a tiny city with trains and parks",
    "Portrait of an astronaut cat wearing a helmet, studio lighting",
    "A bowl of ramen with chopsticks, top-down photo",
]
SUBSTITUTES = ["violin", "teapot", "bicycle", "tiger", "crimson"]
STOPWORDS = {"a", "an", "of", "on", "in", "at", "the", "with", "during", "and"}


def timings(repeats: int) -> None:
    prompt = 'A bakery storefront in spring. Leave space for the text "Summer Sale"'
    for size, quality, fmt in itertools.product(((1024, 1024), (1536, 1024), (1024, 1536)),
                                                ("low", "medium", "high"), ("png", "jpeg")):  # fmt: skip
        spec = ImageSpec(prompt, size[0], size[1], quality=_q(quality), output_format="png" if fmt == "png" else "jpeg")
        synthesize(spec)
        start = time.perf_counter()
        for sample in range(repeats):
            synthesize(spec, Variation(0.15, sample))
        print(f"{size[0]}x{size[1]} {quality:6} {fmt}: {(time.perf_counter() - start) / repeats * 1000:5.1f} ms/image")


def _q(value: str) -> Quality:
    return "low" if value == "low" else "medium" if value == "medium" else "high"


def phash_figures() -> None:
    images = [render(ImageSpec(p)) for p in PROMPTS]
    unrelated = [phash_distance(a, b) for a, b in itertools.combinations(images, 2)]
    print(f"unrelated prompts: median {statistics.median(unrelated)}, range {min(unrelated)}-{max(unrelated)} bits")
    distances, fractions = [], []
    for prompt, base in zip(PROMPTS, images, strict=True):
        words = prompt.split()
        for index, word in enumerate(words):
            if word.lower().strip(",") in STOPWORDS:
                continue
            changed = render(ImageSpec(" ".join([*words[:index], SUBSTITUTES[index % 5], *words[index + 1 :]])))
            distances.append(phash_distance(base, changed))
            fractions.append(changed_fraction(base, changed))
    over_half = sum(f > 0.5 for f in fractions)
    print(f"one-word change (any word): pHash median {statistics.median(distances)}, range "
          f"{min(distances)}-{max(distances)}; pixels changed median {statistics.median(fractions):.0%}, "
          f"{over_half}/{len(fractions)} over half (scene words repaint the palette)")  # fmt: skip
    for variance in (0.1, 0.15, 0.3):
        spread = []
        for prompt in PROMPTS:
            samples = [render(ImageSpec(prompt), Variation(variance, k)) for k in range(5)]
            spread += [phash_distance(a, b) for a, b in itertools.combinations(samples, 2)]
        print(f"variance {variance}: sample pairs median {statistics.median(spread)}, mean "
              f"{statistics.mean(spread):.1f}, range {min(spread)}-{max(spread)} bits")  # fmt: skip


def contact_sheet(path: str) -> None:
    tiles = [render(ImageSpec(p)) for p in PROMPTS[:5]]
    tiles.append(render(ImageSpec(PROMPTS[0].replace("red", "violin"))))
    tiles += [render(ImageSpec(PROMPTS[0]), Variation(0.15, k)) for k in range(2)]
    tiles.append(render(ImageSpec('A bakery storefront in spring. Leave space for the text "Summer Sale"', 1536)))
    tiles.append(render(ImageSpec("Flat logo of a paper airplane", transparent=True)))
    mask = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    ImageDraw.Draw(mask).ellipse((250, 400, 850, 1000), fill=(0, 0, 0, 0))
    tiles.append(render_edit(ImageSpec('A giant rubber duck, "DUCK"'), [tiles[1]], mask))
    tiles.append(render(ImageSpec("A kite over a hill", width=1024, height=1536, quality="low")))
    cell, pad, cols = 300, 10, 4
    sheet = Image.new("RGB", (cols * (cell + pad) + pad, -(-len(tiles) // cols) * (cell + pad) + pad), "white")
    for index, tile in enumerate(tiles):
        if tile.mode == "RGBA":
            board = Image.new("RGBA", tile.size, (225, 225, 225, 255))
            draw = ImageDraw.Draw(board)
            for y, x in itertools.product(range(0, tile.height, 64), range(0, tile.width, 64)):
                if (x + y) // 64 % 2:
                    draw.rectangle((x, y, x + 63, y + 63), fill=(250, 250, 250, 255))
            tile = Image.alpha_composite(board, tile)
        tile.thumbnail((cell, cell))
        sheet.paste(tile.convert("RGB"), (pad + index % cols * (cell + pad), pad + index // cols * (cell + pad)))
    sheet.save(path)
    print(f"contact sheet: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--sheet", help="also write a contact sheet of sample outputs to this PNG")
    args = parser.parse_args()
    timings(args.repeats)
    phash_figures()
    if args.sheet:
        contact_sheet(args.sheet)


if __name__ == "__main__":
    main()
