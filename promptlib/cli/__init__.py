"""The ``promptlib`` command: a thin face over the library.

Each command parses its options, calls the library and prints. Errors become one
line on stderr and an exit code (0 ok, 1 problems found, 2 usage or config);
``--debug`` shows the traceback. Heavy modules are imported inside commands so
``promptlib --help`` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from promptlib.core._safe_text import one_line, shell_command, terminal
from promptlib.exceptions import PromptlibError, UsageError

if TYPE_CHECKING:
    from promptlib._library import Library
    from promptlib.prompts._rendered import RenderedPrompt


class _State:
    def __init__(self, project: Path | None, debug: bool) -> None:
        self.project = project
        self.debug = debug
        self._library: Library | None = None

    @property
    def library(self) -> Library:
        if self._library is None:
            from promptlib._library import Library

            self._library = Library.load(self.project)
            note = self._library.settings.trust_note
            if note is not None:
                echo(f"note: {note}", err=True)
        return self._library


class _Group(click.Group):
    """Turns PromptlibError into one line and its exit code, for every subcommand."""

    def invoke(self, ctx: click.Context) -> Any:
        cwd = os.getcwd()  # -C changes directory for the command; give the caller theirs back
        try:
            return super().invoke(ctx)
        except PromptlibError as exc:
            _fail(ctx, str(exc), exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            _fail(ctx, f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 2)
        except Exception as exc:  # a bug: say so plainly, keep the trace for --debug
            _fail(ctx, f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", 1)
        finally:
            os.chdir(cwd)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    from promptlib.core._redact import redact

    state = ctx.find_object(_State)
    if state is not None and state.debug:
        echo(redact(traceback.format_exc()), err=True, nl=False)
    echo(f"error: {one_line(redact(message))}", err=True)
    ctx.exit(code)


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """click.echo for text with parts a pull request wrote: control characters are shown as escapes, never
    interpreted, and in a CI log (not a terminal) no line can start like a workflow command (`::`, `##vso[`)."""
    stream = sys.stderr if err else sys.stdout
    click.echo(terminal(str(message), log=not stream.isatty()), err=err, nl=nl)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C", "--project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Run as if started in this directory, like git -C (relative paths resolve from it too).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every HTTP request (status, latency, request id).")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors (secrets are still masked).")
@click.version_option(package_name="promptlib")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, verbose: bool, debug: bool) -> None:
    """Image-generation prompts as code: render, run and regression-check templates."""
    if project is not None:
        if not project.is_dir():
            from promptlib.exceptions import ProjectNotFound

            raise ProjectNotFound(f"{project} does not exist; give the project directory (where promptlib.yaml is)")
        os.chdir(project)
    ctx.obj = _State(None, debug)
    _silence_retry_warnings()
    if verbose or debug:
        _configure_logging(debug)


def _silence_retry_warnings() -> None:
    """stamina logs every scheduled retry as a bare ``stamina.retry_scheduled`` warning, which Python prints
    on stderr when no handler is configured: noise before the one error line (``-v`` logs each attempt)."""
    import logging

    stamina_logger = logging.getLogger("stamina")
    if not stamina_logger.handlers:
        stamina_logger.addHandler(logging.NullHandler())


def _configure_logging(debug: bool) -> None:
    import logging

    from promptlib.core._redact import RedactingFilter

    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("promptlib")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)


pass_state = click.make_pass_decorator(_State)


def _echo_json(data: Any) -> None:
    # ASCII-only: JSON escapes C0 controls itself; this escapes C1 and bidi controls too (\u009b, \u202e)
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True, default=str))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(directory: Path) -> None:
    """Scaffold promptlib.yaml, prompts/ and evals/ in DIRECTORY (an existing repository)."""
    from promptlib.config._scaffold import init_project

    for path in init_project(directory):
        echo(f"wrote {path}")
    echo("next: `promptlib check`, then `promptlib render example/product-shot --example mug`")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def list_templates(state: _State, as_json: bool) -> None:
    """List the templates under prompts/."""
    rows: list[dict[str, Any]] = []
    for template in state.library.templates():
        rows.append(
            {"id": template.id, "version": template.version, "operation": template.operation,
             "description": template.description}
        )
    if as_json:
        _echo_json(rows)
        return
    width = max((len(r["id"]) for r in rows), default=2)
    for row in rows:
        echo(f"{row['id']:<{width}}  v{row['version']:<3} {row['operation']:<8} {row['description']}")


@cli.command()
@click.argument("template_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def show(state: _State, template_id: str, as_json: bool) -> None:
    """Show a template: version, variables, parameters, examples, partials, content hash."""
    from promptlib.prompts._describe import describe_template, template_summary

    template = state.library.get(template_id)
    if as_json:
        _echo_json(template_summary(template))
    else:
        echo(describe_template(template))


def _parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var expects NAME=VALUE, got {pair!r}")
        values[name.strip()] = value
    return values


def _read_vars_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from promptlib.core._yaml import parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError("a vars file must be UTF-8 YAML or JSON", path=path) from None
    doc = parse_yaml(text, path, error=UsageError)
    if not isinstance(doc.data, dict):
        raise UsageError("a vars file must be a YAML or JSON mapping of name: value", path=path)
    return doc.data


def render_from_options(
    library: Library, template_id: str, var: tuple[str, ...], vars_file: Path | None, example: str | None
) -> RenderedPrompt:
    """Example values, then the vars file, then --var: later wins."""
    template = library.get(template_id)
    base: dict[str, Any] = dict(template.example(example).variables) if example else {}
    base.update(_read_vars_file(vars_file))
    return template.render_text_values(_parse_vars(var), base)


_var_options = [
    click.option("--var", "var", multiple=True, metavar="NAME=VALUE", help="A variable value (repeatable)."),
    click.option(
        "--vars-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="YAML or JSON mapping of variable values.",
    ),
    click.option("--example", metavar="NAME", help="Start from one of the template's named examples."),
]


def _with_var_options(func: Any) -> Any:
    for option in reversed(_var_options):
        func = option(func)
    return func


@cli.command()
@click.argument("template_id", metavar="ID")
@_with_var_options
@click.option("--json", "as_json", is_flag=True, help="Prompt, parameters and identity as JSON.")
@pass_state
def render(
    state: _State, template_id: str, var: tuple[str, ...], vars_file: Path | None, example: str | None,
    as_json: bool,
) -> None:
    """Render a template's prompt text without calling any deployment."""
    rendered = render_from_options(state.library, template_id, var, vars_file, example)
    if as_json:
        _echo_json(rendered.to_dict())
    else:
        echo(rendered.prompt)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report (same as --format json).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="github: one workflow annotation per problem, shown on its line in the PR.")
