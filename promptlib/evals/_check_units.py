"""What `check` finds in one template or one suite, as plain data that can be cached and sent between processes.

`check` is split into units that depend only on files it can hash: a template (its file and the partials
it includes), a suite (its file and the templates its cases name), a partial. Each unit's findings are
computed here from the real Library, exactly as a whole-project check would, and then kept by
`_check_cache` under a key covering everything they depend on. Project-wide checks (deployments, the lock,
goldens) stay in `_check` and read the units' findings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from promptlib._library import Library
from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._problems import Problem, problems_of
from promptlib.evals._cases import UNREADABLE, SuiteCases, read_suite
from promptlib.evals._check_models import (
    ModelProblem,
    case_deployment,
    default_use_problems,
    deprecation_warnings,
    expectation_problem,
    use_problems,
)
from promptlib.evals._suites import Case
from promptlib.exceptions import PromptlibError
from promptlib.prompts._lock import version_line
from promptlib.prompts._templates import PromptTemplate
from promptlib.prompts._variables import ImageVariable


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TemplateFindings:
    """One template's problems, model problems on its own deployment, warnings, and what the lock needs."""

    template_id: str
    problems: tuple[Problem, ...]
    loaded: bool
    version: int | None = None
    content_hash: str | None = None
    model_problems: tuple[ModelProblem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    partials: dict[str, str] = field(default_factory=dict)  # every partial it includes -> sha256 of its text
    cacheable: bool = True  # False when rendering reads other files (an edit's images): not worth tracking


@dataclass(frozen=True)
class TextCase:
    """A case that expects text in its images (`check` warns at the first when the OCR extra is missing)."""

    key: str
    path: Path
    line: int | None


@dataclass(frozen=True)
class SuiteFindings:
    """One suite's problems, the model problems of its cases, and its case ids (for unused goldens)."""

    name: str
    problems: tuple[Problem, ...]
    readable: bool
    cases: tuple[str, ...] = ()
    model_problems: tuple[ModelProblem, ...] = ()
    expectation_problems: tuple[Problem, ...] = ()
    templates: tuple[str, ...] = ()  # the template ids its entries name, present or not
    text_cases: tuple[TextCase, ...] = ()
    cacheable: bool = True  # False when its cases read image files (an edit template's)


def template_findings(library: Library, template_id: str) -> TemplateFindings:
    """Load, render every example, and check the deployment and model of one template."""
    try:
        template = library.get(template_id)
    except PromptlibError as exc:
        return TemplateFindings(template_id, tuple(problems_of(exc)), loaded=False)
    problems = _example_problems(template)
    deployments = library.settings.config.deployments
    if template.deployment is not None and template.deployment not in deployments:
        line = version_line(template.path, key="deployment")
        known = ", ".join(sorted(deployments))
        message = f"deployment {template.deployment!r} is not defined in promptlib.yaml (defines: {known})"
        problems.append(Problem(template.path, line, message))
    return TemplateFindings(
        template_id,
        tuple(problems),
        loaded=True,
        version=template.version,
        content_hash=template.content_hash,
        model_problems=tuple(default_use_problems(library, template)),
        warnings=tuple(deprecation_warnings(template)),
        partials={name: text_sha(source) for name, source in sorted(template.partial_texts.items())},
        cacheable=not _reads_files(template),
    )


def _reads_files(template: PromptTemplate) -> bool:
    return any(isinstance(spec, ImageVariable) for spec in template.variables.values())


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


def suite_findings(library: Library, name: str, path: Path, broken: set[str]) -> SuiteFindings:
    """What eval would refuse in one suite (the same reading eval does), each at its line, and what its
    cases' models refuse; a case of a template that is itself broken is not reported again."""
    found = read_suite(library, name, path)
    if found.suite is None:
        unreadable = tuple(Problem(p.path, p.line, p.message.removeprefix(UNREADABLE)) for p in found.problems)
        return SuiteFindings(name, unreadable, readable=False)
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
    uses, expectations = _case_model_problems(library, found, broken)
    return SuiteFindings(
        name,
        tuple(problems),
        readable=True,
        cases=tuple(case.id for case in found.cases),
        model_problems=tuple(uses),
        expectation_problems=tuple(expectations),
        templates=named_templates(found),
        text_cases=tuple(TextCase(c.key, found.path, c.line) for c in found.cases if c.expect.reads_text),
        cacheable=not any(_reads_files(t) for t in _loaded(library, named_templates(found), broken)),
    )


def _loaded(library: Library, template_ids: tuple[str, ...], broken: set[str]) -> list[PromptTemplate]:
    return [library.get(t) for t in template_ids if t in library and t not in broken]


def named_templates(found: SuiteCases) -> tuple[str, ...]:
    """Every template id the suite's entries name (a case's ``prompt:``, a ``from_examples:``)."""
    if found.suite is None:
        return ()
    names = {entry.prompt if isinstance(entry, Case) else entry.from_examples for entry in found.suite.cases}
    return tuple(sorted(names))


def _case_model_problems(
    library: Library, found: SuiteCases, broken: set[str]
) -> tuple[list[ModelProblem], list[Problem]]:
    """Each case's deployment's model against its template (once per template and deployment), and each
    ``expect.size`` against it."""
    seen: set[tuple[str, str]] = set()
    uses: list[ModelProblem] = []
    expectations: list[Problem] = []
    defined = library.settings.config.deployments
    for case in found.cases:
        if case.template_id in broken or case.template_id not in library:
            continue
        try:
            template = library.get(case.template_id)
        except PromptlibError:
            continue
        deployment = case_deployment(library, case, template)
        if deployment in defined and (case.template_id, deployment) not in seen:
            seen.add((case.template_id, deployment))
            by = f"used by evals/{found.name}.yaml case {case.id}"
            uses += use_problems(library, template, deployment, by)
        problem = expectation_problem(library, case, template)
        if problem is not None:
            expectations.append(problem)
    return uses, expectations


def partial_problems(library: Library, path: Path, partials_dir: Path) -> list[Problem]:
    """A partial must compile on its own (it is checked even when nothing includes it yet)."""
    try:
        library.compiler.compile(read_text(path, within=partials_dir), name=path.name, path=path)
    except UnicodeDecodeError:
        return [Problem(path, None, "the partial is not UTF-8 text")]
    except (ReadRefused, OSError) as exc:
        return [Problem(path, None, f"the partial {exc}")]
    except PromptlibError as exc:
        return problems_of(exc)
    return []


def _key_line(path: Path, key: str) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((i + 1 for i, text in enumerate(lines) if re.match(rf"{key}\s*:", text)), None)
