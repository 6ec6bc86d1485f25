"""report.html: one self-contained page a reviewer opens from a run directory (or a downloaded CI artifact).

The page is built from the ``results.json`` dict alone, so it can be re-rendered later from an old run. It has
no external scripts, styles or fonts (CI artifacts are opened offline and from ``file://``), links the sample and
golden images beside it by relative path, and stays fully readable with JavaScript off: the status filter is
CSS-only (radio buttons and ``:has()``); the small inline script only adds niceties (a shareable ``#status``
URL, a visible-count, copy buttons) and never contains a value from the results.

Every string from the results is user data (prompts, case names, notes) and goes through :func:`_e`.
"""

from __future__ import annotations

import difflib
import html
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from promptlib.evals._results import SEVERITY

THUMB_PX = 160
VOTING = ("phash", "dhash", "whash")
ALGORITHM_LABELS = {"phash": "pHash", "dhash": "dHash", "whash": "wHash", "colorhash": "colorhash"}
MATCHED_VERDICTS = frozenset({"identical", "near-identical", "match", "exact", "duplicate"})
APPROVABLE = frozenset({"failed", "new"})
# Word diffs are quadratic in the worst case; past this many tokens the two prompts are shown without highlights.
MAX_DIFF_TOKENS = 20_000
LOW_SENSITIVITY_SENTENCE = (
    "Hashes cannot tell good from bad for this case: its approved goldens differ from each other about as much as "
    "they differ from other cases' goldens. It was only checked for blank output, duplicates of rejected images "
    "and the expectations, so look at the samples yourself."
)
VERDICT_HELP = {
    "identical": "byte-identical to a golden",
    "near-identical": "almost the same image as a golden",
    "looks-rejected": "looks like a rejected image",
    "blank": "blank or uniform",
    "exact": "byte-identical to a golden",
    "duplicate": "the same image as a golden, re-encoded or resized",
    "match": "near a golden: at least 2 of 3 hashes within threshold",
    "miss": "not near any golden",
    "rejected-dup": "looks like a rejected image",
    "degenerate": "blank or uniform",
    "unchecked": "not judged by hashes",
}
_RANK: dict[str, int] = {status: rank for rank, status in enumerate(SEVERITY)}
_TOKEN = re.compile(r"\s+|\S+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def render_report_html(results: Mapping[str, Any]) -> str:
    """The whole page for one run's results dict (``RunResult.to_dict()``, as saved in results.json)."""
    cases = sort_cases(results.get("cases") or [])
    run_id = str(results.get("run_id") or "")
    body = "\n".join(
        [
            _header(results, cases),
            _changed_since(results.get("changed_since")),
            _filter_bar(cases),
            '<main id="cases">',
            *(_case_card(case, index, run_id, _template_diffs(results)) for index, case in enumerate(cases)),
            '<p class="empty" id="no-cases">No cases in this run.</p>' if not cases else "",
            "</main>",
            _footer(results),
        ]
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>promptlib eval {_e(run_id)}: {_e(summary_line(results, cases))}</title>\n"
        f"<style>\n{_CSS}{_filter_css()}</style>\n</head>\n"
        f'<body>\n<div class="page">\n{body}\n</div>\n<script>\n{_SCRIPT}</script>\n</body>\n</html>\n'
    )


# ---------------------------------------------------------------------------------------------------------------
# Ordering and wording shared by the page and its tests


def severity_rank(status: str) -> int:
    """Position in SEVERITY; a status this report does not know sorts first, because nobody has judged it yet."""
    return _RANK.get(status, -1)


def sort_cases(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Worst first, then by suite/case, so the cases that need a reviewer are at the top of the page."""
    return sorted(cases, key=lambda c: (severity_rank(str(c.get("status"))), _key(c)))


def status_counts(cases: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Cases per status, counted from the cases themselves so the filter counts always agree with the cards."""
    counts: dict[str, int] = dict.fromkeys(SEVERITY, 0)
    for case in cases:
        status = str(case.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return counts


def summary_line(results: Mapping[str, Any], cases: Sequence[Mapping[str, Any]]) -> str:
    """'12 passed, 1 failed, 2 new, 1 low-sensitivity': passes first, then the rest worst first, zeros left out."""
    counts = status_counts(cases)
    order = ["passed", *(s for s in SEVERITY if s != "passed"), *(s for s in counts if s not in SEVERITY)]
    parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
    low = sum(1 for c in cases if c.get("sensitivity") == "low")
    changed = sum(1 for c in cases if c.get("changed_since_approval"))
    unused = len(results.get("unused_goldens") or [])
    unused_label = "unused golden set" + ("s" if unused != 1 else "")
    parts += [f"{n} {label}" for n, label in ((low, "low-sensitivity"), (changed, "changed since approval"),
                                              (unused, unused_label)) if n]
    return ", ".join(parts) or "no cases"


def approve_command(run_id: str, key: str) -> str:
    """The exact command that copies this case's samples into its golden set (shell-quoted: names are user data)."""
    return f"promptlib approve {shlex.quote(run_id)} --case {shlex.quote(key)}"


def reject_command(run_id: str, key: str, sample: int | str = "N") -> str:
    """A reject command to fill in: the reviewer picks the sample number shown on the card and writes a reason."""
    return f'promptlib reject {shlex.quote(run_id)} --case {shlex.quote(key)} --sample {sample} --reason "..."'


def relative_href(path: object) -> str | None:
    """A URL for a file in the run directory, or None when the path is not a plain relative path.

    The page must only ever point at files beside it: absolute paths, ``..``, schemes (``javascript:``,
    ``https:``) and Windows drive paths are refused, and the rest is percent-encoded so a ``#`` or ``?`` in a case
    name stays part of the path.
    """
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return None
    if path.startswith("/") or _SCHEME.match(path) or ".." in path.split("/"):
        return None
    return quote(path, safe="/")


# ---------------------------------------------------------------------------------------------------------------
# Header, filter bar, footer


def _header(results: Mapping[str, Any], cases: Sequence[Mapping[str, Any]]) -> str:
    """Run identity, the verdict in one line, and the totals a reviewer checks before looking at cases."""
    run_id = str(results.get("run_id") or "?")
    attention = sum(1 for c in cases if c.get("status") != "passed")
    ok = bool(results.get("ok", attention == 0)) and attention == 0
    verdict = "All cases passed" if ok else f"{attention} of {len(cases)} cases need attention"
    deployments = results.get("deployments") or []
    meta = [
        f"<span>Run <code>{_e(run_id)}</code></span>",
        f"<span>{_e(_date(results.get('created_at')))}</span>",
        "<span>Deployments " + (" ".join(f'<span class="chip">{_e(d)}</span>' for d in deployments) or "—")
        + "</span>",
    ]
    if results.get("full_run") is False:
        meta.append('<span class="chip">partial run: unused goldens not checked</span>')
    return (
        '<header class="run">\n<div class="title-row"><h1>promptlib eval report</h1>'
        f'<span class="overall {"ok" if ok else "bad"}">{_e(verdict)}</span></div>\n'
        f'<div class="run-meta">{"".join(meta)}</div>\n'
        f'<p class="summary" id="summary">{_e(summary_line(results, cases))}</p>\n'
        f"{_totals(results.get('totals') or {}, len(cases))}\n{_unused(results.get('unused_goldens') or [])}\n"
        "</header>"
    )


def _totals(totals: Mapping[str, Any], n_cases: int) -> str:
    """The run's cost and volume, as a row of small stat tiles."""
    tiles = [
        ("Cases", _int(totals.get("cases", n_cases))),
        ("Requests", _int(totals.get("requests"))),
        ("Cache hits", _int(totals.get("cache_hits"))),
        ("Images", _int(totals.get("images"))),
        ("Tokens", _int(totals.get("tokens"))),
        ("Cost", _money(totals.get("cost_usd"))),
        ("Est. cost", _money(totals.get("estimated_cost_usd"))),
        ("Wall time", _duration(totals.get("wall_time_s"))),
    ]
    cells = "".join(
        f'<div class="stat"><dt>{label}</dt><dd>{_e(f"{value:,}" if isinstance(value, int) else value)}</dd></div>'
        for label, value in tiles
    )
    return f'<dl class="stats" id="totals">{cells}</dl>'


def _unused(unused: Sequence[Any]) -> str:
    """Goldens with no case: worth a line, since only `promptlib goldens prune` removes them."""
    if not unused:
        return ""
    items = "".join(f"<li><code>{_e(u)}</code></li>" for u in unused)
    return (
        f'<div class="callout note" id="unused-goldens"><strong>{len(unused)} unused golden set(s)</strong> '
        f"belong to no case in this run; remove them with <code>promptlib goldens prune</code>.<ul>{items}</ul></div>"
    )


def _filter_bar(cases: Sequence[Mapping[str, Any]]) -> str:
    """One radio button per status present (with its count) plus "all".

    Radio buttons rather than script-driven buttons, because CSS can filter on ``:checked`` with JavaScript off.
    Only the fixed statuses get a button (their names become ids); an unknown status is still listed under "all".
    """
    counts = status_counts(cases)
    buttons = [_filter_button("all", len(cases), checked=True)]
    buttons += [_filter_button(s, counts[s]) for s in SEVERITY if counts[s]]
    return (
        '<nav class="filters" aria-label="Filter cases by status">'
        f'<span class="filters-label">Show</span>{"".join(buttons)}'
        f'<span class="showing" id="showing" aria-live="polite">{len(cases)} cases</span></nav>'
    )


def _filter_button(status: str, count: int, *, checked: bool = False) -> str:
    """A visually-hidden radio and its pill-shaped label; `status` is always one of ours, never user data."""
    return (
        f'<input type="radio" name="status-filter" id="filter-{status}" value="{status}"'
        f'{" checked" if checked else ""}>'
        f'<label for="filter-{status}" class="pill st-{status}" data-filter="{status}">'
        f'{status} <span class="count">{count}</span></label>'
    )


def _filter_css() -> str:
    """Per-status hide rules, generated from SEVERITY so a new status cannot be forgotten."""
    return "".join(
        f'.page:has(#filter-{s}:checked) .case:not([data-status="{s}"]) {{ display: none; }}\n' for s in SEVERITY
    )


def _footer(results: Mapping[str, Any]) -> str:
    """Provenance of the numbers: which promptlib and hash spec produced them."""
    spec = results.get("hash_spec") or {}
    spec_id = spec.get("id") if isinstance(spec, Mapping) else None
    parts = [f"promptlib {_e(results.get('promptlib_version') or '?')}", f"hash spec {_e(spec_id or '?')}",
             f"results schema {_e(results.get('schema') or '?')}", "data: results.json in this directory"]
    return f'<footer class="foot">{" · ".join(parts)}</footer>'


# ---------------------------------------------------------------------------------------------------------------
# One case


def _case_card(
    case: Mapping[str, Any], index: int, run_id: str, template_diffs: Mapping[str, Any] | None = None
) -> str:
    """Everything a reviewer needs to accept or reject one case without opening results.json."""
    status = str(case.get("status") or "error")
    known = status if status in SEVERITY else "unknown"
    sections = [
        _case_head(case, index, status, known),
        f'<p class="msg">{_e(case.get("message") or "")}</p>' if case.get("message") else "",
        _facts(case),
        _low_sensitivity(case),
        _changed(case.get("changed_since_approval")),
        _warnings(case.get("warnings") or []),
        _samples(case),
        _golden_row(case.get("goldens") or []),
        _template_diff((template_diffs or {}).get(str(case.get("template_id")))),
        _prompt(case),
        _review(case, run_id),
    ]
    return (
        f'<article class="case st-{known}" id="case-{index}" data-status="{_e(status)}" '
        f'data-key="{_e(_key(case))}">\n' + "\n".join(s for s in sections if s) + "\n</article>"
    )


def _case_head(case: Mapping[str, Any], index: int, status: str, known: str) -> str:
    """Badge, suite/case (a self-link, to share a case), template id and version, and the flags worth a glance."""
    version = case.get("version")
    template = _e(case.get("template_id") or "?") + (f' <span class="ver">v{_e(version)}</span>' if version else "")
    chips = []
    if case.get("sensitivity") == "low":
        chips.append('<span class="chip low">low sensitivity</span>')
    changed = case.get("changed_since_approval")
    if changed:
        chips.append(f'<span class="chip changed">changed since approval: {_e(_versions(changed))}</span>')
    if case.get("expected_outcome") not in (None, "ok"):
        chips.append(f'<span class="chip">expects {_e(case.get("expected_outcome"))}</span>')
    return (
        f'<header class="case-head"><span class="badge st-{known}">{_e(status)}</span>'
        f'<h2><a href="#case-{index}">{_e(_key(case))}</a></h2>'
        f'<span class="tmpl">{template}</span>{"".join(chips)}</header>'
    )


def _facts(case: Mapping[str, Any]) -> str:
    """Deployment, k/K against the policy, thresholds and request cost: the numbers behind the verdict.

    The comparison facts are left out for cases that drew nothing (blocked, error, skipped): "0/0" says nothing.
    Without goldens, or with low sensitivity, the policy was not applied, and the card says so.
    """
    deployment = " · ".join(_e(v) for v in (case.get("deployment"), case.get("model")) if v) or "—"
    facts = [("Deployment", deployment)]
    if case.get("operation"):
        facts.append(("Operation", _e(case.get("operation"))))
    drawn = _int(case.get("drawn"))
    if drawn:
        policy = _policy(case.get("policy") or {})
        if not case.get("goldens") or case.get("sensitivity") == "low":
            why = "no goldens" if not case.get("goldens") else "low sensitivity"
            policy = f'<span class="not-applied">{_e(policy)} (not applied: {why})</span>'
        else:
            policy = _e(policy)
        matched = f'<span class="kk">{_int(case.get("matches"))}/{drawn}</span> samples'
        facts += [("Matched", matched), ("Policy", policy)]
        if case.get("thresholds"):
            facts.append(("Thresholds", _thresholds(case.get("thresholds") or {})))
        if case.get("sensitivity"):
            facts.append(("Sensitivity", _e(case.get("sensitivity"))))
    facts.append(("Requests", _e(_requests(case))))
    cells = "".join(f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in facts)
    return f'<dl class="facts">{cells}</dl>'


def _low_sensitivity(case: Mapping[str, Any]) -> str:
    """The plain sentence a reviewer must not miss: a pass here says almost nothing about the look."""
    if case.get("sensitivity") != "low":
        return ""
    return f'<p class="callout low-sens"><strong>Low sensitivity.</strong> {_e(LOW_SENSITIVITY_SENTENCE)}</p>'


def _changed(changed: object) -> str:
    """Banner plus old and new prompt side by side, so the reviewer knows what a pass or fail is a verdict on."""
    if not isinstance(changed, Mapping):
        return ""
    old, new = str(changed.get("old_prompt") or ""), str(changed.get("new_prompt") or "")
    old_html, new_html = word_diff(old, new)
    return (
        '<section class="changed">'
        f'<p class="banner">Changed since approval: {_e(_versions(changed))}. The goldens were approved for the old '
        "prompt; a pass means the edit kept the look, a failure may be the edit rather than a regression.</p>"
        '<div class="side-by-side">'
        f'<div class="side old"><h4>Approved prompt ({_e(_version(changed.get("from_version")))})</h4>'
        f'<pre class="prompt-text">{old_html}</pre></div>'
        f'<div class="side new"><h4>Current prompt ({_e(_version(changed.get("to_version")))})</h4>'
        f'<pre class="prompt-text">{new_html}</pre></div>'
        "</div></section>"
    )


def _template_diffs(results: Mapping[str, Any]) -> Mapping[str, Any]:
    changed = results.get("changed_since")
    templates = changed.get("templates") if isinstance(changed, Mapping) else None
    return templates if isinstance(templates, Mapping) else {}


def _changed_since(changed: object) -> str:
    """For `eval --changed-since`: against what, how much was skipped, which templates changed."""
    if not isinstance(changed, Mapping):
        return ""
    held = changed.get("templates")
    templates: Mapping[str, Any] = held if isinstance(held, Mapping) else {}
    items = "".join(
        f"<li><code>{_e(tid)}</code> {_e((t or {}).get('status', ''))} {_e((t or {}).get('version_change', ''))}</li>"
        for tid, t in sorted(templates.items())
    )
    return (
        '<section class="changed-since">'
        f"<p>Changed since <code>{_e(changed.get('ref'))}</code> ({_e(str(changed.get('commit') or '')[:12])}): "
        f"ran {_e(changed.get('ran'))} cases, skipped {_e(changed.get('skipped'))} unchanged.</p>"
        + (f"<ul>{items}</ul>" if items else "<p>No template changed.</p>")
        + "</section>"
    )


def _template_diff(change: object) -> str:
    """The case's template diff since REF (version, parameters, each example's rendered prompt), by the images."""
    if not isinstance(change, Mapping):
        return ""
    facts = [f"{_e(change.get('status'))} {_e(change.get('version_change'))}"]
    for name in change.get("partials") or []:
        facts.append(f"partial <code>{_e(name)}</code> changed")
    for name, values in (change.get("parameters") or {}).items():
        values = values if isinstance(values, Mapping) else {}
        facts.append(f"parameter {_e(name)}: {_e(values.get('from'))} → {_e(values.get('to'))}")
    blocks = []
    for example in change.get("examples") or []:
        if not isinstance(example, Mapping) or example.get("status") == "unchanged":
            continue
        diff = str(example.get("diff") or "").splitlines()
        lines = "".join(f'<span class="{_diff_class(line)}">{_e(line)}</span>' for line in diff)  # block spans
        blocks.append(
            f"<details><summary>example {_e(example.get('name'))}: {_e(example.get('status'))}</summary>"
            f'<pre class="udiff">{lines}</pre></details>'
        )
    return (
        f'<section class="template-diff"><h3>Template {_e(change.get("template_id"))} since the base revision</h3>'
        f"<p>{' · '.join(facts)}</p>{''.join(blocks)}</section>"
    )


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "hunk"
    return "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"


def word_diff(old: str, new: str) -> tuple[str, str]:
    """Escaped old and new text with removed words in ``<del>`` and added words in ``<ins>``.

    Tokens keep their whitespace, so each side reads exactly as the prompt was written.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) + len(b) > MAX_DIFF_TOKENS:
        return _e(old), _e(new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        removed, added = _e("".join(a[i1:i2])), _e("".join(b[j1:j2]))
        if op == "equal":
            left.append(removed)
            right.append(added)
            continue
        if removed:
            left.append(f"<del>{removed}</del>")
        if added:
            right.append(f"<ins>{added}</ins>")
    return "".join(left), "".join(right)


def _warnings(warnings: Sequence[Any]) -> str:
    """Things that did not change the verdict but deserve a look (palette drift and the like)."""
    if not warnings:
        return ""
    items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
    return f'<div class="callout warn"><strong>Warnings</strong><ul>{items}</ul></div>'


def _samples(case: Mapping[str, Any]) -> str:
    """Each sample beside the golden it was closest to, with the distances that decided its verdict."""
    samples = case.get("samples") or []
    if not samples:
        return ""
    thresholds = case.get("thresholds") or {}
    context = "low" if case.get("sensitivity") == "low" else "goldens" if case.get("goldens") else "new"
    goldens = {str(g.get("file")): g for g in case.get("goldens") or []}
    pairs = "".join(_sample_pair(s, thresholds, goldens, context) for s in samples)
    return f'<section><h3>Samples vs nearest golden</h3><div class="pairs">{pairs}</div></section>'


def _sample_pair(
    sample: Mapping[str, Any], thresholds: Mapping[str, Any], goldens: Mapping[str, Mapping[str, Any]], context: str
) -> str:
    """One sample: the two thumbnails, the verdict, the distance table, notes and expectation failures.

    `context` is "new" (no goldens yet), "low" (thresholds cannot judge: over-threshold is shown, but muted, so it
    does not read as a failure) or "goldens".
    """
    verdict = str(sample.get("verdict") or "unchecked")
    index = sample.get("index", "?")
    cls = _verdict_class(verdict)
    nearest = sample.get("nearest_golden")
    known = goldens.get(nearest) if isinstance(nearest, str) else None
    golden = (
        _thumb(nearest, "nearest golden", (known or {}).get("width"), (known or {}).get("height"))
        if nearest
        else f'<div class="thumb placeholder">{"no goldens yet" if context == "new" else "not compared"}</div>'
    )
    size = f"{_e(sample.get('width'))}×{_e(sample.get('height'))} {_e(sample.get('format') or '')}".strip()
    extras = [f'<span class="chip">{size}</span>'] if sample.get("width") else []
    if sample.get("cached"):
        extras.append('<span class="chip">cached</span>')
    return (
        f'<figure class="pair v-{cls}" data-verdict="{_e(verdict)}">'
        f'<div class="pair-imgs"><div class="im"><span class="cap">sample #{_e(index)}</span>'
        f"{_thumb(sample.get('file'), f'sample {index}', sample.get('width'), sample.get('height'))}</div>"
        f'<div class="im"><span class="cap">nearest golden</span>{golden}</div></div>'
        f'<figcaption><span class="verdict v-{cls}" title="{_e(VERDICT_HELP.get(verdict, ""))}">{_e(verdict)}</span>'
        f'<span class="verdict-help">{_e(VERDICT_HELP.get(verdict, ""))}</span>{"".join(extras)}'
        f"{_distance_table(sample.get('distances') or {}, thresholds, sample.get('votes'), muted=context == 'low')}"
        f"{_notes(sample)}</figcaption></figure>"
    )


def _verdict_class(verdict: str) -> str:
    """A CSS class from a fixed set: the verdict itself is data and never becomes a class name."""
    if verdict in MATCHED_VERDICTS:
        return "good"
    if verdict in ("miss", "rejected-dup", "looks-rejected"):
        return "bad"
    return "degenerate" if verdict in ("degenerate", "blank") else "other"


def _distance_table(
    distances: Mapping[str, Any], thresholds: Mapping[str, Any], votes: object, *, muted: bool = False
) -> str:
    """Distance per algorithm against the case threshold; over-threshold cells are marked, colorhash only warns."""
    if not distances:
        return ""
    rows = []
    for alg in _algorithms(distances):
        distance, limit = distances[alg], thresholds.get(alg)
        over = isinstance(distance, int) and isinstance(limit, int) and distance > limit
        mark = "" if limit is None else f' <span class="mark">{"✗ over" if over else "✓"}</span>'
        rows.append(
            f'<tr class="{"over" if over else "within" if limit is not None else "info"}" data-alg="{_e(alg)}">'
            f"<th>{_e(ALGORITHM_LABELS.get(alg, alg))}</th><td>{_e(distance)}</td>"
            f"<td>{'≤ ' + _e(limit) if limit is not None else 'warn only'}{mark}</td></tr>"
        )
    caption = f"<caption>{_e(votes)} of 3 hashes within threshold</caption>" if isinstance(votes, int) else ""
    return (
        f'<table class="dist{" muted" if muted else ""}">{caption}'
        "<thead><tr><th>hash</th><th>distance</th><th>threshold</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _notes(sample: Mapping[str, Any]) -> str:
    """The comparison's note and any failed expectations (size, format, transparency...)."""
    parts = []
    if sample.get("note"):
        parts.append(f'<p class="note">{_e(sample["note"])}</p>')
    failures = sample.get("failures") or []
    if failures:
        items = "".join(f"<li>{_e(f)}</li>" for f in failures)
        parts.append(f'<ul class="failures" aria-label="expectation failures">{items}</ul>')
    return "".join(parts)


def _golden_row(goldens: Sequence[Mapping[str, Any]]) -> str:
    """The whole approved set: a sample may be far from its nearest golden and still look like the set."""
    if not goldens:
        return ""
    tiles = []
    for golden in goldens:
        who = " · ".join(_e(v) for v in (golden.get("approved_by"), _date(golden.get("approved_at"), short=True)) if v)
        name = str(golden.get("file") or "").rsplit("/", 1)[-1]
        tiles.append(
            f'<figure class="golden">{_thumb(golden.get("file"), "golden", golden.get("width"), golden.get("height"))}'
            f'<figcaption><code>{_e(name)}</code>{"<br>" + who if who else ""}</figcaption></figure>'
        )
    return f'<section><h3>Golden set ({len(goldens)})</h3><div class="goldens">{"".join(tiles)}</div></section>'


def _prompt(case: Mapping[str, Any]) -> str:
    """The rendered prompt and parameters; open by default where the reviewer has to judge the images."""
    prompt, parameters = case.get("prompt"), case.get("parameters") or {}
    if not prompt and not parameters:
        return ""
    is_open = " open" if case.get("status") != "passed" and not case.get("changed_since_approval") else ""
    params = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in parameters.items())
    return (
        f'<details class="prompt"{is_open}><summary>Rendered prompt</summary>'
        f'<pre class="prompt-text">{_e(prompt or "")}</pre>'
        f'{f"<dl class=params>{params}</dl>" if params else ""}</details>'
    )


def _review(case: Mapping[str, Any], run_id: str) -> str:
    """Copy-paste commands: approve for failed/new cases with samples; reject wherever a human must judge."""
    status, key = case.get("status"), _key(case)
    if not case.get("samples"):
        return ""
    lines = []
    if status in APPROVABLE:
        lines.append(
            "<p>If these samples look right, make them the golden set (add <code>--sample N</code> to take only "
            "some, <code>--add</code> to keep the current goldens too):</p>"
            f'<pre class="cmd">{_e(approve_command(run_id, key))}</pre>'
        )
    if status in APPROVABLE or case.get("sensitivity") == "low":
        lines.append(
            "<p>To record a bad sample so that look-alikes fail from now on, use its number from above:</p>"
            f'<pre class="cmd">{_e(reject_command(run_id, key))}</pre>'
        )
    return f'<section class="review"><h3>Review</h3>{"".join(lines)}</section>' if lines else ""


# ---------------------------------------------------------------------------------------------------------------
# Small formatting helpers


def _e(value: object) -> str:
    """Escape anything for HTML text or a double-quoted attribute (quotes included: prompts are user data)."""
    return html.escape("" if value is None else str(value), quote=True)


def _key(case: Mapping[str, Any]) -> str:
    """suite/case, from the dict's key or its parts (older results may lack one)."""
    return str(case.get("key") or f"{case.get('suite', '?')}/{case.get('case', '?')}")


def _thumb(path: object, alt: str, width: object, height: object) -> str:
    """A lazy, CSS-sized thumbnail linking to the full image; width/height attributes reserve space before load."""
    href = relative_href(path)
    if href is None:
        why = "no image" if not path else "image outside the run directory"
        return f'<div class="thumb placeholder">{why}</div>'
    size = ""
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        size = f' width="{THUMB_PX}" height="{round(THUMB_PX * height / width)}"'
    return (
        f'<a class="thumb-link" href="{_e(href)}" title="{_e(path)}">'
        f'<img class="thumb" src="{_e(href)}" alt="{_e(alt)}" loading="lazy"{size}></a>'
    )


def _algorithms(distances: Mapping[str, Any]) -> list[str]:
    """The voting hashes in a fixed order, then colorhash, then anything newer."""
    known = [a for a in (*VOTING, "colorhash") if a in distances]
    return known + sorted(a for a in distances if a not in known)


def _thresholds(thresholds: Mapping[str, Any]) -> str:
    """'pHash ≤ 10 · dHash ≤ 12 · wHash ≤ 8' (already escaped)."""
    parts = [f"{_e(ALGORITHM_LABELS.get(a, a))} ≤ {_e(thresholds[a])}" for a in _algorithms(thresholds)]
    return " · ".join(parts) or "—"


def _policy(policy: Mapping[str, Any]) -> str:
    """'≥ 2 of 3 must match, top-up to 5' from the policy's samples / min_matches / max_samples."""
    k, m, top = policy.get("samples"), policy.get("min_matches"), policy.get("max_samples")
    if not k:
        return "—"
    text = f"≥ {m} of {k} must match"
    return text + (f", top-up to {top} when ambiguous" if isinstance(top, int) and top > k else "")


def _requests(case: Mapping[str, Any]) -> str:
    """Requests, cache hits and what they cost, for spotting an unexpectedly expensive case."""
    text = f"{_int(case.get('requests'))} sent, {_int(case.get('cache_hits'))} from cache, {_money(case.get('cost'))}"
    if case.get("estimated_cost"):
        text += f" (est. {_money(case.get('estimated_cost'))})"
    return text


def _versions(changed: Mapping[str, Any]) -> str:
    """'v3 → v4'; equal numbers mean the content changed without a version bump, which is worth saying."""
    old, new = changed.get("from_version"), changed.get("to_version")
    text = f"{_version(old)} → {_version(new)}"
    return text + (" (content changed, same version)" if old == new and old is not None else "")


def _version(value: object) -> str:
    """'v3', or 'v?' when the results lack a number (a template never locked), rather than 'vNone'."""
    return f"v{value}" if value is not None else "v?"


def _int(value: object) -> int:
    """Counts from older or hand-edited results may be missing or null; show them as 0 instead of failing."""
    return value if isinstance(value, int) else 0


def _money(value: object) -> str:
    """Dollars: cents for real amounts, four decimals for the sub-cent costs of cached or cheap runs."""
    amount = float(value) if isinstance(value, int | float) else 0.0
    return f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}"


def _duration(value: object) -> str:
    """'12.3 s' for short runs, '2 min 05 s' for long ones: seconds alone are hard to read past a minute."""
    seconds = float(value) if isinstance(value, int | float) else 0.0
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _date(value: object, *, short: bool = False) -> str:
    """ISO timestamps shown in UTC; anything unparseable is shown as given rather than dropped."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if short:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo else "")


# ---------------------------------------------------------------------------------------------------------------
# Inline style and script (constants: no value from the results ever goes in here)

_CSS = """
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff;
  --green: #1a7f37; --green-bg: #dafbe1; --red: #cf222e; --red-bg: #ffebe9; --dark-red: #82071e;
  --amber: #9a6700; --amber-bg: #fff8c5; --orange: #bc4c00; --orange-bg: #fff1e5;
  --blue: #0969da; --blue-bg: #ddf4ff; --grey: #59636e; --grey-bg: #eff2f5; --purple: #8250df; --purple-bg: #fbefff;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5; font-size: 14px;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.page { max-width: 1240px; margin: 0 auto; padding: 24px 20px 40px; }
code, pre { font-family: var(--mono); font-size: 12.5px; }
a { color: var(--blue); }
h1 { font-size: 22px; margin: 0; font-weight: 600; }
h2 { font-size: 16px; margin: 0; font-weight: 600; }
h2 a { color: inherit; text-decoration: none; }
h2 a:hover { text-decoration: underline; }
h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 18px 0 8px; }
h4 { font-size: 12px; margin: 0 0 6px; color: var(--muted); font-weight: 600; }
.run { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px 22px; }
.title-row { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; justify-content: space-between; }
.overall { font-weight: 600; padding: 4px 12px; border-radius: 999px; }
.overall.ok { color: var(--green); background: var(--green-bg); }
.overall.bad { color: var(--red); background: var(--red-bg); }
.run-meta { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-top: 8px; color: var(--muted); align-items: center; }
.run-meta code { color: var(--fg); }
.summary { font-size: 16px; margin: 14px 0 12px; font-weight: 500; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(118px, 1fr)); gap: 8px; margin: 0; }
.stat { background: var(--bg); border-radius: 8px; padding: 8px 12px; }
.stat dt { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.stat dd { margin: 0; font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
.chip { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 999px; background: var(--grey-bg);
  color: var(--fg); border: 1px solid var(--line); margin: 0 2px; white-space: nowrap; }
.chip.low { background: var(--amber-bg); color: var(--amber); border-color: #eac54f; font-weight: 600; }
.chip.changed { background: var(--purple-bg); color: var(--purple); border-color: #d8b9ff; font-weight: 600; }
.callout { border-radius: 8px; padding: 10px 14px; margin: 12px 0 0; border: 1px solid var(--line); }
.callout ul { margin: 6px 0 0; padding-left: 20px; }
.callout.note { background: var(--blue-bg); border-color: #a8d3ff; }
.callout.warn { background: var(--amber-bg); border-color: #eac54f; }
.callout.low-sens { background: var(--amber-bg); border: 1px solid #d4a72c; border-left: 5px solid var(--amber);
  font-size: 15px; }
.filters { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; gap: 6px; align-items: center;
  background: rgba(246, 248, 250, .96); padding: 12px 0; margin: 8px 0 4px; border-bottom: 1px solid var(--line); }
.filters-label { color: var(--muted); margin-right: 4px; }
.filters input { position: absolute; opacity: 0; width: 1px; height: 1px; pointer-events: none; }
.pill { cursor: pointer; user-select: none; padding: 4px 12px; border-radius: 999px; border: 1px solid var(--line);
  background: var(--card); font-weight: 500; }
.pill .count { font-variant-numeric: tabular-nums; color: var(--muted); margin-left: 2px; }
.pill:hover { border-color: var(--muted); }
.filters input:focus-visible + .pill { outline: 2px solid var(--blue); outline-offset: 2px; }
.filters input:checked + .pill { background: var(--fg); color: #fff; border-color: var(--fg); }
.filters input:checked + .pill .count { color: #d1d9e0; }
.showing { margin-left: auto; color: var(--muted); font-size: 13px; }
.case { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--grey);
  border-radius: 10px; padding: 16px 20px; margin: 14px 0; }
.case-head { display: flex; flex-wrap: wrap; gap: 8px 10px; align-items: center; }
.tmpl { color: var(--muted); font-family: var(--mono); font-size: 12.5px; }
.ver { background: var(--grey-bg); border-radius: 4px; padding: 0 5px; color: var(--fg); }
.badge { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; padding: 2px 9px;
  border-radius: 999px; }
.st-passed { --c: var(--green); --cb: var(--green-bg); }
.st-failed { --c: var(--red); --cb: var(--red-bg); }
.st-error { --c: var(--dark-red); --cb: #ffd8d3; }
.st-degenerate { --c: var(--amber); --cb: var(--amber-bg); }
.st-blocked { --c: var(--orange); --cb: var(--orange-bg); }
.st-new { --c: var(--blue); --cb: var(--blue-bg); }
.st-skipped, .st-unknown, .st-all { --c: var(--grey); --cb: var(--grey-bg); }
.badge { color: var(--c); background: var(--cb); }
.case { border-left-color: var(--c); }
.pill::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px;
  background: var(--c); vertical-align: 1px; }
.msg { margin: 8px 0 0; font-size: 14.5px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 26px; margin: 12px 0 0; }
.facts dt { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.facts dd { margin: 0; }
.not-applied { color: var(--muted); }
.kk { font-weight: 700; font-variant-numeric: tabular-nums; }
.changed { margin-top: 12px; }
.changed-since { margin: 12px 0; }
.udiff { white-space: pre-wrap; font-size: 12px; }
.udiff .add { background: #e6ffec; display: block; }
.udiff .del { background: #ffebe9; display: block; }
.udiff .hunk { color: #6e7781; display: block; }
.udiff .ctx { display: block; }
.banner { margin: 0 0 8px; padding: 8px 12px; border-radius: 8px; background: var(--purple-bg); color: #512a97;
  border: 1px solid #d8b9ff; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.side { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.prompt-text { white-space: pre-wrap; word-wrap: break-word; margin: 0; font-size: 12.5px; }
del { background: #ffcecb; color: #82071e; text-decoration: line-through; }
ins { background: #aceebb; color: #055d20; text-decoration: none; }
.pairs { display: grid; grid-template-columns: repeat(auto-fill, minmax(350px, 1fr)); gap: 12px; }
.pair { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px; background: #fff; }
.pair.v-good { border-top: 3px solid var(--green); }
.pair.v-bad { border-top: 3px solid var(--red); }
.pair.v-degenerate { border-top: 3px solid var(--amber); }
.pair-imgs { display: flex; gap: 8px; }
.im { flex: 0 1 160px; min-width: 0; }
.cap { display: block; font-size: 11px; color: var(--muted); margin-bottom: 2px; }
.thumb { display: block; width: 160px; max-width: 100%; height: auto; border-radius: 6px; border: 1px solid var(--line);
  background: repeating-conic-gradient(#eaeef2 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
.thumb.placeholder { width: 160px; max-width: 100%; aspect-ratio: 1; display: flex; align-items: center;
  justify-content: center; text-align: center; color: var(--muted); font-size: 12px; padding: 8px;
  background: var(--bg); border-style: dashed; }
.thumb-link:hover .thumb { border-color: var(--blue); }
figcaption { margin-top: 8px; }
.verdict { font-weight: 700; font-size: 12px; text-transform: uppercase; padding: 1px 8px; border-radius: 999px;
  background: var(--grey-bg); color: var(--grey); margin-right: 6px; }
.verdict.v-good { background: var(--green-bg); color: var(--green); }
.verdict.v-bad { background: var(--red-bg); color: var(--red); }
.verdict.v-degenerate { background: var(--amber-bg); color: var(--amber); }
.verdict-help { color: var(--muted); font-size: 12px; margin-right: 4px; }
.dist { border-collapse: collapse; margin-top: 8px; font-size: 12.5px; font-variant-numeric: tabular-nums;
  width: 100%; }
.dist caption { text-align: left; color: var(--muted); font-size: 12px; padding-bottom: 2px; }
.dist th, .dist td { text-align: left; padding: 2px 8px 2px 0; border-bottom: 1px solid #eef1f4; }
.dist thead th { color: var(--muted); font-weight: 500; font-size: 11px; }
.dist tr.over td { color: var(--red); font-weight: 700; background: var(--red-bg); }
.dist.muted tr.over td { color: var(--fg); font-weight: 600; background: var(--grey-bg); }
.dist tr.within .mark { color: var(--green); }
.dist tr.info td { color: var(--muted); }
.note { margin: 6px 0 0; color: var(--fg); font-size: 13px; }
.failures { margin: 6px 0 0; padding-left: 18px; color: var(--red); font-size: 13px; }
.goldens { display: flex; flex-wrap: wrap; gap: 10px; }
.golden { margin: 0; width: 160px; }
.golden figcaption { font-size: 11px; color: var(--muted); margin-top: 3px; overflow-wrap: anywhere; }
.prompt { margin-top: 14px; }
.prompt summary { cursor: pointer; color: var(--muted); font-weight: 600; font-size: 13px; }
.prompt .prompt-text { background: var(--bg); border-radius: 8px; padding: 10px 12px; margin-top: 6px; }
.params { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 8px 0 0; font-size: 12.5px; }
.params dt { color: var(--muted); } .params dd { margin: 0; font-family: var(--mono); }
.review p { margin: 6px 0 4px; color: var(--muted); }
.cmd { position: relative; background: #1f2328; color: #f0f3f6; border-radius: 8px; padding: 9px 70px 9px 12px;
  margin: 0 0 6px; overflow-x: auto; }
.copy { position: absolute; top: 6px; right: 6px; font: 12px inherit; border-radius: 6px; border: 1px solid #59636e;
  background: #32383f; color: #f0f3f6; padding: 2px 8px; cursor: pointer; }
.empty { color: var(--muted); text-align: center; padding: 30px; }
.foot { color: var(--muted); font-size: 12px; margin-top: 24px; text-align: center; }
@media (max-width: 720px) {
  .page { padding: 12px 10px 30px; }
  .side-by-side { grid-template-columns: 1fr; }
  .pairs { grid-template-columns: 1fr; }
  .showing { margin-left: 0; width: 100%; }
  .filters { position: static; }
  .thumb, .thumb.placeholder { width: 100%; }
}
@media print { .filters, .copy { display: none; } .case { break-inside: avoid; } }
"""

# Progressive enhancement only: the filter works without this (CSS :has); the script keeps the URL hash, the
# "showing" count and copy buttons, and filters by itself in browsers without :has. It reads the page's own
# attributes and never embeds a value from the results.
_SCRIPT = """
(function () {
  "use strict";
  var radios = Array.prototype.slice.call(document.querySelectorAll('input[name="status-filter"]'));
  var cards = Array.prototype.slice.call(document.querySelectorAll(".case"));
  var showing = document.getElementById("showing");
  var hasCss = window.CSS && CSS.supports && CSS.supports("selector(:has(*))");
  function apply() {
    var chosen = radios.filter(function (r) { return r.checked; })[0];
    var value = chosen ? chosen.value : "all";
    var shown = 0;
    cards.forEach(function (card) {
      var visible = value === "all" || card.getAttribute("data-status") === value;
      if (!hasCss) { card.hidden = !visible; }
      if (visible) { shown += 1; }
    });
    if (showing) { showing.textContent = shown + " of " + cards.length + " cases"; }
    try {
      history.replaceState(null, "", value === "all" ? location.pathname : "#" + value);
    } catch (e) { /* some browsers refuse this on file:// pages; the filter still works */ }
  }
  var wanted = location.hash.slice(1);
  radios.forEach(function (r) {
    if (r.value === wanted) { r.checked = true; }
    r.addEventListener("change", apply);
  });
  if (wanted || !hasCss) { apply(); }
  if (navigator.clipboard) {
    document.querySelectorAll("pre.cmd").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.firstChild.textContent).then(function () { button.textContent = "Copied"; });
      });
      pre.appendChild(button);
    });
  }
})();
"""
