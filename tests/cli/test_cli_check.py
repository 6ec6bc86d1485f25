"""`promptlib check`: exit 0 on a valid project, exit 1 naming file and line for each kind of mistake."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest
from click.testing import Result
from project_helpers import HERO_ID, LOGO_ID, Project, run_promptlib

HERO = f"prompts/{HERO_ID}.yaml"
LOGO = f"prompts/{LOGO_ID}.yaml"
LOCK = "prompts/prompts.lock"

Mutation = Callable[[Project], object]


def _symlinked_outside_include(p: Project) -> None:
    outside = p.root.parent / "secret.j2"
    outside.write_text("top secret\n")
    os.symlink(outside, p.path("prompts/partials/leak.j2"))
    p.edit_template(LOGO_ID, '"brand/tone.j2"', '"leak.j2"')


# (mutation, where the message must point, words it must contain)
BROKEN: dict[str, tuple[Mutation, str, str]] = {
    "malformed YAML": (
        lambda p: p.edit_template(HERO_ID, "owners: [brand-team]", "owners: [brand-team"),
        f"{HERO}:4:",
        "invalid YAML",
    ),
    "unknown field": (
        lambda p: p.edit_template(HERO_ID, "owners:", "ownrs:"),
        f"{HERO}:3:",
        "unknown field (did you mean 'owners'?)",
    ),
    "wrong type": (
        lambda p: p.edit_template(HERO_ID, "version: 3", "version: three"),
        f"{HERO}:1:",
        "version: Input should be a valid integer",
    ),
    "variable used but not declared": (
        lambda p: p.edit_template(HERO_ID, "of {{ product }}", "of {{ product }} in {{ colour }}"),
        f"{HERO}:22:",  # the line that uses it, not the `template: |` line
        "'colour' is used but not declared",
    ),
    "variable declared but unused": (
        lambda p: p.edit_template(HERO_ID, "A {{ style }} of", "A photo of"),
        f"{HERO}:11:",
        "'style' is declared but the template never uses it",
    ),
    "enum default outside its values": (
        lambda p: p.edit_template(HERO_ID, "default: photo", "default: watercolour"),
        f"{HERO}:11:",
        "default 'watercolour' is invalid",
    ),
    "invalid size": (
        lambda p: p.edit_template(HERO_ID, "size: 1536x1024", "size: 1000x1000"),
        f"{HERO}:17:",
        "parameters.size",
    ),
    "empty file": (lambda p: p.write_template(HERO_ID, ""), f"{HERO}:1:", "the file is empty"),
    "comment-only file": (lambda p: p.write_template(HERO_ID, "# nothing yet\n"), f"{HERO}:1:", "the file is empty"),
    "file that is a list": (
        lambda p: p.write_template(HERO_ID, "- version: 1\n"),
        f"{HERO}:1:",
        "must be a YAML mapping, not list",
    ),
    "file that is a string": (
        lambda p: p.write_template(HERO_ID, "hello\n"),
        f"{HERO}:1:",
        "must be a YAML mapping, not str",
    ),
    "include with ..": (
        lambda p: p.edit_template(HERO_ID, '"brand/palette.j2"', '"../../promptlib.yaml"'),
        f"{HERO}:23:",
        "leaves prompts/partials/",
    ),
    "absolute include": (
        lambda p: p.edit_template(HERO_ID, '"brand/palette.j2"', '"/etc/passwd"'),
        f"{HERO}:23:",
        "leaves prompts/partials/",
    ),
    "include through a symlink out of partials": (
        _symlinked_outside_include,
        f"{LOGO}:4:",
        "link that leaves prompts/partials/",
    ),
    "missing partial": (
        lambda p: p.edit_template(HERO_ID, '"brand/palette.j2"', '"brand/colours.j2"'),
        f"{HERO}:23:",
        "not found",
    ),
    "content change without a version bump": (
        lambda p: p.edit_template(HERO_ID, "soft daylight", "hard noon light"),
        f"{HERO}:1:",
        "content changed but version is still 3",
    ),
    "partial change without a version bump": (
        lambda p: p.write_partial("brand/tone.j2", "Loud and busy.\n"),
        f"{HERO}:1:",
        "content changed but version is still 3",
    ),
    "version went down": (
        lambda p: p.edit_template(HERO_ID, "version: 3", "version: 2"),
        f"{HERO}:1:",
        "version went down from 3 to 2",
    ),
    "template missing from the lock": (
        lambda p: p.write_template("brand/new", "version: 1\ntemplate: A new prompt.\n"),
        f"{LOCK}:",
        "brand/new is not in the lock",
    ),
    "removed template still locked": (
        lambda p: p.path(LOGO).unlink(),
        f"{LOCK}:",
        "brand/logo-mark is in the lock but no longer exists",
    ),
    "missing lock file": (lambda p: p.path(LOCK).unlink(), f"{LOCK}:", "the lock file is missing"),
    "corrupt lock file": (lambda p: p.write(LOCK, "{not json"), f"{LOCK}:", "the lock file is corrupt"),
    "duplicate key": (
        lambda p: p.edit_template(HERO_ID, "owners:", "version: 4\nowners:"),
        f"{HERO}:3:",
        "duplicate key 'version'",
    ),
    ".yml file": (
        lambda p: p.write("prompts/brand/badge.yml", "version: 1\ntemplate: x\n"),
        "prompts/brand/badge.yml:",
        "must end in .yaml",
    ),
    "transparent background with jpeg": (
        lambda p: p.edit_template(LOGO_ID, "output_format: png", "output_format: jpeg"),
        f"{LOGO}:3:",
        "transparent needs output_format png",
    ),
    "output_compression with png": (
        lambda p: p.edit_template(LOGO_ID, "output_format: png", "output_format: png, output_compression: 80"),
        f"{LOGO}:3:",
        "output_compression applies only to output_format jpeg or webp",
    ),
    "n=11": (
        lambda p: p.edit_template(LOGO_ID, "output_format: png", "output_format: png, n: 11"),
        f"{LOGO}:3:",
        "parameters.n",
    ),
    "input_fidelity on a generate template": (
        lambda p: p.edit_template(LOGO_ID, "output_format: png", "output_format: png, input_fidelity: high"),
        f"{LOGO}:3:",
        "input_fidelity is accepted on edits only",
    ),
    "image variable in a generate template": (
        lambda p: p.edit_template(LOGO_ID, "parameters:", "variables: {photo: {type: image}}\nparameters:"),
        f"{LOGO}:",
        "image variables need operation: edit",
    ),
    "syntax error in the template text": (
        lambda p: p.edit_template(HERO_ID, "{% endif %}", ""),
        f"{HERO}:",
        "endif",
    ),
    "example that does not render": (
        lambda p: p.edit_template(HERO_ID, "{product: Contoso Trailblazer sneaker}", "{prodcut: Contoso}"),
        f"{HERO}:",
        "example 'sneaker'",
    ),
    "broken partial file": (
        lambda p: p.write_partial("brand/extra.j2", "{% if %}\n"),
        "prompts/partials/brand/extra.j2:1:",
        "",
    ),
    "suite case with an unknown template": (
        lambda p: p.edit("evals/smoke.yaml", "prompt: brand/logo-mark", "prompt: brand/logo"),
        "evals/smoke.yaml:9:",
        "no template 'brand/logo'",
    ),
    "suite with an unknown field": (
        lambda p: p.edit("evals/smoke.yaml", "samples: 3", "sample: 3"),
        "evals/smoke.yaml:2:",
        "unknown field",
    ),
}


def _edit_template(p: Project) -> None:
    p.write_template(
        "edit/recolor",
        """\
        version: 1
        operation: edit
        variables:
          photo: {type: image}
          colour: {type: string}
        parameters: {moderation: low}
        template: Recolour the product {{ colour }}.
        """,
    )


BROKEN["moderation on an edit template"] = (
    _edit_template,
    "prompts/edit/recolor.yaml:6:",
    "moderation is accepted on generate only",
)
BROKEN["edit template without an image variable"] = (
    lambda p: p.write_template("edit/plain", "version: 1\noperation: edit\ntemplate: Make it blue.\n"),
    "prompts/edit/plain.yaml:",
    "operation: edit needs at least one variable of type image",
)


def test_valid_project_passes(project: Project, invoke: Callable[..., Result]) -> None:
    """A valid project exits 0 and says how much it checked."""
    result = invoke("check")
    assert result.exit_code == 0, result.output
    assert "2 templates, 2 partials, 1 suites: ok" in result.output


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_mistake_fails_with_file_and_line(name: str, project: Project, invoke: Callable[..., Result]) -> None:
    """Every kind of mistake exits 1 with a one-line message that starts with file:line."""
    mutate, where, words = BROKEN[name]
    mutate(project)
    result = invoke("check")
    assert result.exit_code == 1, result.output
    problems = [line for line in result.stdout.splitlines() if line]
    matching = [line for line in problems if line.startswith(where) and words in line]
    assert matching, f"expected a line starting {where!r} containing {words!r}; got:\n{result.stdout}"
    assert "problem(s)" in result.stderr


def test_every_problem_in_the_tree_is_reported_at_once(project: Project, invoke: Callable[..., Result]) -> None:
    """Two broken templates and a broken suite: all three appear in one run, each only once."""
    project.edit_template(HERO_ID, "owners:", "ownrs:")
    project.edit_template(LOGO_ID, "output_format: png", "output_format: gif")
    project.edit("evals/smoke.yaml", "samples: 3", "samples: 0")
    result = invoke("check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [LOGO, HERO, "evals/smoke.yaml"], result.stdout
    assert "3 problem(s)" in result.stderr


def test_json_report(project: Project, invoke: Callable[..., Result]) -> None:
    """`check --json` gives CI a machine-readable list with path, line and message, and the same exit code."""
    ok = invoke("check", "--json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"ok": True, "templates": 2, "partials": 2, "suites": 1, "problems": [],
                                     "warnings": []}  # fmt: skip

    project.edit_template(HERO_ID, "owners:", "ownrs:")
    bad = invoke("check", "--json")
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert report["problems"] == [
        {"path": str(project.path(HERO)), "line": 3, "message": "ownrs: unknown field (did you mean 'owners'?)"}
    ]


def test_check_works_with_deployment_variables_unset(project: Project, invoke: Callable[..., Result]) -> None:
    """The dev deployment's ${env:...} values are unset (autouse fixture), yet check passes."""
    assert "AZURE_OPENAI_ENDPOINT" not in os.environ
    assert invoke("check").exit_code == 0


