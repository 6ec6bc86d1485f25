"""The readable-text test set: generated images with the strings they show, and strings they must not pass.

Why generated: a committed set of 1024² PNGs on busy backgrounds would weigh tens of MB, and generating it
takes about a second; the ground truth lives here, beside the code that draws it, so the two cannot drift.
Every image is a pure function of its index (seeded `random.Random`), drawn with fonts that ship in Python
packages (Pillow's bundled Aileron, the emulator's bundled DejaVu cuts), never with whatever fonts the
machine happens to have.

Three families:

- `pillow`: marketing strings in five faces, 18-120 px, several colours, rotated up to 10°, straight on busy
  backgrounds (noise, shapes, stripes, gradients, emulator scenes). `legible` is False for the few drawn
  small (18-26 px; every other one also low-contrast) on purpose, so recall is reported on legible text
  (32 px and up) as the targets ask.
- `emulator`: what the emulator returns for prompts that quote text, at several sizes, qualities and faces.
- `near-miss`: images that say "20% of", "2O% off" or "30% off"; expecting "20% off" on them must fail.

Each sample also carries `decoys`: near-misses of its own strings (a letter dropped, a digit changed) that
the image does not show, so false accepts are measured on every image, not only the three near-miss ones.

`score()` turns readings of the set into the figures the benchmark prints and the accuracy test floors.
Used by `tests/text/conftest.py` (a session fixture) and `benchmarks/bench_text.py`.
Run `python tests/text/textset.py DIR` to write the images and `truth.json` for a look.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from promptlib.emulator._fonts import FACES, font
from promptlib.emulator._synthesis import ImageSpec, render
from promptlib.text._match import DEFAULT_MIN_SIMILARITY, TextExpectation
from promptlib.text._reading import Reading
from promptlib.text._second_look import best_matches

#: Strings a marketing prompt asks for: digits, punctuation, brand names, mixed case.
PHRASES = (
    "20% off", "Northwind", "Contoso Coffee", "Free shipping over $50", "Summer Sale", "Limited edition",
    "Grand opening", "Buy 1 get 1 free", "New arrivals", "Only 3 left", "Fabrikam Outdoor", "Open 24/7",
    "Save 15% today", "Tailspin Toys", "Book now", "Flash deal: 48 hours", "Since 1998", "Adventure Works",
    "Spring collection 2026", "Members save 10%", "Fresh roast", "Wide World Importers", "Trailblazer X2",
    "Order by 5 PM", "Zero sugar", "Best seller", "Call 555-0199", "Woodgrove Bank", "Litware Labs",
    "Handcrafted in Oslo", "Mid-season sale", "Up to 70% off", "Illuminate", "Modern Living", "Hello, world!",
    "Blue Yonder Airlines", "Coho Winery", "Lucerne Publishing", "Margie's Travel", "Alpine Ski House",
)  # fmt: skip
#: Strings with characters only the DejaVu faces print (Aileron lacks them).
ACCENTED = ("Café Crème", "€5 lunch", "Smörgåsbord", "Jalapeño")
NEAR_MISSES = ("20% of", "2O% off", "30% off")
NEAR_MISS_TARGET = "20% off"
EMULATOR_PROMPTS = (
    'A studio product shot of a ceramic kettle. Leave clear space at the top for the text "20% off".',
    'A bold poster for a coffee shop with the headline "Northwind Coffee" in a bold sans-serif.',
    'A cozy autumn cafe, a chalkboard sign reading "Fresh roast daily" in a serif typeface.',
    'A neon arcade at night with a sign saying "Game Over" in a monospace font.',
    'A beach at dawn, banner text "Summer Sale" and below it "Up to 70% off".',
    'A minimalist logo for "Contoso" on white, the name set in a clean sans-serif.',
    'A mountain cabin in winter with a wooden sign: "Alpine Ski House".',
    'A forest trail map with the title "Tailspin Trails" printed in a typewriter font.',
    'A rainy city street with a shop window that says "Open 24/7".',
    'A pastel toy store front, sign "Tailspin Toys", cute cartoon style.',
    'A launch banner, headline "Trailblazer X2" in a heavy sans-serif, subline "Order by 5 PM".',
    'A café menu board in a serif face: "Café Crème €4".',
    'A desert road billboard: "Next exit: Coho Winery".',
    'An office poster with the quote "Members save 10%" in bold.',
    'A harbour at dusk, a boat named "Blue Yonder".',
    'A product flat lay of sneakers with a tag "Limited edition".',
)
EMULATOR_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
PILLOW_COUNT = 48
#: Type sizes (px) of legible text: 32 px and up, about 3% of a 1024-px image's height or more.
LEGIBLE_SIZES = (32, 40, 52, 64, 80, 100, 120)
SMALL_SIZES = (18, 22, 26)


@dataclass(frozen=True)
class TextSample:
    """One test image: what it shows (`expected`), what it must not pass (`decoys`), and how to draw it."""

    name: str
    family: str
    expected: tuple[str, ...]
    decoys: tuple[str, ...]
    legible: bool
    draw: Callable[[], Image.Image] = field(repr=False, compare=False)


def samples() -> list[TextSample]:
    """The whole set, in a fixed order."""
    return [*_pillow_samples(), *_emulator_samples(), *_near_miss_samples()]


def decoys_for(text: str, rng: random.Random) -> list[str]:
    """Near-misses of `text` a model might print instead: one letter dropped, one digit or letter changed."""
    result = []
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if letters:
        i = rng.choice(letters)
        result.append(text[:i] + text[i + 1 :])
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if digits:
        i = rng.choice(digits)
        result.append(text[:i] + str((int(text[i]) + rng.randrange(1, 9)) % 10) + text[i + 1 :])
    elif letters:
        i = rng.choice(letters)
        swap = rng.choice([c for c in "bdfhkptwxyz" if c != text[i].lower()])
        result.append(text[:i] + (swap.upper() if text[i].isupper() else swap) + text[i + 1 :])
    return [d for d in result if d.strip() and d.casefold() != text.casefold()]


def _pillow_samples() -> Iterator[TextSample]:
    for index in range(PILLOW_COUNT):
        rng = random.Random(f"textset:pillow:{index}")
        count = 1 if index % 3 else 2
        faces = [FACES[(index + k) % len(FACES)] for k in range(count)]
        texts = [_phrase(rng, face) for face in faces]
        hard = index % 8 == 7  # small (and every other one low-contrast) on purpose: reported, not held to target
        size = (1536, 1024) if index % 7 == 3 else (1024, 1024)
        decoys = tuple(d for t in texts for d in decoys_for(t, rng))
        yield TextSample(
            f"pillow-{index:02d}",
            "pillow",
            tuple(texts),
            decoys,
            not hard,
            _pillow_drawer(index, size, list(zip(faces, texts, strict=True)), hard),
        )


def _phrase(rng: random.Random, face: str) -> str:
    if face != "regular" and rng.random() < 0.15:
        return rng.choice(ACCENTED)
    return rng.choice(PHRASES)


def _pillow_drawer(
    index: int, size: tuple[int, int], lines: list[tuple[str, str]], hard: bool
) -> Callable[[], Image.Image]:
    def draw() -> Image.Image:
        rng = random.Random(f"textset:pillow-draw:{index}")
        image = _busy_background(rng, size, index)
        top = 0.08 + 0.1 * rng.random()
        for face, text in lines:
            px = rng.choice(SMALL_SIZES if hard else LEGIBLE_SIZES)
            top = _draw_text(image, rng, face, text, px, top, low_contrast=hard and index % 16 == 15) + 0.06
        return image

    return draw


def _busy_background(rng: random.Random, size: tuple[int, int], index: int) -> Image.Image:
    kind = ("noise", "shapes", "stripes", "gradient", "scene")[index % 5]
    if kind == "scene":
        words = rng.sample(["forest", "city", "night", "beach", "kettle", "tower", "cloud", "neon", "desert"], 4)
        return render(ImageSpec(prompt=" ".join(words), width=size[0], height=size[1], quality="high"))
    base = tuple(rng.randrange(40, 220) for _ in range(3))
    image = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(image)
    width, height = size
    if kind == "gradient":
        for y in range(0, height, 4):
            t = y / height
            draw.rectangle((0, y, width, y + 4), fill=tuple(int(c * (1 - t) + (255 - c) * t) for c in base))
    shapes = {"noise": 900, "shapes": 160, "stripes": 0, "gradient": 40}[kind]
    for _ in range(shapes):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(4, 90 if kind == "shapes" else 14)
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x - r, y - r, x + r, y + r), fill=colour)
    if kind == "stripes":
        step = rng.randrange(18, 60)
        for x in range(-height, width, step):
            draw.line((x, 0, x + height, height), fill=tuple(rng.randrange(256) for _ in range(3)), width=step // 3)
    return image.filter(ImageFilter.GaussianBlur(0.6))


def _draw_text(
    image: Image.Image, rng: random.Random, face: str, text: str, px: int, top: float, low_contrast: bool
) -> float:
    """Draw `text` rotated up to 10° with its top at `top` (a fraction of the height); returns its bottom."""
    typeface = font(face, px)
    while typeface.getlength(text) > image.width * 0.85 and px > LEGIBLE_SIZES[0]:  # all of it in the frame
        px = max(LEGIBLE_SIZES[0], int(px * 0.85))
        typeface = font(face, px)
    left_, top_, right_, bottom_ = typeface.getbbox(text)
    pad = max(4, px // 5)
    layer = Image.new("RGBA", (right_ - left_ + 2 * pad, bottom_ - top_ + 2 * pad), (0, 0, 0, 0))
    ink, halo = _colours(rng, low_contrast)
    ImageDraw.Draw(layer).text(
        (pad - left_, pad - top_), text, font=typeface, fill=ink, stroke_width=0 if low_contrast else max(1, px // 16),
        stroke_fill=halo,
    )  # fmt: skip
    layer = layer.rotate(rng.uniform(-10, 10), resample=Image.Resampling.BICUBIC, expand=True)
    width, height = image.size
    x = int(rng.uniform(0.03, max(0.04, 1 - layer.width / width - 0.03)) * width)
    y = int(min(top, 1 - layer.height / height - 0.02) * height)
    image.paste(layer, (x, y), layer)
    return (y + layer.height) / height


def _colours(rng: random.Random, low_contrast: bool) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Ink and a contrasting halo (as ad type on photos has), or mid-grey ink and no halo."""
    if low_contrast:
        grey = rng.randrange(100, 150)
        return (grey, grey, grey), (grey, grey, grey)
    dark = rng.random() < 0.5
    ink = tuple(rng.randrange(0, 60) for _ in range(3)) if dark else tuple(rng.randrange(200, 256) for _ in range(3))
    halo = (250, 250, 250) if dark else (10, 10, 10)
    return ink, halo  # type: ignore[return-value]


