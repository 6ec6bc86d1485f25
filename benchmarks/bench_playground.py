"""How quickly does the Playground answer? Three figures, each against a baseline measured in the same run.

1. Command to interactive page: `promptlib playground --no-browser --port 0` spawned until the Play page and
   htmx.min.js have been served (and, with Chromium, until the page shows its rendered prompt with htmx loaded).
   Baseline: the cold start of `promptlib --help`. Target: interactive within ~1 s.
2. Render as you type: one POST /actions/render (the editor's text, the form's values; parsing, the sandbox
   render, the model checks, the code view and the HTML fragment) in-process, median of N. Baseline: what
   `promptlib render` does per call, a fresh `Library` + `get()` + `render()`. Target: < 50 ms server time.
3. First partial image: POST /actions/generate until the first `partial` server-sent event, on the emulator.
   Baseline: the first `PartialImage` of `Library.stream()` for the same prompt (the client alone).

The example project is copied to a temporary folder; nothing in the checkout is written. A measurement, not a
test: it always exits 0. Run: python benchmarks/bench_playground.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from promptlib import Library, PartialImage
from promptlib.web import create_app

REPO = Path(__file__).resolve().parents[1]
HERO = "marketing/product-hero"
CHROMIUM = Path("/usr/bin/chromium")


def copy_example(target: Path) -> Path:
    target.mkdir(parents=True)
    for part in ("promptlib.yaml", "prompts", "evals", "assets"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / part)
    return target


def cold_help() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "promptlib", "--help"], check=True, capture_output=True)
    return time.perf_counter() - started


def command_to_page(root: Path, browser: object | None) -> tuple[float, float | None]:
    """Seconds from spawning the command until the page is served (and, with a browser, shown and live)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "promptlib", "-C", str(root), "playground", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = re.search(r"http://\S+", process.stdout.readline()).group(0)  # type: ignore[union-attr]
        with httpx.Client() as http:
            http.get(f"{url}play/{HERO}?example=kettle-studio").raise_for_status()
            http.get(f"{url}static/htmx.min.js").raise_for_status()
        served = time.perf_counter() - started
        shown = None
        if browser is not None:
            page = browser.new_page()  # type: ignore[attr-defined]
            page.goto(f"{url}play/{HERO}?example=kettle-studio")
            page.wait_for_function("() => window.htmx !== undefined && !!document.querySelector('#rendered-prompt')")
            shown = time.perf_counter() - started
            page.close()
        return served, shown
    finally:
        process.terminate()
        process.wait(10)


def page_form(client: TestClient) -> dict[str, str]:
    page = client.get(f"/play/{HERO}?example=kettle-studio").text
    sha = re.search(r'id="file-sha256" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    text = re.search(r'name="template_text"[^>]*>(.*?)</textarea>', page, re.S).group(1)  # type: ignore[union-attr]
    import html

    return {"template_id": HERO, "file_sha256": sha, "template_text": html.unescape(text), "deployment": "local",
            "var__product": "a matte sage-green ceramic pour-over kettle", "samples": "1",
            "case": "marketing/kettle-studio"}  # fmt: skip


def median_ms(action: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def first_partial_web(client: TestClient, form: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = client.post("/actions/generate", data=form).text
    run_id = re.search(r'data-run="([^"]+)"', answer).group(1)  # type: ignore[union-attr]
    first = None
    with client.stream("GET", f"/runs/{run_id}/events") as events:
        for line in events.iter_lines():
            if first is None and line.startswith("data: ") and json.loads(line[6:])["event"] == "partial":
                first = time.perf_counter() - started
    assert first is not None
    return first * 1000


def first_partial_library(library: Library, product: str) -> float:
    started = time.perf_counter()
    for event in library.stream(HERO, partial_images=2, product=product):
        if isinstance(event, PartialImage):
            elapsed = time.perf_counter() - started
            for _ in library.stream(HERO, partial_images=0, product="drain"):  # keep the pool warm, nothing more
                break
            return elapsed * 1000
    raise AssertionError("no partial image")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_example(Path(tmp) / "project")
        cold_help()
        helps = [cold_help() for _ in range(3)]
        browser = driver = None
        if CHROMIUM.exists():
            try:
                from playwright.sync_api import sync_playwright

                driver = sync_playwright().start()
                browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            except ImportError:
                browser = None
        command_to_page(root, browser)  # warm the OS caches
        runs = [command_to_page(root, browser) for _ in range(3)]
        if driver is not None:
            browser.close()  # type: ignore[union-attr]
            driver.stop()
        served = statistics.median(r[0] for r in runs)
        print(f"1. command → page served: {served * 1000:.0f} ms, {served / statistics.median(helps):.2f}x "
              f"`promptlib --help` ({statistics.median(helps) * 1000:.0f} ms)")  # fmt: skip
        if runs[0][1] is not None:
            shown = statistics.median(r[1] for r in runs if r[1] is not None)
            print(f"   command → page shown and interactive in Chromium: {shown * 1000:.0f} ms")
        library = Library.load(root)
        with TestClient(create_app(root, library=library), base_url="http://127.0.0.1:8090",
                        headers={"sec-fetch-site": "same-origin"}) as client:  # fmt: skip
            form = page_form(client)
            values = {"product": form["var__product"]}
            render = median_ms(lambda: client.post("/actions/render", data=form).raise_for_status(), args.repeats)
            bare = median_ms(lambda: Library.load(root).get(HERO).render(values), args.repeats)
            print(f"2. render as you type: {render:.1f} ms per keystroke (median of {args.repeats}), "
                  f"{render / bare:.2f}x a fresh Library + render ({bare:.1f} ms)")  # fmt: skip
            web = [first_partial_web(client, dict(form, var__product=f"kettle {i}")) for i in range(5)]
            plain = [first_partial_library(library, f"kettle {i}") for i in range(5)]
            print(f"3. first partial image on the emulator: {statistics.median(web):.0f} ms from the Generate POST, "
                  f"{statistics.median(web) / statistics.median(plain):.2f}x Library.stream()'s first partial "
                  f"({statistics.median(plain):.0f} ms)")  # fmt: skip
        library.close()


if __name__ == "__main__":
    main()
