"""Run directories and what they hold: results, summary.md, report.html, merging shard runs.

report.html is rendered from the Jinja templates in `templates/` (`_html`); their macros (`templates/macros/`) take
the plain view objects of `_view`, `_cards` and `_samples`, so a web app can render the same cards with its own
links (`report_view(results, href=...)`, `case_view(..., href=...)`).
"""
