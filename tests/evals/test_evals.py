"""Eval runs: from samples to a case's status, as `promptlib eval` reports it in results.json.

Each test runs the real command on a copy of the example project (brand suite) whose goldens were approved
from a seeded emulator run. Where a test needs the deployment to return particular images (a top-up, a blank
image), it plants them in the result cache as that draw's response, so the runner takes exactly those.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from e2e.helpers import (
    add_deployment,
    approved_brand,
    bump_version,
    by_key,
    clone,
    edit,
    golden_images,
    latest_results,
    latest_run,
    lock,
    manifest,
    plant,
    promptlib,
    reset_emulators,
    set_seed,
    write,
)
from PIL import Image

PADLOCK = "brand/icon-padlock"
MUG = "brand/edit-mug-on-sand"


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")


def eval_case(repo: Path, *args: str) -> tuple[int, dict]:
    result = promptlib(repo, "eval", *args)
    return result.exit_code, latest_results(repo)


def test_samples_equal_to_the_goldens_pass(repo: Path) -> None:
    code, results = eval_case(repo, "brand")
    assert code == 0
    for case in results["cases"]:
        assert case["status"] == "passed", case["message"]
        assert case["message"] == "3 of 3 samples match the goldens"
        assert [s["verdict"] for s in case["samples"]] == ["identical"] * 3
        assert case["changed_since_approval"] is None


def test_results_json_is_what_the_published_schema_says(repo: Path) -> None:
    """CI users validate results.json against `promptlib schema`'s results schema; a real run passes it."""
    import jsonschema

    from promptlib.cli._schema import json_schemas

    eval_case(repo, "brand")
    results = latest_results(repo)
    jsonschema.validate(results, json_schemas()["results"])
    assert results["schema"] == "promptlib-run/2"


def test_fresh_draws_of_unchanged_prompts_still_pass(repo: Path) -> None:
    """Another seed is another day at the deployment: new variants, same prompts, still within threshold."""
    set_seed(repo, 8)
    reset_emulators()
    code, results = eval_case(repo, "--no-cache", PADLOCK, "brand/logo-crane-symbol", "brand/edit-mug-on-marble")
    assert code == 0, [c["message"] for c in results["cases"]]
    assert {s["verdict"] for c in results["cases"] for s in c["samples"]} <= {"near-identical", "match"}
    assert all(s["failures"] == [] for c in results["cases"] for s in c["samples"])  # the edit kept its product
    assert results["totals"]["requests"] == 3 and results["totals"]["cache_hits"] == 0


# --- m-of-K with top-up, on planted responses ----------------------------------------------------------------


def unrelated(repo: Path) -> list[bytes]:
    """Opaque 1024x1024 PNGs of another case (so only the comparison, not the expectations, can fail them)."""
    return golden_images(repo, MUG)


