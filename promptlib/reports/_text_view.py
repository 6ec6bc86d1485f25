"""The view model of what OCR read in a sample: each expected text against what was read, and the boxes to draw.

Boxes are outlines in image pixels (results.json `samples[].text`); the page draws them in an SVG laid over
the thumbnail whose `viewBox` is the image's size, so they land where the text is at any scale. Everything
comes from a results.json that may be hostile: a point that is not a finite number drops its box, strings are
plain text for the template to escape, and the counts are capped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from promptlib.reports import _display as fmt

MAX_BOXES = 200
MAX_POINTS = 8
BoxKind = Literal["found", "missed", "line"]


@dataclass(frozen=True, slots=True)
class TextBox:
    points: str  # "x,y x,y …", numbers we formatted
    css: BoxKind  # ours, never data
    title: str


@dataclass(frozen=True, slots=True)
class TextCheckView:
    expected: str  # "'20% off' or '20 % off'"
    closest: str  # the alternative closest to what was read, when there are several
    found: bool
    read: str
    similarity: str  # "0.86, needs 0.95"
    message: str  # the line the verdict used


@dataclass(frozen=True, slots=True)
class SampleTextView:
    view_box: str | None  # "0 0 1024 1024"; None when the sample's size is unknown (no overlay then)
    boxes: list[TextBox]
    checks: list[TextCheckView]
    lines: list[str]
    engine: str


def sample_text_view(text: object, width: object, height: object) -> SampleTextView | None:
    """What was expected and read in one sample, with every line's box and, drawn over them, each check's."""
    if not isinstance(text, Mapping):
        return None
    lines = _mappings(text.get("lines"))
    checks = _mappings(text.get("checks"))
    boxes = [_box(line.get("box"), "line", fmt.text(line.get("text"))) for line in lines]
    for check in checks:
        kind: BoxKind = "found" if check.get("found") is True else "missed"
        boxes += [_box(box, kind, fmt.text(check.get("read"))) for box in _list(check.get("boxes"))]
    sized = _is_size(width) and _is_size(height)
    return SampleTextView(
        view_box=f"0 0 {width} {height}" if sized else None,
        boxes=[box for box in boxes if box is not None][:MAX_BOXES],
        checks=[_check(check) for check in checks],
        lines=[fmt.text(line.get("text")) for line in lines],
        engine=fmt.text(text.get("engine")),
    )


def case_text_fact(text: object) -> str:
    """'2 of 3 samples show all the text (2 needed)', or '' for a case that expects none."""
    if not isinstance(text, Mapping):
        return ""
    showing, needed = fmt.count(text.get("showing")), fmt.count(text.get("needed"))
    expected = [" or ".join(f"'{fmt.text(t)}'" for t in _list(alts)) for alts in _list(text.get("expected"))]
    return f"{', '.join(expected)}: {showing} sample(s) show all of it ({needed} needed)"


def case_text_misses(text: object) -> tuple[str, ...]:
    """Each expected text some sample missed, and what was read instead (from the case's text verdict)."""
    return tuple(fmt.text(miss) for miss in _list(text.get("misses"))) if isinstance(text, Mapping) else ()


def _check(check: Mapping[str, Any]) -> TextCheckView:
    alternatives = _list(check.get("expected"))
    expected = " or ".join(f"'{fmt.text(t)}'" for t in alternatives) or "?"
    closest = fmt.text(check.get("best")) if len(alternatives) > 1 else ""
    similarity = _number(check.get("similarity"))
    needed = _number(check.get("min_similarity"))
    shown = f"{similarity:.2f}" if similarity is not None else "?"
    if needed is not None:
        shown += f", needs {needed:.2f}"
    found, read, message = check.get("found") is True, fmt.text(check.get("read")), fmt.text(check.get("message"))
    return TextCheckView(expected, closest, found, read, shown, message)


def _box(points: object, css: BoxKind, title: str) -> TextBox | None:
    corners = _list(points)
    numbers = [_number(v) for p in corners if isinstance(p, list | tuple) and len(p) == 2 for v in p]
    if not 3 <= len(corners) <= MAX_POINTS or len(numbers) != 2 * len(corners) or None in numbers:
        return None
    shown = [f"{v:.1f}" for v in numbers if v is not None]
    return TextBox(" ".join(f"{x},{y}" for x, y in zip(shown[::2], shown[1::2], strict=True)), css, title)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000


def _list(value: object) -> list[Any]:
    return value[:MAX_BOXES] if isinstance(value, list) else []


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]
