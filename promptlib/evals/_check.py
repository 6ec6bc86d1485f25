"""``promptlib check``: every problem in the project, not just the first.

A PR author wants the whole list in one CI run, so each file is checked on its
own and failures are collected rather than raised.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.config._settings import CONFIG_FILE
from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._clock import utc_today
from promptlib.core._problems import Problem, problems_of
from promptlib.evals._cases import UNREADABLE, SuiteCases, read_suite
from promptlib.evals._suites import discover_suites, misnamed_suites, suite_name, suite_name_problem
from promptlib.evals._text_check import text_reader_warnings
from promptlib.exceptions import PromptlibError
from promptlib.prompts._lock import LockEntry, compare, lock_path, read_lock, version_line
from promptlib.prompts._templates import PromptTemplate
from promptlib.prompts._variables import ImageVariable


@dataclass
class CheckReport:
    """What `check` found; ``ok`` when no problems (warnings do not fail it)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    templates: int = 0
    partials: int = 0
    suites: int = 0

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


def check_project(library: Library, today: datetime.date | None = None) -> CheckReport:
    """Every problem (and warning) in the project; ``today`` decides which models are near retirement."""
    from promptlib.evals._check_models import deprecation_warnings, model_problems, model_warnings

    report = CheckReport()
    _check_deployments(library, report)
    loaded = _check_templates(library, report)
    report.problems.extend(model_problems(library, loaded))
    today = today or utc_today()
    report.warnings.extend(model_warnings(library.settings, library, today) + deprecation_warnings(loaded))
    _check_partials(library, report)
    _check_lock(library, loaded, report)
    _check_suites(library, report, broken=set(library.ids()) - set(loaded))
    _check_goldens(library, report)
    return report


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


def _check_goldens(library: Library, report: CheckReport) -> None:
    """Every golden set readable, intact, calibrated as its goldens say, and used by some case (else:
    `promptlib goldens prune`)."""
    from promptlib.evals._golden_listing import existing_cases
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._manifest import MANIFEST, calibration_mismatch

    store = golden_store(library)
    try:
        live: set[tuple[str, str]] | None = existing_cases(library)
    except PromptlibError:
        live = None  # a broken suite is already reported; don't call every golden set unused because of it
    every = store.golden_hashes(strict=False)
    for suite, case in store.cases():
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


def _check_templates(library: Library, report: CheckReport) -> dict[str, PromptTemplate]:
    loaded: dict[str, PromptTemplate] = {}
    for path in sorted(library.prompts_dir.rglob("*.yml")):
        report.problems.append(Problem(path, None, "template files must end in .yaml; rename it"))
    for template_id in library.ids():
        report.templates += 1
        try:
            template = library.get(template_id)
        except PromptlibError as exc:
            report.problems.extend(problems_of(exc))
            continue
        loaded[template_id] = template  # a bad example is the example's problem: the suites still get checked
        report.problems.extend(_example_problems(template))
        deployments = library.settings.config.deployments
        if template.deployment is not None and template.deployment not in deployments:
            line = version_line(template.path, key="deployment")
            known = ", ".join(sorted(deployments))
            message = f"deployment {template.deployment!r} is not defined in promptlib.yaml (defines: {known})"
            report.problems.append(Problem(template.path, line, message))
    return loaded


def _example_problems(template: PromptTemplate) -> list[Problem]:
    """Every example must render: it documents the template and seeds eval cases. Each at its own line."""
    problems = []
    for example in template.examples:
        try:
            template.render(example.variables)
        except PromptlibError as exc:
            line = example_line(template.path, example.name)
            problems.append(Problem(template.path, line, f"example {example.name!r}: {exc.message}"))
    has_images = any(isinstance(s, ImageVariable) for s in template.variables.values())
    if not template.examples and not has_images and all(not s.is_required for s in template.variables.values()):
        try:
            template.render()
        except PromptlibError as exc:
            problems.extend(problems_of(exc))
    return problems


def example_line(path: Path, name: str) -> int | None:
    """The line of `- name: NAME` under examples: (plain or quoted), by a scan of the file's text."""
    pattern = re.compile(rf"^\s*-?\s*name:\s*['\"]?{re.escape(name)}['\"]?\s*(#.*)?$")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((i + 1 for i, text in enumerate(lines) if pattern.match(text)), None)


def _check_partials(library: Library, report: CheckReport) -> None:
    partials_dir = library.prompts_dir / "partials"
    if not partials_dir.is_dir():
        return
    compiler = library.compiler
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
        try:
            compiler.compile(read_text(path, within=partials_dir), name=path.name, path=path)
        except UnicodeDecodeError:
            report.problems.append(Problem(path, None, "the partial is not UTF-8 text"))
        except (ReadRefused, OSError) as exc:
            report.problems.append(Problem(path, None, f"the partial {exc}"))
        except PromptlibError as exc:
            report.problems.extend(problems_of(exc))


def _check_lock(library: Library, loaded: dict[str, PromptTemplate], report: CheckReport) -> None:
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
    current = {tid: LockEntry(t.version, t.content_hash) for tid, t in loaded.items()}
    broken = set(library.ids()) - set(loaded)
    text_lines = path.read_text(encoding="utf-8").splitlines()
    for issue in compare({k: v for k, v in lock.items() if k not in broken}, current):
        if not issue.fixable:  # a missing or backward version bump is fixed in the template, not the lock
            template = loaded[issue.template_id]
            report.problems.append(Problem(template.path, version_line(template.path), issue.message))
            continue
        line = next((i + 1 for i, t in enumerate(text_lines) if f'"{issue.template_id}":' in t), None)
        report.problems.append(Problem(path, line, issue.message))


def _check_suites(library: Library, report: CheckReport, broken: set[str]) -> None:
    settings = library.settings
    if settings.evals_dir.is_dir():
        for path in sorted(settings.evals_dir.rglob("*.yml")):
            if suite_name(path.relative_to(settings.evals_dir).with_suffix(".yaml").as_posix()) is not None:
                report.problems.append(Problem(path, None, "suite files must end in .yaml; rename it"))
    for name, path in misnamed_suites(settings.evals_dir).items():
        report.problems.append(Problem(path, None, suite_name_problem(name) or ""))
    reading_text = []
    for name, path in discover_suites(settings.evals_dir).items():
        report.suites += 1
        found = read_suite(library, name, path)
        report.problems.extend(_suite_problems(library, found, broken))
        reading_text += [case for case in found.cases if case.expect.reads_text]
    report.warnings.extend(text_reader_warnings(reading_text))


def _suite_problems(library: Library, found: SuiteCases, broken: set[str]) -> list[Problem]:
    """What eval would refuse in one suite (the same reading eval does), each at its line; a case of a
    template that is itself broken is not reported again."""
    if found.suite is None:
        return [Problem(p.path, p.line, p.message.removeprefix(UNREADABLE)) for p in found.problems]
    problems = [p for p in found.problems if not any(p.message.startswith(f"from_examples {t}:") for t in broken)]
    deployment = found.suite.deployment
    if deployment is not None and deployment not in library.settings.config.deployments:
        line = _key_line(found.path, "deployment")
        problems.append(Problem(found.path, line, f"deployment {deployment!r} is not defined in promptlib.yaml"))
    for case in found.cases:
        if case.template_id in broken or case.from_example:
            continue
        try:
            library.get(case.template_id).render(case.variables)
        except PromptlibError as exc:
            problems.append(Problem(found.path, case.line, f"case {case.id}: {exc.message}"))
    return problems


def _key_line(path: Path, key: str) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((i + 1 for i, text in enumerate(lines) if re.match(rf"{key}\s*:", text)), None)
