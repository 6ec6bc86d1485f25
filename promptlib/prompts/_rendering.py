"""Render a compiled template: check values, run the sandbox, normalise the text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError

from promptlib.core._bounded import ReadRefused, read_bytes
from promptlib.core._hints import did_you_mean
from promptlib.core._image_files import edit_input_problems
from promptlib.exceptions import RenderError, ResourceLimitExceeded, TemplateSecurityError, VariableError
from promptlib.prompts._rendered import InputImage, RenderedPrompt
from promptlib.prompts._sandbox import MAX_OUTPUT, ResourceLimit, render_budget
from promptlib.prompts._variables import ImageVariable

if TYPE_CHECKING:
    from promptlib.prompts._templates import PromptTemplate

MAX_PROMPT_CHARS = 32_000
MAX_INPUT_IMAGE_BYTES = 50 * 1024 * 1024
# \f and \v are line breaks to str.splitlines, so inside a line only spaces and tabs can run together
_SPACES = re.compile(r"[ \t]+")


def render_compiled(
    template: PromptTemplate, jinja_template: Template, values: dict[str, Any], *, from_text: bool
) -> RenderedPrompt:
    checked = check_values(template, values, from_text=from_text)
    if template.image_variables:
        images = tuple(_read_images(template, checked))
        text_values = {k: v for k, v in checked.items() if k not in template.image_variables}
        shown = {k: (str(v) if isinstance(v, Path) else v) for k, v in text_values.items()}
    else:  # most templates: every value is text for the prompt, as checked
        images, text_values, shown = (), checked, checked
    raw = _run(template, jinja_template, text_values)
    prompt = normalise_whitespace(raw)
    if not prompt:
        raise RenderError(f"{template.id}: the rendered prompt is empty", path=template.path)
    if len(prompt) > MAX_PROMPT_CHARS:
        raise RenderError(
            f"{template.id}: the rendered prompt has {len(prompt):,} characters; "
            f"GPT Image models accept at most {MAX_PROMPT_CHARS:,}",
            path=template.path,
        )
    return RenderedPrompt(
        template_id=template.id,
        version=template.version,
        content_hash=template.content_hash,
        prompt=prompt,
        parameters=template.parameters,
        operation=template.operation,
        deployment=template.deployment,
        variables=shown,
        images=images,
    )


def check_values(
    template: PromptTemplate, values: Mapping[str, Any], *, from_text: bool, partial: bool = False
) -> dict[str, Any]:
    """Merge defaults and check every value against its spec; name the template and variable.

    With ``partial``, only the given values are checked and returned (no defaults, no
    required check): used to coerce command-line strings before merging them.
    """
    if not values.keys() <= template.variables.keys():
        unknown = sorted(set(values) - set(template.variables))
        name = unknown[0]
        hint = (
            f"; {did_you_mean(name, template.variables) or 'it declares: ' + (', '.join(template.variables) or 'none')}"
        )
        raise VariableError(f"{template.id} has no variable {name!r}{hint}")
    checked: dict[str, Any] = {}
    for name, spec in template.variables.items():
        value = values.get(name)
        if value is not None:
            try:
                checked[name] = spec.check(value, from_text=from_text)
            except ValueError as exc:
                raise VariableError(f"{template.id}: variable {name!r} {exc}") from None
        elif partial:
            continue
        elif (default := spec.default_value()) is not None:
            checked[name] = default
        elif spec.is_required:
            raise VariableError(f"{template.id}: missing required variable {name!r} ({spec.type})")
        else:
            checked[name] = spec.empty_value()
    return checked


def _read_images(template: PromptTemplate, values: Mapping[str, Any]) -> list[InputImage]:
    """The edit's input files (inside the project, bounded) or bytes, checked as the service would check them."""
    images = []
    for name, spec in template.variables.items():
        value = values.get(name)
        if not isinstance(spec, ImageVariable) or value is None:
            continue
        if isinstance(value, bytes):
            images.append(InputImage(name=name, role=spec.role, data=value))
            continue
        path = _confined_path(template, name, value)
        try:
            data = read_bytes(path, within=template.project_root, limit=MAX_INPUT_IMAGE_BYTES)
        except ReadRefused as exc:
            raise VariableError(f"{template.id}: image {name!r} ({value}) {exc}") from None
        except OSError as exc:
            raise VariableError(f"{template.id}: cannot read image {name!r} from {value}: {exc.strerror}") from None
        if not data:
            raise VariableError(f"{template.id}: image {name!r} ({value}) is an empty file")
        images.append(InputImage(name=name, role=spec.role, data=data, path=path))
    problems = edit_input_problems([(image.name, image.role, image.data) for image in images])
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise VariableError(f"{template.id}: {problems[0]}{more}", path=template.path)
    return images


def _confined_path(template: PromptTemplate, name: str, value: str | Path) -> Path:
    """Image paths are relative to the project root and may not leave it, nor read git's or promptlib's state."""
    root = template.project_root.resolve()
    candidate = Path(value)
    path = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not path.is_relative_to(root):
        raise TemplateSecurityError(
            f"{template.id}: image {name!r} path {str(value)!r} leaves the project; use a path inside it"
        )
    if {".git", ".promptlib"} & set(path.relative_to(root).parts):
        raise TemplateSecurityError(
            f"{template.id}: image {name!r} path {str(value)!r} is inside .git/ or .promptlib/; images must be "
            "project files"
        )
    return path


def _run(template: PromptTemplate, jinja_template: Template, values: Mapping[str, Any]) -> str:
    where: dict[str, Any] = {"path": template.path}
    try:
        with render_budget():
            chunks: list[str] = []
            size = 0
            for chunk in jinja_template.generate(values):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise ResourceLimit(f"the template produced more than {MAX_OUTPUT:,} characters")
                chunks.append(chunk)
            return "".join(chunks)
    except ResourceLimit as exc:
        raise ResourceLimitExceeded(f"{template.id}: {exc}", **where) from None
    except SecurityError as exc:
        raise TemplateSecurityError(f"{template.id}: blocked by the sandbox: {exc}", **where) from None
    except UndefinedError as exc:
        raise RenderError(f"{template.id}: {exc.message}", **where) from None
    except RecursionError:
        raise ResourceLimitExceeded(f"{template.id}: recursion too deep", **where) from None
    except MemoryError:
        raise ResourceLimitExceeded(f"{template.id}: ran out of memory while rendering", **where) from None
    except TemplateError as exc:
        raise RenderError(f"{template.id}: {exc.message}", **where) from None
    except Exception as exc:  # anything a filter or method raises on the template's inputs (e.g. AssertionError)
        raise RenderError(f"{template.id}: {type(exc).__name__}: {exc}", **where) from None


def normalise_whitespace(text: str) -> str:
    """Trim lines, squeeze runs of spaces, keep single blank lines between paragraphs."""
    lines = [line.strip() for line in _SPACES.sub(" ", text).splitlines()]  # one pass over the text, not one a line
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
