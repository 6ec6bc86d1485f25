"""Drift guards on a case: goldens approved under an older template version or another model, and how the case
fared over the runs kept locally (pass rate, and how far its samples spread within each run).

A golden set approved for v2 judges a v4 prompt only by look; one approved on gpt-image-1 judges gpt-image-2's
output by another model's style. Neither is wrong, but the reviewer should know before trusting a pass.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.core._safe_text import one_line
from promptlib.evals._cases import approvable_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import PromptlibError
from promptlib.goldens._hashing import distance
from promptlib.goldens._review import ProjectCase
from promptlib.reports._runs import RESULTS, load_results

#: How many of the newest local runs the history looks at.
HISTORY_RUNS = 20


@dataclass(frozen=True, slots=True)
class RunPoint:
    run_id: str
    created_at: str
    status: str
    spread: int | None  # the largest pHash distance between two of the run's samples of the case


@dataclass(frozen=True, slots=True)
class History:
    points: list[RunPoint]  # oldest first

    @property
    def pass_rate(self) -> float | None:
        judged = [p for p in self.points if p.status in ("passed", "failed")]
        return sum(p.status == "passed" for p in judged) / len(judged) if judged else None

    @property
    def median_spread(self) -> float | None:
        spreads = [p.spread for p in self.points if p.spread is not None]
        return statistics.median(spreads) if spreads else None

    def summary(self) -> str:
        if not self.points:
            return "no earlier runs of this case are kept locally"
        rate, spread = self.pass_rate, self.median_spread
        text = f"{len(self.points)} local run(s)"
        text += f", passed {rate:.0%} of those judged" if rate is not None else ", none judged against goldens"
        return text + (f", median sample spread pHash {spread:g}" if spread is not None else "")


def golden_drift(
    library: Library,
    key: str,
    case: Mapping[str, Any] | None = None,
    known: Mapping[str, ProjectCase] | None = None,
) -> list[str]:
    """Why the case's goldens may no longer mean what they did: older template version, another model."""
    target = (known if known is not None else approvable_cases(library)).get(key)
    if target is None:
        return []
    try:
        manifest = golden_store(library).load(target.suite, target.case, verify=False)
    except PromptlibError:
        return []  # an unreadable manifest is `check`'s to report, with its file
    if manifest is None:
        return []
    notes = []
    approved = manifest.template
    if target.version is not None and approved.version < target.version:
        notes.append(
            f"goldens were approved under {one_line(approved.id)} v{approved.version}; the template is now "
            f"v{target.version}"
        )
    model = case.get("model") if case is not None else None
    if isinstance(model, str) and model and model != manifest.model:
        notes.append(f"goldens were approved on {one_line(manifest.model)}; this run used {one_line(model)}")
    return notes


def case_history(runs_root: Path, key: str, *, limit: int = HISTORY_RUNS) -> History:
    """The case in each of the newest `limit` run directories kept under `runs_root` (unreadable ones skipped)."""
    points = []
    for run in _runs(runs_root)[-limit:]:
        found = _points(run).get(key)
        if found is not None:
            points.append(found)
    return History(sorted(points, key=lambda p: p.created_at))


_MEMO: dict[tuple[str, int, int, int], dict[str, RunPoint]] = {}
_MEMO_SIZE = 4 * HISTORY_RUNS


def _points(run: Path) -> dict[str, RunPoint]:
    """Every case's point in one run, read once per version of its results.json (runs are rarely rewritten)."""
    try:
        info = (run / RESULTS).stat()
        held = (str(run), info.st_ino, info.st_size, info.st_mtime_ns)
        if held not in _MEMO:
            results = load_results(run)
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[held] = {str(case.get("key")): _point(results, case) for case in results["cases"]}
        return _MEMO[held]
    except (PromptlibError, OSError):
        return {}


def _runs(runs_root: Path) -> list[Path]:
    if not runs_root.is_dir():
        return []
    found = [d for d in runs_root.iterdir() if d.is_dir() and not d.is_symlink() and (d / RESULTS).is_file()]
    return sorted(found, key=lambda d: d.stat().st_mtime)


def _point(results: Mapping[str, Any], case: Mapping[str, Any]) -> RunPoint:
    phashes = []
    for sample in case.get("samples") or []:
        try:
            phashes.append(int(str(sample["hashes"]["phash"]), 16))
        except (KeyError, TypeError, ValueError):
            continue
    spread = max((distance(a, b) for a, b in combinations(phashes, 2)), default=None)
    return RunPoint(str(results.get("run_id")), str(results.get("created_at")), str(case.get("status")), spread)
