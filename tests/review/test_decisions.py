"""Decisions go through the library's approve/reject/unreject code and say which files they wrote; the CLI and
the Review page call the same functions."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.helpers import golden_dir, latest_results, manifest, promptlib, statuses

from promptlib._library import Library
from promptlib.exceptions import UsageError
from promptlib.review import _decisions
from promptlib.review._runs import open_run

from .helpers import PADLOCK, PLANE


def test_approving_a_failed_case_replaces_its_goldens_and_reports_the_files(regressed: Path, library: Library) -> None:
    before = {p.name for p in golden_dir(regressed, PADLOCK).glob("g-*")}
    outcome = _decisions.approve(library, open_run(library, None), cases=[PADLOCK], by="Dana")
    (approved,) = outcome.approved
    assert approved.key == PADLOCK and approved.added == 3
    after = {p.name for p in golden_dir(regressed, PADLOCK).glob("g-*")}
    assert after != before
    written = {(w.path, w.change) for w in outcome.written}
    assert (f"evals/goldens/{PADLOCK}/case.json", "changed") in written
    assert {(f"evals/goldens/{PADLOCK}/{name}", "added") for name in after - before} <= written
    assert {(f"evals/goldens/{PADLOCK}/{name}", "removed") for name in before - after} <= written
    assert all(w.path.startswith("evals/goldens/") for w in outcome.written)
    assert manifest(regressed, PADLOCK)["template"]["version"] == 2
    assert promptlib(regressed, "eval", PADLOCK).exit_code == 0


def test_adding_chosen_samples_keeps_the_old_goldens(regressed: Path, library: Library) -> None:
    outcome = _decisions.approve(library, open_run(library, None), cases=[PLANE], samples=[1], add=True, by="Dana")
    assert len(outcome.approved[0].manifest.goldens) == 4
    assert [w.change for w in outcome.written if w.path.endswith(".png")] == ["added"]


def test_reject_needs_a_reason_and_records_it(regressed: Path, library: Library) -> None:
    run = open_run(library, None)
    with pytest.raises(UsageError, match="needs a reason"):
        _decisions.reject(library, run, case_key=PADLOCK, sample=0, reason="  ", by="Dana")
    outcome = _decisions.reject(library, run, case_key=PADLOCK, sample=0, reason="a photo, not an icon", by="Dana")
    assert outcome.rejected is not None
    assert [r.reason for r in outcome.rejected.rejected] == ["a photo, not an icon"]
    assert [w.path for w in outcome.written] == [f"evals/goldens/{PADLOCK}/case.json"]
    assert _decisions.rejected_images(library, PADLOCK)[0].by == "Dana"
    forgotten = _decisions.unreject(library, PADLOCK, [], every=True)
    assert [r.reason for r in forgotten.forgotten] == ["a photo, not an icon"]
    assert _decisions.rejected_images(library, PADLOCK) == []


def test_a_case_the_project_does_not_define_is_refused_without_writing(regressed: Path, library: Library) -> None:
    before = sorted(p.read_bytes() for p in (regressed / "evals" / "goldens").rglob("*") if p.is_file())
    with pytest.raises(UsageError, match="is not a case of this project's suites"):
        _decisions.unreject(library, "brand/nope", [], every=True)
    with pytest.raises(UsageError, match="has no case 'brand/nope'"):
        _decisions.approve(library, open_run(library, None), cases=["brand/nope"], by="Dana")
    assert sorted(p.read_bytes() for p in (regressed / "evals" / "goldens").rglob("*") if p.is_file()) == before


def test_the_cli_prints_what_it_did_as_before(regressed: Path) -> None:
    result = promptlib(regressed, "approve", "--case", PADLOCK, "--case", PLANE, "--by", "Dana")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("approved brand/icon-") == 2
    rejected = promptlib(regressed, "reject", "--case", PADLOCK, "--sample", "0", "--reason", "x", "--force")
    assert rejected.exit_code == 0, rejected.output
    assert "1 rejected image(s) on record (undo: promptlib unreject --case brand/icon-padlock --sha " in rejected.stdout
    assert promptlib(regressed, "eval", "brand").exit_code in (0, 1)
    assert statuses(latest_results(regressed))[PLANE] == "passed"
