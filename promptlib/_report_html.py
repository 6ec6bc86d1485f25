"""Moved to `promptlib.reports` (`_html`, `_view`, `_cards`, `_links`, `_diffs`); these names stay importable from
here until the modules that still import them (`reports._summary`, `reports._merge`) import the new homes."""

from promptlib.reports._cards import LOW_SENSITIVITY_SENTENCE
from promptlib.reports._diffs import word_diff
from promptlib.reports._html import render_report_html
from promptlib.reports._links import approve_command, reject_command, relative_href
from promptlib.reports._verdicts import MATCHED_AS_WRITTEN as MATCHED_VERDICTS
from promptlib.reports._view import severity_rank, sort_cases, status_counts, summary_line

__all__ = [
    "LOW_SENSITIVITY_SENTENCE",
    "MATCHED_VERDICTS",
    "approve_command",
    "reject_command",
    "relative_href",
    "render_report_html",
    "severity_rank",
    "sort_cases",
    "status_counts",
    "summary_line",
    "word_diff",
]
