"""`promptlib diff [REF] [--json]`: what a reviewer reads, what a tool parses, and the exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e.helpers import promptlib, single_line_error
from git.test_diff import ADDED_LINE, INCLUDERS, PARTIAL, build_git_example, edit_partial


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_git_example(tmp_path_factory.mktemp("cli-diff") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


def test_text_output_names_each_changed_template_with_its_rendered_diff(repo: Path) -> None:
    edit_partial(repo)
    result = promptlib(repo, "diff", "HEAD")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("comparing the working tree with HEAD (") and "2 changed" in lines[0]
    listed = {line.split()[1] for line in lines if line.startswith(("changed ", "added ", "removed "))}
    assert listed == INCLUDERS
    assert f"  partial {PARTIAL} changed" in lines
    assert f"    +{ADDED_LINE}" in lines
    assert any(line.startswith("    --- a/seasonal/campaign-hero:") for line in lines)
    assert "content changed without a version bump" in result.output


def test_json_is_the_same_comparison_for_tools(repo: Path) -> None:
    edit_partial(repo)
    result = promptlib(repo, "diff", "HEAD", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["ref"] == "HEAD" and len(data["commit"]) == 40
    assert {t["template_id"] for t in data["templates"]} == INCLUDERS
    for template in data["templates"]:
        assert template["partials"] == [PARTIAL] and template["version_change"] == "v1 → v1"
        changed = [e for e in template["examples"] if e["status"] == "changed"]
        assert changed and all(f"+{ADDED_LINE}" in e["diff"] for e in changed)


def test_no_changes_says_so_and_exits_0(repo: Path) -> None:
    result = promptlib(repo, "diff", "HEAD")
    assert result.exit_code == 0
    assert "no template changed" in result.output


def test_bad_ref_exits_2_with_one_line(repo: Path) -> None:
    result = promptlib(repo, "diff", "no-such-ref")
    assert result.exit_code == 2
    assert "'no-such-ref' is not a commit" in single_line_error(result.output)


def test_not_a_git_repository_exits_2_with_one_line(repo: Path, tmp_path: Path) -> None:
    plain = Path(shutil.copytree(repo, tmp_path / "plain", ignore=shutil.ignore_patterns(".git")))
    result = promptlib(plain, "diff")
    assert result.exit_code == 2
    assert "not in a git repository" in single_line_error(result.output)
