"""Run directories: ``.promptlib/runs/<run-id>/`` with results, reports and the images they show.

A run directory is a self-contained CI artifact: samples and copies of the goldens
they were compared with live beside ``results.json``, ``summary.md`` and
``report.html``, so a reviewer can download it and approve from it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promptlib.core._atomic import atomic_write_bytes, atomic_write_text
from promptlib.core._bounded import RESULTS_LIMIT, ReadRefused, parse_json, read_bytes
from promptlib.core._safe_text import one_line
from promptlib.exceptions import UsageError

RESULTS = "results.json"
LATEST = "latest"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass(frozen=True)
class RunDirectory:
    path: Path
    run_id: str

    @classmethod
    def create(cls, runs_root: Path, run_dir: Path | None = None) -> RunDirectory:
        run_id = new_run_id()
        path = run_dir if run_dir is not None else runs_root / run_id
        path.mkdir(parents=True, exist_ok=True)
        return cls(path=path, run_id=run_id)

    def sample_path(self, suite: str, case: str, index: int, extension: str) -> Path:
        return self.path / "samples" / suite / case / f"s{index}.{extension}"

    def golden_copy_path(self, suite: str, case: str, file: str) -> Path:
        return self.path / "goldens" / suite / case / file

    def input_path(self, suite: str, case: str, name: str, extension: str) -> Path:
        return self.path / "inputs" / suite / case / f"{name}.{extension}"

    def relative(self, path: Path) -> str:
        return path.relative_to(self.path).as_posix()


def place(target: Path, *, source: Path | None = None, data: bytes | None = None) -> None:
    """Put a file into a run: a hard link to ``source`` when one exists (cache entries and goldens are written
    once and never changed in place, so runs can share their bytes), else a copy or ``data``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is not None:
        try:
            target.unlink(missing_ok=True)
            os.link(source, target)
            return
        except OSError:  # another file system, or links not allowed: copy
            pass
    if data is None and source is not None:
        data = source.read_bytes()
    if data is None:
        raise ValueError("place() needs a source or data")
    atomic_write_bytes(target, data, durable=False)


def disk_usage(path: Path) -> tuple[int, int]:
    """(bytes only this run holds, bytes it shares with the cache, the goldens or other runs by hard link)."""
    own = shared = 0
    for file in path.rglob("*"):
        info = file.lstat()
        if not stat.S_ISREG(info.st_mode):
            continue
        if info.st_nlink > 1:
            shared += info.st_size
        else:
            own += info.st_size
    return own, shared


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
    return data


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
    return (directory / RESULTS).is_file() or any((child / RESULTS).is_file() for child in directory.iterdir()
                                                   if child.is_dir())


def _latest(runs_root: Path) -> Path | None:
    pointer = runs_root / LATEST
    try:
        return Path(pointer.read_text(encoding="utf-8").strip()).resolve()
    except OSError:
        return None
