"""`promptlib init`: a new user's first command must leave a project that passes check straight away."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from project_helpers import run_promptlib


@pytest.fixture
def empty_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    return repo


def test_init_then_check_passes(empty_repo: Path, invoke: Callable[..., Result]) -> None:
    """init in an empty directory writes a working project; check, list and render succeed right after."""
    result = invoke("init")
    assert result.exit_code == 0, result.output
    for name in (
        "promptlib.yaml",
        "prompts/example/product-shot.yaml",
        "prompts/partials/house-style.j2",
        "prompts/prompts.lock",
        "evals/example.yaml",
        "schemas/template.schema.json",
        ".gitignore",
    ):
        assert (empty_repo / name).is_file(), name
        assert f"wrote {name}" in result.output or name in result.output
    assert "next: `promptlib check`" in result.output

    check = invoke("check")
    assert check.exit_code == 0, check.output
    assert "1 templates, 1 partials, 1 suites: ok" in check.output

    assert invoke("list").output.startswith("example/product-shot")
    rendered = invoke("render", "example/product-shot", "--example", "mug")
    assert rendered.exit_code == 0
    assert "a white ceramic mug" in rendered.output


def test_init_lock_is_current(empty_repo: Path, invoke: Callable[..., Result]) -> None:
    """The lock init writes already matches the example, so `promptlib lock` changes nothing."""
    invoke("init")
    before = (empty_repo / "prompts/prompts.lock").read_text()
    assert list(json.loads(before)) == ["example/product-shot"]
    assert invoke("lock").exit_code == 0
    assert (empty_repo / "prompts/prompts.lock").read_text() == before


def test_init_into_a_named_directory(tmp_path: Path, invoke: Callable[..., Result]) -> None:
    """`promptlib init DIR` creates DIR if needed, and `-C DIR check` then passes."""
    target = tmp_path / "new" / "project"
    assert invoke("init", str(target)).exit_code == 0
    assert (target / "promptlib.yaml").is_file()
    assert invoke("-C", str(target), "check").exit_code == 0


def test_init_refuses_an_existing_project(empty_repo: Path, invoke: Callable[..., Result]) -> None:
    """A second init exits 2 and leaves the existing config untouched."""
    (empty_repo / "promptlib.yaml").write_text("prompts: mine\n")
    result = invoke("init")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "promptlib.yaml already exists; this directory is already a promptlib project"
    )
    assert (empty_repo / "promptlib.yaml").read_text() == "prompts: mine\n"
    assert not (empty_repo / "prompts").exists()


def test_init_keeps_existing_gitignore_and_files(empty_repo: Path, invoke: Callable[..., Result]) -> None:
    """An existing .gitignore gains .promptlib/ once; an existing partial with the example's name is kept."""
    (empty_repo / ".gitignore").write_text("node_modules/")
    partial = empty_repo / "prompts/partials/house-style.j2"
    partial.parent.mkdir(parents=True)
    partial.write_text("Our own house style.\n")
    assert invoke("init").exit_code == 0
    assert (empty_repo / ".gitignore").read_text() == "node_modules/\n.promptlib/\n"
    assert partial.read_text() == "Our own house style.\n"
    assert invoke("check").exit_code == 0


def test_init_in_a_repo_with_a_foreign_yaml_under_prompts(empty_repo: Path, invoke: Callable[..., Result]) -> None:
    """A pre-existing YAML file that is not a template does not make init fail half-way; check reports it."""
    legacy = empty_repo / "prompts/legacy.yaml"
    legacy.parent.mkdir()
    legacy.write_text("foo: bar\n")
    result = invoke("init")
    assert result.exit_code == 0, result.output
    assert (empty_repo / "prompts/prompts.lock").is_file()
    check = invoke("check")
    assert check.exit_code == 1
    assert "prompts/legacy.yaml:1: foo: unknown field" in check.output
    assert "example/product-shot" not in check.output


def test_init_end_to_end_in_a_real_process(tmp_path: Path) -> None:
    """The real command: init, then check, both exit 0 with no traceback."""
    repo = tmp_path / "repo"
    repo.mkdir()
    first = run_promptlib("init", cwd=repo)
    assert first.returncode == 0, first.stderr
    second = run_promptlib("check", cwd=repo)
    assert second.returncode == 0, second.stderr
    again = run_promptlib("init", cwd=repo)
    assert again.returncode == 2
    assert again.stderr.startswith("error: ")
    assert "Traceback" not in again.stderr
