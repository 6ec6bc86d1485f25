"""A case as the reviewer sees it: its samples beside their nearest goldens, distances against thresholds, the
reason in one sentence, the prompt diff against the approved version, and an edit's inputs with the outside-mask
figure, all from the report's own view model."""

from __future__ import annotations

from pathlib import Path

from e2e.helpers import latest_results

from promptlib.reports._links import relative_href
from promptlib.reports._verdicts import MEANINGS
from promptlib.review._case import case_review, reason

from .helpers import NEW_SUBJECT_LINE, PADLOCK


def test_a_failed_case_shows_samples_beside_nearest_goldens_with_distances(regressed: Path) -> None:
    review = case_review(latest_results(regressed), PADLOCK, relative_href)
    assert review is not None
    view = review.view
    assert (view.key, view.status) == (PADLOCK, "failed")
    assert len(view.samples) == 3 and len(view.goldens) == 3
    for sample in view.samples:
        assert sample.image.href and sample.image.href.startswith(f"samples/{PADLOCK}/")
        assert sample.golden.href and sample.golden.href.startswith(f"goldens/{PADLOCK}/")
        assert sample.sha256 and len(sample.sha256) == 64
        assert sample.distances is not None
        assert [r.alg for r in sample.distances.rows][:3] == ["phash", "dhash", "whash"]
        assert {r.state for r in sample.distances.rows[:3]} <= {"over", "within"}


def test_the_reason_is_one_sentence_with_the_verdict_meanings(regressed: Path) -> None:
    review = case_review(latest_results(regressed), PADLOCK, relative_href)
    assert review is not None
    assert review.reason.startswith("failed: only 0 of 3 samples match the goldens; changed since approval: v1 → v2 (")
    assert f"3 miss: {MEANINGS['miss']}" in review.reason
    assert review.reason.endswith(").") and review.reason.count(".") == 1


def test_the_prompt_diff_against_the_approved_version(regressed: Path) -> None:
    review = case_review(latest_results(regressed), PADLOCK, relative_href)
    assert review is not None and review.view.changed is not None
    changed = review.view.changed
    assert changed.versions == "v1 → v2"
    inserted = {p.text for p in changed.new if p.kind == "ins"}
    removed = {p.text for p in changed.old if p.kind == "del"}
    assert {"glossy", "photograph"} <= inserted
    assert {"single", "app"} <= removed
    assert NEW_SUBJECT_LINE.split("{{")[0].strip() in "".join(p.text for p in changed.new)


def test_an_edit_case_shows_its_input_mask_and_outside_mask_figure(regressed: Path) -> None:
    review = case_review(latest_results(regressed), "brand/edit-mug-on-sand", relative_href)
    assert review is not None
    roles = [i.role or i.name for i in review.view.inputs]
    assert "mask" in roles and any(i.is_mask for i in review.view.inputs)
    assert all(s.outside_mask.startswith("unchanged outside the mask: ") for s in review.view.samples)


def test_an_unknown_case_is_none_and_reasons_read_hand_made_entries() -> None:
    assert case_review({"run_id": "r", "cases": []}, "a/b", relative_href) is None
    assert reason({"status": "error", "message": "template did not render."}) == "error: template did not render."
    assert reason({}) == "error."
