"""Is an expected string in what OCR read? Tolerant of OCR's noise, strict about a model's misprints.

The rule, applied to the expected string and to every run of whole words the engine read (in reading order,
across line breaks, so wrapped text is found):

1. **Normalise** both: Unicode NFKC, capital I and `|` as l (one glyph in sans-serif type), case folded,
   typographic quotes and dashes as ASCII, whitespace removed (OCR drops and adds spaces freely), and
   box-drawing and geometric shapes (■ ●, what OCR makes of dots and specks behind text) dropped.
2. **Cost** the cheapest alignment: a wrong, missing or extra character costs 1; a missing or extra bit of
   light punctuation (`.,'":;!-`) costs 0.5. A *confusable* read (O for 0, l or i for 1, S for 5, Z for 2,
   B for 8, G for 6, m for rn, w for vv, d for cl, a letter without its accent) costs nothing **only when
   the engine was unsure of that character** (confidence below `UNSURE`, 0.9); read confidently, it is an
   ordinary wrong character. OCR misreads are mostly unsure ones, while a model's misprint is printed
   plainly and read confidently: so "2O% off" *read hesitantly* from an image of "20% off" passes, while
   "2O% off" read confidently does not. Engines also read from context — PP-OCRv6 reads a printed "2O%"
   as "20%", confidently, in every face tested — so where the glyph's own shape shows the letter O
   (`_glyph_shapes`: a ring clearly wider than the line's digits), that overrules the engine: an expected
   0 there costs 1, an expected o nothing.
3. **Similarity** is `1 - cost / len(expected)`; the string is found when it reaches `min_similarity`
   (default `DEFAULT_MIN_SIMILARITY`, 0.95: no wrong character in strings under twenty characters, one
   dropped comma from ten; on the test set 0.9 found no more legible text than 0.95 but passed half of
   the one-letter misprints of longer strings, 0.95 almost none). A run may start and end only at word
   boundaries (spaces, line ends, and changes between letters, digits, punctuation and lower to upper
   case, where OCR drops spaces), so "20% of" is not found inside "20% off".

An expectation may list alternatives (`any_of`): it is met when any one is found. `find_text` reports the
best run for the best alternative either way, with what was read there and the boxes of its lines.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from promptlib.text._reading import Quad, Reading, TextLine

DEFAULT_MIN_SIMILARITY = 0.95
#: Below this a best run is no reading of the text (two thirds of it wrong): "no similar text read", not "read 'Pour'".
QUOTABLE_SIMILARITY = 1 / 3
#: Below this confidence an engine's character may stand for any character it is commonly confused with.
UNSURE = 0.9
LIGHT_PUNCTUATION = frozenset(".,'\":;!-")
_SINGLE_CONFUSABLES = ("o0", "l1i", "s5", "z2", "b8", "g6")
_CONFUSABLE = {(a, b) for group in _SINGLE_CONFUSABLES for a in group for b in group if a != b}
#: (expected pair, read single) and the reverse: two glyphs that run together, or one that splits.
_MERGES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
#: Box drawing, block elements and geometric shapes: never asked for, often "read" in a busy background.
_SHAPES = ("\u2500", "\u25ff")
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                              "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "|": "l", "I": "l"})  # fmt: skip


@dataclass(frozen=True)
class TextExpectation:
    """Text an image must show: any one of `any_of`, at `min_similarity` or better."""

    any_of: tuple[str, ...]
    min_similarity: float = DEFAULT_MIN_SIMILARITY

    def __post_init__(self) -> None:
        if not self.any_of or any(not normalise(text) for text in self.any_of):
            raise ValueError("a text expectation needs at least one string with something besides whitespace")
        if not 0 < self.min_similarity <= 1:
            raise ValueError(f"min_similarity must be in (0, 1], got {self.min_similarity!r}")

    @classmethod
    def of(cls, text: str | Sequence[str], min_similarity: float = DEFAULT_MIN_SIMILARITY) -> TextExpectation:
        return cls((text,) if isinstance(text, str) else tuple(text), min_similarity)

    def describe(self) -> str:
        quoted = " or ".join(f"'{text}'" for text in self.any_of)
        return f"text {quoted}"


@dataclass(frozen=True)
class TextMatch:
    """The outcome for one expectation: the best run read for its best alternative."""

    expectation: TextExpectation
    expected: str
    found: bool
    similarity: float
    read: str
    boxes: tuple[Quad, ...]

    def message(self) -> str:
        """One line for a verdict: "text '20% off' not found; read '2O% of'" (or "found (0.95)")."""
        if self.found:
            return f"{self.expectation.describe()} found as '{self.read}' ({self.similarity:.2f})"
        read = f"read '{self.read}'" if self.read and self.similarity >= QUOTABLE_SIMILARITY else "no similar text read"
        return f"{self.expectation.describe()} not found; {read}"


def find_text(expectation: TextExpectation, reading: Reading) -> TextMatch:
    """Where `reading` best shows `expectation` (found or not)."""
    sequence = _ReadSequence.of(reading)
    best: TextMatch | None = None
    for text in expectation.any_of:
        similarity, start, end = sequence.best_run(normalise(text))
        read, boxes = sequence.original(start, end)
        match = TextMatch(expectation, text, similarity >= expectation.min_similarity, similarity, read, boxes)
        if best is None or (match.found, match.similarity) > (best.found, best.similarity):
            best = match
    assert best is not None  # any_of is never empty
    return best


def check_texts(expectations: Iterable[TextExpectation], reading: Reading) -> list[TextMatch]:
    return [find_text(expectation, reading) for expectation in expectations]


def normalise(text: str) -> str:
    """`text` as compared (step 1 of the rule)."""
    return "".join(char for char, _ in _normalised_chars(text, 1.0))


def _normalised_chars(text: str, confidence: float) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for char in unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC):
        if not char.isspace() and not _SHAPES[0] <= char <= _SHAPES[1]:
            out.extend((c, confidence) for c in char.casefold())
    return out


def _base(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))


def substitution_cost(expected: str, read: str, confidence: float, shape: str = "?") -> float:
    """0 for the same character, 0 for an unsure confusable, else 1; where the glyph's shape shows the letter
    O (`shape` 'o'), that decides: 0 for an expected o, 1 for an expected 0 however the engine read it."""
    if shape == "o" and expected in "o0" and read in "o0":
        return 0.0 if expected == "o" else 1.0
    if expected == read:
        return 0.0
    confusable = (expected, read) in _CONFUSABLE or (_base(expected) == _base(read) != "")
    return 0.0 if confusable and confidence < UNSURE else 1.0


def _indel_cost(char: str) -> float:
    return 0.5 if char in LIGHT_PUNCTUATION else 1.0


@dataclass
class _ReadSequence:
    """The reading as one run of normalised characters, with where words may start and end."""

    chars: list[str]
    scores: list[float]
    shapes: list[str]  # what each glyph's shape shows ('o', or '?': `TextLine.shapes`)
    origins: list[tuple[int, int]]  # (line index, index in that line's text) of each character
    breaks: list[int]  # sorted positions where a run may start or end
    reading: Reading

    @classmethod
    def of(cls, reading: Reading) -> _ReadSequence:
        chars: list[str] = []
        scores: list[float] = []
        shapes: list[str] = []
        origins: list[tuple[int, int]] = []
        breaks = {0}
        for line_index, line in enumerate(reading.lines):
            breaks.add(len(chars))
            previous = ""
            for index, char in enumerate(line.text):
                if char.isspace():
                    breaks.add(len(chars))
                    previous = ""
                    continue
                if previous and _is_word_boundary(previous, char):
                    breaks.add(len(chars))
                for normalised, score in _normalised_chars(char, line.confidence(index)):
                    chars.append(normalised)
                    scores.append(score)
                    shapes.append(line.shape(index))
                    origins.append((line_index, index))
                previous = char
        breaks.add(len(chars))
        return cls(chars, scores, shapes, origins, sorted(breaks), reading)

    def best_run(self, expected: str) -> tuple[float, int, int]:
        """(similarity, start, end) of the run closest to `expected`; (0, 0, 0) when nothing was read."""
        best = (0.0, 0, 0)
        limit = len(expected) * 2 + 4
        for start in self.breaks[:-1]:
            window = slice(start, start + limit)
            costs = _alignment_costs(expected, self.chars[window], self.scores[window], self.shapes[window])
            for end in self.breaks:
                if start < end <= start + limit:
                    similarity = max(0.0, 1 - costs[end - start] / len(expected))
                    if similarity > best[0] or (similarity == best[0] > 0 and end - start < best[2] - best[1]):
                        best = (similarity, start, end)
        return best

    def original(self, start: int, end: int) -> tuple[str, tuple[Quad, ...]]:
        """The text as read (original characters and spaces) between two positions, and its lines' boxes."""
        if start >= end:
            return "", ()
        (first_line, first_char), (last_line, last_char) = self.origins[start], self.origins[end - 1]
        lines = self.reading.lines
        shown = [_as_shaped(line) for line in lines[first_line : last_line + 1]]
        if first_line == last_line:
            text = shown[0][first_char : last_char + 1]
        else:
            text = " ".join([shown[0][first_char:], *shown[1:-1], shown[-1][: last_char + 1]])
        return " ".join(text.split()), tuple(lines[i].box for i in range(first_line, last_line + 1))


