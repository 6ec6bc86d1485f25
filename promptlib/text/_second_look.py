"""A second, closer look at an image whose text was not found: the same engine on the image at twice the size.

Small type on a busy background is where detectors fail first: on the test set, a mono headline 32 px tall on
a lit gradient is not even boxed at 1024², and is read exactly at 2048². Reading every image at twice the size
would cost four times the detector's time on every sample; the second look is paid only by a sample that
missed an expected text on the first, so a passing run costs what it did. It can only find text, never drop
any: an expectation is met when either look shows it (`best_matches`), and the strictness of each look is the
matcher's. Both looks are cached (`ReadingCache`, the second under its own name).
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


def all_found(expectations: Sequence[TextExpectation], reading: Reading) -> bool:
    return all(find_text(expectation, reading).found for expectation in expectations)


def best_matches(expectations: Sequence[TextExpectation], readings: Sequence[Reading]) -> list[TextMatch]:
    """For each expectation, its match in the look that shows it best (found first, then most similar)."""
    matches = []
    for expectation in expectations:
        candidates = [find_text(expectation, reading) for reading in readings]
        matches.append(max(candidates, key=lambda match: (match.found, match.similarity)))
    return matches
