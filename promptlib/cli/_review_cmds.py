"""The reviewer's commands: approve, reject, unreject, calibrate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from promptlib.cli._base import State, cli, echo, pass_state
from promptlib.core._safe_text import one_line
from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from promptlib.goldens._review import Approved
    from promptlib.review._runs import ReviewRun


@cli.command()
@click.argument("run", required=False)
@click.option("--case", "cases", multiple=True, metavar="SUITE/CASE", help="Case to approve (repeatable).")
@click.option("--sample", "samples", multiple=True, type=int, metavar="N", help="Only these samples (repeatable).")
@click.option("--all-new", is_flag=True, help="Approve every case that had no goldens.")
@click.option("--add", is_flag=True, help="Add to the golden set instead of replacing it.")
@click.option("--by", metavar="NAME", help="Reviewer recorded in the manifest (default: git user.name).")
@click.option(
    "--from",
    "approvals",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Apply the approvals.json exported from report.html.",
)
@click.option("--dry-run", is_flag=True, help="With --from: list what would be approved and rejected; write nothing.")
@pass_state
def approve(
    state: State,
    run: str | None,
    cases: tuple[str, ...],
    samples: tuple[int, ...],
    all_new: bool,
    add: bool,
    by: str | None,
    approvals: Path | None,
    dry_run: bool,
) -> None:
    """Copy samples of a run (default: the latest) into evals/goldens/ and recalibrate."""
    from promptlib.goldens._review import reviewer_name
    from promptlib.review import _decisions
    from promptlib.review._runs import open_run

    if approvals is not None and (cases or samples or all_new or add):
        raise UsageError("--from FILE says which cases and samples; drop --case, --sample, --all-new and --add")
    if dry_run and approvals is None:
        raise UsageError("--dry-run goes with --from FILE")
    review_run = open_run(state.library, run)
    if approvals is not None:
        _approve_from_file(state, review_run, approvals, dry_run=dry_run, by=reviewer_name(by))
        return
    outcome = _decisions.approve(
        state.library, review_run, cases=cases, samples=samples, all_new=all_new, add=add, by=reviewer_name(by)
    )
    _print_approved(outcome.approved)
    echo("review and commit evals/goldens/ with the template change")


def _approve_from_file(state: State, run: ReviewRun, path: Path, *, dry_run: bool, by: str) -> None:
    from promptlib.review._approvals import apply_approvals, plan_approvals_file, read_approvals

    plan = plan_approvals_file(state.library, run, read_approvals(path), path)
    if dry_run:
        for line in plan.lines():
            echo(f"would {line}")
        echo("dry run: nothing written")
        return
    outcome = apply_approvals(state.library, plan, by=by)
    _print_approved(outcome.approved)
    for rejection, _ in plan.rejections:
        echo(f"rejected sample {rejection.sample} of {rejection.key}")
    echo("review and commit evals/goldens/ with the template change")


def _print_approved(approved: Sequence[Approved]) -> None:
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
    from promptlib.goldens._review import reviewer_name
    from promptlib.review import _decisions
    from promptlib.review._runs import open_run

    outcome = _decisions.reject(
        state.library,
        open_run(state.library, run),
        case_key=case_key,
        sample=sample,
        reason=reason,
        by=reviewer_name(by),
        force=force,
    )
    on_record = outcome.rejected.rejected if outcome.rejected is not None else []
    undo = f" (undo: promptlib unreject --case {case_key} --sha {on_record[-1].sha256[:12]})" if on_record else ""
    echo(f"rejected sample {sample} of {case_key}; {len(on_record)} rejected image(s) on record{undo}")


@cli.command()
@click.option("--case", "case_key", required=True, metavar="SUITE/CASE")
@click.option("--sha", "prefixes", multiple=True, metavar="PREFIX", help="A rejected image's sha256 (prefix).")
@click.option("--all", "every", is_flag=True, help="Forget every rejected image of the case.")
@pass_state
def unreject(state: State, case_key: str, prefixes: tuple[str, ...], every: bool) -> None:
    """Forget rejected images of a case (by sha256 prefix, or --all); without either, list them."""
    from promptlib.review import _decisions

    if not prefixes and not every:
        rejected = _decisions.rejected_images(state.library, case_key)
        for entry in rejected:
            echo(f"{entry.sha256[:12]}  {one_line(entry.reason)}  (by {one_line(entry.by)}, {entry.at})")
        echo(f"{len(rejected)} rejected image(s); forget one with --sha PREFIX, or all with --all")
        return
    outcome = _decisions.unreject(state.library, case_key, prefixes, every=every)
    for entry in outcome.forgotten:
        echo(f"forgot rejected {entry.sha256[:12]} ({one_line(entry.reason)})")
    echo("review and commit evals/goldens/")


@cli.command()
@click.argument("run", required=False)
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; anything but loopback needs --token.")  # fmt: skip
@click.option("--token", envvar="PROMPTLIB_PLAYGROUND_TOKEN", default=None, metavar="TOKEN",
              help="Secret the browser must present (URL ?token=, then a cookie).")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@pass_state
def review(state: State, run: str | None, port: int, host: str, token: str | None, no_browser: bool) -> None:
    """Review a run (default: the latest; a downloaded CI run directory works too) in the browser."""
    from promptlib.review._runs import open_run
    from promptlib.web import access_policy, create_app
    from promptlib.web._review_page import review_state
    from promptlib.web._server import serve

    chosen = open_run(state.library, run)  # refused here, in one line, exactly as approve refuses it
    policy = access_policy(host, port, token, ())
    app = create_app(state.library.settings.root, policy=policy, library=state.library)
    review_state(app.state.web).run = str(chosen.path)

    def ready(bound: int) -> None:
        url = access_policy(host, bound, token, ()).url("/review")
        echo(f"promptlib review of {chosen.run_id}: {url}  (Ctrl-C stops it)")
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    serve(app, host, port, ready)


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
