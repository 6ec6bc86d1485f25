"""The did-you-mean hint, phrased one way wherever a name is looked up and not found."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name a typo most likely meant, or None when nothing is close."""
    found = difflib.get_close_matches(name, list(known), n=1)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`did you mean 'x'?` for the closest known name, or "" when nothing is close."""
    match = closest(name, known)
    return f"did you mean {match!r}?" if match else ""
