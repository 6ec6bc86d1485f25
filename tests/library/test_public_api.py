"""The public surface: every advertised name exists, the error tree in the docs is the real one."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from importlib.metadata import version

import pytest

import promptlib
from promptlib import exceptions

TREE_LINE = re.compile(r"^    (?P<indent>(?:[│ ]   )*)(?:[├└]── )?(?P<name>[A-Z][A-Za-z]+)\b(?P<note>.*)$")


def _exception_classes() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(exceptions).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == exceptions.__name__
        and not name.startswith("_")
    }


def _drawn_tree() -> dict[str, tuple[str | None, str]]:
    """name -> (parent drawn above it, the note beside it), parsed from the exceptions docstring."""
    doc = exceptions.__doc__ or ""
    tree: dict[str, tuple[str | None, str]] = {}
    stack: list[str] = []
    for line in doc.splitlines():
        match = TREE_LINE.match(line)
        if not match:
            continue
        depth = len(match["indent"]) // 4 + (0 if line.lstrip().startswith(match["name"]) else 1)
        del stack[depth:]
        tree[match["name"]] = (stack[-1] if stack else None, match["note"].strip())
        stack.append(match["name"])
    return tree


@pytest.mark.parametrize("name", promptlib.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    """`from promptlib import X` works for everything in __all__ (lazy names included)."""
    assert getattr(promptlib, name) is not None


def test_all_is_sorted_and_unique() -> None:
    """__all__ is kept sorted so additions are easy to review."""
    assert promptlib.__all__ == sorted(set(promptlib.__all__))


def test_every_exception_is_exported() -> None:
    """Every public error class is importable from the package root and listed in both __all__s."""
    classes = _exception_classes()
    assert set(classes) <= set(promptlib.__all__)
    assert set(classes) == set(exceptions.__all__)
    for name, cls in classes.items():
        assert getattr(promptlib, name) is cls


def test_design_names_are_exported() -> None:
    """The names DESIGN §11 promises to apps are there."""
    for name in ("Library", "PromptTemplate", "RenderedPrompt", "PromptlibError"):
        assert name in promptlib.__all__


def test_version_matches_the_distribution() -> None:
    """promptlib.__version__ is the installed package's version."""
    assert promptlib.__version__ == version("promptlib")


def test_unknown_attribute_is_an_attribute_error() -> None:
    """A typo in an import fails like any module's would."""
    with pytest.raises(AttributeError, match="has no attribute 'Libary'"):
        promptlib.Libary  # noqa: B018


def test_dir_lists_the_public_names() -> None:
    """dir(promptlib) shows lazily imported names too (for completion in editors and REPLs)."""
    assert set(promptlib.__all__) <= set(dir(promptlib))


def test_drawn_tree_names_exactly_the_classes_that_exist() -> None:
    """The tree in the exceptions docstring lists each error class once, and no class that does not exist."""
    assert set(_drawn_tree()) == set(_exception_classes())


def test_drawn_tree_matches_inheritance() -> None:
    """Each class is drawn under its real parent; '(also LookupError)' and '(exit 2)' notes are true."""
    classes = _exception_classes()
    for name, (parent, note) in _drawn_tree().items():
        cls = classes[name]
        if parent is None:
            assert cls.__bases__ == (Exception,)
        else:
            assert cls.__bases__[0] is classes[parent], f"{name} is drawn under {parent}"
        assert ("also LookupError" in note) == issubclass(cls, LookupError), name
        if "(exit 2)" in note:
            assert cls.exit_code == 2  # type: ignore[attr-defined]


def test_errors_render_as_one_line_with_file_and_line() -> None:
    """str(error) is the single line the CLI prints: path:line: message."""
    err = exceptions.TemplateValidationError("bad", path="/nowhere/x.yaml", line=3)
    assert str(err) == "/nowhere/x.yaml:3: bad"
    assert str(exceptions.UsageError("just a message")) == "just a message"
    assert exceptions.PromptlibError("x").exit_code == 1
    assert exceptions.VariableError("x").exit_code == 2


def test_execution_errors_name_the_deployment_status_and_request() -> None:
    """An operator can trace a failed call from its message alone."""
    err = exceptions.RateLimited("still throttled", deployment="dev", status=429, request_id="req-1", attempts=4)
    assert str(err) == "still throttled (deployment 'dev', HTTP 429, 4 attempts, request id req-1)"
    assert (err.deployment, err.status, err.request_id) == ("dev", 429, "req-1")


def test_import_is_light() -> None:
    """`import promptlib` does not pull in Jinja, pydantic or httpx, so the CLI and apps start fast."""
    code = (
        "import sys, promptlib; print(sorted(m for m in ('jinja2', 'pydantic', 'httpx', 'yaml') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
