"""Rendering: what an app gets back from lib.render(), and every way the values can be wrong."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from PIL import Image
from project_helpers import HERO_ID, LOGO_ID, Project

from promptlib import (
    ImageParameters,
    InputImage,
    PromptTemplate,
    RenderedPrompt,
    RenderError,
    TemplateSecurityError,
    VariableError,
)
from promptlib.prompts._rendering import MAX_PROMPT_CHARS, normalise_whitespace

EDIT_ID = "edit/recolor"
EDIT = """\
version: 2
operation: edit
deployment: dev
variables:
  photo: {type: image, description: The product shot to recolour.}
  mask: {type: image, role: mask, required: false}
  colour: {type: enum, values: [teal, sand], default: teal}
parameters: {size: 1024x1024, input_fidelity: high}
template: Recolour the product {{ colour }}, keep everything else.
"""


def _png(mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (8, 8), (200, 30, 30, 0) if mode == "RGBA" else (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()
MASK = _png("RGBA")


@pytest.fixture
def edit_project(project: Project) -> Project:
    project.write_template(EDIT_ID, EDIT)
    project.path("images").mkdir()
    project.path("images/shoe.png").write_bytes(PNG)
    project.path("images/mask.png").write_bytes(PNG + b"mask")
    return project


def _template(project: Project, text: str, template_id: str = "t/t") -> PromptTemplate:
    project.write_template(template_id, text)
    return project.library().get(template_id)


def test_rendered_prompt_carries_identity_and_parameters(project: Project) -> None:
    """The result names the template, version and content hash, and carries text, parameters and operation."""
    lib = project.library()
    rendered = lib.render(HERO_ID, product="Contoso Trailblazer sneaker")
    assert isinstance(rendered, RenderedPrompt)
    assert rendered.template_id == HERO_ID
    assert rendered.version == 3
    assert rendered.content_hash == lib.get(HERO_ID).content_hash == project.lock_data()[HERO_ID]["sha256"]
    assert rendered.prompt == (
        "A photo of Contoso Trailblazer sneaker on a clean studio set, soft daylight.\n"
        "Use the brand palette: deep teal and warm sand. Calm, confident, uncluttered."
    )
    assert str(rendered) == rendered.prompt
    assert rendered.operation == "generate"
    assert rendered.parameters == ImageParameters(
        size="1536x1024", quality="high", background="opaque", output_format="png"
    )
    assert rendered.variables == {"product": "Contoso Trailblazer sneaker", "style": "photo", "tagline": ""}
    assert rendered.images == ()


def test_to_dict_is_json_ready(project: Project) -> None:
    """to_dict() (what `render --json` prints) round-trips through JSON and sends only parameters that are set."""
    data = project.library().render(HERO_ID, product="Kettle").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["parameters"] == {
        "size": "1536x1024",
        "quality": "high",
        "background": "opaque",
        "output_format": "png",
        "n": 1,
    }
    assert data["images"] == []


def test_defaults_are_merged_and_values_override_them(project: Project) -> None:
    """Declared defaults fill in what the caller leaves out; given values win; a mapping and kwargs combine."""
    template = project.library().get(HERO_ID)
    default = template.render(product="Mug")
    assert default.prompt.startswith("A photo of Mug")
    assert "clear space" not in default.prompt
    chosen = template.render({"product": "Mug", "style": "illustration"}, tagline="Hot")
    assert chosen.prompt.startswith("A illustration of Mug")
    assert 'Leave clear space at the top for the text "Hot".' in chosen.prompt
    assert template.render({"product": "Mug"}, product="Cup").prompt.startswith("A photo of Cup")


def test_none_means_not_given(project: Project) -> None:
    """Passing None for a variable is the same as leaving it out: its default applies."""
    assert project.library().render(HERO_ID, product="Mug", style=None).variables["style"] == "photo"


def test_missing_required_variable(project: Project) -> None:
    """A required variable that is not given is a VariableError naming the template, variable and type."""
    with pytest.raises(VariableError, match=r"marketing/hero-banner: missing required variable 'product' \(string\)"):
        project.library().render(HERO_ID)


def test_unknown_variable_suggests_the_close_name(project: Project) -> None:
    """A misspelt variable is refused with a 'did you mean' rather than silently ignored."""
    with pytest.raises(VariableError, match="has no variable 'prodcut'; did you mean 'product'"):
        project.library().render(HERO_ID, prodcut="Mug")


def test_unknown_variable_lists_what_is_declared(project: Project) -> None:
    """With nothing close, the error lists the declared names (or says there are none)."""
    with pytest.raises(VariableError, match="it declares: product, style, tagline"):
        project.library().render(HERO_ID, product="Mug", zzz=1)
    with pytest.raises(VariableError, match="it declares: none"):
        project.library().render(LOGO_ID, zzz=1)


def test_strict_undefined_attribute_is_a_clear_render_error(project: Project) -> None:
    """Reading an attribute a value does not have fails loudly instead of rendering an empty string."""
    template = _template(
        project, "version: 1\nvariables: {product: {type: string}}\ntemplate: 'A {{ product.colour }}'\n"
    )
    with pytest.raises(RenderError, match="has no attribute 'colour'") as info:
        template.render(product="Mug")
    assert str(info.value).startswith("prompts/t/t.yaml: t/t: ")


def test_no_autoescape(project: Project) -> None:
    """Prompts are plain text: HTML-special characters pass through unchanged."""
    rendered = project.library().render(HERO_ID, product="<b>Salt & Pepper</b> \"mills\" 'set'")
    assert "<b>Salt & Pepper</b> \"mills\" 'set'" in rendered.prompt


def test_values_are_never_reparsed_as_templates(project: Project) -> None:
    """A value that looks like Jinja is data: it renders literally, never evaluated."""
    rendered = project.library().render(HERO_ID, product="{{ 7*7 }} {% include 'brand/tone.j2' %}")
    assert "{{ 7*7 }} {% include 'brand/tone.j2' %}" in rendered.prompt
    assert "49" not in rendered.prompt


def test_whitespace_is_normalised(project: Project) -> None:
    """Indentation, runs of spaces and stacked blank lines from template logic do not reach the model."""
    template = _template(
        project,
        'version: 1\ntemplate: "  A   red\\t\\tshoe.  \\n\\n\\n\\n   On  sand. \\n\\n"\n',
    )
    assert template.render().prompt == "A red shoe.\n\nOn sand."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("\n\n  \n", ""),
        ("a\r\nb", "a\nb"),
        ("a\n\n\n\nb", "a\n\nb"),
        ("\ta  \t b ", "a b"),
        ("x\n \n \ny", "x\n\ny"),
    ],
)
def test_normalise_whitespace_rules(raw: str, expected: str) -> None:
    """Lines are trimmed, space runs squeezed, at most one blank line kept, none at the ends."""
    assert normalise_whitespace(raw) == expected


def test_prompt_length_limit(project: Project) -> None:
    """32,000 characters render; one more is a RenderError that says the limit."""
    template = _template(project, "version: 1\nvariables: {text: {type: string}}\ntemplate: '{{ text }}'\n")
    assert len(template.render(text="x" * MAX_PROMPT_CHARS).prompt) == 32_000
    with pytest.raises(RenderError, match="32,001 characters; GPT Image models accept at most 32,000"):
        template.render(text="x" * (MAX_PROMPT_CHARS + 1))


def test_empty_prompt_is_an_error(project: Project) -> None:
    """A template that renders to nothing (after trimming) would waste a paid call: it is refused."""
    template = _template(
        project, "version: 1\nvariables: {text: {type: string, required: false}}\ntemplate: '{{ text }}'\n"
    )
    with pytest.raises(RenderError, match="the rendered prompt is empty"):
        template.render(text="   ")


def test_rendering_twice_gives_the_same_result(project: Project) -> None:
    """Rendering is deterministic: same inputs, same prompt and identity (the basis of the cache)."""
    lib = project.library()
    assert lib.render(HERO_ID, product="Mug") == lib.render(HERO_ID, product="Mug")


# -- image variables --------------------------------------------------------------------------


def test_image_path_is_relative_to_the_project_root(edit_project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image path is read from the project root, whatever the working directory."""
    monkeypatch.chdir(edit_project.path("prompts"))
    rendered = edit_project.library().render(EDIT_ID, photo="images/shoe.png")
    assert rendered.operation == "edit"
    assert rendered.deployment == "dev"
    assert rendered.prompt == "Recolour the product teal, keep everything else."
    [image] = rendered.images
    assert isinstance(image, InputImage)
    assert (image.name, image.role, image.data) == ("photo", "image", PNG)
    assert image.path == edit_project.path("images/shoe.png").resolve()
    assert "photo" not in rendered.variables  # images travel as files, not prompt text


