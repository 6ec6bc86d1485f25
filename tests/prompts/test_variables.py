"""Variable types: what each accepts from code and from `--var` text, and the messages when a value is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from project_helpers import Project

from promptlib import PromptTemplate, TemplateValidationError, VariableError

ALL_TYPES = """\
version: 1
variables:
  name: {type: string, min_length: 2, max_length: 10}
  count: {type: integer, minimum: 1, maximum: 10, default: 1}
  ratio: {type: number, minimum: 0, maximum: 1, default: 0.5}
  bold: {type: boolean, default: false}
  mood: {type: enum, values: [calm, bold], default: calm}
  tags: {type: list, max_items: 3, max_length: 8, default: []}
  sizes: {type: list, items: integer, required: false}
  colours: {type: list, values: [teal, sand], required: false}
template: >-
  {{ name }}|{{ count }}|{{ ratio }}|{{ bold }}|{{ mood }}|{{ tags|join(',') }}|{{ sizes }}|{{ colours }}
"""


@pytest.fixture
def template(project: Project) -> PromptTemplate:
    project.write_template("types/all", ALL_TYPES)
    return project.library().get("types/all")


def _values(template: PromptTemplate, **values: Any) -> dict[str, Any]:
    return dict(template.render(name="Mug", **values).variables)


def test_defaults_and_optional_empties(template: PromptTemplate) -> None:
    """Defaults apply; an optional list with no default is an empty list, an optional bool is False."""
    assert _values(template) == {
        "name": "Mug",
        "count": 1,
        "ratio": 0.5,
        "bold": False,
        "mood": "calm",
        "tags": [],
        "sizes": [],
        "colours": [],
    }
    assert template.render(name="Mug").prompt == "Mug|1|0.5|False|calm||[]|[]"


def test_values_from_code_keep_their_types(template: PromptTemplate) -> None:
    """Correctly typed values from code pass through as given (tuples become lists)."""
    values = _values(
        template, count=3, ratio=1, bold=True, mood="bold", tags=("a", "b"), sizes=[1024], colours=["teal"]
    )
    assert values | {"name": "Mug"} == {
        "name": "Mug",
        "count": 3,
        "ratio": 1,
        "bold": True,
        "mood": "bold",
        "tags": ["a", "b"],
        "sizes": [1024],
        "colours": ["teal"],
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": 5}, "'name' expected a string, got int"),
        ({"name": "M"}, "'name' is 1 characters long, less than min_length 2"),
        ({"name": "M" * 11}, "'name' is 11 characters long, more than max_length 10"),
        ({"count": "3"}, "'count' expected an integer, got str"),
        ({"count": True}, "'count' expected an integer, got bool"),
        ({"count": 2.5}, "'count' expected an integer, got float"),
        ({"count": 0}, "'count' 0 is below minimum 1"),
        ({"count": 11}, "'count' 11 is above maximum 10"),
        ({"ratio": "0.5"}, "'ratio' expected a finite number, got '0.5'"),
        ({"ratio": float("nan")}, "'ratio' expected a finite number, got nan"),
        ({"ratio": float("inf")}, "'ratio' expected a finite number, got inf"),
        ({"ratio": False}, "'ratio' expected a finite number, got False"),
        ({"ratio": 1.5}, "'ratio' 1.5 is above maximum 1.0"),
        ({"bold": "yes"}, "'bold' expected true or false, got str"),
        ({"bold": 1}, "'bold' expected true or false, got int"),
        ({"mood": "angry"}, "'mood' 'angry' is not one of calm, bold"),
        ({"tags": "a,b"}, "'tags' expected a list, got str"),
        ({"tags": ["a", "b", "c", "d"]}, "'tags' has 4 items, more than max_items 3"),
        ({"tags": ["a", 2]}, "'tags' item 1: expected a string, got int"),
        ({"tags": ["abcdefghi"]}, "'tags' item 0: is 9 characters long, more than max_length 8"),
        ({"sizes": ["1024"]}, "'sizes' item 0: expected an integer, got str"),
        ({"colours": ["teal", "red"]}, "'colours' item 1: 'red' is not one of teal, sand"),
    ],
)
def test_wrong_values_from_code(template: PromptTemplate, values: dict[str, Any], message: str) -> None:
    """Each type refuses the wrong kind of value with a VariableError naming template and variable."""
    values = {"name": "Mug", **values}
    with pytest.raises(VariableError) as info:
        template.render(values)
    assert str(info.value) == f"types/all: variable {message}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ({"count": "7"}, {"count": 7}),
        ({"count": " 7 "}, {"count": 7}),
        ({"ratio": "0.25"}, {"ratio": 0.25}),
        ({"ratio": "1"}, {"ratio": 1.0}),
        ({"bold": "true"}, {"bold": True}),
        ({"bold": "Yes"}, {"bold": True}),
        ({"bold": "on"}, {"bold": True}),
        ({"bold": "1"}, {"bold": True}),
        ({"bold": "false"}, {"bold": False}),
        ({"bold": "NO"}, {"bold": False}),
        ({"bold": "0"}, {"bold": False}),
        ({"mood": "bold"}, {"mood": "bold"}),
        ({"tags": '["a b", "c"]'}, {"tags": ["a b", "c"]}),
        ({"tags": "a, b ,c"}, {"tags": ["a", "b", "c"]}),
        ({"tags": "a,,b,"}, {"tags": ["a", "b"]}),
        ({"tags": ""}, {"tags": []}),
        ({"sizes": "1024, 1536"}, {"sizes": [1024, 1536]}),
        ({"sizes": "[1024, 1536]"}, {"sizes": [1024, 1536]}),
        ({"name": "007"}, {"name": "007"}),
        ({"name": "true"}, {"name": "true"}),
    ],
)
def test_command_line_text_is_coerced(template: PromptTemplate, text: dict[str, str], expected: dict[str, Any]) -> None:
    """`--var` strings become the declared type (integer, number, boolean, JSON or comma list, enum); strings stay."""
    values = template.render_text_values({"name": "Mug", **text}).variables
    for name, value in expected.items():
        assert values[name] == value
        assert type(values[name]) is type(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ({"count": "seven"}, "'count' expected an integer, got 'seven'"),
        ({"count": "2.5"}, "'count' expected an integer, got '2.5'"),
        ({"count": "42"}, "'count' 42 is above maximum 10"),
        ({"ratio": "half"}, "'ratio' expected a number, got 'half'"),
        ({"ratio": "nan"}, "'ratio' expected a finite number, got nan"),
        ({"bold": "maybe"}, "'bold' expected true or false, got 'maybe'"),
        ({"mood": "Bold"}, "'mood' 'Bold' is not one of calm, bold"),
        ({"tags": "[a, b"}, "'tags' is not a valid JSON list"),
        ({"sizes": "1024, big"}, "'sizes' item 1: expected an integer, got 'big'"),
    ],
)
def test_command_line_text_that_does_not_fit(template: PromptTemplate, text: dict[str, str], message: str) -> None:
    """Text that cannot become the declared type says which variable and why."""
    with pytest.raises(VariableError) as info:
        template.render_text_values({"name": "Mug", **text})
    assert str(info.value).startswith(f"types/all: variable {message}")


def test_text_values_override_base_values(template: PromptTemplate) -> None:
    """`--var` wins over values from an example or a vars file (the base)."""
    rendered = template.render_text_values({"count": "4"}, base={"name": "Mug", "count": 2, "mood": "bold"})
    assert (rendered.variables["count"], rendered.variables["mood"]) == (4, "bold")


def test_unknown_text_variable(template: PromptTemplate) -> None:
    """A misspelt `--var` name is refused with a suggestion, not ignored."""
    with pytest.raises(VariableError, match="did you mean 'count'"):
        template.render_text_values({"name": "Mug", "cout": "3"})


def test_required_rules(project: Project) -> None:
    """No default means required unless `required: false`; a default makes it optional."""
    project.write_template(
        "types/req",
        """\
        version: 1
        variables:
          a: {type: string}
          b: {type: string, required: false}
          c: {type: integer, default: 2}
        template: "{{ a }}{{ b }}{{ c }}"
        """,
    )
    template = project.library().get("types/req")
    assert [(n, s.is_required) for n, s in template.variables.items()] == [("a", True), ("b", False), ("c", False)]
    assert template.render(a="x").prompt == "x2"
    with pytest.raises(VariableError, match="missing required variable 'a' \\(string\\)"):
        template.render(b="y")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{type: enum, values: [a, b], default: c}", "default 'c' is invalid: 'c' is not one of a, b"),
        ("{type: enum, values: [a, a]}", "enum values must be unique"),
        ("{type: enum, values: []}", "at least 1 item"),
        ("{type: string, default: x, required: true}", "a variable with a default cannot also be required: true"),
        ("{type: string, max_length: 2, default: abc}", "default 'abc' is invalid"),
        ("{type: integer, default: 1.5}", "valid integer"),
        ("{type: integer, minimum: 5, default: 1}", "default 1 is invalid: 1 is below minimum 5"),
        ("{type: list, items: boolean}", "items"),
        ("{type: text}", "type"),
        ("{type: string, maxlength: 3}", "unknown field"),
        ("{type: string, max_length: 0}", "greater than or equal to 1"),
    ],
)
def test_invalid_variable_specs_fail_at_load(project: Project, spec: str, message: str) -> None:
    """A bad variable declaration is a load error on the variable's line, not a surprise at render time."""
    project.write_template("types/bad", f"version: 1\nvariables:\n  v: {spec}\ntemplate: '{{{{ v }}}}'\n")
    with pytest.raises(TemplateValidationError, match=message) as info:
        project.library().get("types/bad")
    assert str(info.value).startswith("prompts/types/bad.yaml:3: ")


@pytest.mark.parametrize("name", ["loop", "self", "range", "deployment", "class", "2x", "my-var"])
def test_reserved_or_invalid_variable_names(project: Project, name: str) -> None:
    """Names Jinja or the API reserve, Python keywords and non-identifiers are refused."""
    project.write_template("types/bad", f"version: 1\nvariables:\n  {name}: {{type: string}}\ntemplate: x\n")
    with pytest.raises(TemplateValidationError, match=f"variable name '{name}'"):
        project.library().get("types/bad")
