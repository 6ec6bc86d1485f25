"""The author's loop without traps, item by item as the walkthrough of a new project (`promptlib init`) found it.

Each test is one numbered item of the issue: the mistake, then what promptlib now says and does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from e2e.helpers import by_key, latest_results, latest_run

from .conftest import Run, png


def add_to_suite(root: Path, text: str, suite: str = "evals/shop.yaml") -> None:
    path = root / suite
    path.write_text(path.read_text() + text)


def lines_of(output: str, needle: str) -> list[str]:
    return [line for line in output.splitlines() if needle in line]


# -- 1. check passes where eval refuses; one bad suite blocks all ----------------------------------------------


def test_1_a_case_id_an_example_also_claims_is_a_check_problem_and_blocks_only_itself(author: Path, run: Run) -> None:
    add_to_suite(author, "  - id: lamp\n    prompt: shop/lamp\n    variables: {room: kitchen}\n")

    check = run("check")
    shop = run("eval", "shop")
    statuses = {key: case["status"] for key, case in by_key(latest_results(author)).items()}
    other = run("eval", "example")

    assert check.exit_code == 1
    assert lines_of(check.output, "evals/shop.yaml:8: case id 'lamp' is defined twice (lines 7 and 8")
    assert shop.exit_code == 1
    assert lines_of(shop.output, "error      shop (evals/shop.yaml:8): case id 'lamp' is defined twice")
    assert "shop/kitchen-lamp" in statuses and "shop/mug-on-beach" in statuses  # the rest of shop ran
    assert "error" not in other.output  # the example suite does not care about shop's mistake


def test_1_a_typo_in_from_examples_names_the_file_line_and_the_fix(author: Path, run: Run) -> None:
    (author / "evals/shop.yaml").write_text((author / "evals/shop.yaml").read_text().replace("shop/lamp", "shop/lmap"))

    check, shop, everything = run("check"), run("eval", "shop"), run("eval")

    assert lines_of(check.output, "evals/shop.yaml:7: from_examples shop/lmap: no template 'shop/lmap'")
    assert "did you mean 'shop/lamp'" in check.output
    assert lines_of(shop.output, "error      shop (evals/shop.yaml:7): from_examples shop/lmap")
    assert everything.exit_code == 1
    assert by_key(latest_results(author))["example/mug"]["status"] == "new"  # the other suite still ran


# -- 2. reject and approve explain themselves ------------------------------------------------------------------


def test_2_rejecting_a_near_copy_of_the_goldens_asks_for_force_and_can_be_undone(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    run("approve", "--all-new")
    run("eval", "shop/lamp", "--refresh")
    # The emulator is shared by the whole test process, so which fresh draw lands closest varies: take the sample
    # the run itself judged a near copy of a golden.
    samples = by_key(latest_results(author))["shop/lamp"]["samples"]
    near = [str(s["index"]) for s in samples if s["verdict"] in ("identical", "near-identical")]
    assert near, [s["verdict"] for s in samples]

    refused = run("reject", "--case", "shop/lamp", "--sample", near[0], "--reason", "too dark")
    forced = run("reject", "latest", "--case", "shop/lamp", "--sample", near[0], "--reason", "too dark", "--force")
    listed = run("unreject", "--case", "shop/lamp")
    sha = listed.output.split()[0]
    undone = run("unreject", "--case", "shop/lamp", "--sha", sha)

    assert refused.exit_code == 2 and "is nearly identical to golden g-" in refused.output
    assert forced.exit_code == 0 and "(undo: promptlib unreject --case shop/lamp --sha " in forced.output
    assert "too dark" in listed.output
    assert undone.exit_code == 0 and f"forgot rejected {sha}" in undone.output
    assert json.loads((author / "evals/goldens/shop/lamp/case.json").read_text())["rejected"] == []


def test_2_approve_names_every_sample_it_leaves_out(author: Path, run: Run) -> None:
    config = yaml.safe_load((author / "promptlib.yaml").read_text())
    config["deployments"]["local"].update(seed=3, variance=0.6)  # samples that differ enough to tell apart
    (author / "promptlib.yaml").write_text(yaml.safe_dump(config))
    run("eval", "shop/lamp")
    run("approve", "--all-new")
    run("eval", "shop/lamp", "--refresh")
    run("reject", "--case", "shop/lamp", "--sample", "1", "--reason", "shade is crooked", "--force")
    run("eval", "shop/lamp")  # the same (cached) samples: sample 1 is now a look-alike of a rejected image

    approved = run("approve", "--case", "shop/lamp")

    assert approved.exit_code == 0, approved.output
    assert lines_of(approved.output, "skipped sample 1: looks like a rejected image: shade is crooked")


# -- 5. bootstrapping new cases --------------------------------------------------------------------------------


def test_5_eval_prints_the_command_that_approves_new_cases(author: Path, run: Run) -> None:
    result = run("eval")
    run_id = latest_run(author).name
    assert f"approve them all with: promptlib approve {run_id} --all-new" in result.output
    assert f"then: promptlib approve {run_id} --case shop/lamp" in result.output


def test_5_inits_emulator_varies_like_a_model_and_its_settings_are_in_the_cache_key(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    first = by_key(latest_results(author))["shop/lamp"]
    assert len({sample["sha256"] for sample in first["samples"]}) == 3  # K samples really differ: m-of-K is tested

    config = yaml.safe_load((author / "promptlib.yaml").read_text())
    config["deployments"]["local"]["variance"] = 0.6
    (author / "promptlib.yaml").write_text(yaml.safe_dump(config))
    again = run("eval", "shop/lamp")
    assert by_key(latest_results(author))["shop/lamp"]["requests"] == 1  # a new setting: drawn again, not cached
    assert "1 requests, 0 cache hits" in again.output


# -- 6. error noise and positions ------------------------------------------------------------------------------


def test_6_one_bad_expectation_is_one_line_naming_the_case(author: Path, run: Run) -> None:
    add_to_suite(author, "  - id: tall\n    prompt: shop/lamp\n    expect: {size: 1000x1000}\n")
    check = run("check")
    problems = lines_of(check.output, "evals/shop.yaml")
    assert len(problems) == 1
    assert problems[0].startswith("evals/shop.yaml:10: cases[tall].expect.size: ")


def test_6_an_undeclared_variable_is_reported_at_its_own_line_with_a_suggestion(author: Path, run: Run) -> None:
    path = author / "prompts/shop/lamp.yaml"
    path.write_text(path.read_text().replace("in a {{ room }}", "in a {{ roon }}"))
    check = run("check")
    assert lines_of(
        check.output,
        "prompts/shop/lamp.yaml:8: variable 'roon' is used but not declared under variables: did you mean 'room'?",
    )


def test_6_a_bad_example_is_reported_at_its_line(author: Path, run: Run) -> None:
    path = author / "prompts/shop/lamp.yaml"
    path.write_text(path.read_text().replace("{room: kitchen}", "{room: garage}"))
    check = run("check")
    assert lines_of(check.output, "prompts/shop/lamp.yaml:12: example 'kitchen-lamp': shop/lamp: variable 'room'")


# -- 7. every problem at once ----------------------------------------------------------------------------------


def test_7_an_invalid_example_does_not_hide_the_suites_problems(author: Path, run: Run) -> None:
    path = author / "prompts/shop/lamp.yaml"
    path.write_text(path.read_text().replace("{room: kitchen}", "{room: garage}"))
    add_to_suite(author, "  - id: attic\n    prompt: shop/lamp\n    variables: {room: attic}\n")
    check = run("check")
    assert lines_of(check.output, "example 'kitchen-lamp'")
    assert lines_of(check.output, "evals/shop.yaml:8: case attic: shop/lamp: variable 'room' 'attic' is not one of")


# -- 8. edit inputs are checked locally; a refused request is still a request ----------------------------------


def test_8_a_mask_of_the_wrong_size_or_without_alpha_fails_check(author: Path, run: Run) -> None:
    (author / "assets/mug-mask.png").write_bytes(png((512, 512), "RGB"))
    check = run("check")
    line = lines_of(check.output, "case mug-on-beach")[0]
    assert "mask 'mask' has no alpha channel (mode RGB)" in line and "(and 1 more)" in line


def test_8_a_request_the_service_refused_counts_as_sent(author: Path, run: Run) -> None:
    config = yaml.safe_load((author / "promptlib.yaml").read_text())
    config["deployments"]["local"]["block"] = ["brass"]
    (author / "promptlib.yaml").write_text(yaml.safe_dump(config))
    result = run("eval", "shop/lamp")
    case = by_key(latest_results(author))["shop/lamp"]
    assert case["status"] == "blocked" and case["requests"] == 1
    assert "1 requests, 0 cache hits" in result.output


# -- 12. renaming a case ---------------------------------------------------------------------------------------


def test_12_a_renamed_case_gets_a_git_mv_not_a_prune(author: Path, run: Run) -> None:
    run("eval", "shop/mug-on-beach")
    run("approve", "--case", "shop/mug-on-beach")
    path = author / "evals/shop.yaml"
    path.write_text(path.read_text().replace("id: mug-on-beach", "id: mug-beach"))

    check = run("check")

    (line,) = lines_of(check.output, "goldens of shop/mug-on-beach")
    assert "match case shop/mug-beach (same template and prompt)" in line
    assert line.endswith("`git mv evals/goldens/shop/mug-on-beach evals/goldens/shop/mug-beach`") or (
        "git mv " in line and line.endswith("/evals/goldens/shop/mug-beach`")
    )


# -- 4. pytest --promptlib -n 2 approves: see tests/plugin/test_xdist.py (one merged run that latest points at) --


# -- 13. small API and CLI gaps --------------------------------------------------------------------------------


def test_13_a_pil_image_is_an_image_input(author: Path) -> None:
    from PIL import Image

    from promptlib import Library

    library = Library.load(author)
    photo = Image.open(author / "assets/mug.png")
    rendered = library.render("shop/recolor", photo=photo, mask=(author / "assets/mug-mask.png").read_bytes())
    assert rendered.images[0].data.startswith(b"\x89PNG")
    result = library.generate("shop/recolor", photo=photo, mask=str(author / "assets/mug-mask.png"))
    assert result.images and result.images[0].width == 1024


def test_13_approving_from_a_run_of_an_older_template_says_so(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    path = author / "prompts/shop/lamp.yaml"
    path.write_text(path.read_text().replace("version: 1", "version: 2").replace("warm evening", "cold morning"))
    approved = run("approve", "--case", "shop/lamp")
    assert approved.exit_code == 0
    assert (
        "warning: shop/lamp: the run rendered shop/lamp v1, but the template is now v2: these goldens show the "
        "old version"
    ) in approved.output


def test_13_calibrate_prints_text_not_a_dict(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    run("approve", "--case", "shop/lamp")
    result = run("calibrate", "shop/lamp", "--samples", "3")
    assert result.exit_code == 0, result.output
    assert "{" not in result.output and "(thresholds phash " in result.output


def test_13_help_is_whole_lists_every_option_and_shows_examples(run: Run) -> None:
    top = run("--help").output
    assert "..." not in top.split("Commands:")[1]  # no summary cut off mid-sentence
    report = run("report", "--help").output
    assert "--format [html|md|json]" in report and "--open" in report and "Examples:" in report
    assert "Examples:\n    promptlib eval\n" in run("eval", "--help").output


# -- 14. CI conventions ----------------------------------------------------------------------------------------


def test_14_check_can_speak_github_annotations(author: Path, run: Run) -> None:
    path = author / "prompts/shop/lamp.yaml"
    path.write_text(path.read_text().replace("in a {{ room }}", "in a {{ roon }}"))
    result = run("check", "--format", "github")
    (annotation,) = [line for line in result.output.splitlines() if line.startswith("::error") and "roon" in line]
    assert annotation.startswith("::error file=prompts/shop/lamp.yaml,line=8,title=promptlib check::variable 'roon'")


def test_14_eval_writes_annotations_and_junit(author: Path, run: Run, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    junit = tmp_path / "eval.xml"
    result = run("eval", "shop", "--format", "github", "--junit", str(junit))
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert any(
        line.startswith("::warning file=evals/shop.yaml,line=7,title=promptlib eval shop/lamp::new: ")
        for line in annotations
    )
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "shop" and suite.get("tests") == "3"
    assert {case.get("name") for case in suite} == {"mug-on-beach", "lamp", "kitchen-lamp"}


def test_14_report_open_opens_the_browser(
    author: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    run("eval", "shop/lamp")
    result = run("report", "--open")
    assert result.exit_code == 0, result.output
    assert opened.read_text().strip() == (latest_run(author) / "report.html").resolve().as_uri()


# -- 3. the report can show an edit's inputs (the data: rendering is tests/test_report_html.py) ---------------


def test_3_an_edit_case_carries_its_inputs_and_the_unchanged_outside_mask_figure(author: Path, run: Run) -> None:
    run("eval", "shop/mug-on-beach")
    case = by_key(latest_results(author))["shop/mug-on-beach"]
    assert [(i["name"], i["role"], i["width"]) for i in case["inputs"]] == [
        ("photo", "image", 1024),
        ("mask", "mask", 1024),
    ]
    assert all((latest_run(author) / i["file"]).read_bytes() for i in case["inputs"])
    figures = [s["outside_mask"] for s in case["samples"]]
    assert all(f is not None and 0.9 < f["unchanged"] <= 1.0 for f in figures)  # the emulator keeps those pixels


# -- 9. verdicts a reviewer reads at a glance ------------------------------------------------------------------


def test_9_a_fresh_sample_close_to_a_golden_is_near_identical_or_a_match_not_a_duplicate(
    author: Path, run: Run
) -> None:
    run("eval", "shop/lamp")
    run("approve", "--all-new")
    run("eval", "shop/lamp", "--refresh")
    verdicts = {s["verdict"] for s in by_key(latest_results(author))["shop/lamp"]["samples"]}
    assert verdicts <= {"identical", "near-identical", "match", "miss"} and "duplicate" not in verdicts


# -- 10. emulator runs show what the model would cost, not a bill ----------------------------------------------


def test_10_emulator_costs_are_labelled_as_estimates(author: Path, run: Run) -> None:
    result = run("eval", "shop/lamp")
    results = latest_results(author)
    assert results["emulated"] == {"local": results["cases"][0]["model"]}
    assert "no cost (emulator; on " in result.output and "this would cost about $" in result.output
    assert "no cost (emulator; on " in (latest_run(author) / "summary.md").read_text()


# -- 11. disk --------------------------------------------------------------------------------------------------


def test_11_runs_share_image_bytes_and_old_runs_can_be_pruned(author: Path, run: Run) -> None:
    run("eval", "shop/lamp")
    run("approve", "--all-new")
    for _ in range(3):
        run("eval", "shop/lamp")
    totals = latest_results(author)["totals"]
    assert totals["shared_bytes"] > 10 * totals["disk_bytes"]  # samples and goldens are links, not copies
    sample = latest_run(author) / latest_results(author)["cases"][0]["samples"][0]["file"]
    assert sample.stat().st_nlink >= 2

    pruned = run("runs", "prune", "--keep", "1")
    left = [d for d in (author / ".promptlib/runs").iterdir() if d.is_dir()]
    assert pruned.exit_code == 0 and "removed 3 run(s)" in pruned.output
    assert left == [latest_run(author)]


def test_13_one_call_can_override_n_size_and_quality(author: Path) -> None:
    from promptlib import Library, UsageError

    library = Library.load(author)
    result = library.generate("shop/lamp", parameters={"n": 2, "size": "1536x1024", "quality": "medium"})
    assert [(i.width, i.height) for i in result.images] == [(1536, 1024), (1536, 1024)]
    assert result.request.parameters.quality == "medium"
    plain = library.generate("shop/lamp")
    assert plain.request.request_hash != result.request.request_hash  # never confused in the cache
    with pytest.raises(UsageError, match="shop/lamp: parameters override n: "):
        library.generate("shop/lamp", parameters={"n": 99})
