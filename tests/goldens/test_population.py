"""Specification of the packed golden population: calibrating a case against the others' goldens packed once
gives exactly what measuring them one by one gives, for every case, and anything that cannot be packed is
measured one by one."""

from __future__ import annotations

import random

import pytest

from promptlib.goldens._compare import calibrate
from promptlib.goldens._hashing import VOTING
from promptlib.goldens._population import GoldenHashes

Hashes = dict[str, int]


def population(cases: int, seed: int, *, near: bool = False) -> dict[tuple[str, str], list[Hashes]]:
    """`cases` cases of one to four goldens; with `near`, every hash a few bits from one base (as a project
    of look-alike images), so distances tie and order statistics are tested on repeats."""
    rng = random.Random(seed)
    base = {alg: rng.getrandbits(64) for alg in VOTING}

    def one() -> Hashes:
        if not near:
            return {alg: rng.getrandbits(64) for alg in VOTING}
        return {alg: base[alg] ^ sum(1 << rng.randrange(64) for _ in range(rng.randrange(4))) for alg in VOTING}

    return {("suite", f"case-{i}"): [one() for _ in range(rng.randint(1, 4))] for i in range(cases)}


@pytest.mark.parametrize("near", [False, True])
@pytest.mark.parametrize(("cases", "seed"), [(2, 1), (8, 2), (40, 3), (120, 4)])
def test_packed_calibration_is_the_one_measured_one_by_one(cases: int, seed: int, near: bool) -> None:
    found = population(cases, seed, near=near)
    every = GoldenHashes(found)
    for key, goldens in found.items():
        others = every.others(key)
        one_by_one = [hashes for other, listed in found.items() if other != key for hashes in listed]
        assert len(others) == len(one_by_one) and list(others) == one_by_one
        assert calibrate(goldens, others) == calibrate(goldens, one_by_one), key


def test_a_case_not_in_the_population_is_measured_against_all_of_it() -> None:
    found = population(10, 5)
    outsider = population(1, 6)[("suite", "case-0")]
    everyone = [hashes for listed in found.values() for hashes in listed]
    assert calibrate(outsider, GoldenHashes(found).others(("suite", "new"))) == calibrate(outsider, everyone)


def test_hashes_wider_than_64_bits_are_measured_one_by_one() -> None:
    found = population(12, 7)
    found[("suite", "wide")] = [dict.fromkeys(VOTING, 1 << 70)]
    every = GoldenHashes(found)
    key = ("suite", "case-0")
    assert every.others(key).cross_percentile(found[key], "phash", 0.05) is None  # not packable
    one_by_one = [hashes for other, listed in found.items() if other != key for hashes in listed]
    assert calibrate(found[key], every.others(key)) == calibrate(found[key], one_by_one)


def test_what_was_packed_cannot_go_stale() -> None:
    found = population(6, 8)
    every = GoldenHashes(found)
    before = calibrate(found[("suite", "case-0")], every.others(("suite", "case-0")))
    found[("suite", "case-1")].append(dict.fromkeys(VOTING, 0))  # the caller's dict changes afterwards
    every[("suite", "case-2")][0]["phash"] = 0  # and so does a copy read back out
    assert calibrate(found[("suite", "case-0")], every.others(("suite", "case-0"))) == before
