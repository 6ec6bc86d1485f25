"""Calibration and verdicts: is a sample close enough to a case's approved goldens?

Two good generations of an open-ended prompt usually look unrelated to a 64-bit
perceptual hash, so there is no universal threshold. Each case's threshold is
calibrated from its own goldens' spread (leave-one-out nearest neighbour) and
capped below the distance to other cases' goldens; where the two overlap the case
is marked ``sensitivity: low`` and only checked for what hashes can judge (blank
output, exact or near-duplicate matches, look-alikes of rejected images).
See shared/reference/golden-image-regression.md §5.4–§5.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from promptlib.goldens._hashing import VOTING, distance
from promptlib.goldens._population import OtherGoldens

# "Same image" (re-encode, resize) thresholds, and the natural-image cross distances (p5) used
# while a project has too few goldens to measure its own.
DUPLICATE = {"phash": 8, "dhash": 8, "whash": 6}
NATURAL_CROSS_P5 = {"phash": 26, "dhash": 25, "whash": 21}
MARGIN = 4
SEPARATION = 4
#: No threshold reaches the distance at which unrelated natural images start to match: a hand-edited or
#: degenerate calibration can never open the gate wide (64 would pass anything).
CAP = {alg: NATURAL_CROSS_P5[alg] - SEPARATION for alg in NATURAL_CROSS_P5}
COLORHASH_WARN = 6
MIN_CROSS_SAMPLES = 20

SampleVerdict = Literal["identical", "near-identical", "match", "miss", "looks-rejected", "blank", "unchecked"]
#: Verdicts that count towards m-of-K: the one place that says so.
MATCHED: frozenset[str] = frozenset({"identical", "near-identical", "match"})
#: Samples approve leaves out unless named: blank output, and look-alikes of a rejected image.
NOT_APPROVED_BY_DEFAULT: frozenset[str] = frozenset({"blank", "looks-rejected"})
#: The names runs made before promptlib 0.2 used (downloaded run directories may still have them).
LEGACY_VERDICTS = {
    "exact": "identical",
    "duplicate": "near-identical",
    "rejected-dup": "looks-rejected",
    "degenerate": "blank",
}


def verdict_of(name: object) -> str:
    """A verdict as this version names it (old run directories use the legacy names)."""
    text = str(name)
    return LEGACY_VERDICTS.get(text, text)


Hashes = dict[str, int]


@dataclass(frozen=True)
class Calibration:
    """Per-case thresholds and how they were derived (stored in case.json)."""

    thresholds: dict[str, int]
    sensitivity: Literal["ok", "low"]
    loo_nn_max: dict[str, int | None]
    cross_case_p5: dict[str, int]
    cross_source: Literal["measured", "natural-images"]
    goldens: int

    def to_dict(self) -> dict[str, object]:
        return {
            "thresholds": self.thresholds,
            "sensitivity": self.sensitivity,
            "loo_nn_max": self.loo_nn_max,
            "cross_case_p5": self.cross_case_p5,
            "cross_source": self.cross_source,
            "goldens": self.goldens,
        }


def percentile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.floor(q * (len(ordered) - 1))))
    return ordered[index]


def calibrate(goldens: Sequence[Hashes], others: Sequence[Hashes]) -> Calibration:
    """Thresholds from this case's goldens and other cases' goldens."""
    loo: dict[str, int | None] = {}
    cross: dict[str, int] = {}
    measured = len(goldens) * len(others) >= MIN_CROSS_SAMPLES
    thresholds: dict[str, int] = {}
    overlapping = 0
    for alg in VOTING:
        loo[alg] = _loo_nn_max(goldens, alg)
        cross[alg] = _cross_p5(goldens, others, alg) if measured else NATURAL_CROSS_P5[alg]
        measured_spread = loo[alg]
        spread = measured_spread if measured_spread is not None else DUPLICATE[alg]
        wanted = spread + MARGIN
        ceiling = cross[alg] - SEPARATION
        if wanted > ceiling:
            overlapping += 1
        value = min(CAP[alg], max(DUPLICATE[alg], min(wanted, ceiling)))
        thresholds[alg] = value - value % 2 if alg == "phash" else value  # pHash distances are always even
    return Calibration(
        thresholds=thresholds,
        sensitivity="low" if overlapping >= 2 else "ok",
        loo_nn_max=loo,
        cross_case_p5=cross,
        cross_source="measured" if measured else "natural-images",
        goldens=len(goldens),
    )


def _cross_p5(goldens: Sequence[Hashes], others: Sequence[Hashes], alg: str) -> int:
    """The 5th percentile of the distances from this case's goldens to the others' (packed when it can be)."""
    fast = others.cross_percentile(goldens, alg, 0.05) if isinstance(others, OtherGoldens) else None
    return fast if fast is not None else percentile([distance(g[alg], o[alg]) for g in goldens for o in others], 0.05)


def _loo_nn_max(goldens: Sequence[Hashes], alg: str) -> int | None:
    if len(goldens) < 2:
        return None
    nearest = []
    for i, golden in enumerate(goldens):
        nearest.append(min(distance(golden[alg], other[alg]) for j, other in enumerate(goldens) if j != i))
    return max(nearest)


@dataclass(frozen=True)
class SampleComparison:
    """One sample against the golden set."""

    verdict: SampleVerdict
    nearest: int | None = None  # index of the nearest golden
    distances: dict[str, int] = field(default_factory=dict)
    votes: int = 0
    note: str = ""

    @property
    def matched(self) -> bool:
        return self.verdict in MATCHED


def compare_sample(
    sha256: str,
    hashes: Hashes,
    goldens: Sequence[tuple[str, Hashes]],
    rejected: Sequence[tuple[str, Hashes, str]],
    calibration: Calibration,
    degenerate: str | None = None,
) -> SampleComparison:
    """Verdict for one sample: blank, looks-rejected, identical, near-identical, match or miss (or unchecked)."""
    if degenerate:
        return SampleComparison("blank", note=degenerate)
    for rejected_sha, rejected_hashes, reason in rejected:
        if rejected_sha == sha256 or _votes(hashes, rejected_hashes, DUPLICATE) >= 2:
            return SampleComparison("looks-rejected", note=f"looks like a rejected image: {reason}")
    if not goldens:
        return SampleComparison("unchecked", note="no goldens")
    # The golden with the same bytes, if any (two goldens can share hashes: a re-encode); else the closest.
    best = next((i for i, (golden_sha, _) in enumerate(goldens) if golden_sha == sha256), None)
    if best is None:
        best = min(range(len(goldens)), key=lambda i: _rank(hashes, goldens[i][1], calibration.thresholds))
    golden_sha, golden_hashes = goldens[best]
    dists = {alg: distance(hashes[alg], golden_hashes[alg]) for alg in (*VOTING, "colorhash") if alg in hashes}
    votes = _votes(hashes, golden_hashes, calibration.thresholds)
    note = ""
    if dists.get("colorhash", 0) > COLORHASH_WARN:
        note = f"palette drift: colorhash distance {dists['colorhash']}"
    if golden_sha == sha256:
        return SampleComparison("identical", best, dists, 3, note)
    if _votes(hashes, golden_hashes, DUPLICATE) >= 2:
        return SampleComparison("near-identical", best, dists, votes, note)
    if calibration.sensitivity == "low":
        return SampleComparison("unchecked", best, dists, votes, "low sensitivity: hashes cannot judge this case")
    return SampleComparison("match" if votes >= 2 else "miss", best, dists, votes, note)


def nearly_identical(hashes: Hashes, goldens: Sequence[tuple[str, Hashes]]) -> tuple[int, dict[str, int]] | None:
    """The first golden `hashes` is a near-identical copy of (index, distances), or None."""
    for index, (_, golden) in enumerate(goldens):
        if _votes(hashes, golden, DUPLICATE) >= 2:
            return index, {alg: distance(hashes[alg], golden[alg]) for alg in VOTING}
    return None


def _votes(a: Hashes, b: Hashes, thresholds: dict[str, int]) -> int:
    return sum(distance(a[alg], b[alg]) <= thresholds[alg] for alg in VOTING)


def _rank(a: Hashes, b: Hashes, thresholds: dict[str, int]) -> tuple[int, float]:
    """Most votes first, then the smallest distance relative to each threshold."""
    votes = _votes(a, b, thresholds)
    relative = sum(distance(a[alg], b[alg]) / max(thresholds[alg], 1) for alg in VOTING)
    return (-votes, relative)


@dataclass(frozen=True)
class Policy:
    """m-of-K with one sequential top-up when the first K are ambiguous."""

    samples: int
    min_matches: int
    max_samples: int

    def decide(self, matches: int, drawn: int) -> Literal["pass", "fail", "top-up"]:
        allowed_misses = self.samples - self.min_matches
        misses = drawn - matches
        if drawn <= self.samples:
            if matches >= self.min_matches:
                return "pass"
            if matches == 0 or self.max_samples <= self.samples:
                return "fail"
            return "top-up"
        return "pass" if matches >= self.min_matches and misses <= allowed_misses + 1 else "fail"
