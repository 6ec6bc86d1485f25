"""Approve and reject from a run directory: which samples become goldens, with what provenance, and why not."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from e2e.helpers import BRAND, approved_brand, clone, golden_images, latest_run, manifest, plant, promptlib, write
from PIL import Image

from promptlib._library import Library
from promptlib.evals._cases import approvable_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import GoldenError, UsageError
from promptlib.goldens._compare import calibrate
from promptlib.goldens._review import approve_from_run, other_goldens, reject_from_run, reviewer_name
from promptlib.reports._runs import load_results

FRESH = """\
cases:
  - id: key
    prompt: icons/feature-icon
    variables: {subject: a brass key}
  - id: bell
    prompt: icons/feature-icon
    variables: {subject: a ringing bell, accent: teal}
"""


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")
    write(root, "evals/fresh.yaml", FRESH)
    return root


def blank() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def run_eval(repo: Path, *selectors: str) -> tuple[Path, dict]:
    promptlib(repo, "eval", *selectors)
    run = latest_run(repo)
    return run, load_results(run)


def approve(
    repo: Path,
    run: Path,
    results: dict,
    cases: tuple[str, ...] = (),
    samples: tuple[int, ...] = (),
    all_new: bool = False,
    add: bool = False,
    by: str = "dana",
) -> list:
    library = Library.load(repo)
    return approve_from_run(
        golden_store(library),
        run,
        results,
        known=approvable_cases(library),
        cases=cases,
        samples=samples,
        all_new=all_new,
        by=by,
        add=add,
    )


def test_all_new_approves_every_new_case_with_its_provenance(repo: Path) -> None:
    run, results = run_eval(repo, "fresh", "brand/icon-padlock")
    approved = approve(repo, run, results, all_new=True)
    assert [a.key for a in approved] == ["fresh/bell", "fresh/key"]
    case = {c["key"]: c for c in results["cases"]}["fresh/key"]
    data = manifest(repo, "fresh/key")
    assert data["template"] == {
        "id": "icons/feature-icon",
        "version": case["version"],
        "content_hash": case["content_hash"],
    }
    assert (data["prompt"], data["parameters"], data["request_hash"]) == (
        case["prompt"],
        case["parameters"],
        case["request_hash"],
    )
    assert (data["deployment"], data["model"]) == ("local", "gpt-image-2")
    assert [(g["sha256"], g["source_run"], g["sample"], g["approved_by"]) for g in data["goldens"]] == [
        (s["sha256"], results["run_id"], s["index"], "dana") for s in case["samples"]
    ]
    for golden, sample in zip(data["goldens"], case["samples"], strict=True):
        assert (repo / "evals/goldens/fresh/key" / golden["file"]).read_bytes() == (run / sample["file"]).read_bytes()


def test_calibration_measures_against_the_other_cases_goldens(repo: Path) -> None:
    run, results = run_eval(repo, "fresh/key")
    approve(repo, run, results, cases=("fresh/key",))
    calibration = manifest(repo, "fresh/key")["calibration"]
    assert calibration["cross_source"] == "measured"  # 6 brand cases x 3 goldens to compare with
    assert calibration["goldens"] == 3


def test_a_batch_is_calibrated_against_the_final_golden_sets_whatever_the_order(repo: Path) -> None:
    """`approve --all-new` approves case after case; the first ones must still be measured against the last."""
    for name in BRAND:  # the prepared project was approved in one --all-new batch
        calibration = manifest(repo, f"brand/{name}")["calibration"]
        assert calibration["cross_source"] == "measured", name  # not the natural-image fallback of an empty store
    run, results = run_eval(repo, "fresh")
    approve(repo, run, results, all_new=True)
    store = golden_store(Library.load(repo))
    for suite, case in (("fresh", "bell"), ("fresh", "key")):
        loaded = store.load(suite, case)
        assert loaded is not None
        expected = calibrate([h for _, h in loaded.golden_hashes()], other_goldens(store, suite, case))
        assert loaded.calibration == json.loads(json.dumps(expected.to_dict()))


def test_only_the_chosen_samples_are_approved(repo: Path) -> None:
    run, results = run_eval(repo, "fresh/key")
    approve(repo, run, results, cases=("fresh/key",), samples=(0, 2))
    assert [g["sample"] for g in manifest(repo, "fresh/key")["goldens"]] == [0, 2]


def test_degenerate_samples_are_left_out_unless_chosen(repo: Path) -> None:
    run, results = run_eval(repo, "fresh/key")
    good = [(run / s["file"]).read_bytes() for s in results["cases"][0]["samples"]]
    plant(repo, "fresh/key", [good[0], blank(), good[2]])
    run, results = run_eval(repo, "fresh/key")
    assert [s["verdict"] for s in results["cases"][0]["samples"]] == ["unchecked", "blank", "unchecked"]
    approve(repo, run, results, cases=("fresh/key",))
    assert [g["sample"] for g in manifest(repo, "fresh/key")["goldens"]] == [0, 2]


def test_add_extends_and_the_default_replaces(repo: Path) -> None:
    run, results = run_eval(repo, "fresh/key")
    approve(repo, run, results, cases=("fresh/key",), samples=(0,))
    approve(repo, run, results, cases=("fresh/key",), samples=(1,), add=True)
    assert [g["sample"] for g in manifest(repo, "fresh/key")["goldens"]] == [0, 1]
    approve(repo, run, results, cases=("fresh/key",), samples=(2,))
    assert [g["sample"] for g in manifest(repo, "fresh/key")["goldens"]] == [2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "say which cases to approve"),
        ({"cases": ("fresh/nope",)}, "the run at {run} has no case 'fresh/nope'; it has: fresh/bell, fresh/key"),
        ({"cases": ("fresh/key", "fresh/bell"), "samples": (0,)}, "--sample picks samples of one case"),
        ({"cases": ("fresh/key",), "samples": (7,)}, "fresh/key has no sample 7; samples: 0, 1, 2"),
    ],
)
def test_approve_usage_errors(repo: Path, kwargs: dict, message: str) -> None:
    run, results = run_eval(repo, "fresh")
    with pytest.raises(UsageError) as caught:
        approve(repo, run, results, **kwargs)
    assert str(caught.value).startswith(message.format(run=run))
    assert not (repo / "evals/goldens/fresh").exists()


def test_all_new_on_a_run_without_new_cases_says_so(repo: Path) -> None:
    run, results = run_eval(repo, "brand/icon-padlock")
    with pytest.raises(UsageError, match=r"the run at .* has no new cases"):
        approve(repo, run, results, all_new=True)


def test_a_case_without_samples_cannot_be_approved(repo: Path) -> None:
    write(repo, "evals/fresh.yaml", FRESH.replace("a brass key", "no"))  # too short: the case cannot render
    run, results = run_eval(repo, "fresh/key")
    with pytest.raises(UsageError, match=r"fresh/key has no samples in this run \(error: "):
        approve(repo, run, results, cases=("fresh/key",))


def test_a_sample_path_outside_the_run_is_refused(repo: Path, tmp_path: Path) -> None:
    """A downloaded results.json is data from someone else's CI: it cannot make approve copy local files."""
    run, results = run_eval(repo, "fresh/key")
    outside = tmp_path / "private.png"
    outside.write_bytes(blank())
    results["cases"][0]["samples"][0]["file"] = "../../../../private.png"
    assert (run / "../../../../private.png").resolve() == outside.resolve()
    with pytest.raises(UsageError, match="is a link to a file outside the project"):
        approve(repo, run, results, cases=("fresh/key",), samples=(0,))


