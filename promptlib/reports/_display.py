"""How numbers, dates, versions, thresholds and policies read on a report: plain text, escaped by the template.

Results come from old, newer or hand-edited runs, so every helper accepts anything (a missing count, a string where
a number was expected) and shows something sensible instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

VOTING = ("phash", "dhash", "whash")
ALGORITHM_LABELS = {"phash": "pHash", "dhash": "dHash", "whash": "wHash", "colorhash": "colorhash"}


def count(value: object) -> int:
    """Counts from older or hand-edited results may be missing or null; show them as 0 instead of failing."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def money(value: object) -> str:
    """Dollars: cents for real amounts, four decimals for the sub-cent costs of cached or cheap runs."""
    amount = float(value) if isinstance(value, int | float) else 0.0
    return f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}"


def duration(value: object) -> str:
    """`12.3 s` for short runs, `2 min 05 s` for long ones: seconds alone are hard to read past a minute."""
    seconds = float(value) if isinstance(value, int | float) else 0.0
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def size(value: object) -> str:
    """`14.6 MB`, or `25.6 kB` below a megabyte (a run that shares its images holds little of its own)."""
    amount = count(value)
    return f"{amount / 1e6:.1f} MB" if amount >= 1e6 else f"{amount / 1e3:.1f} kB"


def date(value: object, *, short: bool = False) -> str:
    """ISO timestamps shown in UTC; anything unparseable is shown as given rather than dropped."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if short:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo else "")


def percent(fraction: object) -> str | None:
    """`99.8 %`; a fraction just under 1 never rounds up to a reassuring `100.0 %`."""
    if not isinstance(fraction, int | float) or isinstance(fraction, bool):
        return None
    text = f"{fraction * 100:.1f}"
    if text == "100.0" and fraction < 1:
        return "> 99.9 %"
    return f"{text} %"


def version(value: object) -> str:
    """`v3`, or `v?` when the results lack a number (a template never locked), rather than `vNone`."""
    return f"v{value}" if value is not None else "v?"


def versions(changed: Mapping[str, Any]) -> str:
    """`v3 → v4`; equal numbers mean the content changed without a version bump, which is worth saying."""
    old, new = changed.get("from_version"), changed.get("to_version")
    text = f"{version(old)} → {version(new)}"
    return text + (" (content changed, same version)" if old == new and old is not None else "")


def algorithms(distances: Mapping[str, Any]) -> list[str]:
    """The voting hashes in a fixed order, then colorhash, then anything newer."""
    known = [a for a in (*VOTING, "colorhash") if a in distances]
    return known + sorted(str(a) for a in distances if a not in known)


def algorithm_label(name: str) -> str:
    return ALGORITHM_LABELS.get(name, name)


def thresholds(values: Mapping[str, Any]) -> str:
    """`pHash ≤ 10 · dHash ≤ 12 · wHash ≤ 8`."""
    parts = [f"{algorithm_label(a)} ≤ {values[a]}" for a in algorithms(values)]
    return " · ".join(parts) or "—"


def policy(values: Mapping[str, Any]) -> str:
    """`≥ 2 of 3 must match, top-up to 5 when ambiguous` from samples / min_matches / max_samples."""
    k, m, top = values.get("samples"), values.get("min_matches"), values.get("max_samples")
    if not k:
        return "—"
    text = f"≥ {m} of {k} must match"
    return text + (
        f", top-up to {top} when ambiguous" if isinstance(top, int) and isinstance(k, int) and top > k else ""
    )


def text(value: object) -> str:
    """Any value as display text; None is empty, not `None`."""
    return "" if value is None else str(value)
