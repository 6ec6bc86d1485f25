"""`promptlib bundle`: the artifact an app deploys, built from the working tree or from git history."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from project_helpers import HERO_ID, Project, run_promptlib

TEMPLATE_ID = "marketing/poster"
PARTIAL = "brand/look.j2"


def _template(version: int, text: str) -> str:
    return textwrap.dedent(
        f"""\
        version: {version}
        description: Poster, version {version}.
        variables:
          product: {{type: string, required: true}}
        parameters: {{size: 1024x1024}}
        template: |
          {text}
          {{% include "{PARTIAL}" %}}
        """
    )


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def history_repo(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """A git repo where one template went through versions 1, 2, 3; returns it and each version's prompt."""
    repo = tmp_path / "repo"
    project = Project(repo)
    project.write("promptlib.yaml", "prompts: prompts\n", dedent=False)
    _git_init(repo)
    expected: dict[int, str] = {}
    steps = [
        (1, "A bold poster of {{ product }}.", "Muted pastel palette.\n"),
        (2, "A bold poster of {{ product }}, centred.", "Neon palette.\n"),  # partial changes with the bump
        (3, "A minimal poster of {{ product }}.", None),
    ]
    for version, text, partial in steps:
        project.write_template(TEMPLATE_ID, _template(version, text))
        if partial is not None:
            project.write_partial(PARTIAL, partial)
        expected[version] = project.library().render(TEMPLATE_ID, product="Trailblazer").prompt
        _commit(repo, f"poster v{version}")
    # Later commits that do not bump: a description-only edit (what `check` forbids); the
    # bundle keeps version 3 as released.
    project.edit_template(TEMPLATE_ID, "Poster, version 3.", "Poster, v3 (edited).")
    _commit(repo, "unbumped edit")
    return repo, expected


def _git_init(repo: Path) -> None:
    _git(repo, "init", "-q")
    _git(repo, "config", "user.name", "Test")
    _git(repo, "config", "user.email", "test@example.com")
    _git(repo, "config", "commit.gpgsign", "false")


def test_history_bundle_renders_every_version_in_a_process_without_prompts(
    history_repo: tuple[Path, dict[int, str]], tmp_path: Path
) -> None:
    repo, expected = history_repo
    done = run_promptlib("bundle", "-o", "b.json", "--history", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "3 versions" in done.stdout
    assert "without a version bump" in done.stderr  # the unbumped edit is reported, not shipped
    data = json.loads((repo / "b.json").read_text(encoding="utf-8"))
    assert data["history"] is True and len(data["git_commit"]) == 40
    assert all(len(v["commit"]) == 40 for v in data["templates"][TEMPLATE_ID]["versions"].values())

    app = tmp_path / "app"  # no prompts/, no promptlib.yaml, not a git repository
    app.mkdir()
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        import promptlib
        assert not Path("prompts").exists()
        lib = promptlib.Library.from_bundle(sys.argv[1])
        out = {n: lib.get("marketing/poster", version=n).render(product="Trailblazer").prompt for n in (1, 2, 3)}
        out["current"] = lib.render("marketing/poster", product="Trailblazer").prompt
        print(json.dumps(out))
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(repo / "b.json")],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/nonexistent", "GIT_DIR": str(app / "no-git")},  # git is not reachable either
    )
    assert child.returncode == 0, child.stderr
    got = json.loads(child.stdout)
    assert {int(n): got[n] for n in ("1", "2", "3")} == expected
    assert got["current"] == expected[3]
    assert len(set(expected.values())) == 3  # the versions really differ (partial included)
    assert "Muted pastel" in expected[1] and "Neon" in expected[2] and "Neon" in expected[3]


def test_bundle_outside_git_without_history(project: Project, invoke: Callable[..., Result]) -> None:
    result = invoke("bundle", "-o", "out/b.json")
    assert result.exit_code == 0, result.output
    data = json.loads(project.read("out/b.json"))
    assert data["git_commit"] is None and data["history"] is False
    assert data["templates"][HERO_ID]["current"] == 3


def test_history_outside_git_is_a_usage_error(project: Project, invoke: Callable[..., Result]) -> None:
    result = invoke("bundle", "-o", "b.json", "--history")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not in a git repository" in lines[0]
    assert not project.path("b.json").exists()


def test_uncommitted_version_is_bundled_as_current(project: Project, invoke: Callable[..., Result]) -> None:
    _git_init(project.root)
    _commit(project.root, "start")
    project.edit_template(HERO_ID, "version: 3", "version: 4")
    result = invoke("bundle", "-o", "b.json", "--history")
    assert result.exit_code == 0, result.output
    versions = json.loads(project.read("b.json"))["templates"][HERO_ID]["versions"]
    assert sorted(versions) == ["3", "4"]
    assert versions["3"]["commit"] and versions["4"]["commit"] is None
