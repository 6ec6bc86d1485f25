"""``--promptlib``: eval cases become test items that pass or fail from the eval's verdict."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .project import SUITE, change_subject

pytest_plugins = ["pytester"]


def _report_path(output: str) -> Path:
    found = re.search(r"^promptlib: .* · report: (\S+)$", output, re.MULTILINE)
    assert found, output
    return Path(found.group(1))


def test_approved_cases_pass_one_item_each(pytester: pytest.Pytester, eval_project: Path) -> None:
    """Each case is an item named after its suite file and id, and the run writes the usual report."""
    result = pytester.runpytest("--promptlib", "-v")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "evals/badges.yaml::crane PASSED*",
            "evals/badges.yaml::fox PASSED*",
            "test_user_plain.py::test_plain PASSED*",
            "promptlib: 2 passed · 0 requests, 2 cache hits · report: *report.html",
        ]
    )
    report = _report_path(result.stdout.str())
    assert report.is_file()
    assert report.parent.parent == eval_project / ".promptlib" / "runs"
    results = json.loads((report.parent / "results.json").read_text())
    assert sorted(c["key"] for c in results["cases"]) == ["badges/crane", "badges/fox"]


def test_without_the_option_eval_suites_are_not_collected(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A plain run is untouched: the ordinary tests run, no eval items, no summary, no run directory."""
    result = pytester.runpytest("-v")

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*evals/badges.yaml*")
    result.stdout.no_fnmatch_line("promptlib:*")
    assert not (eval_project / ".promptlib" / "runs").exists()


def test_plain_run_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    """Having promptlib installed costs a plain pytest run nothing: the plugin imports lazily."""
    pytester.makepyfile(
        test_user_imports="""
        import sys

        def test_nothing_heavy():
            heavy = {"httpx", "pydantic", "PIL", "jinja2", "promptlib._library", "promptlib.testing"}
            assert sorted(heavy.intersection(sys.modules)) == []
    """
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_case_without_goldens_fails_as_new(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A case nobody approved yet fails with status new and says what to do."""
    (eval_project / "evals" / "badges.yaml").write_text(
        SUITE + "  - id: owl\n    prompt: badge\n    variables: {subject: a grey owl}\n"
    )

    result = pytester.runpytest("--promptlib")

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*promptlib eval badges/owl*",
            "badges/owl: new — no goldens yet; review the samples, then: promptlib approve * --case badges/owl",
            "  sample 0: unchecked  (no goldens)  samples/badges/owl/s0.png",
            "report: *report.html",
            "promptlib: 2 passed, 1 new · 1 request, 2 cache hits · report: *",
            "FAILED evals/badges.yaml::owl - badges/owl: new*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_changed_template_fails_with_the_verdict(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A regression prints status, k of K, each sample's distances against the thresholds and the report."""
    change_subject(eval_project, "flat vector badge icon", "watercolor landscape painting")

    result = pytester.runpytest("--promptlib", "evals")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "badges/crane: failed — only 0 of 2 samples match the goldens; "
            "changed since approval: v1 (content changed, version not bumped)",
            "  0 of 2 samples match (policy: 1 of 2, up to 2)",
            "  thresholds: *phash *",
            "  sample 0: miss  phash * > *, dhash * > *, whash * > *samples/badges/crane/s0.png",
            "  sample 1: miss  *",
            "  deployment local (gpt-image-2), template badge v1",
            "report: *report.html",
        ]
    )
    assert _report_path(result.stdout.str()).is_file()


def test_expected_block_passes(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A case that expects the safety system to refuse its prompt passes when it is refused."""
    (eval_project / "evals" / "safety.yaml").write_text(
        "cases:\n  - id: refused\n    prompt: badge\n    variables: {subject: a forbidden sign}\n"
        "    expect: {outcome: blocked}\n"
        "  - id: surprise\n    prompt: badge\n    variables: {subject: a forbidden door}\n"
    )

    result = pytester.runpytest("--promptlib", "evals/safety.yaml", "-v")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "evals/safety.yaml::refused PASSED*",
            "evals/safety.yaml::surprise FAILED*",
            "safety/surprise: blocked — blocked by the safety system*set expect: {outcome: blocked}",
        ]
    )


def test_a_broken_suite_fails_one_item_and_the_rest_still_run(pytester: pytest.Pytester, eval_project: Path) -> None:
    """A suite file promptlib cannot read is one failing item, worded like the CLI, without a traceback; the
    other suites' cases run as usual (a collection error would have stopped the whole session)."""
    (eval_project / "evals" / "broken.yaml").write_text("cases:\n  - id: x\n    prompt: badge\n    bogus: 1\n")

    result = pytester.runpytest("--promptlib")

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "promptlib: evals/broken.yaml:4: the suite cannot be read: cases[[]x[]].bogus: *",
            "FAILED evals/broken.yaml::suite-problems*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
