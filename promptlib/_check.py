"""``promptlib check``: every problem in the project, not just the first.

A PR author wants the whole list in one CI run, so each file is checked on its
own and failures are collected rather than raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._bounded import ReadRefused, read_text
from ._config import CONFIG_FILE
from ._library import Library
from ._lock import LockEntry, compare, lock_path, read_lock, version_line
from ._problems import Problem, problems_of
from ._suites import (
    Case,
    SuiteFile,
    discover_suites,
    load_suite_document,
    misnamed_suites,
    suite_name,
    suite_name_problem,
)
from ._templates import PromptTemplate
from ._variables import ImageVariable
from ._yaml import YamlDocument
from .exceptions import PromptlibError


@dataclass
class CheckReport:
    """What `check` found; ``ok`` when nothing."""

    problems: list[Problem] = field(default_factory=list)
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
            "problems": [
                {"path": p.path.as_posix(), "line": p.line, "message": p.message} for p in self.problems
            ],
        }


def check_project(library: Library) -> CheckReport:
    report = CheckReport()
    _check_deployments(library, report)
    loaded = _check_templates(library, report)
    _check_partials(library, report)
    _check_lock(library, loaded, report)
    _check_suites(library, report, broken=set(library.ids()) - set(loaded))
    _check_goldens(library, report)
    return report


def _check_deployments(library: Library, report: CheckReport) -> None:
    """Every deployment's endpoint and Entra scope inside the trust boundary, so a PR that redirects a secret
    goes red here, before eval runs. An endpoint from an unset ${env:} variable is checked where it is set (CI)."""
    from .deployments import check_deployment
    from .exceptions import ConfigError, MissingEnvironmentVariable

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
    from ._evals import golden_store
    from ._golden_listing import existing_cases
    from ._goldens import MANIFEST, calibration_mismatch

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
            report.problems.append(Problem(
                store.case_dir(suite, case), None,
                f"goldens of {suite}/{case}, which no suite has any more; remove them with `promptlib goldens prune`",
            ))


def _check_templates(library: Library, report: CheckReport) -> dict[str, PromptTemplate]:
    loaded: dict[str, PromptTemplate] = {}
    for path in sorted(library.prompts_dir.rglob("*.yml")):
        report.problems.append(Problem(path, None, "template files must end in .yaml; rename it"))
    for template_id in library.ids():
        report.templates += 1
        try:
            template = library.get(template_id)
            _check_examples(template)
        except PromptlibError as exc:
            report.problems.extend(problems_of(exc))
            continue
        loaded[template_id] = template
        deployments = library.settings.config.deployments
        if template.deployment is not None and template.deployment not in deployments:
            line = version_line(template.path, key="deployment")
            known = ", ".join(sorted(deployments))
            message = f"deployment {template.deployment!r} is not defined in promptlib.yaml (defines: {known})"
            report.problems.append(Problem(template.path, line, message))
    return loaded


def _check_examples(template: PromptTemplate) -> None:
    """Every example must render: it documents the template and seeds eval cases."""
    for example in template.examples:
        try:
            template.render(example.variables)
        except PromptlibError as exc:
            raise type(exc)(f"example {example.name!r}: {exc.message}", path=template.path) from None
    has_images = any(isinstance(s, ImageVariable) for s in template.variables.values())
    if has_images and not template.examples:
        return
    if not template.examples and all(not s.is_required for s in template.variables.values()):
        template.render()


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
    for path in discover_suites(settings.evals_dir).values():
        report.suites += 1
        try:
            suite, doc = load_suite_document(path, within=settings.root)
        except PromptlibError as exc:
            report.problems.extend(problems_of(exc))
            continue
        report.problems.extend(_suite_problems(library, suite, doc, broken))


def _suite_problems(library: Library, suite: SuiteFile, doc: YamlDocument, broken: set[str]) -> list[Problem]:
    """Problems of the suite itself; a case of a broken template is not reported again."""
    path = doc.path
    problems = []
    if suite.deployment is not None and suite.deployment not in library.settings.config.deployments:
        message = f"deployment {suite.deployment!r} is not defined in promptlib.yaml"
        problems.append(Problem(path, doc.line_of(("deployment",)), message))
    for index, case in enumerate(suite.cases):
        line = doc.line_of(("cases", index))
        template_id = case.prompt if isinstance(case, Case) else case.from_examples
        label = case.id if isinstance(case, Case) else f"from_examples {template_id}"
        if template_id in broken:
            continue
        try:
            template = library.get(template_id)
            if isinstance(case, Case):
                template.render(case.variables)
            elif not template.examples:
                problems.append(Problem(path, line, f"{label}: {template_id} has no examples"))
        except PromptlibError as exc:
            problems.append(Problem(path, line, f"case {label}: {exc.message}"))
    return problems
