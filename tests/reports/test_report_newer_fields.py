"""report.html for what newer runs record: edit inputs and mask compliance, renamed verdicts explained once, costs
the emulator only estimated, suite problems and run warnings; and the macros reused outside the report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser.report_fixture import EDIT_RUN_ID, RUN_WARNING, SUITE_ERROR, build_edit_run, build_run
from report_page import Page

from promptlib.reports._cards import case_view
from promptlib.reports._html import render_report_html, template_environment
from promptlib.reports._verdicts import MEANINGS, OLD_NAMES


@pytest.fixture(scope="module")
def edit_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    results = build_edit_run(tmp_path_factory.mktemp("edits"))
    return results, render_report_html(results)


def card(html: str, key: str) -> str:
    found = re.search(rf'<article [^>]*data-key="{re.escape(key)}"[^>]*>(.*?)</article>', html, re.S)
    assert found, key
    return found.group(1)


def test_an_edit_card_shows_the_input_image_and_the_mask_over_a_checkerboard(
    edit_run: tuple[dict[str, Any], str],
) -> None:
    _, html = edit_run
    images = {img["src"]: img for img in Page(card(html, "brand/edit-mug")).all("img")}
    assert images["inputs/brand/edit-mug/photo.png"]["class"] == "thumb"
    assert images["inputs/brand/edit-mug/mask.png"]["class"] == "thumb mask"
    assert "checkerboard: repainted; the rest is kept" in card(html, "brand/edit-mug")
    assert "Edit inputs" not in card(html, "moodboard/autumn"), "only edits have inputs"


def test_inputs_outside_the_run_directory_are_not_linked() -> None:
    case = {"key": "s/c", "status": "passed", "inputs": [{"name": "mask", "role": "mask", "file": "/etc/passwd"}]}
    html = render_report_html({"run_id": "r", "cases": [case]})
    assert "/etc/passwd" not in html and "image outside the run directory" in html


def test_each_sample_says_how_much_stayed_unchanged_outside_the_mask(edit_run: tuple[dict[str, Any], str]) -> None:
    pairs = card(edit_run[1], "brand/edit-mug").split('<figure class="pair')[1:]
    kept = [re.findall(r"unchanged outside the mask: ([^<]*)<", pair) for pair in pairs]
    assert kept == [["99.8 %"], ["&gt; 99.9 %"], ["100.0 %"]]  # 0.9995 never rounds up to a reassuring 100.0 %
    detail = "pixels outside the mask that stayed as they were in the input (within 8 levels per channel)"
    assert f'title="{detail}"' in pairs[0]


@pytest.mark.parametrize(("old", "new"), sorted(OLD_NAMES.items()))
def test_old_and_new_verdict_names_read_the_same(old: str, new: str) -> None:
    def badge(verdict: str) -> str:
        case = {"key": "s/c", "status": "failed", "samples": [{"index": 0, "verdict": verdict}]}
        html = render_report_html({"run_id": "r", "cases": [case]})
        return re.search(r'<span class="verdict [^"]*"[^>]*>[^<]*</span>', card(html, "s/c")).group(0)  # type: ignore[union-attr]

    assert badge(old) == badge(new)
    assert f">{new}</span>" in badge(new)


def test_the_legend_explains_each_verdict_on_the_page_once(tmp_path: Path) -> None:
    html = render_report_html(build_run(tmp_path))
    legend = re.search(r'<section class="legend".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]
    shown = re.findall(r'<span class="verdict [^"]*"[^>]*>([^<]*)</span>', legend)
    assert shown == list(MEANINGS), "every verdict of the demo run, in the legend's order"
    text = Page(html).text()
    for meaning in MEANINGS.values():
        assert text.count(meaning) == 1, meaning  # in the legend only; samples carry it as a tooltip
    assert "(older runs: duplicate)" in legend, "an old run says what it used to call the verdict"


def test_a_passing_low_sensitivity_card_shows_distances_without_judging_them(
    edit_run: tuple[dict[str, Any], str],
) -> None:
    mood = card(edit_run[1], "moodboard/autumn")
    assert 'class="badge st-passed"' in mood
    rows = re.findall(r'<tr class="(\w+)" data-alg="\w+"><th>\w+</th><td>(\d+)</td><td>([^<]*)</td>', mood)
    assert rows and {(state, limit) for state, _, limit in rows} == {("unjudged", "not judged")}
    assert "✗ over" not in mood and "within threshold" not in mood
    assert "(not applied)" in mood and "not applied: low sensitivity" in mood
    assert "✗ over" in card(edit_run[1], "brand/edit-lamp"), "an ordinary failing case still marks what is over"


def test_emulator_costs_are_labelled_as_estimates_of_the_model_they_stand_in_for(
    edit_run: tuple[dict[str, Any], str],
) -> None:
    _, html = edit_run
    note = "estimate for gpt-image-1.5; the emulator bills nothing"
    assert f'<dt>Cost</dt><dd>$0.8554</dd><dd class="stat-note">{note}</dd>' in html
    assert f"1 sent, 0 from cache, $0.4067 (est. $0.4049) — {note}" in card(html, "brand/edit-mug")


def test_a_run_on_real_and_emulator_deployments_says_which_part_was_estimated() -> None:
    cases = [
        {"key": "a/real", "status": "passed", "deployment": "prod", "cost": 0.5},
        {"key": "a/emu", "status": "passed", "deployment": "local", "cost": 0.25},
    ]
    results = {"run_id": "r", "cases": cases, "totals": {"cost_usd": 0.75}, "emulated": {"local": "gpt-image-1"}}
    html = render_report_html(results)
    assert '<dd>$0.7500</dd><dd class="stat-note">$0.2500 of it is an estimate for gpt-image-1' in html
    assert "emulator" not in card(html, "a/real") and "estimate for gpt-image-1" in card(html, "a/emu")
    assert 'class="stat-note"' not in render_report_html({"run_id": "r", "cases": cases}), "no emulator, no note"


def test_suite_problems_and_run_warnings_are_shown_at_the_top(edit_run: tuple[dict[str, Any], str]) -> None:
    _, html = edit_run
    top = html[: html.index("<nav")]
    assert '<span class="overall bad">1 of 3 cases need attention; 1 suite entry ran no case</span>' in top
    assert "2 passed, 1 failed, 1 low-sensitivity, 1 suite problem" in top
    assert f"<li><code>evals/shop.yaml:12</code>: {SUITE_ERROR['message']}</li>".replace("'", "&#39;") in top
    assert f"<li>{RUN_WARNING}</li>" in top
    assert top.index('id="suite-errors"') < top.index('id="run-warnings"') < top.index("</header>")


def test_a_run_whose_only_problem_is_a_suite_entry_is_not_all_passed() -> None:
    problem = {"suite": "shop", "path": "evals/shop.yaml", "line": None, "message": "cannot read: not YAML"}
    html = render_report_html(
        {"run_id": "r", "ok": False, "cases": [{"key": "a/b", "status": "passed"}], "suite_errors": [problem]}
    )
    assert '<span class="overall bad">1 suite entry ran no case</span>' in html
    assert "<code>evals/shop.yaml</code>: cannot read: not YAML" in html


def test_the_card_macro_renders_outside_the_report_with_the_callers_links_and_actions(
    edit_run: tuple[dict[str, Any], str],
) -> None:
    results, _ = edit_run
    case = next(c for c in results["cases"] if c["key"] == "brand/edit-mug")
    view = case_view(
        case,
        anchor="c1",
        run_id=EDIT_RUN_ID,
        known_statuses=["passed"],
        href=lambda path: f"/runs/{EDIT_RUN_ID}/files/{path}",
    )
    page = (
        template_environment()
        .from_string(
            '{% from "macros/case.html.j2" import case_card %}'
            '{% call case_card(case, "") %}<form method="post"><button>Approve</button></form>{% endcall %}'
        )
        .render(case=view)
    )
    assert f'src="/runs/{EDIT_RUN_ID}/files/inputs/brand/edit-mug/mask.png"' in page
    assert "<button>Approve</button>" in page and "promptlib approve" not in page


def test_the_environment_escapes_and_is_loaded_once() -> None:
    env = template_environment()
    assert env is template_environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_the_header_says_what_the_run_holds_on_disk_and_how_often_the_service_was_retried() -> None:
    totals = {"disk_bytes": 25_580, "shared_bytes": 17_644_151, "retries": 3, "rate_limited": 2, "read_timeouts": 1}
    top = render_report_html({"run_id": "r", "cases": [], "totals": totals}).split("<nav", 1)[0]
    assert "<span>25.6 kB on disk (17.6 MB more shared with the cache and goldens)</span>" in top
    assert '<dt>Retries</dt><dd>3</dd><dd class="stat-note">2 rate-limited (429), 1 read timeout</dd>' in top
    quiet = render_report_html({"run_id": "r", "cases": [], "totals": {"retries": 0}}).split("<nav", 1)[0]
    assert "on disk" not in quiet and "<dt>Retries</dt>" not in quiet
