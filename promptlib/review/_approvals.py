"""approvals.json: decisions ticked in a static report.html, applied by `promptlib approve --from FILE`.

The file is written by a browser from a page someone else's run produced, then handed to the command line: it is
untrusted. It is read bounded and strictly (`ApprovalsFile`, schema `promptlib-approvals/1`, published by
`promptlib schema`), must name the run it is applied to, and each decision must name the sample by its sha256 as
the reviewer saw it: a sample whose bytes changed after review is refused. Every decision is then planned through
the same code as `approve` and `reject` (case key, run entry, size, format, confinement) before anything is
written, so a bad entry leaves the goldens untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from promptlib._library import Library
from promptlib.core._bounded import TEXT_LIMIT, ReadRefused, parse_json, read_bytes
from promptlib.core._safe_text import one_line
from promptlib.evals._cases import approvable_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import UsageError
from promptlib.goldens._hashing import fingerprint
from promptlib.goldens._review import ApprovalPlan, RejectionPlan, golden_look_alike, plan_approvals, plan_rejection
from promptlib.review._decisions import Outcome, apply_plans
from promptlib.review._runs import ReviewRun

APPROVALS_SCHEMA: Literal["promptlib-approvals/1"] = "promptlib-approvals/1"
_SHA256 = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SampleDecision(_Strict):
    """One sample's decision, naming the image by the sha256 the reviewer was shown."""

    sample: int = Field(ge=0, le=1000)
    sha256: str = Field(pattern=_SHA256)
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=2000, description="Why the image is bad; required for a rejection.")

    @model_validator(mode="after")
    def _rejection_has_reason(self) -> SampleDecision:
        if self.decision == "reject" and not self.reason.strip():
            raise ValueError(f"sample {self.sample} is rejected without a reason")
        return self


class CaseDecisions(_Strict):
    key: str = Field(max_length=400, description="suite/case, as in results.json.")
    add: bool = Field(False, description="Add the approved samples to the golden set instead of replacing it.")
    samples: list[SampleDecision] = Field(min_length=1, max_length=100)


class ApprovalsFile(_Strict):
    """approvals.json, as report.html's "Export approvals.json" writes it."""

    schema_: Literal["promptlib-approvals/1"] = Field(APPROVALS_SCHEMA, alias="schema")
    run_id: str = Field(max_length=200, description="The run the decisions were made on.")
    exported_at: str | None = Field(None, max_length=64)
    cases: list[CaseDecisions] = Field(min_length=1, max_length=10_000)


def approvals_schema() -> dict[str, Any]:
    schema = ApprovalsFile.model_json_schema(by_alias=True)
    schema["title"] = "promptlib approvals exported from report.html (approvals.json)"
    return schema


def read_approvals(path: Path) -> ApprovalsFile:
    """The file, read bounded and validated; UsageError (one line naming the file) otherwise."""
    fix = "export it again from report.html"
    try:
        raw = parse_json(read_bytes(path, within=path.parent, limit=TEXT_LIMIT))
    except FileNotFoundError:
        raise UsageError("no such file", path=path) from None
    except ReadRefused as exc:
        raise UsageError(f"the file {exc}; {fix}", path=path) from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"is not valid JSON ({one_line(exc)}); {fix}", path=path) from None
    try:
        return ApprovalsFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise UsageError(
            f"is not a promptlib approvals file at {where}: {one_line(first['msg'])}; {fix}", path=path
        ) from None


@dataclass(frozen=True)
class ApprovalsPlan:
    approvals: list[tuple[ApprovalPlan, bool]]  # with `add`
    rejections: list[tuple[RejectionPlan, str]]  # with the reason

    def lines(self) -> list[str]:
        """What applying would do, one line per case and rejection (the dry run prints these)."""
        lines = []
        for plan, add in self.approvals:
            numbers = ", ".join(str(c.sample) for c in plan.candidates)
            how = "added to the golden set" if add else "replacing the golden set"
            lines.append(f"approve {plan.key}: sample(s) {numbers}, {how}")
        for rejection, reason in self.rejections:
            lines.append(f"reject sample {rejection.sample} of {rejection.key}: {one_line(reason)}")
        return lines


