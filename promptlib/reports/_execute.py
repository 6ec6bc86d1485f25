"""``promptlib eval`` end to end: select, run, report, print — shared by the CLI and the pytest plugin."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from promptlib._library import Library
from promptlib.core._problems import Problem
from promptlib.deployments import check_deployment
from promptlib.evals._budget import RunPlan, plan_run, refuse_over_budget
from promptlib.evals._cases import EvalCase, select
from promptlib.evals._results import CaseResult, RunResult
from promptlib.evals._run_dir import RunDirectory, disk_usage
from promptlib.evals._runner import EvalOptions, result_cache, run_cases
from promptlib.exceptions import MissingEnvironmentVariable, PromptlibError, UnknownDeployment
from promptlib.reports._runs import mark_latest
from promptlib.reports._summary import REPORT, SUMMARY, write_reports


def runs_root(library: Library) -> Path:
    return library.settings.state_dir / "runs"


def execute(
    library: Library,
    cases: Sequence[EvalCase],
    options: EvalOptions,
    *,
    full_run: bool,
    run_dir: Path | None = None,
    progress: Callable[[CaseResult], None] | None = None,
    changed_since: dict[str, Any] | None = None,
    suite_problems: Sequence[tuple[str, Problem]] = (),
) -> tuple[RunResult, RunDirectory, dict[str, Any]]:
    """Run ``cases`` and write results.json, summary.md and report.html; mark the run as latest.

    ``changed_since`` (from ``eval --changed-since``) is carried into the results so the
    report can show each changed template's rendered-prompt diff next to its images. With
    ``options.max_cost``, a run whose estimate is over it is refused before anything is created or sent.
    """
    check_deployments(library, cases, options)
    if options.max_cost is not None:
        refuse_over_budget(plan(library, cases, options), options.max_cost)
    run = RunDirectory.create(runs_root(library), run_dir)

    async def main() -> RunResult:
        return await run_cases(library, cases, run, options, full_run=full_run, progress=progress)

    result = anyio.run(main)
    result.disk_bytes, result.shared_bytes = disk_usage(run.path)
    result.changed_since = changed_since
    result.suite_errors = [suite_error(suite, problem, library) for suite, problem in suite_problems]
    data = write_reports(run, result)
    mark_latest(runs_root(library), run)
    _append_step_summary(run)
    return result, run, data


def deployments_of(library: Library, cases: Sequence[EvalCase], options: EvalOptions) -> set[str]:
    """The deployment names the cases will call (--deployment, PROMPTLIB_DEPLOYMENT, suite, template, default)."""
    names: set[str] = set()
    settings = library.settings
    for case in cases:
        template_default = None
        if case.deployment is None and options.deployment is None:
            with contextlib.suppress(PromptlibError):  # a broken template is reported by its case
                template_default = library.get(case.template_id).deployment
        with contextlib.suppress(UnknownDeployment):  # reported as the case's error
            names.add(settings.deployment_name(options.deployment, case.deployment or template_default))
    return names


def check_deployments(library: Library, cases: Sequence[EvalCase], options: EvalOptions) -> None:
    """Refuse (exit 2) before any run directory or connection exists when a deployment would send a secret
    outside the trust boundary; an endpoint variable that is unset is left to the cases to report."""
    for name in sorted(deployments_of(library, cases, options)):
        try:
            check_deployment(library.settings, name)
        except MissingEnvironmentVariable:
            continue


def suite_error(suite: str, problem: Problem, library: Library) -> dict[str, Any]:
    """A suite problem as results.json records it (path relative to the project, like every path there)."""
    root = library.settings.root
    for candidate, base in ((problem.path, root), (problem.path.absolute(), root.absolute())):
        try:  # (not resolved: a symlinked suite is named where it sits, not where it points)
            path = candidate.relative_to(base).as_posix()
            break
        except ValueError:
            path = problem.path.as_posix()
    return {"suite": suite, "path": path, "line": problem.line, "message": problem.message}


def plan(library: Library, cases: Sequence[EvalCase], options: EvalOptions) -> RunPlan:
    """What the run would send and cost (cache hits are free; ``--refresh``/``--no-cache`` use no hits)."""
    trusted = library.settings.committed_state is None  # as the run itself: no committed cache is used
    cache = result_cache(library) if options.cache == "use" and trusted else None
    return plan_run(library, cases, deployment=options.deployment, samples=options.samples, cache=cache)


def evaluate(
    library: Library,
    selectors: Sequence[str],
    options: EvalOptions,
    run_dir: Path | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> tuple[RunResult, RunDirectory, dict[str, Any]]:
    selection = select(library, selectors)
    return execute(
        library,
        selection.cases,
        options,
        full_run=selection.full_run and selection.complete,
        run_dir=run_dir,
        progress=progress,
        suite_problems=selection.problems,
    )


def _append_step_summary(run: RunDirectory) -> None:
    """GitHub Actions shows $GITHUB_STEP_SUMMARY on the job page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write((run.path / SUMMARY).read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"warning: could not append to GITHUB_STEP_SUMMARY: {exc.strerror}", file=sys.stderr)


def report_path(run: RunDirectory) -> Path:
    return run.path / REPORT
