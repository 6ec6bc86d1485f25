"""The reviewer's commands: approve, reject, unreject, calibrate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from promptlib.cli._base import State, cli, echo, pass_state
from promptlib.core._safe_text import one_line
from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    pass


@cli.command()
@click.argument("run", required=False)
@click.option("--case", "cases", multiple=True, metavar="SUITE/CASE", help="Case to approve (repeatable).")
@click.option("--sample", "samples", multiple=True, type=int, metavar="N", help="Only these samples (repeatable).")
@click.option("--all-new", is_flag=True, help="Approve every case that had no goldens.")
@click.option("--add", is_flag=True, help="Add to the golden set instead of replacing it.")
@click.option("--by", metavar="NAME", help="Reviewer recorded in the manifest (default: git user.name).")
@pass_state
def approve(
    state: State,
    run: str | None,
    cases: tuple[str, ...],
    samples: tuple[int, ...],
    all_new: bool,
    add: bool,
    by: str | None,
) -> None:
    """Copy samples of a run (default: the latest) into evals/goldens/ and recalibrate."""
    from promptlib.evals._cases import approvable_cases
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._review import approve_from_run, reviewer_name
    from promptlib.reports._execute import runs_root
    from promptlib.reports._runs import find_run, load_results

    library = state.library
    run_path = find_run(runs_root(library), run)
    results = load_results(run_path)
    approved = approve_from_run(
        golden_store(library),
        run_path,
        results,
        known=approvable_cases(library),
        cases=cases,
        samples=samples,
        all_new=all_new,
        by=reviewer_name(by),
        add=add,
    )
    for item in approved:
        calibration = item.manifest.calibration
        order = ("phash", "dhash", "whash")
        thresholds = ", ".join(f"{k} {calibration['thresholds'][k]}" for k in order if k in calibration["thresholds"])
        echo(
            f"approved {item.key}: {len(item.manifest.goldens)} golden(s), sensitivity {calibration['sensitivity']}, "
            f"thresholds {thresholds}"
        )
        for skipped in item.skipped:
            echo(f"  skipped {skipped}")
        if item.stale:
            echo(f"warning: {item.key}: {item.stale}", err=True)
    echo("review and commit evals/goldens/ with the template change")


@cli.command()
@click.argument("run", required=False)
@click.option("--case", "case_key", required=True, metavar="SUITE/CASE")
@click.option("--sample", type=int, required=True, metavar="N")
@click.option("--reason", required=True, help="Why the image is bad (shown when a look-alike fails).")
@click.option("--by", metavar="NAME", help="Reviewer (default: git user.name).")
@click.option("--force", is_flag=True, help="Reject even a sample nearly identical to a golden.")
@pass_state
def reject(state: State, run: str | None, case_key: str, sample: int, reason: str, by: str | None, force: bool) -> None:
    """Record a known-bad sample of a run (default: the latest): later look-alikes fail with REASON."""
    from promptlib.evals._cases import approvable_cases
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._review import reject_from_run, reviewer_name
    from promptlib.reports._execute import runs_root
    from promptlib.reports._runs import find_run, load_results

    library = state.library
    run_path = find_run(runs_root(library), run)
    manifest = reject_from_run(
        golden_store(library),
        run_path,
        load_results(run_path),
        known=approvable_cases(library),
        case_key=case_key,
        sample=sample,
        reason=reason,
        by=reviewer_name(by),
        force=force,
    )
    echo(
        f"rejected sample {sample} of {case_key}; {len(manifest.rejected)} rejected image(s) on record "
        f"(undo: promptlib unreject --case {case_key} --sha {manifest.rejected[-1].sha256[:12]})"
    )


@cli.command()
@click.option("--case", "case_key", required=True, metavar="SUITE/CASE")
@click.option("--sha", "prefixes", multiple=True, metavar="PREFIX", help="A rejected image's sha256 (prefix).")
@click.option("--all", "every", is_flag=True, help="Forget every rejected image of the case.")
@pass_state
def unreject(state: State, case_key: str, prefixes: tuple[str, ...], every: bool) -> None:
    """Forget rejected images of a case (by sha256 prefix, or --all); without either, list them."""
    from promptlib.evals._cases import approvable_cases
    from promptlib.evals._runner import golden_store

    library = state.library
    target = approvable_cases(library).get(case_key)
    if target is None:
        raise UsageError(f"{case_key!r} is not a case of this project's suites")
    store = golden_store(library)
    if not prefixes and not every:
        manifest = store.load(target.suite, target.case, verify=False)
        rejected = manifest.rejected if manifest is not None else []
        for entry in rejected:
            echo(f"{entry.sha256[:12]}  {one_line(entry.reason)}  (by {one_line(entry.by)}, {entry.at})")
        echo(f"{len(rejected)} rejected image(s); forget one with --sha PREFIX, or all with --all")
        return
    removed = store.unreject(target.suite, target.case, prefixes, every=every)
    for entry in removed:
        echo(f"forgot rejected {entry.sha256[:12]} ({one_line(entry.reason)})")
    echo("review and commit evals/goldens/")


@cli.command()
@click.argument("target", metavar="SUITE/CASE")
@click.option("--samples", type=click.IntRange(2, 10), default=8, show_default=True, help="Fresh samples to draw.")
@click.option("-d", "--deployment", metavar="NAME")
@pass_state
def calibrate(state: State, target: str, samples: int, deployment: str | None) -> None:
    """Draw fresh samples and print their spread and the threshold calibration would set."""
    from promptlib.evals._calibrate import calibrate_case

    for line in calibrate_case(state.library, target, samples, deployment):
        echo(line)


# One line each for `promptlib --help` (click would cut the docstrings' first sentences mid-word), and the
# examples each command's own --help ends with.
