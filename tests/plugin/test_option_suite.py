"""``--promptlib-suite SUITE[/CASE]``: run only some suites or cases."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_case_selector_collects_only_that_case(pytester: pytest.Pytester, eval_project: Path) -> None:
    """``badges/fox`` collects one eval item; the ordinary tests still run beside it."""
    result = pytester.runpytest("--promptlib", "--promptlib-suite", "badges/fox", "-v")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["evals/badges.yaml::fox PASSED*", "promptlib: 1 passed · *"])
    result.stdout.no_fnmatch_line("*::crane*")


def test_selectors_repeat_and_name_whole_suites(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A suite name selects all its cases; selectors add up."""
    (eval_project / "evals" / "more.yaml").write_text(
        "cases:\n  - id: owl\n    prompt: badge\n    variables: {subject: a grey owl}\n"
    )

    result = pytester.runpytest("--promptlib", "--promptlib-suite", "badges", "--promptlib-suite", "more/owl", "-v")

    result.stdout.fnmatch_lines(
        [
            "evals/badges.yaml::crane PASSED*",
            "evals/badges.yaml::fox PASSED*",
            "evals/more.yaml::owl FAILED*",
            "promptlib: 2 passed, 1 new · *",
        ]
    )


def test_unknown_case_is_a_usage_error(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A typo stops the run before anything is generated and lists the suite's cases."""
    result = pytester.runpytest("--promptlib", "--promptlib-suite", "badges/owl")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: promptlib: suite 'badges' has no case 'owl'; its cases: crane, fox"])
    assert not (eval_project / ".promptlib" / "runs").exists()


def test_eval_options_need_promptlib(pytester: pytest.Pytester, eval_project: Path) -> None:
    """Choosing cases without --promptlib is a mistake, not a silently ignored option."""
    result = pytester.runpytest("--promptlib-suite", "badges")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --promptlib-suite needs --promptlib"])
