"""check_project: the whole tree is checked and every problem listed once, with the file that needs the fix."""

from __future__ import annotations

import os
import time

import pytest
from project_helpers import HERO_ID, LOGO_ID, Project

SUITE = "evals/smoke.yaml"


def _lines(project: Project) -> list[str]:
    return [str(p) for p in project.check().problems]


def test_report_of_a_valid_project(project: Project) -> None:
    """A valid project: no problems, with counts of what was checked."""
    report = project.check()
    assert report.ok
    assert (report.templates, report.partials, report.suites) == (2, 2, 1)
    assert report.to_dict() == {"ok": True, "templates": 2, "partials": 2, "suites": 1, "problems": [], "warnings": []}


def test_broken_template_is_reported_once(project: Project) -> None:
    """A suite case using a broken template does not repeat the template's problem under the suite's name."""
    project.edit_template(HERO_ID, "owners:", "ownrs:")
    assert _lines(project) == [f"prompts/{HERO_ID}.yaml:3: ownrs: unknown field (did you mean 'owners'?)"]


def test_examples_must_render(project: Project) -> None:
    """Each example is rendered during check; one that fails names the template and the example."""
    project.edit_template(
        HERO_ID, "{product: Fabrikam kettle, style: illustration", "{product: Fabrikam kettle, style: oil"
    )
    assert _lines(project) == [
        f"prompts/{HERO_ID}.yaml:28: example 'kettle': {HERO_ID}: variable 'style' 'oil' is not one of "
        "photo, illustration, 3d-render",
        # the template itself loads, so the rest of its checks still run (every problem at once)
        f"prompts/{HERO_ID}.yaml:1: {HERO_ID}: content changed but version is still 3; set version: 4, then run "
        "`promptlib lock`",
    ]


def test_template_without_examples_is_rendered_when_it_can_be(project: Project) -> None:
    """A template whose variables are all optional is rendered once, catching run-time errors at check time."""
    project.write_template(
        "t/opt", "version: 1\nvariables: {note: {type: string, default: ''}}\ntemplate: '{{ note.nope }}'\n"
    )
    problems = _lines(project)
    assert any(
        line.startswith("prompts/t/opt.yaml: t/opt: ") and "has no attribute 'nope'" in line for line in problems
    )


def test_resource_bomb_in_an_example_is_reported_fast(project: Project) -> None:
    """check renders examples in the same bounded sandbox: a bomb becomes one problem, quickly."""
    project.edit_template(HERO_ID, "of {{ product }}", "of {{ product * 10**8 }}")
    started = time.perf_counter()
    problems = _lines(project)
    assert time.perf_counter() - started < 2
    bombs = [problem for problem in problems if "would build a value" in problem]
    assert "example 'sneaker'" in bombs[0]  # then each suite case that renders it, at its own line
    assert [p for p in problems if p not in bombs] == [  # and the template's other checks still ran
        f"prompts/{HERO_ID}.yaml:1: {HERO_ID}: content changed but version is still 3; set version: 4, then run "
        "`promptlib lock`"
    ]


