"""Eval suites (``evals/<suite>.yaml``, DESIGN §5.4): which renders to check, and how."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._parameters import SizeText
from ._problems import validate_document
from ._yaml import YamlDocument, parse_yaml
from .exceptions import TemplateValidationError

_STRICT = ConfigDict(extra="forbid", frozen=True)
_CASE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Policy(BaseModel):
    """m-of-K: a case passes when ``min_matches`` samples match, topping up to ``max_samples``."""

    model_config = _STRICT
    min_matches: int = Field(2, ge=1)
    max_samples: int = Field(5, ge=1, le=32)


class Expect(BaseModel):
    """Checks beyond goldens; every field optional."""

    model_config = _STRICT
    outcome: Literal["ok", "blocked"] = "ok"
    size: SizeText | None = None
    format: Literal["png", "jpeg", "webp"] | None = None
    transparent: bool | None = None
    unchanged_outside_mask: bool | None = Field(None, description="Edits: pixels outside the mask stay put.")


class Case(BaseModel):
    """One eval case: a template and the variables to render it with."""

    model_config = _STRICT
    id: str = Field(pattern=_CASE_ID)
    prompt: str = Field(description="Template id.")
    variables: dict[str, Any] = Field(default_factory=dict)
    samples: int | None = Field(None, ge=1, le=10, description="Overrides the suite's samples.")
    expect: Expect = Field(default_factory=Expect)


class FromExamples(BaseModel):
    """Every named example of a template becomes a case ``<example name>``."""

    model_config = _STRICT
    from_examples: str = Field(description="Template id whose examples become cases.")
    expect: Expect = Field(default_factory=Expect)


class SuiteFile(BaseModel):
    """One ``evals/<suite>.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="promptlib eval suite")

    deployment: str | None = Field(None, description="Default deployment; --deployment overrides.")
    samples: int = Field(3, ge=1, le=10, description="K: images drawn per case.")
    policy: Policy = Field(default_factory=Policy)
    always: list[str] = Field(default_factory=list, description="Case ids run even when unchanged.")
    cases: list[Case | FromExamples] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SuiteFile:
        if self.policy.min_matches > self.samples:
            raise ValueError(f"policy.min_matches {self.policy.min_matches} exceeds samples {self.samples}")
        if self.policy.max_samples < self.samples:
            raise ValueError(f"policy.max_samples {self.policy.max_samples} is below samples {self.samples}")
        ids = [c.id for c in self.cases if isinstance(c, Case)]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"case ids must be unique; repeated: {', '.join(repeated)}")
        return self


def load_suite_document(path: Path) -> tuple[SuiteFile, YamlDocument]:
    """Parse and validate one suite file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateValidationError(f"cannot read the suite: {exc}", path=path) from None
    doc = parse_yaml(text, path)
    suite: SuiteFile = validate_document(SuiteFile, doc, TemplateValidationError, "an eval suite")
    return suite, doc


def discover_suites(evals_dir: Path) -> dict[str, Path]:
    """Suite name (path under evals/ without .yaml) to file; goldens/ is not a suite."""
    if not evals_dir.is_dir():
        return {}
    return {
        p.relative_to(evals_dir).with_suffix("").as_posix(): p
        for p in sorted(evals_dir.rglob("*.yaml"))
        if p.relative_to(evals_dir).parts[0] != "goldens"
    }
