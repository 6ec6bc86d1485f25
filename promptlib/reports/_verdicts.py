"""What a sample's verdict is called on the page, what it means, and how it is coloured.

results.json renamed four verdicts so that a reviewer reads them right at a glance (`duplicate` made people think
nothing had been regenerated). Runs written before the rename still open: each old name is shown under its new
one. The meanings are explained once, in the page's legend, not in a sentence on every sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from promptlib.goldens._compare import MATCHED

#: Names written before the rename → the name shown now.
OLD_NAMES = {
    "exact": "identical",
    "duplicate": "near-identical",
    "rejected-dup": "looks-rejected",
    "degenerate": "blank",
}
#: Display order of the legend, and what each verdict means.
MEANINGS = {
    "identical": "the same file as a golden, byte for byte (usually a cached result)",
    "near-identical": "almost the same image as a golden (the model returned a near-copy)",
    "match": "close to a golden on at least 2 of 3 hashes",
    "miss": "not close to any golden",
    "looks-rejected": "looks like an image a reviewer rejected",
    "blank": "blank or a single colour: nothing usable was drawn",
    "unchecked": "not judged by hashes (no goldens yet, or a low-sensitivity case)",
}
#: The verdicts, as results.json may spell them (old or new), that count as a match.
MATCHED_AS_WRITTEN = MATCHED | {old for old, new in OLD_NAMES.items() if new in MATCHED}
_CLASSES = {"miss": "bad", "looks-rejected": "bad", "blank": "degenerate"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verdict as the page shows it. `css` is from a fixed set: the raw verdict is data, never a class name."""

    raw: str  # as written in results.json (kept in a data attribute)
    name: str
    meaning: str
    css: str
    formerly: str = ""  # the old name, when an older promptlib wrote it


def verdict(raw: object) -> Verdict:
    """The shown name, meaning and colour of a verdict; an unknown (newer) verdict is shown as written, uncoloured."""
    written = str(raw or "unchecked")
    name = OLD_NAMES.get(written, written)
    css = "good" if name in MATCHED else _CLASSES.get(name, "other")
    return Verdict(
        raw=written, name=name, meaning=MEANINGS.get(name, ""), css=css, formerly=written if written != name else ""
    )


def legend(present: Iterable[object]) -> list[Verdict]:
    """The verdicts that occur on the page, in the legend's order; unknown ones last, as written."""
    shown: dict[str, Verdict] = {}
    for raw in present:
        seen = verdict(raw)
        if seen.name not in shown or seen.formerly:  # say once that older runs used another name
            shown[seen.name] = seen
    known = [shown[name] for name in MEANINGS if name in shown]
    return known + sorted((v for name, v in shown.items() if name not in MEANINGS), key=lambda v: v.name)
