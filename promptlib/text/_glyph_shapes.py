"""Was that round glyph the letter O? Its shape says, where the engine only guesses from its neighbours.

OCR engines read a glyph in the light of its neighbours: PP-OCRv6 and Tesseract 5 both read a printed
"2O% off" as "20% off" in every face tested, confidently. A model's misprint is exactly such a swap, so
wherever the engine read a 0 or an O, promptlib measures the glyph itself:

- The line is cut out upright (its quad warped to a rectangle) and split into ink and not-ink near its
  darkest or its lightest tone; the ink is the polarity with more letter-sized pieces that lie inside no
  other (ad type often has a contrasting halo: its polarity has an outline round each letter and another
  inside each counter, and the inner ones lie within the outer).
- The piece under the character must be a ring of a capital's or digit's height, its own (not run into a
  neighbour), with a counter of a counter's size and nothing marked in it.
- It is the letter O when it is clearly wider than the line's other digits (lining figures share one width
  in almost every face; on the test set a 0 measured 0.6-1.14 of them, an O 1.28-1.54), or, with no other
  digit to compare, clearly rounder than a 0 (a 0 is a tall oval: 0.6-0.79 as wide as tall, an O 0.86-1.05).
- Monospaced faces draw O and 0 alike and mark the zero instead, with a dot or a slash (DejaVu Sans Mono,
  Liberation Mono, Consolas, Menlo, Source Code Pro). So where the line is shown monospaced, a ring whose
  counter is blank — no ink, and no trace of a blurred mark in its middle — is the letter O. A line is shown
  monospaced when its glyphs' centres sit within 0.05 of a step of an even spacing (spaces counted) and the
  fit spans a narrow letter, a wide one or a space; figures alone do not count, as they are evenly spaced in
  almost every face. On the test set every monospaced line holding figures fitted within 0.026 (some lines
  of letters only to 0.1: they get no evidence), and no proportional line better than 0.119. A line too
  short to show it (the detector cuts "2O% off" at a wide space) borrows the pitch of its neighbour on the
  row, and its own glyphs must keep it.
- Anything else — no ring found, a width between the bands, a marked counter, little contrast — is no
  evidence, and the engine's reading stands. The evidence only ever names the letter O, never a 0: the
  bands are set so that no 0 on the test set came near them, and `tests/text/test_glyph_shapes.py` holds
  every bundled face to it, monospaced zeros with halos and blurred included. A monospaced face with an
  unmarked zero (Courier) would have its zeros taken for O's, and correct text refused, wherever its
  spacing passes the test; none of the bundled faces is one.

The result is one character per character read: 'o' where the shape shows the letter O, '?' elsewhere
(`TextLine.shapes`); `_match` lets it overrule the engine on those characters only.
"""

from __future__ import annotations

from collections import Counter
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
#: Characters a proportional face draws much narrower or wider than its figures.
_TELLING = frozenset("fijlrtI!|.,:;'mwMW")
#: A monospaced line's glyph centres lie within this share of a step of an even spacing.
_EVEN_PITCH = 0.05
#: A monospaced glyph fits its cell: the O of such faces is at most 0.85 as wide as the pitch.
_IN_CELL = 0.95
#: A glyph keeps a known pitch when its centre is within this share of a step of its place on the grid.
_ON_PITCH = 0.1
#: Letter-sized: a piece between these fractions of the line box's height, and not much wider than tall.
_MIN_HEIGHT, _MAX_HEIGHT, _MAX_WIDE = 0.3, 0.97, 1.6
#: Ink is within this fraction of the tonal range from its extreme (nearer the ink than the midpoint, so a
#: mid-tone background does not join it).
_INK_REACH = 0.4
#: Something in a counter is a dot of the glyph's own ink when its tone is this close to the ring's (a share
#: of the line's tonal range); otherwise it is background seen through the counter.
_SAME_INK = 0.2
#: A ring's counter fills at least this share of its box (an O's or 0's does 0.3-0.55; a smaller hole is
#: a blurred or tiny glyph's, too small to judge).
_COUNTER = 0.12
#: A counter with at most this share of ink in it is clear.
_CLEAR = 0.03
#: A pixel this far from the ground's tone towards the ink's is a trace of a mark (a blurred dot).
_FAINT = 0.2
#: A dot or slash fills at most this share of a zero's counter (more is background seen through it).
_DOT_SHARE = 0.35


