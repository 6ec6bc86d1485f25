"""What the review specifications share: the template change that makes the icon cases fail, and their keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e.helpers import approved_brand, bump_version, clone, edit, lock, promptlib

ICON = "prompts/icons/feature-icon.yaml"
SUBJECT_LINE = "A single app feature icon of {{ subject }}, in a strict flat house style."
NEW_SUBJECT_LINE = "A glossy product photograph of {{ subject }} resting on a wooden desk, in warm sunset light."
PADLOCK, PLANE = "brand/icon-padlock", "brand/icon-paper-plane-teal"


def regress(root: Path, base: Path) -> None:
    """The approved example project with the icon template rewritten (version bumped, locked) and evaluated."""
    clone(approved_brand(base), root)
    edit(root, ICON, SUBJECT_LINE, NEW_SUBJECT_LINE)
    bump_version(root, "icons/feature-icon")
    lock(root)
    result = promptlib(root, "eval", "brand")
    assert result.exit_code == 1, result.output


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: axe-core as vendored for the web app's browser tests (version and sha256 beside it).
AXE = Path(__file__).resolve().parents[1] / "web" / "axe.min.js"


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now (injected through the devtools protocol,
    which the page's CSP does not govern)."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in found
            if v["impact"] in ("serious", "critical")]  # fmt: skip
