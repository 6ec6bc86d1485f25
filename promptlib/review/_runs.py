"""The run under review: found like `approve` finds it (an id, a path, or the latest) and read through the same
bounded, validated loader, so a downloaded CI run directory is held to the same rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.reports._execute import runs_root
from promptlib.reports._runs import RESULTS, find_run, load_results

Signature = tuple[str, int, int, int]


@dataclass(frozen=True)
class ReviewRun:
    path: Path
    results: dict[str, Any]  # validated by `load_results` (RunResult), as approve reads it

    @property
    def run_id(self) -> str:
        return str(self.results.get("run_id"))


def open_run(library: Library, run: str | None) -> ReviewRun:
    """The run `run` names (id or path; None: the latest); UsageError (one line) when there is none."""
    path = find_run(runs_root(library), run)
    return ReviewRun(path, load_results(path))


def reload(run: ReviewRun) -> ReviewRun:
    """The same run read again (a decision does not change it, but another process may have replaced it)."""
    return ReviewRun(run.path, load_results(run.path))


def signature(path: Path) -> Signature:
    """Which results.json this is on disk (path, inode, size, mtime): a changed or replaced file has another."""
    info = (path / RESULTS).stat()
    return (str(path.resolve()), info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass
class RunCache:
    """The run read once per version of its results.json, and values derived from it (queue, look-alikes), so a
    reviewer moving through a 200-case queue pays for validation once, not on every keypress."""

    held: Signature | None = None
    run: ReviewRun | None = None
    derived: dict[str, Any] = field(default_factory=dict)

    def open(self, library: Library, run: str | None) -> ReviewRun:
        path = find_run(runs_root(library), run)
        current = signature(path)
        if self.run is None or current != self.held:
            self.run, self.held, self.derived = ReviewRun(path, load_results(path)), current, {}
        return self.run

    def derive(self, name: str, compute: Callable[[ReviewRun], Any]) -> Any:
        """`compute(run)` once per version of the run."""
        if self.run is None:
            raise RuntimeError("open a run first")
        if name not in self.derived:
            self.derived[name] = compute(self.run)
        return self.derived[name]
