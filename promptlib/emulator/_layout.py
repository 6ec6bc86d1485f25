"""Layout: turn a parsed prompt into a picture plan (background + elements), with optional variation.

Every choice is drawn from a PRNG seeded by a hash of the thing it depends on, so the plan is a pure function
of its inputs:

- each element depends on one token and its position only, so changing one word moves one element;
- the background (palette, horizon, light) is a *vote* over all tokens (the most common palette, the median
  horizon), so changing one word rarely changes it, while unrelated prompts get unrelated backgrounds;
- a `Variation` nudges positions, sizes and colours by amounts proportional to `variance`, the way two
  samples of one prompt from a real model differ in composition and colour but not in subject.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
import statistics
from collections import Counter
from dataclasses import dataclass, replace

from promptlib.emulator._prompt import Scene

RGB = tuple[int, int, int]

#: Element kinds drawn in the sky (upper part) versus standing on the ground.
SKY_KINDS = ("disc", "cloud", "star", "ring")
GROUND_KINDS = ("blob", "box", "mountain", "tower", "dome", "tree")
#: How far above its base each ground kind reaches, in units of its size (see `_synthesis`'s shapes).
REACH = {"blob": 1.0, "box": 1.0, "mountain": 1.0, "tower": 1.45, "dome": 0.8, "tree": 1.15}


@dataclass(frozen=True)
class Palette:
    """Colours of one look: sky gradient, ground gradient, and accents for the elements."""

    sky: tuple[RGB, RGB]
    ground: tuple[RGB, RGB]
    glow: RGB
    accents: tuple[RGB, ...]


PALETTES: dict[str, Palette] = {
    "dawn": Palette(((255, 176, 128), (255, 228, 192)), ((96, 124, 84), (52, 80, 52)), (255, 244, 214),
                    ((206, 62, 58), (250, 238, 196), (58, 58, 92), (238, 146, 52), (112, 168, 204))),
    "day": Palette(((74, 148, 226), (198, 228, 250)), ((122, 174, 78), (64, 116, 46)), (255, 255, 232),
                   ((240, 200, 40), (214, 64, 46), (34, 60, 120), (250, 250, 250), (140, 84, 44))),
    "night": Palette(((10, 16, 46), (54, 62, 116)), ((22, 30, 42), (8, 12, 18)), (190, 200, 255),
                     ((250, 228, 136), (196, 208, 255), (255, 112, 156), (86, 198, 218), (238, 238, 238))),
    "desert": Palette(((246, 196, 116), (255, 238, 198)), ((222, 170, 98), (176, 116, 66)), (255, 250, 220),
                      ((126, 62, 30), (48, 98, 110), (236, 226, 200), (196, 84, 40), (80, 52, 40))),
    "ocean": Palette(((146, 208, 240), (230, 246, 255)), ((28, 108, 168), (8, 56, 108)), (255, 255, 255),
                     ((250, 250, 250), (244, 120, 80), (250, 206, 70), (18, 40, 70), (96, 210, 200))),
    "forest": Palette(((166, 200, 168), (222, 236, 210)), ((40, 92, 52), (18, 50, 30)), (246, 252, 226),
                      ((30, 72, 40), (160, 200, 80), (110, 70, 40), (230, 200, 90), (200, 80, 60))),
    "studio": Palette(((204, 204, 210), (242, 242, 244)), ((182, 182, 188), (148, 148, 156)), (255, 255, 255),
                      ((30, 30, 36), (226, 58, 52), (40, 110, 200), (250, 250, 250), (240, 180, 30))),
    "candy": Palette(((255, 196, 228), (255, 242, 250)), ((198, 160, 255), (148, 108, 220)), (255, 255, 255),
                     ((255, 90, 150), (90, 200, 255), (255, 230, 90), (120, 60, 160), (250, 250, 250))),
    "dusk": Palette(((58, 38, 98), (242, 120, 88)), ((48, 28, 60), (26, 18, 38)), (255, 200, 150),
                    ((255, 200, 90), (250, 110, 90), (24, 16, 40), (160, 90, 200), (255, 240, 220))),
    "snow": Palette(((186, 208, 230), (242, 246, 252)), ((246, 248, 252), (214, 224, 238)), (255, 255, 255),
                    ((40, 70, 110), (200, 40, 50), (120, 150, 180), (30, 30, 40), (250, 190, 60))),
    "autumn": Palette(((238, 198, 148), (250, 232, 202)), ((170, 90, 40), (116, 58, 28)), (255, 236, 190),
                      ((200, 70, 20), (240, 170, 40), (90, 40, 20), (250, 230, 180), (60, 90, 50))),
    "neon": Palette(((18, 8, 30), (62, 20, 84)), ((30, 30, 42), (14, 14, 20)), (255, 80, 220),
                    ((0, 240, 255), (255, 40, 200), (250, 250, 120), (120, 255, 120), (250, 250, 250))),
    "storm": Palette(((66, 76, 92), (140, 150, 162)), ((62, 72, 70), (30, 36, 38)), (220, 226, 236),
                     ((236, 236, 240), (250, 210, 60), (30, 40, 56), (180, 60, 50), (120, 170, 190))),
}  # fmt: skip

#: Words that set the scene's look, as they would for a model ("night" darkens the sky). Earlier groups win
#: ties (light and weather outrank places). Prompts without any get a palette by a vote of their words.
_SCENE_WORDS = {
    "night": "night midnight moon moonlit stars starry dark galaxy cosmic astronaut",
    "dusk": "dusk sunset evening twilight purple violet",
    "dawn": "dawn sunrise morning peach golden warm",
    "storm": "storm stormy thunderstorm lightning rain rainy cloudy overcast fog foggy mist misty grey gray",
    "snow": "snow snowy winter ice icy frozen arctic glacier christmas cold",
    "neon": "neon cyberpunk synthwave futuristic city cityscape arcade rave glowing",
    "day": "day daylight noon sunny summer sky meadow field park spring",
    "studio": "studio product packshot minimal minimalist clean white marble counter office logo icon",
    "desert": "desert sand sandy dune dunes canyon arid safari",
    "ocean": "ocean sea beach harbour harbor coast lake river water underwater wave waves boat boats sailboat island",
    "forest": "forest woods jungle tree trees garden moss fern leaf leaves botanical",
    "autumn": "autumn fall harvest pumpkin rustic wooden coffee cozy copper bronze",
    "candy": "candy pastel pink toy kawaii cute cartoon bubblegum unicorn",
}
SCENE_PALETTE = {word: name for name, words in _SCENE_WORDS.items() for word in words.split()}
_PRIORITY = {name: rank for rank, name in enumerate(_SCENE_WORDS)}
_PALETTE_NAMES = tuple(PALETTES)


@dataclass(frozen=True)
class Variation:
    """Which sample of a prompt to draw, and how far samples may drift from the prompt's centre.

    `variance == 0` makes every sample identical whatever `sample` is; `0.15` gives the few-bit pHash spread
    of a real model asked the same thing twice; values near 1 change the composition noticeably.
    """

    variance: float = 0.0
    sample: int = 0


#: The default: every sample is the prompt's centre image.
NO_VARIATION = Variation()


@dataclass(frozen=True)
class Element:
    """One drawn object, in canvas fractions (x, y of its centre or base; size relative to the short side).

    `seed` fixes the object's outline; variation moves, scales and recolours it but keeps its shape.
    """

    kind: str
    x: float
    y: float
    size: float
    aspect: float
    colour: RGB
    seed: int


@dataclass(frozen=True)
class Background:
    """The stable part of the picture: palette, horizon height and hill shape, light position."""

    palette: Palette
    horizon: float
    hill_amplitude: float
    hill_phase: float
    glow: tuple[float, float]


@dataclass(frozen=True)
class Plan:
    """A complete, resolution-independent description of one image."""

    background: Background
    elements: tuple[Element, ...]
    detail_seed: int


def rng(*parts: object) -> random.Random:
    """A PRNG seeded by a stable hash of `parts` (never Python's salted `hash`)."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


def plan_image(scene: Scene, variation: Variation) -> Plan:
    """Lay out `scene`; deterministic in (scene, variation), and in scene alone when variance is 0."""
    background = _background(scene.tokens)
    elements = [_element(i, token, background) for i, token in enumerate(scene.tokens)]
    detail_seed = 0
    if variation.variance > 0:
        jitter = rng("sample", variation.sample)
        background = _vary_background(background, variation.variance, jitter)
        shift = (jitter.gauss(0, 0.025 * variation.variance), jitter.gauss(0, 0.025 * variation.variance))
        elements = [
            _vary_element(e, variation.variance, shift, rng("sample", variation.sample, i))
            for i, e in enumerate(elements)
        ]
        detail_seed = jitter.getrandbits(32)
    sky = [e for e in elements if e.kind in SKY_KINDS]
    ground = sorted((e for e in elements if e.kind not in SKY_KINDS), key=lambda e: e.y)
    return Plan(background=background, elements=tuple(sky + ground), detail_seed=detail_seed)


def _background(tokens: tuple[str, ...]) -> Background:
    """The scene words' palette (the most named; `_SCENE_WORDS` order breaks ties), and median geometry.

    Without scene words the palette is a vote of all words, ties going to a fixed order rather than to the
    first word, so changing the subject alone rarely repaints the whole background.
    """
    draws = [rng("bg", token) for token in tokens]
    named = [SCENE_PALETTE[word] for token in tokens for word in token.split() if word in SCENE_PALETTE]
    if named:
        counts = Counter(named)
        palette = PALETTES[min(counts, key=lambda name: (-counts[name], _PRIORITY[name]))]
    else:
        votes = Counter(d.randrange(len(_PALETTE_NAMES)) for d in draws)
        best = max(votes.values())
        palette = PALETTES[_PALETTE_NAMES[min(v for v, count in votes.items() if count == best)]]
    values = [[d.random() for _ in range(5)] for d in draws]

    def median(k: int) -> float:
        return statistics.median(v[k] for v in values)

    return Background(
        palette=palette,
        horizon=0.45 + 0.2 * median(0),
        hill_amplitude=0.01 + 0.06 * median(1),
        hill_phase=median(2),
        glow=(0.1 + 0.8 * median(3), 0.08 + 0.25 * median(4)),
    )


def _element(index: int, token: str, background: Background) -> Element:
    """Element `index` for `token`: earlier words (the subject) are drawn larger and nearer the centre.

    Positions are absolute (sky band above ~0.42, ground band below ~0.6), not relative to the horizon, so a
    change of background never moves the elements.
    """
    r = rng("element", index, token)
    if index == 0:
        kind, x, size = r.choice(GROUND_KINDS), 0.3 + 0.4 * r.random(), 0.42 + 0.16 * r.random()
    else:
        kind = r.choice(SKY_KINDS + GROUND_KINDS)
        x = 0.06 + 0.88 * r.random()
        size = (0.22 + 0.14 * r.random()) if index < 3 else (0.09 + 0.14 * r.random()) * (0.8 if index > 12 else 1)
    if kind in SKY_KINDS:
        y = 0.06 + 0.36 * r.random()
    else:
        y = (0.66 + 0.16 * r.random()) if index == 0 else (0.6 + 0.37 * r.random())
    if kind in REACH:
        size = min(size, (y - 0.04) / REACH[kind])  # keep tall shapes inside the frame
    base = r.choice(background.palette.accents)
    return Element(
        kind, x, y, size, 0.6 + 0.8 * r.random(), _shade(base, r.uniform(-0.12, 0.12), 0.0), r.getrandbits(32)
    )


def _vary_background(bg: Background, variance: float, r: random.Random) -> Background:
    return replace(
        bg,
        horizon=bg.horizon + r.gauss(0, 0.02 * variance),
        hill_phase=bg.hill_phase + r.gauss(0, 0.15 * variance),
        glow=(bg.glow[0] + r.gauss(0, 0.15 * variance), bg.glow[1] + r.gauss(0, 0.08 * variance)),
    )


def _vary_element(e: Element, variance: float, shift: tuple[float, float], r: random.Random) -> Element:
    return replace(
        e,
        x=e.x + shift[0] + r.gauss(0, 0.04 * variance),
        y=e.y + shift[1] + r.gauss(0, 0.02 * variance),
        size=e.size * max(0.5, 1 + r.gauss(0, 0.2 * variance)),
        aspect=e.aspect * max(0.5, 1 + r.gauss(0, 0.15 * variance)),
        colour=_shade(e.colour, r.gauss(0, 0.15 * variance), r.gauss(0, 0.06 * variance)),
    )


def _shade(colour: RGB, lightness: float, hue: float) -> RGB:
    """`colour` with its HLS lightness and hue moved by the given amounts (clamped)."""
    h, lum, s = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    red, green, blue = colorsys.hls_to_rgb((h + hue) % 1.0, min(1.0, max(0.0, lum + lightness)), s)
    return (round(red * 255), round(green * 255), round(blue * 255))
