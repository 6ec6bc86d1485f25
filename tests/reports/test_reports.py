"""A run's reports: results.json for tools, summary.md for the PR, report.html for people, and `promptlib report`."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from e2e.helpers import approved_brand, clone, latest_run, promptlib, single_line_error, write

from promptlib.evals._results import SEVERITY, CaseResult, RunResult, SampleResult
from promptlib.evals._run_dir import RunDirectory
from promptlib.reports._summary import MAX_ROWS, status_line, summary_markdown, write_reports

PADLOCK = "brand/icon-padlock"


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")


def case(key: str, status: str, message: str = "", **fields: Any) -> CaseResult:
    suite, _, name = key.rpartition("/")
    result = CaseResult(
        suite=suite,
        case=name,
        template_id="icons/feature-icon",
        status=status,  # type: ignore[arg-type]
        message=message,
        version=2,
    )
    for name_, value in fields.items():
        setattr(result, name_, value)
    return result


def run_result(*cases: CaseResult, unused: list[str] | None = None) -> RunResult:
    return RunResult(
        run_id="20261124-080000-abcd",
        created_at="2026-11-24T08:00:00Z",
        deployments=["local"],
        full_run=True,
        hash_spec={"id": "ih1"},
        cases=list(cases),
        unused_goldens=unused or [],
        wall_time_s=1.25,
        promptlib_version="0.1.0",
    )


def test_status_line_lists_statuses_best_first_without_zeros() -> None:
    counts = dict.fromkeys(SEVERITY, 0) | {"passed": 12, "failed": 1, "new": 2}
    assert status_line(counts) == "12 passed, 2 new, 1 failed"
    assert status_line(dict.fromkeys(SEVERITY, 0)) == "no cases"


def test_results_json_orders_cases_worst_first_and_counts_them() -> None:
    data = run_result(
        case("a/ok", "passed"), case("a/bad", "failed"), case("a/boom", "error"), case("a/fresh", "new")
    ).to_dict()
    assert [c["key"] for c in data["cases"]] == ["a/boom", "a/bad", "a/fresh", "a/ok"]
    assert data["counts"] == dict.fromkeys(SEVERITY, 0) | {"passed": 1, "failed": 1, "error": 1, "new": 1}
    assert data["ok"] is False
    assert run_result(case("a/ok", "passed")).to_dict()["ok"] is True
    assert data["schema"] == "promptlib-run/2" and data["hash_spec"] == {"id": "ih1"}


def sample(index: int = 0) -> SampleResult:
    return SampleResult(
        index=index,
        file=f"samples/s{index}.png",
        sha256="0" * 64,
        width=1024,
        height=1024,
        format="png",
        mode="RGB",
        hashes={},
        verdict="miss",
    )


def test_summary_lists_what_needs_attention_and_how_to_approve() -> None:
    results = run_result(
        case("brand/ok", "passed", "3 of 3 samples match the goldens"),
        case(
            "brand/changed",
            "passed",
            "3 of 3 samples match the goldens; changed since approval: v1 → v2",
            changed_since_approval={"from_version": 1, "to_version": 2},
        ),
        case("brand/bad", "failed", "only 0 of 3 samples | match", matches=0, drawn=3, samples=[sample()]),
        case("brand/fresh", "new", "no goldens yet", samples=[sample()]),
        case("brand/blocked", "blocked", "blocked by the safety system"),
        case("brand/low", "passed", "low sensitivity", sensitivity="low"),
        unused=["brand/gone"],
    ).to_dict()
    summary = summary_markdown(results)
    assert summary.startswith("### promptlib eval: 3 passed, 1 new, 1 blocked, 1 failed (1 low-sensitivity)\n")
    assert "Run `20261124-080000-abcd` on local: 6 cases, 0 requests, 0 cache hits, 2 images" in summary
    assert "| ❌ failed | `brand/bad` | icons/feature-icon v2 | 0/3 | only 0 of 3 samples \\| match |" in summary
    assert "| 🆕 new | `brand/fresh` |" in summary and "| ⛔ blocked | `brand/blocked` |" in summary
    assert "| ✅ passed | `brand/changed` |" in summary and "changed since approval: v1 → v2" in summary
    assert "`brand/ok`" not in summary  # plain passes stay out of the PR comment
    assert "Unused goldens (no such case): `brand/gone`. Remove them with `promptlib goldens prune`." in summary
    # Only cases with samples can be approved (a blocked case has none).
    assert "promptlib approve 20261124-080000-abcd --case brand/bad --case brand/fresh\n" in summary


def test_summary_is_capped_for_a_pr_comment() -> None:
    cases = [case(f"s/c{i:03}", "failed", "x") for i in range(MAX_ROWS + 5)]
    summary = summary_markdown(run_result(*cases).to_dict())
    assert summary.count("| ❌ failed |") == MAX_ROWS
    assert "… 5 more in report.html" in summary


def test_write_reports_writes_three_files_and_no_temp_files(tmp_path: Path) -> None:
    run = RunDirectory(path=tmp_path / "run", run_id="20261124-080000-abcd")
    run.path.mkdir()
    data = write_reports(run, run_result(case("brand/ok", "passed", "fine")))
    assert sorted(p.name for p in run.path.iterdir()) == ["report.html", "results.json", "summary.md"]
    assert json.loads((run.path / "results.json").read_text()) == data
    assert (run.path / "summary.md").read_text() == summary_markdown(data)
    assert "brand/ok" in (run.path / "report.html").read_text()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith(("#", "data:")):
                self.links.append(value)


def test_report_html_links_the_images_beside_it(repo: Path) -> None:
    write(
        repo,
        "evals/fresh.yaml",
        "cases:\n  - id: key\n    prompt: icons/feature-icon\n    variables: {subject: a brass key}\n",
    )
    promptlib(repo, "eval", PADLOCK, "fresh")
    run = latest_run(repo)
    parser = _Links()
    parser.feed((run / "report.html").read_text(encoding="utf-8"))
    images = [link for link in parser.links if link.endswith((".png", ".jpg"))]
    assert any("samples/brand/icon-padlock/" in link for link in images)
    assert any("goldens/brand/icon-padlock/" in link for link in images)
    assert any("samples/fresh/key/" in link for link in images)
    for link in images:
        assert not re.match(r"^[a-z]+:", link) and not link.startswith("/")  # relative: works from a download
        assert (run / unquote(link)).is_file(), link


# --- promptlib report ---------------------------------------------------------------------------------------------


def test_report_prints_the_latest_runs_report_in_each_format(repo: Path) -> None:
    promptlib(repo, "eval", PADLOCK)
    run = latest_run(repo)
    html = promptlib(repo, "report")
    assert html.exit_code == 0 and html.stdout.strip() == str(run / "report.html")
    assert promptlib(repo, "report", "--format", "html").stdout == html.stdout
    markdown = promptlib(repo, "report", "--format", "md")
    assert markdown.stdout.rstrip("\n") == (run / "summary.md").read_text().rstrip("\n")
    as_json = promptlib(repo, "report", "--format", "json")
    assert json.loads(as_json.stdout) == json.loads((run / "results.json").read_text())


def test_report_of_an_older_run_by_id_or_path(repo: Path) -> None:
    promptlib(repo, "eval", PADLOCK)
    older = latest_run(repo)
    promptlib(repo, "eval", "brand/logo-crane-symbol")
    by_id = promptlib(repo, "report", older.name, "--format", "json")
    assert [c["key"] for c in json.loads(by_id.stdout)["cases"]] == [PADLOCK]
    by_path = promptlib(repo, "report", str(older), "--format", "md")
    assert by_path.stdout.rstrip("\n") == (older / "summary.md").read_text().rstrip("\n")


def test_report_of_an_unknown_run_exits_2(repo: Path) -> None:
    result = promptlib(repo, "report", "no-such-run")
    assert result.exit_code == 2
    assert "is not a run directory (no results.json); pass a run id or path" in single_line_error(result.output)


def test_report_before_any_run_says_to_run_eval(repo: Path) -> None:
    shutil.rmtree(repo / ".promptlib" / "runs")
    result = promptlib(repo, "report", "--format", "md")
    assert result.exit_code == 2
    assert "run `promptlib eval` first" in single_line_error(result.output)


def test_report_rejects_an_unknown_format(repo: Path) -> None:
    assert promptlib(repo, "report", "--format", "pdf").exit_code == 2


def test_summary_mentions_retries_only_when_there_were_any() -> None:
    """A deployment that needed retries or hit 429s says so in the PR summary; a clean run stays quiet."""
    from promptlib.reports._summary import _retry_note

    assert _retry_note({"retries": 0, "rate_limited": 0}) == ""
    assert _retry_note({"retries": 7, "rate_limited": 3}) == " The service needed 7 retries (3 rate-limited)."
