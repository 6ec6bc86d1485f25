"""`promptlib approve` and `promptlib reject`: the author's side of the golden workflow, from the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e.helpers import (
    approved_brand,
    by_key,
    clone,
    latest_results,
    latest_run,
    manifest,
    promptlib,
    single_line_error,
    write,
)

FRESH = """\
cases:
  - id: key
    prompt: icons/feature-icon
    variables: {subject: a brass key}
  - id: bell
    prompt: icons/feature-icon
    variables: {subject: a ringing bell, accent: teal}
"""
PADLOCK = "brand/icon-padlock"


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")
    write(root, "evals/fresh.yaml", FRESH)
    return root


@pytest.fixture
def git_user(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Dana Reviewer\n")
    return {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}


def test_approve_all_new_from_the_latest_run_then_eval_passes(repo: Path, git_user: dict[str, str]) -> None:
    first = promptlib(repo, "eval", "fresh")
    assert first.exit_code == 1
    result = promptlib(repo, "approve", "--all-new", env=git_user)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    pattern = r"approved fresh/{}: 3 golden\(s\), sensitivity (ok|low), thresholds phash \d+, dhash \d+, whash \d+"
    assert re.fullmatch(pattern.format("bell"), lines[0])
    assert re.fullmatch(pattern.format("key"), lines[1])
    assert lines[2] == "review and commit evals/goldens/ with the template change"
    data = manifest(repo, "fresh/key")
    assert {g["approved_by"] for g in data["goldens"]} == {"Dana Reviewer"}  # --by defaults to git user.name
    assert {g["source_run"] for g in data["goldens"]} == {latest_run(repo).name}
    again = promptlib(repo, "eval", "fresh")
    assert again.exit_code == 0, again.output


def test_approve_chosen_samples_of_one_case_by_a_named_reviewer(repo: Path) -> None:
    promptlib(repo, "eval", "fresh")
    result = promptlib(repo, "approve", "--case", "fresh/key", "--sample", "0", "--sample", "2", "--by", "Sam")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("approved fresh/key: 2 golden(s)")
    data = manifest(repo, "fresh/key")
    assert [(g["sample"], g["approved_by"]) for g in data["goldens"]] == [(0, "Sam"), (2, "Sam")]
    assert not (repo / "evals/goldens/fresh/bell").exists()


def test_approve_from_an_older_run_by_id(repo: Path) -> None:
    promptlib(repo, "eval", "fresh")
    older = latest_run(repo).name
    promptlib(repo, "eval", PADLOCK)  # the latest run has no fresh cases
    assert promptlib(repo, "approve", "--case", "fresh/bell").exit_code == 2
    result = promptlib(repo, "approve", older, "--case", "fresh/bell", "--by", "Sam")
    assert result.exit_code == 0, result.output
    assert {g["source_run"] for g in manifest(repo, "fresh/bell")["goldens"]} == {older}


def test_approve_add_keeps_the_existing_goldens(repo: Path) -> None:
    promptlib(repo, "eval", "fresh/key")
    promptlib(repo, "approve", "--case", "fresh/key", "--sample", "0", "--by", "a")
    result = promptlib(repo, "approve", "--case", "fresh/key", "--sample", "1", "--add", "--by", "b")
    assert result.stdout.startswith("approved fresh/key: 2 golden(s)")
    assert [g["approved_by"] for g in manifest(repo, "fresh/key")["goldens"]] == ["a", "b"]


def test_approving_a_failed_case_replaces_its_goldens(repo: Path) -> None:
    goldens_before = {g["sha256"] for g in manifest(repo, PADLOCK)["goldens"]}
    write(
        repo,
        "evals/brand.yaml",
        (repo / "evals/brand.yaml")
        .read_text()
        .replace(
            "variables: {subject: a closed padlock}", "variables: {subject: an open padlock with a key beside it}"
        ),
    )
    failed = promptlib(repo, "eval", PADLOCK)
    assert by_key(latest_results(repo))[PADLOCK]["status"] == "failed"
    assert promptlib(repo, "approve", "--case", PADLOCK, "--by", "Sam").exit_code == 0
    assert {g["sha256"] for g in manifest(repo, PADLOCK)["goldens"]}.isdisjoint(goldens_before)
    assert failed.exit_code == 1
    assert promptlib(repo, "eval", PADLOCK).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("approve",), "error: say which cases to approve: --case SUITE/CASE (repeatable) or --all-new"),
        (("approve", "--case", "fresh/nope"), "error: the run at {run} has no case 'fresh/nope'; it has: "),
        (("approve", "no-such-run", "--case", "fresh/key"), "error: "),
        (("approve", "--case", "fresh/key", "--sample", "9"), "error: fresh/key has no sample 9; samples: 0, 1, 2"),
    ],
)
def test_approve_mistakes_exit_2_with_one_line(repo: Path, args: tuple[str, ...], message: str) -> None:
    promptlib(repo, "eval", "fresh")
    result = promptlib(repo, *args)
    assert result.exit_code == 2
    run = Path((repo / ".promptlib/runs/latest").read_text().strip())
    assert single_line_error(result.output).startswith(message.format(run=run))
    assert not (repo / "evals/goldens/fresh").exists()


def test_approve_before_any_run_says_to_run_eval_first(repo: Path) -> None:
    import shutil

    shutil.rmtree(repo / ".promptlib" / "runs")
    result = promptlib(repo, "approve", "--all-new")
    assert result.exit_code == 2
    assert "run `promptlib eval` first" in single_line_error(result.output)


def test_reject_of_a_near_copy_of_a_golden_asks_for_force(repo: Path) -> None:
    """Rejecting a sample that hashes like the goldens would fail most later runs: say so, write nothing."""
    promptlib(repo, "eval", PADLOCK)
    before = manifest(repo, PADLOCK)
    result = promptlib(repo, "reject", "--case", PADLOCK, "--sample", "1", "--reason", "shackle drawn open")
    assert result.exit_code == 2
    assert single_line_error(result.output).startswith(f"error: sample 1 of {PADLOCK} is nearly identical to golden g-")
    assert "or pass --force if that look really is wrong" in result.output
    assert manifest(repo, PADLOCK) == before


def test_reject_records_a_bad_sample_and_look_alikes_then_fail_with_the_reason(repo: Path) -> None:
    promptlib(repo, "eval", PADLOCK)
    run = latest_run(repo).name
    result = promptlib(
        repo,
        "reject",
        run,
        "--case",
        PADLOCK,
        "--sample",
        "1",
        "--reason",
        "shackle drawn open",
        "--by",
        "Erin",
        "--force",
    )
    assert result.exit_code == 0, result.output
    (entry,) = manifest(repo, PADLOCK)["rejected"]
    assert result.stdout.strip() == (
        f"rejected sample 1 of {PADLOCK}; 1 rejected image(s) on record (undo: "
        f"promptlib unreject --case {PADLOCK} --sha {entry['sha256'][:12]})"
    )
    assert (entry["reason"], entry["by"], entry["source_run"]) == ("shackle drawn open", "Erin", run)
    assert len(manifest(repo, PADLOCK)["goldens"]) == 2

    again = promptlib(repo, "eval", PADLOCK)
    case = by_key(latest_results(repo))[PADLOCK]
    assert again.exit_code == 1
    assert case["status"] == "failed"
    assert case["message"] == "looks like a rejected image: shackle drawn open"
    assert case["samples"][1]["verdict"] == "looks-rejected"

    undone = promptlib(repo, "unreject", "--case", PADLOCK, "--sha", entry["sha256"][:12])
    assert undone.exit_code == 0, undone.output
    assert manifest(repo, PADLOCK)["rejected"] == []
    assert promptlib(repo, "eval", PADLOCK).exit_code == 0


def test_reject_of_a_case_without_goldens_is_one_clear_line(repo: Path) -> None:
    promptlib(repo, "eval", "fresh/key")
    result = promptlib(
        repo, "reject", latest_run(repo).name, "--case", "fresh/key", "--sample", "0", "--reason", "blurry"
    )
    assert result.exit_code == 1
    line = single_line_error(result.output)
    assert "fresh/key has no goldens yet; approve good samples first, then reject bad ones" in line


def test_reject_needs_run_case_sample_and_reason(repo: Path) -> None:
    promptlib(repo, "eval", PADLOCK)
    result = promptlib(repo, "reject", latest_run(repo).name, "--case", PADLOCK, "--sample", "1")
    assert result.exit_code == 2
    assert "--reason" in result.output
