"""The render sandbox: templates from a PR cannot reach Python internals, files, or exhaust the machine.

Every attack must fail with a clear promptlib error, and fast: a CI runner that
hangs or swaps is as bad as one that leaks.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from project_helpers import Project

from promptlib import (
    RenderError,
    ResourceLimitExceeded,
    TemplateNotFound,
    TemplateSecurityError,
    TemplateValidationError,
)
from promptlib.prompts._templates import load_template

FAST = 2.0  # seconds; every refusal must come well within this


def _render_source(project: Project, source: str, template_id: str = "attack/t") -> None:
    project.write_template(template_id, f"version: 1\ntemplate: {json.dumps(source)}\n")
    project.library().render(template_id)


ESCAPES = {
    "str mro": "{{ ''.__class__.__mro__ }}",
    "cycler globals": "{{ cycler.__init__.__globals__ }}",
    "joiner globals": "{{ joiner.__init__.__globals__ }}",
    "namespace globals": "{{ namespace.__init__.__globals__ }}",
    "template reference context": "{{ self._TemplateReference__context }}",
    "self init": "{{ self.__init__ }}",
    "attr filter chain": "{{ ''|attr('__class__')|attr('__mro__') }}",
    "subclasses loop": "{% for x in [].__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "tuple class": "{{ ().__class__ }}",
    "dict base": "{{ dict.__base__ }}",
    "range attr": "{{ range(3)|attr('__class__') }}",
    "format attribute lookup": "{{ '{0.__class__}'.format('') }}",
    "map attr": "{{ ['']|map(attribute='__class__')|list }}",
    "range self": "{{ range.__self__ }}",
    "range self by item": "{{ range['__self__'] }}",
    "str.format self": "{{ 'a'.format.__self__ }}",
    "builtin method name": "{{ 'a'.upper.__name__ }}",
}


@pytest.mark.parametrize("source", list(ESCAPES.values()), ids=list(ESCAPES))
def test_sandbox_escapes_are_security_errors(project: Project, source: str) -> None:
    """Reaching for Python internals fails with TemplateSecurityError naming the template file."""
    started = time.perf_counter()
    with pytest.raises(TemplateSecurityError) as info:
        _render_source(project, source)
    assert time.perf_counter() - started < FAST
    assert "prompts/attack/t.yaml" in str(info.value)


@pytest.mark.parametrize(
    "source", ["{{ lipsum.__globals__ }}", "{{ lipsum() }}", "{{ config }}", "{{ request.environ }}"]
)
def test_globals_that_could_leak_are_absent(project: Project, source: str) -> None:
    """lipsum is removed and there is no config/request: using them is an undeclared variable, caught at load."""
    with pytest.raises(TemplateValidationError, match="is used but not declared"):
        _render_source(project, source)


def test_dunder_keys_of_real_mappings_are_data(project: Project) -> None:
    """A dict key that merely looks like a dunder is data, not an escape."""
    project.write_template("ok/t", "version: 1\ntemplate: \"{% set d = {'__k': 1} %}{{ d.__k }} {{ d['__k'] }}\"\n")
    assert project.library().render("ok/t").prompt == "1 1"


BIG_LIST = "{% set b = range(99990)|list %}"
BOMBS = {
    "string repetition": "{{ 'a' * 10**8 }}",
    "power tower": "{{ 9 ** 9 ** 9 }}",
    "big power": "{{ 10 ** 100 }}",
    "integer product": "{{ (2 ** 127) * (2 ** 127) }}",
    "nested range loops": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "tilde doubling": "{% set a = 'x' * 60000 %}{{ a ~ a }}",
    "tilde chain": "{% set a = 'x' * 40000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c ~ c }}",
    "center filter": "{{ 'x'|center(10**9) }}",
    "indent filter": "{{ 'x'|indent(10**9) }}",
    "str.ljust": "{{ 'x'.ljust(10**9) }}",
    "str.zfill": "{{ 'x'.zfill(10**9) }}",
    "format width": '{{ "{:>999999999}".format(1) }}',
    "nested format width": "{{ '{0:{1}}'.format(1, 999999999) }}",
    "printf width": "{{ '%999999999d' % 1 }}",
    "printf star width": "{{ '%*d' % (999999999, 1) }}",
    "format filter width": "{{ '%999999999s'|format('x') }}",
    "join with big separator": "{{ range(99999)|join('x' * 1000) }}",
    "str.join with big separator": "{{ ('x' * 1000).join(range(99999)|map('string')) }}",
    "replace growth": "{{ ('a' * 99999).replace('a', 'bbbbbbbbbb') }}",
    "nested list repetition": "{{ [[1] * 9999] * 9999 }}",
    "list of big strings": "{{ ['a' * 99999] * 99999 }}",
    "nested literals": (
        "{% set a = 'x' * 99999 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{{ c }}"
    ),
    "namespace doubling": (
        "{% set ns = namespace(a='x') %}{% for i in range(40) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a }}"
    ),
    "list concatenation doubling": (
        "{% set ns = namespace(a=['x' * 1000]) %}{% for i in range(40) %}{% set ns.a = ns.a + ns.a %}{% endfor %}"
    ),
    "batch fill": "{{ ['x']|batch(1000, 'y' * 99999)|list }}",
    "printf mapping repetition": "{% set a = 'x' * 99999 %}{{ ('%(a)s' * 20000) % {'a': a} }}",
    "str.format repetition": "{% set a = 'x' * 99999 %}{{ ('{0}' * 30000).format(a) }}",
    "format filter repetition": "{% set a = 'x' * 99999 %}{{ ('%(a)s' * 20000)|format(a=a) }}",
    "set block buffering": (
        "{% set a = 'x' * 99999 %}{% set b %}{% for i in range(10000) %}{{ a }}{% endfor %}{% endset %}{{ b|length }}"
    ),
    "macro buffering": (
        "{% set a = 'x' * 99999 %}{% macro m() %}{% for i in range(9000) %}{{ a }}{% endfor %}{% endmacro %}"
        "{{ m()|length }}"
    ),
    "filter block buffering": "{% filter upper %}{% for i in range(10000) %}{{ 'x' * 99 }}{% endfor %}{% endfilter %}",
    "endless output": "{% for i in range(10000) %}{{ 'x' * 99999 }}{% endfor %}",
    "recursive macro": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "replace filter growth": "{{ ('x' * 99999)|replace('x', 'y' * 99999) }}",
    "bytes.replace growth": "{{ ('x' * 99999).encode().replace('x'.encode(), ('y' * 99999).encode()) }}",
    "indent with a string width": "{{ ('x\n' * 50000)|indent('y' * 99999) }}",
    "wordwrap with a long wrapstring": "{{ ('x ' * 40000)|wordwrap(1, wrapstring='y' * 90000) }}",
    "urlize with a long target": "{{ ('http://a.co ' * 8000)|urlize(target='t' * 99999) }}",
    "str.translate growth": "{{ ('x' * 99999).translate({120: 'y' * 50000}) }}",
    "expandtabs": "{{ ('\t' * 99999).expandtabs(999) }}",
    "expandtabs keyword width": "{{ '\t'.expandtabs(tabsize=10**9) }}",
    "bytes.ljust": "{{ 'x'.encode().ljust(10**9) }}",
    "int.to_bytes": "{{ (1).to_bytes(10**10, 'big') }}",
    "loop copying a big list": BIG_LIST + "{% for i in range(10000) %}{% set x = b|list %}{% endfor %}",
    "loop summing a big list": BIG_LIST + "{% for i in range(10000) %}{% set x = b|sum %}{% endfor %}",
    "loop concatenating a big list": BIG_LIST + "{% for i in range(10000) %}{% set x = b + [] %}{% endfor %}",
    "loop scanning a big string": "{% set s = 'x' * 99999 %}{% for i in range(10000) %}{{ s.count('y') }}{% endfor %}",
}


@pytest.mark.parametrize("source", list(BOMBS.values()), ids=list(BOMBS))
def test_resource_bombs_are_refused_quickly(project: Project, source: str) -> None:
    """Huge strings, numbers, loops and recursion stop with ResourceLimitExceeded well within two seconds."""
    started = time.perf_counter()
    with pytest.raises(ResourceLimitExceeded) as info:
        _render_source(project, source)
    elapsed = time.perf_counter() - started
    assert elapsed < FAST, f"took {elapsed:.2f}s"
    assert str(info.value).startswith("prompts/attack/t.yaml: attack/t: ")


def test_huge_ranges_fail_fast_with_a_render_error(project: Project) -> None:
    """range() beyond the sandbox's cap is refused at once rather than materialised."""
    started = time.perf_counter()
    with pytest.raises(RenderError, match="Range too big"):
        _render_source(project, "{{ range(10**9)|list|length }}")
    assert time.perf_counter() - started < FAST


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }} {% endfor %}", "12 34"),
        ("{% set x, y = 1, 2 %}{{ x + y }}", "3"),
        ("{{ {'k': [1, (2, 3)]} }}", "{'k': [1, (2, 3)]}"),
        (
            "{% set n = namespace(items=[]) %}{% for i in range(3) %}{% set n.items = n.items + [i] %}"
            "{% endfor %}{{ n.items|join(', ') }}",
            "0, 1, 2",
        ),
        ("{{ '%s and %s' % ('salt', 'pepper') }}", "salt and pepper"),
        ("{{ '{} {}'.format('warm', 'light') }}", "warm light"),
        ("{{ 'x %s'|format('y') }}", "x y"),
        ("{{ 'a'|center(9) }}|", "a |"),
        ("{{ ['teal', 'sand']|join(' and ') }}", "teal and sand"),
        ("{% for i in range(3) %}{{ loop.index }}{% endfor %}", "123"),
        ("{% macro tag(t) %}#{{ t }}{% endmacro %}{{ tag('hero') }} {{ tag('wide') }}", "#hero #wide"),
        ("{% set s %}soft {{ 'light' }}{% endset %}{{ s|upper }}", "SOFT LIGHT"),
        ("{{ 2 ** 10 }} {{ 'ab' * 3 }} {{ [1, 2] * 2 }}", "1024 ababab [1, 2, 1, 2]"),
        ("{{ 'salt-pepper'|replace('-', ' and ') }}", "salt and pepper"),
        ("{{ 'aaa bbb ccc'|wordwrap(4, wrapstring=' / ') }}", "aaa / bbb / ccc"),
        ("{{ 'x'|indent('> ', true) }}", "> x"),
        (
            "{{ 'see http://x.co'|urlize(target='_blank') }}",
            'see <a href="http://x.co" rel="noopener" target="_blank">http://x.co</a>',
        ),
        ("{{ 'abc'.translate({97: 'A'}) }} {{ 'a\tb'.expandtabs(2) }}", "Abc a b"),
        ("{{ (258).to_bytes(2, 'big')|list }}", "[1, 2]"),
        ("{% for i in range(1000) %}{{ ['a', 'b']|join(',')|upper|replace('A', 'c') }}{% endfor %}", "c,B" * 1000),
        ("{{ ('x' * 30000)|length }}", "30000"),
    ],
)
def test_ordinary_templates_still_work(project: Project, source: str, expected: str) -> None:
    """The bounds do not get in the way of the loops, filters, macros and formats real prompts use."""
    project.write_template("ok/t", f"version: 1\ntemplate: {json.dumps(source)}\n")
    assert project.library().render("ok/t").prompt == expected


