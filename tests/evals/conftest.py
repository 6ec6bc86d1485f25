"""Fixtures for the `text` expectation in runs: a project whose suite asks for text, a misprinting emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ocr_doubles import FarsightedReader
from project_helpers import CONFIG, Project

from promptlib.text import _ocr

#: A square, low-quality tile: the cheapest image to draw and to read.
TILE = """\
version: 1
description: A square sale tile with an optional tagline.
variables:
  product: {type: string, required: true}
  tagline: {type: string, default: ""}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: |
  A sale tile for {{ product }}.{% if tagline %} Print the text "{{ tagline }}" at the top.{% endif %}
examples:
  - name: plain
    variables: {product: a sneaker}
  - name: kettle
    variables: {product: a kettle, tagline: Boil less}
"""

TEXT_SUITE = """\
deployment: local
samples: 1
policy: {min_matches: 1, max_samples: 1}
cases:
  - id: kettle-tagline
    prompt: shop/tile
    variables: {product: a kettle, tagline: 20% off}
    expect:
      text: [{any_of: [20% off, 20 % off]}]
  - from_examples: shop/tile
    expect: {text_from: [tagline]}
"""

#: An emulator that misprints every quoted text (the `garble` fault), as a model that cannot spell would.
GARBLING = """\
  garbling:
    kind: emulator
    faults: {fail_rate: {garble: 1.0}}
"""


@pytest.fixture
def text_project(project: Project) -> Project:
    """The shared project plus a square `shop/tile` template, `evals/text.yaml` (text, any_of, text_from) and a
    `garbling` deployment."""
    project.write("promptlib.yaml", CONFIG + GARBLING, dedent=False)
    project.path("evals/smoke.yaml").unlink()
    project.write("evals/text.yaml", TEXT_SUITE, dedent=False)
    project.write_template("shop/tile", TILE)
    project.lock()
    return project


@pytest.fixture
def farsighted_reader() -> Iterator[FarsightedReader]:
    """The process's OCR reader is a `FarsightedReader` for the test."""
    reader = FarsightedReader()
    previous = _ocr.replace_reader(reader)
    yield reader
    _ocr.replace_reader(previous)
