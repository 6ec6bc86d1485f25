"""YAML loading: untrusted files are parsed safely, duplicate keys refused, and every value keeps its line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from project_helpers import Project

from promptlib import ConfigError, TemplateValidationError
from promptlib.core._yaml import parse_yaml

PATH = Path("prompts/x.yaml")


def _error(text: str) -> str:
    with pytest.raises(TemplateValidationError) as info:
        parse_yaml(text, PATH)
    return str(info.value)


def test_data_and_lines() -> None:
    """Mapping keys and list items remember their line, so errors deep inside a file can point at it."""
    doc = parse_yaml("# comment\nversion: 1\nvariables:\n  a:\n    type: string\nowners:\n  - x\n  - y\n", PATH)
    assert doc.data == {"version": 1, "variables": {"a": {"type": "string"}}, "owners": ["x", "y"]}
    assert doc.line_of(("version",)) == 2
    assert doc.line_of(("variables", "a", "type")) == 5
    assert doc.line_of(("owners", 1)) == 8


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    """A location that is not in the file (a missing field) points at its parent's line."""
    doc = parse_yaml("# header\na:\n  b:\n    c: 1\n", PATH)
    assert doc.line_of(("a", "b", "missing", "deeper")) == 3
    assert doc.line_of(("nothing",)) == 2


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("version: 1\ntemplate: x\nversion: 2\n", 3, "'version'"),
        ("variables:\n  a: {type: string}\n  a: {type: integer}\n", 3, "'a'"),
        ("examples:\n  - name: x\n    name: y\n", 3, "'name'"),
        ("x: {a: 1, a: 2}\n", 1, "'a'"),
        ("1: a\n1: b\n", 2, "1"),
    ],
)
def test_duplicate_keys_are_errors_with_the_line(text: str, line: int, key: str) -> None:
    """PyYAML silently keeps the last duplicate; promptlib refuses it and names the second occurrence."""
    assert _error(text) == f"prompts/x.yaml:{line}: duplicate key {key}"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_documents(text: str) -> None:
    """An empty file is an error on line 1, not an empty template."""
    assert _error(text) == "prompts/x.yaml:1: the file is empty; it must be a YAML mapping"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("version: 1\nowners: [a, b\n", 3),
        ("a: 1\n b: 2\n", 2),
        ("a: 'unterminated\n", 2),
        ("a:\n\t- tab\n", 2),
    ],
)
def test_malformed_yaml_names_the_line(text: str, line: int) -> None:
    """Syntax errors carry the line where the parser noticed them."""
    message = _error(text)
    assert message.startswith(f"prompts/x.yaml:{line}: invalid YAML: ")


def test_multiple_documents_are_refused() -> None:
    """A second document in the file is an error rather than being silently ignored."""
    assert "invalid YAML" in _error("a: 1\n---\nb: 2\n")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/name:os.system\n",
        "a: !custom 1\n",
    ],
)
def test_unsafe_scalar_tags_are_refused(text: str) -> None:
    """Only the safe loader runs: Python object tags are errors and nothing is executed."""
    assert "invalid YAML" in _error(text)
    assert not Path("/tmp/promptlib-pwned").exists()


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!python/object/apply:os.system ['touch /tmp/promptlib-pwned']\n", "python/object/apply:os.system"),
        ("a: !!python/object:os.Popen {args: x}\n", "python/object:os.Popen"),
        ("a: !!set {x, y}\n", "set"),
        ("a: !!omap [{x: 1}]\n", "omap"),
        ("a: !custom [1]\n", "!custom"),
    ],
)
def test_tagged_collections_are_refused_not_silently_untagged(text: str, tag: str) -> None:
    """A tag on a list or mapping is an error on its line (it used to be dropped, loading the bare list)."""
    message = _error(text)
    assert message.startswith("prompts/x.yaml:1: unsupported YAML tag ")
    assert tag in message
    assert not Path("/tmp/promptlib-pwned").exists()


