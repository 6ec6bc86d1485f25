"""Synthetic run directories for report.html tests: real PNGs where results.json says they are.

Built from the real dataclasses (``RunResult.to_dict()``), so the tests break when the results shape moves away
from what the report reads. `build_run` covers every case status, every sample verdict (under the names older runs
wrote), low sensitivity, a template changed since approval, unused goldens and a prompt full of HTML.
`build_edit_run` covers what newer runs add: an edit's input image and mask, the share of pixels kept outside the
mask, today's verdict names, costs estimated by the emulator, suite problems, run warnings and text read by OCR
(expected text found in one sample, misread in another, with boxes).

``python tests/browser/report_fixture.py DIR`` writes both demo runs and their report.html into DIR, for a look.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from promptlib.evals._results import CaseResult, RunResult, SampleResult
from promptlib.reports._html import render_report_html

RUN_ID = "20261101-093015-a1b2"
HOSTILE_PROMPT = "A flat \"settings\" gear icon <script>alert(1)</script> & <b>bold</b> 'quoted'"
THRESHOLDS = {"phash": 10, "dhash": 12, "whash": 9}
POLICY = {"samples": 3, "min_matches": 2, "max_samples": 5}
HASHES = {"phash": "c3d4e5f6a7b8c9d0", "dhash": "0f1e2d3c4b5a6978", "whash": "ffff0000ffff0000", "colorhash": "0700000"}


def draw(path: Path, fill: str, shape: str = "circle", shift: int = 0, size: tuple[int, int] = (96, 96)) -> None:
    """A small logo-like PNG: a coloured shape on white (or all one colour for a degenerate sample)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    image = Image.new("RGB", size, "white" if shape != "blank" else fill)
    pen = ImageDraw.Draw(image)
    box = (18 + shift, 18 + shift, width - 18 + shift, height - 18 + shift)
    if shape == "circle":
        pen.ellipse(box, fill=fill)
        pen.ellipse((36 + shift, 36 + shift, width - 36 + shift, height - 36 + shift), fill="white")
    elif shape == "square":
        pen.rectangle(box, fill=fill)
    elif shape == "triangle":
        pen.polygon([(width // 2 + shift, 14), (width - 14, height - 18), (14, height - 18)], fill=fill)
    image.save(path, "PNG")


def _sample(
    run: Path,
    key: str,
    index: int,
    verdict: str,
    *,
    fill: str,
    shape: str = "circle",
    shift: int = 0,
    nearest: str | None = None,
    distances: dict[str, int] | None = None,
    votes: int = 0,
    note: str = "",
    failures: list[str] | None = None,
    size: tuple[int, int] = (96, 96),
) -> SampleResult:
    file = f"samples/{key}/s{index}.png"
    draw(run / file, fill, shape, shift, size)
    return SampleResult(
        index=index,
        file=file,
        sha256=f"{index:02d}" * 32,
        width=size[0],
        height=size[1],
        format="PNG",
        mode="RGB",
        hashes=dict(HASHES),
        verdict=verdict,
        nearest_golden=nearest,
        distances=distances or {},
        votes=votes,
        note=note,
        failures=failures or [],
        cached=index == 0,
    )


def _goldens(run: Path, key: str, fills: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    goldens = []
    for number, (fill, shape, shift) in enumerate(fills):
        file = f"goldens/{key}/g-{number:012x}.png"
        draw(run / file, fill, shape, shift)
        goldens.append(
            {
                "file": file,
                "sha256": f"{number:02x}" * 32,
                "width": 96,
                "height": 96,
                "approved_by": "Dana Reviewer",
                "approved_at": "2026-10-20T14:03:00+00:00",
            }
        )
    return goldens


def _case(suite: str, case: str, template: str, status: Any, message: str, **fields: Any) -> CaseResult:
    defaults: dict[str, Any] = {
        "version": 2,
        "deployment": "azure-eastus",
        "model": "gpt-image-1",
        "operation": "generate",
        "prompt": f"A {case.replace('-', ' ')} for the Acme brand, flat vector style, centred on white.",
        "parameters": {"size": "1024x1024", "quality": "medium"},
        "thresholds": dict(THRESHOLDS),
        "policy": dict(POLICY),
        "sensitivity": "ok",
        "requests": 1,
        "cost": 0.042,
        "estimated_cost": 0.04,
        "tokens": 1290,
    }
    return CaseResult(
        suite=suite, case=case, template_id=template, status=status, message=message, **(defaults | fields)
    )


def build_run(run: Path) -> dict[str, Any]:
    """Write the images of a 9-case run under ``run`` and return its results dict."""
    key = "brand/logo-mark"
    logo_goldens = _goldens(run, key, [("#0969da", "circle", 0), ("#0969da", "circle", 3), ("#0a5cc2", "circle", -2)])
    near = logo_goldens[0]["file"]
    logo = _case(
        "brand",
        "logo-mark",
        "brand.logo",
        "failed",
        "only 1 of 5 samples match the goldens; changed since approval: v3 → v4",
        version=4,
        matches=1,
        drawn=5,
        goldens=logo_goldens,
        prompt="A round logo mark for Acme in deep blue, thick ring, flat vector, white background.",
        changed_since_approval={
            "from_version": 3,
            "to_version": 4,
            "old_prompt": "A round logo mark for Acme in bright blue, thin ring, flat vector, white background.",
            "new_prompt": "A round logo mark for Acme in deep blue, thick ring, flat vector, white background.",
        },
        warnings=["palette drift: colorhash distance 9"],
        requests=2,
        samples=[
            _sample(
                run,
                key,
                0,
                "match",
                fill="#0969da",
                shift=2,
                nearest=near,
                distances={"phash": 6, "dhash": 9, "whash": 4, "colorhash": 1},
                votes=3,
            ),
            _sample(
                run,
                key,
                1,
                "miss",
                fill="#cf222e",
                shape="square",
                nearest=logo_goldens[1]["file"],
                distances={"phash": 30, "dhash": 27, "whash": 22, "colorhash": 9},
                votes=0,
                note="palette drift: colorhash distance 9",
            ),
            _sample(
                run,
                key,
                2,
                "miss",
                fill="#1a7f37",
                shape="triangle",
                nearest=near,
                distances={"phash": 24, "dhash": 10, "whash": 17, "colorhash": 4},
                votes=1,
            ),
            _sample(
                run,
                key,
                3,
                "miss",
                fill="#8250df",
                shape="square",
                shift=6,
                nearest=near,
                distances={"phash": 28, "dhash": 31, "whash": 19, "colorhash": 5},
                votes=0,
            ),
            _sample(
                run,
                key,
                4,
                "miss",
                fill="#0969da",
                shape="triangle",
                nearest=logo_goldens[2]["file"],
                distances={"phash": 16, "dhash": 14, "whash": 8, "colorhash": 2},
                votes=1,
            ),
        ],
    )
    key = "brand/mascot"
    mascot_goldens = _goldens(run, key, [("#bc4c00", "triangle", 0), ("#bc4c00", "triangle", 4)])
    mascot = _case(
        "brand",
        "mascot",
        "brand.mascot",
        "failed",
        "looks like a rejected image: extra limbs",
        matches=2,
        drawn=3,
        goldens=mascot_goldens,
        samples=[
            _sample(
                run,
                key,
                0,
                "rejected-dup",
                fill="#6e7781",
                shape="square",
                note="looks like a rejected image: extra limbs",
            ),
            _sample(
                run,
                key,
                1,
                "match",
                fill="#bc4c00",
                shape="triangle",
                nearest=mascot_goldens[0]["file"],
                distances={"phash": 4, "dhash": 6, "whash": 3, "colorhash": 0},
                votes=3,
                failures=["size: expected 1024x1024, got 1024x1536"],
                size=(96, 144),
            ),
            _sample(
                run,
                key,
                2,
                "match",
                fill="#bc4c00",
                shape="triangle",
                shift=2,
                nearest=mascot_goldens[1]["file"],
                distances={"phash": 8, "dhash": 7, "whash": 5, "colorhash": 1},
                votes=3,
            ),
        ],
    )
    key = "brand/app-icon"
    icon_goldens = _goldens(run, key, [("#1a7f37", "square", 0)])
    app_icon = _case(
        "brand",
        "app-icon",
        "brand.icon",
        "passed",
        "3 of 3 samples match the goldens",
        matches=3,
        drawn=3,
        goldens=icon_goldens,
        cache_hits=1,
        requests=0,
        cost=0.0,
        samples=[
            _sample(
                run,
                key,
                0,
                "exact",
                fill="#1a7f37",
                shape="square",
                nearest=icon_goldens[0]["file"],
                distances={"phash": 0, "dhash": 0, "whash": 0, "colorhash": 0},
                votes=3,
            ),
            _sample(
                run,
                key,
                1,
                "duplicate",
                fill="#1a7f37",
                shape="square",
                shift=1,
                nearest=icon_goldens[0]["file"],
                distances={"phash": 2, "dhash": 3, "whash": 2, "colorhash": 0},
                votes=3,
            ),
            _sample(
                run,
                key,
                2,
                "match",
                fill="#1a7f37",
                shape="square",
                shift=4,
                nearest=icon_goldens[0]["file"],
                distances={"phash": 8, "dhash": 11, "whash": 6, "colorhash": 1},
                votes=3,
            ),
        ],
    )
    key = "marketing/hero"
    hero_goldens = _goldens(run, key, [("#9a6700", "circle", 0), ("#0969da", "square", 0), ("#cf222e", "triangle", 0)])
    hero = _case(
        "marketing",
        "hero",
        "marketing.hero",
        "passed",
        "low sensitivity: hashes cannot tell good from bad for this case; checked only for blank output, look-alikes "
        "of rejected images and expectations",
        sensitivity="low",
        thresholds={"phash": 8, "dhash": 8, "whash": 6},
        matches=0,
        drawn=3,
        goldens=hero_goldens,
        samples=[
            _sample(
                run,
                key,
                i,
                "unchecked",
                fill=fill,
                shape=shape,
                nearest=hero_goldens[i]["file"],
                distances={"phash": 30 + i, "dhash": 28, "whash": 20, "colorhash": 3},
                votes=0,
                note="low sensitivity: hashes cannot judge this case",
            )
            for i, (fill, shape) in enumerate([("#8250df", "circle"), ("#bc4c00", "square"), ("#1a7f37", "triangle")])
        ],
    )
    key = "icons/settings-gear"
    gear = _case(
        "icons",
        "settings-gear",
        "icons.gear",
        "new",
        "no goldens yet; review the samples and approve them",
        version=1,
        prompt=HOSTILE_PROMPT,
        matches=0,
        drawn=3,
        sensitivity=None,
        thresholds={},
        samples=[
            _sample(run, key, i, "unchecked", fill="#59636e", shape="circle", shift=2 * i, note="no goldens")
            for i in range(3)
        ],
    )
    key = "icons/blank"
    blank = _case(
        "icons",
        "blank",
        "icons.blank",
        "degenerate",
        "blank or uniform output: uniform image (stddev 0.0)",
        matches=0,
        drawn=3,
        goldens=_goldens(run, key, [("#0969da", "circle", 0)]),
        samples=[
            _sample(run, key, i, "degenerate", fill="#ffffff", shape="blank", note="uniform image (stddev 0.0)")
            for i in range(3)
        ],
    )
    blocked = _case(
        "safety",
        "weapon-refusal",
        "safety.weapon",
        "blocked",
        "blocked by the safety system (moderation_blocked); if this is intended, set expect: {outcome: blocked}",
        requests=1,
        cost=0.0,
    )
    error = _case(
        "edits",
        "remove-bg",
        "edits.remove_bg",
        "error",
        "server error after 4 attempts: HTTP 500 from azure-eastus",
        operation="edit",
        requests=4,
        cost=0.0,
    )
    skipped = _case(
        "icons",
        "dark-mode",
        "icons.dark",
        "skipped",
        "skipped: no deployment supports transparency",
        requests=0,
        cost=0.0,
        tokens=0,
        estimated_cost=0.0,
    )
    result = RunResult(
        run_id=RUN_ID,
        created_at="2026-11-01T09:30:15+00:00",
        deployments=["azure-eastus"],
        full_run=True,
        hash_spec={"id": "ih1"},
        cases=[app_icon, hero, skipped, logo, gear, blocked, error, blank, mascot],
        unused_goldens=["brand/old-wordmark"],
        wall_time_s=74.2,
        promptlib_version="0.1.0",
    )
    return result.to_dict()


EDIT_RUN_ID = "20261202-101500-e1d2"
# What `eval --changed-since` records (see promptlib._changed.ChangedSelection.to_json), for the edit template.
CHANGED_SINCE = {
    "ref": "origin/main",
    "commit": "1e841355b115f00dfeedc0ffee",
    "ran": 3,
    "skipped": 17,
    "skipped_cases": ["brand/logo-mark"],
    "reasons": {"brand/edit-mug": "template changed"},
    "notes": ["suite shop did not load at origin/main: its cases count as new"],
    "templates": {
        "edits/replace-background": {
            "template_id": "edits/replace-background",
            "status": "changed",
            "old_version": 1,
            "new_version": 2,
            "version_change": "v1 → v2",
            "parameters": {"input_fidelity": {"from": "low", "to": "high"}},
            "variables": {"added": ["surface"]},
            "partials": ["brand/palette.j2"],
            "errors": [],
            "examples": [
                {
                    "name": "mug-marble",
                    "status": "changed",
                    "old_prompt": "a mug",
                    "new_prompt": "a mug on marble",
                    "diff": "--- a/edits/replace-background:mug-marble (origin/main)\n"
                    "+++ b/edits/replace-background:mug-marble (working tree)\n@@ -1 +1 @@\n"
                    "-Photo edit: keep the mug.\n+Photo edit: keep the mug, put it on marble.",
                    "error": None,
                }
            ],
        }
    },
}
SUITE_ERROR = {
    "suite": "shop",
    "path": "evals/shop.yaml",
    "line": 12,
    "message": "case id 'lamp' is also claimed by `from_examples: shop/lamp` (line 4); rename one of them",
}
RUN_WARNING = "the cache could not be written (.promptlib/cache is read-only): the next run sends these requests again"


def _edit_inputs(run: Path, key: str) -> list[dict[str, Any]]:
    """A product photo and its mask: opaque where the product is kept, transparent where the model repaints."""
    photo, mask = f"inputs/{key}/photo.png", f"inputs/{key}/mask.png"
    draw(run / photo, "#1f3a68", "square")
    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((18, 18, 78, 78), fill=(0, 0, 0, 255))
    image.save(run / mask, "PNG")
    return [
        {"name": "photo", "role": "image", "file": photo, "width": 96, "height": 96},
        {"name": "mask", "role": "mask", "file": mask, "width": 96, "height": 96},
    ]


def _text(found: bool) -> dict[str, Any]:
    """What OCR read in a sample that should say "20% off" (boxes in the sample's 96x96 pixels)."""
    read = "20% off" if found else "2O% of"
    box = [[10.0, 8.0], [70.0, 9.0], [70.0, 24.0], [10.0, 23.0]]
    message = f"text '20% off' or '20 % off' {'found as' if found else 'not found; read'} '{read}'"
    return {
        "engine": "rapidocr 3.10.0 PP-OCRv6 small (no cls)",
        "lines": [
            {"text": read, "box": box, "score": 0.97},
            {"text": "Acme lamps", "box": [[8, 70], [88, 70], [88, 86], [8, 86]], "score": 0.91},
        ],
        "checks": [
            {"expected": ["20% off", "20 % off"], "min_similarity": 0.95, "found": found, "best": "20% off",
             "similarity": 1.0 if found else 0.71, "read": read, "boxes": [box], "message": message}
        ],
    }  # fmt: skip


def build_edit_run(run: Path) -> dict[str, Any]:
    """Write the images of a 3-case emulator run with edits and return its results dict (with newer fields)."""
    key = "brand/edit-mug"
    mug_goldens = _goldens(run, key, [("#1f3a68", "square", 0), ("#1f3a68", "square", 2)])
    kept = [0.998, 0.9995, 1.0]
    mug = _case(
        "brand",
        "edit-mug",
        "edits/replace-background",
        "passed",
        "3 of 3 samples match the goldens",
        operation="edit",
        deployment="local",
        model="gpt-image-1.5",
        matches=3,
        drawn=3,
        goldens=mug_goldens,
        cost=0.4067,
        estimated_cost=0.4049,
        samples=[
            _sample(
                run,
                key,
                i,
                verdict,
                fill="#1f3a68",
                shape="square",
                shift=i,
                nearest=mug_goldens[i % 2]["file"],
                distances={"phash": 2 * i, "dhash": 3 * i, "whash": 2 * i, "colorhash": i},
                votes=3,
            )
            for i, verdict in enumerate(["identical", "near-identical", "match"])
        ],
    )
    lamp_goldens = _goldens(run, "brand/edit-lamp", [("#bc4c00", "circle", 0)])
    lamp = _case(
        "brand",
        "edit-lamp",
        "edits/replace-background",
        "failed",
        "only 1 of 3 samples match the goldens",
        operation="edit",
        deployment="local",
        model="gpt-image-1.5",
        matches=1,
        drawn=3,
        goldens=lamp_goldens,
        cost=0.4067,
        estimated_cost=0.4049,
        samples=[
            _sample(
                run,
                "brand/edit-lamp",
                0,
                "match",
                fill="#bc4c00",
                nearest=lamp_goldens[0]["file"],
                distances={"phash": 6, "dhash": 5, "whash": 4, "colorhash": 1},
                votes=3,
            ),
            _sample(
                run,
                "brand/edit-lamp",
                1,
                "miss",
                fill="#8250df",
                shape="triangle",
                nearest=lamp_goldens[0]["file"],
                distances={"phash": 26, "dhash": 22, "whash": 18, "colorhash": 7},
                votes=0,
                failures=["8.8% of the pixels outside the mask changed"],
            ),
            _sample(run, "brand/edit-lamp", 2, "blank", fill="#ffffff", shape="blank", note="uniform image"),
        ],
    )
    mood_goldens = _goldens(run, "moodboard/autumn", [("#9a6700", "circle", 0), ("#0969da", "triangle", 0)])
    mood = _case(
        "moodboard",
        "autumn",
        "moodboard.autumn",
        "passed",
        "low sensitivity: hashes cannot tell good from bad",
        deployment="local",
        model="gpt-image-1.5",
        sensitivity="low",
        matches=0,
        drawn=2,
        goldens=mood_goldens,
        samples=[
            _sample(
                run,
                "moodboard/autumn",
                i,
                "unchecked",
                fill=fill,
                shape="triangle",
                nearest=mood_goldens[i]["file"],
                distances={"phash": 30, "dhash": 27, "whash": 21},
                votes=0,
            )
            for i, fill in enumerate(["#cf222e", "#1a7f37"])
        ],
    )
    result = RunResult(
        run_id=EDIT_RUN_ID,
        created_at="2026-12-02T10:15:00+00:00",
        deployments=["local"],
        full_run=True,
        hash_spec={"id": "ih1"},
        cases=[mug, lamp, mood],
        warnings=[RUN_WARNING],
        suite_errors=[SUITE_ERROR],
        wall_time_s=3.4,
        promptlib_version="0.1.0",
        changed_since=CHANGED_SINCE,
    )
    data = result.to_dict() | {"emulated": {"local": "gpt-image-1.5"}}
    for case in data["cases"]:
        if case["operation"] == "edit":
            case["inputs"] = _edit_inputs(run, case["key"])
            for sample, fraction in zip(
                case["samples"], kept if case["status"] == "passed" else [0.999, 0.912], strict=False
            ):
                sample["outside_mask"] = {"unchanged": fraction, "tolerance": 8}
    lamp_data = next(case for case in data["cases"] if case["case"] == "edit-lamp")
    miss = "text '20% off' or '20 % off' not found; read '2O% of' (sample #1 of 2)"
    lamp_data["text"] = {"expected": [["20% off", "20 % off"]], "showing": 1, "needed": 2, "misses": [miss]}
    for sample, found in zip(lamp_data["samples"], (True, False), strict=False):
        sample["text"] = _text(found)
    return data


def write_report(run: Path, build: Callable[[Path], dict[str, Any]] = build_run) -> Path:
    """A demo run's images plus report.html, as the eval runner would leave them."""
    path = run / "report.html"
    path.write_text(render_report_html(build(run)), encoding="utf-8")
    return path


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-run")
    print(write_report(root / "statuses"))
    print(write_report(root / "edits", build_edit_run))
