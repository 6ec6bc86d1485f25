"""`promptlib list`, `show`, `render` and `lock`: the author's everyday commands."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result
from project_helpers import HERO_ID, LOGO_ID, Project

Invoke = Callable[..., Result]


def test_list(project: Project, invoke: Invoke) -> None:
    """One line per template: id, version, operation, description, sorted by id."""
    result = invoke("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:3] == [LOGO_ID, "v1", "generate"]
    assert lines[1].split()[:3] == [HERO_ID, "v3", "generate"]
    assert lines[1].endswith("Wide hero image for product launch pages.")


def test_list_json(project: Project, invoke: Invoke) -> None:
    """`list --json` is a machine-readable array of the same facts."""
    result = invoke("list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "id": LOGO_ID,
            "version": 1,
            "operation": "generate",
            "description": "Flat logo mark on a transparent background.",
        },
        {
            "id": HERO_ID,
            "version": 3,
            "operation": "generate",
            "description": "Wide hero image for product launch pages.",
        },
    ]


def test_list_with_a_broken_template_points_at_it(project: Project, invoke: Invoke) -> None:
    """A broken template makes list fail with the file and line (exit 1), no traceback."""
    project.edit_template(HERO_ID, "owners:", "ownrs:")
    result = invoke("list")
    assert result.exit_code == 1
    assert result.stderr == f"error: prompts/{HERO_ID}.yaml:3: ownrs: unknown field (did you mean 'owners'?)\n"


def test_show(project: Project, invoke: Invoke) -> None:
    """`show` describes version, file, hash, parameters, partials, variables and examples."""
    result = invoke("show", HERO_ID)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(f"{HERO_ID}  v3  (generate)\n")
    content_hash = project.library().get(HERO_ID).content_hash
    assert f"content:     sha256:{content_hash[:16]}" in out
    assert "parameters:  size=1536x1024, quality=high, background=opaque, output_format=png, n=1" in out
    assert "partials:    brand/palette.j2, brand/tone.j2" in out
    assert "deployment:  (project default)" in out
    assert "owners:      brand-team" in out
    assert "product" in out and "required" in out and "max_length=80" in out
    assert "Product name as printed on the packaging." in out
    assert "sneaker" in out and "'Contoso Trailblazer sneaker'" in out


def test_show_json(project: Project, invoke: Invoke) -> None:
    """`show --json` gives the same information structured, including whether each variable is required."""
    result = invoke("show", HERO_ID, "--json")
    data = json.loads(result.stdout)
    assert data["id"] == HERO_ID
    assert data["version"] == 3
    assert data["content_hash"] == project.lock_data()[HERO_ID]["sha256"]
    assert data["variables"]["product"]["required"] is True
    assert data["variables"]["style"] == {
        "type": "enum",
        "values": ["photo", "illustration", "3d-render"],
        "default": "photo",
        "description": "",
        "required": False,
    }
    assert data["partials"] == ["brand/palette.j2", "brand/tone.j2"]
    assert [e["name"] for e in data["examples"]] == ["sneaker", "kettle"]
    assert data["parameters"]["size"] == "1536x1024"


def test_show_unknown_id(project: Project, invoke: Invoke) -> None:
    """A misspelt id exits 1 with a suggestion."""
    result = invoke("show", "marketing/hero")
    assert result.exit_code == 1
    assert "did you mean 'marketing/hero-banner'?" in result.stderr


def test_render_with_vars(project: Project, invoke: Invoke) -> None:
    """`render --var` prints just the prompt text, ready to paste."""
    result = invoke("render", HERO_ID, "--var", "product=Trailblazer", "--var", "style=illustration")
    assert result.exit_code == 0
    assert result.stdout == (
        "A illustration of Trailblazer on a clean studio set, soft daylight.\n"
        "Use the brand palette: deep teal and warm sand. Calm, confident, uncluttered.\n"
    )


def test_render_value_with_equals_sign(project: Project, invoke: Invoke) -> None:
    """Only the first '=' separates name from value."""
    result = invoke("render", HERO_ID, "--var", "product=E=mc² mug")
    assert "A photo of E=mc² mug" in result.stdout


def test_render_example_vars_file_and_var_layering(project: Project, invoke: Invoke) -> None:
    """Example values, then the vars file, then --var: later wins."""
    project.write("vars.yaml", "style: 3d-render\ntagline: Go far\n")
    result = invoke(
        "render", HERO_ID, "--example", "kettle", "--vars-file", "vars.yaml", "--var", "tagline=Go further", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["variables"] == {"product": "Fabrikam kettle", "style": "3d-render", "tagline": "Go further"}
    assert data["template_id"] == HERO_ID
    assert data["version"] == 3
    assert data["content_hash"] == project.lock_data()[HERO_ID]["sha256"]
    assert data["operation"] == "generate"
    assert data["parameters"] == {
        "size": "1536x1024",
        "quality": "high",
        "background": "opaque",
        "output_format": "png",
        "n": 1,
    }
    assert data["prompt"].startswith("A 3d-render of Fabrikam kettle")
    assert 'the text "Go further"' in data["prompt"]


def test_render_json_vars_file(project: Project, invoke: Invoke) -> None:
    """A JSON vars file works too (JSON is YAML)."""
    project.write("vars.json", json.dumps({"product": "Mug", "style": "photo"}))
    result = invoke("render", HERO_ID, "--vars-file", "vars.json")
    assert result.stdout.startswith("A photo of Mug")


def test_render_typed_var_coercion(project: Project, invoke: Invoke) -> None:
    """--var text becomes the declared type before rendering."""
    project.write_template(
        "t/typed",
        """\
        version: 1
        variables:
          n: {type: integer}
          tags: {type: list}
          bold: {type: boolean}
        template: "{{ n + 1 }} {{ tags|join('+') }} {{ 'BOLD' if bold else 'plain' }}"
        """,
    )
    result = invoke("render", "t/typed", "--var", "n=41", "--var", "tags=a, b", "--var", "bold=yes")
    assert result.stdout == "42 a+b BOLD\n"


def test_render_errors_and_exit_codes(project: Project, invoke: Invoke) -> None:
    """Bad values are usage errors (exit 2); unknown templates and examples are exit 1; none print a traceback."""
    cases = [
        (("render", HERO_ID), 2, "missing required variable 'product'"),
        (("render", HERO_ID, "--var", "prodcut=x"), 2, "did you mean 'product'?"),
        (("render", HERO_ID, "--var", "product"), 2, "--var expects NAME=VALUE, got 'product'"),
        (("render", HERO_ID, "--var", "=x"), 2, "--var expects NAME=VALUE"),
        (("render", HERO_ID, "--var", "product=x", "--var", "style=oil"), 2, "'oil' is not one of"),
        (("render", HERO_ID, "--example", "boot"), 1, "has no example 'boot' (examples: sneaker, kettle)"),
        (("render", "nope/none"), 1, "no template 'nope/none'"),
        (("render", "../etc/passwd"), 1, "leaves prompts/"),
    ]
    for args, code, words in cases:
        result = invoke(*args)
        assert result.exit_code == code, (args, result.output)
        assert result.stderr.startswith("error: ") and words in result.stderr, (args, result.stderr)
        assert result.stdout == ""


def test_render_bad_vars_file(project: Project, invoke: Invoke) -> None:
    """A vars file that is not a mapping, or has a duplicate key, is a usage error naming it (and the line)."""
    project.write("list.yaml", "- a\n")
    result = invoke("render", HERO_ID, "--vars-file", "list.yaml")
    assert result.exit_code == 2
    assert "list.yaml: a vars file must be a YAML or JSON mapping of name: value" in result.stderr
    project.write("dup.yaml", "product: a\nproduct: b\n")
    result = invoke("render", HERO_ID, "--vars-file", "dup.yaml")
    assert result.exit_code == 2
    assert "dup.yaml:2: duplicate key 'product'" in result.stderr
    project.path("latin1.yaml").write_bytes(b"product: caf\xe9\n")
    result = invoke("render", HERO_ID, "--vars-file", "latin1.yaml")
    assert result.exit_code == 2
    assert "latin1.yaml: a vars file must be UTF-8 YAML or JSON" in result.stderr
    result = invoke("render", HERO_ID, "--vars-file", "missing.yaml")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_render_sandbox_escape_from_the_cli(project: Project, invoke: Invoke) -> None:
    """A template trying to escape fails with a one-line security error and exit 1."""
    project.write_template("t/evil", "version: 1\ntemplate: \"{{ ''.__class__.__mro__ }}\"\n")
    result = invoke("render", "t/evil")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: prompts/t/evil.yaml: t/evil: blocked by the sandbox:")
    assert len(result.stderr.splitlines()) == 1


def test_render_works_without_deployment_variables(project: Project, invoke: Invoke) -> None:
    """A template pinned to the dev deployment renders offline with its ${env:...} values unset."""
    project.edit_template(HERO_ID, "operation: generate", "operation: generate\ndeployment: dev")
    result = invoke("render", HERO_ID, "--var", "product=Mug", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deployment"] == "dev"


def test_lock_command(project: Project, invoke: Invoke) -> None:
    """`lock` refuses to hide a missing bump (exit 1, lock unchanged) and succeeds once the version is bumped."""
    lock_file = project.path("prompts/prompts.lock")
    before = lock_file.read_text()
    project.edit_template(HERO_ID, "soft daylight", "blue hour")
    refused = invoke("lock")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"prompts/{HERO_ID}.yaml:1: {HERO_ID}: content changed but version is still 3; "
        "set version: 4, then run `promptlib lock`\n"
    )
    assert lock_file.read_text() == before

    project.edit_template(HERO_ID, "version: 3", "version: 4")
    done = invoke("lock")
    assert done.exit_code == 0
    assert done.stdout == f"wrote {lock_file}\n"
    data = json.loads(lock_file.read_text())
    assert list(data) == sorted(data)
    assert data[HERO_ID]["version"] == 4
    assert invoke("check").exit_code == 0


def test_lock_reports_broken_templates(project: Project, invoke: Invoke) -> None:
    """`lock` with a broken template names it and writes nothing."""
    before = project.read("prompts/prompts.lock")
    project.write_template("t/bad", "version: 1\ntemplate: '{{ nope }}'\n")
    result = invoke("lock")
    assert result.exit_code == 1
    assert "prompts/t/bad.yaml:2: variable 'nope' is used but not declared" in result.stderr
    assert project.read("prompts/prompts.lock") == before
