"""`expect: {text: [...]}` and `text_from:` in a run: each sample is read by OCR, and the text joins the verdict.

These run the real emulator and the real reader (`promptlib[ocr]` is a test dependency); without the extra,
`promptlib.testing.without_ocr` makes the engine's import fail as it would on a machine without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from project_helpers import Project

from promptlib.testing import without_ocr
from promptlib.text import _ocr
from promptlib.text._reading import Reading

Invoke = Callable[..., Result]


def _results(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return data


def _case(results: dict[str, Any], key: str) -> dict[str, Any]:
    return next(case for case in results["cases"] if case["key"] == key)


class CountingReader:
    """The real reader, counting the images it reads (to see what the cache spares)."""

    def __init__(self, reader: _ocr.TextReader) -> None:
        self.reader, self.engine, self.reads = reader, reader.engine, 0

    def read(self, data: bytes) -> Reading:
        self.reads += 1
        return self.reader.read(data)


@pytest.fixture
def counting_reader() -> Any:
    real = _ocr.text_reader()
    counting = CountingReader(real)
    _ocr.replace_reader(counting)
    yield counting
    _ocr.replace_reader(real)


def test_the_text_a_case_asks_for_is_read_once_per_sample_with_its_boxes(
    text_project: Project, invoke: Invoke, counting_reader: CountingReader, tmp_path: Path
) -> None:
    result = invoke("eval", "text", "--run-dir", str(tmp_path / "run"))
    data = _results(tmp_path / "run")
    case = _case(data, "text/kettle-tagline")
    assert result.exit_code == 1 and case["status"] == "new", case["message"]  # no goldens yet; the text is there
    assert case["text"] == {"expected": [["20% off", "20 % off"]], "showing": 1, "needed": 1, "misses": []}
    (check,) = case["samples"][0]["text"]["checks"]
    assert check["found"] and check["read"] == "20% off" and check["similarity"] == 1.0
    (box,) = check["boxes"]
    assert len(box) == 4 and all(0 <= x <= 1024 and 0 <= y <= 1024 for x, y in box)
    assert any(line["text"] == "20% off" for line in case["samples"][0]["text"]["lines"])
    assert counting_reader.reads == 2  # the plain example's tagline is empty: it asks for no text, is never read

    invoke("eval", "text", "--run-dir", str(tmp_path / "again"))
    assert counting_reader.reads == 2, "a re-run reads no image twice"
    assert len(list((text_project.root / ".promptlib" / "cache" / "ocr").rglob("*.json"))) == 2
    assert _case(_results(tmp_path / "again"), "text/kettle-tagline")["text"]["showing"] == 1


def test_a_sample_whose_text_the_first_look_misses_is_read_again_at_twice_the_size(
    text_project: Project, invoke: Invoke, farsighted_reader: Any, tmp_path: Path
) -> None:
    invoke("eval", "text/kettle-tagline", "--run-dir", str(tmp_path / "run"))
    case = _case(_results(tmp_path / "run"), "text/kettle-tagline")
    assert farsighted_reader.sizes == [(1024, 1024), (2048, 2048)]
    assert case["text"]["showing"] == 1 and case["text"]["misses"] == [], case["message"]
    (check,) = case["samples"][0]["text"]["checks"]
    assert check["found"] and check["boxes"] == [[[50.0, 20.0], [250.0, 20.0], [250.0, 60.0], [50.0, 60.0]]]
    assert case["samples"][0]["text"]["engine"] == "farsighted 1.0, enlarged 2x"

    invoke("eval", "text/kettle-tagline", "--run-dir", str(tmp_path / "again"))
    assert len(farsighted_reader.sizes) == 2, "both looks are cached: a re-run reads nothing"
    assert _case(_results(tmp_path / "again"), "text/kettle-tagline")["text"]["showing"] == 1


def test_a_run_whose_readings_are_all_cached_never_loads_the_engine(text_project: Project, invoke: Invoke) -> None:
    invoke("eval", "text/kettle")
    fresh = _ocr.RapidOcrReader()
    previous = _ocr.replace_reader(fresh)
    try:
        assert invoke("eval", "text/kettle").exit_code == 1  # new: no goldens, the text was found
    finally:
        _ocr.replace_reader(previous)
    assert not fresh.loaded


def test_text_from_takes_each_examples_own_value_and_an_empty_one_asks_for_nothing(
    text_project: Project, invoke: Invoke, tmp_path: Path
) -> None:
    invoke("eval", "text", "--run-dir", str(tmp_path / "run"))
    data = _results(tmp_path / "run")
    assert _case(data, "text/kettle")["text"]["expected"] == [["Boil less"]]
    assert _case(data, "text/kettle")["text"]["showing"] == 1
    plain = _case(data, "text/plain")
    assert plain["text"] is None and plain["samples"][0]["text"] is None


def test_a_case_whose_images_match_the_goldens_but_whose_text_is_misprinted_fails(
    text_project: Project, invoke: Invoke, tmp_path: Path
) -> None:
    assert invoke("eval", "text/kettle-tagline").exit_code == 1
    assert invoke("approve", "--all-new").exit_code == 0
    result = invoke("eval", "text/kettle-tagline", "-d", "garbling", "--run-dir", str(tmp_path / "run"))
    case = _case(_results(tmp_path / "run"), "text/kettle-tagline")
    assert result.exit_code == 1 and case["status"] == "failed"
    assert case["samples"][0]["verdict"] in ("identical", "near-identical", "match")
    assert case["message"].startswith("text '20% off' or '20 % off' not found; read '")
    assert "sample #0 of 1" in case["message"] and "0 sample(s) show all the text, 1 needed" in case["message"]
    assert "text '20% off'" in result.output
    refused = invoke("approve", str(tmp_path / "run"), "--case", "text/kettle-tagline")
    assert refused.exit_code == 2 and "misses its expected text" in refused.output, "a misprint never becomes a golden"


def test_no_cache_writes_no_reading(text_project: Project, invoke: Invoke, counting_reader: CountingReader) -> None:
    invoke("eval", "text/kettle", "--no-cache")
    assert counting_reader.reads == 1
    assert not (text_project.root / ".promptlib" / "cache" / "ocr").exists()


def test_without_the_ocr_extra_eval_says_how_to_install_it_and_exits_2(text_project: Project, invoke: Invoke) -> None:
    with without_ocr():
        result = invoke("eval", "text")
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "3 cases (text/kettle-tagline, …) expect text in the images" in line
    assert "pip install 'promptlib[ocr]'" in line
    assert not (text_project.root / ".promptlib" / "runs").exists(), "nothing was drawn"


def test_without_the_ocr_extra_check_warns_at_the_first_case_that_expects_text(
    text_project: Project, invoke: Invoke
) -> None:
    with without_ocr():
        result = invoke("check")
    assert result.exit_code == 0, result.output  # a warning: the project itself is fine
    assert (
        "warning: evals/text.yaml:5: 3 cases (text/kettle-tagline, …) expect text in the images; reading text in "
        "images needs the OCR extra: pip install 'promptlib[ocr]'"
    ) in result.output
    assert "warning" not in invoke("check").output, "with the extra there is nothing to say"


def test_without_the_ocr_extra_a_case_that_expects_text_is_an_error_never_a_pass(
    text_project: Project, invoke: Invoke, tmp_path: Path
) -> None:
    from promptlib.evals._cases import select_cases
    from promptlib.evals._runner import EvalOptions
    from promptlib.reports._execute import execute

    library = text_project.library()
    cases, _ = select_cases(library, ["text/kettle", "text/plain"])
    with without_ocr():
        result, _, _ = execute(library, cases, EvalOptions(), full_run=False, run_dir=tmp_path / "run")
    statuses = {case.key: (case.status, case.message) for case in result.cases}
    assert statuses["text/kettle"][0] == "error" and "pip install 'promptlib[ocr]'" in statuses["text/kettle"][1]
    assert statuses["text/plain"][0] == "new", "a case that expects no text still runs"
    assert _ocr.text_reader().engine.startswith("rapidocr"), "the reader comes back after the block"
