"""Budgets: per-deployment prices, the estimate a run is refused on, and a limit that stops sending mid-run.

Runs use the small `project` fixture (four cases on the in-process emulator), so every cost is real
accounting from real responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from click.testing import Result
from project_helpers import Project

from promptlib.evals._budget import Budget, BudgetExhausted, plan_run
from promptlib.evals._cases import select_cases
from promptlib.evals._results import RunResult
from promptlib.evals._run_dir import RunDirectory
from promptlib.evals._runner import EvalOptions, run_cases
from promptlib.models._pricing import Price, Usage, cost_usd, model_price

OVERRIDE = "    prices: {text_in: 1, image_in: 2, image_out: 100}\n"


def with_local_prices(project: Project, prices: str = OVERRIDE) -> None:
    project.write(
        "promptlib.yaml",
        project.read("promptlib.yaml").replace(
            "  local:\n    kind: emulator\n", "  local:\n    kind: emulator\n" + prices
        ),
        dedent=False,
    )


def run(project: Project, options: EvalOptions) -> RunResult:
    library = project.library()
    cases, full = select_cases(library, [])

    async def main() -> RunResult:
        return await run_cases(library, cases, RunDirectory.create(project.root / "runs"), options, full_run=full)

    return anyio.run(main)


def test_cost_uses_the_given_price_over_the_models() -> None:
    usage = Usage(input_tokens=100, output_tokens=1000, total_tokens=1100, input_text_tokens=100)
    assert cost_usd("gpt-image-1.5", usage) == pytest.approx((100 * 5 + 1000 * 32) / 1e6)
    assert cost_usd("gpt-image-1.5", usage, Price(1, 2, 100)) == pytest.approx((100 + 100_000) / 1e6)
    assert cost_usd("no-such-model", usage, Price(1, 2, 100)) > 0  # a priced deployment of an unlisted model


def test_a_deployments_prices_override_its_models_in_the_plan_and_the_results(project: Project) -> None:
    listed = plan_run(project.library(), select_cases(project.library(), [])[0])
    with_local_prices(project)
    library = project.library()
    assert library.settings.price("local") == Price(text_in=1, image_in=2, image_out=100)
    assert library.settings.price("dev") == model_price(library.settings.model_spec("dev"))  # the table's
    priced = plan_run(library, select_cases(library, [])[0])
    ratio = 100 / model_price(library.settings.model_spec("local")).image_out  # output tokens dominate
    assert priced.estimated_cost == pytest.approx(listed.estimated_cost * ratio, rel=0.01)
    result = run(project, EvalOptions())
    for case in result.cases:
        assert case.requests == 1
        assert case.estimated_cost == pytest.approx(
            next(r for r in priced.requests if r.case == case.key).estimated_cost
        )
        assert case.cost == pytest.approx(case.estimated_cost, rel=0.05)  # the emulator's usage ≈ the table's


def test_bad_prices_are_a_config_error(project: Project, invoke: Callable[..., Result]) -> None:
    with_local_prices(project, "    prices: {text_in: 1, image_in: -2, image_out: 3}\n")
    result = invoke("check")
    assert result.exit_code == 2
    assert "promptlib.yaml" in result.output and "image_in" in result.output


def test_the_budget_reserves_in_flight_estimates_and_settles_actual_cost() -> None:
    budget = Budget(1.0)
    budget.reserve(0.4)
    budget.reserve(0.4)
    with pytest.raises(BudgetExhausted):
        budget.reserve(0.4)  # 0.8 in flight + 0.4 would pass the limit
    budget.settle(0.4, 0.0)  # a failed request costs nothing and frees its share
    budget.reserve(0.4)
    budget.settle(0.4, 0.5)
    budget.settle(0.4, 0.45)
    assert budget.spent == pytest.approx(0.95) and budget.reserved == pytest.approx(0)
    with pytest.raises(BudgetExhausted):
        budget.reserve(0.1)


def test_a_run_stops_sending_at_its_limit_and_skips_the_rest_as_budget(project: Project) -> None:
    plan = plan_run(project.library(), select_cases(project.library(), [])[0])
    costs = sorted(r.estimated_cost for r in plan.requests)
    limit = costs[0] + costs[1] + 0.001  # room for the two cheapest cases' first draws, not for all four
    result = run(project, EvalOptions(max_cost=limit))
    skipped = [c for c in result.cases if c.status == "skipped"]
    sent = [c for c in result.cases if c.requests]
    assert skipped and sent and len(skipped) + len(sent) == len(result.cases)
    assert all(c.message == "budget" and c.requests == 0 and not c.samples for c in skipped)
    assert sum(c.cost for c in result.cases) <= limit * 1.05
    assert not result.ok  # skipped for budget is not passed: the CLI exits 1
    assert result.totals()["cost_usd"] == pytest.approx(sum(c.cost for c in sent))


def test_max_cost_below_the_estimate_refuses_the_run_before_sending(
    project: Project, invoke: Callable[..., Result]
) -> None:
    result = invoke("eval", "--max-cost", "0.05")
    assert result.exit_code == 2
    estimate = plan_run(project.library(), select_cases(project.library(), [])[0]).estimated_cost
    assert f"estimated cost ${estimate:.4f}" in result.output and "--max-cost $0.0500" in result.output
    assert not (project.root / ".promptlib" / "runs").exists()
    assert not (project.root / ".promptlib" / "cache").exists()


def test_max_cost_above_the_estimate_runs_and_records_both_costs(
    project: Project, invoke: Callable[..., Result]
) -> None:
    result = invoke("eval", "--max-cost", "100")
    assert result.exit_code == 1, result.output  # new cases (no goldens yet), not a budget problem
    assert "skipped" not in result.output
    run_dir = next(p for p in (project.root / ".promptlib" / "runs").iterdir() if p.is_dir())
    totals = json.loads((run_dir / "results.json").read_text())["totals"]
    assert totals["cost_usd"] > 0 and totals["estimated_cost_usd"] > 0
    summary = (run_dir / "summary.md").read_text()
    model = json.loads((run_dir / "results.json").read_text())["cases"][0]["model"]
    assert f"no cost (emulator; on {model} this would cost about ${totals['estimated_cost_usd']:.2f})" in summary
    html = (run_dir / "report.html").read_text()
    assert "Est. cost" in html
    # A rerun is all cache hits: nothing to spend, so any limit passes.
    again = invoke("eval", "--max-cost", "0")
    assert again.exit_code == 1 and "0 requests" in again.output


def test_the_estimate_counts_only_what_is_not_cached(project: Project, tmp_path: Path) -> None:
    from promptlib.evals._runner import result_cache

    library = project.library()
    cases = select_cases(library, [])[0]
    before = plan_run(library, cases, cache=result_cache(library))
    assert not any(r.cached for r in before.requests) and before.estimated_cost > 0
    run(project, EvalOptions())
    after = plan_run(project.library(), cases, cache=result_cache(project.library()))
    assert all(r.cached for r in after.requests) and after.estimated_cost == 0
    assert after.worst_case_cost > 0  # a top-up draw would still be new


def test_generate_prices_with_the_deployments_own_prices(tmp_path: Path) -> None:
    """`prices:` on a deployment applies to Library.generate too, not only to eval."""
    from promptlib import Library

    (tmp_path / "promptlib.yaml").write_text(
        "deployments:\n  local:\n    kind: emulator\n    prices: {text_in: 0, image_in: 0, image_out: 1000000}\n"
    )
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "tile.yaml").write_text(
        "version: 1\nparameters: {size: 1024x1024, quality: low}\ntemplate: A small blue tile.\n"
    )
    with Library.load(tmp_path) as library:
        result = library.generate("tile")
    # 272 output tokens at $1 each (1,000,000 USD per 1M tokens)
    assert result.cost == 272.0
    assert result.estimated_cost == 272.0
