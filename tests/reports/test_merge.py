"""Sharded evals joined by `promptlib report merge` give the same verdicts as one unsharded run.

The project is built in tmp_path with an emulator deployment at ``variance: 0`` and a fixed seed, so every
draw of a prompt is the same image and two runs of a case must agree; shards and the unsharded run share the
result cache, which keeps the test fast without changing any verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from promptlib.cli import cli

SUBJECTS = ("anchor", "bicycle", "cactus", "drum", "easel", "feather", "globe", "harp", "igloo", "jellyfish", "kite")
CONFIG = """\
prompts: prompts
evals: evals
default_deployment: local
deployments:
  local: {kind: emulator, variance: 0, seed: 11}
"""
ICON = """\
version: 1
description: A flat icon of one subject.
variables:
  subject: {type: string, max_length: 60}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: A flat vector icon of {{ subject }}, centred, thick outlines.
"""


def suite(subjects: tuple[str, ...]) -> str:
    lines = ["deployment: local", "samples: 2", "policy: {min_matches: 1, max_samples: 2}", "cases:"]
    for subject in subjects:
        lines += [f"  - id: {subject}", "    prompt: icons/icon", f"    variables: {{subject: {subject}}}"]
    return "\n".join(lines) + "\n"


def promptlib(root: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"promptlib {' '.join(args)} raised {result.exception!r}\n{result.output}")
    return result


def results(run: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run / "results.json").read_text(encoding="utf-8"))
    return data


def latest(root: Path) -> Path:
    return Path((root / ".promptlib/runs/latest").read_text(encoding="utf-8").strip())


def verdicts(data: dict[str, Any]) -> dict[str, tuple[str, int, int]]:
    return {c["key"]: (c["status"], c["matches"], c["drawn"]) for c in data["cases"]}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    from promptlib.deployments import emulator

    with emulator._lock:  # start the seed's sequence afresh (the apps are cached per process)
        emulator._apps.clear()
    root = tmp_path / "repo"
    (root / "prompts/icons").mkdir(parents=True)
    (root / "evals").mkdir()
    (root / "promptlib.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "prompts/icons/icon.yaml").write_text(ICON, encoding="utf-8")
    (root / "evals/icons.yaml").write_text(suite(SUBJECTS[:10]), encoding="utf-8")
    assert promptlib(root, "lock").exit_code == 0
    return root


def run_shards(root: Path, prefix: str, total: int = 3) -> list[Path]:
    runs = []
    for index in range(1, total + 1):
        out = root / f"{prefix}-{index}"
        result = promptlib(root, "eval", "--shard", f"{index}/{total}", "--run-dir", str(out))
        assert result.exit_code in (0, 1), result.output
        runs.append(out)
    return runs


def test_merged_shards_have_the_unsharded_verdicts_and_approve_works_from_them(root: Path) -> None:
    # New cases everywhere: approve from the merged run of three shards.
    shards = run_shards(root, "first")
    keys = [c["key"] for run in shards for c in results(run)["cases"]]
    assert sorted(keys) == sorted(f"icons/{s}" for s in SUBJECTS[:10])  # every case exactly once
    merged = promptlib(root, "report", "merge", *map(str, shards))
    assert merged.exit_code == 0, merged.output
    assert merged.output.startswith("merged 3 runs: 10 new")
    merged_run = latest(root)
    assert set(results(merged_run)["merged_from"]) == {results(r)["run_id"] for r in shards}
    approved = promptlib(root, "approve", "--all-new", "--by", "Sam")
    assert approved.exit_code == 0, approved.output
    assert approved.output.count("approved icons/") == 10
    manifest = json.loads((root / "evals/goldens/icons/anchor/case.json").read_text(encoding="utf-8"))
    assert {g["source_run"] for g in manifest["goldens"]} == {merged_run.name}

    # A mix of verdicts: one case asks for a different picture, one is added (new), the rest pass.
    (root / "evals/icons.yaml").write_text(
        suite(SUBJECTS).replace("{subject: drum}", "{subject: drum}\n    expect: {size: 1536x1024}"),
        encoding="utf-8",
    )
    whole = promptlib(root, "eval", "--run-dir", str(root / "whole"))
    assert whole.exit_code == 1, whole.output
    expected = verdicts(results(root / "whole"))
    assert expected["icons/kite"][0] == "new" and expected["icons/anchor"][0] == "passed"
    assert expected["icons/drum"][0] != "passed", expected

    shards = run_shards(root, "second")
    merged = promptlib(root, "report", "merge", *map(str, shards), "--out", str(root / "merged"))
    assert merged.exit_code == 0, merged.output
    data = results(root / "merged")
    assert verdicts(data) == expected
    assert data["counts"] == results(root / "whole")["counts"]
    assert data["full_run"] is True and data["unused_goldens"] == []
    assert data["totals"]["cases"] == 11
    for case in data["cases"]:
        for sample in case["samples"]:
            assert (root / "merged" / sample["file"]).is_file()
    assert (root / "merged/summary.md").read_text(encoding="utf-8").startswith("### promptlib eval: 9 passed")
    assert "icons/drum" in (root / "merged/report.html").read_text(encoding="utf-8")
