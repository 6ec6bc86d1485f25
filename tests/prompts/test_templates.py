"""Loading templates: the strict file format, its line-numbered errors, and the content hash behind versioning."""

from __future__ import annotations

import pytest
from project_helpers import HERO, HERO_ID, LOGO_ID, Project

from promptlib import (
    ImageParameters,
    PromptTemplate,
    TemplateNotFound,
    TemplateSecurityError,
    TemplateValidationError,
)


def _load(project: Project, text: str, template_id: str = "t/t") -> PromptTemplate:
    project.write_template(template_id, text)
    return project.library().get(template_id)


def _error(project: Project, text: str, template_id: str = "t/t") -> str:
    project.write_template(template_id, text)
    with pytest.raises(TemplateValidationError) as info:
        project.library().get(template_id)
    return str(info.value)


def test_template_properties(project: Project) -> None:
    """A loaded template exposes what `show` and apps need: id, version, description, variables, parameters."""
    template = project.library().get(HERO_ID)
    assert repr(template) == "<PromptTemplate marketing/hero-banner v3>"
    assert (template.id, template.version, template.operation, template.deployment) == (HERO_ID, 3, "generate", None)
    assert template.description == "Wide hero image for product launch pages."
    assert list(template.variables) == ["product", "style", "tagline"]
    assert template.parameters == ImageParameters(
        size="1536x1024", quality="high", background="opaque", output_format="png"
    )
    assert template.partials == ["brand/palette.j2", "brand/tone.j2"]  # tone.j2 comes in through palette.j2
    assert [e.name for e in template.examples] == ["sneaker", "kettle"]
    assert template.example("kettle").variables["style"] == "illustration"
    assert template.path == project.path(f"prompts/{HERO_ID}.yaml")


def test_unknown_example_lists_the_known_ones(project: Project) -> None:
    """Asking for a missing example says which examples exist."""
    with pytest.raises(TemplateNotFound, match="has no example 'boot' \\(examples: sneaker, kettle\\)"):
        project.library().get(HERO_ID).example("boot")


def test_minimal_template(project: Project) -> None:
    """Only version and template are required; everything else has a sensible default."""
    template = _load(project, "version: 1\ntemplate: A plain white mug.\n")
    assert template.operation == "generate"
    assert template.parameters.to_wire() == {"n": 1}
    assert template.render().prompt == "A plain white mug."


def test_declared_id_must_match_the_path(project: Project) -> None:
    """An `id:` field that disagrees with the file's path is an error on its line, saying what to write."""
    assert _load(project, "version: 1\nid: t/t\ntemplate: x\n").id == "t/t"
    message = _error(project, "version: 1\nid: other/name\ntemplate: x\n")
    assert message == (
        "prompts/t/t.yaml:2: id 'other/name' does not match the file's path; set it to 't/t' or remove it"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("template: x\n", "prompts/t/t.yaml:1: version: required field is missing"),
        ("version: 1\n", "prompts/t/t.yaml:1: template: required field is missing"),
        ("version: 0\ntemplate: x\n", "prompts/t/t.yaml:1: version: Input should be greater than or equal to 1"),
        ("version: 1\ntemplate: ''\n", "prompts/t/t.yaml:2: template: String should have at least 1 character"),
        ("version: 1\ntemplate: x\nowners: brand\n", "prompts/t/t.yaml:3: owners: Input should be a valid list"),
        (
            "version: 1\ntemplate: x\noperation: inpaint\n",
            "prompts/t/t.yaml:3: operation: Input should be 'generate' or 'edit'",
        ),
        (
            "version: 1\ntemplate: x\nparameters: {quality: ultra}\n",
            "prompts/t/t.yaml:3: parameters.quality: Input should be",
        ),
        (
            "version: 1\ntemplate: x\nparameters: {sizes: auto}\n",
            "prompts/t/t.yaml:3: parameters.sizes: unknown field",
        ),
        (
            "version: 1\ntemplate: x\nexamples: [{name: a b}]\n",
            "prompts/t/t.yaml:3: examples[a b].name: String should match pattern",
        ),
        (
            "version: 1\ntemplate: x\nexamples: [{name: a}, {name: a}]\n",
            "prompts/t/t.yaml:1: example names must be unique; repeated: a",
        ),
        (
            "version: 1\ntemplate: x\nexamples: [{name: a, vars: {}}]\n",
            "prompts/t/t.yaml:3: examples[a].vars: unknown field",
        ),
    ],
)
def test_format_errors_name_the_line(project: Project, text: str, expected: str) -> None:
    """Each format mistake is reported as file:line: field: what is wrong."""
    assert _error(project, text).startswith(expected)


