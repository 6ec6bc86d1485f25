"""Bundles: what an app loads must render exactly what the files render, and nothing altered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from project_helpers import HERO_ID, LOGO_ID, Project

import promptlib
from promptlib import BundleError, Library, TemplateNotFound, TemplateSecurityError, VersionMismatch
from promptlib.git._bundle_build import write_bundle
from promptlib.prompts._bundle import checksum
from promptlib.prompts._compiler import TemplateCompiler

REPO = Path(__file__).resolve().parents[2]


def _bundle(library: Library, out: Path) -> dict[str, Any]:
    write_bundle(library, out)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def test_example_library_renders_identically_from_a_bundle(tmp_path: Path) -> None:
    files = Library.load(REPO)
    out = tmp_path / "bundle.json"
    _bundle(files, out)
    bundled = Library.from_bundle(out, settings=files.settings)  # edit examples name images under the repo
    assert bundled.ids() == files.ids()
    rendered = 0
    for template in files.templates():
        from_bundle = bundled.get(template.id)
        assert (from_bundle.version, from_bundle.content_hash) == (template.version, template.content_hash)
        assert from_bundle.partials == template.partials
        for example in template.examples:
            expected = template.render(example.variables)
            got = from_bundle.render(example.variables)
            assert got.prompt == expected.prompt, template.id
            assert got.parameters == expected.parameters
            assert [i.data for i in got.images] == [i.data for i in expected.images]
            rendered += 1
    assert rendered >= len(files.ids())


def test_bundle_document_carries_metadata_and_a_checksum(project: Project, tmp_path: Path) -> None:
    data = _bundle(project.library(), tmp_path / "b.json")
    assert data["format"] == "promptlib-bundle" and data["format_version"] == 1
    assert data["promptlib_version"] == promptlib.__version__
    assert data["created_at"].endswith("Z") and data["history"] is False
    assert data["checksum"] == checksum(data)
    hero = data["templates"][HERO_ID]
    assert hero["current"] == 3
    entry = hero["versions"]["3"]
    assert set(entry["partials"]) == {"brand/palette.j2", "brand/tone.j2"}  # transitively
    assert entry["content_hash"] == project.lock_data()[HERO_ID]["sha256"]


def test_from_bundle_needs_no_project_and_generates_on_the_local_emulator(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "b.json"
    _bundle(project.library(), out)
    elsewhere = tmp_path / "app"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no promptlib.yaml, no prompts/
    with Library.from_bundle(out) as lib:
        assert lib.settings.config_path is None
        assert (
            lib.render(HERO_ID, product="Trailblazer").prompt
            == project.library().render(HERO_ID, product="Trailblazer").prompt
        )
        result = lib.generate(LOGO_ID)
        assert result.images and result.images[0].data


def test_version_lookup_from_a_bundle(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    _bundle(project.library(), out)
    lib = Library.from_bundle(out)
    assert lib.get(HERO_ID, version=3).version == 3
    with pytest.raises(VersionMismatch, match=r"no version 2 .*holds 3.*--history"):
        lib.get(HERO_ID, version=2)
    with pytest.raises(TemplateNotFound, match="did you mean"):
        lib.get("marketing/hero-baner")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda e: e.update(source=e["source"].replace("studio", "studi0")), id="one-char-of-text"),
        pytest.param(lambda e: e.update(version=4), id="version"),
        pytest.param(lambda e: e["partials"].update({"brand/tone.j2": "Loud.\n"}), id="partial"),
    ],
)
def test_a_tampered_bundle_is_refused(project: Project, tmp_path: Path, tamper: Any) -> None:
    out = tmp_path / "b.json"
    data = _bundle(project.library(), out)
    tamper(data["templates"][HERO_ID]["versions"]["3"])
    _write(out, data)  # checksum kept
    with pytest.raises(BundleError, match="checksum mismatch"):
        Library.from_bundle(out)


def test_an_edit_with_a_recomputed_checksum_is_still_refused_by_the_content_hash(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "b.json"
    data = _bundle(project.library(), out)
    entry = data["templates"][HERO_ID]["versions"]["3"]
    entry["source"] = entry["source"].replace("studio", "studi0")
    data["checksum"] = checksum(data)
    _write(out, data)
    lib = Library.from_bundle(out)
    with pytest.raises(BundleError, match="does not match its recorded hash"):
        lib.get(HERO_ID)


@pytest.mark.parametrize("content", ["{}", "not json", '{"format": "promptlib-bundle", "format_version": 99}'])
def test_files_that_are_not_bundles_are_refused(tmp_path: Path, content: str) -> None:
    out = tmp_path / "b.json"
    out.write_text(content, encoding="utf-8")
    with pytest.raises(BundleError):
        Library.from_bundle(out)


def test_bundle_partials_are_confined_like_files(tmp_path: Path) -> None:
    """A bundle's partial dict gets the same name rules as prompts/partials/, so nothing new is reachable."""
    compiler = TemplateCompiler(tmp_path / "prompts", partials={"a.j2": "ok", "../up.j2": "secret"})
    compiler.compile('{% include "a.j2" %}', name="t", path=tmp_path / "t.yaml")
    with pytest.raises(TemplateSecurityError, match="leaves prompts/partials"):
        compiler.compile('{% include "../up.j2" %}', name="t", path=tmp_path / "t.yaml")
    with pytest.raises(promptlib.TemplateValidationError, match="not found"):
        compiler.compile('{% include "missing.j2" %}', name="t", path=tmp_path / "t.yaml")
