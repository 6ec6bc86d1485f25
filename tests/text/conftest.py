"""Fixtures for the readable-text tests: readings built by hand, and the generated test set."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import textset

from promptlib.text._reading import Reading, TextLine, in_reading_order

#: A line given as text, or (text, per-character confidences), or (text, confidences, (x, y) of its top-left).
LineSpec = str | tuple[str, Sequence[float]] | tuple[str, Sequence[float], tuple[float, float]]


@pytest.fixture
def read_as() -> Callable[..., Reading]:
    """`read_as("20% off", ("Northwind", [0.99] * 9))`: a Reading of those lines, stacked top to bottom.

    Characters are read with confidence 0.99 unless given; `unsure(text, *indices)` marks some at 0.5.
    """

    def build(*specs: LineSpec) -> Reading:
        lines = []
        for row, spec in enumerate(specs):
            text, scores, (x, y) = _unpack(spec, row)
            box = ((x, y), (x + 20 * len(text), y), (x + 20 * len(text), y + 40), (x, y + 40))
            lines.append(TextLine(text, box, min(scores, default=0.99), tuple(scores)))
        return Reading("hand-made", 1024, 1024, in_reading_order(lines))

    return build


@pytest.fixture
def unsure() -> Callable[..., tuple[str, list[float]]]:
    """`unsure("2O% off", 1)`: the line with character 1 read at confidence 0.5, the rest at 0.99."""

    def build(text: str, *indices: int) -> tuple[str, list[float]]:
        return text, [0.5 if i in indices else 0.99 for i in range(len(text))]

    return build


def _unpack(spec: LineSpec, row: int) -> tuple[str, list[float], tuple[float, float]]:
    if isinstance(spec, str):
        return spec, [0.99] * len(spec), (100.0, 100.0 + 60 * row)
    if len(spec) == 2:
        return spec[0], list(spec[1]), (100.0, 100.0 + 60 * row)
    return spec[0], list(spec[1]), spec[2]


@pytest.fixture(scope="session")
def text_samples() -> list[textset.TextSample]:
    """The generated test set (drawn lazily: each sample's `draw()` makes its image)."""
    return textset.samples()
