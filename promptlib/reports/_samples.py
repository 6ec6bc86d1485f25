"""The view model of one sample: its thumbnail beside its nearest golden, its verdict and its distances.

Distances are judged against the case's thresholds only where thresholds can judge: a low-sensitivity case's
distances are shown neutrally ("not judged"), never as red "over" rows on a card that passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from promptlib.reports import _display as fmt
from promptlib.reports._text_view import SampleTextView, sample_text_view
from promptlib.reports._verdicts import Verdict, verdict

Href = Callable[[object], str | None]
THUMB_PX = 160
#: "new": no goldens yet; "low": thresholds cannot judge the case; "goldens": an ordinary comparison.
Context = Literal["new", "low", "goldens"]
RowState = Literal["over", "within", "info", "unjudged"]


@dataclass(frozen=True, slots=True)
class Thumb:
    """A thumbnail linking to the full image, or a placeholder saying why there is none (`href` is None)."""

    href: str | None
    title: str  # the path as results.json gives it
    alt: str
    width: int | None  # the attributes that reserve the thumbnail's space before it loads
    height: int | None
    placeholder: str


@dataclass(frozen=True, slots=True)
class DistanceRow:
    alg: str  # as written (a data attribute)
    label: str
    distance: str
    limit: str  # "≤ 10", "warn only" or "not judged"
    state: RowState


@dataclass(frozen=True, slots=True)
class DistanceTable:
    caption: str
    rows: list[DistanceRow]


@dataclass(frozen=True, slots=True)
class SampleView:
    number: str
    sha256: str  # as results.json gives it: what an exported decision names the image by
    verdict: Verdict
    image: Thumb
    golden: Thumb
    chips: list[str]
    outside_mask: str  # "unchanged outside the mask: 99.8 %", or ""
    outside_mask_detail: str
    distances: DistanceTable | None
    note: str
    failures: list[str]
    text: SampleTextView | None = None  # what OCR read, for a case that expects text


def thumb(path: object, alt: str, width: object, height: object, href: Href, placeholder: str = "") -> Thumb:
    """A thumbnail for `path`, or a placeholder: no image, or one the page may not point at."""
    link = href(path) if path else None
    if link is None and not placeholder:
        placeholder = "no image" if not path else "image outside the run directory"
    shown_width = shown_height = None
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        shown_width, shown_height = THUMB_PX, round(THUMB_PX * height / width)
    return Thumb(
        href=link, title=fmt.text(path), alt=alt, placeholder=placeholder, width=shown_width, height=shown_height
    )


def sample_view(
    sample: Mapping[str, Any],
    thresholds: Mapping[str, Any],
    goldens: Mapping[str, Mapping[str, Any]],
    context: Context,
    href: Href,
) -> SampleView:
    """One sample: the two thumbnails, the verdict, the distance table, notes and expectation failures."""
    index = fmt.text(sample.get("index", "?"))
    nearest = sample.get("nearest_golden")
    known = goldens.get(nearest, {}) if isinstance(nearest, str) else {}
    if nearest:
        golden = thumb(nearest, "nearest golden", known.get("width"), known.get("height"), href)
    else:
        golden = thumb(None, "", None, None, href, "no goldens yet" if context == "new" else "not compared")
    mask, mask_detail = _outside_mask(sample.get("outside_mask"))
    return SampleView(
        number=index,
        sha256=fmt.text(sample.get("sha256")),
        verdict=verdict(sample.get("verdict")),
        image=thumb(sample.get("file"), f"sample {index}", sample.get("width"), sample.get("height"), href),
        golden=golden,
        chips=_chips(sample),
        outside_mask=mask,
        outside_mask_detail=mask_detail,
        distances=_distances(sample.get("distances"), thresholds, sample.get("votes"), context),
        note=fmt.text(sample.get("note")),
        failures=[fmt.text(f) for f in sample.get("failures") or []],
        text=sample_text_view(sample.get("text"), sample.get("width"), sample.get("height")),
    )


def _chips(sample: Mapping[str, Any]) -> list[str]:
    chips = []
    if sample.get("width"):
        chips.append(f"{sample.get('width')}×{sample.get('height')} {fmt.text(sample.get('format'))}".strip())
    if sample.get("cached"):
        chips.append("cached")
    return chips


def _outside_mask(value: object) -> tuple[str, str]:
    """How much of an edit's image outside the mask stayed as it was, and within which tolerance."""
    if not isinstance(value, Mapping):
        return "", ""
    shown = fmt.percent(value.get("unchanged"))
    if shown is None:
        return "", ""
    tolerance = value.get("tolerance")
    detail = "pixels outside the mask that stayed as they were in the input"
    if isinstance(tolerance, int | float) and not isinstance(tolerance, bool):
        detail += f" (within {tolerance} levels per channel)"
    return f"unchanged outside the mask: {shown}", detail


def _distances(
    distances: object, thresholds: Mapping[str, Any], votes: object, context: Context
) -> DistanceTable | None:
    """Distance per hash against the case's threshold; colorhash only warns; a low-sensitivity case is not judged."""
    if not isinstance(distances, Mapping) or not distances:
        return None
    judged = context != "low"
    rows = [_row(str(alg), distances[alg], thresholds.get(alg), judged) for alg in fmt.algorithms(distances)]
    caption = f"{votes} of 3 hashes within threshold" if judged and isinstance(votes, int) else ""
    return DistanceTable(caption=caption, rows=rows)


def _row(alg: str, distance: object, limit: object, judged: bool) -> DistanceRow:
    label = fmt.algorithm_label(alg)
    if limit is None:
        return DistanceRow(alg, label, fmt.text(distance), "warn only", "info")
    if not judged:
        return DistanceRow(alg, label, fmt.text(distance), "not judged", "unjudged")
    over = isinstance(distance, int) and isinstance(limit, int) and distance > limit
    return DistanceRow(alg, label, fmt.text(distance), f"≤ {limit}", "over" if over else "within")
