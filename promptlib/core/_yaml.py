"""Safe YAML loading that keeps line numbers and refuses duplicate keys.

Templates arrive in pull requests, so they are untrusted: the safe loader (the C
one when available, for speed), a cap on nodes so alias bombs cannot explode, and
a map from each value's location to its line so validation errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from promptlib.core._yaml_events import build_plain
from promptlib.exceptions import PromptlibError, TemplateValidationError

try:  # the C parser is ~10x faster; fall back silently where libyaml is missing
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_NODES = 100_000
MAX_DEPTH = 64
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_COLLECTIONS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})

Location = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed data plus the line (1-based) of every mapping key and sequence item."""

    data: Any
    path: Path
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, loc: Location) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that has one."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def parse_yaml(text: str, path: Path, error: type[PromptlibError] = TemplateValidationError) -> YamlDocument:
    """Parse one YAML document; every problem becomes ``error`` naming ``path`` and the line."""
    plain = _parse_plain(text)
    if plain is not None:
        return YamlDocument(data=plain[0], path=path, lines=plain[1])
    return _parse_full(text, path, error)


def _parse_full(text: str, path: Path, error: type[PromptlibError]) -> YamlDocument:
    """Compose the node graph and build it: anchors, aliases, merge keys, tags, and the wording of every error."""
    loader = _Loader(text)
    try:
        _check_depth(text, path, error)
        node = loader.get_single_node()
        if node is None:
            raise error("the file is empty; it must be a YAML mapping", path=path, line=1)
        builder = _Builder(loader, path, error)
        data = builder.build(node, ())
        return YamlDocument(data=data, path=path, lines=builder.lines)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem or str(exc)
        if _is_nesting_error(exc):
            raise error(f"the document nests more than {MAX_DEPTH} levels deep", path=path, line=line) from None
        raise error(f"invalid YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", path=path) from None
    except RecursionError:
        raise error(f"the document nests more than {MAX_DEPTH} levels deep", path=path) from None
    finally:
        loader.dispose()


def _parse_plain(text: str) -> tuple[Any, dict[Location, int]] | None:
    """The fast path for plain documents (`_yaml_events`); None sends the text the full way below."""
    loader = _Loader(text)
    try:
        return build_plain(loader, MAX_NODES, MAX_DEPTH)
    finally:
        loader.dispose()


def _check_depth(text: str, path: Path, error: type[PromptlibError]) -> None:
    """Refuse deep flow nesting ([[[[...) before composing: libyaml's composer recurses in C
    and crashes the process on it. Only flow style nests cheaply, so most files skip the scan."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    scanner = _Loader(text)
    try:
        _scan_depth(scanner, path, error)
    except yaml.MarkedYAMLError as exc:
        if not _is_nesting_error(exc):
            raise
        # PyYAML >= 6.0.4 has a nesting cap of its own, hit while scanning ahead of our count: same refusal
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise error(f"the document nests more than {MAX_DEPTH} levels deep", path=path, line=line) from None
    finally:
        scanner.dispose()


def _is_nesting_error(exc: yaml.MarkedYAMLError) -> bool:
    return "nesting depth" in (exc.problem or "")


def _scan_depth(scanner: yaml.SafeLoader, path: Path, error: type[PromptlibError]) -> None:
    depth = 0
    while scanner.check_event():
        event = scanner.get_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise error(f"the document nests more than {MAX_DEPTH} levels deep", path=path, line=line)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


class _Builder:
    """Turns a composed node graph into plain data, recording lines and checking keys."""

    def __init__(self, loader: yaml.SafeLoader, path: Path, error: type[PromptlibError]) -> None:
        self.loader = loader
        self.path = path
        self.error = error
        self.lines: dict[Location, int] = {}
        self.count = 0
        self.merged: dict[int, int] = {}

    def build(self, node: yaml.Node, loc: Location) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.error(f"the document expands to more than {MAX_NODES} values (alias bomb?)", path=self.path)
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if len(loc) > MAX_DEPTH:
            raise self.error(
                f"the document nests more than {MAX_DEPTH} levels deep", path=self.path, line=node.start_mark.line + 1
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_COLLECTIONS:
            # built here rather than by the constructor, so a tag would otherwise be silently dropped
            raise self.error(f"unsupported YAML tag {node.tag}", path=self.path, line=node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self._construct(node)

    def _mapping(self, node: yaml.MappingNode, loc: Location) -> dict[Any, Any]:
        merged = self._flatten(node)
        result: dict[Any, Any] = {}
        written: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self._construct(key_node)
            line = key_node.start_mark.line + 1
            if isinstance(key, bool) or not isinstance(key, str | int):
                hint = " (quote yes/no/on/off/true/false to use them as names)" if isinstance(key, bool) else ""
                raise self.error(f"mapping keys must be text or integers{hint}", path=self.path, line=line)
            if index >= merged:  # keys from a `<<` merge come first and may be overridden; written ones may not
                if key in written:
                    raise self.error(f"duplicate key {key!r}", path=self.path, line=line)
                written.add(key)
            self.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        return result

    def _construct(self, node: yaml.Node) -> Any:
        """A scalar's value; a value its tag cannot hold (2025-02-30, !!int x) is an error on its line."""
        if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value  # what the str constructor returns, without its bookkeeping (most scalars)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise self.error(
                f"invalid {kind} value {node.value!r} ({exc}); quote it to use it as text",
                path=self.path,
                line=node.start_mark.line + 1,
            ) from None

    def _flatten(self, node: yaml.MappingNode, depth: int = 0) -> int:
        """Resolve ``<<`` merges (once per node, aliases share it); return how many pairs they added.

        Our own, not PyYAML's `flatten_mapping`: merging copies pairs, so a chain of anchors that each merge
        the previous one twice doubles at every step (a "billion laughs" through merge keys). Every merged
        pair counts against the same budget as every built value.
        """
        merged = self.merged.get(id(node))
        if merged is not None:
            return merged
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise self.error(f"merge keys (<<) chain more than {MAX_DEPTH} levels deep", path=self.path, line=line)
        inherited: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            if not all(isinstance(source, yaml.MappingNode) for source in sources):
                raise self.error("a merge key (<<) takes a mapping or a list of mappings", path=self.path, line=line)
            for source in reversed(sources):  # as PyYAML: the first listed mapping wins, so it is merged last
                self._flatten(source, depth + 1)
                inherited.extend(source.value)
                self.count += len(source.value)
                if self.count > MAX_NODES:
                    raise self.error(
                        f"the document expands to more than {MAX_NODES} values (alias bomb?)", path=self.path
                    )
        node.value = inherited + own
        merged = self.merged[id(node)] = len(inherited)
        return merged
