"""Run directories: ``.promptlib/runs/<run-id>/`` with results, reports and the images they show.

A run directory is a self-contained CI artifact: samples and copies of the goldens
they were compared with live beside ``results.json``, ``summary.md`` and
``report.html``, so a reviewer can download it and approve from it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from promptlib.core._atomic import atomic_write_text
from promptlib.core._bounded import RESULTS_LIMIT, ReadRefused, parse_json, read_bytes
from promptlib.core._safe_text import one_line
from promptlib.evals._results import RunResult
from promptlib.evals._run_dir import RunDirectory
from promptlib.exceptions import UsageError

RESULTS = "results.json"
LATEST = "latest"


def mark_latest(runs_root: Path, run: RunDirectory) -> None:
    """Remember the newest run (a text file, not a symlink: it survives zips and Windows)."""
    atomic_write_text(runs_root / LATEST, str(run.path.resolve()) + "\n")


def find_run(runs_root: Path, run: str | None) -> Path:
    """A run directory from an id, a path, or (None) the latest run."""
    if run is None or run == LATEST:
        pointer = runs_root / LATEST
        if not pointer.is_file():
            raise UsageError(f"no runs yet under {runs_root}; run `promptlib eval` first")
        candidate = Path(pointer.read_text(encoding="utf-8").strip())
    else:
        candidate = Path(run) if Path(run).is_dir() else runs_root / run
    if not (candidate / RESULTS).is_file():
        raise UsageError(f"{candidate} is not a run directory (no {RESULTS}); pass a run id or path")
    return candidate


def load_results(run_path: Path) -> dict[str, Any]:
    """A run's results.json, read bounded (runs are downloaded from CI: someone else wrote them)."""
    path = run_path / RESULTS
    try:
        data = parse_json(read_bytes(path, within=run_path, limit=RESULTS_LIMIT))
    except ReadRefused as exc:
        raise UsageError(f"{RESULTS} {exc}", path=path) from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {one_line(exc)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise UsageError(f"{path} is not a promptlib results file")
    try:  # through the typed contract: a doctored or foreign file is refused here, older names are read
        return RunResult.from_json(data).to_json()
    except ValueError as exc:
        raise UsageError(f"{one_line(exc)}; re-download the run", path=path) from None


def prune_runs(runs_root: Path, *, keep: int | None, older_than_days: float | None) -> list[Path]:
    """Delete old run directories: all but the ``keep`` newest and/or those older than ``older_than_days``.

    The latest run is always kept (approve and report default to it). A `pytest-<uid>` folder of one xdist
    session counts as one run. Only folders that hold a results.json (directly or one level down) are runs:
    anything else under runs/ is left alone.
    """
    if not runs_root.is_dir():
        return []
    latest = _latest(runs_root)
    runs = [d for d in runs_root.iterdir() if d.is_dir() and not d.is_symlink() and _is_run(d)]
    runs.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    now = time.time()
    doomed = []
    for position, directory in enumerate(runs):
        too_many = keep is not None and position >= keep
        too_old = older_than_days is not None and now - directory.stat().st_mtime > older_than_days * 86400
        holds_latest = latest is not None and (latest == directory or directory in latest.parents)
        if (too_many or too_old) and not holds_latest:
            doomed.append(directory)
    for directory in doomed:
        shutil.rmtree(directory)
    return doomed


def _is_run(directory: Path) -> bool:
    return (directory / RESULTS).is_file() or any(
        (child / RESULTS).is_file() for child in directory.iterdir() if child.is_dir()
    )


def _latest(runs_root: Path) -> Path | None:
    pointer = runs_root / LATEST
    try:
        return Path(pointer.read_text(encoding="utf-8").strip()).resolve()
    except OSError:
        return None
