"""`promptlib eval`: what a CI job and a prompt author see — the run directory, the lines printed, the exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e.helpers import (
    add_deployment,
    approved_brand,
    clone,
    latest_results,
    latest_run,
    promptlib,
    run_real,
    single_line_error,
    write,
)

PADLOCK = "brand/icon-padlock"


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")


def test_a_run_writes_results_summary_report_and_images(repo: Path) -> None:
    result = promptlib(repo, "eval", PADLOCK, "brand/logo-crane-symbol")
    assert result.exit_code == 0
    run = latest_run(repo)
    assert run.parent == repo / ".promptlib" / "runs"
    assert {"results.json", "summary.md", "report.html", "samples", "goldens"} <= {p.name for p in run.iterdir()}
    assert result.output.rstrip().endswith(f"report: {run / 'report.html'}")
    results = json.loads((run / "results.json").read_text())
    assert results["run_id"] == run.name
    for case in results["cases"]:
        assert [s["file"] for s in case["samples"]] == [f"samples/{case['key']}/s{i}.png" for i in range(3)]
        for sample in case["samples"]:
            assert (run / sample["file"]).is_file()
            assert (run / sample["nearest_golden"]).is_file()  # the golden it was compared with, copied beside it
        assert all((run / g["file"]).is_file() for g in case["goldens"])
    html = (run / "report.html").read_text()
    assert PADLOCK in html and "icon-padlock/s0.png" in html
    assert "passed" in (run / "summary.md").read_text()


def test_all_passed_exits_0_with_one_totals_line(repo: Path) -> None:
    result = promptlib(repo, "eval", "brand")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "6 passed · 0 requests, 6 cache hits, 18 images · no cost (emulator; on gpt-image-2 this would cost about $"
    )  # an emulator bills nothing: the figure is an estimate
    assert len(lines) == 2 and lines[1].startswith("report: ")
    assert "[6/6] brand/" in result.stderr  # plain progress lines when not on a terminal


def test_every_status_gets_a_line_and_the_totals_count_them(repo: Path) -> None:
    add_deployment(repo, "guarded", seed=7, block=["forbidden"])
    write(
        repo,
        "evals/mixed.yaml",
        """\
deployment: guarded
cases:
  - id: brand-new
    prompt: icons/feature-icon
    variables: {subject: a brass key}
  - id: blocked
    prompt: icons/feature-icon
    variables: {subject: a forbidden sign}
  - id: wrong-format
    prompt: icons/feature-icon
    variables: {subject: a brass key}
    expect: {format: jpeg}
  - id: broken
    prompt: icons/feature-icon
    variables: {subject: no}
""",
    )
    result = promptlib(repo, "eval", "mixed", PADLOCK)
    assert result.exit_code == 1
    out = result.stdout
    run_id = latest_run(repo).name
    assert (
        f"new        mixed/brand-new: no goldens yet; review the samples, then: promptlib approve {run_id} "
        "--case mixed/brand-new"
    ) in out
    assert f"1 new case(s): look at the report, then approve them all with: promptlib approve {run_id} --all-new" in out
    assert "blocked    mixed/blocked: blocked by the safety system" in out
    assert "failed     mixed/wrong-format: format is png, expected jpeg" in out
    assert "error      mixed/broken: " in out
    assert PADLOCK not in out.split("·")[0]  # passed cases are not listed one by one
    assert "1 passed, 1 new, 1 blocked, 1 failed, 1 error · " in out


def test_new_cases_fail_the_run_and_the_summary_says_how_to_approve(repo: Path) -> None:
    write(
        repo,
        "evals/fresh.yaml",
        "cases:\n  - id: key\n    prompt: icons/feature-icon\n    variables: {subject: a brass key}\n",
    )
    result = promptlib(repo, "eval", "fresh")
    assert result.exit_code == 1
    assert "1 new · " in result.stdout
    summary = (latest_run(repo) / "summary.md").read_text()
    assert f"promptlib approve {latest_run(repo).name} --case fresh/key" in summary


def test_github_step_summary_gets_the_summary_appended(repo: Path, tmp_path: Path) -> None:
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("## earlier step\n")
    result = promptlib(repo, "eval", PADLOCK, env={"GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.exit_code == 0
    summary = (latest_run(repo) / "summary.md").read_text()
    assert step_summary.read_text() == "## earlier step\n" + summary
    assert summary.startswith("### promptlib eval: 1 passed")


def test_an_unwritable_step_summary_is_a_warning_not_a_failure(repo: Path, tmp_path: Path) -> None:
    result = promptlib(repo, "eval", PADLOCK, env={"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")})
    assert result.exit_code == 0
    assert "warning: could not append to GITHUB_STEP_SUMMARY" in result.stderr


def test_json_prints_results_json(repo: Path) -> None:
    result = promptlib(repo, "eval", "--json", PADLOCK)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == latest_results(repo)


def test_run_dir_puts_the_run_where_ci_uploads_it(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "artifact"
    result = promptlib(repo, "eval", "--run-dir", str(target), PADLOCK)
    assert result.exit_code == 0
    assert (target / "results.json").is_file() and (target / "samples" / PADLOCK / "s0.png").is_file()
    assert latest_run(repo) == target.resolve()


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("brnad", "error: no suite 'brnad'; did you mean 'brand'? suites: brand"),
        (
            "brand/icon-pad",
            "error: suite 'brand' has no case 'icon-pad'; did you mean 'icon-padlock'? its cases: logo-crane-symbol, ",
        ),
        ("nope/icon-padlock", "error: no suite 'nope/icon-padlock'; suites: brand"),
    ],
)
def test_unknown_suite_or_case_exits_2_with_one_line(repo: Path, selector: str, message: str) -> None:
    runs = repo / ".promptlib" / "runs"
    before = sorted(runs.iterdir())
    result = promptlib(repo, "eval", selector)
    assert result.exit_code == 2
    assert single_line_error(result.output).startswith(message)
    assert sorted(runs.iterdir()) == before  # nothing ran


def test_selectors_choose_suites_and_cases(repo: Path) -> None:
    promptlib(repo, "eval", "brand/icon-padlock", "brand/logo-leaf-wordmark")
    assert sorted(c["key"] for c in latest_results(repo)["cases"]) == ["brand/icon-padlock", "brand/logo-leaf-wordmark"]
    promptlib(repo, "eval", "brand")
    assert len(latest_results(repo)["cases"]) == 6


def test_the_real_command_exits_0_1_and_2_without_a_traceback(repo: Path) -> None:
    passed = run_real(repo, "eval", PADLOCK)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith("1 passed · ")

    shutil.rmtree(repo / "evals" / "goldens" / PADLOCK)
    new = run_real(repo, "eval", PADLOCK)
    assert new.returncode == 1, new.stderr
    assert f"new        {PADLOCK}: no goldens yet" in new.stdout

    usage = run_real(repo, "eval", "brnad")
    assert usage.returncode == 2
    assert usage.stderr.strip() == "error: no suite 'brnad'; did you mean 'brand'? suites: brand"
    for proc in (passed, new, usage):
        assert "Traceback" not in proc.stdout + proc.stderr