@pytest.mark.parametrize(
    ("source", "error", "words"),
    [
        ("{% extends 'base.j2' %}", TemplateSecurityError, "extends"),
        ("{% for x in range(3) recursive %}{{ x }}{% endfor %}", TemplateSecurityError, "recursive loops"),
        ("{% set p = 'brand/tone.j2' %}{% include p %}", TemplateSecurityError, "quoted paths"),
        ("{% include '../../promptlib.yaml' %}", TemplateSecurityError, "leaves prompts/partials/"),
        ("{% include '/etc/passwd' %}", TemplateSecurityError, "leaves prompts/partials/"),
        ("{% include 'C:/Windows/win.ini' %}", TemplateSecurityError, "leaves prompts/partials/"),
        ("{% include 'brand\\\\tone.j2' %}", TemplateValidationError, "not found"),
        ("{% include 'brand/tone.txt' %}", TemplateValidationError, "not found"),
        ("{% import '../x.j2' as x %}", TemplateSecurityError, "leaves prompts/partials/"),
        ("{% from '/etc/x.j2' import y %}", TemplateSecurityError, "leaves prompts/partials/"),
    ],
)
def test_unsafe_constructs_are_rejected_at_load(
    project: Project, source: str, error: type[Exception], words: str
) -> None:
    """Includes must be literal paths inside prompts/partials/; extends and recursive loops are refused."""
    project.write_template("attack/t", f"version: 1\ntemplate: {json.dumps(source)}\n")
    with pytest.raises(error, match=words) as info:
        project.library().get("attack/t")
    assert str(info.value).startswith("prompts/attack/t.yaml:2: ")


