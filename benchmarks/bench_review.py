"""Is the Review page quick enough to review with the keyboard?

Issue 14's targets, on the example project's emulator deployment:

1. **A 200-case queue is interactive in < 1 s.** The example project's brand suite is approved, its icon template
   changed and evaluated (two cases fail), and that run is widened to 200 cases (its case entries repeated under new
   ids, all failing, pointing at the same images) and served by the real app (uvicorn on loopback). Chromium opens
   `/review`; interactive is when the document is parsed and its deferred scripts (htmx, review.js) have run
   (`DOMContentLoaded`, from the page's Navigation Timing) with the queue on screen, so `j`/`k`/`a` work; loaded
   is the `load` event (every image in view decoded). A `j` press (the next case over htmx) is timed too, and
   the server's own time for `GET /review` (httpx). Baseline, in the same run and browser: the app's History page
   with no history (its layout: the same CSS, htmx and navigation, no content), measured the same way, so the
   ratio is what the queue costs.
2. **Approving one case round-trips in < 300 ms.** `POST /review/approve` over real HTTP (httpx to the served app,
   same-origin headers) for one failing case, answered with the updated workspace, median of repeats (each
   approval replaces the case's goldens with the same samples, so every repeat writes and recalibrates). Baseline:
   the same approval through `promptlib.review._decisions.approve` in-process (the library's work alone), so the
   ratio is what the web layer adds.

Wall time on a shared 2-core machine: medians of repeats, figures and ratios printed. It always exits 0.

Run: python benchmarks/bench_review.py [--cases 200] [--repeats 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from click.testing import CliRunner

from promptlib._library import Library
from promptlib.cli import cli
from promptlib.review import _decisions
from promptlib.review._runs import open_run
from promptlib.web import access_policy, create_app
from promptlib.web._server import running_app

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
INTERACTIVE_TARGET_S = 1.0
APPROVE_TARGET_S = 0.300
ICON = "prompts/icons/feature-icon.yaml"
PADLOCK = "brand/icon-padlock"


def promptlib(root: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"promptlib {' '.join(args)} failed: {result.output}")


def build_project(root: Path) -> None:
    """The example project's brand suite, approved, then its icon template changed and evaluated."""
    root.mkdir(parents=True, exist_ok=True)
    for part in ("promptlib.yaml", "prompts", "evals", "assets"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("goldens"))
        else:
            shutil.copy2(source, root / part)
    for suite in (root / "evals").glob("*.yaml"):
        if suite.stem != "brand":
            suite.unlink()
    config = yaml.safe_load((root / "promptlib.yaml").read_text())
    config["deployments"]["local"].update(seed=7, variance=0.1)
    (root / "promptlib.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    promptlib(root, "eval")
    promptlib(root, "approve", "--all-new", "--by", "bench")
    text = (root / ICON).read_text()
    text = text.replace("A single app feature icon of", "A glossy product photograph of").replace(
        "version: 1", "version: 2", 1
    )
    (root / ICON).write_text(text)
    promptlib(root, "lock")
    promptlib(root, "eval")


def widen(run: Path, cases: int) -> None:
    """The run's results.json with `cases` failing cases (copies of its failed ones under new ids)."""
    path = run / "results.json"
    results = json.loads(path.read_text())
    failed = [c for c in results["cases"] if c["status"] == "failed"]
    extra = []
    for number in range(cases - len(results["cases"])):
        copy = dict(failed[number % len(failed)])
        copy["case"] = f"{copy['case']}-{number:03d}"
        copy["key"] = f"{copy['suite']}/{copy['case']}"
        extra.append(copy)
    results["cases"] += extra
    path.write_text(json.dumps(results))


def median_time(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def browser_figures(url: str, repeats: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, list[float]] = {"layout": [], "review": [], "review_loaded": [], "j": []}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        for _ in range(repeats):
            page = browser.new_page()
            figures["layout"].append(_interactive(page, url + "/history", "main"))
            figures["review"].append(_interactive(page, url + "/review", ".queue a.q-item"))
            figures["review_loaded"].append(_interactive(page, url + "/review", ".queue a.q-item", "load"))
            start = time.perf_counter()
            before = page.get_attribute("#review", "data-selected")
            page.keyboard.press("j")
            page.wait_for_selector(f'#review:not([data-selected="{before}"])')
            figures["j"].append(time.perf_counter() - start)
            page.close()
        browser.close()
    return {name: statistics.median(values) for name, values in figures.items()}


def _interactive(page: Any, url: str, ready: str, until: str = "domcontentloaded") -> float:
    """Seconds from the navigation's start until `until` ended, by the page's own Navigation Timing (so the
    driver's round trips are not counted), once `ready` is in the page."""
    page.goto(url, wait_until=until)
    page.wait_for_selector(ready)
    event = "domContentLoadedEventEnd" if until == "domcontentloaded" else "loadEventEnd"
    timing = page.evaluate(f"() => performance.getEntriesByType('navigation')[0].{event}")
    return float(timing) / 1000


def approve_figures(root: Path, url: str, repeats: int) -> dict[str, float]:
    library = Library.load(root)
    run = open_run(library, None)
    direct = median_time(lambda: _decisions.approve(library, run, cases=[PADLOCK], by="bench"), repeats)
    headers = {"sec-fetch-site": "same-origin", "hx-request": "true"}
    with httpx.Client(base_url=url, headers=headers) as client:

        def post() -> None:
            answer = client.post("/review/approve", data={"key": PADLOCK, "sample": ["0", "1", "2"]})
            assert answer.status_code == 200 and "approved: 3 golden(s)" in answer.text, answer.text[:300]

        web = median_time(post, repeats)
    library.close()
    return {"library": direct, "web": web}


def verdict(value: float, target: float) -> str:
    return f"target < {target * 1000:.0f} ms; {'ok' if value < target else 'OVER'}"


def report(approve: dict[str, float], shown: dict[str, float] | None, cases: int) -> None:
    web, direct = approve["web"], approve["library"]
    print(f"approve one case, round trip over HTTP: {web * 1000:.0f} ms median ({verdict(web, APPROVE_TARGET_S)})")
    print(f"  baseline, the library's approve alone: {direct * 1000:.0f} ms (web / library = {web / direct:.2f}x)")
    if shown is None:
        print("no Chromium at /usr/bin/chromium: the queue's time to interactive was not measured")
        return
    review, layout = shown["review"], shown["layout"]
    print(f"{cases}-case queue, /review to interactive: {review * 1000:.0f} ms median "
          f"({verdict(review, INTERACTIVE_TARGET_S)})")  # fmt: skip
    print(f"  baseline, the app's layout (History, empty): {layout * 1000:.0f} ms "
          f"(review / layout = {review / layout:.2f}x)")  # fmt: skip
    print(f"  loaded (every image in view decoded): {shown['review_loaded'] * 1000:.0f} ms median")
    print(f"  j (next case over htmx): {shown['j'] * 1000:.0f} ms median")
    print(f"  server time of GET /review: {shown['server'] * 1000:.0f} ms median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it")
    options = parser.parse_args()
    base = options.keep or Path(tempfile.mkdtemp(prefix="bench-review-"))
    root = base / "project"
    build_project(root)
    latest = Path((root / ".promptlib" / "runs" / "latest").read_text().strip())
    library = Library.load(root)
    app = create_app(root, policy=access_policy("127.0.0.1", 0), library=library)
    with running_app(app) as url:
        approve = approve_figures(root, url, options.repeats)  # on the real 6-case run (its cases exist)
        widen(latest, options.cases)
        shown = browser_figures(url, options.repeats) if CHROMIUM.exists() else None
        if shown is not None:
            with httpx.Client(base_url=url) as client:
                shown["server"] = median_time(lambda: client.get("/review").raise_for_status(), options.repeats)
    library.close()
    report(approve, shown, options.cases)
    if options.keep is None:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
