"""`promptlib eval`: run the suites, print a line per case that needs attention, exit 1 unless all pass."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from promptlib.cli._base import State, cli, echo, echo_json, pass_state
from promptlib.core._safe_text import one_line, shell_command
from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    from promptlib._library import Library


def _progress_printer(total: int) -> Any:
    """A rich progress bar on a terminal; plain lines in CI logs (no control characters)."""
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    done = 0
    if not interactive:

        def plain(result: Any) -> None:
            nonlocal done
            done += 1
            echo(f"[{done}/{total}] {result.key}: {result.status}", err=True)

        return plain, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("eval"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        transient=True,
    )
    task = progress.add_task("", total=total)

    from rich.markup import escape

    def bar(result: Any) -> None:
        progress.update(task, advance=1, description=escape(one_line(f"{result.key}: {result.status}")))

    return bar, progress


def _apply_shard(spec: str, cases: list[Any]) -> tuple[list[Any], bool]:
    """This machine's share of the cases; a shard is never a full run (unused goldens are judged after merge)."""
    from promptlib.evals._shards import Shard, shard_cases

    shard = Shard.parse(spec)
    mine = shard_cases(cases, shard)
    echo(f"shard {shard}: running {len(mine)} of {len(cases)} cases", err=True)
    return mine, False


def _apply_changed_since(library: Library, cases: list[Any], ref: str) -> tuple[list[Any], dict[str, Any]]:
    """The cases changed since REF (and always:), saying on stderr how many were skipped and why."""
    from promptlib.evals._changed import select_changed

    selection = select_changed(library, cases, ref)
    for note in selection.notes:
        echo(f"note: {note}", err=True)
    echo(selection.message(), err=True)
    return selection.cases, selection.to_json()


