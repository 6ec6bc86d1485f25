"""Approving from a downloaded run writes only the goldens of the project's own cases, and only real images.

A run directory comes from CI, which ran the PR's code: its results.json is someone else's JSON. These
tests doctor a run as its author could and check that `approve` and `reject` refuse with one line and exit 2,
leaving evals/goldens/ (and everything outside it) exactly as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from e2e.helpers import golden_dir, latest_run, promptlib
from PIL import Image

PADLOCK, CRANE = "brand/icon-padlock", "brand/logo-crane-symbol"


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the project and its parent folder (outside writes would show here), by content."""
    base = root.parent
    return {
        p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in base.rglob("*")
        if p.is_file() and ".promptlib" not in p.parts and ".git" not in p.parts
    }


def downloaded_run(pr: Path, tmp_path: Path) -> Path:
    """The padlock case run on the PR and downloaded as CI's artifact."""
    assert promptlib(pr, "eval", PADLOCK, "--refresh").exit_code in (0, 1)
    download = tmp_path / "artifact"
    shutil.copytree(latest_run(pr), download)
    return download


def doctor(run: Path, change: object) -> None:
    path = run / "results.json"
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def refused(pr: Path, *args: str, code: int = 2) -> str:
    """Exit 2 for a doctored run (usage), 1 for a tampered golden folder (a problem in the project)."""
    before = snapshot(pr)
    result = promptlib(pr, *args)
    assert result.exit_code == code, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert snapshot(pr) == before
    return result.output


def huge_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height (the pixels are never needed: the cap reads the header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


@pytest.mark.parametrize("suite", ["../../../outside", "/tmp/absolute", "brand/../../escape"])
def test_a_suite_path_in_results_cannot_aim_the_write(pr: Path, tmp_path: Path, suite: str) -> None:
    run = downloaded_run(pr, tmp_path)

    def aim(data: dict) -> None:
        data["cases"][0].update(suite=suite, case="x", key=f"{suite}/x")

    doctor(run, aim)
    message = refused(pr, "approve", str(run), "--case", f"{suite}/x")
    assert "is not a case of this project's suites" in message


def test_one_case_key_cannot_overwrite_another_case(pr: Path, tmp_path: Path) -> None:
    """The entry keyed as the padlock claims to be the crane: the crane's goldens must survive."""
    run = downloaded_run(pr, tmp_path)
    doctor(run, lambda data: data["cases"][0].update(case="logo-crane-symbol"))

    message = refused(pr, "approve", str(run), "--case", PADLOCK)

    assert "is inconsistent: 'brand/icon-padlock' claims suite 'brand' and case 'logo-crane-symbol'" in message


def test_a_symlinked_case_folder_is_not_written_through(pr: Path, tmp_path: Path) -> None:
    run = downloaded_run(pr, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(golden_dir(pr, PADLOCK), elsewhere)
    golden_dir(pr, PADLOCK).symlink_to(elsewhere, target_is_directory=True)
    listing = sorted(p.name for p in elsewhere.iterdir())

    message = refused(pr, "approve", str(run), "--case", PADLOCK, code=1)

    assert "icon-padlock: is a symbolic link; golden folders must be real directories" in message
    assert sorted(p.name for p in elsewhere.iterdir()) == listing
    assert promptlib(pr, "check").exit_code == 1


def test_a_planted_huge_image_is_refused_before_decoding(pr: Path, tmp_path: Path) -> None:
    run = downloaded_run(pr, tmp_path)
    sample = run / json.loads((run / "results.json").read_text())["cases"][0]["samples"][0]["file"]
    sample.write_bytes(huge_png(13000, 13000))

    message = refused(pr, "approve", str(run), "--case", PADLOCK, "--sample", "0")

    assert "is 13000x13000 (169,000,000 pixels), over the 16,777,216-pixel cap" in message


def test_a_sample_of_the_wrong_size_cannot_become_a_golden(pr: Path, tmp_path: Path) -> None:
    run = downloaded_run(pr, tmp_path)
    sample = run / json.loads((run / "results.json").read_text())["cases"][0]["samples"][0]["file"]
    buffer = io.BytesIO()
    Image.effect_noise((512, 512), 64).convert("RGB").save(buffer, format="PNG")
    sample.write_bytes(buffer.getvalue())

    message = refused(pr, "approve", str(run), "--case", PADLOCK, "--sample", "0")

    assert "is 512x512 but the case expects 1024x1024; it cannot become a golden" in message


def test_a_sample_that_links_to_a_local_file_is_refused(pr: Path, tmp_path: Path) -> None:
    run = downloaded_run(pr, tmp_path)
    sample = run / json.loads((run / "results.json").read_text())["cases"][0]["samples"][0]["file"]
    secret = tmp_path / "id_rsa.png"
    shutil.copy(sample, secret)
    sample.unlink()
    sample.symlink_to(secret)

    message = refused(pr, "approve", str(run), "--case", PADLOCK, "--sample", "0")

    assert "is a symbolic link; it cannot become a golden" in message


def test_reject_follows_the_same_rules(pr: Path, tmp_path: Path) -> None:
    run = downloaded_run(pr, tmp_path)
    doctor(run, lambda data: data["cases"][0].update(suite="../../x", key="../../x/icon-padlock"))

    message = refused(pr, "reject", str(run), "--case", "../../x/icon-padlock", "--sample", "0", "--reason", "r")

    assert "is not a case of this project's suites" in message


def test_deep_json_in_a_downloaded_run_is_one_line(pr: Path, tmp_path: Path) -> None:
    run = downloaded_run(pr, tmp_path)
    (run / "results.json").write_text("[" * 200_000 + "]" * 200_000)

    message = refused(pr, "approve", str(run), "--case", PADLOCK)

    assert "results.json nests too deeply to be a promptlib file" in message
