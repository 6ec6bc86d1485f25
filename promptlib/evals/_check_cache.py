"""`check`'s memory: each unit's findings, kept under `.promptlib/cache/check.json`, keyed by content.

A unit's key is the sha256 of everything its findings depend on: the promptlib version, the model table,
the project config, the unit's own file, and (recorded in the entry, re-checked on every read) the
partials a template includes or the templates a suite names. An edit to any of them is a different key
or a failed re-check, so a cached finding is never stale.

`.promptlib/` may come from a pull request's checkout, so nothing read here is trusted blindly: the file
is read bounded, an entry must carry the key it is filed under, every field is type-checked, and a
problem's path is rebuilt from a relative path that must stay in the project; anything else is ignored
and recomputed. One file rather than one per unit: a 10,000-template project would otherwise write
10,000 files on its first run. Writes are atomic (a crash leaves the old file or the new one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from promptlib.config._settings import Settings
from promptlib.core._atomic import atomic_write_bytes
from promptlib.core._bounded import MiB, ReadRefused, parse_json, read_bytes
from promptlib.core._problems import Problem
from promptlib.evals._check_models import ModelProblem
from promptlib.evals._check_units import SuiteFindings, TemplateFindings, TextCase

CHECK_CACHE_SCHEMA = 1
CACHE_FILE = "check.json"
MAX_CACHE_BYTES = 512 * MiB  # ~300 bytes a template: far above any real project
Findings = TemplateFindings | SuiteFindings | list[Problem]  # a partial's findings are its problems


def promptlib_version() -> str:
    try:
        return version("promptlib")
    except PackageNotFoundError:
        return "unknown"


def environment_digest(settings: Settings) -> str:
    """What every unit depends on: promptlib's version, the model table as the project sees it, the config."""
    table = settings.models
    payload = {
        "schema": CHECK_CACHE_SCHEMA,
        "promptlib": promptlib_version(),
        "models": {name: entry.model_dump(mode="json") for name, entry in sorted(table.entries.items())},
        "fallback": repr(table.fallback),
        "api_versions": list(table.azure_api_versions),
        "config": settings.config.model_dump(mode="json"),
        "trusted": [settings.trusted_ref, settings.deployments_differ],
    }
    return digest(payload)


