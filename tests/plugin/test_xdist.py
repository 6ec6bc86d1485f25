"""``--promptlib -n 2``: each pytest-xdist worker runs only the cases it was given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .project import SUITE

pytest_plugins = ["pytester"]


def test_workers_split_the_cases_and_write_one_run_each(pytester: pytest.Pytester, eval_project: Path) -> None:
    """Every case runs exactly once across the workers, each worker into its own run directory, and the
    controller's summary lists every worker's report; a failure names its worker's report."""
    (eval_project / "evals" / "badges.yaml").write_text(
        SUITE + "  - id: owl\n    prompt: badge\n    variables: {subject: a grey owl}\n"
    )

    result = pytester.runpytest_subprocess("--promptlib", "-n", "2", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=3, failed=1)
    runs = sorted((eval_project / ".promptlib" / "runs").glob("pytest-*/*"))
    assert [run.name for run in runs] == ["gw0", "gw1"]
    keys = [case["key"] for run in runs for case in json.loads((run / "results.json").read_text())["cases"]]
    assert sorted(keys) == ["badges/crane", "badges/fox", "badges/owl"]
    result.stdout.fnmatch_lines(
        [
            "badges/owl: new — no goldens yet*",
            "report: */.promptlib/runs/pytest-*/gw?/report.html",
        ]
    )
    latest = Path((eval_project / ".promptlib" / "runs" / "latest").read_text().strip())
    merged = json.loads((latest / "results.json").read_text())
    assert latest.parent.name == "runs" and sorted(merged["merged_from"]) == sorted(
        json.loads((run / "results.json").read_text())["run_id"] for run in runs
    )
    assert sorted(case["key"] for case in merged["cases"]) == ["badges/crane", "badges/fox", "badges/owl"]
    summary = f"promptlib: 2 passed, 1 new · 1 request, 2 cache hits · report: {latest}/report.html"
    result.stdout.fnmatch_lines([summary])


def test_approve_after_an_xdist_session_sees_every_workers_cases(pytester: pytest.Pytester, eval_project: Path) -> None:
    """`latest` is the joined run, so approving a case works whichever worker drew it."""
    from e2e.helpers import promptlib

    (eval_project / "evals" / "badges.yaml").write_text(
        SUITE + "  - id: owl\n    prompt: badge\n    variables: {subject: a grey owl}\n"
        "  - id: hen\n    prompt: badge\n    variables: {subject: a red hen}\n"
    )
    pytester.runpytest_subprocess("--promptlib", "-n", "2", "-p", "no:cacheprovider")

    approved = promptlib(eval_project, "approve", "--all-new")

    assert approved.exit_code == 0, approved.output
    assert "approved badges/hen" in approved.output and "approved badges/owl" in approved.output
