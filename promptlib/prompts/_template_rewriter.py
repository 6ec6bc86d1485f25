"""Each parsed template rewritten so the sandbox can bound it: loops, ``~`` joins and literals are charged.

Constructs that cannot be bounded or hashed (``{% extends %}``, recursive loops, computed include
targets) are refused while parsing, with the line they are on.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from jinja2 import nodes

ITER = "_promptlib_iter"
CONCAT = "_promptlib_concat"
VALUE = "_promptlib_value"
HELPER_NAMES = frozenset({ITER, CONCAT, VALUE})
# Node kinds by what the rewrite does with them; any other kind only has its children walked.
_LEAVES = frozenset({nodes.Const, nodes.TemplateData})  # no child nodes, nothing to refuse or charge: not visited
_CHECKED = frozenset(
    {nodes.Extends, nodes.For, nodes.Include, nodes.Import, nodes.FromImport, nodes.Block, nodes.ImportedName}
)
_CHARGED = frozenset({nodes.For, nodes.Concat, nodes.List, nodes.Tuple, nodes.Dict})


class UnsafeTemplate(Exception):
    """Raised while parsing when a template uses a construct the sandbox forbids."""

    def __init__(self, message: str, lineno: int | None) -> None:
        super().__init__(message)
        self.lineno = lineno


class TemplateRewriter:
    """Charges loops, ``~`` joins and literals to the budget, and refuses constructs we cannot bound or hash.

    One in-place walk (faster than jinja's NodeTransformer) that also records the names the template
    assigns and its literal include targets, which the compiler needs and would otherwise walk again for.
    """

    def __init__(self) -> None:
        self.assigned: set[str] = set()
        self.includes: list[tuple[str, int]] = []
        self.first_loads: dict[str, int] = {}  # name -> line it is first read on (for "not declared" errors)
        self.blocks: list[nodes.Node] = []  # {% block %} and imported names, in document order, so the code
        self.imported_names: list[nodes.Node] = []  # generator need not walk the whole tree again for them

    def rewrite(self, node: nodes.Node) -> nodes.Node:
        kind = type(node)
        if isinstance(node, nodes.Name):
            if node.ctx in ("store", "param"):
                self.assigned.add(node.name)
            elif node.name not in self.first_loads:
                self.first_loads[node.name] = node.lineno
            return node
        if kind in _CHECKED:
            self._check(kind, node)
        fields = vars(node)
        for name in kind.fields:
            value = fields.get(name)
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if type(item) not in _LEAVES and isinstance(item, nodes.Node):
                        value[index] = self.rewrite(item)
            elif type(value) not in _LEAVES and isinstance(value, nodes.Node):
                fields[name] = self.rewrite(value)
        return self._charged(kind, node) if kind in _CHARGED else node

    def _check(self, kind: type[nodes.Node], node: nodes.Node) -> None:
        """Refuse what cannot be bounded or hashed; note what the compiler and code generator look for."""
        if kind is nodes.Extends:
            raise UnsafeTemplate("{% extends %} is not supported; use {% include %} of a partial", node.lineno)
        if isinstance(node, nodes.For) and node.recursive:
            raise UnsafeTemplate("recursive loops are not allowed in prompt templates", node.lineno)
        if kind in (nodes.Include, nodes.Import, nodes.FromImport):
            self._literal_target(node)
        elif kind is nodes.Block:
            self.blocks.append(node)
        elif kind is nodes.ImportedName:
            self.imported_names.append(node)

    @staticmethod
    def _charged(kind: type[nodes.Node], node: nodes.Node) -> nodes.Node:
        lineno = node.lineno
        if isinstance(node, nodes.For):
            node.iter = nodes.Call(nodes.Name(ITER, "load"), [node.iter], [], None, None, lineno=lineno)
        elif isinstance(node, nodes.Concat):
            return nodes.Call(nodes.Name(CONCAT, "load"), [nodes.List(node.nodes)], [], None, None, lineno=lineno)
        elif kind in (nodes.List, nodes.Tuple, nodes.Dict) and getattr(node, "ctx", "load") == "load":
            # (a Tuple with ctx "store" is an unpacking target such as {% for a, b in pairs %})
            return nodes.Call(nodes.Name(VALUE, "load"), [node], [], None, None, lineno=lineno)
        return node

    def _literal_target(self, node: nodes.Node) -> None:
        target = getattr(node, "template", None)
        if not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
            raise UnsafeTemplate(
                "include and import targets must be quoted paths, so the content hash can cover them",
                node.lineno,
            )
        self.includes.append((target.value, node.lineno))


def index_searches(tree: nodes.Template, rewriter: TemplateRewriter) -> None:
    """Answer the code generator's whole-tree searches from the rewrite's own walk.

    Jinja's generator looks for ``{% extends %}``, blocks and imported names by walking every node of the
    template, once for each; the rewrite has just walked them all and refused extends, so it knows. Other
    searches (of other node types) still walk.
    """
    found: dict[type[nodes.Node], list[nodes.Node]] = {
        nodes.Extends: [],
        nodes.Block: rewriter.blocks,
        nodes.ImportedName: rewriter.imported_names,
    }
    # a weak reference: the tree holding a function that held the tree would be a cycle, and every parsed
    # template would wait for the garbage collector instead of going when its last reference does
    tree_ref = weakref.ref(tree)

    def find_all(node_type: Any) -> Iterator[Any]:
        known = found.get(node_type) if isinstance(node_type, type) else None
        if known is not None:
            return iter(known)
        walked = tree_ref()
        return nodes.Node.find_all(walked, node_type) if walked is not None else iter(())

    def find(node_type: Any) -> Any:
        return next(find_all(node_type), None)

    vars(tree).update(find=find, find_all=find_all)