def digest(payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CheckCache:
    """The entries of `check.json` for one project; ``get`` returns only entries that verify."""

    def __init__(self, settings: Settings, *, enabled: bool = True) -> None:
        self.root = settings.root
        self.path = settings.state_dir / "cache" / CACHE_FILE
        self.enabled = enabled
        self.environment = environment_digest(settings)
        self._old: dict[str, Any] = self._read() if enabled else {}
        self._new: dict[str, Any] = {}
        self.write_error: OSError | None = None

    def key(self, kind: str, name: str, text: str, *extra: str) -> str:
        return digest([self.environment, kind, name, hashlib.sha256(text.encode("utf-8")).hexdigest(), *extra])

    def _read(self) -> dict[str, Any]:
        try:
            data = parse_json(read_bytes(self.path, within=self.root, limit=MAX_CACHE_BYTES))
        except (OSError, ValueError, ReadRefused):
            return {}
        if not isinstance(data, dict) or data.get("schema") != CHECK_CACHE_SCHEMA:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _entry(self, key: str, current: Callable[[str], str | None]) -> Any:
        """The findings filed under ``key`` whose recorded dependencies are each still ``current(name)``."""
        entry = self._old.get(key)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        recorded = entry.get("deps")
        if not isinstance(recorded, dict) or any(not isinstance(v, str) for v in recorded.values()):
            return None
        if any(not isinstance(name, str) or current(name) != sha for name, sha in recorded.items()):
            return None
        self._new[key] = entry
        return entry.get("findings")

    def template(self, key: str, partial_sha: Callable[[str], str | None]) -> TemplateFindings | None:
        """A template's findings, if its entry verifies against the partials as they are now."""
        found = self._entry(key, partial_sha)
        try:
            return _template_from_json(found, self.root) if found is not None else None
        except (KeyError, TypeError, ValueError):
            self._new.pop(key, None)
            return None

    def suite(self, key: str, template_key: Callable[[str], str | None], path: Path) -> SuiteFindings | None:
        """A suite's findings, if every template it names is as it was (`template_key`: None for a broken one)."""
        found = self._entry(key, template_key)
        try:
            return _suite_from_json(found, self.root, path) if found is not None else None
        except (KeyError, TypeError, ValueError):
            self._new.pop(key, None)
            return None

    def problems(self, key: str) -> list[Problem] | None:
        """A partial's problems."""
        found = self._entry(key, lambda name: None)
        try:
            return [_problem(p, self.root) for p in _list(found)] if found is not None else None
        except (KeyError, TypeError, ValueError):
            self._new.pop(key, None)
            return None

    def put(self, key: str, findings: Findings, deps: Mapping[str, str]) -> None:
        """Remember findings (not when a problem names a file outside the project: it could not be rebuilt)."""
        if not self.enabled:
            return
        try:
            encoded = _to_json(findings, self.root)
        except ValueError:
            return
        self._new[key] = {"key": key, "deps": dict(deps), "findings": encoded}

    def save(self) -> None:
        """Write this run's entries (only they: entries of deleted or edited files go), atomically."""
        if not self.enabled or self._new == self._old:
            return
        data = {"schema": CHECK_CACHE_SCHEMA, "entries": self._new}
        try:
            atomic_write_bytes(self.path, json.dumps(data, separators=(",", ":")).encode("utf-8"), durable=False)
        except OSError as exc:
            self.write_error = exc


def _to_json(findings: Findings, root: Path) -> Any:
    if isinstance(findings, list):
        return [_problem_json(p, root) for p in findings]
    common = {
        "problems": [_problem_json(p, root) for p in findings.problems],
        "model_problems": [[list(m.key), _problem_json(m.problem, root)] for m in findings.model_problems],
    }
    if isinstance(findings, TemplateFindings):
        return {
            **common,
            "id": findings.template_id,
            "loaded": findings.loaded,
            "version": findings.version,
            "content_hash": findings.content_hash,
            "warnings": [_problem_json(p, root) for p in findings.warnings],
            "partials": findings.partials,
        }
    return {
        **common,
        "name": findings.name,
        "readable": findings.readable,
        "cases": list(findings.cases),
        "expectation_problems": [_problem_json(p, root) for p in findings.expectation_problems],
        "templates": list(findings.templates),
        "text_cases": [[case.key, case.line] for case in findings.text_cases],
    }


def _problem_json(problem: Problem, root: Path) -> list[Any]:
    try:
        relative = problem.path.relative_to(root).as_posix()
    except ValueError:
        raise ValueError("outside the project") from None
    return [relative, problem.line, problem.message]


def _problem(value: Any, root: Path) -> Problem:
    relative, line, message = _list(value)
    parts = PurePosixPath(_str(relative)).parts
    if not parts or relative.startswith("/") or ".." in parts or "\\" in relative:
        raise ValueError("a path that leaves the project")
    if line is not None and (type(line) is not int or line < 1):
        raise ValueError("not a line number")
    return Problem(root.joinpath(*parts), line, _str(message))


def _model_problem(value: Any, root: Path) -> ModelProblem:
    key, problem = _list(value)
    template_id, model, field = (_str(part) for part in _list(key))
    return ModelProblem((template_id, model, field), _problem(problem, root))


def _template_from_json(data: Any, root: Path) -> TemplateFindings:
    partials = data["partials"]
    if not isinstance(partials, dict) or not all(isinstance(v, str) for v in partials.values()):
        raise TypeError("partials")
    version = data["version"]
    if version is not None and type(version) is not int:
        raise TypeError("version")
    content_hash = data["content_hash"]
    return TemplateFindings(
        _str(data["id"]),
        tuple(_problem(p, root) for p in _list(data["problems"])),
        loaded=data["loaded"] is True,
        version=version,
        content_hash=None if content_hash is None else _str(content_hash),
        model_problems=tuple(_model_problem(m, root) for m in _list(data["model_problems"])),
        warnings=tuple(_problem(p, root) for p in _list(data["warnings"])),
        partials=dict(partials),
    )


def _suite_from_json(data: Any, root: Path, path: Path) -> SuiteFindings:
    return SuiteFindings(
        _str(data["name"]),
        tuple(_problem(p, root) for p in _list(data["problems"])),
        readable=data["readable"] is True,
        cases=tuple(_str(c) for c in _list(data["cases"])),
        model_problems=tuple(_model_problem(m, root) for m in _list(data["model_problems"])),
        expectation_problems=tuple(_problem(p, root) for p in _list(data["expectation_problems"])),
        templates=tuple(_str(t) for t in _list(data["templates"])),
        text_cases=tuple(_text_case(c, path) for c in _list(data["text_cases"])),
    )


def _text_case(value: Any, path: Path) -> TextCase:
    key, line = _list(value)
    if line is not None and (type(line) is not int or line < 1):
        raise ValueError("not a line number")
    return TextCase(_str(key), path, line)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value
