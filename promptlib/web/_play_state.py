"""What the Play form holds, and turning it into a rendered prompt with the library's own code.

The editor holds the template text only; the rest of the file (variables, parameters, examples) is the file on
disk. The edited file is rebuilt with the round-trip writer and loaded with `template_from_text`, the loader
`promptlib check` uses, so the sandbox, its budgets and every validation error are the library's. Values come in
as text and go through `PromptTemplate.render_layers`, the CLI's precedence (example, then typed values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile

from promptlib._library import Library
from promptlib.core._bounded import IMAGE_LIMIT, read_text
from promptlib.core._problems import Problem, problems_of
from promptlib.exceptions import PromptlibError, TemplateError, UsageError
from promptlib.models._capabilities import Provider
from promptlib.models._rules import parameter_problems
from promptlib.prompts._rendered import RenderedPrompt
from promptlib.prompts._templates import PromptTemplate, template_from_text
from promptlib.prompts._variables import BooleanVariable, ImageVariable
from promptlib.web._security import sha256_of
from promptlib.web._yaml_edit import spliced_template_text

#: The request parameters the form offers, in order; which values each takes comes from the model table.
PARAMETER_FIELDS = ("size", "quality", "background", "output_format", "output_compression", "moderation",
                    "input_fidelity")  # fmt: skip
DEFAULT_SAMPLES = 3


@dataclass
class PlayState:
    """One variant: the template text, values, parameters, deployment and sampling the author chose."""

    template_id: str
    template_text: str
    file_sha256: str
    values: dict[str, str] = field(default_factory=dict)  # variable → text as typed
    images: dict[str, bytes] = field(default_factory=dict)  # image variable → uploaded or brushed bytes
    parameters: dict[str, str] = field(default_factory=dict)  # only those the author set
    deployment: str = ""
    samples: int = DEFAULT_SAMPLES
    case: str = ""  # the eval case whose goldens judge the samples
    label: str = ""  # the variant's name, as the author typed it

    def to_json(self) -> dict[str, Any]:
        """The state as kept in a run directory (image bytes are kept as the run's input files instead)."""
        return {
            "template_id": self.template_id,
            "template_text": self.template_text,
            "file_sha256": self.file_sha256,
            "values": self.values,
            "parameters": self.parameters,
            "deployment": self.deployment,
            "samples": self.samples,
            "case": self.case,
            "label": self.label,
        }


@dataclass
class Outcome:
    """A render attempt: the prompt, or the problems (each with its line in the editor when it has one)."""

    rendered: RenderedPrompt | None = None
    template: PromptTemplate | None = None
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def file_text(library: Library, template_id: str) -> tuple[str, str]:
    """The template file's text and sha256 (the version the page loads, sent back with every save)."""
    path = library.path_of(template_id)
    return read_text(path, within=library.settings.root), sha256_of(path)


def _text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def state_from_form(form: FormData, template: PromptTemplate) -> PlayState:
    """The form's fields for this template's variables and the parameters; unknown fields are ignored."""
    state = PlayState(
        template_id=template.id,
        template_text=_text_field(form, "template_text"),
        file_sha256=_text_field(form, "file_sha256"),
        deployment=_text_field(form, "deployment"),
        case=_text_field(form, "case"),
        label=_text_field(form, "label")[:40],
    )
    try:
        state.samples = max(1, min(10, int(_text_field(form, "samples") or DEFAULT_SAMPLES)))
    except ValueError:
        state.samples = DEFAULT_SAMPLES
    for name, spec in template.variables.items():
        if isinstance(spec, ImageVariable):
            upload = form.get(f"upload__{name}")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(IMAGE_LIMIT + 1)
                if len(data) > IMAGE_LIMIT:
                    raise UsageError(f"the upload for {name} is over the {IMAGE_LIMIT // 2**20} MB limit for images")
                if data:
                    state.images[name] = data
        if isinstance(spec, BooleanVariable):
            state.values[name] = "true" if form.get(f"var__{name}") else "false"
        elif f"var__{name}" in form:
            state.values[name] = _text_field(form, f"var__{name}")
    for name in PARAMETER_FIELDS:
        value = _text_field(form, f"param__{name}").strip()
        if value:
            state.parameters[name] = value
    return state


def _editor_line(problem: Problem, offset: int | None) -> int | None:
    """A file line as a line of the editor (which starts after `template: |`), None when outside it."""
    if problem.line is None or offset is None or problem.line <= offset:
        return None
    return problem.line - offset


def _template_offset(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("template:"):
            return number
    return None


def build(library: Library, state: PlayState) -> Outcome:
    """The edited template loaded and rendered with the state's values and parameters, or its problems."""
    outcome = Outcome()
    path = library.path_of(state.template_id)
    original, _ = file_text(library, state.template_id)
    try:
        edited = spliced_template_text(original, state.template_text)
        template = template_from_text(state.template_id, edited, path, library.compiler, library.settings.root)
    except TemplateError as exc:
        offset = _template_offset(edited)
        outcome.problems = [(_editor_line(p, offset), p.message) for p in problems_of(exc)]
        return outcome
    except PromptlibError as exc:
        outcome.problems = [(None, str(exc))]
        return outcome
    outcome.template = template
    try:
        images, texts = _image_values(state, template), _text_values(state, template)
        rendered = template.render_layers(values=images, text_values=texts)
        rendered = rendered.with_parameters(_typed_parameters(state.parameters)) if state.parameters else rendered
    except PromptlibError as exc:
        outcome.problems = [(None, p.message) for p in problems_of(exc)]
        return outcome
    outcome.rendered = rendered
    outcome.warnings = model_problems(library, rendered, state.deployment)
    return outcome


def _text_values(state: PlayState, template: PromptTemplate) -> dict[str, str]:
    """Typed text, minus empty optional fields (left to the template's default) and image variables."""
    values = {}
    for name, text in state.values.items():
        spec = template.variables.get(name)
        if spec is None or isinstance(spec, ImageVariable):
            continue
        if text == "" and not spec.is_required:
            continue
        values[name] = text
    return values


def _image_values(state: PlayState, template: PromptTemplate) -> dict[str, Any]:
    """Image variables: uploaded (or brushed) bytes win over the project path picked in the form."""
    values: dict[str, Any] = dict(state.images)
    for name, spec in template.variables.items():
        if isinstance(spec, ImageVariable) and name not in values and state.values.get(name):
            values[name] = state.values[name]
    return values


def _typed_parameters(parameters: Mapping[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for name, value in parameters.items():
        typed[name] = int(value) if name in ("n", "output_compression") and value.isdigit() else value
    return typed


def model_problems(library: Library, rendered: RenderedPrompt, deployment: str) -> list[str]:
    """What the deployment's model refuses in these parameters: the check `promptlib check` runs per deployment."""
    settings = library.settings
    try:
        name = settings.deployment_name(deployment or None, rendered.deployment)
        spec = settings.model_spec(name)
    except PromptlibError as exc:
        return [str(exc)]
    if spec is None:
        return []
    provider: Provider = "openai" if settings.deployment(name).kind == "openai" else "azure"
    problems = parameter_problems(rendered.parameters, rendered.operation, spec, provider)
    return [f"parameters.{field_name}: {message} (deployment {name!r})" for field_name, message in problems]


def project_images(root: Path, limit: int = 200) -> list[str]:
    """Image files in the project (not in .git, .promptlib or the goldens) that an image variable may name."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "goldens"))
        for name in sorted(files):
            if name.lower().endswith((".png", ".jpg", ".jpeg", ".webp")):
                found.append((Path(folder) / name).relative_to(root).as_posix())
        if len(found) >= limit:
            break
    return found[:limit]
