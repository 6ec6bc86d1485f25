"""What runs leave behind: report (and report merge), goldens, runs, cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from promptlib.cli._base import State, cli, echo, echo_json, pass_state
from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    pass


class _ReportGroup(click.Group):
    """``report [RUN] [--format ...]`` and ``report merge RUN...`` under one name.

    A click group reads its first argument as a subcommand name, and a RUN argument on the group itself would
    swallow ``merge``. So ``merge`` is a reserved first word: anything else (a run id, a path, an option or
    nothing) goes to the hidden ``show`` subcommand, which is what ``promptlib report`` always did. A run
    directory literally named ``merge`` can still be shown as ``./merge``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["show", *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`report --help` lists the options of `report [RUN]` too (they belong to its hidden `show`)."""
        show = self.commands["show"]
        options = [p for p in show.params if isinstance(p, click.Option)]
        records = [r for r in (p.get_help_record(ctx) for p in options) if r is not None]
        with formatter.section("Options of report [RUN]"):
            formatter.write_dl(records)
        super().format_options(ctx, formatter)


@cli.group(cls=_ReportGroup)
def report() -> None:
    """Show a run's report: report [RUN] [--format html|md|json]; or join shard runs: report merge RUN...

    Without RUN, the latest run. html prints the report's path; md and json print the content.
    """


@report.command("merge")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write the merged run here.")
@pass_state
def report_merge(state: State, runs: tuple[str, ...], out: Path | None) -> None:
    """Join the run directories of `eval --shard K/N` (ids or paths) into one run you can review and approve."""
    from promptlib.reports._execute import _append_step_summary, runs_root
    from promptlib.reports._merge import full_run_scope, merge_runs
    from promptlib.reports._runs import find_run, mark_latest
    from promptlib.reports._summary import status_line

    library = state.library
    root = runs_root(library)
    merged = merge_runs([find_run(root, run) for run in runs], root, out, full_run_scope(library))
    mark_latest(root, merged.run)
    _append_step_summary(merged.run)
    data = merged.data
    echo(f"merged {len(merged.sources)} runs: {status_line(data['counts'])}")
    echo(f"report: {merged.run.path / 'report.html'}")


@report.command("show", hidden=True)
@click.argument("run", required=False)
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True)
@click.option("--open", "open_it", is_flag=True, help="Open report.html in the default browser.")
@pass_state
def report_show(state: State, run: str | None, fmt: str, open_it: bool) -> None:
    """Show a run's report (default: the latest): html prints its path, md and json print the content."""
    from promptlib.reports._execute import runs_root
    from promptlib.reports._runs import find_run

    run_path = find_run(runs_root(state.library), run)
    if open_it:
        import webbrowser

        if not webbrowser.open((run_path / "report.html").resolve().as_uri()):
            raise UsageError(f"no browser to open; the report is {run_path / 'report.html'}")
    if fmt == "html":
        echo(run_path / "report.html")
    else:
        echo((run_path / ("summary.md" if fmt == "md" else "results.json")).read_text(encoding="utf-8"))


@cli.group()
def goldens() -> None:
    """List golden sets, or prune those of cases that no longer exist."""


@goldens.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def goldens_list(state: State, as_json: bool) -> None:
    """Every case with goldens: count, sensitivity, thresholds, template version, and whether it is unused."""
    from promptlib.evals._golden_listing import golden_rows

    rows = golden_rows(state.library)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        thresholds = " ".join(f"{k}={v}" for k, v in row["thresholds"].items())
        flag = "  UNUSED" if row["unused"] else ""
        echo(
            f"{row['key']:<40} {row['goldens']} golden(s)  {row['sensitivity']:<4} {thresholds}  "
            f"{row['template']} v{row['version']}{flag}"
        )
    if not rows:
        echo("no goldens yet: run `promptlib eval`, then `promptlib approve --all-new`")


@goldens.command("prune")
@pass_state
def goldens_prune(state: State) -> None:
    """Delete goldens of cases that no longer exist in any suite."""
    from promptlib.evals._golden_listing import prune_unused

    removed = prune_unused(state.library)
    for path in removed:
        echo(f"removed {path}")
    if not removed:
        echo("no unused goldens")


@cli.group()
def runs() -> None:
    """Run directories under .promptlib/runs: prune the old ones."""


@runs.command("prune")
@click.option("--keep", type=click.IntRange(min=0), metavar="N", help="Keep the N newest runs (default 20).")
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Remove runs older than DAYS (with --keep: either rule removes a run).",
)
@pass_state
def runs_prune(state: State, keep: int | None, days: float | None) -> None:
    """Remove old run directories; the latest run is always kept."""
    from promptlib.evals._run_dir import disk_usage
    from promptlib.reports._execute import runs_root
    from promptlib.reports._runs import prune_runs

    root = runs_root(state.library)
    if keep is None and days is None:
        keep = 20
    sizes = {path: sum(disk_usage(path)) for path in root.iterdir() if path.is_dir()} if root.is_dir() else {}
    removed = prune_runs(root, keep=keep, older_than_days=days)
    freed = sum(sizes.get(path, 0) for path in removed)
    for path in removed:
        echo(f"removed {path}")
    echo(
        f"removed {len(removed)} run(s), up to {freed / 1e6:.1f} MB (bytes shared with the cache or goldens stay "
        "until those go)"
    )


@cli.group()
def cache() -> None:
    """Inspect the result cache (.promptlib/cache), or prune old and damaged entries."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@cache.command("stats")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def cache_stats_command(state: State, as_json: bool) -> None:
    """Entries, images, bytes, oldest and newest, per deployment; damaged and unfinished entries counted apart."""
    from promptlib.evals._cache_admin import cache_stats
    from promptlib.evals._runner import result_cache

    stats = cache_stats(result_cache(state.library).root)
    if as_json:
        echo_json(stats)
        return
    echo(
        f"{stats['path']}: {stats['entries']} entries, {stats['images']} images, "
        f"{_megabytes(stats['bytes'])}; oldest {stats['oldest'] or '-'}, newest {stats['newest'] or '-'}"
    )
    for name, row in stats["deployments"].items():
        echo(f"  {name:<24} {row['entries']} entries, {row['images']} images, {_megabytes(row['bytes'])}")
    if stats["damaged"] or stats["unfinished"]:
        echo(f"{stats['damaged']} damaged, {stats['unfinished']} unfinished (remove with `promptlib cache prune`)")


@cache.command("prune")
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Also remove entries created more than DAYS ago.",
)
@pass_state
def cache_prune_command(state: State, days: float | None) -> None:
    """Remove damaged and unfinished entries, and with --older-than those created more than DAYS ago."""
    from promptlib.evals._cache_admin import prune_cache
    from promptlib.evals._runner import result_cache

    outcome = prune_cache(result_cache(state.library).root, days)
    removed = outcome["removed"]
    echo(
        f"removed {sum(removed.values())} entries ({removed['old']} old, {removed['damaged']} damaged, "
        f"{removed['unfinished']} unfinished), freed {_megabytes(outcome['bytes_freed'])}"
    )
