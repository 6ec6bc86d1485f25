"""Run directories: ``.promptlib/runs/<run-id>/`` with results, reports and the images they show.

A run directory is a self-contained CI artifact: samples and copies of the goldens
they were compared with live beside ``results.json``, ``summary.md`` and
``report.html``, so a reviewer can download it and approve from it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._atomic import atomic_write_text
from ._bounded import RESULTS_LIMIT, ReadRefused, parse_json, read_bytes
from ._safe_text import one_line
from .exceptions import UsageError

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

    def relative(self, path: Path) -> str:
        return path.relative_to(self.path).as_posix()


def mark_latest(runs_root: Path, run: RunDirectory) -> None:
    """Remember the newest run (a text file, not a symlink: it survives zips and Windows)."""
    atomic_write_text(runs_root / LATEST, str(run.path.resolve()) + "\n")


def find_run(runs_root: Path, run: str | None) -> Path:
    """A run directory from an id, a path, or (None) the latest run."""
    if run is None:
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