def test_image_and_mask_bytes(edit_project: Project) -> None:
    """Bytes (or bytearray) from code are used as given; the mask keeps its role; hashes identify them."""
    rendered = edit_project.library().render(EDIT_ID, photo=PNG, mask=bytearray(MASK), colour="sand")
    assert [(i.name, i.role, i.data, i.path) for i in rendered.images] == [
        ("photo", "image", PNG, None),
        ("mask", "mask", MASK, None),
    ]
    images = rendered.to_dict()["images"]
    assert images[0]["sha256"] == rendered.images[0].sha256
    assert images[1] == {
        "name": "mask",
        "role": "mask",
        "path": None,
        "sha256": rendered.images[1].sha256,
        "bytes": len(MASK),
    }


def test_image_path_object_and_absolute_path_inside_project(edit_project: Project) -> None:
    """A Path, or an absolute path that stays inside the project, is fine."""
    lib = edit_project.library()
    assert lib.render(EDIT_ID, photo=Path("images/shoe.png")).images[0].data == PNG
    assert lib.render(EDIT_ID, photo=str(edit_project.path("images/mask.png"))).images[0].data == PNG + b"mask"


@pytest.mark.parametrize("where", ["../outside.png", "images/../../outside.png", "ABSOLUTE"])
def test_image_path_leaving_the_project_is_a_security_error(edit_project: Project, where: str) -> None:
    """An image path may not reach files outside the project (relative or absolute)."""
    outside = edit_project.root.parent / "outside.png"
    outside.write_bytes(PNG)
    value = str(outside) if where == "ABSOLUTE" else where
    with pytest.raises(TemplateSecurityError, match="leaves the project"):
        edit_project.library().render(EDIT_ID, photo=value)