def plan_approvals_file(library: Library, run: ReviewRun, approvals: ApprovalsFile, source: Path) -> ApprovalsPlan:
    """Every decision checked against the run and the project; nothing is written."""
    if approvals.run_id != run.run_id:
        raise UsageError(
            f"was exported from run {one_line(approvals.run_id)!r}, but the run at {run.path} is "
            f"{one_line(run.run_id)!r}; pass that run's directory",
            path=source,
        )
    known = approvable_cases(library)
    keys = [entry.key for entry in approvals.cases]
    if len(set(keys)) != len(keys):
        raise UsageError("names a case twice; export it again from report.html", path=source)
    plan = ApprovalsPlan([], [])
    for entry in approvals.cases:
        _plan_case(library, run, entry, known, source, plan)
    return plan


def _plan_case(
    library: Library, run: ReviewRun, entry: CaseDecisions, known: Any, source: Path, plan: ApprovalsPlan
) -> None:
    numbers = [d.sample for d in entry.samples]
    if len(set(numbers)) != len(numbers):
        raise UsageError(f"decides sample {_repeated(numbers)} of {one_line(entry.key)} twice", path=source)
    chosen = [d for d in entry.samples if d.decision == "approve"]
    approval = None
    if chosen:
        (approval,) = plan_approvals(
            run.path, run.results, known=known, cases=[entry.key], samples=[d.sample for d in chosen], all_new=False
        )
        for decision, candidate in zip(chosen, approval.candidates, strict=True):
            _same_image(decision, entry.key, candidate.data, source)
        plan.approvals.append((approval, entry.add))
    for decision in (d for d in entry.samples if d.decision == "reject"):
        rejection = plan_rejection(run.path, run.results, known=known, case_key=entry.key, sample=decision.sample)
        _same_image(decision, entry.key, rejection.candidate.data, source)
        _not_a_golden(library, rejection, approval, entry.add)
        plan.rejections.append((rejection, decision.reason))


def _same_image(decision: SampleDecision, key: str, data: bytes, source: Path) -> None:
    import hashlib

    if hashlib.sha256(data).hexdigest() != decision.sha256:
        raise UsageError(
            f"sample {decision.sample} of {one_line(key)} in the run is not the image that was reviewed (its sha256 "
            "differs from the one recorded); re-download the run and review it again",
            path=source,
        )


def _not_a_golden(library: Library, rejection: RejectionPlan, approval: ApprovalPlan | None, add: bool) -> None:
    """Refuse rejecting a near-copy of a golden the case will have once the file's approvals are applied."""
    target = rejection.target
    goldens: list[tuple[str, dict[str, int]]] = []
    names: list[str] = []
    manifest = golden_store(library).load(target.suite, target.case, verify=False)
    if manifest is not None and (approval is None or add):
        goldens += manifest.golden_hashes()
        names += [g.file for g in manifest.goldens]
    for candidate in approval.candidates if approval is not None else ():
        fp = fingerprint(candidate.data)
        goldens.append((fp.sha256, fp.hashes))
        names.append(f"(sample {candidate.sample}, approved in the same file)")
    problem = golden_look_alike(target, rejection.sample, rejection.candidate.data, goldens, names)
    if problem is not None:
        raise UsageError(problem.replace(", or pass --force if that look really is wrong", ""))


def apply_approvals(library: Library, plan: ApprovalsPlan, *, by: str) -> Outcome:
    return apply_plans(library, plan.approvals, plan.rejections, by=by)


def _repeated(numbers: Sequence[int]) -> int:
    return next(n for n in numbers if numbers.count(n) > 1)
