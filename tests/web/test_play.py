"""The Playground over HTTP: templates, render as you type, generations as runs, save, promote, view code."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import yaml
from PIL import Image
from starlette.testclient import TestClient

from promptlib._library import Library
from promptlib.evals._check import check_project

HERO = "marketing/product-hero"
EDIT = "edits/replace-background"


def _run_id(response_text: str) -> str:
    found = re.search(r'data-run="([^"]+)"', response_text)
    assert found, response_text
    return found.group(1)


def test_the_templates_page_lists_every_template_and_filters_as_you_type(
    client: TestClient, example_project: Path
) -> None:
    page = client.get("/").text
    for template_id in Library.load(example_project).ids():
        assert f'href="/play/{template_id}"' in page
    rows = client.get("/?q=brand-studio hero", headers={"hx-request": "true"}).text
    assert HERO in rows and "social/wide-banner" not in rows and "<html" not in rows
    assert "/goldens/marketing/kettle-studio/g-" in page  # goldens as thumbnails
    thumbnail = html.unescape(re.search(r'src="(/goldens/marketing/kettle-studio/[^"]+)"', page).group(1))
    small = client.get(thumbnail)
    assert small.headers["content-type"] == "image/png" and max(Image.open(io.BytesIO(small.content)).size) == 80
    assert client.get(thumbnail.split("?")[0]).headers["content-type"] == "image/jpeg"  # the golden itself
    assert client.get("/goldens/marketing/kettle-studio/..%2f..%2fbrand.yaml").status_code == 404


def test_changing_a_variable_changes_the_rendered_prompt(client: TestClient, play_form) -> None:
    form = play_form(HERO, example="kettle-studio")
    assert "matte sage-green ceramic pour-over kettle" in form.page
    rendered = client.post("/actions/render", data=form.with_(var__product="a copper moka pot")).text
    assert "a copper moka pot" in rendered and "sage-green" not in rendered
    assert "lib.generate(" in rendered and "promptlib generate marketing/product-hero" in rendered


def test_sandbox_and_validation_errors_show_at_their_editor_line(client: TestClient, play_form) -> None:
    form = play_form(HERO)
    lines = form.data["template_text"].rstrip("\n").split("\n")
    broken = "\n".join([*lines, "{% if %}"])
    shown = client.post("/actions/render", data=form.with_(template_text=broken)).text
    assert f'data-line="{len(lines) + 1}"' in shown
    undeclared = client.post(
        "/actions/render", data=form.with_(template_text=form.data["template_text"] + "{{ colour }}")
    )
    assert "variable &#39;colour&#39; is used but not declared" in undeclared.text
    runaway = client.post("/actions/render", data=form.with_(template_text="{{ 'a' * 10**8 }}"))
    assert 'class="problem"' in runaway.text and '<pre class="prompt"' not in runaway.text


def test_a_generation_is_a_run_streamed_partial_then_final_and_judged_as_the_gate_would(
    client: TestClient, play_form, events, example_project: Path
) -> None:
    form = play_form(HERO, example="kettle-studio")
    assert form.data["case"] == "marketing/kettle-studio" and form.data["samples"] == "3"
    started = client.post("/actions/generate", data=form.data)
    run_id = _run_id(started.text)
    stream = events(client, run_id)
    kinds = [e["event"] for e in stream]
    assert kinds.count("sample") == 3 and kinds[-1] == "done"
    assert kinds.index("partial") < kinds.index("sample")  # partial images before each final one
    assert stream[-1]["message"].startswith("would pass: 3 of 3 match")
    run = example_project / ".promptlib" / "playground" / run_id
    results = json.loads((run / "results.json").read_text())
    assert results["schema"].startswith("promptlib-run/") and results["cases"][0]["key"] == "marketing/kettle-studio"
    assert json.loads((run / "playground.json").read_text())["values"]["product"].startswith("a matte sage")
    card = client.get(f"/runs/{run_id}/card").text
    assert "would pass: 3 of 3" in card and "spread" in card
    sample_file = results["cases"][0]["samples"][0]["file"]
    assert client.get(f"/runs/{run_id}/files/{sample_file}").headers["content-type"] == "image/jpeg"
    assert client.get(f"/runs/{run_id}/files/../../../promptlib.yaml").status_code == 404


def test_the_heatmap_compares_two_run_images_and_nothing_else(client: TestClient, play_form, events) -> None:
    run_id = _run_id(client.post("/actions/generate", data=play_form(HERO, example="kettle-studio").data).text)
    events(client, run_id)
    a, b = (f"{run_id}/samples/marketing/kettle-studio/s{i}.jpg" for i in (0, 1))
    heat = client.get("/compare/heatmap", params={"a": a, "b": b})
    assert heat.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(heat.content)).size == (1024, 683)
    assert client.get("/compare/heatmap", params={"a": a, "b": "../../promptlib.yaml"}).status_code == 404


def test_a_brushed_mask_is_sent_and_the_unchanged_outside_mask_figure_shown(
    client: TestClient, play_form, events
) -> None:
    form = play_form(EDIT, example="mug-on-sand")
    mask = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 1024, 300))  # the top band may change
    upload = io.BytesIO()
    mask.save(upload, "PNG")
    started = client.post(
        "/actions/generate",
        data=form.with_(samples="1"),
        files={"upload__mask": ("brushed-mask.png", upload.getvalue(), "image/png")},
    )
    run_id = _run_id(started.text)
    events(client, run_id)
    assert "% unchanged outside the mask" in client.get(f"/runs/{run_id}/card").text


def test_view_code_uses_placeholders_and_never_a_key(client: TestClient, play_form, monkeypatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sk-not-for-the-browser")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://contoso.openai.azure.com")
    shown = html.unescape(
        client.post("/actions/render", data=play_form(HERO, example="kettle-studio").with_(deployment="dev")).text
    )
    assert "api-key: ${AZURE_OPENAI_API_KEY}" in shown and '"${AZURE_OPENAI_ENDPOINT}/openai/deployments/' in shown
    assert "sk-not-for-the-browser" not in shown and "contoso.openai.azure.com" not in shown


def test_a_billed_deployment_shows_its_cost_before_anything_is_sent(client: TestClient, play_form) -> None:
    form = play_form(HERO, example="kettle-studio")
    answer = client.post("/actions/generate", data=form.with_(deployment="prod")).text
    assert "is billed" in answer and "Estimated cost" in answer and "data-run" not in answer


def test_save_as_new_version_writes_the_bumped_file_locks_it_and_check_passes(own_project, play_form) -> None:
    root, client = own_project
    form = play_form(HERO, example="kettle-studio", via=client)
    edited = form.data["template_text"] + "Soft morning light.\n"
    preview = client.post("/actions/save-preview", data=form.with_(template_text=edited)).text
    assert "+version: 2" in preview and "+  Soft morning light." in preview and "rendered after" in preview
    assert yaml.safe_load((root / "prompts/marketing/product-hero.yaml").read_text())["version"] == 1  # not yet
    saved = client.post("/actions/save", data=form.with_(template_text=edited, example_name="kettle-morning"))
    assert saved.status_code == 200 and "promptlib check passes" in saved.text
    text = (root / "prompts/marketing/product-hero.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["version"] == 2 and data["template"].endswith("Soft morning light.\n")
    assert data["examples"][-1]["name"] == "kettle-morning"
    assert "# yaml-language-server: $schema=../../schemas/template.schema.json" in text  # comments kept
    assert json.loads((root / "prompts/prompts.lock").read_text())[HERO]["version"] == 2
    assert check_project(Library.load(root)).ok


def test_a_save_over_a_file_changed_on_disk_is_refused_with_409(own_project, play_form) -> None:
    root, client = own_project
    form = play_form(HERO, via=client)
    path = root / "prompts/marketing/product-hero.yaml"
    path.write_text(path.read_text().replace("Wide hero image", "A wide hero image"))  # a teammate's edit
    refused = client.post("/actions/save", data=form.with_(template_text=form.data["template_text"] + "x\n"))
    assert refused.status_code == 409 and "changed on disk" in refused.text
    assert "A wide hero image" in path.read_text() and "version: 1" in path.read_text()


def test_saving_as_a_case_writes_only_inside_evals(own_project, play_form) -> None:
    root, client = own_project
    form = play_form(HERO, example="kettle-studio", via=client)
    escaped = client.post("/actions/save", data=form.with_(suite="../outside", case_id="x"))
    assert escaped.status_code == 403 and not (root.parent / "outside.yaml").exists()
    assert "version: 1" in (root / "prompts/marketing/product-hero.yaml").read_text()
    added = client.post("/actions/save", data=form.with_(template_text=form.data["template_text"] + "y\n",
                                                         suite="marketing", case_id="kettle-again"))  # fmt: skip
    assert added.status_code == 200, added.text
    assert "id: kettle-again" in (root / "evals/marketing.yaml").read_text()


def test_a_sample_is_promoted_to_a_golden_through_approve(own_project, play_form, events) -> None:
    root, client = own_project
    run_id = _run_id(
        client.post("/actions/generate", data=play_form(HERO, example="kettle-studio", via=client).data).text
    )
    events(client, run_id)
    manifest = root / "evals/goldens/marketing/kettle-studio/case.json"
    before = len(json.loads(manifest.read_text())["goldens"])
    page = client.get(f"/history/{run_id}").text
    assert 'name="case"' in page and "marketing/kettle-studio" in page
    promoted = client.post(f"/runs/{run_id}/promote", data={"case": "marketing/kettle-studio", "sample": "1"})
    assert promoted.status_code == 200 and "is now a golden of marketing/kettle-studio" in promoted.text
    after = json.loads(manifest.read_text())
    assert len(after["goldens"]) == before + 1 and after["goldens"][-1]["source_run"] == run_id
    elsewhere = client.post(f"/runs/{run_id}/promote", data={"case": "brand/logo-crane-symbol", "sample": "1"})
    assert elsewhere.status_code == 422 and check_project(Library.load(root)).ok
    assert run_id in client.get("/history").text


def test_a_template_whose_text_holds_script_renders_it_as_text(own_project) -> None:
    root, client = own_project
    (root / "prompts/hostile.yaml").write_text(
        "version: 1\ndescription: '<script>alert(1)</script> <b>bold</b>'\noperation: generate\n"
        'parameters: {size: 1024x1024}\ntemplate: |\n  A <script>alert(2)</script> icon & "more".\n'
    )
    listing = client.get("/").text
    assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    page = client.get("/play/hostile").text
    assert "<script>alert(2)</script>" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    typed = {"template_id": "hostile", "template_text": "<script>alert(3)</script>"}
    assert "<script>alert" not in client.post("/actions/render", data=typed).text


def test_a_variant_runs_again_as_it_was_and_reopens_in_the_form(client: TestClient, play_form, events) -> None:
    form = play_form(EDIT, example="mug-on-sand")
    mask = io.BytesIO()
    painted = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    painted.paste((0, 0, 0, 0), (0, 700, 1024, 1024))
    painted.save(mask, "PNG")
    first = _run_id(client.post("/actions/generate", data=form.with_(samples="1", label="warm", param__quality="low"),
                                files={"upload__mask": ("m.png", mask.getvalue(), "image/png")}).text)  # fmt: skip
    events(client, first)
    again = _run_id(client.post(f"/runs/{first}/rerun").text)
    assert again != first
    events(client, again)
    card = client.get(f"/runs/{again}/card").text
    assert "warm ·" in card and "% unchanged outside the mask" in card  # the uploaded mask went again
    reopened = client.get(f"/play/{EDIT}?from={first}").text
    assert re.search(r'<option value="low" selected>low</option>', reopened)  # the parameter chosen then
    assert client.post("/runs/../rerun").status_code == 404


def test_a_size_the_model_refuses_is_shown_and_not_sent(client: TestClient, play_form) -> None:
    form = play_form(HERO, example="kettle-studio").with_(param__size="1000x1000")
    shown = client.post("/actions/render", data=form).text
    assert "parameters.size: 1000x1000 is not a size gpt-image-2 accepts" in shown
    refused = client.post("/actions/generate", data=form)
    assert refused.status_code == 422 and "data-run" not in refused.text
    assert client.post("/actions/render", data=form | {"param__size": "2048x1152"}).text.count("problem") == 0