def test_sandbox_escape_in_a_template_is_reported(project: Project) -> None:
    """An escape attempt is reported as a problem of that template; the others still get checked."""
    project.write_template("t/evil", 'version: 1\ntemplate: "{{ cycler.__init__.__globals__ }}"\n')
    project.edit_template(LOGO_ID, "output_format: png", "output_format: bmp")
    problems = _lines(project)
    assert any(p.startswith("prompts/t/evil.yaml: t/evil: blocked by the sandbox") for p in problems)
    assert any(p.startswith(f"prompts/{LOGO_ID}.yaml:3: parameters.output_format") for p in problems)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("notes.txt", "just notes\n", "prompts/partials/notes.txt: files under prompts/partials/ must be .j2 partials"),
        ("bad.j2", "{% for %}\n", "prompts/partials/bad.j2:1: "),
        (
            "escape.j2",
            '{% include "../../promptlib.yaml" %}',
            "prompts/partials/escape.j2:1: include '../../promptlib.yaml' leaves",
        ),
        (
            "missing.j2",
            '{% include "nope.j2" %}',
            "prompts/partials/missing.j2:1: included partial 'nope.j2' not found",
        ),
    ],
)
def test_partials_are_checked_even_when_unused(project: Project, name: str, text: str, expected: str) -> None:
    """Every file under prompts/partials/ is checked, so a broken partial fails before a template uses it."""
    project.write_partial(name, text)
    problems = _lines(project)
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_partial_that_is_not_utf8(project: Project) -> None:
    """A binary or mis-encoded partial is reported, not a crash."""
    project.path("prompts/partials/bin.j2").write_bytes(b"\xff\xfe\x00")
    assert _lines(project) == ["prompts/partials/bin.j2: the partial is not UTF-8 text"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "deployment: local",
            "deployment: staging",
            f"{SUITE}:1: deployment 'staging' is not defined in promptlib.yaml",
        ),
        (
            "variables: {product: Contoso Trailblazer sneaker}",
            "variables: {product: Contoso, colour: red}",
            f"{SUITE}:5: case sneaker-photo: {HERO_ID} has no variable 'colour'",
        ),
        (
            "variables: {product: Contoso Trailblazer sneaker}",
            "variables: {}",
            f"{SUITE}:5: case sneaker-photo: {HERO_ID}: missing required variable 'product'",
        ),
        (
            "- from_examples: marketing/hero-banner",
            "- from_examples: brand/logo-mark",
            f"{SUITE}:12: from_examples brand/logo-mark: the template has no examples",
        ),
        ("samples: 3", "samples: 1", f"{SUITE}:3: policy.min_matches 2 exceeds samples 1"),
        ("id: logo", "id: sneaker-photo", f"{SUITE}:9: case id 'sneaker-photo' is defined twice (lines 5 and 9"),
        ("expect: {transparent: true}", "expect: {transparent: maybe}", f"{SUITE}:11: cases[logo].expect.transparent"),
        (
            "expect: {size: 1536x1024, format: png}",
            "expect: {size: 1536x1024, format: gif}",
            f"{SUITE}:8: cases[sneaker-photo].expect.format",
        ),
        (
            "prompt: brand/logo-mark",
            "prompt: ../secrets",
            f"{SUITE}:9: case logo: template id '../secrets' leaves prompts/",
        ),
    ],
)
def test_suite_problems(project: Project, old: str, new: str, expected: str) -> None:
    """Suites are checked against the templates and config: cases must render, deployments must exist."""
    project.edit(SUITE, old, new)
    problems = _lines(project)
    assert any(p.startswith(expected) for p in problems), problems


def test_goldens_directory_is_not_a_suite(project: Project) -> None:
    """YAML under evals/goldens/ belongs to goldens, not suites."""
    project.write("evals/goldens/smoke/logo/notes.yaml", "anything: goes\n")
    report = project.check()
    assert report.ok
    assert report.suites == 1


def test_nested_suites_are_found(project: Project) -> None:
    """Suites in subdirectories of evals/ are checked too."""
    project.write("evals/nightly/brand.yaml", "cases: [{id: logo, prompt: brand/logo-mark}]\n")
    assert project.check().suites == 2
    project.write("evals/nightly/brand.yaml", "cases: []\n")
    assert _lines(project) == [
        "evals/nightly/brand.yaml:1: cases: List should have at least 1 item after validation, not 0"
    ]


def test_yml_files_anywhere_under_prompts_are_flagged(project: Project) -> None:
    """A .yml file would be silently ignored as a template; check says to rename it."""
    project.write("prompts/brand/banner.yml", "version: 1\ntemplate: x\n")
    project.write("prompts/partials/old.yml", "x: 1\n")
    problems = _lines(project)
    assert "prompts/brand/banner.yml: template files must end in .yaml; rename it" in problems
    assert "prompts/partials/old.yml: template files must end in .yaml; rename it" in problems


def test_json_problem_lines(project: Project) -> None:
    """to_dict() gives each problem's path, line and message separately, for CI annotations."""
    project.edit_template(HERO_ID, "version: 3", "version: 2")
    problems = project.check().to_dict()["problems"]
    assert problems == [
        {
            "path": project.path(f"prompts/{HERO_ID}.yaml").as_posix(),
            "line": 1,
            "message": f"{HERO_ID}: version went down from 3 to 2; set version to 4 or more",
        }
    ]


def test_partial_links_that_dangle_or_leave_partials(project: Project) -> None:
    """A broken link or a link out of partials/ is a problem of its own; check carries on and never reads the target."""
    outside = project.root.parent / "outside.j2"
    outside.write_text("{{ secret_token_abc\n")
    os.symlink(outside, project.path("prompts/partials/out.j2"))
    os.symlink(project.root.parent / "missing.j2", project.path("prompts/partials/dangling.j2"))
    project.edit_template(LOGO_ID, "output_format: png", "output_format: tiff")
    problems = _lines(project)
    assert "prompts/partials/dangling.j2: the partial is a broken link" in problems
    assert (
        "prompts/partials/out.j2: the partial is a link that leaves prompts/partials/; copy the file in instead"
        in problems
    )
    assert any(p.startswith(f"prompts/{LOGO_ID}.yaml:3: ") for p in problems)
    assert not any("secret_token_abc" in p or "outside.j2" in p for p in problems)