def test_symlinked_partial_pointing_outside_is_rejected(project: Project) -> None:
    """A partial that is a symlink to a file outside prompts/partials/ is refused, and its content never shows."""
    secret = project.root.parent / "secret.txt"
    secret.write_text("hunter2\n")
    os.symlink(secret, project.path("prompts/partials/leak.j2"))
    project.write_template("attack/t", "version: 1\ntemplate: '{% include \"leak.j2\" %}'\n")
    with pytest.raises(TemplateSecurityError, match="link that leaves prompts/partials/") as info:
        project.library().render("attack/t")
    assert "hunter2" not in str(info.value)


def test_symlinked_partials_directory_pointing_outside_is_rejected(project: Project) -> None:
    """A directory symlink inside partials/ cannot be used to reach files elsewhere either."""
    outside = project.root.parent / "elsewhere"
    outside.mkdir()
    (outside / "x.j2").write_text("outside\n")
    os.symlink(outside, project.path("prompts/partials/ext"))
    project.write_template("attack/t", "version: 1\ntemplate: '{% include \"ext/x.j2\" %}'\n")
    with pytest.raises(TemplateSecurityError):
        project.library().get("attack/t")


def test_symlink_inside_partials_is_allowed(project: Project) -> None:
    """A link that stays inside prompts/partials/ is an ordinary partial."""
    os.symlink(project.path("prompts/partials/brand/tone.j2"), project.path("prompts/partials/alias.j2"))
    project.write_template("ok/t", "version: 1\ntemplate: '{% include \"alias.j2\" %}'\n")
    assert project.library().render("ok/t").prompt == "Calm, confident, uncluttered."