def test_nested_unknown_field_is_not_given_a_top_level_suggestion(project: Project) -> None:
    """`parameters: {owner: x}` must not suggest 'owners', which is not a parameter."""
    message = _error(project, "version: 1\ntemplate: x\nparameters: {owner: x}\n")
    assert "did you mean 'owners'" not in message


def test_variable_spec_error_does_not_name_a_phantom_field(project: Project) -> None:
    """An invalid enum default is reported under variables.mood, not 'variables.mood.enum' (no such field)."""
    message = _error(
        project, "version: 1\nvariables:\n  mood: {type: enum, values: [a], default: b}\ntemplate: '{{ mood }}'\n"
    )
    assert "variables.mood.enum" not in message


def test_all_field_errors_are_reported_together(project: Project) -> None:
    """Several mistakes in one file come back together, not one per CI run."""
    project.write_template("t/t", "version: zero\ntemplate: x\ncolour: red\nparameters: {n: 0}\n")
    with pytest.raises(TemplateValidationError) as info:
        project.library().get("t/t")
    assert "(and 2 more)" in str(info.value)
    problems = [str(p) for p in info.value.problems]  # type: ignore[attr-defined]
    assert problems == [
        "prompts/t/t.yaml:1: version: Input should be a valid integer, unable to parse string as an integer",
        "prompts/t/t.yaml:4: parameters.n: Input should be greater than or equal to 1",
        "prompts/t/t.yaml:3: colour: unknown field",
    ]


def test_jinja_syntax_error_points_at_the_file_line(project: Project) -> None:
    """A syntax error inside a block template is reported at its line in the YAML file, not in the Jinja text."""
    message = _error(project, "version: 1\n# note\ntemplate: |\n  line one\n  {{ broken( }}\n")
    assert message.startswith("prompts/t/t.yaml:5: ")


def test_errors_found_while_generating_code_point_at_the_file_line(project: Project) -> None:
    """Jinja finds a block defined twice only when it writes the code: still one line naming the file, not a
    traceback."""
    text = "version: 1\ntemplate: |\n  {% block a %}x{% endblock %}\n  {% block a %}y{% endblock %}\n"
    assert _error(project, text) == "prompts/t/t.yaml:4: block 'a' defined twice"


def test_blocks_render_in_place(project: Project) -> None:
    """Without `extends` a block is just its text (the code generator's search for blocks is answered by the
    sandbox's own walk of the template)."""
    template = _load(
        project, "version: 1\ntemplate: |\n  {% block a %}one{% endblock %} {% block b %}two{% endblock %}\n"
    )
    assert template.render().prompt == "one two"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("version: 1\ntemplate: 'x {% if %}'\n", 2),
        ('version: 1\ntemplate: "ok\\n{{ x( }}"\n', 2),  # the \\n is not a file line
        ("version: 1\ntemplate:\n  ok\n  {{ x( }}\n", 2),  # plain scalars fold their lines
        ("template: |  # a comment\n  a\n  b\n  {{ x( }}\nversion: 1\n", 4),
        ("version: 1\ntemplate: |2\n   ok\n   {{ x( }}\n", 4),
        ("version: 1\ntemplate: |\n\n  ok\n  {{ x( }}\n", 5),
    ],
)
def test_jinja_error_lines_for_each_scalar_style(project: Project, text: str, line: int) -> None:
    """Block templates map Jinja lines to file lines; quoted and plain ones point at `template:`, never past it."""
    assert _error(project, text).startswith(f"prompts/t/t.yaml:{line}: ")


def test_variable_use_checks(project: Project) -> None:
    """Used-but-undeclared names point at the template; declared-but-unused at the variable's own line."""
    message = _error(
        project,
        "version: 1\nvariables:\n  a: {type: string}\n  b: {type: string}\ntemplate: '{{ a }} {{ c }}'\n",
    )
    assert message.startswith("prompts/t/t.yaml:5: variable 'c' is used but not declared under variables: (and 1 more)")
    problems = _problems(project)
    assert (
        "prompts/t/t.yaml:4: variable 'b' is declared but the template never uses it; use it or remove it" in problems
    )


def _problems(project: Project) -> list[str]:
    with pytest.raises(TemplateValidationError) as info:
        project.library().get("t/t")
    return [str(p) for p in info.value.problems]  # type: ignore[attr-defined]


def test_variables_used_only_in_partials_count_as_used(project: Project) -> None:
    """A variable used only inside an included partial is used; one used only in a partial must be declared."""
    project.write_partial("sig.j2", "Signed {{ author }}.")
    assert _load(project, "version: 1\nvariables: {author: {type: string}}\ntemplate: '{% include \"sig.j2\" %}'\n")
    message = _error(project, "version: 1\ntemplate: 'x {% include \"sig.j2\" %}'\n")
    assert "variable 'author' is used but not declared" in message


