"""Variable values from the command line: --var NAME=VALUE, --vars-file FILE, --example NAME."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    from promptlib._library import Library
    from promptlib.prompts._rendered import RenderedPrompt


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
    """--example, then --vars-file, then --var (the precedence is the template's `render_layers`)."""
    return library.get(template_id).render_layers(
        example=example, values=_read_vars_file(vars_file), text_values=_parse_vars(var)
    )


_var_options = [
    click.option("--var", "var", multiple=True, metavar="NAME=VALUE", help="A variable value (repeatable)."),
    click.option(
        "--vars-file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="YAML or JSON mapping of variable values.",
    ),
    click.option("--example", metavar="NAME", help="Start from one of the template's named examples."),
]


def with_var_options(func: Any) -> Any:
    for option in reversed(_var_options):
        func = option(func)
    return func
