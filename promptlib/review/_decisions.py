"""Decisions on a run: approve, reject and unreject through the library's golden code, saying what was written.

`promptlib approve`, `reject` and `unreject` and the Review page all call these, so a decision made in the browser
is held to exactly the checks of the command line: the case key must be one the checked-out suites define, the
sample must be the image the case expects, and writes stay under evals/goldens/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from promptlib._library import Library
from promptlib.evals._cases import approvable_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import UsageError
from promptlib.goldens._manifest import CaseManifest, RejectedEntry
from promptlib.goldens._review import (
    ApprovalPlan,
    Approved,
    ProjectCase,
    RejectionPlan,
    approve_from_run,
    reject_from_run,
    write_approvals,
    write_rejection,
)
from promptlib.goldens._store import GoldenStore
from promptlib.review._runs import ReviewRun

_Signature = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Written:
    """A file a decision added, changed or removed, relative to the project root."""

    path: str
    change: str  # "added" | "changed" | "removed"


@dataclass(frozen=True)
class Outcome:
    approved: list[Approved]
    rejected: CaseManifest | None
    forgotten: list[RejectedEntry]
    written: list[Written]


def approve(
    library: Library,
    run: ReviewRun,
    *,
    cases: Sequence[str],
    samples: Sequence[int] = (),
    all_new: bool = False,
    add: bool = False,
    by: str,
    known: Mapping[str, ProjectCase] | None = None,
) -> Outcome:
    """`promptlib approve`: samples of the run become the goldens of the project's cases (`known`: the
    project's `approvable_cases`, when the caller already holds them for the files as they are on disk)."""
    store = golden_store(library)
    known = known if known is not None else approvable_cases(library)
    with _Watch(library, store) as watch:
        approved = approve_from_run(
            store, run.path, run.results, known=known, cases=cases, samples=samples,
            all_new=all_new, by=by, add=add,
        )  # fmt: skip
    return Outcome(approved, None, [], watch.written)


def reject(
    library: Library,
    run: ReviewRun,
    *,
    case_key: str,
    sample: int,
    reason: str,
    by: str,
    force: bool = False,
    known: Mapping[str, ProjectCase] | None = None,
) -> Outcome:
    """`promptlib reject`: record a known-bad sample, so later look-alikes fail with `reason`."""
    if not reason.strip():
        raise UsageError("a rejection needs a reason (it is shown when a look-alike fails)")
    store = golden_store(library)
    known = known if known is not None else approvable_cases(library)
    with _Watch(library, store) as watch:
        manifest = reject_from_run(
            store, run.path, run.results, known=known, case_key=case_key, sample=sample,
            reason=reason, by=by, force=force,
        )  # fmt: skip
    return Outcome([], manifest, [], watch.written)


def unreject(library: Library, case_key: str, prefixes: Sequence[str], *, every: bool = False) -> Outcome:
    """`promptlib unreject`: forget rejected images of a case (by sha256 prefix, or all)."""
    suite, case = project_case(library, case_key)
    store = golden_store(library)
    with _Watch(library, store) as watch:
        removed = store.unreject(suite, case, prefixes, every=every)
    return Outcome([], None, removed, watch.written)


def rejected_images(
    library: Library, case_key: str, known: Mapping[str, ProjectCase] | None = None
) -> list[RejectedEntry]:
    suite, case = project_case(library, case_key, known)
    manifest = golden_store(library).load(suite, case, verify=False)
    return list(manifest.rejected) if manifest is not None else []


def project_case(library: Library, case_key: str, known: Mapping[str, ProjectCase] | None = None) -> tuple[str, str]:
    target = (known if known is not None else approvable_cases(library)).get(case_key)
    if target is None:
        raise UsageError(f"{case_key!r} is not a case of this project's suites")
    return target.suite, target.case


def apply_plans(
    library: Library,
    approvals: Sequence[tuple[ApprovalPlan, bool]],
    rejections: Sequence[tuple[RejectionPlan, str]],
    *,
    by: str,
) -> Outcome:
    """Checked plans (approvals with their `add`, rejections with their reason) written in one go."""
    store = golden_store(library)
    approved: list[Approved] = []
    manifest = None
    with _Watch(library, store) as watch:
        for plan, add in approvals:
            approved += write_approvals(store, [plan], by=by, add=add)
        for rejection, reason in rejections:
            manifest = write_rejection(store, rejection, reason=reason, by=by)
    return Outcome(approved, manifest, [], watch.written)


class _Watch:
    """What changed under evals/goldens/ while a decision ran (atomic writes replace files: a new inode)."""

    def __init__(self, library: Library, store: GoldenStore) -> None:
        self.project, self.root = library.settings.root, store.root
        self.written: list[Written] = []

    def __enter__(self) -> _Watch:
        self.before = self._files()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self._files()
        changes = [Written(p, "added") for p in after if p not in self.before]
        changes += [Written(p, "changed") for p in after if p in self.before and after[p] != self.before[p]]
        changes += [Written(p, "removed") for p in self.before if p not in after]
        self.written = sorted(changes, key=lambda w: w.path)

    def _files(self) -> dict[str, _Signature]:
        if not self.root.is_dir():
            return {}
        found = {}
        for path in self.root.rglob("*"):
            info = path.lstat()
            if path.is_file() and not path.is_symlink():
                found[_relative(path, self.project)] = (info.st_ino, info.st_size, info.st_mtime_ns)
        return found


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
