"""The view model of a whole run: header, run-level problems, filters, legend and the case cards, worst first.

`report_view(results)` reads a results.json dict (old, current or hand-edited) and returns plain values; the page
template prints them. Nothing here builds HTML, so nothing here can forget to escape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promptlib.evals._results import SEVERITY
from promptlib.reports import _display as fmt
from promptlib.reports._cards import CaseView, Href, case_key, case_view
from promptlib.reports._diffs import template_diffs
from promptlib.reports._links import relative_href
from promptlib.reports._verdicts import Verdict, legend

_RANK: dict[str, int] = {status: rank for rank, status in enumerate(SEVERITY)}
EMULATOR_BILLS_NOTHING = "the emulator bills nothing"


@dataclass(frozen=True, slots=True)
class Tile:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class SuiteError:
    """A suite entry that yielded no case (unreadable suite, `from_examples` typo, a case id used twice)."""

    where: str  # "evals/shop.yaml:12"
    message: str


@dataclass(frozen=True, slots=True)
class ChangedTemplate:
    template_id: str
    status: str
    version_change: str


@dataclass(frozen=True, slots=True)
class ChangedSince:
    """For `eval --changed-since`: against what, how much was skipped, which templates changed."""

    ref: str
    commit: str
    ran: str
    skipped: str
    templates: list[ChangedTemplate]
    notes: list[str]


@dataclass(frozen=True, slots=True)
class Filter:
    status: str  # always one of SEVERITY or "all": it becomes an id and a CSS selector
    count: int
    checked: bool = False


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: str
    ok: bool
    verdict: str
    created: str
    disk: str
    deployments: list[str]
    partial: bool
    summary: str
    tiles: list[Tile]
    unused_goldens: list[str]
    suite_errors: list[SuiteError]
    warnings: list[str]
    changed_since: ChangedSince | None
    filters: list[Filter]
    statuses: Sequence[str]  # the statuses the CSS filter knows
    legend: list[Verdict]
    cases: list[CaseView]
    footer: list[str]


def severity_rank(status: str) -> int:
    """Position in SEVERITY; a status this report does not know sorts first, because nobody has judged it yet."""
    return _RANK.get(status, -1)


def sort_cases(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Worst first, then by suite/case, so the cases that need a reviewer are at the top of the page."""
    return sorted(cases, key=lambda c: (severity_rank(str(c.get("status"))), case_key(c)))


