"""Commands that call a deployment outside an eval (generate), and the model table (models)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from promptlib.cli._base import State, cli, echo, echo_json, pass_state
from promptlib.cli._values import render_from_options, with_var_options
from promptlib.core._clock import utc_today
from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    pass


@cli.command()
@click.argument("template_id", metavar="ID")
@with_var_options
@click.option("-d", "--deployment", metavar="NAME", help="Deployment from promptlib.yaml (default: the project's).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Directory for the images and their JSON sidecar.",
)
@click.option("--stream", is_flag=True, help="Stream the image: write each partial image as it arrives.")
@click.option("--partial-images", type=click.IntRange(0, 3), default=2, show_default=True,
              help="With --stream: how many previews to ask for (0-3).")  # fmt: skip
@pass_state
def generate(
    state: State,
    template_id: str,
    var: tuple[str, ...],
    vars_file: Path | None,
    example: str | None,
    deployment: str | None,
    out: Path,
    stream: bool,
    partial_images: int,
) -> None:
    """Render a template and run it on a deployment; write the images and a JSON sidecar."""
    from promptlib.cli._outputs import write_generation

    library = state.library
    rendered = render_from_options(library, template_id, var, vars_file, example)
    client, request = library.clients.request_for(rendered, deployment)
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

    from promptlib.cli._models import format_model, format_table, model_json, table_json
    from promptlib.config._settings import load_settings
    from promptlib.exceptions import ProjectNotFound
    from promptlib.models._table import ModelTable, shipped_table

    try:
        table: ModelTable = load_settings().models
    except ProjectNotFound:
        table = shipped_table()
    today = utc_today()
    if as_json:
        spec = table.get(name) if name else None
        if name and spec is None:
            raise UsageError(f"no model {name!r} in the table or under models:; `promptlib models` lists them")
        echo_json(model_json(spec) if spec is not None else table_json(table))
    else:
        click.echo(format_model(table, name, today) if name else format_table(table, today), nl=False)
