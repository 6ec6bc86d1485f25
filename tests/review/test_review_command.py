"""`promptlib review [RUN]` opens the run the way approve does: a path that is not a run, or a doctored run, is
one line and exit 2 before any server starts."""

from __future__ import annotations

import json
from pathlib import Path

from e2e.helpers import latest_run, promptlib


def test_a_folder_that_is_not_a_run_is_refused(regressed: Path, tmp_path: Path) -> None:
    result = promptlib(regressed, "review", str(tmp_path), "--no-browser")
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert "is not a run directory (no results.json)" in result.output


def test_a_doctored_run_is_refused_like_approve_refuses_it(regressed: Path) -> None:
    run = latest_run(regressed)
    results = json.loads((run / "results.json").read_text())
    results["cases"][0]["key"] = "other/case"
    (run / "results.json").write_text(json.dumps(results))
    review = promptlib(regressed, "review", str(run), "--no-browser")
    approve = promptlib(regressed, "approve", str(run), "--all-new")
    assert review.exit_code == approve.exit_code == 2
    assert review.output == approve.output and "re-download it" in review.output


def test_help_names_the_command(regressed: Path) -> None:
    result = promptlib(regressed, "--help")
    assert "Review a run in the browser" in result.output
