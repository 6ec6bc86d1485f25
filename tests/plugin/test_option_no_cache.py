"""``--promptlib-no-cache``: every sample is generated afresh and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_cached_results_are_used_by_default(pytester: pytest.Pytester, eval_project: Path) -> None:
    """Unchanged prompts cost nothing: the approved project's cache answers every case."""
    result = pytester.runpytest("--promptlib")

    result.stdout.fnmatch_lines(["promptlib: 2 passed · 0 requests, 2 cache hits · *"])


def test_no_cache_neither_reads_nor_writes(pytester: pytest.Pytester, eval_project: Path) -> None:
    """Requests go to the deployment even for cached prompts, and the cache does not grow."""
    cache = eval_project / ".promptlib" / "cache"
    before = sorted(p for p in cache.rglob("*") if p.is_file())

    result = pytester.runpytest("--promptlib", "--promptlib-no-cache")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["promptlib: 2 passed · 2 requests, 0 cache hits · *"])
    assert sorted(p for p in cache.rglob("*") if p.is_file()) == before
