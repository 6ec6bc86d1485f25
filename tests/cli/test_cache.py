"""`promptlib cache stats|prune`: what the result cache holds, and clearing out old, damaged and unfinished entries."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from project_helpers import Project

from promptlib.evals._cache import META
from promptlib.evals._cache_admin import UNFINISHED_GRACE_S


def entry_dirs(project: Project) -> list[Path]:
    root = project.root / ".promptlib" / "cache"
    return sorted(p for p in root.glob("??/*") if p.is_dir())


def age(path: Path, seconds: float) -> None:
    """Make ``path`` and its files look ``seconds`` old (mtime), and its stored created_at too."""
    then = time.time() - seconds
    meta = path / META
    if meta.is_file():
        data = json.loads(meta.read_text())
        data["created_at"] = then
        meta.write_text(json.dumps(data))
    for item in [*path.iterdir(), path]:
        os.utime(item, (then, then))


def stats(invoke: Callable[..., Result]) -> dict[str, object]:
    result = invoke("cache", "stats", "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_stats_count_entries_images_and_bytes_per_deployment(project: Project, invoke: Callable[..., Result]) -> None:
    empty = stats(invoke)
    assert empty["entries"] == 0 and empty["oldest"] is None
    assert invoke("eval").exit_code == 1  # four new cases, three samples each; two cases are the same request
    data = stats(invoke)
    dirs = entry_dirs(project)
    on_disk = sum(f.stat().st_size for d in dirs for f in d.iterdir())
    assert data["entries"] == len(dirs) == 3 and data["images"] == 9 and data["bytes"] == on_disk
    assert data["deployments"] == {"local": {"entries": 3, "images": 9, "bytes": on_disk}}
    assert data["damaged"] == 0 and data["unfinished"] == 0
    assert str(data["oldest"]) <= str(data["newest"])
    text = invoke("cache", "stats").output
    assert "3 entries, 9 images" in text and "local" in text


def test_prune_removes_old_damaged_and_stale_unfinished_entries_and_keeps_the_rest(
    project: Project, invoke: Callable[..., Result]
) -> None:
    invoke("eval")
    invoke("eval", "--samples", "2")  # three more entries (n=2 is another request)
    old, damaged, truncated, unfinished, *kept = entry_dirs(project)
    assert len(kept) == 2
    age(old, 10 * 86400)
    (damaged / META).write_text("{not json")
    image = next(truncated.glob("*.png"))
    image.write_bytes(image.read_bytes()[:100])  # the sidecar parses, but the image fails its sha256
    (unfinished / META).unlink()  # a write killed before its sidecar
    before = stats(invoke)
    assert before["entries"] == 4 and before["damaged"] == 1 and before["unfinished"] == 1
    # A sidecar-less entry this recent may be a running eval's: left alone.
    result = invoke("cache", "prune")
    assert result.exit_code == 0
    assert result.output.startswith("removed 2 entries (0 old, 2 damaged, 0 unfinished), freed ")
    assert unfinished.exists() and old.exists()
    age(unfinished, UNFINISHED_GRACE_S + 60)
    result = invoke("cache", "prune", "--older-than", "7")
    assert result.output.startswith("removed 2 entries (1 old, 0 damaged, 1 unfinished)")
    assert entry_dirs(project) == kept
    assert stats(invoke)["entries"] == 2


def test_prune_older_than_keeps_recent_entries_and_a_rerun_regenerates_what_was_removed(
    project: Project, invoke: Callable[..., Result]
) -> None:
    invoke("eval")
    first = entry_dirs(project)[0]
    age(first, 3 * 86400)
    result = invoke("cache", "prune", "--older-than", "2.5")
    assert result.output.startswith("removed 1 entries (1 old, 0 damaged, 0 unfinished)")
    assert len(entry_dirs(project)) == 2
    rerun = invoke("eval")
    # The removed entry is sent again (twice if it was the one two cases share: both miss at once).
    assert re.search(r" [12] requests, [23] cache hits", rerun.output), rerun.output
    assert len(entry_dirs(project)) == 3
