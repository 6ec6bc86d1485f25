"""The Jinja environment templates render in: sandboxed, strict and resource-bounded.

Templates come from pull requests, so a template must not reach Python internals,
read files outside ``prompts/partials``, or take the machine down with a huge
string, a huge number or an endless loop. Jinja's immutable sandbox blocks the
internals; on top of it come budgets charged per render (`_render_budget`), checks
before operations that could build something huge (`_render_guards`), a loader that
reads only partials (`_partial_loader`) and a rewrite of each parsed template so
loops and ``~`` joins are charged too (`_template_rewriter`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptlib.prompts._partial_loader import MemoryPartialLoader, PartialLoader
from promptlib.prompts._render_budget import (
    MAX_OUTPUT,
    MAX_STRING,
    ResourceLimit,
    bounded_concat,
    bounded_iter,
    charge,
    charge_work,
    check_size,
    checked_value,
    render_budget,
)
from promptlib.prompts._render_guards import (
    check_expansion,
    check_format_spec,
    check_method,
    checked_binop,
    count_fields,
    guard_filter,
    refuse_dunder,
    text_size,
)
from promptlib.prompts._template_rewriter import (
    CONCAT,
    HELPER_NAMES,
    ITER,
    VALUE,
    TemplateRewriter,
    UnsafeTemplate,
    index_searches,
)

__all__ = [
    "HELPER_NAMES",
    "MAX_OUTPUT",
    "MemoryPartialLoader",
    "PartialLoader",
    "PromptEnvironment",
    "ResourceLimit",
    "UnsafeTemplate",
    "render_budget",
]


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
        self.globals[ITER] = bounded_iter
        self.globals[CONCAT] = bounded_concat
        self.globals[VALUE] = checked_value
        self.filters = {name: guard_filter(name, f) for name, f in self.filters.items()}

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Joins the output buffered by macros, {% set %} blocks and {% filter %} blocks."""
        chunks = list(parts)
        check_size(sum(map(len, chunks)), "a block of template output")
        return "".join(chunks)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        rewriter = TemplateRewriter()
        try:
            rewritten = rewriter.rewrite(tree)
        except UnsafeTemplate as exc:
            raise TemplateSyntaxError(f"unsafe: {exc}", exc.lineno or 1, name, filename) from None
        assert isinstance(rewritten, nodes.Template)
        index_searches(rewritten, rewriter)
        rewritten.promptlib_refs = (rewriter.assigned, rewriter.includes)  # type: ignore[attr-defined]
        rewritten.promptlib_loads = rewriter.first_loads  # type: ignore[attr-defined]
        return rewritten

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Fail at once: an Undefined would hide the escape attempt behind a vaguer error."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    def getattr(self, obj: Any, attribute: str) -> Any:
        refuse_dunder(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        refuse_dunder(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        checked_binop(operator_, left, right)
        return super().call_binop(context, operator_, left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        charge("calls")
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        if isinstance(owner, str | bytes):
            charge_work(len(owner))
            check_method(owner, method, args, kwargs)
            if method == "join" and args:
                items = list(args[0])
                check_size(len(owner) * len(items) + sum(text_size(i) for i in items), "str.join")
                args = (items, *args[1:])
        elif isinstance(owner, int) and method == "to_bytes":
            length = args[0] if args else kwargs.get("length", 1)
            if isinstance(length, int) and length > MAX_STRING:
                raise ResourceLimit(f"int.to_bytes would build {length:,} bytes (limit {MAX_STRING:,})")
        result = super().call(__context, __obj, *args, **kwargs)
        return checked_value(result, "a call")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            check_format_spec(fmt)
            check_expansion(fmt, count_fields(fmt), [*args, *kwargs.values()], "str.format")
            return wrapper(*args, **kwargs)

        return checked