def _emulator_samples() -> Iterator[TextSample]:
    from promptlib.emulator._prompt import parse_prompt

    for index, prompt in enumerate(EMULATOR_PROMPTS):
        width, height = EMULATOR_SIZES[index % len(EMULATOR_SIZES)]
        quality = ("high", "medium", "low")[index % 3]
        quotes = parse_prompt(prompt).quotes
        rng = random.Random(f"textset:emulator:{index}")
        spec = ImageSpec(prompt=prompt, width=width, height=height, quality=quality)
        decoys = tuple(d for q in quotes for d in decoys_for(q, rng))
        yield TextSample(f"emulator-{index:02d}", "emulator", quotes, decoys, True, lambda spec=spec: render(spec))


def _near_miss_samples() -> Iterator[TextSample]:
    """Every near-miss in every face, twice (different backgrounds and sizes)."""
    variants = [(t, f) for t in NEAR_MISSES for f in FACES for _ in range(2)]
    for index, (text, face) in enumerate(variants):
        yield TextSample(
            f"near-miss-{index:02d}",
            "near-miss",
            (text,),
            (NEAR_MISS_TARGET,),
            True,
            _pillow_drawer(1000 + index, (1024, 1024), [(face, text)], hard=False),
        )


def write(directory: Path) -> None:
    """Write every image as PNG and the ground truth as `truth.json` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    truth = []
    for sample in samples():
        sample.draw().save(directory / f"{sample.name}.png", compress_level=1)
        truth.append(
            {"name": sample.name, "family": sample.family, "expected": list(sample.expected),
             "decoys": list(sample.decoys), "legible": sample.legible}
        )  # fmt: skip
    (directory / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "textset-out"))


@dataclass(frozen=True)
class Scores:
    """How a reader did on the set: the matcher's figures and the raw-output baseline's, side by side."""

    recall: float  # legible expected strings found (pillow and emulator images)
    recall_all: float  # every expected string, the deliberately small ones included
    near_miss_false_accepts: float  # "20% off" found on images that say a near-miss
    decoy_false_accepts: float  # a near-miss of an image's own string found on it
    baseline_recall: float  # the same, by exact substring of the engine's raw text
    baseline_near_miss_false_accepts: float
    baseline_decoy_false_accepts: float
    near_miss_by_string: dict[str, float]  # false accepts per near-miss string
    misses: list[str]  # "sample: text '…' not found; read '…'" for every legible miss


def score(
    pairs: Sequence[tuple[TextSample, Reading | Sequence[Reading]]], min_similarity: float = DEFAULT_MIN_SIMILARITY
) -> Scores:
    """Score readings of the samples: recall on what they show, false accepts on what they do not.

    A sample may come with several looks (the first, and the closer second look the check takes when the
    first misses a text): each string is then judged on the look that shows it best, as the check does.
    The raw baseline is always the first look's text."""
    found: dict[str, list[bool]] = {key: [] for key in ("legible", "all", "near", "decoy")}
    raw: dict[str, list[bool]] = {key: [] for key in ("legible", "near", "decoy")}
    by_string: dict[str, list[bool]] = {}
    misses = []
    for sample, looks in pairs:
        readings = [looks] if isinstance(looks, Reading) else list(looks)
        text = " ".join(line.text for line in readings[0].lines)
        for expected in sample.expected:
            (match,) = best_matches([TextExpectation.of(expected, min_similarity)], readings)
            if sample.family == "near-miss":
                continue  # they are there to be refused: see the decoys below
            found["all"].append(match.found)
            if sample.legible:
                found["legible"].append(match.found)
                raw["legible"].append(expected in text)
                if not match.found:
                    misses.append(f"{sample.name}: {match.message()}")
        for decoy in sample.decoys:
            accepted = best_matches([TextExpectation.of(decoy, min_similarity)], readings)[0].found
            key = "near" if sample.family == "near-miss" else "decoy"
            found[key].append(accepted)
            raw[key].append(decoy in text)
            if key == "near":
                by_string.setdefault(sample.expected[0], []).append(accepted)
    return Scores(
        _rate(found["legible"]), _rate(found["all"]), _rate(found["near"]), _rate(found["decoy"]),
        _rate(raw["legible"]), _rate(raw["near"]), _rate(raw["decoy"]),
        {text: _rate(values) for text, values in by_string.items()}, misses,
    )  # fmt: skip


def _rate(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0
