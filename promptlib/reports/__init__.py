"""Reports of a run: the self-contained report.html, rendered from Jinja templates shipped with the package.

The templates' macros (`templates/macros/`) take the plain view objects of `_view`, `_cards` and `_samples`, so a
web app can render the same cards with its own links (see `report_view(results, href=...)`).
"""

from ._cards import LOW_SENSITIVITY_SENTENCE, case_view
from ._diffs import word_diff
from ._html import render_report_html, report_css, report_script, template_environment
from ._links import approve_command, reject_command, relative_href
from ._verdicts import MATCHED_AS_WRITTEN as MATCHED_VERDICTS
from ._view import report_view, severity_rank, sort_cases, status_counts, summary_line

__all__ = [
    "LOW_SENSITIVITY_SENTENCE",
    "MATCHED_VERDICTS",
    "approve_command",
    "case_view",
    "reject_command",
    "relative_href",
    "render_report_html",
    "report_css",
    "report_script",
    "report_view",
    "severity_rank",
    "sort_cases",
    "status_counts",
    "summary_line",
    "template_environment",
    "word_diff",
]
