"""Run directories and what they hold: results, summary.md, report.html, merging shard runs."""
