"""`promptlib goldens list|prune` and `promptlib calibrate`: what golden sets exist, and what a case's spread is."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from e2e.helpers import (
    BRAND,
    add_deployment,
    approved_brand,
    clone,
    golden_dir,
    latest_results,
    manifest,
    promptlib,
    single_line_error,
    write,
)

PADLOCK = "brand/icon-padlock"


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")


def drop_cases(repo: Path, *names: str) -> None:
    """Remove cases from the brand suite, as a PR would."""
    path = repo / "evals" / "brand.yaml"
    blocks = re.split(r"(?m)^(?=  - id: )", path.read_text())
    path.write_text("".join(b for b in blocks if not any(b.startswith(f"  - id: {n}\n") for n in names)))


def test_list_shows_every_golden_set(repo: Path) -> None:
    result = promptlib(repo, "goldens", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(f"brand/{name}" for name in BRAND)
    padlock = next(line for line in lines if line.startswith(PADLOCK))
    thresholds = manifest(repo, PADLOCK)["calibration"]["thresholds"]
    assert re.fullmatch(
        rf"brand/icon-padlock\s+3 golden\(s\)\s+ok\s+dhash={thresholds['dhash']} phash={thresholds['phash']} "
        rf"whash={thresholds['whash']}\s+icons/feature-icon v1",
        padlock,
    )
    assert "UNUSED" not in result.stdout


def test_list_json_and_unused_flag(repo: Path) -> None:
    drop_cases(repo, "icon-padlock")
    result = promptlib(repo, "goldens", "list", "--json")
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows[PADLOCK]["unused"] is True
    assert rows["brand/logo-crane-symbol"]["unused"] is False
    assert rows[PADLOCK] | {"thresholds": None} == {
        "key": PADLOCK,
        "goldens": 3,
        "rejected": 0,
        "sensitivity": "ok",
        "thresholds": None,
        "template": "icons/feature-icon",
        "version": 1,
        "unused": True,
    }
    text = promptlib(repo, "goldens", "list").stdout
    assert next(line for line in text.splitlines() if line.startswith(PADLOCK)).endswith("  UNUSED")


def test_list_with_no_goldens_says_what_to_do(repo: Path) -> None:
    shutil.rmtree(repo / "evals" / "goldens")
    result = promptlib(repo, "goldens", "list")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no goldens yet: run `promptlib eval`, then `promptlib approve --all-new`"


def test_prune_removes_only_goldens_of_cases_that_no_longer_exist(repo: Path) -> None:
    drop_cases(repo, "icon-padlock", "edit-mug-on-sand")
    shutil.copytree(golden_dir(repo, "brand/logo-crane-symbol"), repo / "evals/goldens/old-suite/logo")
    result = promptlib(repo, "goldens", "prune")
    assert result.exit_code == 0
    removed = sorted(line.removeprefix("removed ") for line in result.stdout.splitlines())
    assert removed == sorted(
        str(golden_dir(repo, key)) for key in ("brand/edit-mug-on-sand", PADLOCK, "old-suite/logo")
    )
    assert not golden_dir(repo, PADLOCK).exists() and not (repo / "evals/goldens/old-suite").exists()
    remaining = {p.parent.name for p in (repo / "evals" / "goldens").rglob("case.json")}
    assert remaining == set(BRAND) - {"icon-padlock", "edit-mug-on-sand"}
    again = promptlib(repo, "goldens", "prune")
    assert again.stdout.strip() == "no unused goldens"
    assert promptlib(repo, "eval").exit_code == 0  # the full run no longer reports anything unused


def test_prune_with_no_suites_refuses_instead_of_deleting_everything(repo: Path) -> None:
    (repo / "evals" / "brand.yaml").rename(repo / "evals" / "brand.yml")  # a rename the suite loader does not read
    result = promptlib(repo, "goldens", "prune")
    assert result.exit_code == 2
    assert "refusing to prune every golden set" in single_line_error(result.output)
    assert len(list((repo / "evals" / "goldens").rglob("case.json"))) == len(BRAND)


def test_a_corrupt_manifest_is_one_clear_line(repo: Path) -> None:
    path = golden_dir(repo, PADLOCK) / "case.json"
    path.write_text(path.read_text()[:-40])
    result = promptlib(repo, "goldens", "list")
    assert result.exit_code == 1
    line = single_line_error(result.output)
    assert str(path) in line or "evals/goldens/brand/icon-padlock/case.json" in line
    assert "not valid JSON" in line


def test_calibrate_prints_spread_threshold_and_how_the_goldens_fare(repo: Path) -> None:
    cache = sorted(p for p in (repo / ".promptlib" / "cache").rglob("*") if p.is_file())
    result = promptlib(repo, "calibrate", PADLOCK, "--samples", "4")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{PADLOCK}: 4 fresh samples on local (gpt-image-2)"
    for line, alg in zip(lines[1:4], ("phash", "dhash", "whash"), strict=True):
        assert re.fullmatch(
            rf"  {alg}\s+spread \(leave-one-out max\) \d+, other cases p5 \d+ \(measured\) "
            r"-> threshold \d+",
            line,
        ), line
    assert lines[4] == "  sensitivity: ok"
    assert re.fullmatch(
        r"  against the 3 approved golden\(s\) \(thresholds .*\): 4/4 samples match; pHash nearest "
        r"distance min \d+, median \d+(\.\d+)?, max \d+",
        lines[5],
    ), lines[5]
    assert sorted(p for p in (repo / ".promptlib" / "cache").rglob("*") if p.is_file()) == cache  # never cached


def test_calibrate_a_case_without_goldens(repo: Path) -> None:
    write(
        repo,
        "evals/fresh.yaml",
        "cases:\n  - id: key\n    prompt: icons/feature-icon\n    variables: {subject: a brass key}\n",
    )
    result = promptlib(repo, "calibrate", "fresh/key", "--samples", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "  no goldens yet: approve samples from `promptlib eval` to set these thresholds"
    )


def test_calibrate_uses_the_deployment_eval_would_use(repo: Path) -> None:
    """PROMPTLIB_DEPLOYMENT overrides the suite's deployment for eval, so it must for calibrate too."""
    add_deployment(repo, "mini", model="gpt-image-1-mini", seed=3, variance=0.1)
    env = {"PROMPTLIB_DEPLOYMENT": "mini"}
    promptlib(repo, "eval", PADLOCK, env=env)
    assert latest_results(repo)["deployments"] == ["mini"]
    result = promptlib(repo, "calibrate", PADLOCK, "--samples", "2", env=env)
    assert result.stdout.splitlines()[0] == f"{PADLOCK}: 2 fresh samples on mini (gpt-image-1-mini)"
    flagged = promptlib(repo, "calibrate", PADLOCK, "--samples", "2", "--deployment", "local", env=env)
    assert flagged.stdout.splitlines()[0] == f"{PADLOCK}: 2 fresh samples on local (gpt-image-2)"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("brand", "error: calibrate takes one SUITE/CASE, 'brand' names 6 cases"),
        ("brand/nope", "error: suite 'brand' has no case 'nope'"),
    ],
)
def test_calibrate_mistakes_exit_2(repo: Path, target: str, message: str) -> None:
    result = promptlib(repo, "calibrate", target)
    assert result.exit_code == 2
    assert single_line_error(result.output).startswith(message)


def test_calibrate_needs_at_least_two_samples(repo: Path) -> None:
    result = promptlib(repo, "calibrate", PADLOCK, "--samples", "1")
    assert result.exit_code == 2
