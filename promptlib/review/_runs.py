"""The run under review: found like `approve` finds it (an id, a path, or the latest) and read through the same
bounded, validated loader, so a downloaded CI run directory is held to the same rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.reports._execute import runs_root
from promptlib.reports._runs import find_run, load_results


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
