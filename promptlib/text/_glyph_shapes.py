"""Was that round glyph the letter O? Its shape says, where the engine only guesses from its neighbours.

OCR engines read a glyph in the light of its neighbours: PP-OCRv6 and Tesseract 5 both read a printed
"2O% off" as "20% off" in every face tested, confidently. A model's misprint is exactly such a swap, so
wherever the engine read a 0 or an O, promptlib measures the glyph itself:

- The line is cut out upright (its quad warped to a rectangle) and split into ink and not-ink near its
  darkest or its lightest tone; the ink is the polarity with more letter-sized pieces (ad type often has a
  contrasting halo, and halos run letters together, so the halo's polarity has fewer).
- The piece under the character must be a ring (it has a counter) of a capital's or digit's height.
- It is the letter O when it is clearly wider than the line's other digits (lining figures share one width
  in almost every face; on the test set a 0 measured 0.6-1.14 of them, an O 1.28-1.54), or, with no other
  digit to compare, clearly rounder than a 0 (a 0 is a tall oval: 0.6-0.79 as wide as tall, an O 0.86-1.05).
- Anything else — no ring found, a width between the bands, a marked counter, little contrast — is no
  evidence, and the engine's reading stands. That includes monospaced faces, which draw O and 0 the same
  width and tell them apart only by the zero's dot or slash; their even pitch does not give them away
  either (a run of figures is evenly spaced in almost every face), so a monospaced "2O%" is read as the
  engine reads it. The evidence only ever names the letter O, never a 0: the bands are set so that no 0 on
  the test set came near them (`tests/text/test_glyph_shapes.py` holds every bundled face to it).

The result is one character per character read: 'o' where the shape shows the letter O, '?' elsewhere
(`TextLine.shapes`); `_match` lets it overrule the engine on those characters only.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any

from promptlib.text._reading import Quad

NO_EVIDENCE = "?"
LETTER_O = "o"
#: The characters whose glyph is measured: what the engine read as a zero or an O.
MEASURED = frozenset("0oO")
#: An O is at least this much wider than the line's other digits (a 0 measured at most 1.14 on the test set).
_WIDER_THAN_DIGITS = 1.22
#: With no digit to compare: an O is at least this wide for its height (a 0 measured at most 0.79, an O 0.86).
_ROUND = 0.83
#: Digits whose width is the figure width (1 is narrower in proportional faces).
_FIGURES = frozenset("23456789")
#: Letter-sized: a piece between these fractions of the line box's height, and not much wider than tall.
_MIN_HEIGHT, _MAX_HEIGHT, _MAX_WIDE = 0.3, 0.97, 1.6
#: Ink is within this fraction of the tonal range from its extreme (nearer the ink than the midpoint, so a
#: mid-tone background does not join it).
_INK_REACH = 0.4
#: Something in a counter is a dot of the glyph's own ink when its tone is this close to the ring's (a share
#: of the line's tonal range); otherwise it is background seen through the counter.
_SAME_INK = 0.2
#: A dot or slash fills at most this share of a zero's counter (more is background seen through it).
_DOT_SHARE = 0.35


def glyph_shapes(pixels: Any, line_box: Quad, text: str, char_boxes: Sequence[Quad] | None) -> str | None:
    """One character per character of `text`: 'o' where the glyph's shape shows the letter O, else '?'.
    None when nothing in `text` is measured, or the engine gave no box per visible character.

    `pixels` is the whole image as a 2-D greyscale numpy array; `char_boxes` the engine's box of each
    visible character (spaces have none), in the image's pixels."""
    visible = [i for i, c in enumerate(text) if not c.isspace()]
    if not MEASURED.intersection(text) or not char_boxes or len(char_boxes) != len(visible):
        return None
    import cv2

    shapes = [NO_EVIDENCE] * len(text)
    try:
        line = _Line.cut(pixels, line_box, char_boxes)
        chars = [text[i] for i in visible]
        for position, index in enumerate(visible):
            if line is not None and text[index] in MEASURED and line.is_letter_o(position, chars):
                shapes[index] = LETTER_O
    except (cv2.error, ValueError, ArithmeticError):  # evidence, never a requirement: the reading stands
        return NO_EVIDENCE * len(text)
    return "".join(shapes)


