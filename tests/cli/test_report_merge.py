"""`promptlib report [RUN] [--format ...]` still works beside `promptlib report merge RUN...`; bad input is exit 2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from project_helpers import Project

Invoke = Callable[..., Result]


def latest(project: Project) -> Path:
    return Path(project.read(".promptlib/runs/latest").strip())


@pytest.fixture
def run(project: Project, invoke: Invoke) -> Path:
    """One small real run: the smoke suite's logo case, one sample."""
    result = invoke("eval", "smoke/logo", "--samples", "1", "--run-dir", str(project.root / "run-a"))
    assert result.exit_code == 1, result.output  # new: no goldens yet
    return project.root / "run-a"


def edit_results(run: Path, change: Callable[[dict[str, Any]], object]) -> None:
    path = run / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_report_without_subcommand_shows_the_latest_or_a_named_run(run: Path, invoke: Invoke) -> None:
    assert invoke("report").output.strip() == str(run.resolve() / "report.html")
    assert invoke("report", str(run)).output.strip() == str(run / "report.html")
    assert invoke("report", "--format", "md").output.startswith("### promptlib eval: 1 new")
    data = json.loads(invoke("report", str(run), "--format", "json").output)
    assert [c["key"] for c in data["cases"]] == ["smoke/logo"]


def test_report_help_names_both_forms(invoke: Invoke) -> None:
    result = invoke("report", "--help")
    assert result.exit_code == 0
    assert "report [RUN] [--format html|md|json]" in result.output and "merge" in result.output
    assert "--out" in invoke("report", "merge", "--help").output


def test_report_of_an_unknown_run_is_a_usage_error(project: Project, invoke: Invoke) -> None:
    result = invoke("report", "no-such-run")
    assert result.exit_code == 2 and "is not a run directory" in result.output


def test_merge_of_one_run_by_id_copies_its_images_and_becomes_latest(
    project: Project, run: Path, invoke: Invoke
) -> None:
    shutil.move(run, project.root / ".promptlib/runs/run-a")
    result = invoke("report", "merge", "run-a", "--out", "merged")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "merged 1 runs: 1 new"
    merged = project.root / "merged"
    assert latest(project) == merged.resolve()
    data = json.loads((merged / "results.json").read_text(encoding="utf-8"))
    assert data["run_id"] != "run-a" and data["full_run"] is False  # the other smoke cases never ran
    assert (merged / data["cases"][0]["samples"][0]["file"]).is_file()
    assert (merged / "summary.md").is_file() and (merged / "report.html").is_file()


def test_merge_needs_runs(invoke: Invoke, project: Project) -> None:
    result = invoke("report", "merge")
    assert result.exit_code == 2 and "Missing argument 'RUN...'" in result.output


def test_merge_refuses_runs_hashed_with_different_specs(run: Path, project: Project, invoke: Invoke) -> None:
    other = project.root / "run-b"
    shutil.copytree(run, other)
    edit_results(other, lambda d: (d["hash_spec"].__setitem__("id", "other-spec"), d.__setitem__("cases", [])))
    result = invoke("report", "merge", str(run), str(other))
    assert result.exit_code == 2
    assert "different hash spec" in result.output


def test_merge_refuses_a_case_with_two_different_results_but_keeps_identical_ones(
    run: Path, project: Project, invoke: Invoke
) -> None:
    same = project.root / "run-same"
    shutil.copytree(run, same)
    assert invoke("report", "merge", str(run), str(same), "--out", "m1").exit_code == 0
    differ = project.root / "run-differ"
    shutil.copytree(run, differ)
    edit_results(differ, lambda d: d["cases"][0].__setitem__("status", "passed"))
    result = invoke("report", "merge", str(run), str(differ), "--out", "m2")
    assert result.exit_code == 2
    assert "case smoke/logo is in both" in result.output and "different results" in result.output


def test_merge_refuses_files_outside_the_run_and_an_occupied_out(run: Path, project: Project, invoke: Invoke) -> None:
    edit_results(run, lambda d: d["cases"][0]["samples"][0].__setitem__("file", "../../etc/passwd"))
    result = invoke("report", "merge", str(run), "--out", "m")
    assert result.exit_code == 2 and "outside its run directory" in result.output
    assert invoke("report", "merge", str(run), "--out", str(run)).exit_code == 2


def test_eval_shard_says_what_it_runs_and_refuses_bad_specs(project: Project, invoke: Invoke) -> None:
    result = invoke("eval", "--shard", "1/1", "--samples", "1", "smoke/logo")
    assert "shard 1/1: running 1 of 1 cases" in result.output
    for bad in ("0/3", "4/3", "two/3"):
        refused = invoke("eval", "--shard", bad)
        assert refused.exit_code == 2, bad
        assert refused.output.startswith("error: --shard"), refused.output
