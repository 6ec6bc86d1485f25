"""`promptlib diff`'s comparison: REF read through git, templates compared by content hash.

Every test works on a throwaway git repository holding the repository's example
project (config, prompts, evals with goldens, assets), committed once and copied
per test, so the comparison sees real partial-sharing templates.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from promptlib._library import Library
from promptlib.exceptions import UsageError
from promptlib.git._diff import diff_library

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("promptlib.yaml", "prompts", "evals", "assets")
PARTIAL = "seasonal/mood.j2"
ADDED_LINE = "Extra soft window light."
# The templates that include seasonal/mood.j2 (directly); every other template must not be listed.
INCLUDERS = {"seasonal/campaign-hero", "social/story-portrait"}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def build_git_example(dest: Path) -> Path:
    """The example project committed as the only commit of a new repository (on branch ``main``)."""
    dest.mkdir(parents=True)
    for part in EXAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, dest / part)
        else:
            shutil.copy2(source, dest / part)
    (dest / ".gitignore").write_text(".promptlib/\n", encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "config", "user.name", "promptlib tests")
    git(dest, "config", "user.email", "tests@example.invalid")
    git(dest, "config", "commit.gpgsign", "false")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "example project")
    return dest


@pytest.fixture(scope="session")
def git_example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_git_example(tmp_path_factory.mktemp("git-example") / "repo")


@pytest.fixture
def repo(git_example_template: Path, tmp_path: Path) -> Path:
    """A private copy (working tree and .git) of the committed example project."""
    return Path(shutil.copytree(git_example_template, tmp_path / "repo", symlinks=True))


def edit_partial(root: Path) -> None:
    path = root / "prompts" / "partials" / PARTIAL
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n{ADDED_LINE}\n", encoding="utf-8")


def renders(root: Path, template_ids: set[str]) -> dict[tuple[str, str], str]:
    library = Library.load(root)
    return {
        (tid, example.name): library.get(tid).render(dict(example.variables)).prompt
        for tid in template_ids
        for example in library.get(tid).examples
    }


def test_a_partial_edit_lists_exactly_the_templates_that_include_it_with_their_rendered_diffs(repo: Path) -> None:
    library = Library.load(repo)
    assert {t.id for t in library.templates() if PARTIAL in t.partials} == INCLUDERS  # the fixture is what we think
    before = renders(repo, INCLUDERS)
    edit_partial(repo)
    after = renders(repo, INCLUDERS)

    result = diff_library(Library.load(repo), "HEAD")

    assert {c.template_id for c in result.changes} == INCLUDERS
    assert result.unchanged == len(library.ids()) - len(INCLUDERS)
    for change in result.changes:
        assert change.status == "changed"
        assert change.partials == [PARTIAL]
        assert change.old_version == change.new_version
        assert change.old_hash != change.new_hash
        assert change.parameters == {} and change.variables == {}
        for example in change.examples:
            key = (change.template_id, example.name)
            assert example.old_prompt == before[key] and example.new_prompt == after[key]
            if before[key] == after[key]:  # the edited season is not this example's season
                assert example.status == "unchanged" and example.diff == ""
            else:
                assert example.status == "changed"
                body = example.diff.splitlines()[2:]  # past the ---/+++ file header
                assert [line for line in body if line.startswith("+")] == [f"+{ADDED_LINE}"]
                assert not [line for line in body if line.startswith("-")]
    assert any(e.status == "changed" for c in result.changes for e in c.examples)


def test_ref_is_read_through_git_without_touching_the_working_tree(repo: Path) -> None:
    edit_partial(repo)
    status = git(repo, "status", "--porcelain")
    diff_library(Library.load(repo), "HEAD")
    assert git(repo, "status", "--porcelain") == status
    assert ADDED_LINE in (repo / "prompts" / "partials" / PARTIAL).read_text(encoding="utf-8")


def test_nothing_changed_lists_nothing(repo: Path) -> None:
    result = diff_library(Library.load(repo), "HEAD")
    assert result.changes == [] and result.unchanged == len(Library.load(repo).ids())


def test_added_and_removed_templates(repo: Path) -> None:
    shutil.copy2(repo / "prompts/icons/feature-icon.yaml", repo / "prompts/icons/feature-icon-2.yaml")
    (repo / "prompts/brand/logo-mark.yaml").unlink()

    changes = {c.template_id: c for c in diff_library(Library.load(repo), "HEAD").changes}

    assert set(changes) == {"icons/feature-icon-2", "brand/logo-mark"}
    added, removed = changes["icons/feature-icon-2"], changes["brand/logo-mark"]
    assert (added.status, added.old_version, added.new_version) == ("added", None, 1)
    assert added.examples and all(e.status == "added" and e.old_prompt is None for e in added.examples)
    assert all(e.diff.splitlines()[0].startswith("--- a/icons/feature-icon-2") for e in added.examples)
    assert (removed.status, removed.new_version) == ("removed", None) and removed.old_version is not None
    assert removed.examples and all(e.status == "removed" and e.new_prompt is None for e in removed.examples)


def bump(root: Path, template_id: str) -> None:
    path = root / "prompts" / f"{template_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nversion: 1\n" in "\n" + text
    path.write_text(("\n" + text).replace("\nversion: 1\n", "\nversion: 2\n", 1)[1:], encoding="utf-8")


def test_a_version_only_change_is_listed_with_no_prompt_differences(repo: Path) -> None:
    bump(repo, "icons/feature-icon")
    (change,) = diff_library(Library.load(repo), "HEAD").changes
    assert (change.template_id, change.version_change) == ("icons/feature-icon", "v1 → v2")
    assert change.old_hash == change.new_hash
    assert change.examples and all(e.status == "unchanged" for e in change.examples)


def test_parameter_changes_show_from_and_to(repo: Path) -> None:
    path = repo / "prompts/icons/feature-icon.yaml"
    text = path.read_text(encoding="utf-8")
    assert "quality: " in text
    old_quality = text.split("quality: ", 1)[1].split()[0]
    new_quality = "low" if old_quality != "low" else "high"
    path.write_text(text.replace(f"quality: {old_quality}", f"quality: {new_quality}", 1), encoding="utf-8")
    bump(repo, "icons/feature-icon")
    (change,) = diff_library(Library.load(repo), "HEAD").changes
    assert change.parameters == {"quality": {"from": old_quality, "to": new_quality}}


def test_default_ref_is_the_merge_base_with_main(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit_partial(repo)
    git(repo, "commit", "-q", "-am", "softer light")
    result = diff_library(Library.load(repo), None)
    assert result.revision.commit == git(repo, "rev-parse", "main").strip()
    assert "main" in result.revision.ref
    assert {c.template_id for c in result.changes} == INCLUDERS


def test_no_default_branch_says_so(repo: Path) -> None:
    git(repo, "branch", "-m", "main", "trunk")
    with pytest.raises(UsageError, match="no default branch"):
        diff_library(Library.load(repo), None)


def test_a_bad_ref_or_no_repository_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'no-such-branch' is not a commit"):
        diff_library(Library.load(repo), "no-such-branch")
    with pytest.raises(UsageError, match="not a commit"):
        diff_library(Library.load(repo), "--output=/tmp/x")  # never passed to git as an option
    plain = Path(shutil.copytree(repo, tmp_path / "plain", ignore=shutil.ignore_patterns(".git")))
    with pytest.raises(UsageError, match="not in a git repository"):
        diff_library(Library.load(plain), "HEAD")
