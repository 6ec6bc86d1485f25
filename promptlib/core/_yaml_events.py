"""The fast path of `_yaml`: a plain document built straight from the C parser's events.

Composing a node graph (a Python node and two marks per value, all kept alive until the whole file is
built) and then walking it costs several times what reading the parser's events does. Almost every
template, suite and promptlib.yaml is plain: mappings and lists of untagged scalars, no anchors,
aliases, merge keys or tags. Those are built here in one pass over the events, with the same values,
the same line for every location and the same refusals (duplicate keys, keys that are not text or
integers, too many values, too deep). Anything else (an anchor, an alias, a tag, a merge key, a second
document, a value its tag cannot hold, a syntax error, a limit reached) returns None, and `parse_yaml`
builds the document the full way, which handles the construct or words the error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml import MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_KEY_TAGS = frozenset({_STR_TAG, _INT_TAG})
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")  # what int() reads exactly as the YAML constructor does
_TRUE = frozenset({"yes", "true", "on"})  # the resolver tags only yes/no/true/false/on/off (any case) as bool

Location = tuple[str | int, ...]
_NO_KEY = object()  # the open mapping waits for its next key


class _Unplain(Exception):
    """The document uses something only the full builder handles."""


def build_plain(loader: yaml.SafeLoader, max_nodes: int, max_depth: int) -> tuple[Any, dict[Location, int]] | None:
    """The document's data and the line of each location, or None when it is not plain."""
    try:
        return _Builder(loader, max_nodes, max_depth).run()
    except (_Unplain, yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None


def _plain_tag(value: str) -> str:
    """The tag YAML's implicit rules give an untagged plain scalar (`true`, `3`, `2025-01-01`, `text`), as
    PyYAML's resolver decides it; short ones (keys, numbers, flags) are remembered, as the rules cost more."""
    return _short_plain_tag(value) if len(value) <= 40 else _resolve(value)


@functools.lru_cache(maxsize=2048)
def _short_plain_tag(value: str) -> str:
    return _resolve(value)


def _resolve(value: str) -> str:
    for tag, pattern in _rules(value[:1]):
        if pattern.match(value):
            return tag
    return _STR_TAG


@functools.cache
def _rules(first: str) -> list[tuple[str, re.Pattern[str]]]:
    resolvers = yaml.resolver.Resolver.yaml_implicit_resolvers  # the rules of the safe loaders, C and Python
    return [*resolvers.get(first, []), *resolvers.get(None, [])]


class _Builder:
    """One pass over the events; the open collections are a stack, the innermost one kept in locals."""

    def __init__(self, loader: yaml.SafeLoader, max_nodes: int, max_depth: int) -> None:
        self.construct: Callable[..., Any] = loader.construct_object
        self.get: Callable[[], Any] = loader.get_event
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.lines: dict[Location, int] = {}
        self.count = 0

    def run(self) -> tuple[Any, dict[Location, int]]:
        get = self.get
        if type(get()) is not yaml.StreamStartEvent or type(get()) is not yaml.DocumentStartEvent:
            raise _Unplain  # an empty stream: the full builder words it
        root = self._value(get(), ())
        if type(root) is dict or type(root) is list:
            self._fill(root, ())
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _Unplain  # a second document: the full builder refuses it
        return root, self.lines

    def _fill(self, container: dict[Any, Any] | list[Any], loc: Location) -> None:
        """Read events into ``container`` (just opened at ``loc``) until it closes, and its children's too."""
        get, lines, value_of = self.get, self.lines, self._value
        stack: list[tuple[Any, Location, set[Any]]] = []
        keys: set[Any] = set()
        key: Any = _NO_KEY
        while True:
            event = get()
            kind = type(event)
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                if not stack:
                    return
                container, loc, keys = stack.pop()
                key = _NO_KEY
                continue
            if isinstance(container, dict):
                if key is _NO_KEY:
                    key = self._key(event, keys)
                    child_loc: Location = (*loc, key)
                    lines[child_loc] = event.start_mark.line + 1
                    continue
                value = container[key] = value_of(event, child_loc)
                key = _NO_KEY
            else:
                child_loc = (*loc, len(container))
                value = value_of(event, child_loc)
                container.append(value)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                stack.append((container, loc, keys))
                container, loc, keys = value, child_loc, set()

    def _key(self, event: Any, keys: set[Any]) -> Any:
        if type(event) is not ScalarEvent or event.anchor is not None or event.tag is not None:
            raise _Unplain
        tag = _plain_tag(event.value) if event.implicit[0] else _STR_TAG
        if tag not in _KEY_TAGS:
            raise _Unplain  # a merge key, or a key that is not text or an integer (refused with a hint there)
        key = event.value if tag == _STR_TAG else self._construct(tag, event)
        if key in keys:
            raise _Unplain  # a duplicate key: refused there, with its line
        keys.add(key)
        return key

    def _value(self, event: Any, loc: Location) -> Any:
        """The value ``event`` starts at ``loc``: a scalar, or an empty collection for `_fill` to fill."""
        if event.anchor is not None or event.tag is not None:  # an alias has an anchor and no tag
            raise _Unplain
        self.count += 1
        if self.count > self.max_nodes or len(loc) >= self.max_depth:
            raise _Unplain  # near a limit the full builder decides (flow nesting is counted there in levels)
        self.lines.setdefault(loc, event.start_mark.line + 1)
        kind = type(event)
        if kind is ScalarEvent:
            if not event.implicit[0]:
                return event.value  # quoted or block text: always a string
            tag = _plain_tag(event.value)
            return event.value if tag == _STR_TAG else self._construct(tag, event)
        if kind is MappingStartEvent:
            return {}
        if kind is SequenceStartEvent:
            return []
        raise _Unplain

    def _construct(self, tag: str, event: Any) -> Any:
        """An implicitly typed scalar (int, float, bool, null, timestamp) as the safe constructor builds it;
        the common forms of the first three directly, the rest (hex, octal, `1_000`, dates) by the constructor."""
        value = event.value
        if tag == _INT_TAG and _DECIMAL.fullmatch(value):
            return int(value)
        if tag == _BOOL_TAG:
            return value.lower() in _TRUE
        if tag == _NULL_TAG:
            return None
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        return self.construct(node)
