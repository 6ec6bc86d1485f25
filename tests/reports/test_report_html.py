"""report.html: ordering, escaping of user data, links into the run directory, and what a reviewer must see."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from browser.report_fixture import HOSTILE_PROMPT, RUN_ID, build_run
from markupsafe import escape
from report_page import Page

from promptlib.evals._results import SEVERITY, CaseResult, RunResult, SampleResult
from promptlib.reports._cards import LOW_SENSITIVITY_SENTENCE
from promptlib.reports._diffs import word_diff
from promptlib.reports._html import render_report_html, report_script
from promptlib.reports._links import approve_command, reject_command, relative_href
from promptlib.reports._view import sort_cases

_SCRIPT = report_script()

HOSTILE = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    run_dir = tmp_path_factory.mktemp("run")
    results = build_run(run_dir)
    return run_dir, results, render_report_html(results)


def cards(page: str) -> dict[str, str]:
    """Each case card's HTML by suite/case (escaped content cannot contain a literal </article>)."""
    return dict(re.findall(r'<article [^>]*data-key="([^"]*)"[^>]*>(.*?)</article>', page, re.S))


def test_page_is_well_formed(run: tuple[Path, dict[str, Any], str]) -> None:
    page = Page(run[2])
    assert page.errors == []
    assert page.stack == []
    assert run[2].startswith("<!doctype html>")


def test_cases_sorted_worst_first_whatever_the_input_order(run: tuple[Path, dict[str, Any], str]) -> None:
    _, results, _ = run
    shuffled = dict(results, cases=list(reversed(results["cases"])))
    statuses = [a["data-status"] for a in Page(render_report_html(shuffled)).all("article")]
    assert statuses == sorted(statuses, key=lambda s: SEVERITY.index(s))  # type: ignore[arg-type]
    assert statuses[0] == "error" and statuses[-1] == "passed"
    assert len(statuses) == len(results["cases"]) == 9


def test_within_a_status_cases_sort_by_key_and_unknown_statuses_come_first() -> None:
    cases = [
        {"key": "b/x", "status": "failed"},
        {"key": "a/y", "status": "failed"},
        {"key": "z/z", "status": "odd"},
        {"key": "a/a", "status": "passed"},
    ]
    assert [c["key"] for c in sort_cases(cases)] == ["z/z", "a/y", "b/x", "a/a"]


def test_hostile_prompt_is_escaped(run: tuple[Path, dict[str, Any], str]) -> None:
    _, _, html = run
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert escape('"settings"') in html and escape("'quoted'") in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    page = Page(html)
    assert [s.strip() for s in page.scripts] == [_SCRIPT.strip()]
    assert not page.all("b")


def _poisoned(run_dir: Path) -> dict[str, Any]:
    """A run where every free-text field a user or a server controls holds markup."""
    sample = SampleResult(
        index=0,
        file="samples/s/c/s0.png",
        sha256="0" * 64,
        width=8,
        height=8,
        format=HOSTILE,
        mode="RGB",
        hashes={},
        verdict=HOSTILE,
        nearest_golden="goldens/s/c/g.png",
        distances={HOSTILE: 3, "phash": 4},
        note=HOSTILE,
        failures=[HOSTILE],
    )
    case = CaseResult(
        suite=HOSTILE,
        case=HOSTILE,
        template_id=HOSTILE,
        status="failed",
        message=HOSTILE,
        version=3,
        operation=HOSTILE,
        prompt=HOSTILE,
        parameters={HOSTILE: HOSTILE},
        deployment=HOSTILE,
        model=HOSTILE,
        expected_outcome=HOSTILE,
        sensitivity="low",
        thresholds={HOSTILE: 1},
        policy={"samples": 1},
        matches=1,
        drawn=1,
        samples=[sample],
        warnings=[HOSTILE],
        goldens=[{"file": "goldens/s/c/g.png", "approved_by": HOSTILE, "approved_at": HOSTILE}],
        changed_since_approval={"from_version": HOSTILE, "to_version": 2, "old_prompt": HOSTILE, "new_prompt": "x"},
    )
    odd = CaseResult(suite="s", case="odd", template_id="t", status=HOSTILE, message="")
    result = RunResult(
        run_id=HOSTILE,
        created_at=HOSTILE,
        deployments=[HOSTILE],
        full_run=False,
        hash_spec={"id": HOSTILE},
        cases=[case],
        unused_goldens=[HOSTILE],
        promptlib_version=HOSTILE,
    )
    data = result.to_dict()
    data["cases"].append(odd.to_json())  # a status this report does not know, as a newer promptlib might write
    return data


