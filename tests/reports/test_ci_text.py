"""The PR's summary and the workflow annotations say which text was not found and what was read instead, escaped
like everything else a pull request wrote (a misread text is PR data: the template asked for it)."""

from __future__ import annotations

from typing import Any

from promptlib.evals._results import CaseResult, CaseText, RunResult
from promptlib.reports._ci_formats import eval_annotations
from promptlib.reports._summary import summary_markdown

HOSTILE = "text '20% off' not found; read '<img src=x onerror=alert(1)> | `x`\n::error::forged' (sample #1 of 3)"


def _results(status: str, misses: list[str], message: str = "") -> dict[str, Any]:
    case = CaseResult(
        suite="shop",
        case="tile",
        template_id="shop/tile",
        status=status,
        message=message or "3 of 3 samples match the goldens",
        suite_path="evals/shop.yaml",
        line=7,
        text=CaseText(expected=[["20% off"]], showing=2, needed=2, misses=misses),
    )
    return RunResult(run_id="20261201-120000-abcd", created_at="2026-12-01T12:00:00Z", cases=[case]).to_json()


def test_a_passed_case_whose_text_one_sample_missed_is_in_the_summary_with_what_was_read() -> None:
    miss = "text '20% off' not found; read '2O% of' (sample #1 of 3)"
    summary = summary_markdown(_results("passed", [miss]))
    assert "Text not found where a case asks for it (what OCR read instead):" in summary
    assert "- `shop/tile`: text '20% off' not found; read '2O% of' (sample \\#1 of 3)" in summary


def test_the_summary_escapes_what_was_read() -> None:
    summary = summary_markdown(_results("failed", [HOSTILE], message="text misprinted"))
    (line,) = [line for line in summary.splitlines() if "onerror" in line]  # the newline did not split it
    assert line.startswith("- `shop/tile`: ") and "\\<img src=x onerror=alert(1)\\> \\| \\`x\\`" in line


def test_a_passed_case_with_a_text_miss_gets_a_warning_annotation_at_its_entry() -> None:
    (annotation,) = eval_annotations(_results("passed", [HOSTILE]))
    assert annotation.startswith("::warning file=evals/shop.yaml,line=7,title=promptlib eval shop/tile::passed, but ")
    assert "\n" not in annotation and "%0A::error::forged" in annotation, "the misread text cannot start a command"


def test_a_failed_case_says_it_once_in_its_own_annotation() -> None:
    annotations = list(eval_annotations(_results("failed", [HOSTILE], message="text '20% off' not found")))
    assert len(annotations) == 1 and annotations[0].startswith("::error ")