@pytest.mark.parametrize("template_id", ["../x", "/etc/passwd", "a/../../x", "..\\x", "\\windows"])
def test_ids_that_leave_prompts_are_security_errors(project: Project, template_id: str) -> None:
    """Library.get() refuses ids that would name a file outside prompts/."""
    with pytest.raises(TemplateSecurityError, match="leaves prompts/"):
        project.library().get(template_id)


@pytest.mark.parametrize("template_id", ["", "a//b", "a/", "-x", "x.", "has space", "partials/brand/tone"])
def test_malformed_ids_are_not_found(project: Project, template_id: str) -> None:
    """Ids that are not paths under prompts/ (or name a partial) are TemplateNotFound, also a LookupError."""
    with pytest.raises(TemplateNotFound):
        project.library().get(template_id)
    with pytest.raises(LookupError):
        project.library().get(template_id)


def test_template_file_symlinked_from_outside_is_rejected(project: Project) -> None:
    """A template file that links out of prompts/ stops the library from loading, naming the link."""
    outside = project.root.parent / "elsewhere.yaml"
    outside.write_text("version: 1\ntemplate: x\n")
    os.symlink(outside, project.path("prompts/brand/linked.yaml"))
    with pytest.raises(TemplateSecurityError, match="link that leaves prompts/") as info:
        project.library()
    assert "prompts/brand/linked.yaml" in str(info.value)


def test_templates_in_a_directory_linked_from_outside_are_never_read(project: Project) -> None:
    """Discovery resolves only files that are links themselves: it never walks into a linked directory, and a
    read of a path through one is refused all the same."""
    outside = project.root.parent / "elsewhere"
    outside.mkdir()
    (outside / "t.yaml").write_text("version: 1\ntemplate: secret\n")
    os.symlink(outside, project.path("prompts/linked"), target_is_directory=True)
    library = project.library()
    assert "linked/t" not in library
    template = project.path("prompts/linked/t.yaml")
    with pytest.raises(TemplateValidationError, match="link to a file outside the project"):
        load_template("linked/t", template, library.compiler, project.root)


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 400 + "1" + ")" * 400 + " }}",
        "{{ " + "[" * 400 + "]" * 400 + " }}",
        "{{ " + "-" * 5000 + "1 }}",
        "{% if 1 %}" * 400 + "x" + "{% endif %}" * 400,
    ],
    ids=["parentheses", "brackets", "unary minus", "if blocks"],
)
def test_deeply_nested_template_text_is_a_validation_error(project: Project, source: str) -> None:
    """Nesting that would exhaust the parser or Python's compiler is a TemplateValidationError, not a crash."""
    started = time.perf_counter()
    with pytest.raises(TemplateValidationError, match="nests expressions or blocks too deeply") as info:
        _render_source(project, source)
    assert time.perf_counter() - started < FAST
    assert str(info.value).startswith("prompts/attack/t.yaml:2: ")


def test_deep_nesting_in_one_template_does_not_stop_check(project: Project) -> None:
    """check reports the deeply nested template and still checks the rest."""
    project.write_template(
        "attack/t", f"version: 1\ntemplate: {json.dumps('{{ ' + '(' * 400 + '1' + ')' * 400 + ' }}')}\n"
    )
    project.edit_template("brand/logo-mark", "output_format: png", "output_format: tiff")
    problems = [str(p) for p in project.check().problems]
    assert any("nests expressions or blocks too deeply" in p for p in problems)
    assert any(p.startswith("prompts/brand/logo-mark.yaml:3: parameters.output_format") for p in problems)
