"""Canary for the private Jinja hooks the sandbox and compiler rely on (jinja2 is pinned `<3.2` for them).

The compiler parses once and compiles from the same tree (`Environment._parse`, `Environment._compile`), records free
variables from `CodeGenerator.enter_frame`'s symbol loads, and the sandbox weighs a `Namespace` through its
name-mangled attribute store. Public Jinja offers no equivalent without a second pass (measured in
`benchmarks/bench_library.py`), so when a Jinja release moves one of these, this file fails first and says which.
"""

from __future__ import annotations

import inspect
from types import CodeType

import jinja2
from jinja2 import Environment, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.utils import Namespace

HOOK_CHANGED = "jinja2 {version} changed a private hook promptlib uses: {what}; see promptlib/prompts/_compiler.py"


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_pin_is_what_the_canary_was_written_against() -> None:
    major, minor = (int(part) for part in jinja2.__version__.split(".")[:2])
    assert (major, minor) == (3, 1), HOOK_CHANGED.format(version=jinja2.__version__, what="the 3.1 line")


def test_parse_and_compile_take_what_the_compiler_passes() -> None:
    env = Environment()
    assert parameters(Environment._parse)[:4] == ["self", "source", "name", "filename"]
    assert parameters(Environment._compile)[:3] == ["self", "source", "filename"]
    tree = env._parse("{{ greeting }} {{ name }}", "t", "t.yaml")
    assert isinstance(tree, nodes.Template)
    assert isinstance(env._compile("x = 1", "t.yaml"), CodeType)


def test_the_code_generator_reports_resolved_names_on_entering_a_frame() -> None:
    env = Environment()
    seen: set[str] = set()

    class Tracking(CodeGenerator):
        def enter_frame(self, frame: Frame) -> None:
            super().enter_frame(frame)
            seen.update(param for action, param in frame.symbols.loads.values() if action == "resolve")

    generator = Tracking(env, "t", "t.yaml", None, False, env.optimized)
    generator.visit(env._parse("{% set local = 1 %}{{ subject }}{{ local }}", "t", "t.yaml"))
    assert seen == {"subject"}, HOOK_CHANGED.format(version=jinja2.__version__, what="CodeGenerator.enter_frame")


def test_a_namespace_keeps_its_attributes_under_the_mangled_name() -> None:
    space = Namespace(colour="teal")
    attrs = object.__getattribute__(space, "_Namespace__attrs")
    assert attrs == {"colour": "teal"}, HOOK_CHANGED.format(version=jinja2.__version__, what="Namespace.__attrs")
