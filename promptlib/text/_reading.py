"""What an OCR pass read in one image: lines of text, where they are, and how sure the engine was.

Engine-neutral, so the matcher (`_text_match`), the cache (`_ocr_cache`) and the report never see an
engine's own types. A `Reading` round-trips through JSON (`to_json` / `from_json`) for the cache and for
`results.json`; `from_json` treats its input as untrusted (it may come from a downloaded run directory).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]
#: A line's outline: its corners in image pixels, clockwise from the top-left (four for every engine here).
Quad = tuple[Point, ...]
MAX_LINES = 500
MAX_LINE_CHARS = 1000


#: The marks `TextLine.shapes` may hold: no evidence, or the letter O.
SHAPE_MARKS = frozenset("?o")


class ReadingFormatError(ValueError):
    """A stored reading is not one this version wrote (the cache entry is then ignored and redone)."""


@dataclass(frozen=True)
class TextLine:
    """One line the engine read. `char_scores[i]` is its confidence in `text[i]`, when the engine says;
    `shapes[i]` is 'o' where the glyph's own shape shows the letter O (`_glyph_shapes`), '?' elsewhere."""

    text: str
    box: Quad
    score: float
    char_scores: tuple[float, ...] | None = None
    shapes: str | None = None

    def __post_init__(self) -> None:
        if self.char_scores is not None and len(self.char_scores) != len(self.text):
            raise ValueError(f"{len(self.char_scores)} character scores for {len(self.text)} characters")
        if self.shapes is not None and (len(self.shapes) != len(self.text) or set(self.shapes) - set(SHAPE_MARKS)):
            raise ValueError("shapes must give '?' or 'o' for each character")

    def shape(self, index: int) -> str:
        """What the glyph's shape says character `index` is: 'o' (the letter O), or '?' (no evidence)."""
        return self.shapes[index] if self.shapes is not None else "?"

    def confidence(self, index: int) -> float:
        """The engine's confidence in character `index` (the line's score when it gives none per character)."""
        return self.char_scores[index] if self.char_scores is not None else self.score

    @property
    def top_left(self) -> Point:
        return (min(x for x, _ in self.box), min(y for _, y in self.box))


@dataclass(frozen=True)
class Reading:
    """Every line read in one image, in reading order (top to bottom, then left to right)."""

    engine: str
    width: int
    height: int
    lines: tuple[TextLine, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "size": [self.width, self.height],
            "lines": [
                {"text": ln.text, "box": [list(p) for p in ln.box], "score": ln.score,
                 **({"char_scores": list(ln.char_scores)} if ln.char_scores is not None else {}),
                 **({"shapes": ln.shapes} if ln.shapes is not None else {})}
                for ln in self.lines
            ],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: object) -> Reading:
        """Parse what `to_json` wrote; `ReadingFormatError` for anything else (bounded: hostile input)."""
        if not isinstance(data, Mapping):
            raise ReadingFormatError("a reading must be an object")
        engine, size, lines = data.get("engine"), data.get("size"), data.get("lines")
        if not isinstance(engine, str) or not isinstance(lines, list) or len(lines) > MAX_LINES:
            raise ReadingFormatError("a reading needs an engine name and at most 500 lines")
        if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) for v in size)):
            raise ReadingFormatError("a reading's size must be [width, height]")
        return cls(engine, size[0], size[1], tuple(_line_from_json(item) for item in lines))


def in_reading_order(lines: list[TextLine]) -> tuple[TextLine, ...]:
    """`lines` top to bottom; lines whose tops are within half a line height count as one row, left to right."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: ln.top_left[1]):
        height = max(y for _, y in line.box) - line.top_left[1]
        if rows and abs(rows[-1][0].top_left[1] - line.top_left[1]) < height / 2:
            rows[-1].append(line)
        else:
            rows.append([line])
    return tuple(line for row in rows for line in sorted(row, key=lambda ln: ln.top_left[0]))


def _line_from_json(item: object) -> TextLine:
    if not isinstance(item, Mapping):
        raise ReadingFormatError("a line must be an object")
    text, box, score, chars = item.get("text"), item.get("box"), item.get("score"), item.get("char_scores")
    if not isinstance(text, str) or len(text) > MAX_LINE_CHARS or not isinstance(score, int | float):
        raise ReadingFormatError("a line needs its text (at most 1000 characters) and a score")
    if not _is_number(score):
        raise ReadingFormatError("a line's score must be a finite number")
    if not (isinstance(box, list) and 1 <= len(box) <= 8 and all(_is_point(p) for p in box)):
        raise ReadingFormatError("a line's box must be a list of [x, y] points")
    if chars is not None and not (isinstance(chars, list) and len(chars) == len(text) and all(map(_is_number, chars))):
        raise ReadingFormatError("a line's char_scores must give one number per character")
    shapes = item.get("shapes")
    if shapes is not None and not (isinstance(shapes, str) and len(shapes) == len(text) and set(shapes) <= SHAPE_MARKS):
        raise ReadingFormatError("a line's shapes must give '?' or 'o' per character")
    box_ = tuple((float(p[0]), float(p[1])) for p in box)
    return TextLine(text, box_, float(score), None if chars is None else tuple(chars), shapes)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000


def _is_point(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))