@cli.command("eval")
@click.argument("selectors", nargs=-1, metavar="[SUITE[/CASE]]...")
@click.option(
    "-d", "--deployment", metavar="NAME", help="Deployment for every case (default: suite's, then project's)."
)
@click.option("--samples", type=click.IntRange(1, 10), help="K: samples per case (overrides the suites).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Requests in flight per deployment.")
@click.option("--refresh", is_flag=True, help="Ignore cached results (still stores new ones): the drift check.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), help="Write the run here.")
@click.option("--json", "as_json", is_flag=True, help="Print results.json instead of the summary.")
@click.option("--shard", metavar="K/N", help="Run only shard K of N (a CI matrix); join with `report merge`.")
@click.option("--changed-since", metavar="REF", help="Run only cases changed since REF (plus the suites' always:).")
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0),
    metavar="USD",
    help="Refuse a run estimated above USD; stop sending when spend reaches it (the rest: skipped).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be sent and its estimated cost; send nothing.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github: also a workflow annotation per case that needs attention, at its suite entry.",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write the run as JUnit XML (read by most CI systems).",
)
@pass_state
@click.pass_context
def eval_command(
    ctx: click.Context,
    state: State,
    selectors: tuple[str, ...],
    deployment: str | None,
    samples: int | None,
    concurrency: int | None,
    refresh: bool,
    no_cache: bool,
    run_dir: Path | None,
    as_json: bool,
    shard: str | None,
    changed_since: str | None,
    max_cost: float | None,
    dry_run: bool,
    fmt: str,
    junit: Path | None,
) -> None:
    """Run eval suites, compare samples with goldens, write .promptlib/runs/<id>/ (exit 1 unless all pass)."""
    from promptlib.evals._cases import select
    from promptlib.evals._runner import EvalOptions
    from promptlib.reports._execute import execute, report_path
    from promptlib.reports._summary import cost_text, disk_text, status_line

    if refresh and no_cache:
        raise UsageError("--refresh and --no-cache are exclusive (refresh regenerates and stores; no-cache skips)")
    library = state.library
    selection = select(library, selectors)
    cases, full_run = selection.cases, selection.full_run and selection.complete
    changed: dict[str, Any] | None = None
    if changed_since is not None:
        cases, changed = _apply_changed_since(library, cases, changed_since)
        full_run = False  # skipped cases' goldens are not unused
    if shard is not None:
        cases, full_run = _apply_shard(shard, cases)
    options = EvalOptions(
        deployment=deployment,
        samples=samples,
        concurrency=concurrency,
        cache="refresh" if refresh else "off" if no_cache else "use",
        max_cost=max_cost,
    )
    if dry_run:
        _print_plan(library, cases, options, as_json)
        return
    from promptlib.evals._text_check import require_reader

    require_reader(cases)
    callback, progress = _progress_printer(len(cases))
    with progress if progress is not None else contextlib.nullcontext():
        result, run, data = execute(
            library,
            cases,
            options,
            full_run=full_run,
            run_dir=run_dir,
            progress=callback,
            changed_since=changed,
            suite_problems=selection.problems,
        )
    if junit is not None:
        from promptlib.core._atomic import atomic_write_text
        from promptlib.reports._ci_formats import junit_xml

        atomic_write_text(junit, junit_xml(data))
    if as_json or fmt == "json":
        echo_json(data)
    else:
        if fmt == "github":
            from promptlib.reports._ci_formats import eval_annotations

            for annotation in eval_annotations(data):
                click.echo(annotation)  # ours: the PR's text in it is percent-encoded, never a command of its own
        for problem in data.get("suite_errors") or []:
            where = f"{problem['path']}:{problem['line']}" if problem.get("line") else problem["path"]
            echo(f"{'error':<10} {one_line(problem['suite'])} ({one_line(where)}): {one_line(problem['message'])}")
        for case in data["cases"]:
            if case["status"] != "passed" or case.get("changed_since_approval") or case.get("sensitivity") == "low":
                echo(f"{case['status']:<10} {one_line(case['key'])}: {one_line(case['message'])}")
        totals = data["totals"]
        echo(
            f"{status_line(data['counts'])} · {totals['requests']} requests, {totals['cache_hits']} cache hits, "
            f"{totals['images']} images · {cost_text(data)}"
            f" · {totals['retries']} retries, {totals['rate_limited']} rate-limited (429)"
            + (f", {totals['read_timeouts']} read timeouts" if totals.get("read_timeouts") else "")
            + f" · {totals['tokens']} tokens"
            f" · {totals['wall_time_s']:.1f} s{disk_text(totals)}"
        )
        for warning in data.get("warnings") or []:
            echo(f"warning: {one_line(warning)}", err=True)
        new = [case["key"] for case in data["cases"] if case["status"] == "new" and case.get("samples")]
        if new:
            command = shell_command("promptlib", "approve", run.run_id, "--all-new")
            echo(f"{len(new)} new case(s): look at the report, then approve them all with: {command}")
        if data["unused_goldens"]:
            echo(f"unused goldens: {', '.join(data['unused_goldens'])} (remove with `promptlib goldens prune`)")
        echo(f"report: {report_path(run)}")
    if not result.ok:
        ctx.exit(1)


def _print_plan(library: Library, cases: list[Any], options: Any, as_json: bool) -> None:
    """``eval --dry-run``: one line per case's first request, then the count and estimated cost."""
    from promptlib.reports._execute import plan

    run_plan = plan(library, cases, options)
    data = run_plan.to_dict()
    if options.max_cost is not None:
        data["max_cost_usd"] = options.max_cost
        data["within_budget"] = run_plan.estimated_cost <= options.max_cost + 1e-9
    if as_json:
        echo_json(data)
        return
    for row in run_plan.requests:
        if row.error is not None:
            echo(f"{row.case:<40} error: {row.error}")
            continue
        state = "cached" if row.cached else "send"
        echo(
            f"{row.case:<40} {row.deployment} ({row.model}) n={row.n} {row.size or '-'} {row.quality or '-'} "
            f"{state:<6} ${row.estimated_cost:.4f}"
        )
    echo(
        f"dry run: would send {data['to_send']} requests ({data['images_to_generate']} images), {data['cached']} "
        f"cached; estimated cost ${run_plan.estimated_cost:.4f} (up to ${run_plan.worst_case_cost:.4f} if every "
        "case needs its top-up draw); nothing was sent"
    )
    if options.max_cost is not None and not data["within_budget"]:
        echo(f"the estimate is over --max-cost ${options.max_cost:.4f}: the run would be refused")
