"""A pull request can neither widen the regression gate nor exhaust the machine that runs it.

Thresholds are calibrated from the goldens, so `check` and `eval` recompute them instead of trusting case.json;
every file the project supplies is read inside the project, as a regular file, within a size cap; images are
refused above a pixel cap before they are decoded; YAML and JSON bombs are one line, not minutes and gigabytes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from e2e.helpers import by_key, golden_dir, latest_results, latest_run, promptlib, write

from promptlib import BundleError, Library
from promptlib.evals._cache import write_failure

PADLOCK = "brand/icon-padlock"


def manifest_path(root: Path, key: str = PADLOCK) -> Path:
    return golden_dir(root, key) / "case.json"


def edit_manifest(root: Path, change: object, key: str = PADLOCK) -> None:
    data = json.loads(manifest_path(root, key).read_text())
    change(data)  # type: ignore[operator]
    manifest_path(root, key).write_text(json.dumps(data, indent=2))


def test_widened_thresholds_are_caught_by_check_and_eval(pr: Path) -> None:
    """Thresholds of 64 would let any image pass 3/3; both the PR's check and its eval see through it."""
    write(
        pr,
        "prompts/icons/feature-icon.yaml",
        (pr / "prompts/icons/feature-icon.yaml").read_text().replace("version: ", "version: 1", 1),
    )  # a "changed" template whose look the gate should judge
    edit_manifest(pr, lambda d: d["calibration"]["thresholds"].update(phash=64, dhash=64, whash=64))

    check, run = promptlib(pr, "check"), promptlib(pr, "eval", PADLOCK)

    expected = "case.json's calibration is not what its goldens give (thresholds phash 64, dhash 64, whash 64 recorded"
    assert check.exit_code == 1 and expected in check.output
    assert run.exit_code == 1
    case = by_key(latest_results(pr))[PADLOCK]
    assert case["status"] == "error" and expected in case["message"]


def test_forged_golden_hashes_are_caught(pr: Path) -> None:
    """Spreading the recorded hashes would widen calibration "honestly"; the hashes must be the images'."""

    def forge(data: dict) -> None:
        data["goldens"][0]["hashes"]["phash"] = "f" * 16

    edit_manifest(pr, forge)
    check = promptlib(pr, "check")
    assert check.exit_code == 1
    assert "case.json records hashes that are not this image's; restore case.json from git" in check.output


def test_thresholds_never_reach_the_unrelated_images_distance() -> None:
    from promptlib.goldens._compare import CAP, calibrate

    far = [{"phash": 0, "dhash": 0, "whash": 0}, {"phash": (1 << 64) - 1, "dhash": (1 << 64) - 1, "whash": 0}]
    assert all(calibrate(far, []).thresholds[alg] <= CAP[alg] < 32 for alg in CAP)


def test_a_golden_linked_to_dev_zero_is_refused_at_once(pr: Path) -> None:
    data = json.loads(manifest_path(pr).read_text())
    golden = golden_dir(pr, PADLOCK) / data["goldens"][0]["file"]
    golden.unlink()
    golden.symlink_to("/dev/zero")

    started = time.perf_counter()
    check, run = promptlib(pr, "check"), promptlib(pr, "eval", PADLOCK)

    assert time.perf_counter() - started < 60  # it used to read until memory ran out
    line = f"evals/goldens/{PADLOCK}/{golden.name}: is a symbolic link; golden files must be real files"
    assert check.exit_code == 1 and line in check.output
    assert run.exit_code == 1 and by_key(latest_results(pr))[PADLOCK]["status"] == "error"


def test_an_oversized_golden_is_refused_by_size(pr: Path) -> None:
    data = json.loads(manifest_path(pr).read_text())
    golden = golden_dir(pr, PADLOCK) / data["goldens"][0]["file"]
    with golden.open("r+b") as handle:
        handle.truncate(51 * 1024 * 1024)  # sparse: costs no disk
    check = promptlib(pr, "check")
    assert check.exit_code == 1
    assert "the file is 53,477,376 bytes, over the 52,428,800-byte limit for this kind of file" in check.output


def test_a_suite_linked_from_outside_the_project_is_not_read(pr: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secrets.yaml"
    outside.write_text("deploy_key: ssh-ed25519 AAAA-very-secret\n")
    (pr / "evals/leak.yaml").symlink_to(outside)

    check, run = promptlib(pr, "check"), promptlib(pr, "eval", "leak")

    for result in (check, run):
        assert result.exit_code in (1, 2)
        assert "evals/leak.yaml" in result.output
        assert "the suite is a link to a file outside the project" in result.output
        assert "very-secret" not in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_suite_that_is_a_pipe_does_not_hang_check(pr: Path) -> None:
    os.mkfifo(pr / "evals/pipe.yaml")
    check = promptlib(pr, "check")
    assert check.exit_code == 1
    assert "evals/pipe.yaml: the suite is not a regular file" in check.output


def test_a_merge_key_bomb_is_refused_quickly(pr: Path) -> None:
    lines = ["a0: &a0 {k0: 0}"] + [f"a{i}: &a{i}\n  <<: [*a{i - 1}, *a{i - 1}]\n  k{i}: {i}" for i in range(1, 40)]
    write(pr, "evals/bomb.yaml", "\n".join(lines) + "\ncases: []\n")

    started = time.perf_counter()
    check = promptlib(pr, "check")

    assert time.perf_counter() - started < 30
    assert "evals/bomb.yaml: the document expands to more than 100000 values (alias bomb?)" in check.output


def test_a_deeply_nested_bundle_is_a_bundle_error(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(BundleError, match="not a promptlib bundle \\(the JSON nests too deeply"):
        Library.from_bundle(bundle)


def test_a_cache_that_cannot_be_written_loses_no_run(pr: Path) -> None:
    """ENOTDIR here (a file where the cache folder goes); ENOSPC and EROFS take the same path."""
    cache = pr / ".promptlib/cache"
    shutil.rmtree(cache)
    cache.write_text("not a directory")

    run = promptlib(pr, "eval", PADLOCK, "--refresh")

    assert run.exit_code in (0, 1), run.output
    assert "warning: the result cache could not be written (ENOTDIR: Not a directory" in run.output
    results = latest_results(pr)
    assert by_key(results)[PADLOCK]["status"] in ("passed", "failed")
    assert results["warnings"] and "ENOTDIR" in results["warnings"][0]
    assert "ENOTDIR" in (latest_run(pr) / "summary.md").read_text()
    assert (latest_run(pr) / "report.html").is_file()


@pytest.mark.parametrize(("code", "name"), [(errno.ENOSPC, "ENOSPC"), (errno.EROFS, "EROFS")])
def test_a_cache_write_failure_names_its_errno(code: int, name: str) -> None:
    message = write_failure(OSError(code, os.strerror(code), "/ci/.promptlib/cache/ab/abcd/0.png"))
    assert message.startswith(f"the result cache could not be written ({name}: {os.strerror(code)}: /ci/")
    assert "the next run pays for these images again" in message