def test_real_process_prints_no_traceback(project: Project) -> None:
    """End to end in a child process: several broken files, exit 1, plain lines, no traceback."""
    project.write_template(HERO_ID, "")
    project.edit_template(LOGO_ID, "template:", "template: {% include '../x.j2' %}\nother:")
    project.write("prompts/brand/stray.yml", "version: 1\n")
    done = run_promptlib("check", cwd=project.root)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert f"{HERO}:1: the file is empty" in done.stdout
    assert "prompts/brand/stray.yml: template files must end in .yaml" in done.stdout
    assert LOGO in done.stdout


def test_real_process_valid_project(project: Project) -> None:
    """The real command, started from a subdirectory, finds the project and passes."""
    sub = project.path("prompts/marketing")
    done = run_promptlib("check", cwd=sub)
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_mistake_is_reported_the_same_from_the_check_cache(
    name: str, project: Project, invoke: Callable[..., Result]
) -> None:
    """With the valid project's findings cached, a check after the mistake (and the one after that, from the
    cache it wrote) prints exactly what a cold `check --no-cache` prints, and exits the same."""
    assert invoke("check").exit_code == 0
    BROKEN[name][0](project)
    warm, again, cold = invoke("check"), invoke("check"), invoke("check", "--no-cache")
    for result in (warm, again):
        assert (result.exit_code, result.stdout, result.stderr) == (cold.exit_code, cold.stdout, cold.stderr)
