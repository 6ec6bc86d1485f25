"""The acceptance loop: approve, change a prompt, see the regression, approve the change, reflow without harm.

Runs the real CLI on a copy of the repository's own example project (promptlib.yaml, prompts/, evals/,
assets/) with its emulator deployment seeded, restricted to the brand suite (logos, icons and edits: the
cases whose outputs cluster, where a hash check is a real regression signal).
"""

from __future__ import annotations

from pathlib import Path

from .helpers import (
    BRAND,
    ICONS,
    LOGOS,
    bump_version,
    copy_example,
    edit,
    latest_results,
    lock,
    manifest,
    promptlib,
    reset_emulators,
    run_real,
    statuses,
)

ALL = [f"brand/{name}" for name in BRAND]
ICON = "prompts/icons/feature-icon.yaml"
LOGO = "prompts/brand/logo-mark.yaml"
SUBJECT_LINE = "A single app feature icon of {{ subject }}, in a strict flat house style."
NEW_SUBJECT_LINE = "A glossy product photograph of {{ subject }} resting on a wooden desk, in warm sunset light."
STYLE_LINE = (
    "  Style: geometric and minimal, built from a few simple shapes with one consistent stroke weight and "
    "balanced negative space; it must stay recognisable at 16 px favicon size and look deliberate on a "
    "billboard.\n"
)
REFLOWED_STYLE = (
    "  Style:  geometric and minimal, built from a few simple shapes\n"
    "  with one consistent stroke weight and balanced negative space;   \n"
    "  it must stay recognisable at 16 px favicon size and look deliberate on a billboard.\n"
)


def eval_brand(root: Path, *options: str) -> tuple[int, dict[str, str], str]:
    result = promptlib(root, "eval", *options, "brand")
    return result.exit_code, statuses(latest_results(root)), result.stdout


def test_approve_change_regress_reapprove_reflow(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    reset_emulators()

    # 1. A new suite has nothing to compare with: every case is new, and the run fails until reviewed.
    code, found, _ = eval_brand(root)
    assert (code, set(found.values())) == (1, {"new"})
    approved = promptlib(root, "approve", "--all-new", "--by", "reviewer")
    assert approved.exit_code == 0, approved.output
    assert approved.stdout.count("approved brand/") == 6
    code, found, _ = eval_brand(root)
    assert (code, found) == (0, dict.fromkeys(ALL, "passed"))

    # 2. Rewrite the icon template's subject: both icon cases regress, everything else still passes.
    edit(root, ICON, SUBJECT_LINE, NEW_SUBJECT_LINE)
    assert bump_version(root, "icons/feature-icon") == 2
    lock(root)
    code, found, out = eval_brand(root)
    assert code == 1
    assert found == {key: "failed" if key in ICONS else "passed" for key in ALL}
    for key in ICONS:
        assert f"failed     {key}: only 0 of 3 samples match the goldens; changed since approval: v1 → v2" in out
    assert "4 passed, 2 failed" in out

    # 3. The change was intended: approve the new look for those cases, and the run is green again.
    result = promptlib(root, "approve", "--case", ICONS[0], "--case", ICONS[1], "--by", "reviewer")
    assert result.exit_code == 0, result.output
    assert all(manifest(root, key)["template"]["version"] == 2 for key in ICONS)
    code, found, out = eval_brand(root)
    assert (code, found) == (0, dict.fromkeys(ALL, "passed"))
    assert "changed since approval" not in out

    # 4. Reflowing a template's whitespace (version bump and lock, as every edit needs) keeps everything passing,
    #    checked by the real command as CI runs it.
    edit(root, LOGO, STYLE_LINE, REFLOWED_STYLE)
    assert bump_version(root, "brand/logo-mark") == 2
    lock(root)
    real = run_real(root, "eval", "brand")
    assert real.returncode == 0, real.stdout + real.stderr
    assert "Traceback" not in real.stderr
    results = latest_results(root)
    assert statuses(results) == dict.fromkeys(ALL, "passed")
    for case in results["cases"]:
        changed = case["changed_since_approval"]
        if case["key"] in LOGOS:
            assert (changed["from_version"], changed["to_version"]) == (1, 2)
            assert case["requests"] == 1  # the prompt's line breaks moved: drawn afresh, not read from the cache
            assert {s["verdict"] for s in case["samples"]} <= {"near-identical", "match"}
            assert f"passed     {case['key']}: 3 of 3 samples match the goldens; changed since approval: v1 → v2" in (
                real.stdout
            )
        else:
            assert changed is None
