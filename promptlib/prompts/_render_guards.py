"""Checks made before an operation runs in a template: would it build something huge, or reach internals?

The immutable sandbox decides what may be called; these decide how big it may get: ``*`` and ``**`` on
numbers and sequences, ``%`` and ``str.format`` expansions, widths, growing filters and methods, and any
dunder lookup (an escape attempt whether or not the object has one).
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2.exceptions import SecurityError

from promptlib.prompts._render_budget import (
    MAX_INT_BITS,
    MAX_WIDTH,
    ResourceLimit,
    charge,
    charge_work,
    check_size,
    checked_value,
    size_of,
    weight,
)

_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "slice", "batch"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_GROWING_FILTERS = frozenset({"replace", "indent", "wordwrap", "urlize"})
_PRINTF_WIDTH = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SPEC_NUMBERS = re.compile(r"\d+")


def check_expansion(fmt: str, fields: int, args: Iterable[Any], what: str) -> None:
    """A format string repeats its arguments once per field: '%(a)s' * 20000 % {'a': big}."""
    heaviest = max((weight(a) for a in args), default=0)
    check_size(len(fmt) + fields * heaviest, what)


def check_printf(fmt: str) -> None:
    for match in _PRINTF_WIDTH.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number is not None and int(number) > MAX_WIDTH):
                raise ResourceLimit(f"format widths above {MAX_WIDTH} are not allowed")


def check_format_spec(fmt: str) -> None:
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format itself will report the malformed string
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            raise ResourceLimit("nested format specs are not allowed in templates")
        if any(int(n) > MAX_WIDTH for n in _SPEC_NUMBERS.findall(spec)):
            raise ResourceLimit(f"format widths above {MAX_WIDTH} are not allowed")


def count_fields(fmt: str) -> int:
    try:
        return sum(1 for _, name, _, _ in string.Formatter().parse(fmt) if name is not None)
    except ValueError:
        return 0


def checked_binop(op: str, left: Any, right: Any) -> None:
    """Refuse operations whose result would be huge, before computing them."""
    if op == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * math.log2(abs(left)) > MAX_INT_BITS:
            raise ResourceLimit(f"{left} ** {right} is too large to compute")
    elif op == "*":
        for seq, count in ((left, right), (right, left)):
            if size_of(seq) is not None and isinstance(count, int):
                check_size(weight(seq) * count, "a repetition")
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise ResourceLimit("an integer product is too large to compute")
    elif op == "+":
        if size_of(left) is not None and size_of(right) is not None:
            check_size(weight(left) + weight(right), "a concatenation")
    elif op == "%" and isinstance(left, str):
        check_printf(left)
        args = right.values() if isinstance(right, dict) else right if isinstance(right, tuple) else (right,)
        check_expansion(left, left.count("%"), args, "a % format")


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        charge("calls")
        # pass_context/pass_environment filters get an extra first argument
        pos = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
        if len(args) > pos:
            charge_work(weight(args[pos]))
        if name in _WIDTH_FILTERS:
            extra = [*args[pos + 1 :], *kwargs.values()]
            if any(isinstance(a, int) and abs(a) > MAX_WIDTH for a in extra):
                raise ResourceLimit(f"the {name} filter takes widths up to {MAX_WIDTH}")
        if name == "format" and len(args) > pos and isinstance(args[pos], str):
            check_printf(args[pos])
            check_expansion(args[pos], args[pos].count("%"), [*args[pos + 1 :], *kwargs.values()], "the format filter")
        if name in _GROWING_FILTERS and len(args) > pos:
            _check_text_filter(name, str(args[pos]), args[pos + 1 :], kwargs)
        if name == "join" and len(args) > pos:
            items = list(args[pos])
            sep = args[pos + 1] if len(args) > pos + 1 else kwargs.get("d", "")
            estimate = len(str(sep)) * len(items) + sum(len(str(i)) for i in items)
            check_size(estimate, "the join filter")
            args = (*args[:pos], items, *args[pos + 1 :])
        result = func(*args, **kwargs)
        return checked_value(result, f"the {name} filter")

    return guarded


def text_size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes) else len(str(value))


def _check_text_filter(name: str, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Bound filters that repeat an argument once per match, line or word, before they build the result."""

    def arg(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "replace":
        old, new = arg(0, "old", ""), arg(1, "new", "")
        estimate = len(text) + (len(text) // max(text_size(old), 1) + 1) * text_size(new)
    elif name == "indent":
        width = arg(0, "width", 4)
        per_line = width if isinstance(width, int) else text_size(width)
        estimate = len(text) + (text.count("\n") + 1) * per_line
    elif name == "wordwrap":
        width = arg(0, "width", 79)
        lines = len(text.split()) + len(text) // max(width if isinstance(width, int) else 1, 1) + 1
        estimate = len(text) + lines * text_size(arg(2, "wrapstring") or "\n")
    else:  # urlize: every word may become a link carrying target= and rel=
        extra = text_size(arg(2, "target") or "") + text_size(arg(3, "rel") or "") + 50
        estimate = 3 * len(text) + len(text.split()) * extra
    check_size(estimate, f"the {name} filter")


def check_method(owner: str | bytes, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Bound str and bytes methods whose result grows with a width or an argument."""
    what = f"{type(owner).__name__}.{method}"
    if method in _WIDTH_METHODS and any(isinstance(a, int) and a > MAX_WIDTH for a in (*args, *kwargs.values())):
        raise ResourceLimit(f"{what} takes widths up to {MAX_WIDTH}")
    if method == "replace" and len(args) >= 2:
        old, new = text_size(args[0]), text_size(args[1])
        check_size(len(owner) + (len(owner) // max(old, 1) + 1) * new, what)
    if method == "expandtabs":
        tab = "\t" if isinstance(owner, str) else b"\t"
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int):
            check_size(len(owner) + owner.count(tab) * tabsize, what)  # type: ignore[arg-type]
    if method == "translate" and args and isinstance(args[0], Mapping):
        heaviest = max((weight(v) for v in args[0].values()), default=1)
        check_size(len(owner) * heaviest, what)


def refuse_dunder(obj: Any, name: Any) -> None:
    """Asking for a dunder is an escape attempt whether or not the object has one (``range.__self__``);
    left to the sandbox, a missing one would be a vague 'undefined' error instead."""
    if isinstance(name, str) and name.startswith("__") and not (isinstance(obj, Mapping) and name in obj):
        raise SecurityError(f"access to attribute {name!r} of {type(obj).__name__!r} object is unsafe")
