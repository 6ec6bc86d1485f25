"""Editing template and suite YAML the way an author would: comments, key order, flow style and blocks kept.

ruamel.yaml's round-trip mode parses into a tree that remembers comments, key order, flow (`{a: 1}`) versus block
style and literal block scalars, and writes it back unchanged except where a value was replaced; PyYAML (the
loader everything else uses) drops comments and re-flows the file, so a one-word edit would become a diff of the
whole file in the pull request. Only the text is produced here: the caller validates it with the same loader
`promptlib check` uses and writes it through the write guard.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from promptlib.exceptions import UsageError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long description line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(text: str, what: str) -> CommentedMap:
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise UsageError(f"{what} is not YAML the playground can edit: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, CommentedMap):
        raise UsageError(f"{what} is not a mapping at the top level")
    return data


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _literal(text: str) -> LiteralScalarString:
    """The template as a `|` block: each line of the prompt is a line of the file (errors keep their lines)."""
    body = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).rstrip("\n")
    literal: LiteralScalarString = LiteralScalarString(body + "\n")
    return literal


def with_template_text(file_text: str, template_text: str) -> str:
    """The template file with its `template:` replaced (as a block), everything else as it was."""
    data = _load(file_text, "the template file")
    data["template"] = _literal(template_text)
    return _dump(data)


def spliced_template_text(file_text: str, template_text: str) -> str:
    """`with_template_text`, fast: for render-as-you-type, when `template:` is a top-level `|` block, its lines
    are swapped for the editor's (a round trip costs ~25 ms a keystroke); anything else takes the round trip."""
    lines = file_text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("template:")), None)
    if start is None or not re.fullmatch(r"template:\s*\|[-+]?\s*(#.*)?", lines[start].rstrip("\r\n")):
        return with_template_text(file_text, template_text)
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    body = _literal(template_text)
    block = ["template: |\n", *[f"  {line}\n" if line else "\n" for line in body.rstrip("\n").split("\n")]]
    return "".join([*lines[:start], *block, *lines[end:]])


def new_version(
    file_text: str,
    template_text: str,
    example: tuple[str, Mapping[str, Any]] | None = None,
) -> str:
    """The template file as the next version: new text, `version:` + 1, and optionally one more example."""
    data = _load(file_text, "the template file")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise UsageError("the template's version: is not an integer; fix it by hand first")
    data["version"] = version + 1
    data["template"] = _literal(template_text)
    if example is not None:
        name, values = example
        examples = data.get("examples")
        if examples is None:
            examples = data["examples"] = CommentedSeq()
        if any(isinstance(e, Mapping) and e.get("name") == name for e in examples):
            raise UsageError(f"the template already has an example named {name!r}; choose another name")
        entry = CommentedMap(name=name, variables=_flow(values))
        examples.append(entry)
    return _dump(data)


def with_case(suite_text: str, case_id: str, template_id: str, values: Mapping[str, Any]) -> str:
    """A suite file with one more case of `template_id` with these variables."""
    data = _load(suite_text, "the suite file")
    cases = data.get("cases")
    if cases is None:
        cases = data["cases"] = CommentedSeq()
    if any(isinstance(c, Mapping) and c.get("id") == case_id for c in cases):
        raise UsageError(f"the suite already has a case {case_id!r}; choose another id")
    cases.append(CommentedMap(id=case_id, prompt=template_id, variables=_flow(values)))
    return _dump(data)


def _flow(values: Mapping[str, Any]) -> CommentedMap:
    """Variables as one flow mapping (`{product: kettle, style: photo}`), as the example files write them."""
    mapping = CommentedMap(values)
    mapping.fa.set_flow_style()
    return mapping
