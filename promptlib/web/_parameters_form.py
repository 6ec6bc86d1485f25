"""The Parameters fieldset: the choices the deployment's model takes, read from the model table.

Nothing here lists models, sizes or qualities: each field's options come from the model's table entry
(`promptlib models NAME`), and a model the table does not know gets the wire values the API accepts. Sizes are
the listed ones plus, where the model has a size rule (gpt-image-2), any `WxH` typed in, described by that rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from promptlib.config._settings import Settings
from promptlib.exceptions import PromptlibError
from promptlib.models._capabilities import Provider
from promptlib.models._parameters import Background, ImageParameters, InputFidelity, Moderation, OutputFormat, Quality
from promptlib.models._rules import describe_rule


@dataclass
class Choice:
    name: str
    options: list[str]
    current: str | None  # the template's value
    chosen: str = ""  # what the author picked ("" = the template's)


@dataclass
class ParameterForm:
    deployment: str
    model: str
    sizes: list[str] = field(default_factory=list)
    size_rule: str | None = None  # arbitrary sizes allowed, in words
    current_size: str | None = None
    chosen_size: str = ""
    choices: list[Choice] = field(default_factory=list)


def parameter_form(
    settings: Settings, deployment: str, operation: str, parameters: ImageParameters, chosen: dict[str, str]
) -> ParameterForm:
    """The fieldset for `deployment`'s model; `chosen` values the model does not take are dropped."""
    try:
        name = settings.deployment_name(deployment or None, None)
        config = settings.deployment(name)
        spec = settings.model_spec(name)
    except PromptlibError:
        name, spec, config = deployment, None, None
    entry = spec.entry if spec is not None else None
    provider: Provider = "openai" if config is not None and config.kind == "openai" else "azure"
    form = ParameterForm(name, config.model if config is not None else "?", current_size=parameters.size)
    sizes = entry.sizes if entry is not None else None
    form.sizes = [*(sizes.listed if sizes else []), *(["auto"] if sizes is None or sizes.auto else [])]
    form.size_rule = describe_rule(sizes.rule) if sizes is not None and sizes.rule is not None else None
    form.chosen_size = chosen.get("size", "")
    formats = spec.formats(provider) if spec is not None else None
    lists: list[tuple[str, list[str] | None, tuple[str, ...]]] = [
        ("quality", list(entry.qualities) if entry and entry.qualities is not None else None, get_args(Quality)),
        ("background", list(entry.backgrounds) if entry and entry.backgrounds is not None else None,
         get_args(Background)),
        ("output_format", formats, get_args(OutputFormat)),
        ("moderation", list(entry.moderation) if entry and entry.moderation is not None else None,
         get_args(Moderation)),
        ("input_fidelity", list(entry.input_fidelity) if entry and entry.input_fidelity is not None else None,
         get_args(InputFidelity)),
    ]  # fmt: skip
    for field_name, allowed, wire in lists:
        if field_name == {"generate": "input_fidelity", "edit": "moderation"}.get(operation):
            continue  # the other operation's parameter
        options = allowed if allowed is not None else list(wire)
        if not options:
            continue  # the model takes none (gpt-image-2's input_fidelity)
        pick = chosen.get(field_name, "")
        current = getattr(parameters, field_name)
        form.choices.append(Choice(field_name, options, current, pick if pick in options else ""))
    return form
