"""What an eval run found, per sample, per case and in total: the typed contract of results.json.

CI users parse results.json, reviewers download it, `report merge` joins several, `approve` trusts none of
them. So the shape is a pydantic model with a schema id (and a published JSON Schema, `promptlib schema`):
`RunResult.from_json` validates a file someone else wrote (older names are read too), `to_json` writes one.
Fields a newer promptlib added survive a round trip (`extra="allow"`), so merging runs of mixed versions
loses nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from promptlib.core._safe_text import one_line

#: Worst first: the order every report sorts cases in (a status this version does not know sorts first).
#: Statuses and verdicts stay open strings: a run written by a newer promptlib still loads, and an older run's
#: verdict names (`duplicate`, ...) reach the report as written, which maps them with `verdict_of`.
SEVERITY: tuple[str, ...] = ("error", "failed", "degenerate", "blocked", "new", "skipped", "passed")
RESULTS_SCHEMA = "promptlib-run/2"
READABLE_SCHEMAS = ("promptlib-run/1", RESULTS_SCHEMA)
_COMPUTED = ("ok", "counts", "totals", "key")


def severity(status: object) -> int:
    """Position in SEVERITY; unknown statuses first, because nobody has judged them yet."""
    return SEVERITY.index(status) if status in SEVERITY else -1


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


Point = tuple[float, float]


class TextLineRead(_Result):
    """One line of text OCR read in a sample, with its outline (corners in image pixels, clockwise from top-left)."""

    text: str = Field(max_length=1000)
    box: list[Point] = Field(max_length=8)
    score: float = Field(description="The engine's confidence in the line, 0-1.")


class TextCheck(_Result):
    """One expected text on one sample: what was looked for, whether it was found, and what was read where."""

    expected: list[str] = Field(max_length=20, description="The alternatives (any one will do).")
    min_similarity: float
    found: bool
    best: str = Field(description="The alternative closest to what was read.")
    similarity: float
    read: str = Field("", description="What was read where the text is best matched ('' when nothing similar).")
    boxes: list[Annotated[list[Point], Field(max_length=8)]] = Field(
        default_factory=list, max_length=500, description="Outlines of the lines `read` came from, in image pixels."
    )
    message: str = Field("", description="\"text '20% off' not found; read '2O% of'\" or \"... found as ...\".")


class SampleText(_Result):
    """What OCR read in one sample and how each expected text fared: the data a page draws the boxes from."""

    engine: str
    lines: list[TextLineRead] = Field(default_factory=list, max_length=500)
    checks: list[TextCheck] = Field(default_factory=list, max_length=20)

    @property
    def shows_all(self) -> bool:
        return all(check.found for check in self.checks)


class SampleResult(_Result):
    """One sample: its file in the run, its fingerprint, and how it compared with the goldens."""

    index: int
    file: str = Field(description="Relative to the run directory.")
    sha256: str
    width: int
    height: int
    format: str
    mode: str
    hashes: dict[str, str]
    verdict: str = Field(
        description="identical, near-identical, match, miss, looks-rejected, blank or unchecked (older runs: "
        "duplicate, similar, near, far, rejected-dup, degenerate)."
    )
    nearest_golden: str | None = Field(None, description="Relative to the run directory.")
    distances: dict[str, int] = Field(default_factory=dict)
    votes: int = 0
    note: str = ""
    failures: list[str] = Field(default_factory=list)
    cached: bool = False
    outside_mask: dict[str, float] | None = Field(
        None, description='Edits: the share of pixels outside the mask that stayed put, {"unchanged", "tolerance"}.'
    )
    text: SampleText | None = Field(None, description="Cases that expect text: what OCR read, and each check.")


class CaseText(_Result):
    """A case's text verdict: every expected text must be found in `needed` of its samples (its m of K)."""

    expected: list[list[str]] = Field(default_factory=list, description="Each expected text's alternatives.")
    showing: int = Field(0, description="Samples in which every expected text was found.")
    needed: int = 1
    misses: list[str] = Field(default_factory=list, description="One line per missed text: what was read instead.")


