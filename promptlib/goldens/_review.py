"""Approve and reject from a run directory: the reviewer's side of the golden workflow.

CI never writes goldens. An author downloads (or locally produces) a run, looks
at report.html, and approves chosen samples; the PR then shows the new golden
images and the manifest diff, and reviewers approve the PR.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from promptlib.core._bounded import IMAGE_LIMIT, ReadRefused, read_bytes
from promptlib.core._image_files import ImageRefused, header
from promptlib.core._safe_text import one_line
from promptlib.exceptions import UsageError
from promptlib.goldens._compare import NOT_APPROVED_BY_DEFAULT, nearly_identical, verdict_of
from promptlib.goldens._hashing import fingerprint
from promptlib.goldens._manifest import ApprovalSource, Candidate, CaseManifest, TemplateRef
from promptlib.goldens._store import GoldenStore


def reviewer_name(explicit: str | None) -> str:
    """--by, else git's user.name, else the login name."""
    if explicit:
        return explicit
    try:
        name = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or os.environ.get("USER") or getpass.getuser()


@dataclass(frozen=True)
class Approved:
    key: str
    manifest: CaseManifest
    added: int
    skipped: tuple[str, ...] = ()  # samples left out, each with why ("sample 1: looks like a rejected image: …")
    stale: str | None = None  # the run rendered an older version of the template than the one checked out


@dataclass(frozen=True)
class ProjectCase:
    """What the project (not the run) says a case is: its key, and the image it must be."""

    suite: str
    case: str
    size: str | None  # expect.size, else the template's size (None for `auto`)
    format: str | None  # expect.format, else the template's output_format (png by default)
    version: int | None = None  # the template as checked out now (None when it does not load)
    content_hash: str | None = None


def _case_entries(run_path: Path, results: dict[str, Any], keys: Sequence[str], all_new: bool) -> list[dict[str, Any]]:
    cases = [c for c in results["cases"] if isinstance(c, dict) and isinstance(c.get("key"), str)]
    by_key = {c["key"]: c for c in cases}
    chosen = [c for c in cases if c.get("status") == "new"] if all_new else []
    if all_new and not chosen and not keys:
        raise UsageError(f"the run at {run_path} has no new cases; name cases with --case SUITE/CASE")
    for key in keys:
        if key not in by_key:
            known = ", ".join(one_line(k) for k in sorted(by_key)) or "none"
            raise UsageError(f"the run at {run_path} has no case {one_line(key)!r}; it has: {known}")
        if by_key[key] not in chosen:
            chosen.append(by_key[key])
    if not chosen:
        raise UsageError("say which cases to approve: --case SUITE/CASE (repeatable) or --all-new")
    return chosen


def _target(run_path: Path, case: dict[str, Any], known: Mapping[str, ProjectCase]) -> ProjectCase:
    """The project's case for a run's case entry, from its key alone; results.json may have been doctored."""
    key = case["key"]
    target = known.get(key)
    if target is None:
        raise UsageError(
            f"{one_line(key)!r} (in the run at {run_path}) is not a case of this project's suites; "
            "approve only cases the checked-out suites define"
        )
    if (case.get("suite"), case.get("case")) != (target.suite, target.case):
        raise UsageError(
            f"the run at {run_path} is inconsistent: {one_line(key)!r} claims suite "
            f"{one_line(case.get('suite'))!r} and case {one_line(case.get('case'))!r}; re-download it"
        )
    return target


def _candidates(
    run_path: Path,
    results: dict[str, Any],
    case: dict[str, Any],
    samples: Sequence[int],
    target: ProjectCase,
    skipped: list[str] | None = None,
) -> list[Candidate]:
    """The samples to approve: those named, else every sample but blank ones and look-alikes of rejected
    images (each left out is named in `skipped`, with why)."""
    available = {s["index"]: s for s in case.get("samples") or [] if isinstance(s, dict)}
    if not available:
        raise UsageError(
            f"{target.suite}/{target.case} has no samples in this run ({one_line(case.get('status'))}: "
            f"{one_line(case.get('message'))})"
        )
    left_out = {i: _why_not(s) for i, s in available.items() if verdict_of(s.get("verdict")) in NOT_APPROVED_BY_DEFAULT}
    left_out |= {i: why for i, s in available.items() if i not in left_out and (why := _missed_text(s))}
    indices = list(samples) or [i for i in available if i not in left_out]
    if not samples and skipped is not None:
        skipped += [f"sample {i}: {why}" for i, why in left_out.items()]
    if not indices:
        raise UsageError(
            f"every sample of {target.suite}/{target.case} in this run is blank, looks like a rejected image or "
            "misses its expected text; pick one with --sample N, or `promptlib unreject` a rejection made by mistake"
        )
    candidates = []
    for index in indices:
        if index not in available:
            raise UsageError(
                f"{target.suite}/{target.case} has no sample {index}; samples: {', '.join(map(str, available))}"
            )
        data = _sample_bytes(run_path, available[index], index, target)
        candidates.append(Candidate(data=data, source_run=str(results.get("run_id")), sample=index))
    return candidates