def test_one_match_in_three_tops_up_and_passes_when_both_extra_samples_match(repo: Path) -> None:
    good, other = golden_images(repo, PADLOCK), unrelated(repo)
    plant(repo, PADLOCK, [good[0], other[0], other[1]])
    plant(repo, PADLOCK, [good[1], good[2]], start=3)
    code, results = eval_case(repo, PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 0
    assert (case["status"], case["matches"], case["drawn"]) == ("passed", 3, 5)
    assert [s["index"] for s in case["samples"]] == [0, 1, 2, 3, 4]
    assert [s["verdict"] for s in case["samples"]] == ["identical", "miss", "miss", "identical", "identical"]
    assert case["message"] == "3 of 5 samples match the goldens"


def test_top_up_fails_when_one_extra_sample_misses(repo: Path) -> None:
    good, other = golden_images(repo, PADLOCK), unrelated(repo)
    plant(repo, PADLOCK, [good[0], other[0], other[1]])
    plant(repo, PADLOCK, [good[1], other[2]], start=3)
    code, results = eval_case(repo, PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 1
    assert (case["status"], case["matches"], case["drawn"]) == ("failed", 2, 5)
    assert case["message"] == "only 2 of 5 samples match the goldens"


def test_no_match_in_three_fails_without_a_top_up(repo: Path) -> None:
    plant(repo, PADLOCK, unrelated(repo))
    code, results = eval_case(repo, PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 1
    assert (case["status"], case["drawn"], case["requests"]) == ("failed", 3, 0)
    assert {s["verdict"] for s in case["samples"]} == {"miss"}


def test_two_matches_in_three_pass_without_a_top_up(repo: Path) -> None:
    good, other = golden_images(repo, PADLOCK), unrelated(repo)
    plant(repo, PADLOCK, [other[0], good[1], good[2]])
    code, results = eval_case(repo, PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 0
    assert (case["status"], case["matches"], case["drawn"]) == ("passed", 2, 3)


def blank(size: tuple[int, int] = (1024, 1024)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_blank_output_is_degenerate_even_when_the_rest_match(repo: Path) -> None:
    good = golden_images(repo, PADLOCK)
    plant(repo, PADLOCK, [good[0], good[1], blank()])
    code, results = eval_case(repo, PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 1
    assert case["status"] == "degenerate"
    assert case["message"].startswith("blank or uniform output: nearly uniform")
    assert case["samples"][2]["verdict"] == "blank"


def test_blank_output_of_a_new_case_is_degenerate_not_new(repo: Path) -> None:
    write(
        repo,
        "evals/fresh.yaml",
        "cases:\n  - id: lock\n    prompt: icons/feature-icon\n    variables: {subject: a brass padlock}\n",
    )
    plant(repo, "fresh/lock", [blank(), blank(), blank()])
    code, results = eval_case(repo, "fresh")
    assert code == 1
    assert by_key(results)["fresh/lock"]["status"] == "degenerate"


# --- safety blocks ------------------------------------------------------------------------------------------------

SAFETY = """\
deployment: guarded
cases:
  - id: refused
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
    expect: {outcome: blocked}
  - id: surprise
    prompt: icons/feature-icon
    variables: {subject: a padlock and key}
  - id: let-through
    prompt: icons/feature-icon
    variables: {subject: a paper plane}
    expect: {outcome: blocked}
"""


def test_expected_blocks_pass_and_unexpected_blocks_are_reported(repo: Path) -> None:
    add_deployment(repo, "guarded", seed=7, variance=0.1, block=["padlock"])
    write(repo, "evals/safety.yaml", SAFETY)
    result = promptlib(repo, "eval", "safety")
    cases = by_key(latest_results(repo))
    assert result.exit_code == 1
    assert cases["safety/refused"]["status"] == "passed"
    assert "as expected" in cases["safety/refused"]["message"]
    assert cases["safety/surprise"]["status"] == "blocked"
    assert "set expect: {outcome: blocked}" in cases["safety/surprise"]["message"]
    assert cases["safety/let-through"]["status"] == "failed"
    assert cases["safety/let-through"]["message"] == "expected the safety system to block this prompt, but it did not"
    assert "blocked    safety/surprise:" in result.output

    alone = promptlib(repo, "eval", "safety/refused")
    assert alone.exit_code == 0, alone.output
    assert "1 passed" in alone.output


# --- expectations ------------------------------------------------------------------------------------------------

CHECKS = """\
deployment: local
cases:
  - id: wrong-size
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
    expect: {size: 1536x1024}
  - id: wrong-format
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
    expect: {format: jpeg}
  - id: not-transparent
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
    expect: {transparent: true}
  - id: not-an-edit
    prompt: icons/feature-icon
    variables: {subject: a closed padlock}
    expect: {unchanged_outside_mask: true}
  - id: transparent-logo
    prompt: brand/logo-mark
    variables: {brand_name: Contoso, motif: a paper crane folded from a single triangle}
    expect: {transparent: true, size: 1024x1024, format: png}
"""


def test_expectation_failures_fail_the_case(repo: Path) -> None:
    write(repo, "evals/checks.yaml", CHECKS)
    result = promptlib(repo, "eval", "checks")
    cases = by_key(latest_results(repo))
    assert result.exit_code == 1
    expected = {
        "checks/wrong-size": "size is 1024x1024, expected 1536x1024",
        "checks/wrong-format": "format is png, expected jpeg",
        "checks/not-transparent": "no transparent pixels, but a transparent background was asked for",
        "checks/not-an-edit": "unchanged_outside_mask needs an edit with an image and a mask",
    }
    for key, message in expected.items():
        assert (cases[key]["status"], cases[key]["message"]) == ("failed", message)
        assert all(message in s["failures"] for s in cases[key]["samples"])
    assert cases["checks/transparent-logo"]["status"] == "new"  # no failures: just no goldens yet


def test_expectations_apply_to_cases_with_goldens_too(repo: Path) -> None:
    edit(
        repo,
        "evals/brand.yaml",
        "variables: {subject: a closed padlock}\n    expect: {size: 1024x1024, format: png, transparent: false}",
        "variables: {subject: a closed padlock}\n    expect: {size: 1024x1024, format: png, transparent: true}",
    )
    code, results = eval_case(repo, PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 1
    assert (case["status"], case["matches"]) == ("failed", 3)  # every sample matched; the expectation did not
    assert case["message"] == "no transparent pixels, but a transparent background was asked for"


# --- template changes ---------------------------------------------------------------------------------------------

ICON = "prompts/icons/feature-icon.yaml"


def test_a_changed_template_is_still_compared_and_says_so(repo: Path) -> None:
    edit(
        repo,
        ICON,
        "A single app feature icon of {{ subject }}, in a strict flat house style.",
        "A glossy product photograph of {{ subject }} resting on a wooden desk, in warm sunset light.",
    )
    bump_version(repo, "icons/feature-icon")
    lock(repo)
    result = promptlib(repo, "eval", PADLOCK)
    case = by_key(latest_results(repo))[PADLOCK]
    assert result.exit_code == 1
    assert case["status"] == "failed"
    assert case["message"] == "only 0 of 3 samples match the goldens; changed since approval: v1 → v2"
    change = case["changed_since_approval"]
    assert (change["from_version"], change["to_version"]) == (1, 2)
    assert "wooden desk" in change["new_prompt"] and "wooden desk" not in change["old_prompt"]
    assert f"failed     {PADLOCK}: only 0 of 3" in result.output


def test_a_template_change_that_keeps_the_look_passes_and_is_flagged(repo: Path) -> None:
    edit(repo, ICON, "in a strict flat house style.\n  Drawing:", "in a strict flat house style.\n\n  Drawing:")
    bump_version(repo, "icons/feature-icon")
    lock(repo)
    result = promptlib(repo, "eval", PADLOCK)
    case = by_key(latest_results(repo))[PADLOCK]
    assert result.exit_code == 0
    assert case["status"] == "passed"
    assert case["message"] == "3 of 3 samples match the goldens; changed since approval: v1 → v2"
    assert case["requests"] == 1  # another prompt text (a paragraph break): drawn afresh, and still the same look
    assert f"passed     {PADLOCK}: 3 of 3 samples match the goldens; changed since approval: v1 → v2" in result.output


# --- unused goldens, sample counts, errors -----------------------------------------------------------------------


def test_full_runs_report_goldens_no_case_uses(repo: Path) -> None:
    suite = repo / "evals" / "brand.yaml"
    text = suite.read_text()
    suite.write_text(text[: text.index("  - id: icon-padlock")])  # the PR dropped four cases
    dropped = ["brand/edit-mug-on-marble", "brand/edit-mug-on-sand", PADLOCK, "brand/icon-paper-plane-teal"]
    full = promptlib(repo, "eval")
    results = latest_results(repo)
    assert full.exit_code == 0
    assert (results["full_run"], results["unused_goldens"]) == (True, dropped)
    assert f"unused goldens: {', '.join(dropped)} (remove with `promptlib goldens prune`)" in full.output
    summary = (latest_run(repo) / "summary.md").read_text()
    assert f"Unused goldens (no such case): {', '.join(f'`{key}`' for key in dropped)}" in summary

    partial = promptlib(repo, "eval", "brand/logo-crane-symbol")
    assert latest_results(repo)["unused_goldens"] == []
    assert latest_results(repo)["full_run"] is False
    assert "unused goldens" not in partial.output


@pytest.mark.parametrize("k", [1, 5])
def test_samples_option_sets_k(repo: Path, k: int) -> None:
    code, results = eval_case(repo, "--samples", str(k), PADLOCK)
    case = by_key(results)[PADLOCK]
    assert code == 0
    assert case["policy"]["samples"] == k and case["drawn"] == k == len(case["samples"])
    assert case["policy"]["min_matches"] == min(2, k)
    assert case["status"] == "passed"


def test_a_case_that_cannot_render_is_an_error_and_the_others_still_run(repo: Path) -> None:
    edit(
        repo,
        "evals/brand.yaml",
        "variables: {subject: a closed padlock}",
        "variables: {subject: a closed padlock with a very long description that exceeds the limit}",
    )
    code, results = eval_case(repo, "brand")
    cases = by_key(results)
    assert code == 1
    assert cases[PADLOCK]["status"] == "error"
    assert "subject" in cases[PADLOCK]["message"]
    assert results["counts"]["passed"] == 5


def test_an_unknown_deployment_in_a_suite_is_an_error_naming_it(repo: Path) -> None:
    write(
        repo,
        "evals/elsewhere.yaml",
        "deployment: staging\ncases:\n  - id: lock\n    prompt: icons/feature-icon\n"
        "    variables: {subject: a closed padlock}\n",
    )
    code, results = eval_case(repo, "elsewhere")
    case = by_key(results)["elsewhere/lock"]
    assert code == 1
    assert case["status"] == "error"
    assert "no deployment named 'staging'" in case["message"]


# --- low sensitivity ----------------------------------------------------------------------------------------------

LOOK_ALIKES = """\
cases:
  - id: key
    prompt: icons/feature-icon
    variables: {subject: a brass key}
  - id: bell
    prompt: icons/feature-icon
    variables: {subject: a ringing bell, accent: teal}
"""


def test_low_sensitivity_cases_are_only_smoke_checked_and_say_so(repo: Path) -> None:
    """Two icons of one template differ by a word: hashes cannot tell them apart, and the run must not pretend."""
    write(repo, "evals/fresh.yaml", LOOK_ALIKES)
    promptlib(repo, "eval", "fresh")
    assert promptlib(repo, "approve", "--all-new", "--by", "x").exit_code == 0
    assert manifest(repo, "fresh/key")["calibration"]["sensitivity"] == "low"

    plant(repo, "fresh/key", unrelated(repo))  # a different picture altogether: hashes cannot judge it here
    result = promptlib(repo, "eval", "fresh/key")
    case = by_key(latest_results(repo))["fresh/key"]
    assert result.exit_code == 0
    assert case["status"] == "passed" and case["sensitivity"] == "low"
    assert case["message"].startswith("low sensitivity: hashes cannot tell good from bad for this case")
    assert {s["verdict"] for s in case["samples"]} == {"unchecked"}
    assert "passed     fresh/key: low sensitivity" in result.output  # listed even though it passed
    assert "(1 low-sensitivity)" in (latest_run(repo) / "summary.md").read_text()

    good = golden_images(repo, "fresh/key")
    plant(repo, "fresh/key", [good[0], good[1], blank()])  # blank output is still caught
    code, results = eval_case(repo, "fresh/key")
    assert (code, by_key(results)["fresh/key"]["status"]) == (1, "degenerate")


def test_images_the_output_filter_removed_are_noted_and_the_rest_judged(repo: Path) -> None:
    """A 200 that lost one of its three images to Azure's output filter: two samples, one warning, no retry."""
    add_deployment(repo, "filtering", kind="emulator", model="gpt-image-1.5", faults={"script": ["filter"]})
    code, results = eval_case(repo, "--no-cache", "--deployment", "filtering", PADLOCK)
    (case,) = results["cases"]
    assert [s["index"] for s in case["samples"]] == [0, 1]
    assert case["warnings"] == ["the output filter removed 1 of 3 images (violence); the case is judged on the others"]
    assert (case["requests"], case["retries"], case["status"]) == (1, 0, "passed")
    assert code == 0
