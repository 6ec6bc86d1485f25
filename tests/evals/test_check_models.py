"""`check` validates parameters against the model of every deployment a template runs on, warns about unknown
and retiring models, and reads promptlib.yaml's `models:`; the same table drives the client and the emulator."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable

import pytest
from click.testing import Result
from project_helpers import Project

from promptlib.evals._budget import plan_run
from promptlib.evals._cases import select_cases
from promptlib.evals._check import check_project
from promptlib.exceptions import ConfigError, UsageError

BANNER_ID = "social/wide-banner"
BANNER = """\
version: 1
description: A wide banner at an arbitrary size.
parameters:
  size: 2048x1152
  quality: low
template: A wide banner of a harbour at dawn.
"""
DECEMBER = datetime.date(2026, 12, 1)


def _deploy(project: Project, yaml: str) -> None:
    text = project.read("promptlib.yaml")
    project.write("promptlib.yaml", text.replace("deployments:\n", "deployments:\n" + yaml, 1), dedent=False)


def _with_banner(project: Project, template: str = BANNER) -> None:
    project.write_template(BANNER_ID, template)
    project.lock()


def test_a_banner_size_on_a_listed_size_model_fails_naming_file_line_model_and_sizes(
    project: Project, invoke: Callable[..., Result]
) -> None:
    _deploy(project, "  old:\n    kind: emulator\n    model: gpt-image-1.5\n")
    _with_banner(project, BANNER.replace("parameters:", "deployment: old\nparameters:"))

    result = invoke("check")

    assert result.exit_code == 1
    (line,) = [line for line in result.stdout.splitlines() if "wide-banner" in line]
    assert line == (
        "prompts/social/wide-banner.yaml:5: parameters.size: 2048x1152 is not a size gpt-image-1.5 accepts; it takes "
        "1024x1024, 1536x1024, 1024x1536 or auto (deployment 'old', its default deployment)"
    )


def test_the_same_banner_on_gpt_image_2_passes(project: Project) -> None:
    _with_banner(project)
    report = check_project(project.library(), today=DECEMBER)
    assert report.ok, [str(p) for p in report.problems]


def test_a_suite_case_on_another_deployment_is_checked_against_that_model(project: Project) -> None:
    """The template's own default (gpt-image-2) takes the banner; the suite's deployment does not."""
    _deploy(project, "  old:\n    kind: emulator\n    model: gpt-image-1.5\n")
    _with_banner(project)
    project.write("evals/banners.yaml", f"deployment: old\ncases:\n  - id: harbour\n    prompt: {BANNER_ID}\n")

    (problem,) = check_project(project.library(), today=DECEMBER).problems

    assert (problem.path.name, problem.line) == ("wide-banner.yaml", 4)
    assert "gpt-image-1.5" in problem.message and "used by evals/banners.yaml case harbour" in problem.message


def test_an_unknown_model_is_one_warning_and_still_works(project: Project, invoke: Callable[..., Result]) -> None:
    _deploy(project, "  next:\n    kind: emulator\n    model: gpt-image-3-preview\n")
    wire_only = BANNER.replace("2048x1152", "2000x1000").replace("parameters:", "deployment: next\nparameters:")
    _with_banner(project, wire_only)  # wire rules only: any WxH, even one gpt-image-2 would refuse

    result = invoke("check")

    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: promptlib.yaml:7: model 'gpt-image-3-preview' (deployment 'next') is "
                                  "not in promptlib's model table")  # fmt: skip
    assert "declare it under models: in promptlib.yaml" in warnings[0]
    generated = invoke("generate", BANNER_ID, "-d", "next", "--out", str(project.path("out")))
    assert generated.exit_code == 0, generated.output
    assert "next (gpt-image-3-preview): 1 image(s) 2000x1000 png" in generated.stdout


def test_a_models_entry_declares_a_new_model_and_its_prices(project: Project) -> None:
    _deploy(project, "  next:\n    kind: emulator\n    model: gpt-image-3-preview\n")
    project.write("promptlib.yaml", project.read("promptlib.yaml") + (
        "models:\n  gpt-image-3-preview:\n    extends: gpt-image-1.5\n"
        "    prices: {text_in: 1, image_in: 1, image_out: 100}\n"
    ), dedent=False)  # fmt: skip
    _with_banner(project, BANNER.replace("parameters:", "deployment: next\nparameters:"))
    library = project.library()

    report = check_project(library, today=DECEMBER)

    assert [p.line for p in report.problems] == [5]  # gpt-image-1.5's sizes now apply to it
    assert not [w for w in report.warnings if "not in promptlib's model table" in w.message]
    assert library.settings.price("next").image_out == 100  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="2048x1152 is not a size gpt-image-3-preview accepts"):
        library.generate(BANNER_ID)


def test_a_models_override_changes_what_the_emulator_accepts_and_bills(project: Project) -> None:
    """Declaring a size for gpt-image-1.5 makes check, the client and the in-process emulator all take it."""
    _deploy(project, "  old:\n    kind: emulator\n    model: gpt-image-1.5\n")
    project.write("promptlib.yaml", project.read("promptlib.yaml") + (
        "models:\n  gpt-image-1.5:\n    sizes: {listed: [1024x1024, 2048x1152], auto: false}\n"
    ), dedent=False)  # fmt: skip
    _with_banner(project, BANNER.replace("parameters:", "deployment: old\nparameters:"))
    library = project.library()

    assert check_project(library, today=DECEMBER).ok
    with library:
        result = library.generate(BANNER_ID)
    assert result.images[0].size == (2048, 1152)
    assert result.usage is not None and result.usage.output_tokens == 612  # 272 × 2.25, by the area rule


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 10, 1), None),
        (DECEMBER, "deployment 'old' serves gpt-image-1.5, which retires on Azure on 2026-12-16 (in 15 days); "
                   "move it to a current model (`promptlib models` lists them)"),
        (datetime.date(2027, 1, 1), "which was retired on Azure on 2026-12-16 (16 days ago): its requests fail"),
    ],
)  # fmt: skip
def test_retiring_and_retired_models_are_warnings(project: Project, today: datetime.date, expected: str | None) -> None:
    _deploy(project, "  old:\n    kind: emulator\n    model: gpt-image-1.5\n")

    report = check_project(project.library(), today=today)

    assert report.ok
    if expected is None:
        assert report.warnings == []
    else:
        (warning,) = report.warnings
        assert (warning.path.name, warning.line) == ("promptlib.yaml", 7)
        assert expected in warning.message


def test_a_retired_model_names_its_successors(project: Project) -> None:
    _deploy(project, "  legacy:\n    kind: openai\n    model: gpt-image-1\n")
    (warning,) = check_project(project.library(), today=DECEMBER).warnings
    assert "retired on OpenAI on 2026-10-23" in warning.message
    assert "move it to gpt-image-2.5-sunburst or gpt-image-2.5-flare" in warning.message


def test_warnings_are_in_the_json_report_and_keep_exit_0(project: Project, invoke: Callable[..., Result]) -> None:
    _deploy(project, "  next:\n    kind: emulator\n    model: gpt-image-3-preview\n")
    result = invoke("check", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == []
    assert [(w["path"].rsplit("/", 1)[-1], w["line"]) for w in report["warnings"]] == [("promptlib.yaml", 7)]


def test_the_deprecated_user_field_is_a_warning(project: Project) -> None:
    _with_banner(project, BANNER.replace("  quality: low\n", "  quality: low\n  user: app-42\n"))
    (warning,) = check_project(project.library(), today=DECEMBER).warnings
    assert (warning.line, warning.message.split(";")[0]) == (6, "parameters.user is deprecated in favour of "
                                                                "safety_identifier")  # fmt: skip


@pytest.mark.parametrize(
    ("models", "line", "words"),
    [
        ("models:\n  next:\n    extends: gpt-image-9\n", 15, "models.next.extends: 'gpt-image-9' is neither in"),
        ("models:\n  next:\n    sizes: {rule: {multiple_of: 0}}\n", 15, "models.next.sizes.rule"),
        ("models:\n  next:\n    qualities: [ultra]\n", 15, "models.next.qualities"),
        ("models:\n  next:\n    colour: red\n", 15, "models.next.colour: unknown field"),
        ("models:\n  a:\n    extends: b\n  b:\n    extends: a\n", 17, "b extends itself (a → b → a)"),
    ],
)
def test_models_mistakes_name_file_and_line(project: Project, models: str, line: int, words: str) -> None:
    project.write("promptlib.yaml", project.read("promptlib.yaml") + models, dedent=False)
    with pytest.raises(ConfigError) as caught:
        project.library()
    assert str(caught.value).startswith(f"promptlib.yaml:{line}: ") and words in str(caught.value)


def test_plans_price_by_the_table_and_the_override(project: Project) -> None:
    library = project.library()
    listed = plan_run(library, select_cases(library, [])[0]).estimated_cost
    project.write("promptlib.yaml", project.read("promptlib.yaml") + (
        "models:\n  gpt-image-2:\n    prices: {text_in: 5, image_in: 10, image_out: 80}\n"
    ), dedent=False)  # fmt: skip
    library = project.library()
    doubled = plan_run(library, select_cases(library, [])[0]).estimated_cost
    assert doubled == pytest.approx(2 * listed, rel=0.02)  # image output dominates


def test_warnings_are_github_annotations_too(project: Project, invoke: Callable[..., Result]) -> None:
    _deploy(project, "  next:\n    kind: emulator\n    model: gpt-image-3-preview\n")
    result = invoke("check", "--format", "github")
    assert result.exit_code == 0
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert line.startswith("::warning file=promptlib.yaml,line=7,title=promptlib check::model 'gpt-image-3-preview'")
