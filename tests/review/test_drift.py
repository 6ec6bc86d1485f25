"""Drift guards: goldens approved under an older template version or another model are flagged, and a case's pass
rate and sample spread are read from the runs kept locally."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from e2e.helpers import latest_results, latest_run, promptlib

from promptlib._library import Library
from promptlib.review._case import find_case
from promptlib.review._drift import case_history, golden_drift

from .helpers import PADLOCK


def test_goldens_approved_under_an_older_version_are_flagged(regressed: Path, library: Library) -> None:
    case = find_case(latest_results(regressed), PADLOCK)
    (note,) = golden_drift(library, PADLOCK, case)
    assert note == "goldens were approved under icons/feature-icon v1; the template is now v2"
    assert (
        golden_drift(
            library, "brand/logo-crane-symbol", find_case(latest_results(regressed), "brand/logo-crane-symbol")
        )
        == []
    )


def test_goldens_approved_on_another_model_are_flagged(regressed: Path, library: Library) -> None:
    case = dict(find_case(latest_results(regressed), "brand/logo-crane-symbol") or {})
    case["model"] = "gpt-image-9"
    (note,) = golden_drift(library, "brand/logo-crane-symbol", case)
    assert note.startswith("goldens were approved on ") and note.endswith("this run used gpt-image-9")


def test_history_counts_local_runs_pass_rate_and_spread(regressed: Path) -> None:
    runs = regressed / ".promptlib" / "runs"
    assert promptlib(regressed, "eval", "brand").exit_code == 1  # the icon cases fail again (cached)
    history = case_history(runs, PADLOCK)
    assert [p.status for p in history.points][-2:] == ["failed", "failed"]
    assert history.points[0].status == "new"  # the run the goldens were approved from
    assert history.pass_rate == 0.0
    assert all(p.spread is not None and 0 <= p.spread <= 64 for p in history.points)
    assert history.summary().startswith(f"{len(history.points)} local run(s), passed 0% of those judged")
    crane = case_history(runs, "brand/logo-crane-symbol")
    assert crane.pass_rate == 1.0


def test_history_skips_doctored_runs_and_limits_how_many_it_reads(regressed: Path) -> None:
    runs = regressed / ".promptlib" / "runs"
    doctored = runs / "doctored"
    shutil.copytree(latest_run(regressed), doctored)
    (doctored / "results.json").write_text(json.dumps({"cases": [{"key": "x/y", "suite": "a", "case": "b"}]}))
    assert len(case_history(runs, PADLOCK).points) == 2
    assert len(case_history(runs, PADLOCK, limit=1).points) <= 1
    assert case_history(regressed / "nowhere", PADLOCK).summary() == "no earlier runs of this case are kept locally"
