"""A pull request cannot answer CI from a cache it committed.

promptlib's caches live under `.promptlib/` (results by request hash, fingerprints and OCR readings by image
sha256, check findings by content key), and each is checked only against itself: an entry carrying the
right key is believed. Keys are hashes of what the PR itself wrote, so its author can compute them and
commit a result no model drew, the hashes of a golden for an image that has none of them, or a reading of
text the image does not show. So while git tracks anything under `.promptlib/`, check and eval use none of
those caches, and each says why in one line.
"""

from __future__ import annotations

from pathlib import Path

from e2e.helpers import latest_results, promptlib

from .conftest import git

COMMITTED = "are committed to git"


def commit_the_state(pr: Path) -> None:
    git(pr, "add", "-f", ".promptlib")
    git(pr, "commit", "-q", "-m", "the PR commits its caches")


def test_eval_uses_no_result_cache_that_came_with_the_checkout(pr: Path) -> None:
    warm = promptlib(pr, "eval")
    assert warm.exit_code == 0 and latest_results(pr)["totals"]["cache_hits"] == 6, warm.output

    commit_the_state(pr)
    result = promptlib(pr, "eval")
    assert result.exit_code == 0, result.output
    totals = latest_results(pr)["totals"]
    assert totals["cache_hits"] == 0 and totals["requests"] == 6  # every case drawn afresh
    assert COMMITTED in result.output and "git rm -r --cached .promptlib" in result.output
    assert any(COMMITTED in warning for warning in latest_results(pr)["warnings"])


def test_check_reads_no_check_cache_that_came_with_the_checkout(pr: Path) -> None:
    assert promptlib(pr, "check").exit_code == 0  # writes the check cache

    commit_the_state(pr)
    (pr / ".promptlib" / "cache" / "check.json").write_text("{}")  # what was committed is never read ...
    before = (pr / ".promptlib" / "cache" / "check.json").read_bytes()
    result = promptlib(pr, "check")
    assert result.exit_code == 0 and COMMITTED in result.output, result.output
    assert (pr / ".promptlib" / "cache" / "check.json").read_bytes() == before  # ... nor written


def test_with_nothing_committed_the_caches_are_used(pr: Path) -> None:
    promptlib(pr, "eval")
    result = promptlib(pr, "eval")
    assert COMMITTED not in result.output and latest_results(pr)["totals"]["cache_hits"] == 6
