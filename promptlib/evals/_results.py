"""What an eval run found, per sample, per case and in total; the shape of results.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

CaseStatus = Literal["passed", "failed", "new", "blocked", "degenerate", "error", "skipped"]
# Worst first: the order reports sort cases in.
SEVERITY: tuple[CaseStatus, ...] = ("error", "failed", "degenerate", "blocked", "new", "skipped", "passed")
RESULTS_SCHEMA = "promptlib-run/1"


@dataclass
class SampleResult:
    index: int
    file: str  # relative to the run directory
    sha256: str
    width: int
    height: int
    format: str
    mode: str
    hashes: dict[str, str]
    verdict: str
    nearest_golden: str | None = None  # relative to the run directory
    distances: dict[str, int] = field(default_factory=dict)
    votes: int = 0
    note: str = ""
    failures: list[str] = field(default_factory=list)
    cached: bool = False
    # Edits: the share of pixels outside the mask that stayed put, {"unchanged": 0.998, "tolerance": 12}
    outside_mask: dict[str, float] | None = None


@dataclass
class CaseResult:
    suite: str
    case: str
    template_id: str
    status: CaseStatus = "error"
    message: str = ""
    version: int | None = None
    content_hash: str | None = None
    operation: str | None = None
    prompt: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    deployment: str | None = None
    model: str | None = None
    request_hash: str | None = None
    expected_outcome: str = "ok"
    sensitivity: str | None = None
    thresholds: dict[str, int] = field(default_factory=dict)
    policy: dict[str, int] = field(default_factory=dict)
    matches: int = 0
    drawn: int = 0
    samples: list[SampleResult] = field(default_factory=list)
    goldens: list[dict[str, Any]] = field(default_factory=list)
    changed_since_approval: dict[str, Any] | None = None
    requests: int = 0
    cache_hits: int = 0
    cost: float = 0.0
    estimated_cost: float = 0.0
    tokens: int = 0
    retries: int = 0  # attempts beyond the first, over all the case's requests
    rate_limited: int = 0  # of those attempts, how many were answered 429
    read_timeouts: int = 0  # attempts that got no answer in time (each retried once at most: it may be billed)
    warnings: list[str] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)  # an edit's image(s) and mask, copied into the run
    suite_path: str | None = None  # the suite file (relative to the project) and the line of the case's entry
    line: int | None = None

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.case}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"key": self.key}


@dataclass
class RunResult:
    run_id: str
    created_at: str
    deployments: list[str]
    full_run: bool
    hash_spec: dict[str, Any]
    cases: list[CaseResult]
    unused_goldens: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # run-level, e.g. a cache that could not be written
    # Suite entries that yield no runnable case (unreadable suite, from_examples typo, a case id used twice):
    # {"suite", "path", "line", "message"}; each counts as an error.
    suite_errors: list[dict[str, Any]] = field(default_factory=list)
    # Emulator deployments the run used, and the model each stands in for: their costs are estimates, not bills.
    emulated: dict[str, str] = field(default_factory=dict)
    disk_bytes: int = 0  # what the run directory holds of its own
    shared_bytes: int = 0  # ... and shares by hard link with the cache, the goldens and other runs
    wall_time_s: float = 0.0
    promptlib_version: str = ""
    # For `eval --changed-since`: the revision, what was skipped and, per changed template, the rendered-prompt
    # diff (see _changed.ChangedSelection.to_json); None for an ordinary run.
    changed_since: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITY, 0)
        for case in self.cases:
            counts[case.status] += 1
        counts["error"] += len(self.suite_errors)
        return counts

    @property
    def ok(self) -> bool:
        return not self.suite_errors and all(case.status == "passed" for case in self.cases)

    def totals(self) -> dict[str, Any]:
        return {
            "cases": len(self.cases),
            "requests": sum(c.requests for c in self.cases),
            "retries": sum(c.retries for c in self.cases),
            "rate_limited": sum(c.rate_limited for c in self.cases),
            "read_timeouts": sum(c.read_timeouts for c in self.cases),
            "cache_hits": sum(c.cache_hits for c in self.cases),
            "images": sum(len(c.samples) for c in self.cases),
            "tokens": sum(c.tokens for c in self.cases),
            "cost_usd": round(sum(c.cost for c in self.cases), 6),
            "estimated_cost_usd": round(sum(c.estimated_cost for c in self.cases), 6),
            "wall_time_s": round(self.wall_time_s, 3),
            "disk_bytes": self.disk_bytes,
            "shared_bytes": self.shared_bytes,
        }

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.cases, key=lambda c: (SEVERITY.index(c.status), c.key))
        return {
            "schema": RESULTS_SCHEMA,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "promptlib_version": self.promptlib_version,
            "deployments": self.deployments,
            "full_run": self.full_run,
            "ok": self.ok,
            "counts": self.counts(),
            "totals": self.totals(),
            "hash_spec": self.hash_spec,
            "unused_goldens": self.unused_goldens,
            "warnings": self.warnings,
            "suite_errors": self.suite_errors,
            "emulated": self.emulated,
            "changed_since": self.changed_since,
            "cases": [c.to_dict() for c in ordered],
        }