def _as_shaped(line: TextLine) -> str:
    """The line's text with each zero its glyph's shape showed to be the letter O written as that letter, so
    a refusal quotes what is printed ("read '2O% off'"), not the engine's guess ("read '20% off'")."""
    return "".join("O" if char == "0" and line.shape(index) == "o" else char for index, char in enumerate(line.text))


def _is_word_boundary(previous: str, char: str) -> bool:
    """Whether a space may have been dropped between two characters: a change of kind, or lower to upper."""

    def kind(c: str) -> str:
        return "letter" if c.isalpha() else "digit" if c.isdigit() else "other"

    return kind(previous) != kind(char) or (previous.islower() and char.isupper())


def _alignment_costs(
    expected: str, read: Sequence[str], scores: Sequence[float], shapes: Sequence[str] | None = None
) -> list[float]:
    """`costs[j]`: the cheapest alignment of all of `expected` with `read[:j]` (weighted edit distance)."""
    previous_rows: list[list[float]] = []
    row = [0.0]
    for j in range(1, len(read) + 1):
        row.append(row[j - 1] + _indel_cost(read[j - 1]))
    for i in range(1, len(expected) + 1):
        e = expected[i - 1]
        current = [row[0] + _indel_cost(e)]
        for j in range(1, len(read) + 1):
            best = min(
                row[j - 1] + substitution_cost(e, read[j - 1], scores[j - 1], shapes[j - 1] if shapes else "?"),
                row[j] + _indel_cost(e),
                current[j - 1] + _indel_cost(read[j - 1]),
            )
            best = min(best, _merge_cost(expected, i, read, j, scores, previous_rows, row))
            current.append(best)
        previous_rows.append(row)
        row = current
    return row


def _merge_cost(
    expected: str,
    i: int,
    read: Sequence[str],
    j: int,
    scores: Sequence[float],
    previous_rows: list[list[float]],
    row: list[float],
) -> float:
    """Cost of ending with two glyphs read as one ("rn" as "m") or one read as two; infinite when neither."""
    best = float("inf")
    for pair, single in _MERGES:
        if i >= 2 and expected[i - 2 : i] == pair and read[j - 1] == single:
            best = min(best, previous_rows[-1][j - 1] + (0.0 if scores[j - 1] < UNSURE else 1.0))
        if j >= 2 and expected[i - 1] == single and "".join(read[j - 2 : j]) == pair:
            unsure = max(scores[j - 2], scores[j - 1]) < UNSURE
            best = min(best, row[j - 2] + (0.0 if unsure else 1.0))
    return best
