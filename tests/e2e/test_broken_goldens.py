"""Broken golden stores: each problem is one clear line naming the file, exit 1, and never a traceback.

A golden image that is missing, corrupt or of the wrong size, or a case.json someone hand-edited into bad
JSON, must not crash the run or be compared as if it were fine: the case becomes `error` with a line that
says which file and what to do, and the other cases still run.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from .helpers import (
    bump_version,
    by_key,
    edit,
    golden_dir,
    latest_results,
    lock,
    manifest,
    promptlib,
    run_real,
    single_line_error,
)

PADLOCK = "brand/icon-padlock"
OTHER = "brand/logo-crane-symbol"
GOLDENS = Path("evals/goldens/brand/icon-padlock")


def first_golden(root: Path) -> Path:
    return golden_dir(root, PADLOCK) / manifest(root, PADLOCK)["goldens"][0]["file"]


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), (30, 60, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def truncate(root: Path) -> str:
    path = first_golden(root)
    path.write_bytes(path.read_bytes()[:4096])
    return f"{GOLDENS / path.name}: golden image does not match its sha256 in case.json (corrupt?); restore it from git"


def delete(root: Path) -> str:
    path = first_golden(root)
    path.unlink()
    return f"{GOLDENS / path.name}: golden image is missing; restore it from git or re-approve the case"


def bad_json(root: Path) -> str:
    path = golden_dir(root, PADLOCK) / "case.json"
    path.write_text(path.read_text().replace('"case": "icon-padlock",', '"case": "icon-padlock"'))
    return f"{GOLDENS / 'case.json'}:"


def swapped_image(root: Path) -> str:
    """Someone replaced a golden with another image and updated its sha256, but not its size."""
    path = first_golden(root)
    data = small_png()
    path.write_bytes(data)
    manifest_path = golden_dir(root, PADLOCK) / "case.json"
    content = json.loads(manifest_path.read_text())
    content["goldens"][0]["sha256"] = hashlib.sha256(data).hexdigest()
    manifest_path.write_text(json.dumps(content, indent=2, sort_keys=True))
    return f"{GOLDENS / path.name}: golden image is 512x512 but case.json records 1024x1024"


def resized_case(root: Path) -> str:
    """The PR changed the icon size; the approved goldens are still square."""
    edit(root, "prompts/icons/feature-icon.yaml", "  size: 1024x1024\n", "  size: 1536x1024\n")
    bump_version(root, "icons/feature-icon")
    lock(root)
    edit(
        root,
        "evals/brand.yaml",
        "variables: {subject: a closed padlock}\n    expect: {size: 1024x1024",
        "variables: {subject: a closed padlock}\n    expect: {size: 1536x1024",
    )
    return f"{GOLDENS / first_golden(root).name}: golden is 1024x1024 but the case expects 1536x1024; re-approve"


def no_goldens(root: Path) -> str:
    """A hand edit emptied the golden list: with nothing to compare, every sample would be "unchecked"."""
    path = golden_dir(root, PADLOCK) / "case.json"
    content = json.loads(path.read_text())
    content["goldens"] = []
    path.write_text(json.dumps(content, indent=2, sort_keys=True))
    return f"{GOLDENS / 'case.json'}: case.json lists no goldens, so nothing can match; re-approve the case"


def no_thresholds(root: Path) -> str:
    path = golden_dir(root, PADLOCK) / "case.json"
    content = json.loads(path.read_text())
    del content["calibration"]["thresholds"]
    path.write_text(json.dumps(content, indent=2, sort_keys=True))
    return f"{GOLDENS / 'case.json'}: the manifest has an unusable calibration or hash (missing 'thresholds')"


def bad_hash(root: Path) -> str:
    path = golden_dir(root, PADLOCK) / "case.json"
    content = json.loads(path.read_text())
    content["goldens"][1]["hashes"]["phash"] = "not-hex"
    path.write_text(json.dumps(content, indent=2, sort_keys=True))
    return f"{GOLDENS / 'case.json'}: the manifest has an unusable calibration or hash (invalid literal"


BREAKAGES = {
    "corrupt golden": truncate,
    "missing golden": delete,
    "bad JSON in case.json": bad_json,
    "golden swapped for another size": swapped_image,
    "case now asks for another size": resized_case,
    "no goldens listed": no_goldens,
    "calibration without thresholds": no_thresholds,
    "hash that is not hex": bad_hash,
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_golden_is_an_error_line_naming_the_file(
    approved: Path, breakage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = BREAKAGES[breakage](approved)
    monkeypatch.chdir(approved)  # paths in messages are shown relative to where the command runs
    result = promptlib(approved, "eval", PADLOCK, OTHER)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if PADLOCK in line]
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith(f"error      {PADLOCK}: {expected}"), lines[0]
    cases = by_key(latest_results(approved))
    assert cases[PADLOCK]["status"] == "error"
    assert cases[OTHER]["status"] == "passed"  # the rest of the run is unaffected


def test_the_real_command_reports_a_bad_manifest_without_a_traceback(approved: Path) -> None:
    expected = bad_json(approved)
    result = run_real(approved, "eval", PADLOCK)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    (line,) = [line for line in result.stdout.splitlines() if PADLOCK in line]
    assert line.startswith(f"error      {PADLOCK}: {expected}")
    assert "not valid JSON" in line and "restore it from git" in line


@pytest.mark.parametrize("command", [("goldens", "list"), ("approve", "--case", OTHER, "--by", "x")])
def test_commands_that_read_every_manifest_stop_with_one_line(
    approved: Path, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    if command[0] == "approve":
        promptlib(approved, "eval", OTHER)
    expected = bad_json(approved)
    monkeypatch.chdir(approved)
    result = promptlib(approved, *command)
    assert result.exit_code == 1
    line = single_line_error(result.output)
    assert line.startswith(f"error: {expected}") and "not valid JSON" in line


@pytest.mark.parametrize("breakage", [b for b in BREAKAGES if b != "bad JSON in case.json"])
def test_a_broken_golden_set_can_be_re_approved_from_the_failing_run(approved: Path, breakage: str) -> None:
    """The messages say "re-approve the case": the failing run still drew the samples to approve from."""
    BREAKAGES[breakage](approved)
    assert promptlib(approved, "eval", PADLOCK).exit_code == 1
    case = by_key(latest_results(approved))[PADLOCK]
    assert case["status"] == "error" and len(case["samples"]) == 3
    approved_again = promptlib(approved, "approve", "--case", PADLOCK, "--by", "x")
    assert approved_again.exit_code == 0, approved_again.output
    assert promptlib(approved, "eval", PADLOCK).exit_code == 0


def test_a_hand_edited_manifest_missing_a_field_names_it(approved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = golden_dir(approved, PADLOCK) / "case.json"
    content = json.loads(path.read_text())
    del content["calibration"]
    path.write_text(json.dumps(content))
    monkeypatch.chdir(approved)
    result = promptlib(approved, "eval", PADLOCK)
    assert result.exit_code == 1
    (line,) = [line for line in result.stdout.splitlines() if PADLOCK in line]
    assert line == (
        f"error      {PADLOCK}: {GOLDENS / 'case.json'}: the manifest is invalid at calibration: "
        "Field required; restore it from git"
    )
