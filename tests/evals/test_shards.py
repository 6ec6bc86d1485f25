"""`--shard K/N`: every case on exactly one shard, and a case's shard never moves when suites grow."""

from __future__ import annotations

import pytest

from promptlib.evals._cases import EvalCase
from promptlib.evals._shards import Shard, shard_cases, shard_of
from promptlib.evals._suites import Expect
from promptlib.exceptions import UsageError
from promptlib.goldens._compare import Policy


def case(suite: str, case_id: str) -> EvalCase:
    return EvalCase(suite, case_id, "icons/icon", {}, Policy(samples=1, min_matches=1, max_samples=1), Expect(), None)


CASES = [case(suite, f"case-{i}") for suite in ("brand", "social", "safety") for i in range(6)]


@pytest.mark.parametrize("total", [1, 2, 3, 5, 7])
def test_the_shards_of_n_run_every_case_exactly_once(total: int) -> None:
    runs = [c.key for k in range(1, total + 1) for c in shard_cases(CASES, Shard(k, total))]
    assert sorted(runs) == sorted(c.key for c in CASES)


def test_three_shards_each_get_some_of_eighteen_cases_in_file_order() -> None:
    for k in (1, 2, 3):
        mine = shard_cases(CASES, Shard(k, 3))
        assert mine, f"shard {k}/3 is empty"
        assert mine == [c for c in CASES if c in mine]  # original order kept


def test_adding_removing_or_reordering_cases_keeps_every_other_case_on_its_shard() -> None:
    before = {c.key: k for k in (1, 2, 3) for c in shard_cases(CASES, Shard(k, 3))}
    grown = [case("brand", "case-new"), *reversed(CASES[1:])]
    after = {c.key: k for k in (1, 2, 3) for c in shard_cases(grown, Shard(k, 3))}
    assert {key: after[key] for key in before if key in after} == {key: before[key] for key in after if key in before}
    assert "brand/case-new" in after


def test_the_shard_is_a_pure_function_of_the_key() -> None:
    assert shard_of("brand/logo", 3) == shard_of("brand/logo", 3)
    assert {shard_of(c.key, 4) for c in CASES} <= {1, 2, 3, 4}


@pytest.mark.parametrize(
    "text, expected", [("1/3", Shard(1, 3)), ("3/3", Shard(3, 3)), (" 2 / 4 ", Shard(2, 4)), ("1/1", Shard(1, 1))]
)
def test_parse(text: str, expected: Shard) -> None:
    assert Shard.parse(text) == expected
    assert str(expected) == f"{expected.index}/{expected.total}"


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "0/0", "2", "a/b", "-1/3", "1/3/2", ""])
def test_parse_refuses_anything_but_k_of_n(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        Shard.parse(text)
