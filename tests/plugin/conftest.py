"""Plugin tests: each gets the approved tiny project copied into its pytester directory.

Test modules here declare ``pytest_plugins = ["pytester"]`` themselves: pytest refuses that line in a
conftest below the root.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .project import PLAIN_TEST, approve_all, copy_project, write_project


@pytest.fixture(autouse=True)
def _users_plugins_only(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest runs these tests start are a user's: without our test-only plugins. pytest-playwright keeps its
    soft-assertion scope in a module global, so a run nested in one of its tests would trip over the outer scope.
    (Set after `pytester` starts: it clears PYTEST_ADDOPTS.)"""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:playwright")


@pytest.fixture(scope="session")
def approved_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session (per xdist worker): running the emulator and approving takes a second."""
    root = tmp_path_factory.mktemp("approved")
    write_project(root)
    approve_all(root)
    return root


@pytest.fixture
def eval_project(pytester: pytest.Pytester, approved_project: Path) -> Path:
    """The pytester directory holds the approved project and one ordinary test module."""
    copy_project(approved_project, pytester.path)
    pytester.makepyfile(test_user_plain=PLAIN_TEST)
    return pytester.path
