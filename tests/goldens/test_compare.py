"""Calibration, per-sample verdicts and the m-of-K policy: when does a case pass?

Hashes here are synthetic integers with chosen Hamming distances, so each rule of
shared/reference/golden-image-regression.md §5.4–§5.5 can be checked exactly.
"""

from __future__ import annotations

import itertools

import pytest

from promptlib.goldens._compare import (
    COLORHASH_WARN,
    DUPLICATE,
    MARGIN,
    MIN_CROSS_SAMPLES,
    NATURAL_CROSS_P5,
    SEPARATION,
    Calibration,
    Policy,
    calibrate,
    compare_sample,
    percentile,
)
from promptlib.goldens._hashing import VOTING

Hashes = dict[str, int]
BASE: Hashes = {
    "phash": 0x92A71CDC79D980E3,
    "dhash": 0x294C492E9C99A999,
    "whash": 0xFFE7FDE70C400C00,
    "colorhash": 0x01441200000,
}


def flip(hashes: Hashes, bits: dict[str, int] | int, *, offset: int = 0) -> Hashes:
    """``hashes`` with ``bits`` bits flipped per algorithm (from bit ``offset``), so the distance is exact."""
    counts = bits if isinstance(bits, dict) else dict.fromkeys(VOTING, bits)
    out = dict(hashes)
    for alg, count in counts.items():
        for i in range(count):
            out[alg] ^= 1 << (offset + i)
    return out


def unrelated(seed: int) -> Hashes:
    """A hash set ~32 bits away from BASE on every voting algorithm (what another case's golden looks like)."""
    return {
        alg: BASE[alg] ^ int.from_bytes(bytes([0x5A ^ seed, 0xC3 + seed, 0x3C, 0xA5 ^ seed] * 2), "big")
        for alg in VOTING
    } | {"colorhash": BASE["colorhash"] ^ seed}


def calibration(thresholds: dict[str, int] | None = None, sensitivity: str = "ok") -> Calibration:
    return Calibration(
        thresholds=thresholds or {"phash": 12, "dhash": 12, "whash": 10},
        sensitivity=sensitivity,  # type: ignore[arg-type]
        loo_nn_max={},
        cross_case_p5=dict(NATURAL_CROSS_P5),
        cross_source="natural-images",
        goldens=1,
    )


# --- calibration -------------------------------------------------------------------------------------------------


def test_leave_one_out_spread_is_the_largest_nearest_neighbour_distance() -> None:
    goldens = [BASE, flip(BASE, 2), flip(BASE, 6, offset=20)]  # NN distances: 2, 2, 6 (g2 is 8 from g1)
    result = calibrate(goldens, [])
    assert result.loo_nn_max == dict.fromkeys(VOTING, 6)
    assert result.goldens == 3


def test_threshold_is_spread_plus_margin_when_that_fits_under_the_separation() -> None:
    goldens = [BASE, flip(BASE, 6)]
    result = calibrate(goldens, [])
    assert result.thresholds == dict.fromkeys(VOTING, 6 + MARGIN)
    assert result.sensitivity == "ok"


def test_threshold_never_drops_below_the_duplicate_threshold() -> None:
    result = calibrate([BASE, dict(BASE)], [])  # two identical goldens: spread 0
    assert result.loo_nn_max == dict.fromkeys(VOTING, 0)
    assert result.thresholds == DUPLICATE


def test_one_golden_has_no_spread_and_assumes_duplicate_noise() -> None:
    result = calibrate([BASE], [])
    assert result.loo_nn_max == dict.fromkeys(VOTING)
    assert result.thresholds == {alg: DUPLICATE[alg] + MARGIN for alg in VOTING}


def test_threshold_is_capped_below_the_cross_case_p5_and_phash_stays_even() -> None:
    goldens = [BASE, flip(BASE, {"phash": 24, "dhash": 3, "whash": 3})]
    result = calibrate(goldens, [])
    assert result.cross_source == "natural-images"
    assert result.cross_case_p5 == NATURAL_CROSS_P5
    assert result.thresholds["phash"] == NATURAL_CROSS_P5["phash"] - SEPARATION  # 22, capped
    assert result.thresholds["dhash"] == DUPLICATE["dhash"]  # 3 + 4 = 7 < 8
    assert result.sensitivity == "ok"  # one algorithm overlapping is not enough


