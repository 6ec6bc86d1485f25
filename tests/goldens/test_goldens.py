"""The golden store: what `approve` and `reject` leave in evals/goldens/<suite>/<case>/, and how it breaks.

The manifest is reviewed as a PR diff, so it must be plain, sorted and complete; images are content-addressed;
approving twice changes nothing; rejected images become known-bad anchors; and two approvals racing on one case
(threads or processes) never leave a manifest that is half-written or lists a file that is not there.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from promptlib.core import _atomic
from promptlib.exceptions import GoldenError
from promptlib.goldens._compare import compare_sample
from promptlib.goldens._hashing import HASH_SPEC_ID, fingerprint, spec
from promptlib.goldens._manifest import MANIFEST, SCHEMA, ApprovalSource, Candidate, TemplateRef
from promptlib.goldens._store import GoldenStore

SOURCE = ApprovalSource(
    template=TemplateRef(id="icons/feature-icon", version=2, content_hash="c" * 64),
    operation="generate",
    prompt="A single app feature icon of a closed padlock, in a strict flat house style.",
    parameters={"size": "1024x1024", "quality": "medium", "output_format": "png", "n": 1},
    request_hash="r" * 64,
    deployment="local",
    model="gpt-image-1.5",
)


def picture(seed: int, size: tuple[int, int] = (384, 256), jitter: int = 0) -> bytes:
    """A non-degenerate picture; the same seed with a small ``jitter`` gives a look-alike."""
    r = random.Random(seed)
    image = Image.new("RGB", size, tuple(r.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    j = random.Random(seed * 1000 + jitter)
    for _ in range(6):
        x, y = r.randrange(size[0] - 80), r.randrange(size[1] - 80)
        dx, dy = (j.randrange(-jitter, jitter + 1) for _ in range(2)) if jitter else (0, 0)
        w, h = r.randrange(30, 80), r.randrange(30, 80)
        draw.rectangle((x + dx, y + dy, x + dx + w, y + dy + h), fill=tuple(r.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> GoldenStore:
    return GoldenStore(tmp_path / "evals" / "goldens", tmp_path / ".promptlib" / "locks")


def approve(
    store: GoldenStore,
    *datas: bytes,
    replace: bool = True,
    by: str = "alice",
    run: str = "run-1",
    case: str = "icon-padlock",
) -> object:
    candidates = [Candidate(data=d, source_run=run, sample=i) for i, d in enumerate(datas)]
    return store.approve("brand", case, SOURCE, candidates, approved_by=by, replace=replace)


def files(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def read_manifest(store: GoldenStore, case: str = "icon-padlock") -> dict:
    return json.loads((store.case_dir("brand", case) / MANIFEST).read_text(encoding="utf-8"))


def test_approve_writes_content_addressed_images_and_a_complete_sorted_manifest(store: GoldenStore) -> None:
    images = [picture(1), picture(1, jitter=2), picture(1, jitter=4)]
    approve(store, *images)
    directory = store.case_dir("brand", "icon-padlock")
    shas = [fingerprint(d).sha256 for d in images]
    assert files(directory) == {MANIFEST} | {f"g-{sha[:12]}.png" for sha in shas}
    for data, sha in zip(images, shas, strict=True):
        assert (directory / f"g-{sha[:12]}.png").read_bytes() == data  # byte-exact as returned

    text = (directory / MANIFEST).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"  # sorted, stable, reviewable
    assert data["schema"] == SCHEMA
    assert (data["suite"], data["case"]) == ("brand", "icon-padlock")
    assert data["template"] == {"id": "icons/feature-icon", "version": 2, "content_hash": "c" * 64}
    assert data["prompt"] == SOURCE.prompt and data["parameters"] == SOURCE.parameters
    assert data["operation"] == "generate"
    assert (data["request_hash"], data["deployment"], data["model"]) == ("r" * 64, "local", "gpt-image-1.5")
    assert data["hash_spec"]["id"] == HASH_SPEC_ID
    assert data["hash_spec"]["libs"] == spec()["libs"] and data["hash_spec"]["libs"]["imagehash"]
    assert set(data["calibration"]) >= {"thresholds", "sensitivity", "loo_nn_max", "cross_case_p5"}
    assert data["calibration"]["goldens"] == 3
    assert data["rejected"] == []
    for index, (golden, sha, image) in enumerate(zip(data["goldens"], shas, images, strict=True)):
        fp = fingerprint(image)
        assert golden["sha256"] == sha and golden["file"] == f"g-{sha[:12]}.png"
        assert (golden["width"], golden["height"], golden["mode"], golden["format"]) == (384, 256, "RGB", "png")
        assert golden["hashes"] == fp.hex() and len(golden["hashes"]["colorhash"]) == 11
        assert (golden["approved_by"], golden["source_run"], golden["sample"]) == ("alice", "run-1", index)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", golden["approved_at"])


def test_load_reads_back_what_approve_wrote(store: GoldenStore) -> None:
    approve(store, picture(1), picture(1, jitter=3))
    manifest = store.load("brand", "icon-padlock")
    assert manifest is not None
    assert [sha for sha, _ in manifest.golden_hashes()] == [
        fingerprint(picture(1)).sha256,
        fingerprint(picture(1, jitter=3)).sha256,
    ]
    assert manifest.calibration_value().thresholds == manifest.calibration["thresholds"]
    assert store.load("brand", "never-approved") is None
    assert list(store.cases()) == [("brand", "icon-padlock")]


def test_approve_replaces_the_set_by_default_and_add_extends_it(store: GoldenStore) -> None:
    approve(store, picture(1), picture(2))
    approve(store, picture(3))
    directory = store.case_dir("brand", "icon-padlock")
    assert [g["sha256"] for g in read_manifest(store)["goldens"]] == [fingerprint(picture(3)).sha256]
    assert files(directory) == {MANIFEST, f"g-{fingerprint(picture(3)).sha256[:12]}.png"}

    approve(store, picture(4), picture(3), replace=False, by="bob", run="run-2")
    data = read_manifest(store)
    assert [g["sha256"] for g in data["goldens"]] == [fingerprint(picture(3)).sha256, fingerprint(picture(4)).sha256]
    assert [g["approved_by"] for g in data["goldens"]] == ["alice", "bob"]  # provenance of the kept one stays
    assert data["calibration"]["goldens"] == 2
    assert len(files(directory)) == 3


def test_approving_the_same_images_twice_is_idempotent(store: GoldenStore) -> None:
    images = [picture(5), picture(5, jitter=3)]
    approve(store, *images)
    first = read_manifest(store)
    before = {p.name: p.read_bytes() for p in store.case_dir("brand", "icon-padlock").iterdir()}
    approve(store, *images)
    approve(store, *images, replace=False)
    second = read_manifest(store)
    after = {p.name: p.read_bytes() for p in store.case_dir("brand", "icon-padlock").iterdir() if p.name != MANIFEST}
    assert [g["file"] for g in second["goldens"]] == [g["file"] for g in first["goldens"]]
    assert second["calibration"] == first["calibration"]
    assert after == {name: data for name, data in before.items() if name != MANIFEST}


def test_duplicate_candidates_in_one_approval_are_stored_once(store: GoldenStore) -> None:
    approve(store, picture(6), picture(6))
    assert len(read_manifest(store)["goldens"]) == 1


def test_approve_refuses_bytes_that_are_not_an_image(store: GoldenStore) -> None:
    with pytest.raises(GoldenError, match="not a readable image"):
        approve(store, b"<html>rate limited</html>")
    assert not store.case_dir("brand", "icon-padlock").exists()


def test_reject_records_a_known_bad_image_and_look_alikes_fail_with_the_reason(store: GoldenStore) -> None:
    good, bad = picture(7), picture(8)
    approve(store, good, bad)
    manifest = store.reject("brand", "icon-padlock", bad, reason="padlock is open", by="carol", source_run="run-9")
    bad_sha = fingerprint(bad).sha256
    assert [g.sha256 for g in manifest.goldens] == [fingerprint(good).sha256]  # no longer a golden
    assert not (store.case_dir("brand", "icon-padlock") / f"g-{bad_sha[:12]}.png").exists()
    (entry,) = read_manifest(store)["rejected"]
    assert (entry["sha256"], entry["reason"], entry["by"], entry["source_run"]) == (
        bad_sha,
        "padlock is open",
        "carol",
        "run-9",
    )
    assert entry["hashes"] == fingerprint(bad).hex()

    loaded = store.load("brand", "icon-padlock")
    assert loaded is not None
    look_alike = fingerprint(picture(8, jitter=2))
    assert look_alike.sha256 != bad_sha
    verdict = compare_sample(
        look_alike.sha256,
        look_alike.hashes,
        loaded.golden_hashes(),
        loaded.rejected_hashes(),
        loaded.calibration_value(),
    )
    assert verdict.verdict == "looks-rejected"
    assert "padlock is open" in verdict.note

    store.reject("brand", "icon-padlock", bad, reason="again", by="carol", source_run=None)
    assert len(read_manifest(store)["rejected"]) == 1  # idempotent


def test_rejections_survive_a_new_approval(store: GoldenStore) -> None:
    approve(store, picture(7), picture(9))
    store.reject("brand", "icon-padlock", picture(9), reason="wrong colour", by="carol", source_run=None)
    approve(store, picture(10))
    assert [r["reason"] for r in read_manifest(store)["rejected"]] == ["wrong colour"]


def test_reject_needs_goldens_and_never_leaves_a_case_without_any(store: GoldenStore) -> None:
    with pytest.raises(GoldenError, match="no goldens yet"):
        store.reject("brand", "icon-padlock", picture(1), reason="x", by="c", source_run=None)
    approve(store, picture(1))
    with pytest.raises(GoldenError, match="would leave no goldens"):
        store.reject("brand", "icon-padlock", picture(1), reason="x", by="c", source_run=None)
    assert len(read_manifest(store)["goldens"]) == 1


def test_prune_removes_goldens_of_cases_that_no_longer_exist(store: GoldenStore) -> None:
    approve(store, picture(1), case="icon-padlock")
    approve(store, picture(2), case="retired")
    store.approve("old-suite", "gone", SOURCE, [Candidate(picture(3))], approved_by="a")
    removed = store.prune({("brand", "icon-padlock")})
    assert sorted(p.name for p in removed) == ["gone", "retired"]
    assert list(store.cases()) == [("brand", "icon-padlock")]
    assert not (store.root / "old-suite").exists()  # the emptied suite directory goes too
    assert store.load("brand", "icon-padlock") is not None


# --- broken stores: one clear error naming the file -------------------------------------------------------------


def test_bad_json_names_the_manifest_and_line(store: GoldenStore) -> None:
    approve(store, picture(1))
    path = store.case_dir("brand", "icon-padlock") / MANIFEST
    path.write_text(path.read_text().replace('"case": "icon-padlock",', '"case": "icon-padlock"'))
    with pytest.raises(GoldenError) as caught:
        store.load("brand", "icon-padlock")
    assert caught.value.path == path and caught.value.line is not None
    assert "not valid JSON" in str(caught.value) and str(path.name) in str(caught.value)


def test_a_manifest_missing_a_field_is_invalid(store: GoldenStore) -> None:
    approve(store, picture(1))
    path = store.case_dir("brand", "icon-padlock") / MANIFEST
    data = json.loads(path.read_text())
    del data["goldens"][0]["sha256"]
    path.write_text(json.dumps(data))
    with pytest.raises(GoldenError, match=r"invalid at goldens\.0\.sha256"):
        store.load("brand", "icon-padlock")


def test_missing_or_corrupt_golden_images_are_detected(store: GoldenStore) -> None:
    approve(store, picture(1), picture(2))
    directory = store.case_dir("brand", "icon-padlock")
    first, _ = (directory / g["file"] for g in read_manifest(store)["goldens"])
    first.write_bytes(first.read_bytes()[:500])
    with pytest.raises(GoldenError, match="does not match its sha256") as caught:
        store.load("brand", "icon-padlock")
    assert caught.value.path == first
    first.unlink()
    with pytest.raises(GoldenError, match="golden image is missing") as caught:
        store.load("brand", "icon-padlock")
    assert caught.value.path == first
    assert store.load("brand", "icon-padlock", verify=False) is not None


def test_golden_images_without_a_manifest_are_an_error(store: GoldenStore) -> None:
    approve(store, picture(1))
    (store.case_dir("brand", "icon-padlock") / MANIFEST).unlink()
    with pytest.raises(GoldenError, match=r"without a case\.json"):
        store.load("brand", "icon-padlock")


def test_goldens_hashed_with_another_spec_are_never_compared(store: GoldenStore) -> None:
    approve(store, picture(1))
    path = store.case_dir("brand", "icon-padlock") / MANIFEST
    data = json.loads(path.read_text())
    data["hash_spec"]["id"] = "ih0"
    path.write_text(json.dumps(data))
    with pytest.raises(GoldenError, match="spec 'ih0'"):
        store.load("brand", "icon-padlock")


def test_a_golden_whose_recorded_size_is_not_the_image_size_is_detected(store: GoldenStore) -> None:
    approve(store, picture(1))
    path = store.case_dir("brand", "icon-padlock") / MANIFEST
    data = json.loads(path.read_text())
    data["goldens"][0]["width"] = 1024
    path.write_text(json.dumps(data))
    with pytest.raises(GoldenError, match="384x256") as caught:
        store.load("brand", "icon-padlock")
    assert caught.value.path is not None and caught.value.path.name == data["goldens"][0]["file"]


@pytest.mark.parametrize("name", ["../../../outside.png", "/tmp/elsewhere.png", "g-123.png", "case.json"])
def test_a_golden_file_name_can_never_point_outside_the_case(store: GoldenStore, name: str) -> None:
    """case.json arrives in pull requests: its file names must not reach (or overwrite) other files."""
    approve(store, picture(1))
    path = store.case_dir("brand", "icon-padlock") / MANIFEST
    data = json.loads(path.read_text())
    data["goldens"][0]["file"] = name
    path.write_text(json.dumps(data))
    with pytest.raises(GoldenError, match=r"invalid at goldens\.0\.file"):
        store.load("brand", "icon-padlock", verify=False)


def test_a_copied_case_directory_writes_only_to_itself(store: GoldenStore) -> None:
    approve(store, picture(1), picture(2), case="original")
    original = store.case_dir("brand", "original")
    before = (original / MANIFEST).read_bytes()
    shutil.copytree(original, store.case_dir("brand", "copy"))
    store.reject("brand", "copy", picture(2), reason="not for the copy", by="c", source_run=None)
    assert (original / MANIFEST).read_bytes() == before
    assert len(list(original.glob("g-*"))) == 2
    copied = read_manifest(store, "copy")
    assert (copied["case"], [r["reason"] for r in copied["rejected"]]) == ("copy", ["not for the copy"])
    assert len(list(store.case_dir("brand", "copy").glob("g-*"))) == 1


# --- atomicity and races ----------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_previous_manifest_and_no_temp_files(
    store: GoldenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    approve(store, picture(1))
    directory = store.case_dir("brand", "icon-padlock")
    before = (directory / MANIFEST).read_bytes()
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if str(dst).endswith(MANIFEST):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        approve(store, picture(2), replace=False)
    monkeypatch.undo()
    assert (directory / MANIFEST).read_bytes() == before
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    assert store.load("brand", "icon-padlock") is not None


def assert_consistent(store: GoldenStore, case: str = "icon-padlock") -> dict:
    """The manifest parses, validates, and lists exactly the image files present (no temp files)."""
    directory = store.case_dir("brand", case)
    data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest = store.load("brand", case)  # verifies every listed file's sha256
    assert manifest is not None
    assert files(directory) == {MANIFEST} | {g["file"] for g in data["goldens"]}
    return data


def test_threads_adding_to_one_case_at_once_lose_nothing(store: GoldenStore) -> None:
    images = [picture(100 + i) for i in range(8)]
    barrier = threading.Barrier(len(images))
    errors: list[BaseException] = []

    def worker(data: bytes) -> None:
        try:
            barrier.wait()
            approve(store, data, replace=False)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(d,)) for d in images]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    data = assert_consistent(store)
    assert {g["sha256"] for g in data["goldens"]} == {fingerprint(d).sha256 for d in images}


def test_threads_replacing_one_case_at_once_leave_one_whole_set(store: GoldenStore) -> None:
    sets = [[picture(200 + 10 * i), picture(201 + 10 * i)] for i in range(6)]
    barrier = threading.Barrier(len(sets))

    def worker(datas: list[bytes]) -> None:
        barrier.wait()
        approve(store, *datas)

    threads = [threading.Thread(target=worker, args=(s,)) for s in sets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    data = assert_consistent(store)
    winners = {g["sha256"] for g in data["goldens"]}
    assert winners in [{fingerprint(d).sha256 for d in s} for s in sets]


WORKER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_goldens import GoldenStore, SOURCE, Candidate, picture
root = Path(sys.argv[2])
store = GoldenStore(root / "evals" / "goldens", root / ".promptlib" / "locks")
start = int(sys.argv[3])
for seed in range(start, start + 3):
    store.approve("brand", "icon-padlock", SOURCE, [Candidate(picture(seed))], approved_by=f"p{start}",
                  replace=False)
"""


def test_processes_racing_on_one_case_never_corrupt_the_manifest(store: GoldenStore, tmp_path: Path) -> None:
    starts = [300, 310, 320]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(Path(__file__).parent), str(tmp_path), str(s)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in starts
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    data = assert_consistent(store)
    expected = {fingerprint(picture(seed)).sha256 for s in starts for seed in range(s, s + 3)}
    assert {g["sha256"] for g in data["goldens"]} == expected