def _why_not(sample: dict[str, Any]) -> str:
    return one_line(sample.get("note") or sample.get("verdict"))


def _missed_text(sample: dict[str, Any]) -> str | None:
    """Why a sample whose expected text OCR did not find should not become a golden (None when it showed it)."""
    text = sample.get("text")
    checks = text.get("checks") if isinstance(text, dict) else None
    for check in checks if isinstance(checks, list) else []:
        if isinstance(check, dict) and check.get("found") is False:
            return one_line(check.get("message") or "its expected text was not found")
    return None


def _sample_bytes(run_path: Path, sample: dict[str, Any], index: int, target: ProjectCase) -> bytes:
    """A sample image from the run, read bounded, and checked to be the image the case asks for."""
    what = f"sample {index} of {target.suite}/{target.case}"
    path = run_path / str(sample.get("file"))
    try:
        if path.is_symlink():
            raise ReadRefused("is a symbolic link")
        data = read_bytes(path, within=run_path, limit=IMAGE_LIMIT)
        found = header(data)
    except (ReadRefused, ImageRefused) as exc:
        raise UsageError(f"{what} {exc}; it cannot become a golden", path=path) from None
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror}", path=path) from None
    if target.size is not None and found.size != target.size:
        raise UsageError(
            f"{what} is {found.size} but the case expects {target.size}; it cannot become a golden", path=path
        )
    if target.format is not None and found.format != target.format:
        raise UsageError(
            f"{what} is {found.format} but the case expects {target.format}; it cannot become a golden", path=path
        )
    return data


def _source(case: dict[str, Any]) -> ApprovalSource:
    key = one_line(case["key"])
    if case.get("content_hash") is None or case.get("request_hash") is None:
        raise UsageError(f"{key} did not render or run in this run; nothing to approve")
    try:
        source = ApprovalSource(
            template=TemplateRef(id=case["template_id"], version=case["version"], content_hash=case["content_hash"]),
            operation=str(case["operation"]),
            prompt=str(case["prompt"]),
            parameters=dict(case["parameters"]),
            request_hash=str(case["request_hash"]),
            deployment=str(case["deployment"]),
            model=str(case["model"]),
        )
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"the run's entry for {key} is malformed; re-download the run") from None
    return source


def other_goldens(store: GoldenStore, suite: str, case: str) -> Sequence[dict[str, int]]:
    """Hashes of every other case's goldens: the "unrelated" side of calibration."""
    return store.others(suite, case)


@dataclass(frozen=True)
class ApprovalPlan:
    """One case's approval, checked and read but not yet written: what `approve` (or a dry run) would do."""

    target: ProjectCase
    source: ApprovalSource
    candidates: tuple[Candidate, ...]
    skipped: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.target.suite}/{self.target.case}"


def plan_approvals(
    run_path: Path,
    results: dict[str, Any],
    *,
    known: Mapping[str, ProjectCase],
    cases: Sequence[str],
    samples: Sequence[int],
    all_new: bool,
) -> list[ApprovalPlan]:
    """Every case's approval checked (the key, the run's entry, each sample's bytes) before anything is written."""
    entries = _case_entries(run_path, results, cases, all_new)
    if samples and len(entries) > 1:
        raise UsageError("--sample picks samples of one case; approve one --case at a time when choosing samples")
    plans = []
    for case in entries:
        target = _target(run_path, case, known)
        skipped: list[str] = []
        candidates = _candidates(run_path, results, case, samples, target, skipped)
        plans.append(ApprovalPlan(target, _source(case), tuple(candidates), tuple(skipped)))
    return plans


def write_approvals(store: GoldenStore, plans: Sequence[ApprovalPlan], *, by: str, add: bool) -> list[Approved]:
    """Write checked plans into the store, then recalibrate every case against the final golden sets."""
    approved = []
    for plan in plans:
        target = plan.target
        manifest = store.approve(
            target.suite, target.case, plan.source, plan.candidates, approved_by=by, replace=not add,
            others=other_goldens(store, target.suite, target.case),
        )  # fmt: skip
        approved.append(
            Approved(plan.key, manifest, len(plan.candidates), plan.skipped, _staleness(plan.source, target))
        )
    recalibrated = recalibrate_all(store)
    return [replace(item, manifest=recalibrated.get(item.key, item.manifest)) for item in approved]


