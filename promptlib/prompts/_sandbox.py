"""The Jinja environment templates render in: sandboxed, strict and resource-bounded.

Templates come from pull requests, so a template must not reach Python internals,
read files outside ``prompts/partials``, or take the machine down with a huge
string, a huge number or an endless loop. Jinja's immutable sandbox blocks the
internals; this module adds budgets (iterations, calls, sizes, output) that are
charged per render, and rewrites each parsed template so loops and ``~`` joins are
charged too.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.exceptions import TemplateNotFound as JinjaTemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from promptlib.core._bounded import read_text

MAX_ITERATIONS = 10_000
MAX_CALLS = 10_000
MAX_STRING = 100_000
MAX_OUTPUT = 200_000
MAX_WORK = 2_000_000  # characters/items built or handed to filters and methods in one render
MAX_INT_BITS = 128
MAX_WIDTH = 1_000

_ITER = "_promptlib_iter"
_CONCAT = "_promptlib_concat"
_VALUE = "_promptlib_value"
HELPER_NAMES = frozenset({_ITER, _CONCAT, _VALUE})

_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "slice", "batch"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_GROWING_FILTERS = frozenset({"replace", "indent", "wordwrap", "urlize"})
_PRINTF_WIDTH = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SPEC_NUMBERS = re.compile(r"\d+")


class ResourceLimit(Exception):
    """Raised inside a render when a budget runs out; mapped to ResourceLimitExceeded."""


class UnsafeTemplate(Exception):
    """Raised while parsing when a template uses a construct the sandbox forbids."""

    def __init__(self, message: str, lineno: int | None) -> None:
        super().__init__(message)
        self.lineno = lineno


@dataclass
class _Budget:
    iterations: int = MAX_ITERATIONS
    calls: int = MAX_CALLS
    work: int = MAX_WORK
    weights: dict[int, tuple[Any, int]] = field(default_factory=dict)  # id -> (object, weight)


_BUDGET: ContextVar[_Budget | None] = ContextVar("promptlib_render_budget", default=None)


def _charge(kind: str) -> None:
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


def _bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _charge("iterations")
        yield item


def _bounded_concat(parts: list[Any]) -> str:
    texts = [str(part) for part in parts]
    _check_size(sum(map(len, texts)), "a ~ join")
    return "".join(texts)


def _check_size(size: int, what: str) -> None:
    if size > MAX_STRING:
        raise ResourceLimit(f"{what} would build a value of {size:,} items/characters (limit {MAX_STRING:,})")
    _charge_work(size)


def _charge_work(amount: int) -> None:
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


def _size_of(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else None


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _weight(value: Any) -> int:
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


def _checked_value(value: Any, what: str = "a list or dict literal") -> Any:
    _check_size(_weight(value), what)
    return value


def _check_expansion(fmt: str, fields: int, args: Iterable[Any], what: str) -> None:
    """A format string repeats its arguments once per field: '%(a)s' * 20000 % {'a': big}."""
    heaviest = max((_weight(a) for a in args), default=0)
    _check_size(len(fmt) + fields * heaviest, what)


def _check_printf(fmt: str) -> None:
    for match in _PRINTF_WIDTH.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number is not None and int(number) > MAX_WIDTH):
                raise ResourceLimit(f"format widths above {MAX_WIDTH} are not allowed")


def _check_format_spec(fmt: str) -> None:
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


def _count_fields(fmt: str) -> int:
    try:
        return sum(1 for _, name, _, _ in string.Formatter().parse(fmt) if name is not None)
    except ValueError:
        return 0


def _checked_binop(op: str, left: Any, right: Any) -> None:
    """Refuse operations whose result would be huge, before computing them."""
    if op == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * math.log2(abs(left)) > MAX_INT_BITS:
            raise ResourceLimit(f"{left} ** {right} is too large to compute")
    elif op == "*":
        for seq, count in ((left, right), (right, left)):
            if _size_of(seq) is not None and isinstance(count, int):
                _check_size(_weight(seq) * count, "a repetition")
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise ResourceLimit("an integer product is too large to compute")
    elif op == "+":
        if _size_of(left) is not None and _size_of(right) is not None:
            _check_size(_weight(left) + _weight(right), "a concatenation")
    elif op == "%" and isinstance(left, str):
        _check_printf(left)
        args = right.values() if isinstance(right, dict) else right if isinstance(right, tuple) else (right,)
        _check_expansion(left, left.count("%"), args, "a % format")


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _charge("calls")
        # pass_context/pass_environment filters get an extra first argument
        pos = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
        if len(args) > pos:
            _charge_work(_weight(args[pos]))
        if name in _WIDTH_FILTERS:
            extra = [*args[pos + 1 :], *kwargs.values()]
            if any(isinstance(a, int) and abs(a) > MAX_WIDTH for a in extra):
                raise ResourceLimit(f"the {name} filter takes widths up to {MAX_WIDTH}")
        if name == "format" and len(args) > pos and isinstance(args[pos], str):
            _check_printf(args[pos])
            _check_expansion(args[pos], args[pos].count("%"), [*args[pos + 1 :], *kwargs.values()], "the format filter")
        if name in _GROWING_FILTERS and len(args) > pos:
            _check_text_filter(name, str(args[pos]), args[pos + 1 :], kwargs)
        if name == "join" and len(args) > pos:
            items = list(args[pos])
            sep = args[pos + 1] if len(args) > pos + 1 else kwargs.get("d", "")
            estimate = len(str(sep)) * len(items) + sum(len(str(i)) for i in items)
            _check_size(estimate, "the join filter")
            args = (*args[:pos], items, *args[pos + 1 :])
        result = func(*args, **kwargs)
        return _checked_value(result, f"the {name} filter")

    return guarded


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes) else len(str(value))


def _check_text_filter(name: str, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Bound filters that repeat an argument once per match, line or word, before they build the result."""

    def arg(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "replace":
        old, new = arg(0, "old", ""), arg(1, "new", "")
        estimate = len(text) + (len(text) // max(_text_size(old), 1) + 1) * _text_size(new)
    elif name == "indent":
        width = arg(0, "width", 4)
        per_line = width if isinstance(width, int) else _text_size(width)
        estimate = len(text) + (text.count("\n") + 1) * per_line
    elif name == "wordwrap":
        width = arg(0, "width", 79)
        lines = len(text.split()) + len(text) // max(width if isinstance(width, int) else 1, 1) + 1
        estimate = len(text) + lines * _text_size(arg(2, "wrapstring") or "\n")
    else:  # urlize: every word may become a link carrying target= and rel=
        extra = _text_size(arg(2, "target") or "") + _text_size(arg(3, "rel") or "") + 50
        estimate = 3 * len(text) + len(text.split()) * extra
    _check_size(estimate, f"the {name} filter")


def _check_method(owner: str | bytes, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Bound str and bytes methods whose result grows with a width or an argument."""
    what = f"{type(owner).__name__}.{method}"
    if method in _WIDTH_METHODS and any(isinstance(a, int) and a > MAX_WIDTH for a in (*args, *kwargs.values())):
        raise ResourceLimit(f"{what} takes widths up to {MAX_WIDTH}")
    if method == "replace" and len(args) >= 2:
        old, new = _text_size(args[0]), _text_size(args[1])
        _check_size(len(owner) + (len(owner) // max(old, 1) + 1) * new, what)
    if method == "expandtabs":
        tab = "\t" if isinstance(owner, str) else b"\t"
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int):
            _check_size(len(owner) + owner.count(tab) * tabsize, what)  # type: ignore[arg-type]
    if method == "translate" and args and isinstance(args[0], Mapping):
        heaviest = max((_weight(v) for v in args[0].values()), default=1)
        _check_size(len(owner) * heaviest, what)


def _refuse_dunder(obj: Any, name: Any) -> None:
    """Asking for a dunder is an escape attempt whether or not the object has one (``range.__self__``);
    left to the sandbox, a missing one would be a vague 'undefined' error instead."""
    if isinstance(name, str) and name.startswith("__") and not (isinstance(obj, Mapping) and name in obj):
        raise SecurityError(f"access to attribute {name!r} of {type(obj).__name__!r} object is unsafe")


class PartialLoader(BaseLoader):
    """Loads ``{% include %}`` targets from prompts/partials only, and says why not otherwise."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_root = root.resolve()

    def resolve(self, name: str) -> Path:
        """The partial's file, or UnsafeTemplate/JinjaTemplateNotFound explaining the refusal."""
        parts = _partial_parts(name)
        path = self.root.joinpath(*parts)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise JinjaTemplateNotFound(name) from None
        if not real.is_relative_to(self._resolved_root):
            raise UnsafeTemplate(f"include {name!r} is a link that leaves prompts/partials/", None)
        return real

    def read(self, name: str) -> tuple[str, Path]:
        """The partial's text and the path errors should name (raises like :meth:`resolve`, or OSError)."""
        path = self.resolve(name)
        return read_text(path, within=self._resolved_root), path

    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        path = self.resolve(template)
        source = read_text(path, within=self._resolved_root)
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime


class MemoryPartialLoader(PartialLoader):
    """Partials from a name -> text mapping (a bundle), under the same naming rules as files.

    A bundle must render exactly what the files rendered, so the same names are
    refused for the same reasons; ``root`` is only what error messages call the
    directory, and nothing is ever read from disk.
    """

    def __init__(self, root: Path, partials: Mapping[str, str]) -> None:
        self.root = root
        self._resolved_root = root
        self.partials = partials

    def resolve(self, name: str) -> Path:
        parts = _partial_parts(name)
        if "/".join(parts) not in self.partials:
            raise JinjaTemplateNotFound(name)
        return self.root.joinpath(*parts)

    def read(self, name: str) -> tuple[str, Path]:
        path = self.resolve(name)
        return self.partials["/".join(_partial_parts(name))], path

    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, path = self.read(template)
        return source, str(path), lambda: True


def _partial_parts(name: str) -> list[str]:
    """Split an include name, refusing anything that could leave prompts/partials/ or is not a .j2 file."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise UnsafeTemplate(f"include {name!r} leaves prompts/partials/; use a path inside it", None)
    if not name.endswith(".j2") or "" in parts or "\\" in name:
        raise JinjaTemplateNotFound(f"{name} (partials are .j2 files under prompts/partials/)")
    return parts


class _Rewriter:
    """Charges loops, ``~`` joins and literals to the budget, and refuses constructs we cannot bound or hash.

    One in-place walk (faster than jinja's NodeTransformer) that also records the names the template
    assigns and its literal include targets, which the compiler needs and would otherwise walk again for.
    """

    def __init__(self) -> None:
        self.assigned: set[str] = set()
        self.includes: list[tuple[str, int]] = []
        self.first_loads: dict[str, int] = {}  # name -> line it is first read on (for "not declared" errors)

    def rewrite(self, node: nodes.Node) -> nodes.Node:
        kind = type(node)
        if isinstance(node, nodes.Name):
            if node.ctx in ("store", "param"):
                self.assigned.add(node.name)
            elif node.name not in self.first_loads:
                self.first_loads[node.name] = node.lineno
            return node
        if kind is nodes.Extends:
            raise UnsafeTemplate("{% extends %} is not supported; use {% include %} of a partial", node.lineno)
        if isinstance(node, nodes.For) and node.recursive:
            raise UnsafeTemplate("recursive loops are not allowed in prompt templates", node.lineno)
        if kind in (nodes.Include, nodes.Import, nodes.FromImport):
            self._literal_target(node)
        for name in node.fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, nodes.Node):
                        value[index] = self.rewrite(item)
            elif isinstance(value, nodes.Node):
                setattr(node, name, self.rewrite(value))
        return self._charged(kind, node)

    @staticmethod
    def _charged(kind: type[nodes.Node], node: nodes.Node) -> nodes.Node:
        lineno = node.lineno
        if isinstance(node, nodes.For):
            node.iter = nodes.Call(nodes.Name(_ITER, "load"), [node.iter], [], None, None, lineno=lineno)
        elif isinstance(node, nodes.Concat):
            return nodes.Call(nodes.Name(_CONCAT, "load"), [nodes.List(node.nodes)], [], None, None, lineno=lineno)
        elif kind in (nodes.List, nodes.Tuple, nodes.Dict) and getattr(node, "ctx", "load") == "load":
            # (a Tuple with ctx "store" is an unpacking target such as {% for a, b in pairs %})
            return nodes.Call(nodes.Name(_VALUE, "load"), [node], [], None, None, lineno=lineno)
        return node

    def _literal_target(self, node: nodes.Node) -> None:
        target = getattr(node, "template", None)
        if not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
            raise UnsafeTemplate(
                "include and import targets must be quoted paths, so the content hash can cover them",
                node.lineno,
            )
        self.includes.append((target.value, node.lineno))


class PromptEnvironment(ImmutableSandboxedEnvironment):
    """Immutable sandbox + StrictUndefined + budgets; one per prompts/ directory."""

    intercepted_binops = frozenset({"+", "*", "**", "%", "//"})

    def __init__(self, partials_dir: Path, loader: PartialLoader | None = None) -> None:
        super().__init__(
            loader=loader or PartialLoader(partials_dir),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            auto_reload=True,
        )
        # Jinja's optimizer only folds constants, and in the sandbox most operators are intercepted and
        # never folded anyway: skipping its extra walk over every template saves ~4% of load time.
        self.optimized = False
        self.globals.pop("lipsum", None)
        self.globals[_ITER] = _bounded_iter
        self.globals[_CONCAT] = _bounded_concat
        self.globals[_VALUE] = _checked_value
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Joins the output buffered by macros, {% set %} blocks and {% filter %} blocks."""
        chunks = list(parts)
        _check_size(sum(map(len, chunks)), "a block of template output")
        return "".join(chunks)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        rewriter = _Rewriter()
        try:
            rewritten = rewriter.rewrite(tree)
        except UnsafeTemplate as exc:
            raise TemplateSyntaxError(f"unsafe: {exc}", exc.lineno or 1, name, filename) from None
        assert isinstance(rewritten, nodes.Template)
        rewritten.promptlib_refs = (rewriter.assigned, rewriter.includes)  # type: ignore[attr-defined]
        rewritten.promptlib_loads = rewriter.first_loads  # type: ignore[attr-defined]
        return rewritten

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Fail at once: an Undefined would hide the escape attempt behind a vaguer error."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    def getattr(self, obj: Any, attribute: str) -> Any:
        _refuse_dunder(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _refuse_dunder(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        _checked_binop(operator_, left, right)
        return super().call_binop(context, operator_, left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _charge("calls")
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        if isinstance(owner, str | bytes):
            _charge_work(len(owner))
            _check_method(owner, method, args, kwargs)
            if method == "join" and args:
                items = list(args[0])
                _check_size(len(owner) * len(items) + sum(_text_size(i) for i in items), "str.join")
                args = (items, *args[1:])
        elif isinstance(owner, int) and method == "to_bytes":
            length = args[0] if args else kwargs.get("length", 1)
            if isinstance(length, int) and length > MAX_STRING:
                raise ResourceLimit(f"int.to_bytes would build {length:,} bytes (limit {MAX_STRING:,})")
        result = super().call(__context, __obj, *args, **kwargs)
        return _checked_value(result, "a call")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_spec(fmt)
            _check_expansion(fmt, _count_fields(fmt), [*args, *kwargs.values()], "str.format")
            return wrapper(*args, **kwargs)

        return checked
