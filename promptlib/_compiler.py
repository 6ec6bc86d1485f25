"""Compile template text once: parse, check, find variables and partials, build code.

Parsing once and compiling from the same tree keeps load time near bare Jinja,
and the tree tells us which variables and partials a template really uses, which
is what the declared-vs-used check and the content hash need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Template, meta, nodes
from jinja2.exceptions import TemplateNotFound as JinjaTemplateNotFound
from jinja2.exceptions import TemplateSyntaxError

from ._sandbox import HELPER_NAMES, PartialLoader, PromptEnvironment, UnsafeTemplate
from .exceptions import TemplateSecurityError, TemplateValidationError


@dataclass(frozen=True)
class Compiled:
    """A compiled template and what it depends on."""

    template: Template
    used_variables: frozenset[str]
    partials: dict[str, str]  # partial name -> source text, transitively


@dataclass(frozen=True)
class _PartialInfo:
    source: str
    used_variables: frozenset[str]
    includes: tuple[str, ...]


class TemplateCompiler:
    """One sandboxed environment and partial cache for a prompts/ directory."""

    def __init__(self, prompts_dir: Path) -> None:
        self.partials_dir = prompts_dir / "partials"
        self.env = PromptEnvironment(self.partials_dir)
        self._partials: dict[str, _PartialInfo] = {}
        self._ignored = frozenset(self.env.globals) | HELPER_NAMES

    def compile(self, source: str, *, name: str, path: Path, line_offset: int = 0) -> Compiled:
        tree = self._parse(source, name, path, line_offset)
        used = set(meta.find_undeclared_variables(tree)) - self._ignored
        partials: dict[str, str] = {}
        assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        for include, lineno in _includes(tree):
            self._collect(include, partials, used, path, lineno + line_offset, ())
        used -= assigned
        code = self.env.compile(tree, name=name, filename=str(path))
        template = self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)
        return Compiled(template=template, used_variables=frozenset(used), partials=partials)

    def _parse(self, source: str, name: str, path: Path, line_offset: int) -> nodes.Template:
        try:
            return self.env.parse(source, name=name, filename=str(path))
        except TemplateSyntaxError as exc:
            line = (exc.lineno or 1) + line_offset
            message = exc.message or "syntax error"
            error = TemplateSecurityError if message.startswith("unsafe: ") else TemplateValidationError
            raise error(message.removeprefix("unsafe: "), path=path, line=line) from None

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
            file = loader.resolve(name)
            source = file.read_text(encoding="utf-8")
        except UnsafeTemplate as exc:
            raise TemplateSecurityError(str(exc), path=path, line=line) from None
        except (JinjaTemplateNotFound, OSError):
            raise TemplateValidationError(
                f"included partial {name!r} not found under prompts/partials/", path=path, line=line
            ) from None
        except UnicodeDecodeError:
            raise TemplateValidationError(f"partial {name!r} is not UTF-8 text", path=file) from None
        tree = self._parse(source, name, file, 0)
        used = set(meta.find_undeclared_variables(tree)) - self._ignored
        info = _PartialInfo(source, frozenset(used), tuple(n for n, _ in _includes(tree)))
        self._partials[name] = info
        return info


def _includes(tree: nodes.Template) -> list[tuple[str, int]]:
    found = []
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport)):
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            found.append((target.value, node.lineno))
    return found
