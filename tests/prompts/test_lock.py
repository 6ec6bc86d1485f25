"""prompts/prompts.lock: what makes a template's version mean something in a pull request."""

from __future__ import annotations

import json

import pytest
from project_helpers import HERO_ID, LOGO_ID, Project

from promptlib import LockError
from promptlib.prompts._lock import LockEntry, compare, read_lock, update_lock

LOCK = "prompts/prompts.lock"


def _messages(project: Project) -> list[str]:
    return [str(p) for p in project.check().problems]


def test_lock_file_format(project: Project) -> None:
    """The lock is sorted, indented JSON: {id: {sha256, version}}, one entry per template, ending in a newline."""
    text = project.read(LOCK)
    data = json.loads(text)
    assert list(data) == sorted(data) == [LOGO_ID, HERO_ID]
    assert data[HERO_ID] == {"sha256": project.library().get(HERO_ID).content_hash, "version": 3}
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_lock_is_byte_identical_when_nothing_changed(project: Project) -> None:
    """Re-running lock on an unchanged project leaves the file as it was (no noise in PRs)."""
    before = project.read(LOCK)
    project.lock()
    assert project.read(LOCK) == before


def test_content_change_needs_a_bump(project: Project) -> None:
    """Change without a bump: check fails, lock refuses and leaves the file alone; after the bump both pass."""
    before = project.read(LOCK)
    project.edit_template(HERO_ID, "soft daylight", "golden hour")
    assert _messages(project) == [
        f"prompts/{HERO_ID}.yaml:1: {HERO_ID}: content changed but version is still 3; "
        "set version: 4, then run `promptlib lock`"
    ]
    path, problems = update_lock(project.library())
    assert path == project.path(LOCK)
    assert [str(p) for p in problems] == [
        f"prompts/{HERO_ID}.yaml:1: {HERO_ID}: content changed but version is still 3; "
        "set version: 4, then run `promptlib lock`"
    ]
    assert project.read(LOCK) == before

    project.edit_template(HERO_ID, "version: 3", "version: 4")
    assert _messages(project) == [f"prompts/prompts.lock:6: {HERO_ID}: the lock is out of date; run `promptlib lock`"]
    project.lock()
    assert project.lock_data()[HERO_ID]["version"] == 4
    assert project.check().ok


def test_bump_without_change_is_fine_once_locked(project: Project) -> None:
    """Bumping a version with no other change just needs `promptlib lock` (e.g. to mark a re-approval)."""
    project.edit_template(LOGO_ID, "version: 1", "version: 2")
    assert not project.check().ok
    project.lock()
    assert project.check().ok


def test_version_going_down_is_refused(project: Project) -> None:
    """A lower version than the lock's is an error that lock will not paper over."""
    project.edit_template(HERO_ID, "version: 3", "version: 1")
    expected = f"{HERO_ID}: version went down from 3 to 1; set version to 4 or more"
    assert _messages(project) == [f"prompts/{HERO_ID}.yaml:1: {expected}"]
    _, problems = update_lock(project.library())
    assert [p.message for p in problems] == [expected]


def test_partial_edit_needs_a_bump_of_every_user(project: Project) -> None:
    """Editing a shared partial flags every template that includes it."""
    project.write_partial("brand/tone.j2", "Bold and loud.\n")
    messages = _messages(project)
    assert len(messages) == 2
    assert all("content changed but version is still" in m for m in messages)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("new", "prompts/prompts.lock: brand/new is not in the lock; run `promptlib lock`"),
        (
            "removed",
            "prompts/prompts.lock:2: brand/logo-mark is in the lock but no longer exists; run `promptlib lock`",
        ),
        ("no lock", "prompts/prompts.lock: the lock file is missing; run `promptlib lock` and commit it"),
    ],
)
def test_stale_lock_is_fixed_by_lock(project: Project, change: str, expected: str) -> None:
    """A missing entry, a removed template or a missing lock file fail check; `promptlib lock` fixes each."""
    if change == "new":
        project.write_template("brand/new", "version: 1\ntemplate: A new prompt.\n")
    elif change == "removed":
        project.path(f"prompts/{LOGO_ID}.yaml").unlink()
        project.edit(
            "evals/smoke.yaml", "prompt: brand/logo-mark", "prompt: marketing/hero-banner\n    variables: {product: x}"
        )
    else:
        project.path(LOCK).unlink()
    assert _messages(project) == [expected]
    project.lock()
    assert project.check().ok


def test_project_without_templates_needs_no_lock(project: Project) -> None:
    """An empty prompts/ is valid without a lock file."""
    for template_id in (HERO_ID, LOGO_ID):
        project.path(f"prompts/{template_id}.yaml").unlink()
    project.path(LOCK).unlink()
    project.path("evals/smoke.yaml").unlink()
    assert project.check().ok


def test_lock_refuses_while_a_template_is_broken(project: Project) -> None:
    """Nothing is written while any template fails to load; the problems name the broken file."""
    before = project.read(LOCK)
    project.write_template("broken/one", "version: 1\ntemplate: '{{ x }}'\n")
    _, problems = update_lock(project.library())
    assert [str(p) for p in problems] == [
        "prompts/broken/one.yaml:2: variable 'x' is used but not declared under variables:"
    ]
    assert project.read(LOCK) == before


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"a": {"version": 1}}', '{"a": {"version": "x", "sha256": "y"}}', '{"a": 3}']
)
def test_corrupt_lock(project: Project, text: str) -> None:
    """A lock that is not the expected JSON is a LockError saying to regenerate it."""
    project.write(LOCK, text)
    with pytest.raises(LockError, match=r"the lock file is corrupt .*; regenerate it with `promptlib lock`"):
        read_lock(project.path(LOCK))
    assert _messages(project)[0].startswith("prompts/prompts.lock: the lock file is corrupt")
    project.lock()  # and `promptlib lock` does regenerate it, as the message says
    assert project.check().ok


def test_read_lock_without_a_file(project: Project) -> None:
    """No lock file is 'no lock yet', not an error."""
    assert read_lock(project.path("prompts/none.lock")) is None


def test_compare_rules() -> None:
    """Only a missing bump and a version going down block `promptlib lock`; the rest it can fix."""
    lock = {"a": LockEntry(2, "h1"), "b": LockEntry(1, "h2"), "gone": LockEntry(1, "h3"), "c": LockEntry(1, "h4")}
    current = {
        "a": LockEntry(2, "changed"),
        "b": LockEntry(2, "h2"),
        "c": LockEntry(1, "h4"),
        "new": LockEntry(1, "h5"),
    }
    issues = {i.template_id: i for i in compare(lock, current)}
    assert set(issues) == {"a", "b", "gone", "new"}
    assert not issues["a"].fixable
    assert issues["b"].fixable and issues["gone"].fixable and issues["new"].fixable
    down = compare({"a": LockEntry(3, "h")}, {"a": LockEntry(2, "h")})
    assert [(i.fixable, "went down" in i.message) for i in down] == [(False, True)]
