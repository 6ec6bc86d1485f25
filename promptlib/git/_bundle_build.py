"""Building a bundle (`promptlib bundle`): every template of the working tree, and with `--history` every version
git released, each with the partials it includes, checksummed (the format is described in `prompts._bundle`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptlib.core._atomic import atomic_write_text
from promptlib.core._clock import utc_now
from promptlib.core._git import Git, GitPartials
from promptlib.core._yaml import parse_yaml
from promptlib.exceptions import BundleError, PromptlibError, UsageError
from promptlib.prompts._bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BundleEntry, checksum
from promptlib.prompts._compiler import TemplateCompiler
from promptlib.prompts._templates import PromptTemplate, template_from_text

if TYPE_CHECKING:
    from promptlib.prompts._catalog import TemplateCatalog


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    templates: int
    versions: int
    notes: list[str]  # commits skipped because the template did not load there, unbumped edits


# --------------------------------------------------------------------------- building


def build_bundle(library: TemplateCatalog, *, history: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The bundle document (checksum included) and notes for the author (commits skipped and why).

    The working tree gives each template's current version number and, unless git
    already released that number, its content; ``history`` adds the versions found
    in git, each from the first commit whose ``version:`` was that number (so
    ``get(id, version=N)`` is what was released as N, whichever bundle it came from).
    """
    from importlib.metadata import version as package_version

    root = library.settings.root
    git = _Git.find(root)
    if history and git is None:
        raise UsageError(
            f"--history reads versions from git, but {root} is not in a git repository (or git is not installed); "
            "run it in the repository's checkout or drop --history"
        )
    notes: list[str] = []
    templates: dict[str, Any] = {}
    for template in library.templates():
        current = _current_entry(template)
        versions: dict[int, BundleEntry] = {}
        if history:
            assert git is not None
            versions = git.versions(template.id, template.path, library.prompts_dir, root, notes)
        held = versions.get(current.version)
        if held is None:  # no history asked for, or a version not committed yet
            versions[current.version] = current
        elif held.content_hash != current.content_hash:
            # Released content edited without a bump (what `check` refuses): version N
            # means what was released as N, so the release wins and the author hears of it.
            notes.append(
                f"{template.id}: the working tree changes version {current.version} (released in "
                f"{(held.commit or '?')[:12]}) without a version bump; the bundle keeps the released one"
            )
        templates[template.id] = {
            "current": current.version,
            "versions": {str(n): versions[n].to_json() for n in sorted(versions)},
        }
    document: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "promptlib_version": package_version("promptlib"),
        "created_at": utc_now(),
        "git_commit": git.head() if git else None,
        "git_dirty": git.dirty(library.prompts_dir) if git else None,
        "history": history,
        "templates": templates,
    }
    document["checksum"] = checksum(document)
    return document, notes


def write_bundle(library: TemplateCatalog, out: Path, *, history: bool = False) -> BundleSummary:
    """Build the bundle and write it atomically: an app never picks up half a file."""
    document, notes = build_bundle(library, history=history)
    atomic_write_text(out, json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    versions = sum(len(t["versions"]) for t in document["templates"].values())
    return BundleSummary(path=out, templates=len(document["templates"]), versions=versions, notes=notes)


def _current_entry(template: PromptTemplate) -> BundleEntry:
    try:
        source = template.path.read_text(encoding="utf-8")
    except OSError as exc:  # loaded a moment ago, so only a concurrent edit gets here
        raise BundleError(f"cannot read the template: {exc.strerror}", path=template.path) from None
    return BundleEntry(
        template_id=template.id,
        version=template.version,
        source=source,
        partials=_partial_sources(template),
        content_hash=template.content_hash,
        commit=None,
    )


def _partial_sources(template: PromptTemplate) -> dict[str, str]:
    """Name -> text of every partial the template includes, transitively (what its content hash covers)."""
    return dict(template._compiled.partials)


class _Git(Git):
    """The shared git reader plus the history walk only bundles need."""

    def versions(
        self, template_id: str, path: Path, prompts_dir: Path, project_root: Path, notes: list[str]
    ) -> dict[int, BundleEntry]:
        """Each version number of a template, from the first commit whose file carried it.

        The file must change for its ``version:`` to change, so the template file's own
        log finds every introducing commit; partials are read at that same commit. A
        partial edited later without a bump is what `promptlib check` forbids, so the
        introducing commit is the state that version was reviewed and released as.
        """
        relative = self.relative(path)
        partials_relative = self.relative(prompts_dir / "partials")
        found: dict[int, BundleEntry] = {}
        for commit in self.commits_touching(relative):
            text = self.show(commit, relative)
            if text is None:
                continue
            number = _declared_version(text, path)
            if number is None or number in found:
                continue
            partials = GitPartials(self, commit, partials_relative)
            compiler = TemplateCompiler(prompts_dir, partials=partials)
            try:
                template = template_from_text(template_id, text, path, compiler, project_root)
            except PromptlibError as exc:
                notes.append(f"skipped {template_id} at {commit[:12]}: {exc.message}")
                continue  # a broken commit does not release a version; a later one with this number may
            found[number] = BundleEntry(
                template_id=template_id,
                version=number,
                source=text,
                partials=_partial_sources(template),
                content_hash=template.content_hash,
                commit=commit,
            )
        return found


def _declared_version(text: str, path: Path) -> int | None:
    """The ``version:`` a file declares, without compiling it (most commits repeat a version seen)."""
    try:
        data = parse_yaml(text, path).data
    except PromptlibError:
        return None
    number = data.get("version") if isinstance(data, Mapping) else None
    return number if isinstance(number, int) and not isinstance(number, bool) and number >= 1 else None


# --------------------------------------------------------------------------- loading