def test_loop_and_set_names_are_not_variables(project: Project) -> None:
    """Names bound by for/set/macro inside the template need no declaration."""
    text = (
        "version: 1\nvariables: {items: {type: list}}\ntemplate: >-\n"
        "  {% set sep = ', ' %}{% macro q(v) %}'{{ v }}'{% endmacro %}"
        "{% for item in items %}{{ q(item) }}{{ sep if not loop.last }}{% endfor %}\n"
    )
    assert _load(project, text).render(items=["a", "b"]).prompt == "'a', 'b'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\noperation: edit\ntemplate: Make it blue.\n",
            "operation: edit needs at least one variable of type image",
        ),
        (
            "version: 1\nvariables: {photo: {type: image}}\ntemplate: x\n",
            "image variables need operation: edit",
        ),
        (
            "version: 1\noperation: edit\nvariables: {photo: {type: image}}\ntemplate: 'x {{ photo }}'\n",
            "image variable 'photo' cannot appear in the prompt text",
        ),
        (
            "version: 1\noperation: edit\nvariables:\n  p: {type: image}\n  m1: {type: image, role: mask}\n"
            "  m2: {type: image, role: mask}\ntemplate: x\n",
            "an edit takes at most one mask variable",
        ),
        (
            "version: 1\noperation: edit\nvariables: {m: {type: image, role: mask}}\ntemplate: x\n",
            "needs at least one variable of type image (role: image)",
        ),
        (
            "version: 1\noperation: edit\nvariables: {p: {type: image}}\nparameters: {moderation: auto}\ntemplate: x\n",
            "moderation is accepted on generate only",
        ),
        ("version: 1\nparameters: {input_fidelity: low}\ntemplate: x\n", "input_fidelity is accepted on edits only"),
    ],
)
def test_operation_rules(project: Project, text: str, expected: str) -> None:
    """Edit templates need an image variable; image variables and edit-only parameters need operation: edit."""
    assert expected in _error(project, text)


def test_valid_edit_template(project: Project) -> None:
    """An edit with an image, a mask and input_fidelity loads; image variables are exempt from 'unused'."""
    template = _load(
        project,
        "version: 1\noperation: edit\nvariables:\n  p: {type: image}\n  m: {type: image, role: mask}\n"
        "parameters: {input_fidelity: high}\ntemplate: Make it blue.\n",
    )
    assert template.operation == "edit"


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ("{background: transparent, output_format: jpeg}", "background: transparent needs output_format png"),
        ("{background: transparent}", None),  # png is the default format
        ("{background: transparent, output_format: webp}", None),
        ("{output_compression: 80}", "output_compression applies only to output_format jpeg or webp"),
        ("{output_compression: 80, output_format: png}", "output_compression applies only"),
        ("{output_compression: 80, output_format: jpeg}", None),
        ("{output_compression: 101, output_format: jpeg}", "less than or equal to 100"),
        ("{n: 10}", None),
        ("{n: 11}", "parameters.n: Input should be less than or equal to 10"),
        ("{n: 0}", "parameters.n: Input should be greater than or equal to 1"),
        ("{size: big}", "parameters.size: String should match pattern"),  # which WxH sizes: the model's (check)
        ("{size: 1792x1024}", None),
        ("{size: 2048x1152, quality: xhigh, safety_identifier: u-7f3a}", None),
        ("{user: someone}", None),  # deprecated, still accepted (check warns)
        ("{output_format: svg, n: 2}", "output_format svg makes one image per request"),
        ("{output_format: gif, background: transparent}", "transparent needs output_format png or webp"),
        ("{size: auto, quality: auto, background: auto}", None),
        ("{output_format: gif}", None),  # a wire value; no model in the table serves it (check says so)
        ("{output_format: bmp}", "parameters.output_format"),
        ("{moderation: low}", None),
        ("{response_format: b64_json}", "parameters.response_format: unknown field"),
    ],
)
def test_parameter_rules(project: Project, parameters: str, expected: str | None) -> None:
    """Parameters follow the GPT Image rules at load time, so a bad combination fails in the PR."""
    text = f"version: 1\nparameters: {parameters}\ntemplate: x\n"
    if expected is None:
        assert _load(project, text).render().parameters.to_wire()
    else:
        assert expected in _error(project, text)


def test_non_utf8_template_file(project: Project) -> None:
    """A file that is not UTF-8 is named as such instead of crashing the loader."""
    project.path("prompts/t").mkdir(parents=True, exist_ok=True)
    project.path("prompts/t/t.yaml").write_bytes(b"version: 1\ntemplate: caf\xe9\n")
    with pytest.raises(TemplateValidationError, match="not UTF-8"):
        project.library().get("t/t")