def test_problem_in_a_linked_partial_names_the_link(project: Project) -> None:
    """A link inside partials/ is fine, and its problems are reported under its own name, not its target's."""
    project.write_partial("real/broken.j2", "{% if %}\n")
    os.symlink(project.path("prompts/partials/real/broken.j2"), project.path("prompts/partials/alias.j2"))
    problems = _lines(project)
    assert [p.split(":")[0] for p in problems] == ["prompts/partials/alias.j2", "prompts/partials/real/broken.j2"]


def test_yml_suites_are_flagged(project: Project) -> None:
    """A suite saved as .yml would never run; check says to rename it (goldens/ is left alone)."""
    project.write("evals/nightly.yml", "cases: [{id: logo, prompt: brand/logo-mark}]\n")
    project.write("evals/goldens/smoke/logo/extra.yml", "x: 1\n")
    assert _lines(project) == ["evals/nightly.yml: suite files must end in .yaml; rename it"]


def test_template_deployment_must_exist(project: Project) -> None:
    """A template pinned to a deployment promptlib.yaml does not define fails check, not a later generate."""
    project.edit_template(HERO_ID, "operation: generate", "operation: generate\ndeployment: prodd")
    project.edit_template(HERO_ID, "version: 3", "version: 4")
    project.lock()
    assert _lines(project) == [
        f"prompts/{HERO_ID}.yaml:5: deployment 'prodd' is not defined in promptlib.yaml (defines: dev, local)"
    ]
    project.edit_template(HERO_ID, "deployment: prodd", "deployment: dev")
    project.edit_template(HERO_ID, "version: 4", "version: 5")
    project.lock()
    assert project.check().ok


def _approve_logo(project: Project) -> None:
    """Give the smoke suite's `logo` case a golden set, as `promptlib approve` would."""
    import io

    from PIL import Image, ImageDraw

    from promptlib.evals._runner import golden_store
    from promptlib.goldens._manifest import ApprovalSource, Candidate, TemplateRef

    library = project.library()
    template = library.get(LOGO_ID)
    rendered = template.render()
    images = []
    for shift in (0, 6, 12):
        image = Image.new("RGBA", (256, 256), (255, 255, 255, 0))
        ImageDraw.Draw(image).polygon([(40 + shift, 200), (128, 40 + shift), (216 - shift, 200)], fill="teal")
        out = io.BytesIO()
        image.save(out, format="PNG")
        images.append(Candidate(out.getvalue()))
    source = ApprovalSource(
        template=TemplateRef(id=LOGO_ID, version=template.version, content_hash=template.content_hash),
        operation="generate",
        prompt=rendered.prompt,
        parameters=rendered.parameters.to_wire(),
        request_hash="0" * 64,
        deployment="local",
        model="gpt-image-1.5",
    )
    golden_store(library).approve("smoke", "logo", source, images, approved_by="test")


def test_goldens_are_checked_too(project: Project) -> None:
    """check reads every golden set: intact ones pass, a damaged image names its file."""
    _approve_logo(project)
    assert _lines(project) == []
    (golden,) = list(project.path("evals/goldens/smoke/logo").glob("g-*.png"))[:1]
    golden.write_bytes(golden.read_bytes()[:100])
    (line,) = _lines(project)
    assert line.startswith(f"evals/goldens/smoke/logo/{golden.name}: golden image does not match its sha256")


def test_goldens_of_a_removed_case_are_reported_unused(project: Project) -> None:
    """Goldens no case uses any more fail check with the command that removes them."""
    _approve_logo(project)
    project.path("evals/goldens/smoke/logo").rename(project.path("evals/goldens/smoke/old-logo"))
    project.edit("evals/smoke.yaml", "  - id: logo\n    prompt: brand/logo-mark\n    expect: {transparent: true}\n", "")
    assert [line for line in _lines(project) if "old-logo" in line] == [
        "evals/goldens/smoke/old-logo: goldens of smoke/old-logo, which no suite has any more; "
        "remove them with `promptlib goldens prune`"
    ]


def test_goldens_left_under_a_cases_old_name_get_the_git_mv(project: Project) -> None:
    """The case that renders exactly what they were approved for has no goldens: a rename, not a removal."""
    _approve_logo(project)
    project.path("evals/goldens/smoke/logo").rename(project.path("evals/goldens/smoke/old-logo"))
    assert _lines(project) == [
        "evals/goldens/smoke/old-logo: goldens of smoke/old-logo, which no suite has any more, match case "
        "smoke/logo (same template and prompt): if you renamed the case, move them with `git mv "
        "evals/goldens/smoke/old-logo evals/goldens/smoke/logo`"
    ]
