"""``--promptlib-deployment NAME``: every case runs on that deployment."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_cases_run_on_the_named_deployment(pytester: pytest.Pytester, eval_project: Path) -> None:
    """Another deployment misses the cache (its name is part of the request) and is recorded in the run."""
    result = pytester.runpytest("--promptlib", "--promptlib-deployment", "other")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["promptlib: 2 passed · 2 requests, 0 cache hits · report: *"])
    report = re.search(r"report: (\S+)", result.stdout.str())
    assert report
    results = json.loads((Path(report.group(1)).parent / "results.json").read_text())
    assert results["deployments"] == ["other"]


def test_unknown_deployment_is_a_usage_error(pytester: pytest.Pytester, eval_project: Path) -> None:
    """The error names the deployments promptlib.yaml defines; nothing runs."""
    result = pytester.runpytest("--promptlib", "--promptlib-deployment", "prod")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: promptlib: *no deployment named 'prod'; promptlib.yaml defines: local, other"])
    assert not (eval_project / ".promptlib" / "runs").exists()