@pass_state
@click.pass_context
def check(ctx: click.Context, state: _State, as_json: bool, fmt: str) -> None:
    """Check templates, partials, suites, config and lock: every problem at once.

    Exits 1 listing every problem, each as FILE:LINE: what is wrong and what to do.

    \b
    Examples:
      promptlib check
      promptlib check --format github    # in a GitHub Actions step: annotations on the PR's lines
    """
    from promptlib.evals._check import check_project

    report = check_project(state.library)
    if as_json or fmt == "json":
        _echo_json(report.to_dict())
    elif fmt == "github":
        from promptlib.reports._ci_formats import github_annotation

        for problem in report.problems:
            click.echo(github_annotation("error", problem.message, file=_shown_path(problem.path), line=problem.line,
                                         title="promptlib check"))
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
def lock(ctx: click.Context, state: _State) -> None:
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
def bundle(state: _State, output: Path, history: bool) -> None:
    """Write every template (and with --history every released version) to one JSON file for apps."""
    from promptlib.prompts._bundle import write_bundle

    summary = write_bundle(state.library, output, history=history)
    for note in summary.notes:
        echo(f"note: {note}", err=True)
    echo(f"wrote {output}: {summary.templates} templates, {summary.versions} versions")


@cli.command("diff")
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def diff_command(state: _State, ref: str | None, as_json: bool) -> None:
    """Templates added, removed or changed since REF (default: merge base with the default branch), with
    version and parameter changes and a diff of each example's rendered prompt. Informational: exits 0."""
    from promptlib.git._diff import diff_library, format_diff

    result = diff_library(state.library, ref)
    if as_json:
        _echo_json(result.to_json())
    else:
        echo(format_diff(result), nl=False)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write <kind>.schema.json files here.")
def schema(out: Path | None) -> None:
    """JSON Schema for template, suite and config files (for editor validation)."""
    from promptlib.cli._schema import json_schemas, write_schemas

    if out is None:
        _echo_json(json_schemas())
        return
    for path in write_schemas(out):
        echo(f"wrote {path}")


@cli.command()
@click.argument("template_id", metavar="ID")
@_with_var_options
@click.option("-d", "--deployment", metavar="NAME", help="Deployment from promptlib.yaml (default: the project's).")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
    help="Directory for the images and their JSON sidecar.",
)
@click.option("--stream", is_flag=True, help="Stream the image: write each partial image as it arrives.")
@click.option("--partial-images", type=click.IntRange(0, 3), default=2, show_default=True,
              help="With --stream: how many previews to ask for (0-3).")  # fmt: skip
@pass_state
def generate(
    state: _State, template_id: str, var: tuple[str, ...], vars_file: Path | None, example: str | None,
    deployment: str | None, out: Path, stream: bool, partial_images: int,
) -> None:
    """Render a template and run it on a deployment; write the images and a JSON sidecar."""
    from promptlib.cli._outputs import write_generation
    from promptlib.deployments._pool import prepare_rendered

    library = state.library
    rendered = render_from_options(library, template_id, var, vars_file, example)
    client, request = prepare_rendered(library, rendered, deployment)
    with library:
        if stream:
            from promptlib.cli._stream_output import write_stream

            result = write_stream(client.stream(request, partial_images), request, out, partial_images)
        else:
            result = client.generate(request)
    paths, sidecar = write_generation(result, out)
    for path in paths:
        echo(f"wrote {path}")
    echo(f"wrote {sidecar}")
    first = result.images[0]
    echo(
        f"{result.deployment} ({result.model}): {len(result.images)} image(s) {first.width}x{first.height} "
        f"{first.format} in {result.latency_s:.2f} s, cost ~${result.cost:.4f}"
        + (f", request id {result.request_id}" if result.request_id else "")
    )


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="The whole table (with promptlib.yaml's models:) as JSON.")
def models(name: str | None, as_json: bool) -> None:
    """List the models promptlib knows: sizes, formats, prices.

    One line a model: sizes, qualities, formats, streaming, price, retirement; NAME shows one model in full
    with the source of each fact. Run in a project, the table includes its promptlib.yaml `models:` section.

    \b
    Examples:
      promptlib models
      promptlib models gpt-image-2
      promptlib models --json
    """
    import datetime

    from promptlib.cli._models import format_model, format_table, model_json, table_json
    from promptlib.config._settings import load_settings
    from promptlib.exceptions import ProjectNotFound
    from promptlib.models._table import ModelTable, shipped_table

    try:
        table: ModelTable = load_settings().models
    except ProjectNotFound:
        table = shipped_table()
    today = datetime.datetime.now(datetime.UTC).date()
    if as_json:
        spec = table.get(name) if name else None
        if name and spec is None:
            raise UsageError(f"no model {name!r} in the table or under models:; `promptlib models` lists them")
        _echo_json(model_json(spec) if spec is not None else table_json(table))
    else:
        click.echo(format_model(table, name, today) if name else format_table(table, today), nl=False)


@cli.group()
def emulator() -> None:
    """The built-in Azure-compatible image API emulator."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8089, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--api-key", envvar="PROMPTLIB_EMULATOR_API_KEY", default=None,
    help="Require this key (api-key header or Bearer). Also read from PROMPTLIB_EMULATOR_API_KEY.",
)
@click.option(
    "--variance", default=0.0, show_default=True, type=click.FloatRange(0, 1), help="How much samples differ."
)
@click.option("--seed", type=int, default=None, help="Make the sequence of variants reproducible.")
@click.option("--block", "block", multiple=True, metavar="TERM", help="Refuse prompts containing TERM (repeatable).")
@click.option("--model", default="gpt-image-2", show_default=True,
              help="Model the emulator serves: its sizes, formats, prices (`promptlib models`).")  # fmt: skip
@click.option("--latency-ms", metavar="N|LOW-HIGH", help="Add latency to every request: fixed, or uniform in a range.")
@click.option(
    "--fail-rate", metavar="FAULT=RATE,...",
    help="Inject faults by rate: 429, 500, 503, drop, badjson, truncate, slow, filter, garble "
    "(e.g. 429=0.3,500=0.1,drop=0.05).",
)
@click.option("--fault-script", metavar="STEP,...", help="Steps for the first requests in order (e.g. 429,ok,drop).")
@click.option("--retry-after-ms", type=click.IntRange(0), default=1000, show_default=True,
              help="The wait an injected 429 asks for.")  # fmt: skip
@click.option("--slow-ms", type=click.IntRange(0), default=30_000, show_default=True,
              help="How long a slow answer stalls between headers and body.")  # fmt: skip
@click.option("--rpm", type=click.IntRange(1), default=None, help="Enforce requests per minute (1 s/10 s windows).")
def serve(
    host: str, port: int, api_key: str | None, variance: float, seed: int | None, block: tuple[str, ...], model: str,
    latency_ms: str | None, fail_rate: str | None, fault_script: str | None, retry_after_ms: int, slow_ms: int,
    rpm: int | None,
) -> None:
    """Serve the emulator over HTTP (Azure URLs, v1 URLs and /v1 OpenAI URLs), faulty on demand."""
    from promptlib.emulator import EmulatorConfig, FaultConfig, parse_fail_rate, parse_latency, parse_script
    from promptlib.emulator import serve as serve_emulator

    def parsed(option: str, spec: str | None, parse: Any, default: Any) -> Any:
        try:
            return default if spec is None else parse(spec)
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None

    faults = FaultConfig(
        latency_ms=parsed("--latency-ms", latency_ms, parse_latency, 0.0),
        fail_rate=parsed("--fail-rate", fail_rate, parse_fail_rate, {}),
        script=parsed("--fault-script", fault_script, parse_script, ()),
        retry_after_ms=retry_after_ms, slow_ms=slow_ms, rpm=rpm,
    )  # fmt: skip

    if api_key:
        from promptlib.core._redact import register_secret

        register_secret(api_key)
    config = EmulatorConfig(api_key=api_key, variance=variance, seed=seed, block=block, model=model, faults=faults)
    auth = "on" if api_key else "off"
    extra = ", faults on" if faults.injects else ""
    extra += f", {rpm} RPM" if rpm else ""
    echo(f"promptlib emulator on http://{host}:{port} (auth {auth}{extra}); Ctrl-C stops it", err=True)
    serve_emulator(config, host=host, port=port)


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

    progress = Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), transient=True)
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
@click.option("--max-cost", type=click.FloatRange(min=0), metavar="USD",
              help="Refuse a run estimated above USD; stop sending when spend reaches it (the rest: skipped).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent and its estimated cost; send nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="github: also a workflow annotation per case that needs attention, at its suite entry.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the run as JUnit XML (read by most CI systems).")
@pass_state
@click.pass_context
def eval_command(
    ctx: click.Context, state: _State, selectors: tuple[str, ...], deployment: str | None, samples: int | None,
    concurrency: int | None, refresh: bool, no_cache: bool, run_dir: Path | None, as_json: bool,
    shard: str | None, changed_since: str | None, max_cost: float | None, dry_run: bool, fmt: str,
    junit: Path | None,
) -> None:
    """Run eval suites, compare samples with goldens, write .promptlib/runs/<id>/ (exit 1 unless all pass)."""
    from promptlib.evals._cases import select
    from promptlib.evals._command import execute, report_path
    from promptlib.evals._runner import EvalOptions
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
    options = EvalOptions(deployment=deployment, samples=samples, concurrency=concurrency,
                          cache="refresh" if refresh else "off" if no_cache else "use", max_cost=max_cost)
    if dry_run:
        _print_plan(library, cases, options, as_json)
        return
    callback, progress = _progress_printer(len(cases))
    if progress is not None:
        with progress:
            result, run, data = execute(library, cases, options, full_run=full_run, run_dir=run_dir, progress=callback,
                                        changed_since=changed, suite_problems=selection.problems)
    else:
        result, run, data = execute(library, cases, options, full_run=full_run, run_dir=run_dir, progress=callback,
                                    changed_since=changed, suite_problems=selection.problems)
    if junit is not None:
        from promptlib.core._atomic import atomic_write_text
        from promptlib.reports._ci_formats import junit_xml

        atomic_write_text(junit, junit_xml(data))
    if as_json or fmt == "json":
        _echo_json(data)
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
    from promptlib.evals._command import plan

    run_plan = plan(library, cases, options)
    data = run_plan.to_dict()
    if options.max_cost is not None:
        data["max_cost_usd"] = options.max_cost
        data["within_budget"] = run_plan.estimated_cost <= options.max_cost + 1e-9
    if as_json:
        _echo_json(data)
        return
    for row in run_plan.requests:
        if row.error is not None:
            echo(f"{row.case:<40} error: {row.error}")
            continue
        state = "cached" if row.cached else "send"
        echo(f"{row.case:<40} {row.deployment} ({row.model}) n={row.n} {row.size or '-'} {row.quality or '-'} "
                   f"{state:<6} ${row.estimated_cost:.4f}")
    echo(
        f"dry run: would send {data['to_send']} requests ({data['images_to_generate']} images), {data['cached']} "
        f"cached; estimated cost ${run_plan.estimated_cost:.4f} (up to ${run_plan.worst_case_cost:.4f} if every "
        "case needs its top-up draw); nothing was sent"
    )
    if options.max_cost is not None and not data["within_budget"]:
        echo(f"the estimate is over --max-cost ${options.max_cost:.4f}: the run would be refused")


@cli.command()
@click.argument("run", required=False)
@click.option("--case", "cases", multiple=True, metavar="SUITE/CASE", help="Case to approve (repeatable).")
@click.option("--sample", "samples", multiple=True, type=int, metavar="N", help="Only these samples (repeatable).")
@click.option("--all-new", is_flag=True, help="Approve every case that had no goldens.")
@click.option("--add", is_flag=True, help="Add to the golden set instead of replacing it.")
@click.option("--by", metavar="NAME", help="Reviewer recorded in the manifest (default: git user.name).")
@pass_state
def approve(
    state: _State, run: str | None, cases: tuple[str, ...], samples: tuple[int, ...], all_new: bool, add: bool,
    by: str | None,
) -> None:
    """Copy samples of a run (default: the latest) into evals/goldens/ and recalibrate."""
    from promptlib.evals._command import runs_root
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._review import approve_from_run, project_cases, reviewer_name
    from promptlib.reports._runs import find_run, load_results

    library = state.library
    run_path = find_run(runs_root(library), run)
    results = load_results(run_path)
    approved = approve_from_run(
        golden_store(library), run_path, results, known=project_cases(library), cases=cases, samples=samples,
        all_new=all_new, by=reviewer_name(by), add=add,
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
def reject(state: _State, run: str | None, case_key: str, sample: int, reason: str, by: str | None,
           force: bool) -> None:
    """Record a known-bad sample of a run (default: the latest): later look-alikes fail with REASON."""
    from promptlib.evals._command import runs_root
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._review import project_cases, reject_from_run, reviewer_name
    from promptlib.reports._runs import find_run, load_results

    library = state.library
    run_path = find_run(runs_root(library), run)
    manifest = reject_from_run(
        golden_store(library), run_path, load_results(run_path), known=project_cases(library), case_key=case_key,
        sample=sample, reason=reason, by=reviewer_name(by), force=force,
    )
    echo(f"rejected sample {sample} of {case_key}; {len(manifest.rejected)} rejected image(s) on record "
         f"(undo: promptlib unreject --case {case_key} --sha {manifest.rejected[-1].sha256[:12]})")


@cli.command()
@click.option("--case", "case_key", required=True, metavar="SUITE/CASE")
@click.option("--sha", "prefixes", multiple=True, metavar="PREFIX", help="A rejected image's sha256 (prefix).")
@click.option("--all", "every", is_flag=True, help="Forget every rejected image of the case.")
@pass_state
def unreject(state: _State, case_key: str, prefixes: tuple[str, ...], every: bool) -> None:
    """Forget rejected images of a case (by sha256 prefix, or --all); without either, list them."""
    from promptlib.evals._runner import golden_store
    from promptlib.goldens._review import project_cases

    library = state.library
    target = project_cases(library).get(case_key)
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
def report_merge(state: _State, runs: tuple[str, ...], out: Path | None) -> None:
    """Join the run directories of `eval --shard K/N` (ids or paths) into one run you can review and approve."""
    from promptlib.evals._command import _append_step_summary, runs_root
    from promptlib.reports._merge import merge_runs, project_cases
    from promptlib.reports._runs import find_run, mark_latest
    from promptlib.reports._summary import status_line

    library = state.library
    root = runs_root(library)
    merged = merge_runs([find_run(root, run) for run in runs], root, out, project_cases(library))
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
def report_show(state: _State, run: str | None, fmt: str, open_it: bool) -> None:
    """Show a run's report (default: the latest): html prints its path, md and json print the content."""
    from promptlib.evals._command import runs_root
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
def goldens_list(state: _State, as_json: bool) -> None:
    """Every case with goldens: count, sensitivity, thresholds, template version, and whether it is unused."""
    from promptlib.evals._golden_listing import golden_rows

    rows = golden_rows(state.library)
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        thresholds = " ".join(f"{k}={v}" for k, v in row["thresholds"].items())
        flag = "  UNUSED" if row["unused"] else ""
        echo(f"{row['key']:<40} {row['goldens']} golden(s)  {row['sensitivity']:<4} {thresholds}  "
                   f"{row['template']} v{row['version']}{flag}")
    if not rows:
        echo("no goldens yet: run `promptlib eval`, then `promptlib approve --all-new`")


