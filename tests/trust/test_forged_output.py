"""What a pull request writes reaches CI logs, the job summary and a reviewer's terminal only as text.

Suite names are file names the PR chooses; variable values, template text and error messages are its
strings. None of them may become a GitHub workflow command (`::error …` at a line start), Markdown or HTML
in summary.md, a shell command that does something else when pasted, or an escape sequence on a terminal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e.helpers import latest_run, promptlib, write

from promptlib.core._safe_text import code_span, markdown, one_line, shell_command, terminal
from promptlib.reports._summary import summary_markdown

from .conftest import CiJob

HOSTILE_SUITE_NAMES = [
    "x\n::error file=README.md::forged",
    "::error title=Build failed::forged",
    "<img src=https:%2F%2Fattacker.example%2Fpixel.png>",
    "<!--",
    "promo;touch X;#",
    "$(touch X)",
    "a b",
]
SUITE = "cases:\n  - id: lamp\n    prompt: icons/feature-icon\n    variables: {subject: a desk lamp}\n"


@pytest.mark.parametrize("name", HOSTILE_SUITE_NAMES)
def test_a_suite_named_to_forge_output_is_refused(pr: Path, ci: CiJob, name: str) -> None:
    write(pr, f"evals/{name}.yaml", SUITE)

    check, run = promptlib(pr, "check"), promptlib(pr, "eval")

    assert check.exit_code == 1
    (problem,) = [line for line in check.output.splitlines() if "suite names use letters" in line]
    assert problem.startswith("evals/") and "; rename '" in problem
    assert run.exit_code == 2 and run.output.count("\n") == 1
    for output in (check.output, run.output):
        assert not any(line.lstrip().startswith(("::", "<")) for line in output.splitlines())
        assert "\n::" not in output and "touch X" not in output.replace(one_line(name), "")
    assert ci.step_summary.read_text() == ""  # no run, so nothing reached the job summary


def test_hostile_values_in_messages_stay_text_in_every_sink(pr: Path, ci: CiJob) -> None:
    """A variable value echoed in an error: one line in the log, escaped in summary.md, inert in report.html."""
    payload = "x\n::error::forged\x1b]0;owned\x07 <img src=//attacker.example/p.png> | ![i](//a.example/i.png)"
    write(
        pr,
        "evals/odd.yaml",
        "cases:\n  - id: lamp\n    prompt: icons/feature-icon\n"
        f"    variables: {{subject: a lamp, accent: {payload!r}}}\n".replace("'", '"'),
    )

    run = promptlib(pr, "eval", "odd")

    assert run.exit_code == 1
    assert not any(line.lstrip().startswith("::") for line in run.output.splitlines())
    assert "\x1b" not in run.output and "\\x1b" in run.output
    summary = (latest_run(pr) / "summary.md").read_text()
    assert not re.search(r"(?<!\\)<img|(?<!\\)!(?<!\\)\[", summary) and "\x1b" not in summary  # escaped only
    assert "\\<img src=//attacker.example/p.png\\>" in summary
    assert not any(line.lstrip().startswith("::") for line in summary.splitlines())
    assert ci.step_summary.read_text() == summary
    html = (latest_run(pr) / "report.html").read_text()
    assert "<img src=//attacker.example" not in html and "&lt;img src=//attacker.example" in html


def test_terminal_escapes_in_a_rendered_prompt_reach_no_terminal(pr: Path) -> None:
    """A partial (plain text, so it may hold raw escapes) and a value with a newline and a command."""
    partial = pr / "prompts/partials/brand/avoid.j2"
    partial.write_text(partial.read_text() + "\x1b[2J\x1b]0;pwned\x07\n")

    rendered = promptlib(pr, "render", "icons/feature-icon", "--var", "subject=a lamp\n::warning::looks official")

    assert rendered.exit_code == 0, rendered.output
    assert "\x1b" not in rendered.output and "\\x1b[2J" in rendered.output
    assert "\n›::warning::looks official" in rendered.output  # in a log (not a terminal) no line is a command


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\nb", "a\\nb"), ("bell\x07", "bell\\x07"), ("csi\x9b2J", "csi\\x9b2J"), ("rlo\u202eevil", "rlo\\u202eevil"),
     ("tab\tok", "tab ok")],
)  # fmt: skip
def test_one_line_shows_controls_as_escapes(text: str, expected: str) -> None:
    assert one_line(text) == expected


def test_markdown_and_commands_are_quoted_for_their_sink() -> None:
    assert markdown("<b>*x*</b> [l](u) | $m$") == "\\<b\\>\\*x\\*\\</b\\> \\[l\\](u) \\| \\$m\\$"
    assert code_span("a`b") == "``a`b``"
    assert shell_command("promptlib", "approve", "--case", "promo;touch X;#") == (
        "promptlib approve --case 'promo;touch X;#'"
    )
    assert terminal("ok\n  ::error::x\n##vso[task.setvariable]y\n## heading", log=True) == (
        "ok\n  ›::error::x\n›##vso[task.setvariable]y\n## heading"
    )


def test_the_suggested_approve_command_is_shell_quoted() -> None:
    results = {"run_id": "r1", "deployments": ["local"], "counts": {"new": 1}, "changed_since": None,
               "totals": {"cases": 1, "requests": 1, "cache_hits": 0, "images": 1, "cost_usd": 0.0,
                          "estimated_cost_usd": 0.0, "wall_time_s": 1.0},
               "cases": [{"key": "s/it's", "status": "new", "template_id": "t", "version": 1, "matches": 0,
                          "drawn": 1, "message": "new", "samples": [{}]}]}  # fmt: skip
    assert "promptlib approve r1 --case 's/it'\"'\"'s'" in summary_markdown(results)
