"""report.html in a real browser: the images beside it load, and the status filter works with and without JS.

Runs headless Debian Chromium (``apt-get install chromium``) through Playwright's Python package, from a file://
URL with a fresh profile. Skips when either is missing, so the suite passes on machines without a browser.
Any attempt to reach the network is aborted and fails the test: the page must be self-contained.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

from report_fixture import build_edit_run, write_report  # noqa: E402 (after the skip: needs no playwright)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


class Browser:
    """One Chromium profile, the report's URL, and every request that tried to leave the machine."""

    def __init__(self, context: Any, url: str) -> None:
        self.context, self.url = context, url
        self.outside: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._local_only)

    def _local_only(self, route: Any) -> None:
        """Let the page and the files beside it load; anything else is an escape, recorded and refused."""
        if route.request.url.startswith("file://"):
            route.continue_()
            return
        self.outside.append(route.request.url)
        route.abort()

    def open(self, suffix: str = "") -> Any:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.goto(self.url + suffix)
        return page


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as driver:
        yield driver


def _browser(playwright: Any, profile: Path, report: Path, **options: Any) -> Any:
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=ARGS,
        headless=True,
        viewport={"width": 1280, "height": 900},
        **options,
    )


@pytest.fixture
def browser(playwright: Any, report: Path, tmp_path: Path) -> Iterator[Browser]:
    context = _browser(playwright, tmp_path / "profile", report)
    session = Browser(context, report.as_uri())
    try:
        yield session
    finally:
        context.close()
    assert session.outside == [], "the report must not reach the network"
    assert session.errors == []


def visible_statuses(page: Any) -> list[str]:
    return [
        str(s)
        for s in page.eval_on_selector_all(
            ".case", "cards => cards.filter(c => c.offsetParent !== null).map(c => c.dataset.status)"
        )
    ]


def test_every_image_loads(browser: Browser) -> None:
    page = browser.open()
    images = page.locator("img")
    count = images.count()
    assert count == 43  # 20 samples, 13 nearest goldens, 10 in the golden rows
    for index in range(count):  # lazy images load only near the viewport: bring each one there
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=10_000)
    broken = page.eval_on_selector_all("img", "imgs => imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.src)")
    assert broken == []


def test_status_filter(browser: Browser) -> None:
    page = browser.open()
    everything = visible_statuses(page)
    assert len(everything) == 9 and everything[0] == "error" and everything[-1] == "passed"

    page.click('label[data-filter="failed"]')
    assert visible_statuses(page) == ["failed", "failed"]
    assert page.text_content("#showing") == "2 of 9 cases"
    assert page.evaluate("location.hash") == "#failed"

    page.click('label[data-filter="passed"]')
    assert visible_statuses(page) == ["passed", "passed"]

    page.click('label[data-filter="all"]')
    assert visible_statuses(page) == everything
    assert page.text_content("#showing") == "9 of 9 cases"


def test_status_filter_from_the_url(browser: Browser) -> None:
    page = browser.open("#new")
    assert visible_statuses(page) == ["new"]
    assert page.is_checked("#filter-new")


def test_status_filter_works_without_javascript(playwright: Any, report: Path, tmp_path: Path) -> None:
    context = _browser(playwright, tmp_path / "profile", report, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        assert len(visible_statuses(page)) == 9  # evaluate still runs: only the page's own script is off
        page.click('label[data-filter="failed"]')
        assert visible_statuses(page) == ["failed", "failed"]
        page.click('label[data-filter="all"]')
        assert len(visible_statuses(page)) == 9
        assert page.locator("button.copy").count() == 0
    finally:
        context.close()


def test_copy_buttons_and_a_screenshot(browser: Browser, tmp_path: Path) -> None:
    page = browser.open()
    assert page.locator("pre.cmd button.copy").count() == 7  # approve+reject for 2 failed and 1 new, reject for low
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_an_edit_run_shows_its_inputs_and_the_mask_over_a_checkerboard(playwright: Any, tmp_path: Path) -> None:
    report = write_report(tmp_path / "run", build_edit_run)
    context = _browser(playwright, tmp_path / "profile", report)
    try:
        session = Browser(context, report.as_uri())
        page = session.open()
        mask = page.locator('img[src$="/mask.png"]').first
        mask.scroll_into_view_if_needed()
        page.wait_for_function(
            "Array.from(document.images).filter(i => i.src.includes('/inputs/'))"
            ".every(i => i.complete && i.naturalWidth > 0)",
            timeout=10_000,
        )
        assert page.locator('img[src^="inputs/"]').count() == 4  # photo and mask of two edit cases
        assert "repeating-conic-gradient" in mask.evaluate("i => getComputedStyle(i).backgroundImage")
        assert page.locator("#suite-errors").is_visible() and page.locator("#run-warnings").is_visible()
        assert session.outside == [] and session.errors == []
    finally:
        context.close()


def test_the_network_guard_catches_external_loads(playwright: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "leaky.html"
    page_file.write_text('<img src="http://127.0.0.1:9/pixel.png">', encoding="utf-8")
    context = _browser(playwright, tmp_path / "profile", page_file)
    try:
        session = Browser(context, page_file.as_uri())
        session.open().wait_for_load_state("load")
        assert session.outside == ["http://127.0.0.1:9/pixel.png"]
    finally:
        context.close()