def test_alias_bomb_is_refused_quickly() -> None:
    """A 'billion laughs' document fails fast instead of expanding into memory."""
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    started = time.perf_counter()
    message = _error("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 2
    assert "alias bomb" in message


def test_small_aliases_and_merge_keys_work() -> None:
    """Anchors, aliases and `<<` merges work; a written key overrides a merged one without being a duplicate."""
    doc = parse_yaml("base: &b {size: auto, n: 1}\nother:\n  <<: *b\n  n: 2\nlist: [*b]\n", PATH)
    assert doc.data["other"] == {"size": "auto", "n": 2}
    assert doc.data["list"] == [{"size": "auto", "n": 1}]
    assert doc.line_of(("other", "n")) == 4


def test_merged_mapping_reused_through_an_alias() -> None:
    """A mapping that merges and overrides can itself be aliased; earlier merge sources win, as YAML says."""
    text = "a: &a {x: 1}\nb: &b {x: 2, z: 1}\nc: &c {<<: [*a, *b], y: 0}\nd: *c\ne: *c\n"
    doc = parse_yaml(text, PATH)
    assert doc.data["c"] == doc.data["d"] == doc.data["e"] == {"x": 1, "z": 1, "y": 0}


def test_duplicate_next_to_a_merge_is_still_an_error() -> None:
    """Merging does not hide a key written twice."""
    assert _error("a: &a {x: 1}\nb:\n  <<: *a\n  y: 1\n  y: 2\n") == "prompts/x.yaml:5: duplicate key 'y'"


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "? {a: 1}\n: 2\n", "1.5: x\n", "null: x\n"])
def test_keys_must_be_text_or_integers(text: str) -> None:
    """Complex, float and null keys are refused (they cannot name a field)."""
    assert "mapping keys must be text or integers" in _error(text)


@pytest.mark.parametrize("key", ["yes", "no", "on", "off", "true", "False"])
def test_boolean_keys_get_a_hint_to_quote_them(key: str) -> None:
    """YAML 1.1 reads yes/no/on/off as booleans; the error says to quote them, and quoting works."""
    assert _error(f"variables:\n  {key}: 1\n") == (
        "prompts/x.yaml:2: mapping keys must be text or integers (quote yes/no/on/off/true/false to use them as names)"
    )
    assert parse_yaml(f"'{key}': 1\n", PATH).data == {key: 1}


def test_error_class_is_chosen_by_the_caller() -> None:
    """promptlib.yaml problems are ConfigErrors (exit 2); template problems TemplateValidationErrors (exit 1)."""
    with pytest.raises(ConfigError) as info:
        parse_yaml("a: 1\na: 2\n", Path("promptlib.yaml"), error=ConfigError)
    assert info.value.exit_code == 2
    assert (info.value.line, str(info.value)) == (2, "promptlib.yaml:2: duplicate key 'a'")


def test_scalars_keep_yaml_types() -> None:
    """Values keep their YAML types (so `version: three` is caught as a type error later)."""
    doc = parse_yaml("a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: 1024x1024\n", PATH)
    assert doc.data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "1", "f": "1024x1024"}


@pytest.mark.parametrize("depth", [65, 1_000, 300_000])
def test_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    """Deep flow nesting is a clean error (it used to raise RecursionError, or segfault in libyaml)."""
    started = time.perf_counter()
    message = _error("a: " + "[" * depth + "]" * depth + "\n")
    assert time.perf_counter() - started < 2
    assert message == "prompts/x.yaml:1: the document nests more than 64 levels deep"


def test_reasonable_nesting_and_many_brackets_are_fine() -> None:
    """Sixty levels, or thousands of sibling brackets, still load."""
    assert parse_yaml("a: " + "[" * 60 + "]" * 60 + "\n", PATH).data["a"]
    wide = parse_yaml("a: [" + ", ".join(["{b: [1]}"] * 500) + "]\n", PATH)
    assert len(wide.data["a"]) == 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nlaunch: 2025-02-30\n",
            "prompts/x.yaml:2: invalid timestamp value '2025-02-30' (day is out of range",
        ),
        ("a: 2025-13-01\n", "prompts/x.yaml:1: invalid timestamp value '2025-13-01'"),
        ("a: !!int x\n", "prompts/x.yaml:1: invalid int value 'x'"),
        ("a: !!bool maybe\n", "prompts/x.yaml:1: invalid bool value 'maybe'"),
        ("a: !!timestamp soon\n", "prompts/x.yaml:1: invalid timestamp value 'soon'"),
    ],
)
def test_values_their_type_cannot_hold(text: str, expected: str) -> None:
    """An impossible date or a bad explicit tag is a clean error with the line and a hint to quote it."""
    message = _error(text)
    assert message.startswith(expected)
    assert message.endswith("quote it to use it as text")


def test_impossible_date_in_a_template_is_reported_by_check(project: Project) -> None:
    """The same through check: one problem on the right line, and the other files are still checked."""
    project.write_template("t/t", "version: 1\ntemplate: x\nexamples: [{name: a, variables: {day: 2025-02-30}}]\n")
    problems = [str(p) for p in project.check().problems]
    assert problems[0].startswith("prompts/t/t.yaml:3: invalid timestamp value '2025-02-30'")
