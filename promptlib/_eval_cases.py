"""Eval cases: suites expanded (``from_examples`` included) and selected by ``SUITE[/CASE]``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._compare import Policy
from ._library import Library
from ._suites import (
    Case,
    Expect,
    SuiteFile,
    discover_suites,
    load_suite_document,
    misnamed_suites,
    suite_name_problem,
)
from .exceptions import TemplateValidationError, UsageError


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

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"


def load_suites(library: Library) -> dict[str, SuiteFile]:
    """Every suite, refusing (exit 2) while a suite file has a name that could forge CI output."""
    settings = library.settings
    for name, path in misnamed_suites(settings.evals_dir).items():
        raise UsageError(f"{suite_name_problem(name)} (`promptlib check` lists every such file)", path=path)
    return {name: load_suite_document(path, within=settings.root)[0]
            for name, path in discover_suites(settings.evals_dir).items()}


def expand(library: Library, name: str, suite: SuiteFile) -> list[EvalCase]:
    """The suite's cases in file order; examples become cases named after the example."""
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for entry in suite.cases:
        if isinstance(entry, Case):
            pairs = [(entry.id, entry.prompt, entry.variables, entry.samples, entry.expect)]
        else:
            template = library.get(entry.from_examples)
            pairs = [(ex.name, template.id, dict(ex.variables), None, entry.expect) for ex in template.examples]
        for case_id, template_id, variables, samples, expect in pairs:
            if case_id in seen:
                raise TemplateValidationError(f"suite {name!r} has two cases named {case_id!r}; rename one",
                                              path=library.settings.evals_dir / f"{name}.yaml")
            seen.add(case_id)
            k = samples or suite.samples
            policy = Policy(samples=k, min_matches=min(suite.policy.min_matches, k),
                            max_samples=max(suite.policy.max_samples, k))
            cases.append(EvalCase(name, case_id, template_id, dict(variables), policy, expect, suite.deployment))
    return cases


def select_cases(library: Library, selectors: Sequence[str]) -> tuple[list[EvalCase], bool]:
    """Cases for ``SUITE`` / ``SUITE/CASE`` selectors (all when none); also whether the run is full."""
    suites = load_suites(library)
    if not suites:
        raise UsageError(f"no eval suites under {library.settings.evals_dir}; add evals/<suite>.yaml")
    expanded = {name: expand(library, name, suite) for name, suite in suites.items()}
    if not selectors:
        return [case for cases in expanded.values() for case in cases], True
    chosen: dict[str, EvalCase] = {}
    for selector in selectors:
        for case in _match(selector.strip("/"), expanded):
            chosen.setdefault(case.key, case)
    return list(chosen.values()), False


def _match(selector: str, expanded: dict[str, list[EvalCase]]) -> list[EvalCase]:
    if selector in expanded:
        return expanded[selector]
    suite, _, case_id = selector.rpartition("/")
    if suite in expanded:
        found = [c for c in expanded[suite] if c.id == case_id]
        if found:
            return found
        known = ", ".join(c.id for c in expanded[suite])
        raise UsageError(f"suite {suite!r} has no case {case_id!r}; its cases: {known}")
    raise UsageError(f"no suite {selector!r}; suites: {', '.join(sorted(expanded))}")
