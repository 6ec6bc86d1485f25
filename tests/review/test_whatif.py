"""What-if thresholds: the calibration a case would get from an approval, before it is written, equals what
`approve` then writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from e2e.helpers import manifest

from promptlib._library import Library
from promptlib.review import _decisions
from promptlib.review._runs import open_run
from promptlib.review._whatif import what_if

from .helpers import PADLOCK, PLANE


def tree(root: Path) -> dict[str, str]:
    return {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_what_if_writes_nothing_and_predicts_what_approve_writes(regressed: Path, library: Library) -> None:
    run = open_run(library, None)
    goldens = regressed / "evals" / "goldens"
    before = tree(goldens)
    predicted = what_if(library, run, PADLOCK)
    assert tree(goldens) == before
    assert predicted.before is not None and predicted.goldens_before == 3
    assert predicted.goldens_after == 3
    _decisions.approve(library, run, cases=[PADLOCK], by="Dana")
    assert manifest(regressed, PADLOCK)["calibration"] == predicted.after.to_dict()


def test_adding_samples_is_calibrated_over_the_larger_set(regressed: Path, library: Library) -> None:
    run = open_run(library, None)
    predicted = what_if(library, run, PLANE, samples=[0, 2], add=True)
    assert (predicted.goldens_before, predicted.goldens_after) == (3, 5)
    _decisions.approve(library, run, cases=[PLANE], samples=[0, 2], add=True, by="Dana")
    assert manifest(regressed, PLANE)["calibration"] == predicted.after.to_dict()


def test_the_changes_are_listed_per_hash(regressed: Path, library: Library) -> None:
    predicted = what_if(library, open_run(library, None), PADLOCK)
    for line in predicted.changes():
        assert line.split()[0] in {"phash", "dhash", "whash", "sensitivity"} and " → " in line
