"""Prompt diffs as the page shows them: approved vs current prompt word by word, and `changed_since` diffs.

Both become lists of (kind, text) pieces; the template wraps each kind in its tag and escapes the text, so no
HTML is built here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from markupsafe import Markup, escape

from promptlib.reports._display import text

# Word diffs are quadratic in the worst case; past this many tokens the two prompts are shown without highlights.
MAX_DIFF_TOKENS = 20_000
_TOKEN = re.compile(r"\s+|\S+")

PieceKind = Literal["same", "del", "ins"]
LineKind = Literal["hunk", "add", "del", "ctx"]


@dataclass(frozen=True, slots=True)
class Piece:
    kind: PieceKind
    text: str


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    text: str


@dataclass(frozen=True, slots=True)
class TemplateFact:
    """One fact about a changed template; `code` (a partial's name) is shown in a code span between the texts."""

    before: str
    code: str = ""
    after: str = ""


@dataclass(frozen=True, slots=True)
class ExampleDiff:
    name: str
    status: str
    lines: list[DiffLine]
    error: str = ""  # why this example did not render on one side


@dataclass(frozen=True, slots=True)
class TemplateDiff:
    """A template's change since the `--changed-since` revision, shown on the cards of its cases."""

    template_id: str
    facts: list[TemplateFact]
    examples: list[ExampleDiff]


def word_pieces(old: str, new: str) -> tuple[list[Piece], list[Piece]]:
    """Old and new text split into unchanged, removed and added runs; tokens keep their whitespace."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) + len(b) > MAX_DIFF_TOKENS:
        return [Piece("same", old)], [Piece("same", new)]
    left: list[Piece] = []
    right: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            left.append(Piece("same", removed))
            right.append(Piece("same", added))
            continue
        if removed:
            left.append(Piece("del", removed))
        if added:
            right.append(Piece("ins", added))
    return left, right


def word_diff(old: str, new: str) -> tuple[Markup, Markup]:
    """Escaped old and new text with removed words in `<del>` and added words in `<ins>` (for code, not pages)."""
    left, right = word_pieces(old, new)
    return _pieces_html(left), _pieces_html(right)


def _pieces_html(pieces: list[Piece]) -> Markup:
    return Markup("").join(_piece_html(piece) for piece in pieces)


def _piece_html(piece: Piece) -> Markup:
    if piece.kind == "same":
        return escape(piece.text)
    return Markup("<{0}>{1}</{0}>").format(piece.kind, piece.text)


def diff_lines(diff: object) -> list[DiffLine]:
    """A unified diff's lines, each with its kind (headers and hunk markers, added, removed, context)."""
    return [DiffLine(_line_kind(line), line) for line in text(diff).splitlines()]


def _line_kind(line: str) -> LineKind:
    if line.startswith(("+++", "---", "@@")):
        return "hunk"
    return "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"


def template_diffs(changed_since: object) -> Mapping[str, Any]:
    """The per-template changes recorded by `eval --changed-since`, by template id (empty for other runs)."""
    templates = changed_since.get("templates") if isinstance(changed_since, Mapping) else None
    return templates if isinstance(templates, Mapping) else {}


def template_diff(change: object) -> TemplateDiff | None:
    """Version, partials, variables and parameters that changed, and each changed example's rendered-prompt diff."""
    if not isinstance(change, Mapping):
        return None
    facts = [TemplateFact(f"{text(change.get('status'))} {text(change.get('version_change'))}")]
    facts += [TemplateFact("partial ", text(name), " changed") for name in _items(change.get("partials"))]
    for kind, names in _mapping(change.get("variables")).items():
        facts.append(TemplateFact(f"variables {kind}: {', '.join(text(n) for n in _items(names))}"))
    for name, values in _mapping(change.get("parameters")).items():
        values = _mapping(values)
        facts.append(TemplateFact(f"parameter {name}: {text(values.get('from'))} → {text(values.get('to'))}"))
    facts += [TemplateFact(text(error)) for error in _items(change.get("errors"))]
    examples = [
        ExampleDiff(
            text(example.get("name")),
            text(example.get("status")),
            diff_lines(example.get("diff")),
            text(example.get("error")),
        )
        for example in _items(change.get("examples"))
        if isinstance(example, Mapping) and example.get("status") != "unchanged"
    ]
    return TemplateDiff(text(change.get("template_id")), facts, examples)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []
