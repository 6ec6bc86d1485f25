"""The `promptlib` group, its shared state and output helpers; the commands live in the `_*_cmds` modules.

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

from promptlib.core._safe_text import one_line, terminal
from promptlib.exceptions import PromptlibError

if TYPE_CHECKING:
    from promptlib._library import Library


class State:
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

    state = ctx.find_object(State)
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
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
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
    ctx.obj = State(None, debug)
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


pass_state = click.make_pass_decorator(State)


def echo_json(data: Any) -> None:
    # ASCII-only: JSON escapes C0 controls itself; this escapes C1 and bidi controls too (\u009b, \u202e)
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True, default=str))
