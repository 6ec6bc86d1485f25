"""Approve and reject from a run directory: the reviewer's side of the golden workflow.

CI never writes goldens. An author downloads (or locally produces) a run, looks
at report.html, and approves chosen samples; the PR then shows the new golden
images and the manifest diff, and reviewers approve the PR.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._goldens import ApprovalSource, Candidate, CaseManifest, GoldenStore, TemplateRef
from ._hashing import parse_hex
from .exceptions import UsageError


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


def _case_entries(results: dict[str, Any], keys: Sequence[str], all_new: bool) -> list[dict[str, Any]]:
    by_key = {c["key"]: c for c in results["cases"]}
    if all_new:
        chosen = [c for c in results["cases"] if c["status"] == "new"]
        if not chosen and not keys:
            raise UsageError("the run has no new cases; name cases with --case SUITE/CASE")
    else:
        chosen = []
    for key in keys:
        if key not in by_key:
            known = ", ".join(sorted(by_key))
            raise UsageError(f"the run has no case {key!r}; it has: {known}")
        if by_key[key] not in chosen:
            chosen.append(by_key[key])
    if not chosen:
        raise UsageError("say which cases to approve: --case SUITE/CASE (repeatable) or --all-new")
    return chosen


def _candidates(
    run_path: Path, results: dict[str, Any], case: dict[str, Any], samples: Sequence[int]
) -> list[Candidate]:
    available = {s["index"]: s for s in case["samples"]}
    if not available:
        raise UsageError(f"{case['key']} has no samples in this run ({case['status']}: {case['message']})")
    indices = list(samples) or [i for i, s in available.items() if s["verdict"] not in ("degenerate", "rejected-dup")]
    candidates = []
    for index in indices:
        if index not in available:
            raise UsageError(f"{case['key']} has no sample {index}; samples: {', '.join(map(str, available))}")
        path = run_path / available[index]["file"]
        if not path.resolve().is_relative_to(run_path.resolve()):  # results.json may come from someone else's CI
            raise UsageError(f"sample {index} of {case['key']} points outside the run directory", path=path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read sample {index} of {case['key']}: {exc.strerror}", path=path) from None
        candidates.append(Candidate(data=data, source_run=results["run_id"], sample=index))
    return candidates


def _source(case: dict[str, Any]) -> ApprovalSource:
    if case.get("content_hash") is None or case.get("request_hash") is None:
        raise UsageError(f"{case['key']} did not render or run in this run; nothing to approve")
    return ApprovalSource(
        template=TemplateRef(id=case["template_id"], version=case["version"], content_hash=case["content_hash"]),
        operation=case["operation"],
        prompt=case["prompt"],
        parameters=case["parameters"],
        request_hash=case["request_hash"],
        deployment=case["deployment"],
        model=case["model"],
    )


def other_goldens(store: GoldenStore, suite: str, case: str) -> list[dict[str, int]]:
    """Hashes of every other case's goldens: the "unrelated" side of calibration."""
    hashes: list[dict[str, int]] = []
    for other_suite, other_case in store.cases():
        if (other_suite, other_case) == (suite, case):
            continue
        manifest = store.load(other_suite, other_case, verify=False)
        if manifest is not None:
            hashes.extend(parse_hex(g.hashes) for g in manifest.goldens)
    return hashes


def approve_from_run(
    store: GoldenStore,
    run_path: Path,
    results: dict[str, Any],
    *,
    cases: Sequence[str],
    samples: Sequence[int],
    all_new: bool,
    by: str,
    add: bool,
) -> list[Approved]:
    entries = _case_entries(results, cases, all_new)
    if samples and len(entries) > 1:
        raise UsageError("--sample picks samples of one case; approve one --case at a time when choosing samples")
    approved = []
    for case in entries:
        candidates = _candidates(run_path, results, case, samples)
        manifest = store.approve(
            case["suite"], case["case"], _source(case), candidates, approved_by=by, replace=not add,
            others=other_goldens(store, case["suite"], case["case"]),
        )
        approved.append(Approved(case["key"], manifest, len(candidates)))
    # Every case's "unrelated" side just changed: calibrate all of them again against the final golden sets
    # (the first cases of a batch missed the later ones; older cases may now have look-alikes).
    by_key = {item.key: i for i, item in enumerate(approved)}
    for suite, case_id in list(store.cases()):
        manifest = store.recalibrate(suite, case_id, other_goldens(store, suite, case_id))
        index = by_key.get(f"{suite}/{case_id}")
        if index is not None:
            approved[index] = Approved(approved[index].key, manifest, approved[index].added)
    return approved


def reject_from_run(
    store: GoldenStore, run_path: Path, results: dict[str, Any], *, case_key: str, sample: int, reason: str, by: str
) -> CaseManifest:
    (case,) = _case_entries(results, [case_key], all_new=False)
    (candidate,) = _candidates(run_path, results, case, [sample])
    return store.reject(case["suite"], case["case"], candidate.data, reason=reason, by=by,
                        source_run=results["run_id"])