def glyph_shapes(pixels: Any, line_box: Quad, text: str, char_boxes: Sequence[Quad] | None) -> str | None:
    """One character per character of `text`: 'o' where the glyph's shape shows the letter O, else '?'.
    None when nothing in `text` is measured, or the engine gave no box per visible character.

    `pixels` is the whole image as a 2-D greyscale numpy array; `char_boxes` the engine's box of each
    visible character (spaces have none), in the image's pixels."""
    return line_shapes(pixels, [(text, line_box, char_boxes)])[0]


def line_shapes(pixels: Any, lines: Sequence[tuple[str, Quad, Sequence[Quad] | None]]) -> list[str | None]:
    """`glyph_shapes` of each of an image's lines (text, box, character boxes), where a line too short to
    show its face's pitch (the detector splits "2O% off" into "2O%" and "off" when the space is wide)
    borrows it from a line beside it on the same row."""
    import cv2

    cuts: dict[int, _Line | None] = {}

    def cut(index: int) -> _Line | None:
        if index not in cuts:
            text, box, boxes = lines[index]
            aligned = boxes is not None and len(boxes) == sum(1 for c in text if not c.isspace())
            cuts[index] = _Line.cut(pixels, box, boxes) if aligned and boxes else None
        return cuts[index]

    def pitch(index: int) -> float | None:
        line = cut(index)
        return line.monospaced_pitch(lines[index][0]) if line is not None else None

    shapes: list[str | None] = []
    for index, (text, box, boxes) in enumerate(lines):
        visible = [i for i, c in enumerate(text) if not c.isspace()]
        if not MEASURED.intersection(text) or not boxes or len(boxes) != len(visible):
            shapes.append(None)
            continue
        try:
            line = cut(index)
            if line is None:
                shapes.append(NO_EVIDENCE * len(text))
                continue
            own = pitch(index)
            borrowed = (p for j, other in enumerate(lines) if j != index and _same_row(box, other[1])
                        and (p := pitch(j)) is not None)  # fmt: skip
            shapes.append(line.shapes(text, own if own is not None else next(borrowed, None)))
        except (cv2.error, ValueError, ArithmeticError):  # evidence, never a requirement: the reading stands
            shapes.append(NO_EVIDENCE * len(text))
    return shapes


def _same_row(a: Quad, b: Quad) -> bool:
    """Whether boxes `a` and `b` are neighbours on one row of text: as tall, level, and close beside."""
    (a_left, a_top, a_right, a_bottom), (b_left, b_top, b_right, b_bottom) = _bounds(a), _bounds(b)
    a_height, b_height = a_bottom - a_top, b_bottom - b_top
    if not 0.8 <= a_height / max(b_height, 1e-9) <= 1.25:
        return False
    level = abs((a_top + a_bottom) - (b_top + b_bottom)) / 2 <= 0.5 * min(a_height, b_height)
    gap = max(a_left, b_left) - min(a_right, b_right)
    return level and gap <= 2 * max(a_height, b_height)