@pytest.mark.parametrize("spread", [5, 7, 9])
def test_phash_threshold_is_rounded_down_to_even(spread: int) -> None:
    result = calibrate([BASE, flip(BASE, {"phash": spread, "dhash": 2, "whash": 2})], [])
    assert result.thresholds["phash"] % 2 == 0
    assert result.thresholds["phash"] == max(DUPLICATE["phash"], (spread + MARGIN) // 2 * 2)


def test_odd_measured_ceiling_gives_an_even_phash_threshold() -> None:
    goldens = [BASE, flip(BASE, {"phash": 30, "dhash": 2, "whash": 2})]
    others = [flip(BASE, {"phash": 25, "dhash": 30, "whash": 30}, offset=34)] * 10
    result = calibrate(goldens, others)
    assert result.cross_source == "measured"
    assert result.cross_case_p5["phash"] <= 25
    ceiling = result.cross_case_p5["phash"] - SEPARATION
    assert result.thresholds["phash"] == ceiling - ceiling % 2


def test_low_sensitivity_when_spread_overlaps_separation_on_two_algorithms() -> None:
    wide = [BASE, flip(BASE, {"phash": 24, "dhash": 24, "whash": 2})]
    result = calibrate(wide, [])
    assert result.sensitivity == "low"
    assert result.thresholds["phash"] <= NATURAL_CROSS_P5["phash"] - SEPARATION
    assert result.thresholds["dhash"] <= NATURAL_CROSS_P5["dhash"] - SEPARATION

    all_three = calibrate([BASE, flip(BASE, 24)], [])
    assert all_three.sensitivity == "low"


def test_cross_case_p5_is_measured_from_other_cases_goldens_once_there_are_enough() -> None:
    goldens = [BASE, flip(BASE, 2)]
    others = [flip(BASE, d, offset=10) for d in range(10, 30)]  # 2 x 20 distances
    assert len(goldens) * len(others) >= MIN_CROSS_SAMPLES
    result = calibrate(goldens, others)
    assert result.cross_source == "measured"
    from promptlib.goldens._hashing import distance

    for alg in VOTING:
        expected = percentile([distance(g[alg], o[alg]) for g in goldens for o in others], 0.05)
        assert result.cross_case_p5[alg] == expected
    # Other cases' goldens this close make the hash check unable to separate: low sensitivity.
    assert result.cross_case_p5["phash"] < NATURAL_CROSS_P5["phash"]


def test_cross_case_falls_back_to_natural_images_while_the_suite_is_small() -> None:
    goldens = [BASE, flip(BASE, 2)]
    others = [unrelated(s) for s in range(MIN_CROSS_SAMPLES // 2 - 1)]  # 2 x 9 < 20
    result = calibrate(goldens, others)
    assert result.cross_source == "natural-images"
    assert result.cross_case_p5 == NATURAL_CROSS_P5


def test_close_neighbours_in_other_cases_lower_the_threshold_and_the_sensitivity() -> None:
    goldens = [BASE, flip(BASE, 8, offset=40)]
    near_others = [flip(BASE, 12, offset=s) for s in range(10)]  # other cases look almost the same
    result = calibrate(goldens, near_others)
    assert result.cross_source == "measured"
    assert result.sensitivity == "low"
    assert all(result.thresholds[alg] >= DUPLICATE[alg] for alg in VOTING)


def test_percentile_picks_an_existing_value() -> None:
    assert percentile([5], 0.05) == 5
    assert percentile(list(range(100, 0, -1)), 0.05) == 5
    assert percentile([30, 10, 20], 0.5) == 20


def test_calibration_serialises_what_case_json_records() -> None:
    data = calibrate([BASE, flip(BASE, 4)], []).to_dict()
    assert set(data) == {"thresholds", "sensitivity", "loo_nn_max", "cross_case_p5", "cross_source", "goldens"}


# --- per-sample verdicts ----------------------------------------------------------------------------------------

GOLDENS = [("a" * 64, BASE), ("b" * 64, flip(BASE, 6, offset=30))]


def test_exact_when_the_bytes_are_a_golden() -> None:
    result = compare_sample("b" * 64, GOLDENS[1][1], GOLDENS, [], calibration())
    assert (result.verdict, result.nearest, result.matched) == ("identical", 1, True)
    assert result.distances == {"phash": 0, "dhash": 0, "whash": 0, "colorhash": 0}


def test_exact_even_when_another_golden_has_the_same_hashes() -> None:
    """A re-encode of golden A approved as golden B: the sample with B's bytes is still exact."""
    goldens = [("a" * 64, BASE), ("c" * 64, dict(BASE))]
    result = compare_sample("c" * 64, BASE, goldens, [], calibration())
    assert result.verdict == "identical"
    assert result.nearest == 1


def test_duplicate_within_the_duplicate_threshold_on_two_algorithms() -> None:
    sample = flip(BASE, {"phash": DUPLICATE["phash"], "dhash": DUPLICATE["dhash"], "whash": 20})
    result = compare_sample("d" * 64, sample, GOLDENS, [], calibration())
    assert result.verdict == "near-identical" and result.matched


def test_match_within_calibrated_thresholds_on_two_of_three() -> None:
    sample = flip(BASE, {"phash": 12, "dhash": 12, "whash": 30})
    result = compare_sample("d" * 64, sample, GOLDENS[:1], [], calibration())
    assert (result.verdict, result.votes, result.nearest) == ("match", 2, 0)
    assert result.distances["phash"] == 12 and result.distances["whash"] == 30


def test_miss_when_only_one_algorithm_is_within() -> None:
    sample = flip(BASE, {"phash": 12, "dhash": 14, "whash": 30})
    result = compare_sample("d" * 64, sample, GOLDENS[:1], [], calibration())
    assert (result.verdict, result.votes, result.matched) == ("miss", 1, False)


@pytest.mark.parametrize("voters", list(itertools.combinations(VOTING, 2)))
def test_any_two_of_the_three_hashes_vote_a_match(voters: tuple[str, str]) -> None:
    bits = {alg: (10 if alg in voters else 40) for alg in VOTING}
    result = compare_sample("d" * 64, flip(BASE, bits), GOLDENS[:1], [], calibration())
    assert result.verdict == "match" and result.votes == 2


def test_colorhash_never_votes_but_warns_about_palette_drift() -> None:
    sample = flip(BASE, {"phash": 10, "dhash": 10, "whash": 8}) | {"colorhash": BASE["colorhash"] ^ 0xFFF}
    result = compare_sample("d" * 64, sample, GOLDENS[:1], [], calibration())
    assert result.verdict == "match"
    assert result.distances["colorhash"] == 12 > COLORHASH_WARN
    assert "palette drift" in result.note

    quiet = compare_sample("d" * 64, flip(BASE, 10), GOLDENS[:1], [], calibration())
    assert quiet.note == ""


def test_nearest_golden_is_the_one_with_most_votes() -> None:
    goldens = [("a" * 64, flip(BASE, 30, offset=30)), ("b" * 64, flip(BASE, 2))]
    result = compare_sample("d" * 64, BASE, goldens, [], calibration())
    assert result.nearest == 1
    assert result.distances["phash"] == 2


def test_degenerate_sample_never_matches_even_a_degenerate_golden() -> None:
    result = compare_sample("a" * 64, BASE, GOLDENS, [], calibration(), degenerate="nearly uniform (pixel std 0.0)")
    assert (result.verdict, result.matched) == ("blank", False)
    assert "uniform" in result.note


def test_look_alike_of_a_rejected_image_fails_with_its_reason_before_any_golden_match() -> None:
    rejected = [("e" * 64, flip(BASE, 3, offset=50), "garbled text on the label")]
    result = compare_sample("f" * 64, BASE, GOLDENS, rejected, calibration())
    assert (result.verdict, result.matched) == ("looks-rejected", False)
    assert "garbled text on the label" in result.note


def test_rejected_bytes_fail_even_if_their_hashes_moved() -> None:
    rejected = [("e" * 64, flip(BASE, 30, offset=10), "wrong logo")]
    assert compare_sample("e" * 64, BASE, GOLDENS, rejected, calibration()).verdict == "looks-rejected"


def test_far_from_a_rejected_image_is_judged_normally() -> None:
    rejected = [("e" * 64, flip(BASE, 20, offset=40), "wrong logo")]
    assert compare_sample("f" * 64, flip(BASE, 4), GOLDENS, rejected, calibration()).verdict == "near-identical"


def test_unchecked_without_goldens() -> None:
    result = compare_sample("f" * 64, BASE, [], [], calibration())
    assert (result.verdict, result.matched) == ("unchecked", False)


def test_low_sensitivity_checks_only_duplicates_and_leaves_the_rest_unchecked() -> None:
    low = calibration({"phash": 22, "dhash": 21, "whash": 17}, "low")
    far_but_within = flip(BASE, 16)
    assert compare_sample("f" * 64, far_but_within, GOLDENS[:1], [], low).verdict == "unchecked"
    assert "low sensitivity" in compare_sample("f" * 64, far_but_within, GOLDENS[:1], [], low).note
    assert compare_sample("f" * 64, flip(BASE, 4), GOLDENS[:1], [], low).verdict == "near-identical"
    assert compare_sample("a" * 64, BASE, GOLDENS[:1], [], low).verdict == "identical"


# --- m-of-K with top-up -----------------------------------------------------------------------------------------

DEFAULT = Policy(samples=3, min_matches=2, max_samples=5)


@pytest.mark.parametrize(
    ("matches", "drawn", "decision"),
    [(3, 3, "pass"), (2, 3, "pass"), (1, 3, "top-up"), (0, 3, "fail"), (3, 5, "pass"), (2, 5, "fail"), (1, 5, "fail")],
)
def test_three_then_five(matches: int, drawn: int, decision: str) -> None:
    assert DEFAULT.decide(matches, drawn) == decision


def run_policy(policy: Policy, outcomes: list[bool]) -> tuple[str, int]:
    """Drive the policy as the runner does: K samples, one top-up to max_samples when ambiguous."""
    drawn = policy.samples
    decision = policy.decide(sum(outcomes[:drawn]), drawn)
    if decision == "top-up":
        drawn = policy.max_samples
        decision = policy.decide(sum(outcomes[:drawn]), drawn)
    assert decision in ("pass", "fail")
    return decision, drawn


def test_top_up_passes_only_if_both_extra_samples_match() -> None:
    assert run_policy(DEFAULT, [True, False, False, True, True]) == ("pass", 5)
    assert run_policy(DEFAULT, [False, False, True, True, False]) == ("fail", 5)
    assert run_policy(DEFAULT, [False, True, False, False, True]) == ("fail", 5)
    assert run_policy(DEFAULT, [True, True, False, False, False]) == ("pass", 3)
    assert run_policy(DEFAULT, [False, False, False, True, True]) == ("fail", 3)


def test_sequential_policy_has_the_error_rates_of_the_reference_table() -> None:
    """§5.5: 3 → 5 sequential: false fail .006 at p=.9, false pass .030 at q=.1, ~3.05 samples at p=.9."""

    def rates(p: float) -> tuple[float, float]:
        passed = expected_samples = 0.0
        for outcomes in itertools.product([True, False], repeat=5):
            weight = 1.0
            for outcome in outcomes:
                weight *= p if outcome else 1 - p
            decision, drawn = run_policy(DEFAULT, list(outcomes))
            passed += weight * (decision == "pass")
            expected_samples += weight * drawn
        return passed, expected_samples

    pass_good, cost = rates(0.9)
    pass_bad, _ = rates(0.1)
    assert round(1 - pass_good, 3) == 0.006
    assert round(pass_bad, 3) == 0.030
    assert round(cost, 2) == 3.05


def test_no_top_up_when_max_samples_equals_samples() -> None:
    plain = Policy(samples=3, min_matches=2, max_samples=3)
    assert plain.decide(1, 3) == "fail"
    assert plain.decide(2, 3) == "pass"


def test_single_sample_policy() -> None:
    one = Policy(samples=1, min_matches=1, max_samples=1)
    assert (one.decide(1, 1), one.decide(0, 1)) == ("pass", "fail")
