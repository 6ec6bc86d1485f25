"""Eval cases: suites expanded (``from_examples`` included) and chosen with ``SUITE`` / ``SUITE/CASE``."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.helpers import copy_example, write

from promptlib._library import Library
from promptlib.evals._cases import select, select_cases
from promptlib.exceptions import UsageError
from promptlib.goldens._compare import Policy

BRAND = [
    "logo-crane-symbol",
    "logo-leaf-wordmark",
    "icon-padlock",
    "icon-paper-plane-teal",
    "edit-mug-on-sand",
    "edit-mug-on-marble",
]


SUITES = ("brand", "marketing", "social")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo", suites=SUITES)


def library(root: Path) -> Library:
    return Library.load(root)


def test_no_selector_runs_every_case_of_every_suite_in_file_order(root: Path) -> None:
    cases, full = select_cases(library(root), [])
    assert full is True
    assert [c.key for c in cases if c.suite == "brand"] == [f"brand/{name}" for name in BRAND]
    assert {c.suite for c in cases} == set(SUITES)
    assert len({c.key for c in cases}) == len(cases)


def test_from_examples_makes_one_case_per_example(root: Path) -> None:
    cases, _ = select_cases(library(root), ["marketing"])
    template = library(root).get("marketing/product-hero")
    hero = [c for c in cases if c.template_id == "marketing/product-hero"]
    assert [c.id for c in hero] == [example.name for example in template.examples]
    assert [c.variables for c in hero] == [dict(example.variables) for example in template.examples]
    assert all(c.expect.size == "1536x1024" and c.expect.format == "jpeg" for c in hero)


def test_cases_carry_template_variables_policy_expectations_and_deployment(root: Path) -> None:
    (case,), full = select_cases(library(root), ["brand/icon-paper-plane-teal"])
    assert full is False
    assert (case.suite, case.id, case.key, case.template_id) == (
        "brand",
        "icon-paper-plane-teal",
        "brand/icon-paper-plane-teal",
        "icons/feature-icon",
    )
    assert case.variables == {"subject": "a paper plane", "accent": "teal"}
    assert case.policy == Policy(samples=3, min_matches=2, max_samples=5)
    assert (case.expect.size, case.expect.format, case.expect.transparent) == ("1024x1024", "png", False)
    assert case.deployment == "local"


def test_selectors_pick_suites_and_cases_without_duplicates(root: Path) -> None:
    lib = library(root)
    suite, _ = select_cases(lib, ["brand"])
    assert [c.id for c in suite] == BRAND
    mixed, full = select_cases(lib, ["brand/icon-padlock", "brand", "social/banner-headline-top", "brand/"])
    assert full is False
    assert [c.key for c in mixed] == ["brand/icon-padlock"] + [f"brand/{n}" for n in BRAND if n != "icon-padlock"] + [
        "social/banner-headline-top"
    ]


def test_unknown_suite_is_a_usage_error_listing_the_suites(root: Path) -> None:
    with pytest.raises(UsageError) as caught:
        select_cases(library(root), ["brnad"])
    assert str(caught.value) == "no suite 'brnad'; did you mean 'brand'? suites: brand, marketing, social"
    assert caught.value.exit_code == 2


def test_unknown_case_is_a_usage_error_listing_the_suites_cases(root: Path) -> None:
    with pytest.raises(UsageError) as caught:
        select_cases(library(root), ["brand/icon-pad"])
    assert str(caught.value).startswith(
        "suite 'brand' has no case 'icon-pad'; did you mean 'icon-padlock'? its cases: logo-crane-symbol, "
    )
    assert caught.value.exit_code == 2


def test_nested_suites_are_named_by_their_path(root: Path) -> None:
    write(
        root,
        "evals/team/icons.yaml",
        "cases:\n  - id: lock\n    prompt: icons/feature-icon\n    variables: {subject: a closed padlock}\n",
    )
    lib = library(root)
    (case,), _ = select_cases(lib, ["team/icons/lock"])
    assert case.key == "team/icons/lock"
    assert [c.key for c in select_cases(lib, ["team/icons"])[0]] == ["team/icons/lock"]


def test_goldens_directory_is_not_a_suite(root: Path) -> None:
    write(root, "evals/goldens/brand/notes.yaml", "not: a suite\n")
    cases, _ = select_cases(library(root), [])
    assert {c.suite for c in cases} == set(SUITES)


def test_per_case_samples_adapt_the_policy(root: Path) -> None:
    write(
        root,
        "evals/quick.yaml",
        """\
samples: 4
policy: {min_matches: 3, max_samples: 6}
cases:
  - id: one
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
    samples: 1
  - id: default
    prompt: icons/feature-icon
    variables: {subject: a paper plane}
""",
    )
    one, default = select_cases(library(root), ["quick"])[0]
    assert one.policy == Policy(samples=1, min_matches=1, max_samples=6)
    assert default.policy == Policy(samples=4, min_matches=3, max_samples=6)
    assert one.deployment is None


def test_an_example_named_like_an_explicit_case_is_a_problem_of_that_suite_only(root: Path) -> None:
    """The clashing id is an error at the second entry's line; the suite's other cases and other suites run."""
    write(
        root,
        "evals/clash.yaml",
        """\
cases:
  - id: padlock
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
  - from_examples: icons/feature-icon
""",
    )
    selection = select(library(root), [])
    ((suite, problem),) = selection.problems
    assert (suite, problem.path.name, problem.line) == ("clash", "clash.yaml", 5)
    assert problem.message == (
        "case id 'padlock' is defined twice (lines 2 and 5; an example's name counts as a case id); rename one"
    )
    clash = sorted(c.id for c in selection.cases if c.suite == "clash")
    assert "padlock" not in clash and clash  # the examples other than padlock still run
    assert {c.suite for c in selection.cases} >= {"brand", "clash"}


def test_a_policy_that_cannot_be_met_is_rejected_when_the_suite_loads(root: Path) -> None:
    write(
        root,
        "evals/bad.yaml",
        "samples: 2\npolicy: {min_matches: 3}\ncases:\n  - id: x\n"
        "    prompt: icons/feature-icon\n    variables: {subject: a padlock}\n",
    )
    selection = select(library(root), [])
    ((suite, problem),) = selection.problems
    assert suite == "bad" and "min_matches 3 exceeds samples 2" in problem.message and problem.line == 2
    assert not [c for c in selection.cases if c.suite == "bad"] and not selection.complete


def test_no_suites_at_all_is_a_usage_error(root: Path) -> None:
    for suite in (root / "evals").glob("*.yaml"):
        suite.unlink()
    with pytest.raises(UsageError, match="no eval suites"):
        select_cases(library(root), [])
