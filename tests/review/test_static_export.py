"""Static report parity: report.html (opened from file://, no server) ticks approve/reject per sample and exports
approvals.json; `promptlib approve RUN --from approvals.json` applies it (`--dry-run` lists, writes nothing)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from e2e.helpers import latest_run, manifest, promptlib, statuses

from .helpers import CHROMIUM, CHROMIUM_ARGS, PADLOCK, PLANE

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@contextmanager
def report_page(run: Path, profile: Path) -> Iterator[Any]:
    """The run's report.html in Chromium from file://; any request off the file system fails the test.

    Playwright's sync API runs an event loop in this thread, so the CLI (which runs its own) is called only after
    the browser has closed.
    """
    outside: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            accept_downloads=True, viewport={"width": 1280, "height": 900},
        )  # fmt: skip

        def local_only(route: Any) -> None:
            if route.request.url.startswith(("file://", "blob:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((run / "report.html").as_uri())
        try:
            yield page
        finally:
            context.close()
    assert outside == [] and errors == []


def card(page: Any, key: str) -> Any:
    return page.locator(f'article.case[data-key="{key}"]')


def tick(page: Any, key: str, sample: int, decision: str, reason: str = "") -> None:
    box = card(page, key).locator(f'fieldset.decide[data-sample="{sample}"]')
    box.locator(f'input[value="{decision}"]').check()
    if reason:
        box.locator(".reason input").fill(reason)


def export(page: Any, target: Path) -> dict[str, Any]:
    with page.expect_download() as download:
        page.click("#export-approvals")
    download.value.save_as(str(target))
    data: dict[str, Any] = json.loads(target.read_text())
    return data


def goldens(root: Path) -> dict[str, str]:
    base = root / "evals" / "goldens"
    return {p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in base.rglob("*.*")}


def test_ticks_export_approvals_json_that_approve_from_applies(regressed: Path, tmp_path: Path) -> None:
    run = latest_run(regressed)
    with report_page(run, tmp_path / "profile") as page:
        assert page.locator("#export").is_visible()
        tick(page, PADLOCK, 0, "approve")
        tick(page, PADLOCK, 2, "approve")
        tick(page, PLANE, 1, "reject")
        page.click("#export-approvals")
        assert page.text_content("#export-status") == f"Sample #1 of {PLANE}: a rejection needs a reason."
        tick(page, PLANE, 1, "reject", "a photo, not a flat icon")
        exported = export(page, tmp_path / "approvals.json")
        assert "Exported 3 decisions on 2 cases" in page.text_content("#export-status")

    assert exported["schema"] == "promptlib-approvals/1" and exported["run_id"] == run.name
    by_key = {entry["key"]: entry for entry in exported["cases"]}
    assert [(d["sample"], d["decision"]) for d in by_key[PADLOCK]["samples"]] == [(0, "approve"), (2, "approve")]
    assert by_key[PLANE]["samples"][0]["reason"] == "a photo, not a flat icon"

    before = goldens(regressed)
    dry = promptlib(regressed, "approve", str(run), "--from", str(tmp_path / "approvals.json"), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        f"would approve {PADLOCK}: sample(s) 0, 2, replacing the golden set",
        f"would reject sample 1 of {PLANE}: a photo, not a flat icon",
        "dry run: nothing written",
    ]
    assert goldens(regressed) == before

    applied = promptlib(regressed, "approve", str(run), "--from", str(tmp_path / "approvals.json"), "--by", "Dana")
    assert applied.exit_code == 0, applied.output
    assert manifest(regressed, PADLOCK)["template"]["version"] == 2
    assert [g["sample"] for g in manifest(regressed, PADLOCK)["goldens"]] == [0, 2]
    assert [r["reason"] for r in manifest(regressed, PLANE)["rejected"]] == ["a photo, not a flat icon"]
    assert promptlib(regressed, "eval", PADLOCK).exit_code == 0
    assert statuses(json.loads((latest_run(regressed) / "results.json").read_text()))[PADLOCK] == "passed"


def test_nothing_ticked_exports_nothing(regressed: Path, tmp_path: Path) -> None:
    with report_page(latest_run(regressed), tmp_path / "profile") as page:
        page.click("#export-approvals")
        assert page.text_content("#export-status").startswith("Nothing ticked yet")
