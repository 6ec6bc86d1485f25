"""PromptTemplate: a validated, compiled ``prompts/<id>.yaml`` and how to render it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._hints import did_you_mean
from promptlib.core._names import PATH
from promptlib.core._problems import Problem, raise_problems, validate_document
from promptlib.core._yaml import YamlDocument, parse_yaml
from promptlib.exceptions import TemplateError, TemplateNotFound, TemplateSecurityError, TemplateValidationError
from promptlib.models._parameters import ImageParameters, Operation
from promptlib.prompts._compiler import Compiled, TemplateCompiler
from promptlib.prompts._rendered import RenderedPrompt
from promptlib.prompts._rendering import check_values, render_compiled
from promptlib.prompts._template_file import Example, TemplateFile
from promptlib.prompts._variables import ImageVariable, VariableSpec

_ID = PATH
CONTENT_HASH_SCHEMA = "promptlib-template-v1"


def check_id(template_id: str) -> str:
    """Refuse ids that could name a file outside prompts/."""
    if template_id.startswith(("/", "\\")) or ".." in template_id.replace("\\", "/").split("/"):
        raise TemplateSecurityError(f"template id {template_id!r} leaves prompts/; ids are paths inside it")
    if not _ID.match(template_id) or template_id.endswith((".", "-")):
        raise TemplateNotFound(
            f"{template_id!r} is not a template id (ids are paths under prompts/ without .yaml, e.g. brand/logo)"
        )
    return template_id


class PromptTemplate:
    """A template ready to render; built by :class:`Library`, not directly."""

    def __init__(
        self,
        *,
        template_id: str,
        path: Path,
        spec: TemplateFile,
        compiled: Compiled,
        content_hash: str,
        project_root: Path,
    ) -> None:
        self.id = template_id
        self.path = path
        self.spec = spec
        self._compiled = compiled
        self.content_hash = content_hash
        self.project_root = project_root

    def __repr__(self) -> str:
        return f"<PromptTemplate {self.id} v{self.version}>"

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def operation(self) -> Operation:
        return self.spec.operation

    @property
    def deployment(self) -> str | None:
        return self.spec.deployment

    @property
    def variables(self) -> Mapping[str, VariableSpec]:
        return self.spec.variables

    @cached_property
    def image_variables(self) -> frozenset[str]:
        """The variables sent as files rather than written into the prompt (edit templates only)."""
        return frozenset(name for name, spec in self.spec.variables.items() if isinstance(spec, ImageVariable))

    @property
    def parameters(self) -> ImageParameters:
        return self.spec.parameters

    @property
    def examples(self) -> list[Example]:
        return self.spec.examples

    @property
    def partials(self) -> list[str]:
        """Names of every partial this template includes, directly or not."""
        return sorted(self._compiled.partials)

    @property
    def partial_texts(self) -> Mapping[str, str]:
        """Every partial this template includes, directly or not, with the text it was compiled from."""
        return self._compiled.partials

    def example(self, name: str) -> Example:
        for example in self.spec.examples:
            if example.name == name:
                return example
        known = ", ".join(e.name for e in self.spec.examples) or "none"
        raise TemplateNotFound(f"{self.id} has no example {name!r} (examples: {known})", path=self.path)

    def render(self, variables: Mapping[str, Any] | None = None, /, **kwargs: Any) -> RenderedPrompt:
        """Validate the values, merge defaults and render; raises VariableError on bad values."""
        values = {**(variables or {}), **kwargs}
        return render_compiled(self, self._compiled.template, values, from_text=False)

    def render_text_values(
        self, text_values: Mapping[str, str], base: Mapping[str, Any] | None = None
    ) -> RenderedPrompt:
        """Render from command-line strings (``--var n=3`` becomes the integer 3) over ``base``."""
        coerced = check_values(self, text_values, from_text=True, partial=True)
        return self.render({**(base or {}), **coerced})

    def render_layers(
        self,
        *,
        example: str | None = None,
        values: Mapping[str, Any] | None = None,
        text_values: Mapping[str, str] | None = None,
    ) -> RenderedPrompt:
        """Render from layered values, later wins: a named example, then typed ``values`` (a vars file), then
        command-line strings. The one place that says which source wins (the CLI and the web app use it)."""
        base: dict[str, Any] = dict(self.example(example).variables) if example else {}
        base.update(values or {})
        return self.render_text_values(text_values or {}, base)


def load_template(template_id: str, path: Path, compiler: TemplateCompiler, project_root: Path) -> PromptTemplate:
    """Read, validate and compile one template file; every problem names the file and line."""
    try:
        text = read_text(path, within=compiler.prompts_root, within_resolved=True)
    except UnicodeDecodeError:
        raise TemplateValidationError("the file is not UTF-8 text", path=path) from None
    except ReadRefused as exc:
        raise TemplateValidationError(f"the file {exc}", path=path) from None
    except OSError as exc:
        raise TemplateValidationError(f"cannot read the file: {exc.strerror}", path=path) from None
    return template_from_text(template_id, text, path, compiler, project_root)


def template_from_text(
    template_id: str, text: str, path: Path, compiler: TemplateCompiler, project_root: Path
) -> PromptTemplate:
    """:func:`load_template` for text already in hand (a bundle, a git revision); ``path`` names it in errors."""
    doc = parse_yaml(text, path)
    spec: TemplateFile = validate_document(TemplateFile, doc, TemplateValidationError, "a template")
    _check_declared_id(spec, template_id, doc)
    _check_operation(spec, doc)
    offset = _template_line_offset(doc, text)
    try:
        compiled = compiler.compile(spec.template, name=template_id, path=path, line_offset=offset or 0)
    except TemplateError as exc:
        if offset is None and exc.path == path:  # a flow scalar: its lines are not the file's lines
            exc.line = doc.line_of(("template",))
        raise
    _check_variables_used(spec, compiled, doc, offset)
    content_hash = _content_hash(doc.data, compiled.partials)
    return PromptTemplate(
        template_id=template_id,
        path=path,
        spec=spec,
        compiled=compiled,
        content_hash=content_hash,
        project_root=project_root,
    )


def _check_declared_id(spec: TemplateFile, template_id: str, doc: YamlDocument) -> None:
    if spec.id is not None and spec.id != template_id:
        raise TemplateValidationError(
            f"id {spec.id!r} does not match the file's path; set it to {template_id!r} or remove it",
            path=doc.path,
            line=doc.line_of(("id",)),
        )


def _check_operation(spec: TemplateFile, doc: YamlDocument) -> None:
    problems = [
        Problem(doc.path, doc.line_of(("parameters", name)), f"parameters.{name}: {message}")
        for name, message in spec.parameters.check_operation(spec.operation)
    ]
    if problems:
        raise_problems(TemplateValidationError, problems)


def _template_line_offset(doc: YamlDocument, text: str) -> int | None:
    """Lines before a block (| or >) template starts, so Jinja's line numbers become file lines.

    None for a plain or quoted template, whose lines are folded or escaped: errors in it
    point at the ``template:`` line rather than at a line that may not exist.
    """
    key_line = doc.line_of(("template",)) or 1
    lines = text.splitlines()
    line_text = lines[key_line - 1] if key_line <= len(lines) else ""
    block = re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", line_text)
    return key_line if block else None


def _check_variables_used(spec: TemplateFile, compiled: Compiled, doc: YamlDocument, offset: int | None) -> None:
    declared = set(spec.variables)
    images = {n for n, s in spec.variables.items() if isinstance(s, ImageVariable)}
    line = doc.line_of(("template",))
    problems = []
    for name in sorted(compiled.used_variables - declared):
        # its own line in a block template (a flow scalar's lines are not the file's); a partial's use: template:
        used_at = compiled.use_lines.get(name) if offset is not None else None
        hint = f" {did_you_mean(name, sorted(declared))}".rstrip()
        problems.append(
            Problem(doc.path, used_at or line, f"variable {name!r} is used but not declared under variables:{hint}")
        )
    for name in sorted(compiled.used_variables & images):
        problems.append(
            Problem(doc.path, line, f"image variable {name!r} cannot appear in the prompt text; it is sent as a file")
        )
    for name in sorted(declared - compiled.used_variables - images):
        problems.append(
            Problem(
                doc.path,
                doc.line_of(("variables", name)),
                f"variable {name!r} is declared but the template never uses it; use it or remove it",
            )
        )
    if problems:
        raise_problems(TemplateValidationError, problems)


def _content_hash(data: Mapping[str, Any], partials: Mapping[str, str]) -> str:
    """sha256 over the normalised file (minus ``version``) and every partial it includes."""
    body = {key: value for key, value in data.items() if key != "version"}
    payload = {
        "schema": CONTENT_HASH_SCHEMA,
        "template": body,
        "partials": {name: partials[name].replace("\r\n", "\n") for name in sorted(partials)},
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
