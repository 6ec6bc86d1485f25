"""``promptlib check``: every problem in the project, not just the first.

A PR author wants the whole list in one CI run, so each file is checked on its
own and failures are collected rather than raised.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.config._settings import CONFIG_FILE
from promptlib.core._bounded import read_listed_bytes, read_text
from promptlib.core._clock import utc_today
from promptlib.core._problems import Problem, problems_of
from promptlib.evals._check_cache import CheckCache
from promptlib.evals._check_models import model_warnings, unique
from promptlib.evals._check_pool import findings_of
from promptlib.evals._check_units import SuiteFindings, TemplateFindings, partial_problems, suite_findings, text_sha
from promptlib.evals._suites import discover_suites, misnamed_suites, suite_name, suite_name_problem
from promptlib.evals._text_check import text_reader_warnings
from promptlib.exceptions import PromptlibError
from promptlib.prompts._lock import LockEntry, compare, lock_path, read_lock, version_line
from promptlib.prompts._sandbox import PartialLoader


@dataclass
class CheckReport:
    """What `check` found; ``ok`` when no problems (warnings do not fail it)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    templates: int = 0
    partials: int = 0
    suites: int = 0
    rechecked: list[str] = field(default_factory=list)  # "template ID", "suite NAME", "partial NAME" not from cache

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "templates": self.templates,
            "partials": self.partials,
            "suites": self.suites,
            "problems": [{"path": p.path.as_posix(), "line": p.line, "message": p.message} for p in self.problems],
            "warnings": [{"path": p.path.as_posix(), "line": p.line, "message": p.message} for p in self.warnings],
        }


def check_project(
    library: Library, today: datetime.date | None = None, *, use_cache: bool = True, workers: int | None = None
) -> CheckReport:
    """Every problem (and warning) in the project; ``today`` decides which models are near retirement.

    Findings of templates, suites and partials whose files (and what they depend on) are unchanged come
    from `.promptlib/cache/check.json` unless ``use_cache`` is off; the rest are computed, across
    ``workers`` processes (default: the cores) when there are many. The report is the same either way.
    """
    report = CheckReport()
    committed = library.settings.committed_state  # a committed check cache may be forged: it is not used
    cache = CheckCache(library.settings, enabled=use_cache and library.bundle is None and committed is None)
    if committed is not None:
        report.warnings.append(Problem(library.settings.state_dir, None, committed))
    _check_deployments(library, report)
    for path in sorted(library.prompts_dir.rglob("*.yml")):
        report.problems.append(Problem(path, None, "template files must end in .yaml; rename it"))
    units = _TemplateUnits(library, cache, workers)
    report.templates = len(units.findings)
    report.rechecked += [f"template {template_id}" for template_id in units.rechecked]
    for found in units.findings.values():
        report.problems.extend(found.problems)
    suites = _suite_units(library, cache, units, report.rechecked)
    uses = [m for f in units.findings.values() for m in f.model_problems]
    report.problems.extend(unique(uses + [m for s in suites.values() for m in s.model_problems]))
    report.problems.extend(p for s in suites.values() for p in s.expectation_problems)
    today = today or utc_today()
    report.warnings.extend(model_warnings(library.settings, library, today))
    report.warnings.extend(w for f in units.findings.values() for w in f.warnings)
    _check_partials(library, report, cache)
    _check_lock(library, units.findings, report)
    _check_suites(library, report, suites)
    _check_goldens(library, report, suites)
    cache.save()
    if cache.write_error is not None:
        reason = cache.write_error.strerror or cache.write_error
        message = f"the check cache could not be written ({reason}); the next check re-checks every file"
        report.warnings.append(Problem(cache.path, None, message))
    return report


