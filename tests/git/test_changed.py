"""`eval --changed-since REF`: exactly the cases a change can affect reach the deployment.

Runs use ``--no-cache`` and a fresh in-process emulator, so the emulator's request log
is the ground truth for what ran: every prompt it received belongs to a selected case,
and every selected case sent one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from e2e.helpers import latest_run, promptlib, reset_emulators, single_line_error

from git.test_diff import ADDED_LINE, INCLUDERS, build_git_example, edit_partial, git
from promptlib._library import Library
from promptlib.deployments import emulator as emulator_deployment
from promptlib.evals._cases import select_cases


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_git_example(tmp_path_factory.mktemp("changed") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


def received_prompts() -> set[str]:
    return {r.prompt for app in emulator_deployment._apps.values() for r in app.requests if r.prompt}


def run_changed(repo: Path, *args: str) -> tuple[Any, dict[str, Any]]:
    reset_emulators()
    result = promptlib(repo, "eval", "--changed-since", "HEAD", "--no-cache", "--samples", "1", *args)
    assert result.exit_code in (0, 1), result.output
    results = json.loads((latest_run(repo) / "results.json").read_text(encoding="utf-8"))
    # What ran is what the emulator saw: one prompt per case, none other.
    assert received_prompts() == {case["prompt"] for case in results["cases"]}
    return result, results


def ran(results: dict[str, Any]) -> set[str]:
    return {case["key"] for case in results["cases"]}


def test_a_partial_edit_runs_exactly_the_cases_of_the_templates_including_it(repo: Path) -> None:
    everything = select_cases(Library.load(repo), [])[0]
    expected = {case.key for case in everything if case.template_id in INCLUDERS}
    assert expected and len(expected) < len(everything)
    edit_partial(repo)

    result, results = run_changed(repo)

    assert ran(results) == expected
    skipped = len(everything) - len(expected)
    assert f"running {len(expected)} cases, skipped {skipped} unchanged cases" in result.output
    changed = results["changed_since"]
    assert (changed["ref"], changed["ran"], changed["skipped"]) == ("HEAD", len(expected), skipped)
    assert set(changed["templates"]) == INCLUDERS
    assert all(reason.startswith("template ") for reason in changed["reasons"].values())
    assert all(ADDED_LINE in case["prompt"] for case in results["cases"] if case["key"] != "social/bottle-park")
    html = (latest_run(repo) / "report.html").read_text(encoding="utf-8")
    assert 'class="template-diff"' in html and f"+{ADDED_LINE}" in html and "Changed since <code>HEAD</code>" in html
    assert "Changed since `HEAD`" in (latest_run(repo) / "summary.md").read_text(encoding="utf-8")


def test_nothing_changed_runs_nothing_and_says_what_it_skipped(repo: Path) -> None:
    result, results = run_changed(repo, "brand")
    assert ran(results) == set()
    assert "running 0 cases, skipped 6 unchanged cases" in result.output


def test_a_suite_entry_change_runs_only_that_case(repo: Path) -> None:
    path = repo / "evals/brand.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("variables: {subject: a closed padlock}", "variables: {subject: an open padlock}"),
        encoding="utf-8",
    )
    _, results = run_changed(repo, "brand")
    assert ran(results) == {"brand/icon-padlock"}
    assert results["changed_since"]["reasons"] == {"brand/icon-padlock": "variables changed"}


def test_an_expectation_change_is_a_suite_entry_change(repo: Path) -> None:
    path = repo / "evals/brand.yaml"
    text = path.read_text(encoding="utf-8")
    old = (
        "    variables: {subject: a paper plane, accent: teal}\n"
        "    expect: {size: 1024x1024, format: png, transparent: false}"
    )
    assert old in text
    path.write_text(text.replace(old, old.replace("format: png, ", "")), encoding="utf-8")
    _, results = run_changed(repo, "brand")
    assert results["changed_since"]["reasons"] == {"brand/icon-paper-plane-teal": "suite entry changed"}


def test_always_cases_run_even_when_unchanged(repo: Path) -> None:
    path = repo / "evals/brand.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("cases:\n", "always: [logo-crane-symbol]\ncases:\n", 1),
        encoding="utf-8",
    )
    git(repo, "commit", "-q", "-am", "always run the crane")
    result, results = run_changed(repo, "brand")
    assert ran(results) == {"brand/logo-crane-symbol"}
    assert results["changed_since"]["reasons"] == {"brand/logo-crane-symbol": "listed under always:"}
    assert "running 1 case, skipped 5 unchanged cases" in result.output


def test_new_suites_and_templates_count_as_changed(repo: Path) -> None:
    shutil.copy2(repo / "prompts/icons/feature-icon.yaml", repo / "prompts/icons/feature-icon-2.yaml")
    (repo / "evals/extra.yaml").write_text(
        "deployment: local\nsamples: 1\npolicy: {min_matches: 1, max_samples: 1}\ncases:\n"
        "  - id: new-icon\n    prompt: icons/feature-icon-2\n    variables: {subject: a lighthouse}\n"
        "  - id: old-icon\n    prompt: icons/feature-icon\n    variables: {subject: a lighthouse}\n",
        encoding="utf-8",
    )
    _, results = run_changed(repo, "extra", "brand")
    assert ran(results) == {"extra/new-icon", "extra/old-icon"}
    assert results["changed_since"]["reasons"] == {
        "extra/new-icon": "template icons/feature-icon-2 changed",
        "extra/old-icon": "new case",
    }
    assert results["changed_since"]["templates"]["icons/feature-icon-2"]["status"] == "added"


def test_a_version_only_change_runs_the_templates_cases(repo: Path) -> None:
    path = repo / "prompts/icons/feature-icon.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("version: 1\n", "version: 2\n", 1), encoding="utf-8")
    _, results = run_changed(repo, "brand")
    assert ran(results) == {"brand/icon-padlock", "brand/icon-paper-plane-teal"}


def test_a_bad_ref_exits_2_with_one_line(repo: Path) -> None:
    result = promptlib(repo, "eval", "--changed-since", "no-such-ref", "brand")
    assert result.exit_code == 2
    assert "'no-such-ref' is not a commit" in single_line_error(result.output)