def approve_from_run(
    store: GoldenStore,
    run_path: Path,
    results: dict[str, Any],
    *,
    known: Mapping[str, ProjectCase],
    cases: Sequence[str],
    samples: Sequence[int],
    all_new: bool,
    by: str,
    add: bool,
) -> list[Approved]:
    """Approve samples of a run as goldens of the project's cases (``known``), writing only under the store."""
    plans = plan_approvals(run_path, results, known=known, cases=cases, samples=samples, all_new=all_new)
    return write_approvals(store, plans, by=by, add=add)


def _staleness(source: ApprovalSource, target: ProjectCase) -> str | None:
    """Why these goldens show an older template than the one checked out, or None."""
    if target.content_hash is None or source.template.content_hash == target.content_hash:
        return None
    return (
        f"the run rendered {source.template.id} v{source.template.version}, but the template is now "
        f"v{target.version}: these goldens show the old version (run `promptlib eval` and approve from that run)"
    )


def recalibrate_all(store: GoldenStore) -> dict[str, CaseManifest]:
    """Calibrate every case again against the final golden sets, after any change to one of them.

    Each case's "unrelated" side is every other case's goldens, so approving, rejecting or pruning one case
    moves the others' thresholds too (and `check` insists that every case.json holds what its goldens give).
    """
    manifests: dict[str, CaseManifest] = {}
    every = store.golden_hashes()
    for suite, case_id in every:  # an unreadable manifest is left alone: check reports it
        manifests[f"{suite}/{case_id}"] = store.recalibrate(suite, case_id, store.others(suite, case_id, every))
    return manifests


@dataclass(frozen=True)
class RejectionPlan:
    """One sample's rejection, checked and read but not yet written."""

    target: ProjectCase
    sample: int
    candidate: Candidate

    @property
    def key(self) -> str:
        return f"{self.target.suite}/{self.target.case}"


def plan_rejection(
    run_path: Path, results: dict[str, Any], *, known: Mapping[str, ProjectCase], case_key: str, sample: int
) -> RejectionPlan:
    """The sample's bytes, read and checked like an approval's (key, run entry, size, format)."""
    (case,) = _case_entries(run_path, results, [case_key], all_new=False)
    target = _target(run_path, case, known)
    (candidate,) = _candidates(run_path, results, case, [sample], target)
    return RejectionPlan(target, sample, candidate)


def write_rejection(store: GoldenStore, plan: RejectionPlan, *, reason: str, by: str) -> CaseManifest:
    target = plan.target
    store.reject(
        target.suite, target.case, plan.candidate.data, reason=reason, by=by, source_run=plan.candidate.source_run
    )
    return recalibrate_all(store)[plan.key]


def reject_from_run(
    store: GoldenStore,
    run_path: Path,
    results: dict[str, Any],
    *,
    known: Mapping[str, ProjectCase],
    case_key: str,
    sample: int,
    reason: str,
    by: str,
    force: bool = False,
) -> CaseManifest:
    plan = plan_rejection(run_path, results, known=known, case_key=case_key, sample=sample)
    if not force:
        _refuse_a_golden_look_alike(store, plan.target, sample, plan.candidate.data)
    return write_rejection(store, plan, reason=reason, by=by)


def golden_look_alike(
    target: ProjectCase, sample: int, data: bytes, goldens: Sequence[tuple[str, dict[str, int]]], names: Sequence[str]
) -> str | None:
    """Why rejecting this sample would fail later good samples (it nearly copies golden `names[i]`), or None."""
    try:
        hashes = fingerprint(data).hashes
    except ValueError:
        return None
    near = nearly_identical(hashes, goldens)
    if near is None:
        return None
    index, distances = near
    shown = ", ".join(f"{alg} {value}" for alg, value in distances.items())
    return (
        f"sample {sample} of {target.suite}/{target.case} is nearly identical to golden "
        f"{names[index]} ({shown}): rejecting it would make later samples that look like the "
        "goldens fail too. Approve other samples first (`promptlib approve --case ... --sample N`), or pass --force "
        "if that look really is wrong"
    )


def _refuse_a_golden_look_alike(store: GoldenStore, target: ProjectCase, sample: int, data: bytes) -> None:
    """A rejected image fails every later sample that looks like it: rejecting a near-copy of a golden would
    make the case fail on most runs. Refuse without --force, saying which golden and how close."""
    manifest = store.load(target.suite, target.case, verify=False)
    if manifest is None:
        return
    names = [golden.file for golden in manifest.goldens]
    problem = golden_look_alike(target, sample, data, manifest.golden_hashes(), names)
    if problem is not None:
        raise UsageError(problem)