class _TemplateUnits:
    """Every template's findings, from the cache where its file and partials are unchanged, else computed."""

    def __init__(self, library: Library, cache: CheckCache, workers: int | None) -> None:
        self.library = library
        self.cache = cache
        self._partial_shas: dict[str, str | None] = {}
        self._keys: dict[str, str] = {}
        found: dict[str, TemplateFindings] = {}
        missing = []
        for template_id in library.ids():
            hit = self._cached(template_id)
            if hit is None:
                missing.append(template_id)
            else:
                found[template_id] = hit
        self.rechecked = missing
        for computed in findings_of(library, missing, workers):
            found[computed.template_id] = computed
            key = self._keys.get(computed.template_id)
            if key is not None and computed.cacheable:
                cache.put(key, computed, computed.partials)
        self.findings = {template_id: found[template_id] for template_id in library.ids()}

    def _cached(self, template_id: str) -> TemplateFindings | None:
        if not self.cache.enabled:
            return None
        try:  # (discovery refused links that leave prompts/: no need to resolve each file again)
            text = read_listed_bytes(self.library.path_of(template_id)).decode("utf-8")
        except (OSError, UnicodeDecodeError, ValueError, PromptlibError):
            return None  # computing it reports why
        key = self._keys[template_id] = self.cache.key("template", template_id, text)
        hit = self.cache.template(key, self.partial_sha)
        return hit if hit is not None and hit.template_id == template_id and hit.loaded else None

    def partial_sha(self, name: str) -> str | None:
        """The sha256 of a partial's text as an include would read it now (None: it cannot be read)."""
        if name not in self._partial_shas:
            loader = self.library.compiler.env.loader
            assert isinstance(loader, PartialLoader)
            try:
                self._partial_shas[name] = text_sha(loader.read(name)[0])
            except Exception:  # missing, refused, not text: whatever the reason, not what was cached
                self._partial_shas[name] = None
        return self._partial_shas[name]

    def key_of(self, template_id: str) -> str | None:
        """What a suite that names the template depends on: its key and its partials' (None: not cacheable)."""
        found = self.findings.get(template_id)
        key = self._keys.get(template_id)
        if found is None:
            return "absent" if template_id not in self.library else None
        if key is None or not found.loaded or not found.cacheable:
            return None
        return f"{key}:{sorted(found.partials.items())}"


def _suite_units(
    library: Library, cache: CheckCache, units: _TemplateUnits, rechecked: list[str]
) -> dict[str, SuiteFindings]:
    """Every suite's findings by name, from the cache where the suite and the templates it names are unchanged."""
    broken = {template_id for template_id, found in units.findings.items() if not found.loaded}
    ids = text_sha("\n".join(library.ids()))  # a missing template's message suggests the closest id
    results: dict[str, SuiteFindings] = {}
    for name, path in discover_suites(library.settings.evals_dir).items():
        key = None
        if cache.enabled:
            try:
                key = cache.key("suite", name, read_text(path, within=library.settings.root), ids)
            except (OSError, UnicodeDecodeError, ValueError):
                key = None
        hit = cache.suite(key, units.key_of, path) if key is not None else None
        if hit is not None and hit.name == name:
            results[name] = hit
            continue
        found = results[name] = suite_findings(library, name, path, broken)
        rechecked.append(f"suite {name}")
        deps = {template_id: units.key_of(template_id) for template_id in found.templates}
        if key is not None and found.cacheable and all(dep is not None for dep in deps.values()):
            cache.put(key, found, {k: v for k, v in deps.items() if v is not None})
    return results


def _check_deployments(library: Library, report: CheckReport) -> None:
    """Every deployment's endpoint and Entra scope inside the trust boundary, so a PR that redirects a secret
    goes red here, before eval runs. An endpoint from an unset ${env:} variable is checked where it is set (CI)."""
    from promptlib.deployments import check_deployment
    from promptlib.exceptions import ConfigError, MissingEnvironmentVariable

    settings = library.settings
    for name in settings.config.deployments:
        try:
            check_deployment(settings, name)
        except MissingEnvironmentVariable:
            continue
        except ConfigError as exc:
            report.problems.append(Problem(exc.path or Path(CONFIG_FILE), exc.line, exc.message))


def _check_goldens(library: Library, report: CheckReport, suites: dict[str, SuiteFindings]) -> None:
    """Every golden set readable, intact, calibrated as its goldens say, and used by some case (else:
    `promptlib goldens prune`)."""
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._manifest import MANIFEST, calibration_mismatch

    store = golden_store(library)
    cases = store.cases()
    if not cases:
        return
    live: set[tuple[str, str]] | None = {(s.name, case) for s in suites.values() for case in s.cases}
    if misnamed_suites(library.settings.evals_dir) or not all(s.readable for s in suites.values()):
        live = None  # a broken suite is already reported; don't call every golden set unused because of it
    every = store.golden_hashes(strict=False)
    for suite, case in cases:
        try:
            manifest = store.load(suite, case)
        except PromptlibError as exc:
            report.problems.extend(problems_of(exc))
            continue
        if manifest is not None:
            mismatch = calibration_mismatch(manifest, store.others(suite, case, every))
            if mismatch is not None:
                report.problems.append(Problem(store.case_dir(suite, case) / MANIFEST, None, mismatch))
        if live is not None and (suite, case) not in live:
            renamed = _renamed_to(library, store, manifest) if manifest is not None else None
            directory = store.case_dir(suite, case)
            if renamed is not None:
                target = store.root / renamed
                message = (
                    f"goldens of {suite}/{case}, which no suite has any more, match case {renamed} (same "
                    f"template and prompt): if you renamed the case, move them with `git mv "
                    f"{_shown(directory)} {_shown(target)}`"
                )
            else:
                message = (
                    f"goldens of {suite}/{case}, which no suite has any more; remove them with "
                    "`promptlib goldens prune`"
                )
            report.problems.append(Problem(directory, None, message))


