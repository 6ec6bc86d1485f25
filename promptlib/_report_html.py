"""Moved to `promptlib.reports`; these names stay importable from here until the package restructure moves the
modules that still import them (`_reports`, `_merge`)."""

from .reports import (
    LOW_SENSITIVITY_SENTENCE,
    MATCHED_VERDICTS,
    approve_command,
    reject_command,
    relative_href,
    render_report_html,
    severity_rank,
    sort_cases,
    status_counts,
    summary_line,
    word_diff,
)

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