class CaseResult(_Result):
    """One case: what was rendered and sent, what came back, and the verdict."""

    suite: str
    case: str
    template_id: str
    status: str = Field("error", description="passed, failed, new, blocked, degenerate, error or skipped.")
    message: str = ""
    version: int | None = None
    content_hash: str | None = None
    operation: str | None = None
    prompt: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    deployment: str | None = None
    model: str | None = None
    request_hash: str | None = None
    expected_outcome: str = "ok"
    sensitivity: str | None = None
    thresholds: dict[str, int] = Field(default_factory=dict)
    policy: dict[str, int] = Field(default_factory=dict)
    matches: int = 0
    drawn: int = 0
    samples: list[SampleResult] = Field(default_factory=list)
    goldens: list[dict[str, Any]] = Field(default_factory=list)
    changed_since_approval: dict[str, Any] | None = None
    requests: int = 0
    cache_hits: int = 0
    cost: float = 0.0
    estimated_cost: float = 0.0
    tokens: int = 0
    retries: int = Field(0, description="Attempts beyond the first, over all the case's requests.")
    rate_limited: int = Field(0, description="Of those attempts, how many were answered 429.")
    read_timeouts: int = Field(0, description="Attempts that got no answer in time (each retried once at most).")
    warnings: list[str] = Field(default_factory=list)
    inputs: list[dict[str, Any]] = Field(default_factory=list, description="An edit's image(s) and mask, in the run.")
    suite_path: str | None = Field(None, description="The suite file, relative to the project.")
    line: int | None = Field(None, description="The line of the case's entry in the suite file.")
    text: CaseText | None = Field(None, description="Cases that expect text: how many samples showed all of it.")

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.case}"

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json") | {"key": self.key}


class RunResult(_Result):
    """One run: its cases, and what the run as a whole says (counts, totals and `ok` are computed)."""

    schema_: str = Field(RESULTS_SCHEMA, alias="schema")
    run_id: str
    created_at: str
    deployments: list[str] = Field(default_factory=list)
    full_run: bool = False
    hash_spec: dict[str, Any] = Field(default_factory=dict)
    cases: list[CaseResult] = Field(default_factory=list)
    unused_goldens: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="Run-level, e.g. a cache that could not be written.")
    suite_errors: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Suite entries that yield no case: {"suite", "path", "line", "message"}; each counts as an error.',
    )
    emulated: dict[str, str] = Field(
        default_factory=dict, description="Emulator deployments used, and the model each stands in for."
    )
    disk_bytes: int = Field(0, description="What the run directory holds of its own.")
    shared_bytes: int = Field(0, description="What it shares by hard link with the cache, goldens and other runs.")
    wall_time_s: float = 0.0
    promptlib_version: str = ""
    changed_since: dict[str, Any] | None = Field(
        None, description="`eval --changed-since`: the revision, what was skipped, each changed template's diff."
    )

    @classmethod
    def from_json(cls, data: object) -> RunResult:
        """A results.json as read from disk; ValueError (one line, naming the field) when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("results.json is not a JSON object")
        schema = data.get("schema", READABLE_SCHEMAS[0])
        if schema not in READABLE_SCHEMAS:
            raise ValueError(f"results.json has schema {schema!r}; this promptlib reads {', '.join(READABLE_SCHEMAS)}")
        body = {key: value for key, value in data.items() if key not in _COMPUTED}
        body["cases"] = [_case_body(case) for case in body.get("cases") or []]
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"results.json is malformed at {where}: {first['msg']}") from None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITY, 0)
        for case in self.cases:
            counts[case.status] = counts.get(case.status, 0) + 1
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

    def to_json(self) -> dict[str, Any]:
        """results.json: cases worst first, with the computed counts, totals and verdict."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"cases"})
        ordered = sorted(self.cases, key=lambda c: (severity(c.status), c.key))
        return data | {
            "ok": self.ok,
            "counts": self.counts(),
            "totals": self.totals(),
            "cases": [case.to_json() for case in ordered],
        }

    def to_dict(self) -> dict[str, Any]:
        """Alias of `to_json` (the name older callers use)."""
        return self.to_json()


def _case_body(case: object) -> object:
    """A case entry without its computed key; a key that names another case is a doctored file, refused."""
    if not isinstance(case, dict):
        return case
    key = case.get("key")
    if key is not None and key != f"{case.get('suite')}/{case.get('case')}":
        suite, name = one_line(case.get("suite")), one_line(case.get("case"))
        raise ValueError(
            f"results.json is inconsistent: {one_line(key)!r} claims suite {suite!r} and case {name!r}; re-download it"
        )
    return {name: value for name, value in case.items() if name != "key"}


def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json, published with the other schemas."""
    schema = RunResult.model_json_schema(by_alias=True)
    schema["title"] = "promptlib run results (results.json)"
    return schema
