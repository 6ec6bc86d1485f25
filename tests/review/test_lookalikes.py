"""Look-alike failures: failed cases whose samples are near each other across cases are grouped for review."""

from __future__ import annotations

from typing import Any

from promptlib.review._lookalikes import lookalike_groups


def hashes(bits: int) -> dict[str, str]:
    """A sample's hashes: `bits` low bits set in each voting hash (distance between two = their bit difference)."""
    value = f"{(1 << bits) - 1:016x}"
    return {"phash": value, "dhash": value, "whash": value, "colorhash": "0"}


def case(name: str, status: str, *bit_counts: int) -> dict[str, Any]:
    return {
        "suite": "s",
        "case": name,
        "key": f"s/{name}",
        "status": status,
        "samples": [{"index": i, "hashes": hashes(b)} for i, b in enumerate(bit_counts)],
    }


def test_failed_cases_with_near_samples_form_one_group_joined_transitively() -> None:
    cases = [case("a", "failed", 0), case("b", "failed", 8), case("c", "failed", 16), case("far", "failed", 60)]
    (group,) = lookalike_groups(cases)
    assert group.keys == ["s/a", "s/b", "s/c"]  # a~b and b~c (8 bits apart each), a and c are 16 apart
    assert group.closest == 8


def test_passing_and_new_cases_are_not_grouped() -> None:
    assert lookalike_groups([case("a", "failed", 0), case("b", "passed", 0), case("c", "new", 0)]) == []


def test_any_pair_of_samples_is_enough() -> None:
    (group,) = lookalike_groups([case("a", "failed", 40, 0), case("b", "failed", 2, 60)])
    assert (group.keys, group.closest) == (["s/a", "s/b"], 2)


def test_unparsable_hashes_from_a_doctored_run_leave_the_sample_out() -> None:
    broken = case("b", "failed", 0)
    broken["samples"][0]["hashes"] = {"phash": "not-hex", "dhash": "0", "whash": "0"}
    assert lookalike_groups([case("a", "failed", 0), broken, {"status": "failed", "samples": "junk"}]) == []


def test_largest_groups_come_first() -> None:
    cases = [case("x", "failed", 60), case("y", "failed", 60), *(case(n, "failed", 0) for n in "abc")]
    assert [g.keys for g in lookalike_groups(cases)] == [["s/a", "s/b", "s/c"], ["s/x", "s/y"]]
