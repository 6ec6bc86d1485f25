"""The plugin's test items: a suite file is a collector, each case an item that passes or fails from its case's
result, and a suite's reading problems one failing item at the suite's line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from promptlib.core._problems import Problem
    from promptlib.evals._cases import EvalCase
    from promptlib.evals._results import CaseResult
    from promptlib.pytest_plugin import EvalSession

PROPERTY = "promptlib"  # user_properties key: how a case's outcome reaches the xdist controller


class SuiteCollector(pytest.File):
    """One ``evals/<suite>.yaml``: collects an item per (selected) case."""

    def __init__(self, *, suite: str, evals: EvalSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.evals = evals

    def collect(self) -> Iterable[pytest.Item]:
        found = self.evals.suite_of(self.suite, self.path)
        if found.problems:  # a failing item of its own: the suite's other cases, and every other suite, still run
            yield SuiteProblems.from_parent(self, name="suite-problems", problems=found.problems)
        for case in found.cases:
            yield CaseItem.from_parent(self, name=case.id, case=case, evals=self.evals)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from promptlib.exceptions import PromptlibError

        if isinstance(excinfo.value, PromptlibError):
            return f"promptlib: {excinfo.value}"
        return super().repr_failure(excinfo)


class SuiteProblems(pytest.Item):
    """A suite's entries that yield no case (unreadable suite, from_examples typo, a case id used twice)."""

    def __init__(self, *, problems: list[Problem], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self) -> None:
        raise SuiteBroken("\n".join(str(problem) for problem in self.problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, SuiteBroken):
            return f"promptlib: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"promptlib suite {self.path.name}"


class SuiteBroken(Exception):
    """What `SuiteProblems` fails with: the problems, one per line with file and line."""


class CaseFailed(Exception):
    """The case's status is not passed: the item fails with its verdict."""

    def __init__(self, result: CaseResult, report: Path | None) -> None:
        super().__init__(result.status)
        self.result = result
        self.report = report


class CaseItem(pytest.Item):
    """One eval case; passes when the run's verdict for it is ``passed`` (expected blocks included)."""

    def __init__(self, *, case: EvalCase, evals: EvalSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.evals = evals

    def runtest(self) -> None:
        result = self.evals.result_for(self)
        report = self.evals.report_of.get(result.key)
        self.user_properties.append(
            (
                PROPERTY,
                json.dumps(
                    {
                        "case": result.key,
                        "status": result.status,
                        "report": str(report) if report else None,
                        "requests": result.requests,
                        "cache_hits": result.cache_hits,
                    },
                    sort_keys=True,
                ),
            )
        )
        if result.status == "passed":
            return
        if result.status == "skipped":
            pytest.skip(f"{result.key}: {result.message}")
        raise CaseFailed(result, report)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from promptlib.exceptions import PromptlibError

        if isinstance(excinfo.value, CaseFailed):
            return verdict_text(excinfo.value.result, excinfo.value.report)
        if isinstance(excinfo.value, PromptlibError):
            return f"promptlib: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"promptlib eval {self.case.key}"


def verdict_text(result: CaseResult, report: Path | None) -> str:
    """What a failing item prints: status, message, k of K, each sample against the thresholds, the report."""
    policy = result.policy
    lines = [f"{result.key}: {result.status} — {result.message}"]
    if result.goldens:
        lines.append(
            f"  {result.matches} of {result.drawn} samples match (policy: {policy.get('min_matches')} of "
            f"{policy.get('samples')}, up to {policy.get('max_samples')})"
        )
    if result.thresholds:
        limits = ", ".join(f"{alg} {value}" for alg, value in result.thresholds.items())
        lines.append(f"  thresholds: {limits} (sensitivity {result.sensitivity})")
    for sample in result.samples:
        distances = ", ".join(_distance(alg, d, result.thresholds.get(alg)) for alg, d in sample.distances.items())
        notes = "; ".join(filter(None, [sample.note, *sample.failures]))
        lines.append(
            f"  sample {sample.index}: {sample.verdict}"
            + (f"  {distances}" if distances else "")
            + (f"  ({notes})" if notes else "")
            + f"  {sample.file}"
        )
    lines.append(f"  deployment {result.deployment} ({result.model}), template {result.template_id} v{result.version}")
    if report is not None:
        lines.append(f"report: {report}")
    return "\n".join(lines)


def _distance(alg: str, distance: int, threshold: int | None) -> str:
    if threshold is None:
        return f"{alg} {distance}"
    return f"{alg} {distance} {'≤' if distance <= threshold else '>'} {threshold}"


def summary_line(outcomes: list[dict[str, Any]]) -> str:
    """'promptlib: 12 passed, 1 failed · 3 requests, 10 cache hits · report: <path>'."""
    from promptlib.reports._summary import status_line

    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome["status"]] = counts.get(outcome["status"], 0) + 1
    requests = sum(o["requests"] for o in outcomes)
    hits = sum(o["cache_hits"] for o in outcomes)
    reports = sorted({o["report"] for o in outcomes if o["report"]})
    where = f" · report{'s' if len(reports) > 1 else ''}: {', '.join(reports)}" if reports else ""
    return f"promptlib: {status_line(counts)} · {_plural(requests, 'request')}, {_plural(hits, 'cache hit')}{where}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pending_items(item: CaseItem) -> list[CaseItem]:
    """Eval items this process will run after ``item``: all of them, or the xdist worker's queue."""
    items = item.session.items
    if worker_input(item.config) is None:
        return [i for i in items if isinstance(i, CaseItem)]
    # pytest-xdist hands a worker its items in batches through a private queue; peek at it when it is
    # there, so the cases already given to this worker run together. Otherwise each item runs alone.
    interactor = next((p for p in item.config.pluginmanager.get_plugins() if hasattr(p, "torun")), None)
    indices: list[int] = []
    if interactor is not None:
        try:
            with interactor.torun.lock() as queue:
                indices = [i for i in (getattr(interactor, "nextitem_index", None), *queue) if isinstance(i, int)]
        except Exception:  # a different xdist: fall back to one case at a time
            indices = []
    chosen = [items[i] for i in indices if 0 <= i < len(items)]
    return [i for i in chosen if isinstance(i, CaseItem)]


def worker_input(config: pytest.Config) -> dict[str, Any] | None:
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    return workerinput