def test_reject_from_a_run_records_the_sample(repo: Path) -> None:
    run, results = run_eval(repo, "brand/icon-padlock")
    library = Library.load(repo)
    manifest_ = reject_from_run(
        golden_store(library),
        run,
        results,
        known=approvable_cases(library),
        case_key="brand/icon-padlock",
        sample=1,
        reason="shackle drawn open",
        by="erin",
        force=True,
    )
    sample = results["cases"][0]["samples"][1]
    assert [(r.sha256, r.reason, r.by, r.source_run) for r in manifest_.rejected] == [
        (sample["sha256"], "shackle drawn open", "erin", results["run_id"])
    ]
    assert sample["sha256"] not in {g.sha256 for g in manifest_.goldens}


def test_reject_needs_goldens(repo: Path) -> None:
    run, results = run_eval(repo, "fresh/key")
    with pytest.raises(GoldenError, match="no goldens yet"):
        library = Library.load(repo)
        reject_from_run(
            golden_store(library),
            run,
            results,
            known=approvable_cases(library),
            case_key="fresh/key",
            sample=0,
            reason="x",
            by="erin",
        )


def test_a_downloaded_run_directory_is_self_contained(repo: Path, tmp_path: Path) -> None:
    """CI uploads the run; the author approves from the download, with no regeneration."""
    run, _ = run_eval(repo, "fresh/key")
    download = tmp_path / "artifact"
    shutil.copytree(run, download)
    shutil.rmtree(repo / ".promptlib")
    result = promptlib(repo, "approve", str(download), "--case", "fresh/key", "--by", "dana")
    assert result.exit_code == 0, result.output
    assert len(manifest(repo, "fresh/key")["goldens"]) == 3


def test_reviewer_defaults_to_git_user_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Dana Reviewer\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(tmp_path)
    assert reviewer_name(None) == "Dana Reviewer"
    assert reviewer_name("Sam") == "Sam"


def test_reviewer_falls_back_to_the_login_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("USER", "login-name")
    monkeypatch.chdir(tmp_path)
    assert reviewer_name(None) == "login-name"


def test_approved_images_are_exact_on_the_next_run(repo: Path) -> None:
    run, results = run_eval(repo, "fresh/key")
    approve(repo, run, results, cases=("fresh/key",))
    _, again = run_eval(repo, "fresh/key")
    assert again["cases"][0]["status"] == "passed"
    assert [s["verdict"] for s in again["cases"][0]["samples"]] == ["identical"] * 3
    assert golden_images(repo, "fresh/key") == [(run / s["file"]).read_bytes() for s in results["cases"][0]["samples"]]
    assert json.loads((repo / "evals/goldens/fresh/key/case.json").read_text())["goldens"][0]["approved_by"] == "dana"
    assert os.listdir(repo / "evals/goldens/fresh") == ["key"]
