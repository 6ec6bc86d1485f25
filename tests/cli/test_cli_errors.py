"""How the command fails: one line naming the file, exit 0/1/2, and a traceback only with --debug."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from project_helpers import HERO_ID, Project, run_promptlib

Invoke = Callable[..., Result]


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with no promptlib.yaml above it."""
    empty = tmp_path_factory.mktemp("no-project")
    monkeypatch.chdir(empty)
    return empty


@pytest.mark.parametrize("command", [("check",), ("list",), ("lock",), ("render", "a/b"), ("show", "a/b")])
def test_no_project_is_exit_2_with_a_hint(outside: Path, invoke: Invoke, command: tuple[str, ...]) -> None:
    """Every project command run outside a project exits 2 and suggests `promptlib init`."""
    result = invoke(*command)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no promptlib.yaml in ")
    assert "run `promptlib init` to create one" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_commands_that_need_no_project(outside: Path, invoke: Invoke) -> None:
    """schema, --help and --version work anywhere."""
    assert invoke("schema").exit_code == 0
    assert "render" in invoke("--help").stdout
    version = invoke("--version")
    assert version.exit_code == 0
    assert "version" in version.stdout


def test_unknown_config_key_is_exit_2_naming_the_file(project: Project, invoke: Invoke) -> None:
    """A typo in promptlib.yaml is a configuration error: exit 2, file and line, even for `check`."""
    project.edit("promptlib.yaml", "evals: evals", "eval: evals")
    for command in (("check",), ("render", HERO_ID, "--var", "product=x"), ("list",)):
        result = invoke(*command)
        assert result.exit_code == 2, command
        assert result.stderr == "error: promptlib.yaml:2: eval: unknown field (did you mean 'evals'?)\n"


def test_inline_secret_in_config_is_refused_without_echoing_it(project: Project, invoke: Invoke) -> None:
    """`auth: {type: api-key, key: ...}` is an unknown field, and the key does not appear in the output."""
    project.edit(
        "promptlib.yaml", "auth: {type: api-key, env: AZURE_OPENAI_API_KEY}", "auth: {type: api-key, key: sk-live-123}"
    )
    result = invoke("check")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: promptlib.yaml:12: deployments.dev")
    assert "sk-live-123" not in result.output


def test_project_option(project: Project, invoke: Invoke, outside: Path) -> None:
    """`-C DIR` runs as if started in DIR."""
    assert invoke("-C", str(project.root), "check").exit_code == 0
    assert invoke("-C", str(project.path("prompts/brand")), "list").stdout.startswith("brand/logo-mark")


def test_project_option_with_a_missing_directory(project: Project, invoke: Invoke) -> None:
    """`-C typo` exits 2 instead of running on the project of the current directory."""
    result = invoke("-C", "typo", "check")
    assert result.exit_code == 2
    assert result.stderr == "error: typo does not exist; give the project directory (where promptlib.yaml is)\n"
    assert result.stdout == ""


def test_click_usage_errors_are_exit_2(project: Project, invoke: Invoke) -> None:
    """Unknown commands and options are usage errors (exit 2)."""
    assert invoke("chek").exit_code == 2
    assert invoke("check", "--jsn").exit_code == 2
    assert invoke("render").exit_code == 2


def test_debug_shows_the_traceback(project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default output is one line; --debug adds the traceback for a bug report."""
    monkeypatch.setattr(logging.getLogger("promptlib"), "handlers", [])  # --debug adds a log handler; drop it after
    project.edit_template(HERO_ID, "owners:", "ownrs:")
    plain = invoke("show", HERO_ID)
    assert plain.exit_code == 1
    assert "Traceback" not in plain.stderr
    assert len(plain.stderr.splitlines()) == 1
    debug = invoke("--debug", "show", HERO_ID)
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1]


def test_error_paths_are_relative_to_the_working_directory(
    project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths in messages are relative to where the command runs, as compilers print them."""
    project.edit_template(HERO_ID, "owners:", "ownrs:")
    monkeypatch.chdir(project.path("prompts"))
    result = invoke("check")
    assert result.stdout.startswith(f"{HERO_ID}.yaml:3: ")


def test_real_process_config_error(project: Project) -> None:
    """In a child process: a config error exits 2 with one 'error:' line on stderr and nothing on stdout."""
    project.edit("promptlib.yaml", "default_deployment: local", "default_deployment: prod")
    done = run_promptlib("list", cwd=project.root)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "error: promptlib.yaml:3: default_deployment 'prod' is not under deployments:\n"


def test_real_process_render_error_and_debug(project: Project) -> None:
    """In a child process: a render error is one line, exit 2; --debug prints the traceback too."""
    done = run_promptlib("render", HERO_ID, cwd=project.root)
    assert done.returncode == 2
    assert done.stderr == "error: marketing/hero-banner: missing required variable 'product' (string)\n"
    debug = run_promptlib("--debug", "render", HERO_ID, cwd=project.root)
    assert debug.returncode == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert "VariableError" in debug.stderr


def test_real_process_sandbox_bomb(project: Project) -> None:
    """In a child process: a resource bomb is refused quickly, exit 1, with no traceback."""
    project.write_template("t/bomb", "version: 1\ntemplate: \"{{ 'a' * 10**9 }}\"\n")
    done = run_promptlib("render", "t/bomb", cwd=project.root)
    assert done.returncode == 1
    assert done.stderr.startswith("error: prompts/t/bomb.yaml: t/bomb: a repetition would build a value of")
    assert "Traceback" not in done.stderr
