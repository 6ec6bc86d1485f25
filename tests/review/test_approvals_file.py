"""`promptlib approve --from approvals.json` holds an exported file to approve's own rules: a doctored run or
approvals file is refused with one line and exit 2, and nothing under the project changes."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from e2e.helpers import by_key, latest_results, latest_run, promptlib

from promptlib.review._approvals import approvals_schema

from .helpers import PADLOCK, PLANE


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the project and beside it (outside writes would show), except run state."""
    base = root.parent
    return {
        p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in base.rglob("*")
        if p.is_file() and ".promptlib" not in p.parts and p.name != "approvals.json"
    }


def approvals(root: Path, *decisions: tuple[str, int, str], add: bool = False) -> dict[str, Any]:
    """What report.html exports for these (key, sample, decision) ticks on the latest run."""
    cases = by_key(latest_results(root))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for key, sample, decision in decisions:
        entry = {"sample": sample, "sha256": cases[key]["samples"][sample]["sha256"], "decision": decision}
        if decision == "reject":
            entry["reason"] = "not the look"
        grouped.setdefault(key, []).append(entry)
    return {
        "schema": "promptlib-approvals/1",
        "run_id": latest_run(root).name,
        "exported_at": "2026-12-01T22:00:00Z",
        "cases": [{"key": key, "add": add, "samples": samples} for key, samples in grouped.items()],
    }


def save(root: Path, data: object) -> Path:
    path = root.parent / "approvals.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def refused(root: Path, *args: str) -> str:
    before = snapshot(root)
    result = promptlib(root, "approve", *args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert snapshot(root) == before
    return result.output


def test_an_exported_file_matches_the_published_schema(regressed: Path) -> None:
    jsonschema.validate(approvals(regressed, (PADLOCK, 0, "approve"), (PLANE, 1, "reject")), approvals_schema())
    schemas = json.loads(promptlib(regressed, "schema").stdout)
    assert schemas["approvals"]["additionalProperties"] is False


def test_a_file_from_another_run_is_refused(regressed: Path) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"))
    data["run_id"] = "20250101-000000-dead"
    message = refused(regressed, "--from", str(save(regressed, data)))
    assert "was exported from run '20250101-000000-dead'" in message and "pass that run's directory" in message


def test_a_sample_changed_after_review_is_refused(regressed: Path) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"))
    run = latest_run(regressed)
    sample = run / by_key(latest_results(regressed))[PADLOCK]["samples"][0]["file"]
    other = run / by_key(latest_results(regressed))[PADLOCK]["samples"][1]["file"]
    sample.unlink()
    shutil.copyfile(other, sample)  # same size and format: only the sha256 tells
    message = refused(regressed, "--from", str(save(regressed, data)))
    assert "is not the image that was reviewed" in message


def test_a_doctored_run_aiming_at_another_folder_is_refused(regressed: Path) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"))
    results_path = latest_run(regressed) / "results.json"
    results = json.loads(results_path.read_text())
    for case in results["cases"]:
        if case["key"] == PADLOCK:
            case.update(suite="../../outside", key="../../outside/icon-padlock")
    results_path.write_text(json.dumps(results))
    data["cases"][0]["key"] = "../../outside/icon-padlock"
    assert "is not a case of this project's suites" in refused(regressed, "--from", str(save(regressed, data)))


BAD_FILES: dict[str, Callable[[dict[str, Any]], object]] = {
    "a rejection without a reason": lambda d: d["cases"][0]["samples"][0].update(decision="reject"),
    "an unknown field": lambda d: d.update(command="rm -rf /"),
    "a wrong schema": lambda d: d.update(schema="promptlib-approvals/9"),
    "a sha256 that is not one": lambda d: d["cases"][0]["samples"][0].update(sha256="../../etc/passwd"),
    "a negative sample": lambda d: d["cases"][0]["samples"][0].update(sample=-1),
    "no cases": lambda d: d.update(cases=[]),
}


@pytest.mark.parametrize("what", BAD_FILES)
def test_a_malformed_file_is_one_line_naming_it(regressed: Path, what: str) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"))
    BAD_FILES[what](data)
    message = refused(regressed, "--from", str(save(regressed, data)))
    assert "approvals.json" in message and "is not a promptlib approvals file at " in message


@pytest.mark.parametrize(
    "text", ["not json", "[" * 200_000, json.dumps({"cases": "x" * (5 * 1024 * 1024)})], ids=["text", "deep", "huge"]
)
def test_unreadable_files_are_one_line(regressed: Path, text: str) -> None:
    message = refused(regressed, "--from", str(save(regressed, text)))
    assert "approvals.json" in message


def test_nothing_is_written_when_a_later_entry_is_bad(regressed: Path) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"), (PLANE, 0, "approve"))
    data["cases"][1]["samples"][0]["sha256"] = "0" * 64
    assert "is not the image that was reviewed" in refused(regressed, "--from", str(save(regressed, data)))


def test_the_same_case_or_sample_twice_is_refused(regressed: Path) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"))
    data["cases"].append(data["cases"][0])
    assert "names a case twice" in refused(regressed, "--from", str(save(regressed, data)))
    data = approvals(regressed, (PADLOCK, 0, "approve"), (PADLOCK, 0, "reject"))
    assert "decides sample 0 of brand/icon-padlock twice" in refused(regressed, "--from", str(save(regressed, data)))


def test_rejecting_a_near_copy_of_a_sample_approved_in_the_same_file_is_refused(regressed: Path) -> None:
    data = approvals(regressed, (PADLOCK, 0, "approve"), (PADLOCK, 0, "approve"))
    data["cases"][0]["samples"][1] = dict(data["cases"][0]["samples"][0], sample=1, decision="reject", reason="x")
    data["cases"][0]["samples"][1]["sha256"] = by_key(latest_results(regressed))[PADLOCK]["samples"][1]["sha256"]
    message = refused(regressed, "--from", str(save(regressed, data)))  # samples of one prompt cluster: 1 copies 0
    assert "is nearly identical to golden (sample 0, approved in the same file)" in message
    assert "--force" not in message


def test_from_and_dry_run_are_used_together_or_not_at_all(regressed: Path) -> None:
    path = str(save(regressed, approvals(regressed, (PADLOCK, 0, "approve"))))
    assert "drop --case" in refused(regressed, "--from", path, "--case", PADLOCK)
    assert "--dry-run goes with --from FILE" in refused(regressed, "--dry-run")
