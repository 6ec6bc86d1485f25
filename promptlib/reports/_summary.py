"""Writing a run's reports: results.json for tools, summary.md for the PR, report.html for people."""

from __future__ import annotations

import json
from typing import Any

from promptlib.core._atomic import atomic_write_text
from promptlib.core._safe_text import code_span, markdown, shell_command
from promptlib.evals._results import SEVERITY, RunResult
from promptlib.evals._run_dir import RunDirectory
from promptlib.reports._runs import RESULTS

SUMMARY = "summary.md"
REPORT = "report.html"
_ICONS = {
    "passed": "✅",
    "failed": "❌",
    "new": "🆕",
    "blocked": "⛔",
    "degenerate": "⬜",
    "error": "💥",
    "skipped": "⏭️",
}
MAX_ROWS = 30


def status_line(counts: dict[str, int]) -> str:
    """'12 passed, 1 failed, 2 new' — worst first, zeros left out."""
    parts = [f"{counts[s]} {s}" for s in reversed(SEVERITY) if counts.get(s)]
    return ", ".join(parts) or "no cases"


def _retry_note(totals: dict[str, Any]) -> str:
    """Retries, 429s and read timeouts, only when there were any: a flaky deployment should be visible in the PR
    (a read timeout may have been billed, and is retried once at most)."""
    retries, limited, slow = totals.get("retries", 0), totals.get("rate_limited", 0), totals.get("read_timeouts", 0)
    timeouts = f", {slow} read timeout{'s' if slow != 1 else ''}" if slow else ""
    return f" The service needed {retries} retries ({limited} rate-limited{timeouts})." if retries or limited else ""


def cost_text(results: dict[str, Any]) -> str:
    """'cost $1.20 (estimated $1.10)', or for emulator runs what the stood-in model would cost: nothing was billed."""
    totals = results["totals"]
    emulated = results.get("emulated") or {}
    if emulated and set(emulated) >= set(results.get("deployments") or []):
        models = ", ".join(sorted(set(emulated.values())))
        return f"no cost (emulator; on {models} this would cost about ${totals['estimated_cost_usd']:.2f})"
    text = f"cost ${totals['cost_usd']:.2f} (estimated ${totals['estimated_cost_usd']:.2f})"
    return text + (f"; of it, emulated deployments {', '.join(sorted(emulated))} billed nothing" if emulated else "")


def disk_text(totals: dict[str, Any]) -> str:
    """', 0.4 MB on disk (14.6 MB more shared with the cache and goldens)': what keeping the run costs."""
    own, shared = int(totals.get("disk_bytes") or 0), int(totals.get("shared_bytes") or 0)
    if not own and not shared:
        return ""
    more = f" ({shared / 1e6:.1f} MB more shared with the cache and goldens)" if shared else ""
    return f", {own / 1e6:.1f} MB on disk{more}"


def summary_markdown(results: dict[str, Any]) -> str:
    """Short enough for a PR comment: the headline, the cases that need attention, what to run next.

    Every value from the run (names, messages, template ids) is PR-supplied, so it is escaped as Markdown text
    or put in a code span, and the suggested command is shell-quoted word by word.
    """
    totals, counts, run_id = results["totals"], results["counts"], results["run_id"]
    low = sum(1 for c in results["cases"] if c.get("sensitivity") == "low")
    headline = status_line(counts) + (f" ({low} low-sensitivity)" if low else "")
    deployments = ", ".join(markdown(d) for d in results["deployments"]) or "-"
    lines = [
        f"### promptlib eval: {markdown(headline)}",
        "",
        f"Run {code_span(run_id)} on {deployments}: {totals['cases']} cases, "
        f"{totals['requests']} requests, {totals['cache_hits']} cache hits, {totals['images']} images, "
        f"{cost_text(results)}, {totals['wall_time_s']:.1f} s{disk_text(totals)}." + _retry_note(totals),
    ]
    for warning in results.get("warnings") or []:
        lines += ["", f"⚠️ {markdown(warning)}"]
    changed_since = results.get("changed_since")
    if changed_since:
        templates = ", ".join(code_span(t) for t in changed_since.get("templates") or {}) or "none"
        commit = markdown(str(changed_since["commit"])[:12])
        lines += [
            "",
            f"Changed since {code_span(changed_since['ref'])} ({commit}): "
            f"ran {changed_since['ran']} cases, skipped {changed_since['skipped']} unchanged; "
            f"changed templates: {templates}.",
        ]
    suite_errors = results.get("suite_errors") or []
    if suite_errors:
        lines += ["", "Suite problems (these entries ran no case):", ""]
        for problem in suite_errors[:MAX_ROWS]:
            where = f"{problem['path']}:{problem['line']}" if problem.get("line") else problem["path"]
            lines.append(f"- 💥 {code_span(where)}: {markdown(problem['message'])}")
    attention = [c for c in results["cases"] if c["status"] != "passed"]
    changed = [c for c in results["cases"] if c["status"] == "passed" and c.get("changed_since_approval")]
    if attention or changed:
        lines += ["", "| | case | template | matched | what happened |", "|---|---|---|---|---|"]
        lines += [_row(case) for case in (attention + changed)[:MAX_ROWS]]
        if len(attention) + len(changed) > MAX_ROWS:
            lines.append(f"| | … {len(attention) + len(changed) - MAX_ROWS} more in report.html | | | |")
    misread = [(case["key"], miss) for case in results["cases"] for miss in text_misses(case)]
    if misread:
        lines += ["", "Text not found where a case asks for it (what OCR read instead):", ""]
        lines += [f"- {code_span(key)}: {markdown(miss)}" for key, miss in misread[:MAX_ROWS]]
    if results.get("unused_goldens"):
        unused = ", ".join(code_span(key) for key in results["unused_goldens"])
        lines += ["", f"Unused goldens (no such case): {unused}. Remove them with `promptlib goldens prune`."]
    approvable = [c["key"] for c in attention if c["status"] in ("new", "failed") and c.get("samples")]
    if approvable:
        words = [word for key in approvable[:10] for word in ("--case", key)]
        command = shell_command("promptlib", "approve", run_id, *words).replace("```", "")
        lines += ["", "After reviewing report.html, accept the new images with:", "", f"```\n{command}\n```"]
    return "\n".join(lines) + "\n"


def text_misses(case: dict[str, Any]) -> list[str]:
    """The case's missed texts (`text.misses` in results.json), each with what was read instead."""
    text = case.get("text")
    misses = text.get("misses") if isinstance(text, dict) else None
    return [str(miss) for miss in misses] if isinstance(misses, list) else []


def _row(case: dict[str, Any]) -> str:
    icon = _ICONS.get(case["status"], "")
    version = f" v{case['version']}" if case.get("version") else ""
    matched = f"{case['matches']}/{case['drawn']}" if case.get("drawn") else "-"
    return (
        f"| {icon} {markdown(case['status'])} | {code_span(case['key']).replace('|', '&#124;')} | "
        f"{markdown(case['template_id'])}{version} | {matched} | {markdown(case.get('message', ''))} |"
    )


def write_reports(run: RunDirectory, result: RunResult) -> dict[str, Any]:
    """results.json, summary.md and report.html into the run directory; returns the results dict."""
    from promptlib.reports._html import render_report_html

    data = result.to_dict()
    atomic_write_text(run.path / RESULTS, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    atomic_write_text(run.path / SUMMARY, summary_markdown(data))
    atomic_write_text(run.path / REPORT, render_report_html(data))
    return data
