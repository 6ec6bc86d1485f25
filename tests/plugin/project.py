"""The tiny project the plugin tests run pytest on: one template, one suite of two cases, goldens approved."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from promptlib.cli import cli

CONFIG = """\
prompts: prompts
evals: evals
default_deployment: local
deployments:
  local: {kind: emulator, seed: 1, variance: 0, block: [forbidden]}
  other: {kind: emulator, seed: 1, variance: 0}
"""

TEMPLATE = """\
version: 1
description: A flat badge icon.
variables:
  subject: {type: string, required: true}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: |
  A flat vector badge icon of {{ subject }}, centered, bold outline, white background.
"""

SUITE = """\
samples: 2
policy: {min_matches: 1, max_samples: 2}
cases:
  - id: crane
    prompt: badge
    variables: {subject: a red crane}
  - id: fox
    prompt: badge
    variables: {subject: an orange fox}
"""

PLAIN_TEST = "def test_plain():\n    assert True\n"


def write_project(root: Path) -> None:
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "evals").mkdir(exist_ok=True)
    (root / "promptlib.yaml").write_text(CONFIG)
    (root / "prompts" / "badge.yaml").write_text(TEMPLATE)
    (root / "evals" / "badges.yaml").write_text(SUITE)


def approve_all(root: Path) -> None:
    """What a user does first: ``promptlib eval`` (2 new cases), then ``promptlib approve --all-new``."""
    runner = CliRunner()
    first = runner.invoke(cli, ["-C", str(root), "eval"])
    assert first.exit_code == 1, first.output
    approved = runner.invoke(cli, ["-C", str(root), "approve", "--all-new", "--by", "tester"])
    assert approved.exit_code == 0, approved.output


def copy_project(source: Path, target: Path) -> None:
    """The approved project (cache included, earlier runs left out) in ``target``."""
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("runs"))


def change_subject(root: Path, old: str, new: str) -> None:
    path = root / "prompts" / "badge.yaml"
    path.write_text(path.read_text().replace(old, new))