@goldens.command("prune")
@pass_state
def goldens_prune(state: _State) -> None:
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
@click.option("--older-than", "days", type=click.FloatRange(min=0), metavar="DAYS",
              help="Remove runs older than DAYS (with --keep: either rule removes a run).")
@pass_state
def runs_prune(state: _State, keep: int | None, days: float | None) -> None:
    """Remove old run directories; the latest run is always kept."""
    from promptlib.evals._command import runs_root
    from promptlib.reports._runs import disk_usage, prune_runs

    root = runs_root(state.library)
    if keep is None and days is None:
        keep = 20
    sizes = {path: sum(disk_usage(path)) for path in root.iterdir() if path.is_dir()} if root.is_dir() else {}
    removed = prune_runs(root, keep=keep, older_than_days=days)
    freed = sum(sizes.get(path, 0) for path in removed)
    for path in removed:
        echo(f"removed {path}")
    echo(f"removed {len(removed)} run(s), up to {freed / 1e6:.1f} MB (bytes shared with the cache or goldens stay "
         "until those go)")


@cli.group()
def cache() -> None:
    """Inspect the result cache (.promptlib/cache), or prune old and damaged entries."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@cache.command("stats")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def cache_stats_command(state: _State, as_json: bool) -> None:
    """Entries, images, bytes, oldest and newest, per deployment; damaged and unfinished entries counted apart."""
    from promptlib.evals._cache_admin import cache_stats
    from promptlib.evals._runner import result_cache

    stats = cache_stats(result_cache(state.library).root)
    if as_json:
        _echo_json(stats)
        return
    echo(f"{stats['path']}: {stats['entries']} entries, {stats['images']} images, "
               f"{_megabytes(stats['bytes'])}; oldest {stats['oldest'] or '-'}, newest {stats['newest'] or '-'}")
    for name, row in stats["deployments"].items():
        echo(f"  {name:<24} {row['entries']} entries, {row['images']} images, {_megabytes(row['bytes'])}")
    if stats["damaged"] or stats["unfinished"]:
        echo(f"{stats['damaged']} damaged, {stats['unfinished']} unfinished "
                   "(remove with `promptlib cache prune`)")


@cache.command("prune")
@click.option("--older-than", "days", type=click.FloatRange(min=0), metavar="DAYS",
              help="Also remove entries created more than DAYS ago.")
@pass_state
def cache_prune_command(state: _State, days: float | None) -> None:
    """Remove damaged and unfinished entries, and with --older-than those created more than DAYS ago."""
    from promptlib.evals._cache_admin import prune_cache
    from promptlib.evals._runner import result_cache

    outcome = prune_cache(result_cache(state.library).root, days)
    removed = outcome["removed"]
    echo(f"removed {sum(removed.values())} entries ({removed['old']} old, {removed['damaged']} damaged, "
               f"{removed['unfinished']} unfinished), freed {_megabytes(outcome['bytes_freed'])}")


@cli.command()
@click.argument("target", metavar="SUITE/CASE")
@click.option("--samples", type=click.IntRange(2, 10), default=8, show_default=True, help="Fresh samples to draw.")
@click.option("-d", "--deployment", metavar="NAME")
@pass_state
def calibrate(state: _State, target: str, samples: int, deployment: str | None) -> None:
    """Draw fresh samples and print their spread and the threshold calibration would set."""
    from promptlib.evals._calibrate import calibrate_case

    for line in calibrate_case(state.library, target, samples, deployment):
        echo(line)


# One line each for `promptlib --help` (click would cut the docstrings' first sentences mid-word), and the
# examples each command's own --help ends with.
_SHORT_HELP = {
    "approve": "Accept a run's samples as a case's goldens.",
    "bundle": "Write every template into one JSON file for apps.",
    "cache": "Inspect or prune the result cache.",
    "calibrate": "Measure a case's spread and the threshold it would get.",
    "check": "Every problem in the project, each at its line.",
    "diff": "Rendered-prompt diffs of templates changed since REF.",
    "emulator": "Serve the built-in Azure-compatible emulator.",
    "eval": "Run eval suites against their goldens.",
    "generate": "Render a template and run it on a deployment.",
    "goldens": "List golden sets, or prune unused ones.",
    "init": "Scaffold promptlib.yaml, prompts/ and evals/.",
    "list": "List the templates.",
    "lock": "Pin each template's content hash in prompts.lock.",
    "reject": "Record a known-bad sample of a case.",
    "runs": "Prune old run directories.",
    "render": "Render a template's prompt text.",
    "report": "Show a run's report, or merge shard runs.",
    "schema": "Write JSON Schemas for editors.",
    "show": "Show a template's variables, parameters and examples.",
    "unreject": "Forget rejected images of a case.",
}
_EXAMPLES = {
    "approve": ["promptlib approve --all-new", "promptlib approve --case brand/logo --sample 0 --sample 2",
                "promptlib approve path/to/downloaded-run --case brand/logo"],
    "eval": ["promptlib eval", "promptlib eval brand brand/logo-crane-symbol", "promptlib eval --dry-run --max-cost 2",
             "promptlib eval --changed-since origin/main --format github --junit eval.xml"],
    "reject": ["promptlib reject --case brand/logo --sample 1 --reason 'garbled text'"],
    "unreject": ["promptlib unreject --case brand/logo", "promptlib unreject --case brand/logo --sha 1a2b3c"],
    "render": ["promptlib render marketing/product-hero --example kettle-studio",
               "promptlib render marketing/product-hero --var product='Contoso kettle' --json"],
    "generate": ["promptlib generate marketing/product-hero --example kettle-studio --out out"],
    "diff": ["promptlib diff", "promptlib diff origin/main --json"],
    "report": ["promptlib report --open", "promptlib report --format md",
               "promptlib report merge shards/* --out merged"],
    "calibrate": ["promptlib calibrate brand/logo-crane-symbol --samples 8"],
    "init": ["promptlib init", "promptlib init path/to/repo"],
}


def _describe_commands() -> None:
    for name, command in cli.commands.items():
        command.short_help = _SHORT_HELP.get(name, command.short_help)
        examples = _EXAMPLES.get(name)
        if examples and not command.epilog:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in examples)


_describe_commands()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="promptlib")


if __name__ == "__main__":  # pragma: no cover
    main()
