"""Bundles: every template of a project, and optionally every released version, in one JSON file.

Apps deploy from a release and must render exactly what was tested, without the
repository or git at run time. A bundle carries, per template version, the YAML
text as committed and the text of every partial it includes (transitively), so
rendering from it goes through the same compiler, sandbox and partial-name
rules as rendering from files, only reading partials from a dict.

Format (``format_version`` 1)::

    {
      "format": "promptlib-bundle", "format_version": 1,
      "promptlib_version": "0.1.0", "created_at": "2025-01-01T00:00:00Z",
      "git_commit": "<HEAD sha>" | null, "git_dirty": false | null, "history": true,
      "templates": {
        "marketing/hero-banner": {
          "current": 3,
          "versions": {
            "1": {"version": 1, "source": "<the YAML text>", "partials": {"brand/palette.j2": "<text>"},
                  "content_hash": "<sha256 as in prompts.lock>", "commit": "<sha that introduced it>" | null},
            ...
          }
        }
      },
      "checksum": "sha256:<hex>"
    }

``checksum`` is sha256 over the canonical JSON (sorted keys, compact separators,
UTF-8) of everything else. It detects corruption and hand edits; it is not a
signature (whoever can write the file can recompute it), so protect the artifact
as you protect the code that loads it. Each version's ``content_hash`` is also
recomputed when the version is first used, so an entry whose text and hash
disagree is refused even if the checksum was recomputed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptlib.core._bounded import ReadRefused, parse_json
from promptlib.core._hints import did_you_mean
from promptlib.exceptions import BundleError, TemplateNotFound, VersionMismatch
from promptlib.prompts._compiler import TemplateCompiler
from promptlib.prompts._templates import PromptTemplate, check_id, template_from_text

if TYPE_CHECKING:
    from promptlib.config._settings import Settings

BUNDLE_FORMAT = "promptlib-bundle"
BUNDLE_FORMAT_VERSION = 1
CHECKSUM_PREFIX = "sha256:"


@dataclass(frozen=True)
class BundleEntry:
    """One version of one template, as stored in a bundle."""

    template_id: str
    version: int
    source: str
    partials: dict[str, str]
    content_hash: str
    commit: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "source": self.source,
            "partials": dict(sorted(self.partials.items())),
            "content_hash": self.content_hash,
            "commit": self.commit,
        }


def checksum(document: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of every key but ``checksum``."""
    body = {key: value for key, value in document.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return CHECKSUM_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Bundle:
    """A verified bundle file: templates by id and version, compiled on first use.

    Nothing here reads ``prompts/`` or runs git; partials come from each version's
    own dict, so a historical version renders with the partials it was released with.
    """

    def __init__(self, path: Path, document: Mapping[str, Any], project_root: Path) -> None:
        self.path = path
        self.document = document
        self.project_root = project_root
        self._entries = _entries(path, document)
        self._loaded: dict[tuple[str, int], PromptTemplate] = {}
        self._lock = threading.Lock()

    @classmethod
    def read(cls, path: Path, project_root: Path) -> Bundle:
        """Read and verify ``path``; a bundle that is not exactly as written is refused."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise BundleError(f"cannot read the bundle: {exc.strerror}", path=path) from None
        try:
            document = parse_json(raw.decode("utf-8"))
        except ReadRefused as exc:
            raise BundleError(f"not a promptlib bundle (the JSON {exc})", path=path) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise BundleError(f"not a promptlib bundle (invalid JSON: {exc})", path=path) from None
        if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
            raise BundleError('not a promptlib bundle (no "format": "promptlib-bundle")', path=path)
        if document.get("format_version") != BUNDLE_FORMAT_VERSION:
            raise BundleError(
                f"bundle format version {document.get('format_version')!r} is not supported by this promptlib "
                f"(it reads version {BUNDLE_FORMAT_VERSION}); rebuild it with `promptlib bundle` or upgrade",
                path=path,
            )
        stored = document.get("checksum")
        if stored != checksum(document):
            raise BundleError(
                "checksum mismatch: the bundle was modified or corrupted after it was written; "
                "rebuild it with `promptlib bundle`",
                path=path,
            )
        return cls(path, document, project_root)

    @property
    def created_at(self) -> str | None:
        value = self.document.get("created_at")
        return value if isinstance(value, str) else None

    @property
    def git_commit(self) -> str | None:
        value = self.document.get("git_commit")
        return value if isinstance(value, str) else None

    def ids(self) -> list[str]:
        return sorted(self._entries)

    def current_version(self, template_id: str) -> int:
        return int(self.document["templates"][template_id]["current"])

    def versions(self, template_id: str) -> list[int]:
        """Every version of the template this bundle holds, oldest first."""
        return sorted(self._entries[template_id])

    def paths(self) -> dict[str, Path]:
        """Where error messages place each template: inside the bundle, never under a prompts/ that is not there."""
        return {template_id: self._entry_path(template_id) for template_id in self._entries}

    def _entry_path(self, template_id: str, version: int | None = None) -> Path:
        suffix = "" if version is None else f"@v{version}"
        return self.path / "prompts" / f"{template_id}{suffix}.yaml"

    def template(self, template_id: str, version: int | None = None) -> PromptTemplate:
        """The current version, or ``version`` from the history; VersionMismatch names the versions held."""
        check_id(template_id)
        held = self._entries.get(template_id)
        if held is None:
            hint = did_you_mean(template_id, self._entries)
            hint = f"; {hint}" if hint else ""
            raise TemplateNotFound(f"no template {template_id!r} in this bundle{hint}", path=self.path)
        number = self.current_version(template_id) if version is None else version
        entry = held.get(number)
        if entry is None:
            known = ", ".join(str(n) for n in sorted(held))
            history = "" if self.document.get("history") else "; build it with `promptlib bundle --history`"
            raise VersionMismatch(
                f"{template_id} has no version {number} in this bundle (it holds {known}){history}", path=self.path
            )
        key = (template_id, number)
        with self._lock:
            loaded = self._loaded.get(key)
            if loaded is None:
                current = number == self.current_version(template_id)
                loaded = self._loaded[key] = self._compile(entry, current=current)
        return loaded

    def _compile(self, entry: BundleEntry, *, current: bool) -> PromptTemplate:
        path = self._entry_path(entry.template_id, None if current else entry.version)
        compiler = TemplateCompiler(self.path / "prompts", partials=entry.partials)
        template = template_from_text(entry.template_id, entry.source, path, compiler, self.project_root)
        if template.version != entry.version:
            raise BundleError(
                f"{entry.template_id}: entry for version {entry.version} holds a template declaring version "
                f"{template.version}; the bundle was edited, rebuild it",
                path=self.path,
            )
        if template.content_hash != entry.content_hash:
            raise BundleError(
                f"{entry.template_id} v{entry.version}: content does not match its recorded hash; "
                "the bundle was edited, rebuild it",
                path=self.path,
            )
        return template


def _entries(path: Path, document: Mapping[str, Any]) -> dict[str, dict[int, BundleEntry]]:
    """Check the shape up front, so a malformed bundle fails at load, not at some later get()."""

    def bad(what: str) -> BundleError:
        return BundleError(f"malformed bundle: {what}; rebuild it with `promptlib bundle`", path=path)

    templates = document.get("templates")
    if not isinstance(templates, dict):
        raise bad('"templates" is not an object')
    entries: dict[str, dict[int, BundleEntry]] = {}
    for template_id, item in templates.items():
        if not isinstance(item, dict) or not isinstance(item.get("versions"), dict):
            raise bad(f'template {template_id!r} has no "versions" object')
        check_id(template_id)
        held: dict[int, BundleEntry] = {}
        for key, raw in item["versions"].items():
            try:
                entry = BundleEntry(
                    template_id=template_id,
                    version=int(raw["version"]),
                    source=_text(raw["source"]),
                    partials={_text(k): _text(v) for k, v in raw["partials"].items()},
                    content_hash=_text(raw["content_hash"]),
                    commit=raw.get("commit") if isinstance(raw.get("commit"), str) else None,
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                raise bad(f"{template_id} version {key!r} is incomplete") from None
            if str(entry.version) != key:
                raise bad(f"{template_id} version {key!r} holds version {entry.version}")
            held[entry.version] = entry
        if item.get("current") not in held:
            raise bad(f"{template_id}'s current version {item.get('current')!r} is not among its versions")
        entries[template_id] = held
    return entries


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def bundle_settings(settings: Settings | Path | str | None) -> Settings:
    """Deployments for generating from a bundle (templates never come from here).

    Given Settings, use them; given a path, load that promptlib.yaml (or the one in
    that directory or above); given nothing, use promptlib.yaml found from the cwd if
    there is one, else only the built-in ``local`` emulator, rooted at the cwd (edit
    templates' image paths are relative to it).
    """
    from promptlib.config._settings import ProjectConfig, Settings, load_settings
    from promptlib.exceptions import ProjectNotFound

    if isinstance(settings, Settings):
        return settings
    if settings is not None:
        return load_settings(settings)
    try:
        return load_settings()
    except ProjectNotFound:
        return Settings(root=Path.cwd(), config=ProjectConfig(), config_path=None)