def test_image_symlink_out_of_the_project_is_a_security_error(edit_project: Project) -> None:
    """A link inside the project that points outside it is followed and refused."""
    outside = edit_project.root.parent / "outside.png"
    outside.write_bytes(PNG)
    os.symlink(outside, edit_project.path("images/link.png"))
    with pytest.raises(TemplateSecurityError):
        edit_project.library().render(EDIT_ID, photo="images/link.png")


def test_missing_or_empty_image_file_is_a_variable_error(edit_project: Project) -> None:
    """A path to nothing, or to an empty file, names the template, variable and path."""
    lib = edit_project.library()
    with pytest.raises(VariableError, match=r"edit/recolor: cannot read image 'photo' from images/nope\.png"):
        lib.render(EDIT_ID, photo="images/nope.png")
    edit_project.path("images/empty.png").write_bytes(b"")
    with pytest.raises(VariableError, match="is an empty file"):
        lib.render(EDIT_ID, photo="images/empty.png")
    with pytest.raises(VariableError, match="'photo' is empty"):
        lib.render(EDIT_ID, photo=b"")


@pytest.mark.parametrize("value", [123, ["images/shoe.png"], ""])
def test_image_value_of_the_wrong_kind(edit_project: Project, value: object) -> None:
    """An image must be a path, bytes or a PIL image."""
    with pytest.raises(VariableError, match="expected a file path, bytes or a PIL image"):
        edit_project.library().render(EDIT_ID, photo=value)


def test_image_default_path(edit_project: Project) -> None:
    """An image variable's default is a project-relative path, read when the caller gives none."""
    edit_project.edit_template(EDIT_ID, "photo: {type: image,", "photo: {type: image, default: images/shoe.png,")
    assert edit_project.library().render(EDIT_ID).images[0].data == PNG


def test_image_file_is_read_at_render_time(edit_project: Project) -> None:
    """Each render reads the file afresh, so the image hash follows the file's content."""
    lib = edit_project.library()
    first = lib.render(EDIT_ID, photo="images/shoe.png").images[0].sha256
    edit_project.path("images/shoe.png").write_bytes(PNG + b"changed")
    assert lib.render(EDIT_ID, photo="images/shoe.png").images[0].sha256 != first


def test_filter_failures_are_render_errors(project: Project) -> None:
    """Whatever a filter raises on the template's values surfaces as a RenderError naming the file."""
    template = _template(project, "version: 1\ntemplate: \"{{ 'abcdef'|truncate(3, end='....') }}\"\n")
    with pytest.raises(RenderError, match="AssertionError") as info:
        template.render()
    assert str(info.value).startswith("prompts/t/t.yaml: t/t: ")
