"""A second, closer look at an image whose text was not seen: the same engine on the image at twice the size.

Small type on a busy background is where detectors fail first: on the test set, a mono headline 32 px tall on
a lit gradient is not even boxed at 1024², and is read exactly at 2048². Reading every image at twice the size
would cost four times the detector's time on every sample; the second look is paid only by a sample whose
first look saw nothing like an expected text, so a passing run costs what it did. It is for text the first
look did not see at all: only an expectation whose best run on the first look is less than half like it
(`UNSEEN`) takes the second look's verdict. Text the first look read and refused — a misprint, a glyph
whose shape shows the letter O where a 0 was asked for — stays refused: a second reading that happens to
see it differently does not overrule the first. Both looks are cached (`ReadingCache`, the second under
its own name).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from promptlib.text._match import TextExpectation, TextMatch, find_text
from promptlib.text._ocr import TextReader, decode_rgb
from promptlib.text._reading import Reading, TextLine

#: How much larger the second look reads the image, and the longest side it will read.
SCALE = 2.0
MAX_SIDE = 4096
#: Below this gain there is nothing closer to see (the image is already near `MAX_SIDE`).
MIN_GAIN = 1.25
#: Below this similarity on the first look an expectation was not seen at all (two wrong characters in four).
UNSEEN = 0.5


def closer_engine(engine: str) -> str:
    """The name a second look is cached under: the engine's, enlarged."""
    return f"{engine}, enlarged {SCALE:g}x"


def read_closer(reader: TextReader, data: bytes) -> Reading | None:
    """`reader`'s reading of `data` enlarged `SCALE` times, boxes in the original's pixels; None when the
    image is too large to enlarge usefully. `ValueError` when `data` is not a readable image."""
    from PIL import Image

    pixels = decode_rgb(data)
    gain = min(SCALE, MAX_SIDE / max(pixels.width, pixels.height))
    if gain < MIN_GAIN:
        return None
    size = (round(pixels.width * gain), round(pixels.height * gain))
    buffer = io.BytesIO()
    pixels.resize(size, Image.Resampling.LANCZOS).save(buffer, "PNG", compress_level=1)
    reading = reader.read(buffer.getvalue())
    lines = tuple(
        TextLine(ln.text, tuple((x / gain, y / gain) for x, y in ln.box), ln.score, ln.char_scores)
        for ln in reading.lines
    )
    return Reading(closer_engine(reader.engine), pixels.width, pixels.height, lines)


def needs_closer_look(expectations: Sequence[TextExpectation], first: Reading) -> bool:
    """Whether the first look saw nothing like one of `expectations` (so a second look may find it)."""
    return any(_unseen(find_text(expectation, first)) for expectation in expectations)


def best_matches(expectations: Sequence[TextExpectation], readings: Sequence[Reading]) -> list[TextMatch]:
    """For each expectation, its match on the first look; where that saw nothing like it, the best of every
    look (found first, then most similar)."""
    matches = []
    for expectation in expectations:
        first = find_text(expectation, readings[0])
        if not _unseen(first) or len(readings) == 1:
            matches.append(first)
            continue
        later = [find_text(expectation, reading) for reading in readings[1:]]
        matches.append(max([first, *later], key=lambda match: (match.found, match.similarity)))
    return matches


def _unseen(match: TextMatch) -> bool:
    return not match.found and match.similarity < UNSEEN