def test_include_cycle_is_an_error(project: Project) -> None:
    """Partials that include each other are reported with the cycle, not a RecursionError."""
    project.write_partial("a.j2", '{% include "b.j2" %}')
    project.write_partial("b.j2", '{% include "a.j2" %}')
    message = _error(project, "version: 1\ntemplate: '{% include \"a.j2\" %}'\n")
    assert "partials include each other in a cycle: a.j2 -> b.j2 -> a.j2" in message


def test_import_of_a_macro_partial(project: Project) -> None:
    """`{% from %}` of a partial's macro works and the partial counts toward the content hash."""
    project.write_partial("macros.j2", "{% macro shout(t) %}{{ t|upper }}!{% endmacro %}")
    template = _load(project, 'version: 1\ntemplate: \'{% from "macros.j2" import shout %}{{ shout("hi") }}\'\n')
    assert template.render().prompt == "HI!"
    assert template.partials == ["macros.j2"]


# -- content hash -------------------------------------------------------------------------------


def _hash(project: Project, template_id: str = HERO_ID) -> str:
    return project.library().get(template_id).content_hash


def test_hash_ignores_the_version_number(project: Project) -> None:
    """Bumping only `version` does not change the content hash (so the lock can tell a bump from an edit)."""
    before = _hash(project)
    project.edit_template(HERO_ID, "version: 3", "version: 4")
    assert _hash(project) == before


def test_hash_ignores_yaml_formatting_and_comments(project: Project) -> None:
    """Comments, key order, quoting and flow vs block style are not content."""
    before = _hash(project)
    reformatted = "# Hero banner, owned by the brand team\n" + HERO.replace(
        "owners: [brand-team]", "owners:\n  - 'brand-team'   # the team"
    ).replace(
        '  tagline: {type: string, default: "", max_length: 120}',
        "  tagline:\n    max_length: 120\n    type: string\n    default: ''",
    )
    project.write_template(HERO_ID, reformatted)
    assert _hash(project) == before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("soft daylight", "hard noon light"),
        ("quality: high", "quality: medium"),
        ("max_length: 80", "max_length: 81"),
        ("Wide hero image", "Tall hero image"),
        ("name: kettle", "name: teapot"),
    ],
)
def test_hash_changes_with_any_content(project: Project, old: str, new: str) -> None:
    """Any change to text, parameters, variables, description or examples is a content change."""
    before = _hash(project)
    project.edit_template(HERO_ID, old, new)
    assert _hash(project) != before


def test_hash_follows_included_partials(project: Project) -> None:
    """Editing a partial, even one included through another partial, changes every template that uses it."""
    hero, logo = _hash(project, HERO_ID), _hash(project, LOGO_ID)
    project.write_partial("brand/palette.j2", 'Use the brand palette: teal. {% include "brand/tone.j2" %}\n')
    assert _hash(project, HERO_ID) != hero
    assert _hash(project, LOGO_ID) == logo  # logo does not include palette.j2
    hero2 = _hash(project, HERO_ID)
    project.write_partial("brand/tone.j2", "Loud.\n")
    assert _hash(project, HERO_ID) != hero2
    assert _hash(project, LOGO_ID) != logo


def test_hash_ignores_partials_not_included(project: Project) -> None:
    """Adding or editing an unrelated partial changes nothing."""
    before = _hash(project)
    project.write_partial("unrelated.j2", "Nothing to do with heroes.\n")
    assert _hash(project) == before


def test_hash_ignores_windows_line_endings_in_partials(project: Project) -> None:
    """A partial checked out with CRLF line endings hashes like the LF original."""
    before = _hash(project, LOGO_ID)
    project.path("prompts/partials/brand/tone.j2").write_bytes(b"Calm, confident, uncluttered.\r\n")
    assert _hash(project, LOGO_ID) == before


def test_hash_is_stable_across_processes(project: Project) -> None:
    """The hash is a sha256 hex digest of content only, so the lock written on one machine matches another."""
    digest = _hash(project)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest == project.lock_data()[HERO_ID]["sha256"]


def test_template_in_partials_dir_is_not_a_template(project: Project) -> None:
    """YAML files under prompts/partials/ are not templates."""
    project.write("prompts/partials/notes.yaml", "version: 1\ntemplate: x\n")
    assert "partials/notes" not in project.library().ids()


def test_security_error_is_not_a_validation_error(project: Project) -> None:
    """CI can tell a template that tries to escape from one that is merely malformed."""
    project.write_template("t/t", "version: 1\ntemplate: '{% include \"/etc/passwd\" %}'\n")
    with pytest.raises(TemplateSecurityError):
        project.library().get("t/t")
    assert not issubclass(TemplateSecurityError, TemplateValidationError)
