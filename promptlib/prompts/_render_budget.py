"""Budgets charged per render: iterations, calls, and the values a template builds or hands to filters.

Sizes alone bound memory; the work budget bounds time. Each render gets fresh budgets (`render_budget`),
held in a context variable so nested renders (includes) share the outer one.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2.utils import Namespace

MAX_ITERATIONS = 10_000
MAX_CALLS = 10_000
MAX_STRING = 100_000
MAX_OUTPUT = 200_000
MAX_WORK = 2_000_000  # characters/items built or handed to filters and methods in one render
MAX_INT_BITS = 128
MAX_WIDTH = 1_000


class ResourceLimit(Exception):
    """Raised inside a render when a budget runs out; mapped to ResourceLimitExceeded."""


@dataclass
class _Budget:
    iterations: int = MAX_ITERATIONS
    calls: int = MAX_CALLS
    work: int = MAX_WORK
    weights: dict[int, tuple[Any, int]] = field(default_factory=dict)  # id -> (object, weight)


_BUDGET: ContextVar[_Budget | None] = ContextVar("promptlib_render_budget", default=None)


def charge(kind: str) -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    if kind == "iterations":
        budget.iterations -= 1
        if budget.iterations < 0:
            raise ResourceLimit(f"loops ran more than {MAX_ITERATIONS} iterations in one render")
    else:
        budget.calls -= 1
        if budget.calls < 0:
            raise ResourceLimit(f"more than {MAX_CALLS} calls in one render (runaway recursion?)")


class render_budget:
    """Fresh budgets for one render; nested renders share the outer one."""

    def __enter__(self) -> None:
        self._token = _BUDGET.set(_Budget()) if _BUDGET.get() is None else None

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _BUDGET.reset(self._token)


def bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        charge("iterations")
        yield item


def bounded_concat(parts: list[Any]) -> str:
    texts = [str(part) for part in parts]
    check_size(sum(map(len, texts)), "a ~ join")
    return "".join(texts)


def check_size(size: int, what: str) -> None:
    if size > MAX_STRING:
        raise ResourceLimit(f"{what} would build a value of {size:,} items/characters (limit {MAX_STRING:,})")
    charge_work(size)


def charge_work(amount: int) -> None:
    """Every value built, and every value a filter or method is handed, costs its size.

    Sizes alone bound memory; this bounds time: a 10,000-pass loop that copies, sorts or
    sums a 100,000-item list would otherwise run for minutes while staying under them.
    """
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.work -= amount
    if budget.work < 0:
        raise ResourceLimit(f"the template processed more than {MAX_WORK:,} values/characters in one render")


def size_of(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else None


_CONTAINERS = (list, tuple, dict, set, frozenset)


def weight(value: Any) -> int:
    """Roughly how many characters ``str(value)`` makes, counting nested and repeated items.

    ``len`` is not enough: ``[[1] * 9999] * 9999`` has 9999 items but prints 300 MB,
    and a namespace that doubles a nested list in a loop grows as 2**n. Stops counting
    once past MAX_STRING. Lists, tuples and dicts cannot change inside the immutable
    sandbox, so their weights are remembered for the rest of the render.
    """
    budget = _BUDGET.get()
    memo = budget.weights if budget is not None else {}
    return _weigh(value, memo)


def _weigh(value: Any, memo: dict[int, tuple[Any, int]]) -> int:
    if isinstance(value, str | bytes):
        return max(len(value), 1)
    if isinstance(value, Namespace):  # mutable: weighed afresh each time, guarding against cycles
        if id(value) in memo:
            return memo[id(value)][1]
        memo[id(value)] = (value, 1)
        try:
            return _weigh_items(object.__getattribute__(value, "_Namespace__attrs").items(), memo)
        finally:
            del memo[id(value)]
    if isinstance(value, KeysView | ValuesView | ItemsView):
        return _weigh_items(value, memo)
    if not isinstance(value, _CONTAINERS):
        return 1
    hit = memo.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    memo[id(value)] = (value, 1)  # provisional: a cycle counts once, repr prints it as [...]
    weight = _weigh_items(value.items() if isinstance(value, dict) else value, memo)
    memo[id(value)] = (value, weight)
    return weight


_PLAIN_SCALARS = frozenset({int, float, bool, type(None)})


def _weigh_items(items: Iterable[Any], memo: dict[int, tuple[Any, int]]) -> int:
    total = 1
    for item in items:
        kind = type(item)
        if kind in _PLAIN_SCALARS:  # the common case, kept free of calls and ABC checks
            total += 1
        elif kind is str:
            total += len(item) or 1
        else:
            total += _weigh(item, memo)
        if total > MAX_STRING:
            return MAX_STRING + 1
    return total


def checked_value(value: Any, what: str = "a list or dict literal") -> Any:
    check_size(weight(value), what)
    return value
