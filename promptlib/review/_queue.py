"""The review queue: the cases of a run that need a reviewer first, with counts, grouped by suite.

Order: failed (and blank-output) cases, then new ones, then cases whose template changed since approval, then
anything else that did not pass (errors, blocks, skips, statuses a newer promptlib wrote), then the passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from promptlib.reports import _display as fmt
from promptlib.reports._cards import case_key

#: The queue's buckets, in the order a reviewer works through them.
BUCKETS = ("failed", "new", "changed", "other", "passed")
_FAILED = frozenset({"failed", "degenerate"})


@dataclass(frozen=True, slots=True)
class QueueItem:
    key: str
    suite: str
    case: str
    status: str
    bucket: str  # one of BUCKETS (it becomes a CSS class)
    summary: str  # the runner's one-line message
    matched: str  # "1/3", or "" when nothing was drawn


@dataclass(frozen=True, slots=True)
class SuiteGroup:
    suite: str
    items: list[QueueItem]


@dataclass(frozen=True, slots=True)
class Queue:
    items: list[QueueItem]  # in review order
    counts: dict[str, int]  # per bucket, every bucket present

    @property
    def attention(self) -> int:
        """How many cases need a reviewer (everything but passes)."""
        return len(self.items) - self.counts["passed"]

    def groups(self, *, include_passed: bool = False) -> list[SuiteGroup]:
        """The items grouped by suite, each group in review order, suites ordered by their first item."""
        grouped: dict[str, list[QueueItem]] = {}
        for item in self.items:
            if include_passed or item.bucket != "passed":
                grouped.setdefault(item.suite, []).append(item)
        return [SuiteGroup(suite, items) for suite, items in grouped.items()]

    def next_after(self, key: str | None, *, include_passed: bool = False) -> str | None:
        """The key after `key` in review order (the first one for None), for moving on after a decision."""
        keys = [i.key for i in self.items if include_passed or i.bucket != "passed"]
        if key not in keys:
            return keys[0] if keys else None
        position = keys.index(key)
        return keys[position + 1] if position + 1 < len(keys) else None


def bucket(case: Mapping[str, Any]) -> str:
    status = str(case.get("status"))
    if status in _FAILED:
        return "failed"
    if status == "new":
        return "new"
    if status == "passed":
        return "changed" if isinstance(case.get("changed_since_approval"), Mapping) else "passed"
    return "other"


def build_queue(cases: Iterable[Mapping[str, Any]]) -> Queue:
    """The run's cases (results.json's `cases`) in review order, then by suite and case."""
    items = [_item(case) for case in cases if isinstance(case, Mapping)]
    items.sort(key=lambda i: (BUCKETS.index(i.bucket), i.suite, i.case))
    counts = dict.fromkeys(BUCKETS, 0)
    for item in items:
        counts[item.bucket] += 1
    return Queue(items, counts)


def _item(case: Mapping[str, Any]) -> QueueItem:
    drawn = fmt.count(case.get("drawn"))
    return QueueItem(
        key=case_key(case),
        suite=fmt.text(case.get("suite")),
        case=fmt.text(case.get("case")),
        status=fmt.text(case.get("status")),
        bucket=bucket(case),
        summary=fmt.text(case.get("message")),
        matched=f"{fmt.count(case.get('matches'))}/{drawn}" if drawn else "",
    )