def status_counts(cases: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Cases per status, counted from the cases themselves so the filter counts always agree with the cards."""
    counts: dict[str, int] = dict.fromkeys(SEVERITY, 0)
    for case in cases:
        status = str(case.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return counts


def summary_line(results: Mapping[str, Any], cases: Sequence[Mapping[str, Any]]) -> str:
    """`12 passed, 1 failed, 2 new, 1 low-sensitivity`: passes first, then the rest worst first, zeros left out."""
    counts = status_counts(cases)
    order = ["passed", *(s for s in SEVERITY if s != "passed"), *(s for s in counts if s not in SEVERITY)]
    parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
    low = sum(1 for c in cases if c.get("sensitivity") == "low")
    changed = sum(1 for c in cases if c.get("changed_since_approval"))
    unused = len(_strings(results.get("unused_goldens")))
    problems = len(_suite_errors(results))
    extra = (
        (low, "low-sensitivity"),
        (changed, "changed since approval"),
        (unused, "unused golden set" + ("s" if unused != 1 else "")),
        (problems, "suite problem" + ("s" if problems != 1 else "")),
    )
    parts += [f"{n} {label}" for n, label in extra if n]
    return ", ".join(parts) or "no cases"


def report_view(results: Mapping[str, Any], href: Href = relative_href) -> RunView:
    """The page's values for one run's results dict (as saved in results.json)."""
    cases = sort_cases(c for c in _mappings(results.get("cases")))
    run_id = fmt.text(results.get("run_id"))
    diffs = template_diffs(results.get("changed_since"))
    emulated = _emulated(results)
    views = [
        case_view(
            case,
            anchor=f"case-{index}",
            run_id=run_id,
            known_statuses=SEVERITY,
            href=href,
            template_change=diffs.get(str(case.get("template_id"))),
            cost_note=_case_cost_note(case, emulated),
        )
        for index, case in enumerate(cases)
    ]
    ok, verdict = _verdict(results, cases)
    return RunView(
        run_id=run_id or "?",
        ok=ok,
        verdict=verdict,
        created=fmt.date(results.get("created_at")),
        disk=_disk(results),
        deployments=_strings(results.get("deployments")),
        partial=results.get("full_run") is False,
        summary=summary_line(results, cases),
        tiles=_tiles(results, cases, emulated),
        unused_goldens=_strings(results.get("unused_goldens")),
        suite_errors=_suite_errors(results),
        warnings=_strings(results.get("warnings")),
        changed_since=_changed_since(results.get("changed_since")),
        filters=_filters(cases),
        statuses=SEVERITY,
        legend=legend(s.get("verdict") for c in cases for s in _mappings(c.get("samples"))),
        cases=views,
        footer=_footer(results),
    )


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _strings(value: object) -> list[str]:
    return [fmt.text(item) for item in value] if isinstance(value, list) else []


def _verdict(results: Mapping[str, Any], cases: Sequence[Mapping[str, Any]]) -> tuple[bool, str]:
    """The run in one line: all passed, or how many cases (and suite entries) need attention."""
    attention = sum(1 for c in cases if c.get("status") != "passed")
    problems = len(_suite_errors(results))
    ok = bool(results.get("ok", True)) and attention == 0 and problems == 0
    if ok:
        return True, "All cases passed"
    parts = [f"{attention} of {len(cases)} cases need attention"] if attention or not problems else []
    if problems:
        parts.append(f"{problems} suite entr{'ies' if problems != 1 else 'y'} ran no case")
    return False, "; ".join(parts)


def _emulated(results: Mapping[str, Any]) -> dict[str, str]:
    """Emulator deployment → the model whose prices its costs are estimated at."""
    emulated = results.get("emulated")
    return {str(k): fmt.text(v) for k, v in emulated.items()} if isinstance(emulated, Mapping) else {}


def _estimate_note(models: Iterable[str]) -> str:
    named = ", ".join(sorted({m for m in models if m})) or "the model it stands in for"
    return f"estimate for {named}; {EMULATOR_BILLS_NOTHING}"


def _case_cost_note(case: Mapping[str, Any], emulated: Mapping[str, str]) -> str:
    deployment = fmt.text(case.get("deployment"))
    return _estimate_note([emulated[deployment]]) if deployment in emulated else ""


def _cost_note(results: Mapping[str, Any], cases: Sequence[Mapping[str, Any]], emulated: Mapping[str, str]) -> str:
    """Say which part of the run's cost was never billed: emulator costs are what the real model would cost."""
    on_emulator = [c for c in cases if fmt.text(c.get("deployment")) in emulated]
    if not on_emulator:
        deployments = _strings(results.get("deployments"))
        if not cases and deployments and all(d in emulated for d in deployments):
            return _estimate_note(emulated[d] for d in deployments)
        return ""
    models = [emulated[fmt.text(c.get("deployment"))] for c in on_emulator]
    if len(on_emulator) == len(cases):
        return _estimate_note(models)
    share = sum(float(c["cost"]) for c in on_emulator if isinstance(c.get("cost"), int | float))
    return f"{fmt.money(share)} of it is an {_estimate_note(models)}" if share else ""


def _tiles(results: Mapping[str, Any], cases: Sequence[Mapping[str, Any]], emulated: Mapping[str, str]) -> list[Tile]:
    """The run's cost and volume, as a row of small stat tiles."""
    totals = results.get("totals")
    totals = totals if isinstance(totals, Mapping) else {}
    tiles = [
        Tile("Cases", f"{fmt.count(totals.get('cases', len(cases))):,}"),
        Tile("Requests", f"{fmt.count(totals.get('requests')):,}"),
        Tile("Cache hits", f"{fmt.count(totals.get('cache_hits')):,}"),
        Tile("Images", f"{fmt.count(totals.get('images')):,}"),
        Tile("Tokens", f"{fmt.count(totals.get('tokens')):,}"),
        Tile("Cost", fmt.money(totals.get("cost_usd")), _cost_note(results, cases, emulated)),
        Tile("Est. cost", fmt.money(totals.get("estimated_cost_usd"))),
        Tile("Wall time", fmt.duration(totals.get("wall_time_s"))),
    ]
    return tiles + _retry_tiles(totals)


def _retry_tiles(totals: Mapping[str, Any]) -> list[Tile]:
    """Retries, only when there were any: a flaky deployment should be visible (a read timeout may be billed)."""
    retries = fmt.count(totals.get("retries"))
    if not retries:
        return []
    note = f"{fmt.count(totals.get('rate_limited')):,} rate-limited (429)"
    timeouts = fmt.count(totals.get("read_timeouts"))
    note += f", {timeouts:,} read timeout{'s' if timeouts != 1 else ''}" if timeouts else ""
    return [Tile("Retries", f"{retries:,}", note)]


def _disk(results: Mapping[str, Any]) -> str:
    """What keeping the run costs: its own bytes, and what it shares by hard link with the cache and goldens."""
    totals = results.get("totals")
    totals = totals if isinstance(totals, Mapping) else {}
    own, shared = fmt.count(totals.get("disk_bytes")), fmt.count(totals.get("shared_bytes"))
    if not own and not shared:
        return ""
    return f"{fmt.size(own)} on disk" + (
        f" ({fmt.size(shared)} more shared with the cache and goldens)" if shared else ""
    )


def _suite_errors(results: Mapping[str, Any]) -> list[SuiteError]:
    """Suite problems, each at its file and line (or the suite's name when the results lack a path)."""
    errors = []
    for problem in _mappings(results.get("suite_errors")):
        where = fmt.text(problem.get("path") or problem.get("suite") or "?")
        line = problem.get("line")
        errors.append(SuiteError(where=f"{where}:{line}" if line else where, message=fmt.text(problem.get("message"))))
    return errors


def _changed_since(changed: object) -> ChangedSince | None:
    if not isinstance(changed, Mapping):
        return None
    held = changed.get("templates")
    templates: Mapping[str, Any] = held if isinstance(held, Mapping) else {}
    rows = [
        ChangedTemplate(fmt.text(tid), fmt.text(t.get("status")), fmt.text(t.get("version_change")))
        for tid, t in sorted(templates.items())
        if isinstance(t, Mapping)
    ]
    return ChangedSince(
        ref=fmt.text(changed.get("ref")),
        commit=fmt.text(changed.get("commit"))[:12],
        ran=fmt.text(changed.get("ran")),
        skipped=fmt.text(changed.get("skipped")),
        templates=rows,
        notes=_strings(changed.get("notes")),
    )


def _filters(cases: Sequence[Mapping[str, Any]]) -> list[Filter]:
    """One radio button per status present, plus "all"; an unknown status is only listed under "all"."""
    counts = status_counts(cases)
    return [Filter("all", len(cases), checked=True), *(Filter(s, counts[s]) for s in SEVERITY if counts[s])]


def _footer(results: Mapping[str, Any]) -> list[str]:
    """Provenance of the numbers: which promptlib and hash spec produced them."""
    spec = results.get("hash_spec")
    spec_id = spec.get("id") if isinstance(spec, Mapping) else None
    return [
        f"promptlib {fmt.text(results.get('promptlib_version') or '?')}",
        f"hash spec {fmt.text(spec_id or '?')}",
        f"results schema {fmt.text(results.get('schema') or '?')}",
        "data: results.json in this directory",
    ]
