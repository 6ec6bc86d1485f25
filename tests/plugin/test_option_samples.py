"""``--promptlib-samples K``: draw K samples per case instead of the suite's number."""

from __future__ import annotations

from pathlib import Path

import pytest

from .project import change_subject

pytest_plugins = ["pytester"]


def test_k_samples_are_drawn_and_judged(pytester: pytest.Pytester, eval_project: Path) -> None:
    """The verdict counts K samples, and the policy's m is capped at K."""
    change_subject(eval_project, "flat vector", "hand-drawn")

    result = pytester.runpytest("--promptlib", "--promptlib-samples", "3", "--promptlib-suite", "badges/crane")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "badges/crane: failed — only 0 of 3 samples match the goldens*",
            "  0 of 3 samples match (policy: 1 of 3, up to 3)",
            "  sample 2: miss *samples/badges/crane/s2.png",
        ]
    )


@pytest.mark.parametrize("value", ["0", "11", "many"])
def test_out_of_range_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    """K must be 1 to 10, as for ``promptlib eval --samples``."""
    result = pytester.runpytest("--promptlib", "--promptlib-samples", value)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--promptlib-samples: '{value}' is not a number of samples from 1 to 10"])


def test_samples_need_promptlib(pytester: pytest.Pytester) -> None:
    """The option is refused, not ignored, without --promptlib."""
    result = pytester.runpytest("--promptlib-samples", "3")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --promptlib-samples needs --promptlib"])
