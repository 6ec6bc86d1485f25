"""The report side of the walkthrough: what the author sees in report.html after the loop's real runs.

Items 3, 9 and 10 and the suite problems of item 1, through the real CLI on a project made with `promptlib init`;
the rendering of every field in isolation is tests/test_report_newer_fields.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from e2e.helpers import by_key, latest_results, latest_run
from report_page import Page

from .conftest import Run


def report_of(author: Path) -> str:
    return (latest_run(author) / "report.html").read_text(encoding="utf-8")


def card(html: str, key: str) -> str:
    found = re.search(rf'<article [^>]*data-key="{re.escape(key)}"[^>]*>(.*?)</article>', html, re.S)
    assert found, key
    return found.group(1)


def test_3_the_edit_card_shows_the_photo_the_mask_and_how_much_was_kept(author: Path, run: Run) -> None:
    run("eval", "shop/mug-on-beach")
    case = by_key(latest_results(author))["shop/mug-on-beach"]
    mug = card(report_of(author), "shop/mug-on-beach")

    images = {str(img["src"]): img for img in Page(mug).all("img")}
    assert [images[i["file"]]["class"] for i in case["inputs"]] == ["thumb", "thumb mask"]
    assert all((latest_run(author) / i["file"]).is_file() for i in case["inputs"])
    kept = re.findall(r"unchanged outside the mask: ([^<]+)<", mug)
    assert len(kept) == len(case["samples"]) and all(k.endswith(" %") for k in kept)


def test_9_verdicts_are_named_for_reviewers_and_explained_once(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    run("approve", "--all-new")
    run("eval", "shop/lamp", "--refresh")
    html = report_of(author)

    shown = set(re.findall(r'<span class="verdict [^"]*"[^>]*>([^<]*)</span>', card(html, "shop/lamp")))
    assert shown and shown <= {"identical", "near-identical", "match", "miss"}
    assert 'id="legend"' in html and html.count('id="legend"') == 1
    assert "re-encoded or resized" not in html, "the old wording that made reviewers think nothing was regenerated"


def test_10_the_report_labels_emulator_costs_as_estimates(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    results = latest_results(author)
    model = results["emulated"]["local"]
    html = report_of(author)

    assert f'<dd class="stat-note">estimate for {model}; the emulator bills nothing</dd>' in html
    assert f"— estimate for {model}; the emulator bills nothing" in card(html, "shop/lamp")


def test_1_a_broken_suite_entry_is_at_the_top_of_the_report(author: Path, run: Run) -> None:
    shop = author / "evals/shop.yaml"
    shop.write_text(shop.read_text().replace("from_examples: shop/lamp", "from_examples: shop/lmap"))
    run("eval")
    top = report_of(author).split("<nav", 1)[0]

    assert 'id="suite-errors"' in top and "<code>evals/shop.yaml:7</code>" in top
    assert "shop/lmap" in top and '<span class="overall bad">' in top
