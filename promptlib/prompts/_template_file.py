"""The on-disk template format (DESIGN §5.1) as a strict pydantic model.

``extra="forbid"`` everywhere: a misspelt field in a PR is an error, not a
silently ignored line.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from promptlib.core._names import NAME_PATTERN
from promptlib.models._parameters import ImageParameters, Operation
from promptlib.prompts._variables import ImageVariable, VariableSpec

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Jinja's own names, plus ``deployment`` and ``partial_images``, which Library.generate()/stream() take as keywords.
_RESERVED = frozenset(
    {
        "loop",
        "self",
        "super",
        "range",
        "dict",
        "namespace",
        "cycler",
        "joiner",
        "varargs",
        "kwargs",
        "caller",
        "deployment",
        "partial_images",
        "parameters",
    }
)


class Example(BaseModel):
    """A named set of variable values: documentation, preview and default eval case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    variables: dict[str, Any] = Field(default_factory=dict)


class TemplateFile(BaseModel):
    """One ``prompts/<id>.yaml`` file, validated but not yet compiled."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="promptlib prompt template")

    version: int = Field(ge=1, description="Must increase whenever anything else in the file changes.")
    id: str | None = Field(None, description="Optional; must equal the path under prompts/ without .yaml.")
    description: str = ""
    owners: list[str] = Field(default_factory=list)
    operation: Operation = "generate"
    deployment: str | None = Field(None, description="Logical deployment name from promptlib.yaml.")
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    parameters: ImageParameters = Field(default_factory=ImageParameters)
    template: str = Field(min_length=1, description="Jinja text of the prompt.")
    examples: list[Example] = Field(default_factory=list)

    @field_validator("variables")
    @classmethod
    def _names(cls, variables: dict[str, Any]) -> dict[str, Any]:
        for name in variables:
            if not _VARIABLE_NAME.match(name) or keyword.iskeyword(name):
                raise ValueError(f"variable name {name!r} must be a Python-style identifier")
            if name in _RESERVED:
                raise ValueError(
                    f"variable name {name!r} is reserved (by Jinja or by Library.generate's own keywords); pick another"
                )
        return variables

    @model_validator(mode="after")
    def _consistency(self) -> TemplateFile:
        images = [s for s in self.variables.values() if isinstance(s, ImageVariable)]
        if images and self.operation != "edit":
            raise ValueError("image variables need operation: edit")
        if self.operation == "edit" and not any(s.role == "image" for s in images):
            raise ValueError("operation: edit needs at least one variable of type image (role: image)")
        if sum(s.role == "mask" for s in images) > 1:
            raise ValueError("an edit takes at most one mask variable")
        names = [e.name for e in self.examples]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"example names must be unique; repeated: {', '.join(duplicates)}")
        return self
