"""report.html for a case that expects text: what was expected beside what was read, and the outlines OCR gave
drawn over the sample (green where found, red where the closest reading missed, grey for every line read)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from browser.report_fixture import build_edit_run
from report_page import Page

from promptlib.reports._html import render_report_html


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_edit_run(tmp_path_factory.mktemp("text"))


def _lamp(html: str) -> str:
    found = re.search(r'<article [^>]*data-key="brand/edit-lamp"[^>]*>(.*?)</article>', html, re.S)
    assert found
    return found.group(1)


def test_each_sample_shows_what_was_expected_and_what_was_read(results: dict[str, Any]) -> None:
    page = Page(_lamp(render_report_html(results)))
    text = page.text()
    assert "text '20% off' or '20 % off': found as 20% off" in text
    assert "text '20% off' or '20 % off': not found; read 2O% of (closest to 20% off, 0.71, needs 0.95)" in text
    assert "'20% off' or '20 % off': 1 sample(s) show all of it (2 needed)" in text
    assert "All text read (2 lines, rapidocr 3.10.0 PP-OCRv6 small (no cls))" in text


def test_the_boxes_are_drawn_over_the_sample_in_its_own_pixels(results: dict[str, Any]) -> None:
    page = Page(_lamp(render_report_html(results)))
    assert [svg.get("viewbox") for svg in page.all("svg")] == ["0 0 96 96", "0 0 96 96"]
    polygons = [(p.get("class"), p.get("points")) for p in page.all("polygon")]
    assert polygons == [
        ("line", "10.0,8.0 70.0,9.0 70.0,24.0 10.0,23.0"),
        ("line", "8.0,70.0 88.0,70.0 88.0,86.0 8.0,86.0"),
        ("found", "10.0,8.0 70.0,9.0 70.0,24.0 10.0,23.0"),
        ("line", "10.0,8.0 70.0,9.0 70.0,24.0 10.0,23.0"),
        ("line", "8.0,70.0 88.0,70.0 88.0,86.0 8.0,86.0"),
        ("missed", "10.0,8.0 70.0,9.0 70.0,24.0 10.0,23.0"),
    ]


@pytest.mark.parametrize(
    "box",
    [
        [["0", 0], [1, 0], [1, 1], [0, 1]],
        [[float("nan"), 0], [1, 0], [1, 1]],
        [[1e400, 0], [1, 0], [1, 1]],
        [[0, 0], [1, 0]],
        [[0, 0]] * 9,
        '0,0 1,0 1,1" onload="alert(1)',
        {"x": 1},
    ],
)
def test_a_box_that_is_not_a_list_of_finite_points_is_left_out(results: dict[str, Any], box: object) -> None:
    doctored = copy.deepcopy(results)
    lamp = next(case for case in doctored["cases"] if case["case"] == "edit-lamp")
    lamp["samples"][0]["text"]["lines"][0]["box"] = box
    lamp["samples"][0]["text"]["checks"][0]["boxes"] = [box]
    page = Page(_lamp(render_report_html(doctored)))
    assert len(page.all("polygon")) == 4  # the sample's other line, and the three boxes of the other sample
    assert "onload" not in str(page.all("polygon"))


def test_without_a_known_size_there_is_no_overlay_but_the_text_is_still_listed(results: dict[str, Any]) -> None:
    doctored = copy.deepcopy(results)
    lamp = next(case for case in doctored["cases"] if case["case"] == "edit-lamp")
    for sample in lamp["samples"]:
        sample["width"] = "wide"
    page = Page(_lamp(render_report_html(doctored)))
    assert page.all("svg") == [] and "found as 20% off" in page.text()