def test_every_string_from_the_results_is_escaped(tmp_path: Path) -> None:
    html = render_report_html(_poisoned(tmp_path))
    page = Page(html)
    assert page.errors == []
    assert [s.strip() for s in page.scripts] == [_SCRIPT.strip()], "only our own inline script"
    srcs = [img["src"] for img in page.all("img")]
    assert srcs == ["samples/s/c/s0.png", "goldens/s/c/g.png", "goldens/s/c/g.png"], "no injected <img>"
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")], "no event handlers"
    assert "alert(1)</script>" not in html.replace(_SCRIPT, "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_inline_script_holds_no_value_from_the_results(run: tuple[Path, dict[str, Any], str]) -> None:
    _, results, html = run
    script = Page(html).scripts[0]
    assert RUN_ID not in script
    assert not any(case["key"] in script or case["suite"] in script for case in results["cases"])


def test_links_are_relative_and_point_at_files_in_the_run(run: tuple[Path, dict[str, Any], str]) -> None:
    run_dir, results, html = run
    page = Page(html)
    targets = [a["href"] for a in page.all("a")] + [i["src"] for i in page.all("img")]
    files = [t for t in targets if t and not t.startswith("#")]
    assert files
    for target in files:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^/", target, re.I), target
        assert ".." not in target.split("/")
        assert (run_dir / unquote(target)).is_file(), target
    expected = {s["file"] for c in results["cases"] for s in c["samples"]}
    expected |= {g["file"] for c in results["cases"] for g in c["goldens"]}
    assert expected <= {unquote(str(i["src"])) for i in page.all("img")}, "every sample and golden is shown"


def test_thumbnails_are_lazy_and_link_to_the_full_image(run: tuple[Path, dict[str, Any], str]) -> None:
    for img in Page(run[2]).all("img"):
        assert img["loading"] == "lazy"
        assert img["class"] == "thumb"
        assert img["width"] == "160"
        assert img["_parent_href"] == img["src"]


def test_each_sample_is_paired_with_its_nearest_golden(run: tuple[Path, dict[str, Any], str]) -> None:
    _, results, html = run
    logo = next(c for c in results["cases"] if c["key"] == "brand/logo-mark")
    card = cards(html)["brand/logo-mark"]
    for sample in logo["samples"]:
        pair = re.search(rf'src="{re.escape(sample["file"])}".*?src="([^"]+)"', card, re.S)
        assert pair and pair.group(1) == sample["nearest_golden"]


def test_no_external_resources(run: tuple[Path, dict[str, Any], str]) -> None:
    html = run[2]
    assert "http://" not in html and "https://" not in html
    assert "//" not in " ".join(str(v) for _, attrs in Page(html).tags for v in attrs.values())
    page = Page(html)
    assert not page.all("link") and not page.all("iframe")
    assert all("src" not in attrs for attrs in page.all("script"))
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style and "@import" not in style.group(1) and "url(" not in style.group(1)


def test_readable_without_javascript(run: tuple[Path, dict[str, Any], str]) -> None:
    """Nothing of the run is hidden until a filter is chosen; only the approvals export, which needs the script to
    do anything, waits for it."""
    page = Page(run[2])
    hidden = [(tag, attrs.get("class") or attrs.get("id")) for tag, attrs in page.tags if "hidden" in attrs]
    assert hidden and set(hidden) == {("section", "export"), ("fieldset", "decide"), ("label", "decide-add")}
    checked = [a["value"] for a in page.all("input") if "checked" in a and a.get("name") == "status-filter"]
    assert checked == ["all"]


def test_filter_buttons_per_status_present_with_counts(run: tuple[Path, dict[str, Any], str]) -> None:
    html = run[2]
    values = [a["value"] for a in Page(html).all("input") if a.get("name") == "status-filter"]
    assert values == ["all", "error", "failed", "degenerate", "blocked", "new", "skipped", "passed"]
    assert re.search(r'data-filter="all">all <span class="count">9</span>', html)
    assert re.search(r'data-filter="failed">failed <span class="count">2</span>', html)


def test_header_shows_run_totals_summary_and_unused_goldens(run: tuple[Path, dict[str, Any], str]) -> None:
    html = run[2]
    header = html[: html.index("<nav")]
    assert RUN_ID in header and "2026-11-01 09:30:15 UTC" in header and "azure-eastus" in header
    assert (
        "2 passed, 1 error, 2 failed, 1 degenerate, 1 blocked, 1 new, 1 skipped, 1 low-sensitivity, "
        "1 changed since approval, 1 unused golden set"
    ) in header
    for label, value in [
        ("Requests", "11"),
        ("Cache hits", "1"),
        ("Images", "20"),
        ("Tokens", "10,320"),
        ("Cost", "$0.2100"),
        ("Est. cost", "$0.3200"),
        ("Wall time", "1 min 14 s"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in header
    assert "brand/old-wordmark" in header and "promptlib goldens prune" in header


def test_low_sensitivity_sentence_only_on_low_sensitivity_cases(run: tuple[Path, dict[str, Any], str]) -> None:
    by_key = cards(run[2])
    sentence = escape(LOW_SENSITIVITY_SENTENCE)
    assert sentence in by_key["marketing/hero"]
    assert (
        "only checked for blank output, duplicates of rejected images and the expectations" in by_key["marketing/hero"]
    )
    assert [k for k, card in by_key.items() if sentence in card] == ["marketing/hero"]


def test_changed_since_approval_shows_both_prompts_side_by_side(run: tuple[Path, dict[str, Any], str]) -> None:
    by_key = cards(run[2])
    card = by_key["brand/logo-mark"]
    assert "changed since approval: v3 → v4" in card
    sides = re.search(r'<div class="side-by-side">(.*?)</div></section>', card, re.S)
    assert sides
    old, new = re.findall(r'<div class="side (?:old|new)">(.*?)</pre></div>', sides.group(1), re.S)
    assert "Approved prompt (v3)" in old and "<del>bright</del>" in old and "<del>thin</del>" in old
    assert "Current prompt (v4)" in new and "<ins>deep</ins>" in new and "<ins>thick</ins>" in new
    assert "<ins>" not in old and "<del>" not in new
    assert not [k for k, c in by_key.items() if "side-by-side" in c and k != "brand/logo-mark"]


def test_word_diff_escapes_and_keeps_text_intact() -> None:
    old, new = word_diff("a <b> c\n d", "a <i> c\n d e")
    assert old == "a <del>&lt;b&gt;</del> c\n d"
    assert new == "a <ins>&lt;i&gt;</ins> c\n d<ins> e</ins>"
    assert word_diff("same text", "same text") == ("same text", "same text")


def test_approve_command_for_failed_and_new_cases_only(run: tuple[Path, dict[str, Any], str]) -> None:
    _, results, html = run
    by_key = cards(html)
    for case in results["cases"]:
        command = approve_command(RUN_ID, case["key"])
        assert command == f"promptlib approve {RUN_ID} --case {case['key']}"
        assert (command in by_key[case["key"]]) == (case["status"] in ("failed", "new")), case["key"]
        reject = str(escape(reject_command(RUN_ID, case["key"])))
        wanted = case["status"] in ("failed", "new") or case["sensitivity"] == "low"
        assert (reject in by_key[case["key"]]) == wanted, case["key"]
    assert f'promptlib reject {RUN_ID} --case brand/logo-mark --sample N --reason "..."' == reject_command(
        RUN_ID, "brand/logo-mark"
    )


def test_commands_quote_names_a_shell_would_split() -> None:
    assert approve_command("r1", "my suite/it's") == "promptlib approve r1 --case 'my suite/it'\"'\"'s'"


def test_case_card_shows_the_numbers_behind_the_verdict(run: tuple[Path, dict[str, Any], str]) -> None:
    card = cards(run[2])["brand/logo-mark"]
    assert 'class="badge st-failed">failed<' in card
    assert "brand.logo" in card and '<span class="ver">v4</span>' in card
    assert "azure-eastus · gpt-image-1" in card
    assert '<span class="kk">1/5</span>' in card
    assert "≥ 2 of 3 must match, top-up to 5 when ambiguous" in card
    assert "pHash ≤ 10 · dHash ≤ 12 · wHash ≤ 9" in card
    assert "palette drift: colorhash distance 9" in card
    assert "A round logo mark for Acme in deep blue" in card
    mascot = cards(run[2])["brand/mascot"]
    assert "size: expected 1024x1024, got 1024x1536" in mascot and "rejected-dup" in mascot


def test_over_threshold_distances_are_marked(run: tuple[Path, dict[str, Any], str]) -> None:
    card = cards(run[2])["brand/logo-mark"]
    pairs = card.split('<figure class="pair')[1:]
    assert re.findall(r'<tr class="(\w+)" data-alg="(\w+)"', pairs[0]) == [
        ("within", "phash"),
        ("within", "dhash"),
        ("within", "whash"),
        ("info", "colorhash"),
    ]
    assert re.findall(r'<tr class="(\w+)" data-alg="(\w+)"', pairs[2]) == [
        ("over", "phash"),
        ("within", "dhash"),
        ("over", "whash"),
        ("info", "colorhash"),
    ]
    assert '<td>24</td><td>≤ 10 <span class="mark">✗ over</span>' in pairs[2]


@pytest.mark.parametrize(
    ("path", "href"),
    [
        ("samples/a/b/s0.png", "samples/a/b/s0.png"),
        ("samples/a#1/s 0.png", "samples/a%231/s%200.png"),
        ("/etc/passwd", None),
        ("../../secret.png", None),
        ("samples/../../x.png", None),
        ("javascript:alert(1)", None),
        ("https://example.invalid/x.png", None),
        ("C:/x.png", None),
        ("samples\\x.png", None),
        ("", None),
        (None, None),
    ],
)
def test_relative_href_only_allows_paths_inside_the_run(path: str | None, href: str | None) -> None:
    assert relative_href(path) == href


def test_refused_image_paths_become_placeholders() -> None:
    case = {"key": "s/c", "status": "new", "samples": [{"index": 0, "file": "/etc/passwd", "verdict": "unchecked"}]}
    html = render_report_html({"run_id": "r", "cases": [case]})
    assert "/etc/passwd" not in html
    assert "image outside the run directory" in html
    assert not Page(html).all("img")


def test_minimal_and_empty_results_render() -> None:
    empty = render_report_html({"run_id": "r0", "cases": []})
    assert "No cases in this run." in empty and "no cases" in empty
    bare = render_report_html({"cases": [{"suite": "s", "case": "c", "status": "error"}]})
    assert 'data-key="s/c"' in bare and Page(bare).errors == []


def test_write_reports_puts_the_page_beside_results_json(tmp_path: Path) -> None:
    from promptlib.evals._run_dir import RunDirectory
    from promptlib.reports._summary import REPORT, write_reports

    run_dir = RunDirectory(path=tmp_path, run_id=RUN_ID)
    result = RunResult(
        run_id=RUN_ID,
        created_at="2026-11-01T09:30:15+00:00",
        deployments=["d"],
        full_run=True,
        hash_spec={"id": "ih1"},
        cases=[CaseResult(suite="s", case="c", template_id="t", status="new", prompt=HOSTILE_PROMPT)],
    )
    write_reports(run_dir, result)
    html = (tmp_path / REPORT).read_text(encoding="utf-8")
    assert 'data-key="s/c"' in html and "&lt;script&gt;alert(1)" in html