def _bounds(quad: Quad) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


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
        return max(options, key=lambda line: line.letter_count())

    def letter_sized(self) -> list[int]:
        return [label for label in range(1, len(self.stats)) if self._is_letter_sized(label)]

    def letter_count(self) -> tuple[int, int]:
        """How letter-like this polarity's pieces are: how many lie inside no other's box, then how few do.
        A halo's polarity has as many letter-sized pieces as the letters' own (an outline round each letter,
        and one inside each counter), but its inner outlines lie within its outer ones, where a letter lies
        within no other letter."""
        sized = self.letter_sized()
        outer = [label for label in sized if not any(other != label and self._inside(label, other) for other in sized)]
        return len(outer), len(outer) - len(sized)

    def _inside(self, label: int, other: int) -> bool:
        left, top, w, h, _ = (int(v) for v in self.stats[label])
        o_left, o_top, o_w, o_h, _ = (int(v) for v in self.stats[other])
        return o_left <= left and left + w <= o_left + o_w and o_top <= top and top + h <= o_top + o_h

    def _is_letter_sized(self, label: int) -> bool:
        _, _, w, h, _ = self.stats[label]
        return bool(_MIN_HEIGHT * self.height <= h <= _MAX_HEIGHT * self.height and 2 <= w <= _MAX_WIDE * h)

    def piece_at(self, position: int) -> int | None:
        """The tallest letter-sized piece whose span holds character `position`'s centre."""
        x = self.centres[position]
        under = [(int(self.stats[label][3]), label) for label in self.letter_sized()
                 if self.stats[label][0] <= x <= self.stats[label][0] + self.stats[label][2]]  # fmt: skip
        return max(under)[1] if under else None

    def monospaced_pitch(self, text: str) -> float | None:
        """The width every character of `text` takes, when its glyphs sit at even steps (spaces included) and
        the line holds a character whose width would give a proportional face away; else None."""
        spacing = self.even_spacing(text)
        return spacing[0] if spacing is not None and spacing[1] <= _EVEN_PITCH else None

    def even_spacing(self, text: str) -> tuple[float, float] | None:
        """The step of the straight line fitted to each visible character's piece centre against its index in
        `text`, and the worst centre's distance from it in steps; None when fewer than three characters have
        a piece of their own, or none of them is telling (figures are evenly spaced in almost every face)."""
        import numpy as np

        fitted = list(self.alone(text).items())
        if len(fitted) < 3:
            return None
        first, last = fitted[0][0], fitted[-1][0]
        if not any(text[index] in _TELLING for index, _ in fitted) and " " not in text[first:last]:
            return None
        indices = np.array([index for index, _ in fitted], dtype=float)
        centres = np.array([self._centre(label) for _, label in fitted], dtype=float)
        step, offset = np.polyfit(indices, centres, 1)
        if step <= 0:
            return None
        return float(step), float(np.abs(centres - (offset + step * indices)).max()) / float(step)

    def alone(self, text: str) -> dict[int, int]:
        """Index in `text` → piece, for each visible character whose piece is its own (under no other's)."""
        visible = [i for i, c in enumerate(text) if not c.isspace()]
        pieces = [self.piece_at(position) for position in range(len(visible))]
        counts = Counter(pieces)
        return {i: label for i, label in zip(visible, pieces, strict=True) if label is not None and counts[label] == 1}

    def shapes(self, text: str, pitch: float | None) -> str:
        """`glyph_shapes` of this line, whose face is monospaced with `pitch` when that is given."""
        visible = [i for i, c in enumerate(text) if not c.isspace()]
        chars = [text[i] for i in visible]
        alone = self.alone(text) if pitch is not None else {}
        marks = [NO_EVIDENCE] * len(text)
        for position, index in enumerate(visible):
            if text[index] not in MEASURED:
                continue
            on_pitch = pitch if pitch is not None and self._on_pitch(alone, index, pitch) else None
            if self.is_letter_o(position, chars, on_pitch):
                marks[index] = LETTER_O
        return "".join(marks)

    def _on_pitch(self, alone: dict[int, int], index: int, pitch: float) -> bool:
        """Whether character `index` sits on the monospaced grid of `pitch` with the others whose glyphs stand
        `alone` (at least one)."""
        if index not in alone or len(alone) < 2:
            return False
        centre = self._centre(alone[index])
        return all(abs(self._centre(label) - centre - (i - index) * pitch) <= _ON_PITCH * pitch
                   for i, label in alone.items())  # fmt: skip

    def _centre(self, label: int) -> float:
        return float(self.stats[label][0]) + float(self.stats[label][2]) / 2

    def is_letter_o(self, position: int, chars: list[str], pitch: float | None = None) -> bool:
        """Whether character `position` of the visible `chars` is the letter O by its shape; `pitch` given
        when its face is known monospaced and the glyph keeps that pitch (such faces mark their zero)."""
        label = self.piece_at(position)
        if label is None or any(self.piece_at(i) == label for i in range(len(chars)) if i != position):
            return False  # no glyph, or one run into its neighbour
        if not self._is_plain_ring(label, empty=pitch is not None):
            return False
        _, _, width, height, _ = (int(v) for v in self.stats[label])
        figures = [self.piece_at(i) for i, c in enumerate(chars) if c in _FIGURES and i != position]
        figure_sizes = [self.stats[f] for f in figures if f is not None and f != label and self._is_lone_figure(f)]
        if figure_sizes and not 0.85 <= height / median(int(s[3]) for s in figure_sizes) <= 1.15:
            return False  # not a capital's height (a lowercase o is judged by the engine alone)
        if pitch is not None:
            return width <= _IN_CELL * pitch  # wider is the glyph run into its neighbour
        if figure_sizes:
            return width >= _WIDER_THAN_DIGITS * median(int(s[2]) for s in figure_sizes)
        return width >= _ROUND * height

    def _is_lone_figure(self, label: int) -> bool:
        """Whether piece `label` looks like one digit alone: taller than wide, clear of the line's ends (a
        piece that runs off the cut has merged with something beyond it)."""
        left, _, w, h, _ = (int(v) for v in self.stats[label])
        return w <= h and left > 0 and left + w < self.ink.shape[1]

    def _is_plain_ring(self, label: int, *, empty: bool = False) -> bool:
        """Whether piece `label` encloses one counter with nothing inside it (no dot, no slash). With `empty`,
        only a counter clear of ink counts, not one where background may show through; or, when the ink
        found is a halo, a counter holding one ring (the halo inside the letter's counter) whose own counter
        is clear."""
        import cv2
        import numpy as np

        left, top, w, h, _ = (int(v) for v in self.stats[label])
        piece = (self.labels[top : top + h, left : left + w] == label).astype(np.uint8)
        contours, hierarchy = cv2.findContours(piece, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is None:
            return False
        counters = [c for c, link in zip(contours, hierarchy[0], strict=True)
                    if link[3] >= 0 and cv2.contourArea(c) >= _COUNTER * w * h]  # fmt: skip
        if len(counters) != 1:
            return False
        inside = np.zeros_like(piece)
        cv2.drawContours(inside, counters, -1, 1, thickness=-1)
        cv2.drawContours(inside, counters, -1, 0, thickness=2)  # the counter's edge is antialiasing, not a dot
        other_ink = self.ink[top : top + h, left : left + w] & (piece == 0) & (inside > 0)
        share = other_ink.sum() / max(1, int(inside.sum()))
        if share <= _CLEAR:  # nothing there, or (with `empty`) nothing even faint where a dot or slash would be
            return not empty or self._centre_is_blank(self.tones[top : top + h, left : left + w], piece, counters[0])
        if empty:  # where the ink found is a halo, the counter holds the halo lining it, and any mark
            within = set(np.unique(self.labels[top : top + h, left : left + w][other_ink]).tolist()) - {0, label}
            return len(within) == 1 and self._lines_counter(within.pop(), counters[0], left, top)
        if share > _DOT_SHARE:  # background seen through the counter
            return True
        tones = self.tones[top : top + h, left : left + w]
        gap = abs(float(tones[other_ink].mean()) - float(tones[piece > 0].mean()))
        return gap > _SAME_INK * self.contrast  # a dot is the glyph's own ink

    def _centre_is_blank(self, tones: Any, piece: Any, counter: Any) -> bool:
        """Whether the middle of `counter` (a contour in the piece's box) is one tone throughout. A zero's dot
        or slash crosses it; blurred, it fades to a tone between ink and ground that the ink threshold
        misses, or runs into the ring. So the counter is taken with its convex hull, which holds a mark
        joined to the ring, and any pixel there leaning from the middle's usual tone towards the ink's is a
        trace of one."""
        import cv2
        import numpy as np

        hull = np.zeros_like(piece)
        cv2.drawContours(hull, [cv2.convexHull(counter)], -1, 1, thickness=-1)
        c_left, c_top, c_w, c_h = cv2.boundingRect(counter)
        middle = np.zeros_like(piece)
        middle[c_top + c_h // 4 : c_top + c_h - c_h // 4, c_left + c_w // 4 : c_left + c_w - c_w // 4] = 1
        middle &= hull
        ground = float(np.median(tones[middle > 0]))  # a mark covers well under half the middle
        ink = float(np.median(tones[piece > 0]))
        if c_w < 4 or c_h < 4 or abs(ink - ground) < 0.3 * self.contrast or not middle.any():
            return False
        towards_ink = (tones[middle > 0].astype(float) - ground) / (ink - ground)
        return float((towards_ink > _FAINT).mean()) <= _CLEAR

    def _lines_counter(self, label: int, counter: Any, left: int, top: int) -> bool:
        """Whether piece `label` is a halo lining a counter (`counter`, a contour in the piece's box at
        `left`, `top`) with nothing marked in it: centred in the counter, filling most of it, and either
        solid or holding one clear hole of a counter's size (a zero's dot would be a small hole, or apart)."""
        import cv2
        import numpy as np

        c_left, c_top, c_w, c_h = cv2.boundingRect(counter)
        n_left, n_top, n_w, n_h, _ = (int(v) for v in self.stats[label])
        off_x = abs((n_left + n_w / 2) - (left + c_left + c_w / 2)) / c_w
        off_y = abs((n_top + n_h / 2) - (top + c_top + c_h / 2)) / c_h
        if off_x > 0.15 or off_y > 0.15 or n_w < 0.5 * c_w or n_h < 0.5 * c_h:
            return False
        piece = (self.labels[n_top : n_top + n_h, n_left : n_left + n_w] == label).astype(np.uint8)
        contours, hierarchy = cv2.findContours(piece, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        holes = [c for c, link in zip(contours, hierarchy[0], strict=True) if link[3] >= 0 and cv2.contourArea(c) >= 4]
        if not holes:
            return True
        counter_sized = len(holes) == 1 and cv2.contourArea(holes[0]) >= 0.2 * n_w * n_h
        return counter_sized and self._is_plain_ring(label, empty=True)
