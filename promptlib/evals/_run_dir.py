"""A run's directory as the runner fills it: samples, the goldens they were compared with, edit inputs.

Files are placed by hard link where their bytes already live (cache entries and goldens are written once and
never changed in place), so many runs cost little disk; `disk_usage` tells what a run holds of its own.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from promptlib.core._atomic import atomic_write_bytes


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