class _Line:
    """A line cut out upright: its ink as connected pieces, and the piece under each character's centre."""

    def __init__(self, ink: Any, tones: Any, labels: Any, stats: Any, centres: list[float]) -> None:
        self.ink, self.tones, self.labels, self.stats, self.centres = ink, tones, labels, stats, centres
        self.height = ink.shape[0]
        self.contrast = float(tones.max()) - float(tones.min())

    @classmethod
    def cut(cls, pixels: Any, box: Quad, char_boxes: Sequence[Quad]) -> _Line | None:
        import cv2
        import numpy as np

        quad = np.asarray(box, dtype=np.float32)
        if quad.shape != (4, 2):
            return None
        width = round(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
        height = round(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
        if width < 8 or height < 12 or width * height > 8_000_000:
            return None
        upright = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
        matrix = cv2.getPerspectiveTransform(quad, upright)
        tones = cv2.warpPerspective(pixels, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        corners = np.asarray([[point for quad_ in char_boxes for point in quad_]], dtype=np.float32)
        xs = cv2.perspectiveTransform(corners, matrix)[0][:, 0].reshape(len(char_boxes), -1)
        centres = [float(row.min() + row.max()) / 2 for row in xs]
        dark, light = np.percentile(tones, 3), np.percentile(tones, 97)
        if light - dark < 40:
            return None
        reach = _INK_REACH * (light - dark)
        options = []
        for ink in (tones < dark + reach, tones > light - reach):
            _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
            options.append(cls(ink, tones, labels, stats, centres))
        return max(options, key=lambda line: len(line.letter_sized()))

    def letter_sized(self) -> list[int]:
        return [label for label in range(1, len(self.stats)) if self._is_letter_sized(label)]

    def _is_letter_sized(self, label: int) -> bool:
        _, _, w, h, _ = self.stats[label]
        return bool(_MIN_HEIGHT * self.height <= h <= _MAX_HEIGHT * self.height and 2 <= w <= _MAX_WIDE * h)

    def piece_at(self, position: int) -> int | None:
        """The tallest letter-sized piece whose span holds character `position`'s centre."""
        x = self.centres[position]
        under = [(int(self.stats[label][3]), label) for label in self.letter_sized()
                 if self.stats[label][0] <= x <= self.stats[label][0] + self.stats[label][2]]  # fmt: skip
        return max(under)[1] if under else None

    def is_letter_o(self, position: int, chars: list[str]) -> bool:
        label = self.piece_at(position)
        if label is None or not self._is_plain_ring(label):
            return False
        _, _, width, height, _ = (int(v) for v in self.stats[label])
        figures = [self.piece_at(i) for i, c in enumerate(chars) if c in _FIGURES and i != position]
        figure_sizes = [self.stats[f] for f in figures if f is not None and f != label and self._is_lone_figure(f)]
        if figure_sizes and not 0.85 <= height / median(int(s[3]) for s in figure_sizes) <= 1.15:
            return False  # not a capital's height (a lowercase o is judged by the engine alone)
        if figure_sizes:
            return width >= _WIDER_THAN_DIGITS * median(int(s[2]) for s in figure_sizes)
        return width >= _ROUND * height

    def _is_lone_figure(self, label: int) -> bool:
        """Whether piece `label` looks like one digit alone: taller than wide, clear of the line's ends (a
        piece that runs off the cut has merged with something beyond it)."""
        left, _, w, h, _ = (int(v) for v in self.stats[label])
        return w <= h and left > 0 and left + w < self.ink.shape[1]

    def _is_plain_ring(self, label: int) -> bool:
        """Whether piece `label` encloses one counter with nothing inside it (no dot, no slash)."""
        import cv2
        import numpy as np

        left, top, w, h, _ = (int(v) for v in self.stats[label])
        piece = (self.labels[top : top + h, left : left + w] == label).astype(np.uint8)
        contours, hierarchy = cv2.findContours(piece, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is None:
            return False
        counters = [c for c, link in zip(contours, hierarchy[0], strict=True)
                    if link[3] >= 0 and cv2.contourArea(c) >= 0.04 * w * h]  # fmt: skip
        if len(counters) != 1:
            return False
        inside = np.zeros_like(piece)
        cv2.drawContours(inside, counters, -1, 1, thickness=-1)
        cv2.drawContours(inside, counters, -1, 0, thickness=2)  # the counter's edge is antialiasing, not a dot
        other_ink = self.ink[top : top + h, left : left + w] & (piece == 0) & (inside > 0)
        share = other_ink.sum() / max(1, int(inside.sum()))
        if share <= 0.03 or share > _DOT_SHARE:  # nothing there, or background seen through the counter
            return True
        tones = self.tones[top : top + h, left : left + w]
        gap = abs(float(tones[other_ink].mean()) - float(tones[piece > 0].mean()))
        return gap > _SAME_INK * self.contrast  # a dot is the glyph's own ink
