"""One case as the reviewer sees it: the report's card (samples beside their nearest goldens, the golden set,
distances against thresholds, the prompt diff, an edit's inputs and the outside-mask figure) plus the one-sentence
reason for its verdict.

The card is the report's own view model (`reports._cards.case_view`), so the Review page and report.html can never
disagree about a case; links come from the caller's `href` (the page points them at its own routes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptlib.evals._results import SEVERITY
from promptlib.reports import _display as fmt
from promptlib.reports._cards import CaseView, Href, case_key, case_view
from promptlib.reports._diffs import template_diffs
from promptlib.reports._verdicts import verdict


@dataclass(frozen=True, slots=True)
class CaseReview:
    key: str
    reason: str
    view: CaseView


def find_case(results: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    for case in results.get("cases") or []:
        if isinstance(case, Mapping) and case_key(case) == key:
            return case
    return None


def case_review(results: Mapping[str, Any], key: str, href: Href, *, anchor: str = "case") -> CaseReview | None:
    """The case `key` of the run, or None when the run has no such case."""
    case = find_case(results, key)
    if case is None:
        return None
    view = case_view(
        case,
        anchor=anchor,
        run_id=fmt.text(results.get("run_id")),
        known_statuses=SEVERITY,
        href=href,
        template_change=template_diffs(results.get("changed_since")).get(str(case.get("template_id"))),
    )
    return CaseReview(key=view.key, reason=reason(case), view=view)


def reason(case: Mapping[str, Any]) -> str:
    """Why the case has its status, in one sentence: the runner's message and what its samples' verdicts mean.

    `failed: only 1 of 3 samples match the goldens (2 miss: not close to any golden; 1 match: close to a golden on
    at least 2 of 3 hashes).` The meanings are the report's legend (`reports._verdicts`), word for word.
    """
    status = fmt.text(case.get("status") or "error")
    message = fmt.text(case.get("message")).strip().rstrip(".")
    samples = [s for s in case.get("samples") or [] if isinstance(s, Mapping)]
    counted = Counter(verdict(s.get("verdict")).name for s in samples)
    parts = []
    for name, count in sorted(counted.items(), key=lambda item: (-item[1], item[0])):
        meaning = verdict(name).meaning
        parts.append(f"{count} {name}" + (f": {meaning}" if meaning else ""))
    sentence = f"{status}: {message}" if message else status
    return sentence + (f" ({'; '.join(parts)})" if parts else "") + "."
