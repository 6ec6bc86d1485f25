"""Eval cases: suites expanded (`from_examples` included) and selected by `SUITE[/CASE]`.

`check`, `eval` and the pytest plugin all read suites through `select`, so anything eval would refuse is a
problem `check` reports with its file and line. A problem stays with its suite: an unreadable suite, a
`from_examples:` naming no template, or two entries claiming one case id make those entries (or that suite)
an error, and every other case still runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.core._hints import did_you_mean
from promptlib.core._problems import Problem, problems_of
from promptlib.evals._suites import (
    Case,
    Expect,
    SuiteFile,
    discover_suites,
    load_suite_document,
    misnamed_suites,
    suite_name_problem,
)
from promptlib.exceptions import PromptlibError, UsageError
from promptlib.goldens._compare import Policy
from promptlib.goldens._review import ProjectCase


@dataclass(frozen=True)
class EvalCase:
    """One case ready to run: template, values, sampling policy and expectations."""

    suite: str
    id: str
    template_id: str
    variables: dict[str, Any] = field(hash=False)
    policy: Policy
    expect: Expect
    deployment: str | None
    line: int | None = field(default=None, compare=False)  # where the suite defines it
    path: Path | None = field(default=None, compare=False, hash=False)
    from_example: bool = field(default=False, compare=False)  # an example's values (checked with the template)

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"


@dataclass
class SuiteCases:
    """One suite's runnable cases, and the problems of its entries that yield none."""

    name: str
    path: Path
    suite: SuiteFile | None
    cases: list[EvalCase] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.suite is not None


@dataclass
class Selection:
    """The cases `SUITE[/CASE]` selectors chose, whether that is every case, and the suites' problems."""

    cases: list[EvalCase]
    full_run: bool
    problems: list[tuple[str, Problem]]  # (suite name, problem) for the selected suites

    @property
    def complete(self) -> bool:
        """Every suite could be read: the cases are all the project's (so unused goldens can be judged)."""
        return not any(problem.message.startswith(UNREADABLE) for _, problem in self.problems)


UNREADABLE = "the suite cannot be read: "


def read_suite(library: Library, name: str, path: Path) -> SuiteCases:
    """The suite's cases in file order; problems of one entry never hide the others."""
    try:
        suite, doc = load_suite_document(path, within=library.settings.root)
    except PromptlibError as exc:
        problems = [Problem(p.path, p.line, UNREADABLE + p.message) for p in problems_of(exc)]
        return SuiteCases(name, path, None, problems=problems)
    found = SuiteCases(name, path, suite)
    claims: dict[str, list[int | None]] = {}
    for index, entry in enumerate(suite.cases):
        line = doc.line_of(("cases", index))
        text_line = doc.line_of(("cases", index, "expect", "text_from"))
        problem = _text_from_problem(library, entry, path, text_line)
        if problem is not None:
            found.problems.append(problem)
            continue
        for case in _entry_cases(library, name, path, suite, entry, line, found.problems):
            claims.setdefault(case.id, []).append(line)
            found.cases.append(case)
    for case_id, lines in claims.items():
        if len(lines) > 1:
            where = " and ".join(str(line) for line in lines)
            found.problems.append(
                Problem(
                    path,
                    lines[-1],
                    f"case id {case_id!r} is defined twice (lines {where}; "
                    "an example's name counts as a case id); rename one",
                )
            )
            found.cases = [case for case in found.cases if case.id != case_id]
    return found


def _text_from_problem(library: Library, entry: Any, path: Path, line: int | None) -> Problem | None:
    """`expect.text_from` may name only the template's text-like variables (a typo would check nothing)."""
    names = entry.expect.text_from
    template_id = entry.prompt if isinstance(entry, Case) else entry.from_examples
    what = f"case {entry.id}" if isinstance(entry, Case) else f"from_examples {template_id}"
    if not names:
        return None
    try:
        variables = library.get(template_id).variables
    except PromptlibError:
        return None  # the template's own problem (or a from_examples typo) is reported where it is
    for variable in names:
        spec = variables.get(variable)
        if spec is None:
            declared = ", ".join(variables) or "none"
            hint = _hint(variable, list(variables))
            message = f"{what}: expect.text_from: {template_id} has no variable {variable!r}; {hint}"
            return Problem(path, line, f"{message}it declares: {declared}")
        if spec.type not in TEXT_VARIABLE_TYPES:
            message = (
                f"{what}: expect.text_from: {variable!r} is a {spec.type} variable of {template_id}; text_from takes "
                f"{', '.join(TEXT_VARIABLE_TYPES)} variables (list the text under expect.text instead)"
            )
            return Problem(path, line, message)
    return None


#: Variables whose value is printable text.
TEXT_VARIABLE_TYPES = ("string", "enum", "integer", "number")


