"""The Library API apps use: load, ids, get (with a version assertion), render, lookups that fail helpfully."""

from __future__ import annotations

import pytest
from project_helpers import HERO_ID, LOGO_ID, Project

from promptlib import (
    Library,
    ProjectNotFound,
    PromptTemplate,
    TemplateError,
    TemplateNotFound,
    TemplateValidationError,
    VersionMismatch,
)


def test_load_finds_the_project_from_the_working_directory(project: Project) -> None:
    """Library.load() with no argument uses the promptlib.yaml in the cwd (or above)."""
    lib = Library.load()
    assert lib.settings.root == project.root
    assert lib.ids() == [LOGO_ID, HERO_ID]


def test_load_from_a_subdirectory(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started deep inside the repo, the library still finds the project root."""
    monkeypatch.chdir(project.path("prompts/marketing"))
    assert Library.load().settings.root == project.root
    assert Library.load(project.path("evals")).ids() == [LOGO_ID, HERO_ID]


def test_load_outside_any_project(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Without a promptlib.yaml anywhere above, the error says to run `promptlib init`."""
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(ProjectNotFound, match="run `promptlib init`"):
        Library.load(empty)


def test_ids_are_sorted_and_exclude_partials_and_other_files(project: Project) -> None:
    """Only prompts/**/*.yaml outside partials/ are templates; .yml, .j2 and stray files are not."""
    project.write("prompts/aaa.yaml", "version: 1\ntemplate: first\n")
    project.write("prompts/notes.md", "# notes\n")
    project.write("prompts/brand/old.yml", "version: 1\ntemplate: x\n")
    project.write("prompts/partials/brand/x.yaml", "version: 1\ntemplate: x\n")
    lib = project.library()
    assert lib.ids() == ["aaa", LOGO_ID, HERO_ID]
    assert HERO_ID in lib
    assert "brand/old" not in lib
    assert "Library" in repr(lib)
    assert "3 templates" in repr(lib)


def test_get_and_render(project: Project) -> None:
    """get() returns a PromptTemplate (loaded once); render() validates and renders by id."""
    lib = project.library()
    template = lib.get(HERO_ID)
    assert isinstance(template, PromptTemplate)
    assert lib.get(HERO_ID) is template
    assert lib.render(HERO_ID, product="Mug").prompt.startswith("A photo of Mug")
    assert [t.id for t in lib.templates()] == [LOGO_ID, HERO_ID]


def test_get_with_version(project: Project) -> None:
    """get(id, version=N) asserts the version: equal returns the template, different raises VersionMismatch."""
    lib = project.library()
    assert lib.get(HERO_ID, version=3).version == 3
    with pytest.raises(VersionMismatch, match="marketing/hero-banner is version 3 here, not 2") as info:
        lib.get(HERO_ID, version=2)
    assert isinstance(info.value, TemplateError)
    assert str(info.value).startswith(f"prompts/{HERO_ID}.yaml: ")


def test_template_not_found_is_a_lookup_error_with_a_suggestion(project: Project) -> None:
    """A misspelt id raises TemplateNotFound (also LookupError) suggesting the close id."""
    lib = project.library()
    with pytest.raises(LookupError):
        lib.get("marketing/hero-baner")
    with pytest.raises(TemplateNotFound, match="did you mean 'marketing/hero-banner'"):
        lib.get("marketing/hero-baner")
    with pytest.raises(TemplateNotFound, match="`promptlib list` shows the ids"):
        lib.render("zzz/qqq")


def test_broken_template_only_fails_when_used(project: Project) -> None:
    """One broken file does not stop an app from rendering the others."""
    project.write_template("broken/one", "version: [\n")
    lib = project.library()
    assert lib.render(LOGO_ID).prompt.startswith("A flat vector")
    with pytest.raises(TemplateValidationError):
        lib.get("broken/one")


def test_library_sees_files_as_of_load(project: Project) -> None:
    """Ids are discovered when the library is loaded; a new Library sees new files."""
    lib = project.library()
    project.write_template("late/arrival", "version: 1\ntemplate: late\n")
    assert "late/arrival" not in lib
    assert "late/arrival" in project.library()


def test_missing_prompts_directory_means_no_templates(project: Project) -> None:
    """A project whose prompts/ does not exist yet simply has no templates."""
    project.edit("promptlib.yaml", "prompts: prompts", "prompts: not-yet")
    assert project.library().ids() == []
