"""Commands on the project's files: init, list, show, render, check, lock, bundle, diff, schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from promptlib.cli._base import State, cli, echo, echo_json, pass_state
from promptlib.cli._values import render_from_options, with_var_options
from promptlib.core._safe_text import one_line

if TYPE_CHECKING:
    pass


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(directory: Path) -> None:
    """Scaffold promptlib.yaml, prompts/ and evals/ in DIRECTORY (an existing repository)."""
    from promptlib.cli._scaffold import init_project

    for path in init_project(directory):
        echo(f"wrote {path}")
    echo("next: `promptlib check`, then `promptlib render example/product-shot --example mug`")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def list_templates(state: State, as_json: bool) -> None:
    """List the templates under prompts/."""
    rows: list[dict[str, Any]] = []
    for template in state.library.templates():
        rows.append(
            {
                "id": template.id,
                "version": template.version,
                "operation": template.operation,
                "description": template.description,
            }
        )
    if as_json:
        echo_json(rows)
        return
    width = max((len(r["id"]) for r in rows), default=2)
    for row in rows:
        echo(f"{row['id']:<{width}}  v{row['version']:<3} {row['operation']:<8} {row['description']}")


@cli.command()
@click.argument("template_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def show(state: State, template_id: str, as_json: bool) -> None:
    """Show a template: version, variables, parameters, examples, partials, content hash."""
    from promptlib.prompts._describe import describe_template, template_summary

    template = state.library.get(template_id)
    if as_json:
        echo_json(template_summary(template))
    else:
        echo(describe_template(template))


@cli.command()
@click.argument("template_id", metavar="ID")
@with_var_options
@click.option("--json", "as_json", is_flag=True, help="Prompt, parameters and identity as JSON.")
@pass_state
def render(
    state: State,
    template_id: str,
    var: tuple[str, ...],
    vars_file: Path | None,
    example: str | None,
    as_json: bool,
) -> None:
    """Render a template's prompt text without calling any deployment."""
    rendered = render_from_options(state.library, template_id, var, vars_file, example)
    if as_json:
        echo_json(rendered.to_dict())
    else:
        echo(rendered.prompt)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report (same as --format json).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github: one workflow annotation per problem, shown on its line in the PR.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check every file afresh, neither reading nor writing .promptlib/cache/check.json.",
)
@pass_state
@click.pass_context
def check(ctx: click.Context, state: State, as_json: bool, fmt: str, no_cache: bool) -> None:
    """Check templates, partials, suites, config and lock: every problem at once.

    Exits 1 listing every problem, each as FILE:LINE: what is wrong and what to do. Files unchanged since
    the last check (with what they include and name) are not checked again; --no-cache checks them all.

    \b
    Examples:
      promptlib check
      promptlib check --format github    # in a GitHub Actions step: annotations on the PR's lines
      promptlib check --no-cache         # a cold run, as on a fresh CI runner
    """
    from promptlib.evals._check import check_project

    report = check_project(state.library, use_cache=not no_cache)
    if as_json or fmt == "json":
        echo_json(report.to_dict())
    elif fmt == "github":
        from promptlib.reports._ci_formats import github_annotation

        for problem in report.problems:
            click.echo(
                github_annotation(
                    "error", problem.message, file=_shown_path(problem.path), line=problem.line, title="promptlib check"
                )
            )
        for warning in report.warnings:
            click.echo(github_annotation("warning", warning.message, file=_shown_path(warning.path),
                                         line=warning.line, title="promptlib check"))  # fmt: skip
    else:
        for problem in report.problems:
            echo(one_line(problem))
        for warning in report.warnings:
            echo(f"warning: {one_line(warning)}", err=True)
    if not as_json and fmt != "json":
        summary = (
            f"{report.templates} templates, {report.partials} partials, {report.suites} suites: "
            + ("ok" if report.ok else f"{len(report.problems)} problem(s)")
            + (f", {len(report.warnings)} warning(s)" if report.warnings else "")
        )
        echo(summary, err=not report.ok)
    if not report.ok:
        ctx.exit(1)


def _shown_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@cli.command()
@pass_state
@click.pass_context
def lock(ctx: click.Context, state: State) -> None:
    """Write prompts/prompts.lock from the templates (refuses to hide a missing version bump)."""
    from promptlib.prompts._lock import update_lock

    written, problems = update_lock(state.library)
    for problem in problems:
        echo(str(problem), err=True)
    if problems:
        ctx.exit(1)
    echo(f"wrote {written}")


@cli.command()
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The bundle file to write."
)
@click.option("--history", is_flag=True, help="Also every released version found in git history.")
@pass_state
def bundle(state: State, output: Path, history: bool) -> None:
    """Write every template (and with --history every released version) to one JSON file for apps."""
    from promptlib.git._bundle_build import write_bundle

    summary = write_bundle(state.library, output, history=history)
    for note in summary.notes:
        echo(f"note: {note}", err=True)
    echo(f"wrote {output}: {summary.templates} templates, {summary.versions} versions")


@cli.command("diff")
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def diff_command(state: State, ref: str | None, as_json: bool) -> None:
    """Templates added, removed or changed since REF (default: merge base with the default branch), with
    version and parameter changes and a diff of each example's rendered prompt. Informational: exits 0."""
    from promptlib.git._diff import diff_library, format_diff

    result = diff_library(state.library, ref)
    if as_json:
        echo_json(result.to_json())
    else:
        echo(format_diff(result), nl=False)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write <kind>.schema.json files here.")
def schema(out: Path | None) -> None:
    """JSON Schema for template, suite and config files (for editor validation)."""
    from promptlib.cli._schema import json_schemas, write_schemas

    if out is None:
        echo_json(json_schemas())
        return
    for path in write_schemas(out):
        echo(f"wrote {path}")
