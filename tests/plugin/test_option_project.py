"""``--promptlib-project DIR``, and finding the project without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .project import approve_all, copy_project

pytest_plugins = ["pytester"]


def test_project_in_a_subdirectory(pytester: pytest.Pytester, approved_project: Path) -> None:
    """A monorepo keeps promptlib in images/: the option points there and the items carry that path."""
    copy_project(approved_project, pytester.path / "images")
    pytester.makepyfile(test_user_plain="def test_plain():\n    pass\n")

    result = pytester.runpytest("--promptlib", "--promptlib-project", "images", "-v")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["images/evals/badges.yaml::crane PASSED*"])


def test_missing_project_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Without promptlib.yaml above rootdir or cwd, the error says how to point at the project."""
    pytester.makepyfile(test_user_plain="def test_plain():\n    pass\n")

    result = pytester.runpytest("--promptlib")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: promptlib: no promptlib.yaml in *, or pass --promptlib-project DIR"])


def test_project_without_suites_is_a_usage_error(pytester: pytest.Pytester, eval_project: Path) -> None:
    """--promptlib asks for eval suites; a project with none says where they belong."""
    (eval_project / "evals" / "badges.yaml").unlink()

    result = pytester.runpytest("--promptlib")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: promptlib: no eval suites under */evals; add evals/<suite>.yaml"])


def test_evals_are_collected_when_testpaths_leave_them_out(pytester: pytest.Pytester, eval_project: Path) -> None:
    """testpaths = tests (the usual setup) still collects the suites under --promptlib."""
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests")
    (eval_project / "test_user_plain.py").rename(eval_project / "tests" / "test_user_plain.py")

    result = pytester.runpytest("--promptlib", "-v")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["tests/test_user_plain.py::test_plain PASSED*"])
    result.stdout.fnmatch_lines(["evals/badges.yaml::crane PASSED*"])


def test_fresh_project_approve_then_pass(pytester: pytest.Pytester) -> None:
    """The whole loop a user goes through: new cases fail, approve them, the next run passes."""
    from .project import write_project

    write_project(pytester.path)
    pytester.runpytest("--promptlib").assert_outcomes(failed=2)
    approve_all(pytester.path)
    pytester.runpytest("--promptlib").assert_outcomes(passed=2)
