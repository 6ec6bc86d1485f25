"""Compile template text once: parse, check, find variables and partials, build code.

Parsing once and compiling from the same tree keeps load time near bare Jinja,
and the tree tells us which variables and partials a template really uses, which
is what the declared-vs-used check and the content hash need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from jinja2 import Template, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import TemplateNotFound as JinjaTemplateNotFound
from jinja2.exceptions import TemplateSyntaxError

from promptlib.core._bounded import ReadRefused
from promptlib.exceptions import TemplateSecurityError, TemplateValidationError
from promptlib.prompts._sandbox import (
    HELPER_NAMES,
    MemoryPartialLoader,
    PartialLoader,
    PromptEnvironment,
    UnsafeTemplate,
)

_TOO_DEEP = "the template nests expressions or blocks too deeply to compile; flatten it"


@dataclass(frozen=True)
class Compiled:
    """A compiled template and what it depends on."""

    template: Template
    used_variables: frozenset[str]
    partials: dict[str, str]  # partial name -> source text, transitively
    use_lines: Mapping[str, int] = field(default_factory=dict)  # variable -> file line of its first use here


@dataclass(frozen=True)
class _PartialInfo:
    source: str
    used_variables: frozenset[str]
    includes: tuple[str, ...]


class TemplateCompiler:
    """One sandboxed environment and partial cache for a prompts/ directory."""

    def __init__(self, prompts_dir: Path, partials: Mapping[str, str] | None = None) -> None:
        """``partials`` (name -> text) replaces the files under prompts/partials, e.g. for a bundle."""
        self.partials_dir = prompts_dir / "partials"
        self.prompts_root = prompts_dir.resolve()  # once: every template read is confined to it
        loader = MemoryPartialLoader(self.partials_dir, partials) if partials is not None else None
        self.env = PromptEnvironment(self.partials_dir, loader)
        self._partials: dict[str, _PartialInfo] = {}
        self._ignored = frozenset(self.env.globals) | HELPER_NAMES

    def compile(self, source: str, *, name: str, path: Path, line_offset: int = 0) -> Compiled:
        tree = self._parse(source, name, path, line_offset)
        # One code-generation pass both emits the code and records the free variables
        # (jinja2.meta.find_undeclared_variables would run a second, discarded pass).
        generator = _TrackingGenerator(self.env, name, str(path))
        try:
            generator.visit(tree)
        except RecursionError:
            raise TemplateValidationError(_TOO_DEEP, path=path, line=line_offset + 1) from None
        except TemplateSyntaxError as exc:  # found while generating code: a block defined twice, a bad assignment
            line = (exc.lineno or 1) + line_offset
            raise TemplateValidationError(exc.message or "syntax error", path=path, line=line) from None
        used = generator.undeclared - self._ignored
        partials: dict[str, str] = {}
        assigned, includes = getattr(tree, "promptlib_refs", None) or _assigned_and_includes(tree)
        for include, lineno in includes:
            self._collect(include, partials, used, path, lineno + line_offset, ())
        used -= assigned
        stream = generator.stream
        assert isinstance(stream, StringIO)
        try:
            code = self.env._compile(stream.getvalue(), str(path))
        except (RecursionError, SyntaxError):  # Python's own limits: nested blocks, parentheses
            raise TemplateValidationError(_TOO_DEEP, path=path, line=line_offset + 1) from None
        template = self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)
        loads: dict[str, int] = getattr(tree, "promptlib_loads", None) or {}
        lines = {name: line + line_offset for name, line in loads.items()}
        return Compiled(template=template, used_variables=frozenset(used), partials=partials, use_lines=lines)

    def _parse(self, source: str, name: str, path: Path, line_offset: int) -> nodes.Template:
        try:
            return self.env.parse(source, name=name, filename=str(path))
        except TemplateSyntaxError as exc:
            line = (exc.lineno or 1) + line_offset
            message = exc.message or "syntax error"
            error = TemplateSecurityError if message.startswith("unsafe: ") else TemplateValidationError
            raise error(message.removeprefix("unsafe: "), path=path, line=line) from None
        except RecursionError:
            raise TemplateValidationError(_TOO_DEEP, path=path, line=line_offset + 1) from None

    def _collect(
        self,
        name: str,
        partials: dict[str, str],
        used: set[str],
        path: Path,
        line: int,
        chain: tuple[str, ...],
    ) -> None:
        if name in chain:
            cycle = " -> ".join((*chain, name))
            raise TemplateValidationError(f"partials include each other in a cycle: {cycle}", path=path, line=line)
        info = self._partial(name, path, line)
        partials[name] = info.source
        used |= info.used_variables
        for child in info.includes:
            self._collect(child, partials, used, path, line, (*chain, name))

    def _partial(self, name: str, path: Path, line: int) -> _PartialInfo:
        cached = self._partials.get(name)
        if cached is not None:
            return cached
        loader = self.env.loader
        assert isinstance(loader, PartialLoader)
        try:
            source, file = loader.read(name)
        except UnsafeTemplate as exc:
            raise TemplateSecurityError(str(exc), path=path, line=line) from None
        except (JinjaTemplateNotFound, OSError):
            raise TemplateValidationError(
                f"included partial {name!r} not found under prompts/partials/", path=path, line=line
            ) from None
        except UnicodeDecodeError:
            not_text = f"partial {name!r} is not UTF-8 text"
            raise TemplateValidationError(not_text, path=self.partials_dir / name) from None
        except ReadRefused as exc:
            raise TemplateValidationError(f"partial {name!r} {exc}", path=self.partials_dir / name) from None
        tree = self._parse(source, name, file, 0)
        used = set(meta.find_undeclared_variables(tree)) - self._ignored
        info = _PartialInfo(source, frozenset(used), tuple(n for n, _ in _includes(tree)))
        self._partials[name] = info
        return info


class _TrackingGenerator(CodeGenerator):
    """Jinja's code generator, also noting names resolved from the render context."""

    def __init__(self, environment: PromptEnvironment, name: str, filename: str) -> None:
        super().__init__(environment, name, filename, None, False, environment.optimized)
        self.undeclared: set[str] = set()

    def enter_frame(self, frame: Frame) -> None:
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == "resolve":
                self.undeclared.add(param)


def _assigned_and_includes(tree: nodes.Template) -> tuple[set[str], list[tuple[str, int]]]:
    """Names the template assigns itself, and the literal include/import targets, in one walk."""
    assigned: set[str] = set()
    includes: list[tuple[str, int]] = []
    for node in tree.find_all((nodes.Name, nodes.Include, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Name):
            if node.ctx in ("store", "param"):
                assigned.add(node.name)
            continue
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            includes.append((target.value, node.lineno))
    return assigned, includes


def _includes(tree: nodes.Template) -> list[tuple[str, int]]:
    found = []
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport)):
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            found.append((target.value, node.lineno))
    return found
