"""Take the README's screenshot of the Playground: docs/playground.png (a dev step; needs Playwright + Chromium).

Copies the example project to a temporary folder, serves the app on it, opens the product-hero template with an
example, generates two variants on the emulator, ticks one image of each to compare them side by side, and shoots.
Run: python scripts/playground_screenshot.py [OUT.png]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from promptlib.web import create_app
from promptlib.web._server import running_app

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        for part in ("promptlib.yaml", "prompts", "evals", "assets"):
            source = REPO / part
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
        with running_app(create_app(root)) as url, sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1400}, device_scale_factor=1)
            page.goto(f"{url}/play/marketing/product-hero?example=kettle-studio")
            for label, product in (("studio kettle", None), ("copper moka pot", "a copper moka pot")):
                if product:
                    page.fill("#var-product", product)
                page.fill("#label", label)
                page.click("#generate")
                page.locator("article.variant.done", has_text=label).wait_for(timeout=60_000)
            page.locator("article.variant.done").nth(0).locator(".compare-pick").first.check()
            page.locator("article.variant.done").nth(1).locator(".compare-pick").first.check()
            page.click('.compare-modes button[data-mode="side"]')
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out), full_page=False)
            browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "playground.png")
