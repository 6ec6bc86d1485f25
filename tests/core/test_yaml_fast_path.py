"""The fast path for plain YAML: the same values, types and lines as composing the node graph, or it declines.

`parse_yaml` builds plain documents from the parser's events and everything else the full way; a file must
never load differently, or be refused differently, depending on which way it went.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from promptlib.core._yaml import MAX_DEPTH, MAX_NODES, _parse_full, parse_yaml
from promptlib.core._yaml_events import build_plain
from promptlib.exceptions import TemplateValidationError

REPO = Path(__file__).resolve().parents[2]
PATH = Path("prompts/x.yaml")

PLAIN = [
    "version: 3\ndescription: A wide hero image.\nowners: [brand-team, web]\n",
    "a:\n  b:\n    - 1\n    - {c: d, e: [f, g]}\n  h: null\n",
    "ints: [0, 7, -12, +5, 0o17, 017, 0x1F, 1_000, 190:20:30, 123456789012345678901234567890]\n",
    "floats: [1.5, -0.25, 1e3, 6.8e+2, .inf, -.Inf, .nan, 1_000.5]\n",
    "flags: [yes, No, TRUE, false, on, OFF, y, n]\nnothing: [~, null, Null, '']\n",
    "dates: [2025-01-31, 2001-12-14t21:59:43.10-05:00]\n",
    "quoted: ['3', \"true\", '2025-01-01', 'null']\n",
    'template: |\n  A {{ style }} of {{ product }}.\n  {% include "brand/palette.j2" %}\nfolded: >-\n  one\n  two\n',
    "1: integer key\n2: [a, b]\n'3': text key\n",
    "nested:\n- - - deep\n    - [x, {y: [z]}]\n- {}\n- []\n",
    'unicode: "caf\\u00e9 \\U0001F600"\nplain: naïve café\n',
    "just text",
    "---\n",
    "- a\n- b\n",
    "empty_value:\nother: 1\n",
    "---\nexplicit: document\n...\n",
    "# comment only above\nkey: value # trailing\n",
]


def _same(text: str) -> None:
    fast, full = parse_yaml(text, PATH), _parse_full(text, PATH, TemplateValidationError)
    assert repr(fast.data) == repr(full.data)  # repr: 1 and True, 1.0 and 1, nan and nan compare as they print
    assert fast.lines == full.lines


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_load_as_the_full_builder_loads_them(text: str) -> None:
    loader = yaml.CSafeLoader(text)
    try:
        assert build_plain(loader, MAX_NODES, MAX_DEPTH) is not None, "the fast path should take this one"
    finally:
        loader.dispose()
    _same(text)


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("**/*.yaml") if ".venv" not in p.parts)
)
def test_every_yaml_file_in_the_repository_loads_the_same_either_way(path: str) -> None:
    _same((REPO / path).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# nothing\n",
        "a: &x 1\nb: *x\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
        "a: !!str 3\n",
        "a: !custom x\n",
        "a: !!map {b: 1}\n",
        "a: 1\na: 2\n",
        "true: x\n",
        "? [a, b]\n: c\n",
        "1.5: float key\n",
        "null: x\n",
        "a: 1\n---\nb: 2\n",
        "a: 2025-02-30\n",
        "a: [unclosed\n",
        "a: =\n",
        "a: 1\n b: 2\n",
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "items: [" + ", ".join(["1"] * (MAX_NODES + 1)) + "]\n",
    ],
)
def test_anything_but_plain_is_left_to_the_full_builder(text: str) -> None:
    """Anchors, aliases, merges, tags, duplicates, odd keys, several documents, bad values, limits: declined,
    so the full builder's handling and wording apply unchanged."""
    loader = yaml.CSafeLoader(text)
    try:
        assert build_plain(loader, MAX_NODES, MAX_DEPTH) is None
    finally:
        loader.dispose()


def test_timestamps_and_big_integers_keep_their_types() -> None:
    data = parse_yaml("d: 2025-01-31\nn: 123456789012345678901234567890\n", PATH).data
    assert data == {"d": datetime.date(2025, 1, 31), "n": 123456789012345678901234567890}
