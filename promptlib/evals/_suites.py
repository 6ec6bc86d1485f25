"""Eval suites (``evals/<suite>.yaml``, DESIGN §5.4): which renders to check, and how."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._names import NAME_PATTERN, SEGMENT
from promptlib.core._problems import validate_document
from promptlib.core._safe_text import one_line
from promptlib.core._yaml import YamlDocument, parse_yaml
from promptlib.exceptions import TemplateValidationError
from promptlib.models._parameters import SizeText
from promptlib.text._match import DEFAULT_MIN_SIMILARITY, normalise

_STRICT = ConfigDict(extra="forbid", frozen=True)
_CASE_ID = NAME_PATTERN
GOLDENS_DIR = "goldens"


class SuitePolicy(BaseModel):
    """m-of-K: a case passes when ``min_matches`` samples match, topping up to ``max_samples``."""

    model_config = _STRICT
    min_matches: int = Field(2, ge=1)
    max_samples: int = Field(5, ge=1, le=32)


MAX_TEXTS = 20
MAX_TEXT_CHARS = 200


def _printable(text: str) -> str:
    if not normalise(text):
        raise ValueError("a text to look for needs something besides whitespace")
    return text


ExpectedText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_printable)]


class TextEntry(BaseModel):
    """One text the image must show, with options: `{text: "20% off", min_similarity: 0.9}` or `{any_of: [...]}`."""

    model_config = _STRICT
    text: ExpectedText | None = None
    any_of: list[ExpectedText] | None = Field(None, min_length=1, max_length=MAX_TEXTS, description="Any one will do.")
    min_similarity: float = Field(
        DEFAULT_MIN_SIMILARITY, gt=0, le=1, description="1 - weighted edit distance / length needed to count as found."
    )

    @model_validator(mode="after")
    def _one_form(self) -> TextEntry:
        if (self.text is None) == (self.any_of is None):
            raise ValueError("give either text or any_of (not both)")
        return self

    @property
    def alternatives(self) -> tuple[str, ...]:
        return (self.text,) if self.text is not None else tuple(self.any_of or ())


def _text_kind(entry: Any) -> str:
    return "string" if isinstance(entry, str) else "entry"


TextSpec = Annotated[
    Annotated[ExpectedText, Tag("string")] | Annotated[TextEntry, Tag("entry")], Discriminator(_text_kind)
]


class Expect(BaseModel):
    """Checks beyond goldens; every field optional."""

    model_config = _STRICT
    outcome: Literal["ok", "blocked"] = "ok"
    size: SizeText | None = None
    format: Literal["png", "jpeg", "webp"] | None = None
    transparent: bool | None = None
    unchanged_outside_mask: bool | None = Field(None, description="Edits: pixels outside the mask stay put.")
    text: list[TextSpec] = Field(
        default_factory=list,
        max_length=MAX_TEXTS,
        description="Text each image must show legibly (read by OCR, `promptlib[ocr]`): a string, or "
        "{text, min_similarity} or {any_of, min_similarity}.",
    )
    text_from: list[str] = Field(
        default_factory=list,
        max_length=MAX_TEXTS,
        description="Template variables whose values each image must show (e.g. [headline]); an empty value asks "
        "for nothing.",
    )

    @property
    def reads_text(self) -> bool:
        """Whether checking this needs the OCR reader (text_from may still resolve to nothing)."""
        return bool(self.text or self.text_from)


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


def _entry_kind(entry: Any) -> str:
    """Which form a `cases:` entry is, so a mistake in it is reported once, for that form only."""
    if isinstance(entry, dict):
        return "from_examples" if "from_examples" in entry else "case"
    return "from_examples" if isinstance(entry, FromExamples) else "case"


Entry = Annotated[
    Annotated[Case, Tag("case")] | Annotated[FromExamples, Tag("from_examples")], Discriminator(_entry_kind)
]


class SuiteFile(BaseModel):
    """One ``evals/<suite>.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="promptlib eval suite")

    deployment: str | None = Field(None, description="Default deployment; --deployment overrides.")
    samples: int = Field(3, ge=1, le=10, description="K: images drawn per case.")
    policy: SuitePolicy = Field(default_factory=SuitePolicy)
    always: list[str] = Field(default_factory=list, description="Case ids run even when unchanged.")
    cases: list[Entry] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SuiteFile:
        if self.policy.min_matches > self.samples:
            raise ValueError(f"policy.min_matches {self.policy.min_matches} exceeds samples {self.samples}")
        if self.policy.max_samples < self.samples:
            raise ValueError(f"policy.max_samples {self.policy.max_samples} is below samples {self.samples}")
        return self  # a case id used twice is reported per entry, with lines (see _eval_cases.read_suite)


def load_suite_document(path: Path, within: Path | None = None) -> tuple[SuiteFile, YamlDocument]:
    """Parse and validate one suite file (inside ``within``, default its evals/ folder); errors name the file
    and line."""
    try:
        text = read_text(path, within=within or path.parent)
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateValidationError(f"cannot read the suite: {exc}", path=path) from None
    except ReadRefused as exc:
        raise TemplateValidationError(f"the suite {exc}", path=path) from None
    doc = parse_yaml(text, path)
    suite: SuiteFile = validate_document(SuiteFile, doc, TemplateValidationError, "an eval suite")
    return suite, doc


def suite_name(relative: str) -> str | None:
    """The suite a path under evals/ holds (`brand/icons.yaml` → `brand/icons`); None for other files.

    `goldens/` holds golden sets, never suites: this is the one place that says so.
    """
    parts = relative.split("/")
    if not relative.endswith(".yaml") or parts[0] == GOLDENS_DIR:
        return None
    return relative[: -len(".yaml")]


def suite_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a suite name, or None. Names reach CI logs, Markdown and shell commands, so
    every segment follows the case-id pattern: letters, digits, `.`, `_` and `-`."""
    bad = [segment for segment in name.split("/") if not SEGMENT.match(segment)]
    if not bad:
        return None
    return (
        "suite names use letters, digits, '.', '_' and '-' in each folder and file name (starting with a "
        f"letter or digit); rename {one_line(name)!r}"
    )


def suite_files(evals_dir: Path) -> dict[str, Path]:
    """Every suite file under evals/, valid name or not (``check`` reports the invalid ones)."""
    if not evals_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(evals_dir.rglob("*.yaml")):
        name = suite_name(path.relative_to(evals_dir).as_posix())
        if name is not None:
            found[name] = path
    return found


def discover_suites(evals_dir: Path) -> dict[str, Path]:
    """Suite name (path under evals/ without .yaml) to file, for the suites with valid names."""
    return {name: path for name, path in suite_files(evals_dir).items() if suite_name_problem(name) is None}


def misnamed_suites(evals_dir: Path) -> dict[str, Path]:
    """The suite files whose names could forge output (a newline, `::error`, `<img>`, `;`…)."""
    return {name: path for name, path in suite_files(evals_dir).items() if suite_name_problem(name) is not None}
