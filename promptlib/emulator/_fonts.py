"""The typefaces the emulator prints quoted text in, and how a prompt chooses one.

A model follows a prompt's typographic words ("in a bold sans-serif", "a typewriter font"), so the emulator
does too: the words of the sentence around a quote pick the face, deterministically. Without such words
the text is set in Pillow's bundled Aileron, as before. Fonts ship inside the package (`fonts/`, made by
`scripts/make_emulator_fonts.py`), never looked up on the system, so an image is the same on every machine.
Aileron's bundled cut covers only basic Latin; text it cannot print ("Café", "€5") falls back to DejaVu
Sans, so the emulator prints exactly the characters it was asked for.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from PIL import ImageFont

#: Face name → bundled file; `regular` is Pillow's own Aileron.
FACE_FILES = {
    "sans": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "mono": "DejaVuSansMono.ttf",
}
FACES = ("regular", *FACE_FILES)
#: The characters Pillow's bundled Aileron has glyphs for (basic Latin and a little typographic punctuation).
AILERON_CHARS = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("©«°±´·»‘’“”…‹›⁄™")
#: Typographic words → face, strongest first: "a bold serif" is serif (no bold serif is bundled).
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mono", re.compile(r"\b(mono(space[d]?)?|typewriter|terminal|code font)\b")),
    ("serif", re.compile(r"(?<!sans[- ])(?<!sans)\bserif\b|\b(didone|slab|garamond|times)\b")),
    ("bold", re.compile(r"\b(bold|heavy|black weight|extra-?bold|chunky)\b")),
)


def face_for(context: str) -> str:
    """The face the words of `context` (the sentence around a quote, quotes removed) ask for."""
    lowered = context.lower()
    for face, cue in _CUES:
        if cue.search(lowered):
            return face
    return "regular"


def printable_face(face: str, text: str) -> str:
    """`face`, or DejaVu Sans when `face` is Aileron and `text` has characters Aileron cannot print."""
    if face == "regular" and not set(text) <= AILERON_CHARS:
        return "sans"
    return face


@lru_cache(maxsize=64)
def font(face: str, size: int) -> ImageFont.FreeTypeFont:
    """The bundled `face` at `size` pixels."""
    if face == "regular":
        loaded = ImageFont.load_default(size=size)
        if not isinstance(loaded, ImageFont.FreeTypeFont):
            raise RuntimeError("Pillow was built without FreeType; the emulator needs it to draw quoted text")
        return loaded
    path = resources.files("promptlib.emulator") / "fonts" / FACE_FILES[face]
    with resources.as_file(path) as file:
        return ImageFont.truetype(str(file), size=size)
