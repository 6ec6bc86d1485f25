"""The Playground in a real browser: issue 13's acceptance list, driven by pytest-playwright on Debian's Chromium.

One server per module (the `served` fixture) on a private copy of the example project, whose `local` emulator
answers in milliseconds. Every page is checked with axe-core (no serious or critical violations) and for console
errors, which is where a Content-Security-Policy violation (an inline script or style) would show. Skips cleanly
without Chromium or Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from promptlib._library import Library
from promptlib.evals._check import check_project

pytest.importorskip("playwright.sync_api")
pytest.importorskip("pytest_playwright")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("axe.min.js")
HERO = "marketing/product-hero"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright for this module only. pytest-playwright's own is session-wide, and while it runs it holds an
    asyncio loop on this thread: every later test in the same process that runs one (the CLI, the runner, another
    sync_playwright) would fail with "Cannot run the event loop while another loop is running"."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Any, browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """Chromium for this module (pytest-playwright's session-wide browser would need its session-wide loop)."""
    launched = playwright.chromium.launch(**browser_type_launch_args)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }  # fmt: skip


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1440, "height": 1000}}


@pytest.fixture
def app_page(page: Any, served: str) -> Iterator[Any]:
    """A page on the served app; fails the test on console errors, page errors or a request leaving it."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if _unexpected(msg) else None)
    page.route(re.compile(r"^(?!" + re.escape(served) + ").*"), lambda route: (problems.append(route.request.url),
                                                                             route.abort()))  # fmt: skip
    page.base = served
    yield page
    assert problems == []


def _unexpected(message: Any) -> bool:
    """A console error other than the browser noting an answer the test provokes (409, 422)."""
    expected = ("status of 409", "status of 422")
    return bool(message.type == "error" and not any(e in message.text for e in expected))


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now (injected through the devtools
    protocol, which the page's CSP does not govern)."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in found
            if v["impact"] in ("serious", "critical")]  # fmt: skip


def open_play(page: Any, template_id: str, example: str | None = None) -> None:
    page.goto(f"{page.base}/play/{template_id}" + (f"?example={example}" if example else ""))
    page.wait_for_function("() => window.htmx !== undefined")


def generate(page: Any, label: str) -> Any:
    page.fill("#label", label)
    page.click("#generate")
    card = page.locator("article.variant.done", has_text=label)
    card.wait_for(timeout=30_000)
    return card


def test_every_page_has_no_serious_accessibility_violations(app_page: Any) -> None:
    for path in ("/", f"/play/{HERO}", "/play/edits/replace-background", "/history"):
        app_page.goto(app_page.base + path)
        assert axe_violations(app_page) == [], path


def test_change_a_variable_and_the_rendered_prompt_follows(app_page: Any) -> None:
    open_play(app_page, HERO, "kettle-studio")
    assert "sage-green ceramic" in app_page.text_content("#rendered-prompt")
    app_page.fill("#var-product", "a copper moka pot")
    app_page.wait_for_function("() => document.querySelector('#rendered-prompt').textContent.includes('copper moka')")
    app_page.select_option("#var-setting", "desk")
    app_page.wait_for_function("() => document.querySelector('#rendered-prompt').textContent.includes('wood desk')")


def test_generate_three_samples_partial_then_final_then_compare_two_variants(app_page: Any) -> None:
    images: list[str] = []
    app_page.on("request", lambda request: images.append(request.url) if "/files/" in request.url else None)
    open_play(app_page, HERO, "kettle-studio")
    first = generate(app_page, "variant A")
    assert first.locator("figure.sample").count() == 3
    assert "would pass: 3 of 3 match" in first.text_content()
    partials = [i for i, url in enumerate(images) if "/partials/" in url]
    finals = [i for i, url in enumerate(images) if "/samples/" in url]
    assert partials and finals and partials[0] < finals[0]  # partial images were shown before the final ones
    app_page.fill("#var-product", "a copper moka pot")
    second = generate(app_page, "variant B")
    assert app_page.locator("article.variant.done").count() == 2
    first.locator(".compare-pick").first.check()
    second.locator(".compare-pick").first.check()
    assert app_page.is_visible("#compare")
    for mode in ("side", "slider", "onion", "blink", "heatmap"):
        app_page.click(f'.compare-modes button[data-mode="{mode}"]')
        assert app_page.get_attribute(f'.compare-modes button[data-mode="{mode}"]', "aria-pressed") == "true"
        shown = "#compare-heat" if mode == "heatmap" else "#compare-b"
        app_page.wait_for_function(f"() => {{ const i = document.querySelector('{shown}'); "
                                   "return i.complete && i.naturalWidth > 1; }")  # fmt: skip
    app_page.fill("#compare-amount", "30")
    app_page.click('.compare-modes button[data-mode="slider"]')
    assert "inset(0px 0px 0px 30%)" in app_page.evaluate(
        "getComputedStyle(document.querySelector('#compare-b')).clipPath"
    )
    assert axe_violations(app_page) == []


def test_promote_a_sample_to_a_golden_from_history(app_page: Any, example_project: Path) -> None:
    open_play(app_page, HERO, "kettle-studio")
    card = generate(app_page, "to promote")
    run_id = card.get_attribute("data-run")
    manifest = example_project / "evals/goldens/marketing/kettle-studio/case.json"
    before = len(json.loads(manifest.read_text())["goldens"])
    app_page.goto(f"{app_page.base}/history/{run_id}")
    assert axe_violations(app_page) == []
    app_page.select_option("#promote-sample", "2")
    app_page.click("#promote")
    app_page.locator("#promote-result .ok-line").wait_for()
    assert len(json.loads(manifest.read_text())["goldens"]) == before + 1


def test_the_mask_brush_paints_an_alpha_mask_that_the_edit_uses(app_page: Any) -> None:
    open_play(app_page, "edits/replace-background", "mug-on-sand")
    canvas = app_page.locator(".brush-canvas")
    app_page.wait_for_function("() => document.querySelector('.brush-canvas').width === 1024")
    box = canvas.bounding_box()
    app_page.mouse.move(box["x"] + 20, box["y"] + 20)
    app_page.mouse.down()
    app_page.mouse.move(box["x"] + box["width"] - 20, box["y"] + 40, steps=8)
    app_page.mouse.up()
    app_page.wait_for_function("() => document.querySelector('#upload-mask').files.length === 1")
    app_page.fill("#samples", "1")
    card = generate(app_page, "brushed")
    assert "unchanged outside the mask" in card.text_content()


def test_save_as_new_version_then_a_concurrent_change_gets_409(app_page: Any, example_project: Path) -> None:
    path = example_project / "prompts/marketing/product-hero.yaml"
    open_play(app_page, HERO, "kettle-studio")
    editor = app_page.locator("#editor")
    editor.fill(editor.input_value() + "Soft morning light from the left.\n")
    app_page.click("#save-preview")
    app_page.locator("#save-confirm").wait_for()
    assert "+version: 2" in app_page.text_content("#save-panel")
    app_page.click("#save-confirm")
    app_page.locator("#save-panel .ok-line").first.wait_for()
    data = yaml.safe_load(path.read_text())
    assert data["version"] == 2 and data["template"].rstrip().endswith("Soft morning light from the left.")
    assert check_project(Library.load(example_project)).ok
    path.write_text(path.read_text().replace("Wide hero image", "A wide hero image"))  # someone else saves
    editor.fill(editor.input_value() + "Even softer.\n")
    app_page.click("#save-preview")
    app_page.locator("#save-confirm").wait_for()
    app_page.click("#save-confirm")
    app_page.locator("#save-panel .problem", has_text="changed on disk").wait_for()
    assert "Even softer" not in path.read_text()