def _entry_cases(
    library: Library, name: str, path: Path, suite: SuiteFile, entry: Any, line: int | None, problems: list[Problem]
) -> list[EvalCase]:
    if isinstance(entry, Case):
        return [_case(name, path, suite, entry.id, entry.prompt, entry.variables, entry.samples, entry.expect, line)]
    try:
        template = library.get(entry.from_examples)
    except PromptlibError as exc:
        problems.append(Problem(path, line, f"from_examples {entry.from_examples}: {exc.message}"))
        return []
    if not template.examples:
        problems.append(Problem(path, line, f"from_examples {template.id}: the template has no examples"))
    return [
        replace(
            _case(name, path, suite, example.name, template.id, dict(example.variables), None, entry.expect, line),
            from_example=True,
        )
        for example in template.examples
    ]


def _case(
    name: str, path: Path, suite: SuiteFile, case_id: str, template_id: str, variables: dict[str, Any],
    samples: int | None, expect: Expect, line: int | None,
) -> EvalCase:  # fmt: skip
    k = samples or suite.samples
    policy = Policy(
        samples=k, min_matches=min(suite.policy.min_matches, k), max_samples=max(suite.policy.max_samples, k)
    )
    return EvalCase(name, case_id, template_id, dict(variables), policy, expect, suite.deployment, line, path)


def read_suites(library: Library) -> list[SuiteCases]:
    """Every suite of the project, refusing (exit 2) while a suite file has a name that could forge CI output."""
    settings = library.settings
    for name, path in misnamed_suites(settings.evals_dir).items():
        raise UsageError(f"{suite_name_problem(name)} (`promptlib check` lists every such file)", path=path)
    return [read_suite(library, name, path) for name, path in discover_suites(settings.evals_dir).items()]


def load_suites(library: Library) -> dict[str, SuiteFile]:
    """The readable suites by name."""
    return {s.name: s.suite for s in read_suites(library) if s.suite is not None}


def expand(library: Library, name: str, suite: SuiteFile) -> list[EvalCase]:
    """A suite's runnable cases (for a suite already parsed, e.g. read from git)."""
    problems: list[Problem] = []
    cases: list[EvalCase] = []
    for entry in suite.cases:
        cases += _entry_cases(library, name, Path(f"{name}.yaml"), suite, entry, None, problems)
    ids = [case.id for case in cases]
    return [case for case in cases if ids.count(case.id) == 1]


def select(library: Library, selectors: Sequence[str]) -> Selection:
    """Cases for `SUITE` / `SUITE/CASE` selectors (all when none), with the selected suites' problems."""
    suites = read_suites(library)
    if not suites:
        raise UsageError(f"no eval suites under {library.settings.evals_dir}; add evals/<suite>.yaml")
    by_name = {s.name: s for s in suites}
    if not selectors:
        problems = [(s.name, p) for s in suites for p in s.problems]
        return Selection([case for s in suites for case in s.cases], True, problems)
    chosen: dict[str, EvalCase] = {}
    touched: list[str] = []
    for selector in selectors:
        suite_name, cases = _match(selector.strip("/"), by_name)
        touched += [suite_name] if suite_name not in touched else []
        for case in cases:
            chosen.setdefault(case.key, case)
    problems = [(name, p) for name in touched for p in by_name[name].problems]
    return Selection(list(chosen.values()), False, problems)


def select_cases(library: Library, selectors: Sequence[str]) -> tuple[list[EvalCase], bool]:
    """`select` without the problems: for commands that only need the cases that can run."""
    selection = select(library, selectors)
    return selection.cases, selection.full_run


def _match(selector: str, suites: dict[str, SuiteCases]) -> tuple[str, list[EvalCase]]:
    if selector in suites:
        return selector, suites[selector].cases
    suite, _, case_id = selector.rpartition("/")
    if suite in suites:
        found = [c for c in suites[suite].cases if c.id == case_id]
        if found or not suites[suite].readable or any(f"{case_id!r}" in p.message for p in suites[suite].problems):
            return suite, found  # a case of a broken suite or entry: its problem is reported instead
        ids = [c.id for c in suites[suite].cases]
        raise UsageError(f"suite {suite!r} has no case {case_id!r}; {_hint(case_id, ids)}its cases: {', '.join(ids)}")
    raise UsageError(f"no suite {selector!r}; {_hint(selector, list(suites))}suites: {', '.join(sorted(suites))}")


def _hint(name: str, known: list[str]) -> str:
    hint = did_you_mean(name, known)
    return f"{hint} " if hint else ""


def approvable_cases(library: Library) -> dict[str, ProjectCase]:
    """Every case the checked-out project defines, by key: the only cases approve and reject may write."""
    found: dict[str, ProjectCase] = {}
    for case in select_cases(library, [])[0]:
        size: str | None = case.expect.size
        fmt: str | None = case.expect.format
        version = content_hash = None
        try:
            template = library.get(case.template_id)
            parameters = template.parameters
            size = size or (parameters.size if parameters.size != "auto" else None)
            fmt = fmt or parameters.output_format or "png"
            version, content_hash = template.version, template.content_hash
        except PromptlibError:
            pass  # a broken template: its case still exists; only its run's own checks apply
        found[case.key] = ProjectCase(case.suite, case.id, size, fmt, version, content_hash)
    return found
