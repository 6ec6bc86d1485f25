"""Running eval cases: every case of a run concurrently, under the deployments' limits, into one result.

Each case (`_case_run`) renders its template, draws K samples in one request (through the cache),
checks expectations, compares every sample with the case's golden set using the calibrated thresholds,
and applies m-of-K with one top-up when the first draw is ambiguous (`_case_verdict`). What the cases
share, and the work kept off the event loop, is in `_run_context`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import anyio

from promptlib._library import Library
from promptlib.client._limits import RetryBudget, retry_budget
from promptlib.core._clock import utc_now
from promptlib.evals._case_run import CaseRun
from promptlib.evals._cases import EvalCase
from promptlib.evals._results import CaseResult, RunResult
from promptlib.evals._run_context import CacheMode, EvalOptions, RunContext, golden_store, result_cache
from promptlib.evals._run_dir import RunDirectory
from promptlib.goldens._hashing import spec

__all__ = ["CacheMode", "EvalOptions", "ProgressCallback", "golden_store", "result_cache", "run_cases"]

ProgressCallback = Callable[[CaseResult], None]


async def run_cases(
    library: Library,
    cases: Sequence[EvalCase],
    run: RunDirectory,
    options: EvalOptions,
    *,
    full_run: bool,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Run every case concurrently and collect the results (never raises for a case's failure)."""
    ctx = RunContext(library, run, options)
    started = time.perf_counter()
    results: list[CaseResult] = []

    async def one(case: EvalCase) -> None:
        result = await CaseRun(ctx, case).run()
        results.append(result)
        if progress is not None:
            progress(result)

    budget_token = retry_budget.set(RetryBudget())  # one budget for all the run's requests (see _limits)
    try:
        async with anyio.create_task_group() as group:
            for case in cases:
                group.start_soon(one, case)
    finally:
        retry_budget.reset(budget_token)
        await ctx.aclose()
        await library.aclose()
    unused: list[str] = []
    if full_run:
        existing = {(c.suite, c.id) for c in cases}
        unused = [f"{suite}/{case}" for suite, case in ctx.store.cases() if (suite, case) not in existing]
    from importlib.metadata import version

    return RunResult(
        run_id=run.run_id,
        created_at=utc_now(),
        deployments=sorted({r.deployment for r in results if r.deployment}),
        full_run=full_run,
        hash_spec=spec(),
        cases=results,
        unused_goldens=unused,
        warnings=ctx.warnings(),
        emulated={
            name: library.settings.deployment(name).model
            for name in sorted({r.deployment for r in results if r.deployment})
            if library.settings.deployment(name).kind == "emulator"
        },
        wall_time_s=time.perf_counter() - started,
        promptlib_version=version("promptlib"),
    )
