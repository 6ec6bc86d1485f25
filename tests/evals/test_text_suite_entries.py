"""A suite's text expectations are checked where they are written: `promptlib check` names the file, the line
and the fix (with a did-you-mean for a misspelt field or variable), as for every other field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from project_helpers import Project

Invoke = Callable[..., Result]

ENTRY = """\
deployment: local
cases:
  - id: kettle-tagline
    prompt: shop/tile
    variables: {{product: a kettle, tagline: 20% off}}
    expect:
      {expect}
"""


@pytest.mark.parametrize(
    ("expect", "problem"),
    [
        ("text: [{txt: 20% off}]", "evals/text.yaml:7: cases[kettle-tagline].expect.text[#1].txt: unknown field "
         "(did you mean 'text'?)"),
        ("text_form: [tagline]", "evals/text.yaml:7: cases[kettle-tagline].expect.text_form: unknown field "
         "(did you mean 'text_from'?)"),
        ('text: ["  "]', "evals/text.yaml:7: cases[kettle-tagline].expect.text[#1]: a text to look for needs "
         "something besides whitespace"),
        ("text: [{text: 20% off, any_of: [20% off]}]", "evals/text.yaml:7: cases[kettle-tagline].expect.text[#1]: "
         "give either text or any_of (not both)"),
        ("text: [{any_of: [20% off], min_similarity: 1.5}]", "evals/text.yaml:7: "
         "cases[kettle-tagline].expect.text[#1].min_similarity: Input should be less than or equal to 1"),
        ("text_from: [tagine]", "evals/text.yaml:7: case kettle-tagline: expect.text_from: shop/tile has no variable "
         "'tagine'; did you mean 'tagline'? it declares: product, tagline"),
    ],
)  # fmt: skip
def test_a_bad_text_entry_is_one_line_at_its_place(
    text_project: Project, invoke: Invoke, expect: str, problem: str
) -> None:
    text_project.write("evals/text.yaml", ENTRY.format(expect=expect), dedent=False)
    result = invoke("check")
    assert result.exit_code == 1
    assert problem in result.output.splitlines()


def test_eval_refuses_only_the_entry_whose_text_from_names_no_variable(text_project: Project, invoke: Invoke) -> None:
    text_project.edit("evals/text.yaml", "expect: {text_from: [tagline]}", "expect: {text_from: [headline]}")
    result = invoke("eval", "text/kettle-tagline", "--dry-run")
    assert result.exit_code == 0, result.output  # the other entries still run
    assert "text/kettle-tagline" in result.output and "text/kettle " not in result.output
    problem = "evals/text.yaml:11: from_examples shop/tile: expect.text_from: shop/tile has no variable 'headline'"
    assert any(line.startswith(problem) for line in invoke("check").output.splitlines())


def test_a_misspelt_field_of_a_from_examples_entry_is_named_as_written(text_project: Project, invoke: Invoke) -> None:
    text_project.edit("evals/text.yaml", "expect: {text_from: [tagline]}", "expect: {text_fro: [tagline]}")
    problem = "evals/text.yaml:11: cases[shop/tile].expect.text_fro: unknown field (did you mean 'text_from'?)"
    assert problem in invoke("check").output.splitlines()  # not blamed on `from_examples`, the entry's tag
