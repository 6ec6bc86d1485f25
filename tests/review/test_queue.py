"""The queue puts what needs a reviewer first: failed, new, changed since approval, other problems, then passes."""

from __future__ import annotations

from typing import Any

from promptlib.review._queue import BUCKETS, build_queue


def case(suite: str, name: str, status: str, *, changed: bool = False, **fields: Any) -> dict[str, Any]:
    entry = {"suite": suite, "case": name, "key": f"{suite}/{name}", "status": status, "message": f"{name} says"}
    if changed:
        entry["changed_since_approval"] = {"from_version": 1, "to_version": 2}
    return entry | fields


CASES = [
    case("shop", "mug", "passed"),
    case("brand", "logo", "passed", changed=True),
    case("brand", "icon", "failed", matches=1, drawn=3),
    case("shop", "kettle", "new", matches=0, drawn=3),
    case("shop", "broken", "error"),
    case("brand", "blank", "degenerate"),
    case("brand", "plain", "passed"),
]


def test_failed_then_new_then_changed_then_other_problems_then_passes() -> None:
    queue = build_queue(CASES)
    assert [i.key for i in queue.items] == [
        "brand/blank",
        "brand/icon",
        "shop/kettle",
        "brand/logo",
        "shop/broken",
        "brand/plain",
        "shop/mug",
    ]
    assert [i.bucket for i in queue.items] == ["failed", "failed", "new", "changed", "other", "passed", "passed"]


def test_counts_cover_every_bucket_and_say_how_many_need_a_reviewer() -> None:
    queue = build_queue(CASES)
    assert queue.counts == {"failed": 2, "new": 1, "changed": 1, "other": 1, "passed": 2}
    assert tuple(queue.counts) == BUCKETS
    assert queue.attention == 5
    assert build_queue([]).counts == dict.fromkeys(BUCKETS, 0)


def test_grouped_by_suite_with_passes_one_step_away() -> None:
    queue = build_queue(CASES)
    groups = queue.groups()
    assert [(g.suite, [i.case for i in g.items]) for g in groups] == [
        ("brand", ["blank", "icon", "logo"]),
        ("shop", ["kettle", "broken"]),
    ]
    every = queue.groups(include_passed=True)
    assert [i.case for i in every[0].items] == ["blank", "icon", "logo", "plain"]


def test_moving_on_after_a_decision_goes_to_the_next_case_needing_review() -> None:
    queue = build_queue(CASES)
    assert queue.next_after(None) == "brand/blank"
    assert queue.next_after("brand/icon") == "shop/kettle"
    assert queue.next_after("shop/broken") is None
    assert queue.next_after("shop/broken", include_passed=True) == "brand/plain"


def test_items_carry_the_runners_message_and_k_of_n() -> None:
    item = build_queue(CASES).items[1]
    assert (item.summary, item.matched, item.status) == ("icon says", "1/3", "failed")
    assert build_queue(CASES).items[4].matched == ""


def test_entries_that_are_not_objects_are_left_out() -> None:
    assert [i.key for i in build_queue([*CASES[:1], "junk", 3]).items] == ["shop/mug"]  # type: ignore[list-item]