def _renamed_to(library: Library, store: Any, manifest: Any) -> str | None:
    """The case without goldens that renders exactly what an unused golden set was approved for (a rename)."""
    from promptlib.evals._cases import select_cases

    with_goldens = set(store.cases())
    for case in select_cases(library, [])[0]:
        if (case.suite, case.id) in with_goldens or case.template_id != manifest.template.id:
            continue
        try:
            rendered = library.get(case.template_id).render(case.variables)
        except PromptlibError:
            continue
        if rendered.prompt == manifest.prompt and rendered.parameters.to_wire() == manifest.parameters:
            return case.key
    return None


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when it is under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_partials(library: Library, report: CheckReport, cache: CheckCache) -> None:
    partials_dir = library.prompts_dir / "partials"
    if not partials_dir.is_dir():
        return
    for path in sorted(partials_dir.rglob("*")):
        if path.is_dir():
            continue
        report.partials += 1
        if path.suffix != ".j2":
            report.problems.append(Problem(path, None, "files under prompts/partials/ must be .j2 partials"))
            continue
        if not path.exists():
            report.problems.append(Problem(path, None, "the partial is a broken link"))
            continue
        if not path.resolve().is_relative_to(partials_dir.resolve()):
            message = "the partial is a link that leaves prompts/partials/; copy the file in instead"
            report.problems.append(Problem(path, None, message))
            continue
        report.problems.extend(_partial_unit(library, path, partials_dir, cache, report.rechecked))


def _partial_unit(
    library: Library, path: Path, partials_dir: Path, cache: CheckCache, rechecked: list[str]
) -> list[Problem]:
    key = None
    if cache.enabled:
        try:
            text = read_text(path, within=partials_dir)
            key = cache.key("partial", path.relative_to(partials_dir).as_posix(), text)
        except (OSError, UnicodeDecodeError, ValueError):
            key = None
    hit = cache.problems(key) if key is not None else None
    if hit is not None:
        return hit
    problems = partial_problems(library, path, partials_dir)
    rechecked.append(f"partial {path.relative_to(partials_dir).as_posix()}")
    if key is not None:
        cache.put(key, problems, {})
    return problems


def _check_lock(library: Library, templates: dict[str, TemplateFindings], report: CheckReport) -> None:
    path = lock_path(library.prompts_dir)
    try:
        lock = read_lock(path)
    except PromptlibError as exc:
        report.problems.extend(problems_of(exc))
        return
    if lock is None:
        if library.ids():
            report.problems.append(Problem(path, None, "the lock file is missing; run `promptlib lock` and commit it"))
        return
    current = {
        template_id: LockEntry(found.version, found.content_hash)
        for template_id, found in templates.items()
        if found.loaded and found.version is not None and found.content_hash is not None
    }
    broken = set(library.ids()) - set(current)
    text_lines = path.read_text(encoding="utf-8").splitlines()
    for issue in compare({k: v for k, v in lock.items() if k not in broken}, current):
        if not issue.fixable:  # a missing or backward version bump is fixed in the template, not the lock
            template_path = library.path_of(issue.template_id)
            report.problems.append(Problem(template_path, version_line(template_path), issue.message))
            continue
        line = next((i + 1 for i, t in enumerate(text_lines) if f'"{issue.template_id}":' in t), None)
        report.problems.append(Problem(path, line, issue.message))


def _check_suites(library: Library, report: CheckReport, suites: dict[str, SuiteFindings]) -> None:
    settings = library.settings
    if settings.evals_dir.is_dir():
        for path in sorted(settings.evals_dir.rglob("*.yml")):
            if suite_name(path.relative_to(settings.evals_dir).with_suffix(".yaml").as_posix()) is not None:
                report.problems.append(Problem(path, None, "suite files must end in .yaml; rename it"))
    for name, path in misnamed_suites(settings.evals_dir).items():
        report.problems.append(Problem(path, None, suite_name_problem(name) or ""))
    for found in suites.values():
        report.suites += 1
        report.problems.extend(found.problems)
    report.warnings.extend(text_reader_warnings([case for found in suites.values() for case in found.text_cases]))
