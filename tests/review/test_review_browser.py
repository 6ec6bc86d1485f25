"""The Review page in Chromium: a case failed by a template change is first in the queue with its prompt diff,
approved with the keyboard (the goldens change and a new eval passes), a sample rejected with a reason, every diff
view renders with zoom and pan synced, and axe-core finds no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.helpers import manifest, run_real

from .helpers import CHROMIUM, CHROMIUM_ARGS, PADLOCK, PLANE, axe_violations

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture
def page(served_review: str, tmp_path: Path) -> Iterator[Any]:
    """A Chromium page on the served Review page; requests off the server and script errors fail the test."""
    outside: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1360, "height": 1000},
        )  # fmt: skip

        def local_only(route: Any) -> None:
            if route.request.url.startswith(served_review):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.goto(served_review + "/review")
        try:
            yield tab
        finally:
            context.close()
    assert outside == [] and errors == []


def selected(page: Any) -> str:
    return str(page.get_attribute("#review", "data-selected"))


def test_approve_a_failed_case_with_the_keyboard(page: Any, regressed: Path) -> None:
    first = page.locator(".queue a.q-item").first
    assert first.get_attribute("data-key") == PADLOCK and selected(page) == PADLOCK
    assert page.locator("section.changed ins", has_text="glossy").count() == 1  # the prompt diff, on screen
    page.keyboard.press("a")
    page.wait_for_selector("#review-message.ok-line")
    message = page.text_content("#review-message") or ""
    assert f"{PADLOCK} approved: 3 golden(s)" in message and f"evals/goldens/{PADLOCK}/case.json" in message
    assert selected(page) == PLANE  # the queue moved on
    assert "approved: 3 golden(s)" in (page.text_content(f'.queue a[data-key="{PADLOCK}"] .decided') or "")
    assert manifest(regressed, PADLOCK)["template"]["version"] == 2
    again = run_real(regressed, "eval", PADLOCK)  # in a child process: this thread runs Playwright's loop
    assert again.returncode == 0, again.stdout + again.stderr


def test_move_with_j_and_k_and_reject_with_r_and_a_reason(page: Any, regressed: Path) -> None:
    page.keyboard.press("j")
    page.wait_for_selector(f'#review[data-selected="{PLANE}"]')
    page.keyboard.press("k")
    page.wait_for_selector(f'#review[data-selected="{PADLOCK}"]')
    page.keyboard.press("j")
    page.wait_for_selector(f'#review[data-selected="{PLANE}"]')
    page.check('input[name="rv-compare"][value="2"]')
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "rv-reason"
    page.keyboard.type("a photo, not a flat icon")
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-message.ok-line")
    assert "rejected sample 2 of brand/icon-paper-plane-teal: a photo, not a flat icon" in (
        page.text_content("#review-message") or ""
    )
    rejected = manifest(regressed, PLANE)["rejected"]
    assert [(r["reason"], r["source_run"] is not None) for r in rejected] == [("a photo, not a flat icon", True)]
    assert page.locator(".rv-rejected li").count() == 1


def test_every_diff_view_renders_with_synced_zoom(page: Any) -> None:
    page.wait_for_function("() => Array.from(document.querySelectorAll('#rv-stage img')).every(i => i.complete)")
    for key, mode in zip("12345", ("side", "slider", "onion", "blink", "heatmap"), strict=True):
        page.keyboard.press(key)
        assert page.get_attribute("#rv-stage", "class") == f"rv-stage mode-{mode}"
        assert page.get_attribute(f'#rv-compare button[data-mode="{mode}"]', "aria-pressed") == "true"
        visible = page.eval_on_selector_all("#rv-stage img", "imgs => imgs.filter(i => i.offsetParent).map(i => i.id)")
        expected = ["rv-heat"] if mode == "heatmap" else ["rv-a", "rv-b"]
        assert visible == expected, mode
        page.wait_for_function(  # the heatmap is computed on the server when first shown
            "() => Array.from(document.querySelectorAll('#rv-stage img')).every(i => i.complete && i.naturalWidth > 0)"
        )
    assert (page.get_attribute("#rv-heat", "src") or "").startswith("/review/heatmap?a=samples/")
    page.keyboard.press("2")
    page.fill("#rv-amount", "30")
    assert page.evaluate("document.querySelector('.rv-pane.rv-b').style.clipPath") == "inset(0px 0px 0px 30%)"
    page.keyboard.press("1")
    page.keyboard.press("+")
    page.keyboard.press("+")
    transforms = page.eval_on_selector_all("#rv-stage img", "imgs => imgs.map(i => i.style.transform)")
    assert len(set(transforms)) == 1 and "scale(1.5625)" in transforms[0]
    assert page.text_content("#rv-zoom") == "156 %"
    page.check('input[name="rv-compare"][value="1"]')
    assert (page.get_attribute("#rv-a", "src") or "").endswith("/s1.png")
    page.keyboard.press("j")  # the next case keeps the view and the zoom (and breaks no CSP rule doing so)
    page.wait_for_selector(f'#review[data-selected="{PLANE}"]')
    page.wait_for_function("() => document.getElementById('rv-a').style.transform.includes('scale(1.5625)')")
    page.keyboard.press("0")
    assert page.text_content("#rv-zoom") == "100 %"


def test_help_and_no_serious_accessibility_violations(page: Any) -> None:
    page.keyboard.press("?")
    assert page.locator("#review-help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#review-help").is_visible()
    assert axe_violations(page) == []
    page.keyboard.press("5")  # the heatmap view, and a problem line, are part of the page too
    page.fill("#rv-reason", "")
    page.click("#rv-reject button[type=submit]")  # the browser refuses an empty required reason
    assert axe_violations(page) == []


def test_a_screenshot_for_the_readme(page: Any, tmp_path: Path) -> None:
    """The page as docs/review.png shows it (that file is this screenshot, looked at before committing)."""
    page.wait_for_function("() => Array.from(document.querySelectorAll('#rv-stage img')).every(i => i.complete)")
    shot = tmp_path / "review.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 20_000
