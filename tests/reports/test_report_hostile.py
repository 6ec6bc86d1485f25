"""report.html with markup in every field of the results: every value is shown as text, none becomes markup.

A downloaded run directory is hostile: any string in results.json (names, prompts, notes, paths, the keys of
parameters and distances, suite problems, warnings, the `--changed-since` record…) may try to open a tag, add an
attribute, end the page's `<script>` or `<style>`, or link `javascript:`. Each distinct string of the two demo runs
is replaced by its own numbered attack, the page is rendered, and a parser checks what a browser would see.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser.report_fixture import build_edit_run, build_run
from report_page import Page

from promptlib.reports._html import render_report_html

PATH_FIELDS = {"file", "nearest_golden"}
# Mappings whose keys are data (template ids, hash names, parameter names, deployments), not the results' shape.
DATA_KEYED = {"parameters", "distances", "thresholds", "hashes", "emulated", "templates", "reasons", "variables"}
# Fields the page does not show (any other string must be visible on the page, as text): content hashes, the
# parts of a case's key (the key is shown), a suite's name beside its file, the commit (shortened to 12
# characters), which cases `--changed-since` skipped and why, and an example's two prompts (their diff is shown).
NOT_SHOWN = {
    "sha256",
    "hashes",
    "mode",
    "suite",
    "case",
    "commit",
    "skipped_cases",
    "reasons",
    "old_prompt",
    "new_prompt",
}


class Attacks:
    """One numbered attack per distinct string, so equal strings stay equal (a sample's nearest golden is still a
    file of the golden set) and every string can be traced to the field it replaced."""

    def __init__(self, *, every_leaf: bool = False) -> None:
        self.every_leaf = every_leaf  # numbers, booleans and nulls become attacks too
        self.by_original: dict[tuple[str, bool], str] = {}
        self.fields: dict[str, set[str]] = {}

    def attack(self, original: str, field: str, *, path: bool = False) -> str:
        key = (original, path)
        if key not in self.by_original:
            n = len(self.by_original)
            markup = f"\"'><script>alert({n})</script><img src=x onerror=alert({n})></style></title><!--{n}"
            self.by_original[key] = (f"javascript:alert({n})" if n % 2 else f"samples/{markup}.png") if path else markup
        self.fields.setdefault(self.by_original[key], set()).add(field)
        return self.by_original[key]

    def poison(self, value: Any, field: str = "") -> Any:
        name = field.rsplit(".", 1)[-1].removesuffix("[]")
        if isinstance(value, dict):
            if name in DATA_KEYED:
                return {self.attack(k, f"{field}{{}}"): self.poison(v, f"{field}{{}}") for k, v in value.items()}
            return {k: self.poison(v, f"{field}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.poison(item, f"{field}[]") for item in value]
        if isinstance(value, str) or self.every_leaf:
            return self.attack(str(value), field.lstrip("."), path=name in PATH_FIELDS)
        return value


BUILDERS: dict[str, Callable[[Path], dict[str, Any]]] = {"statuses": build_run, "edits": build_edit_run}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def poisoned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Attacks, str, str]:
    """The attacks, the page rendered from the poisoned results, and the page of the same run unpoisoned."""
    results = BUILDERS[request.param](tmp_path_factory.mktemp(request.param))
    attacks = Attacks()
    return attacks, render_report_html(attacks.poison(results)), render_report_html(results)


def test_no_attack_appears_unescaped(poisoned: tuple[Attacks, str, str]) -> None:
    attacks, html, _ = poisoned
    assert attacks.by_original, "the demo runs hold strings"
    for attack in attacks.by_original.values():
        assert attack not in html or attack.startswith("javascript:"), sorted(attacks.fields[attack])
    assert "<img src=x" not in html and "<script>alert" not in html


def test_the_page_is_well_formed_and_has_only_our_tags_attributes_script_and_style(
    poisoned: tuple[Attacks, str, str],
) -> None:
    _, html, clean = poisoned
    page, reference = Page(html), Page(clean)
    assert page.errors == [] and page.stack == []
    assert {tag for tag, _ in page.tags} <= {tag for tag, _ in reference.tags}, "no injected element"
    names = {name for _, attrs in page.tags for name in attrs}
    assert names <= {name for _, attrs in reference.tags for name in attrs}, "no injected attribute"
    assert not [name for name in names if name.startswith("on")]
    assert page.scripts == reference.scripts and len(page.scripts) == 1, "the script holds no value from the results"
    assert page.styles == reference.styles and len(page.styles) == 1, "so does the style"


def test_links_stay_inside_the_run_directory(poisoned: tuple[Attacks, str, str]) -> None:
    page = Page(poisoned[1])
    targets = [a.get("href") for a in page.all("a")] + [i.get("src") for i in page.all("img")]
    assert targets
    for target in targets:
        assert target and not re.match(r"^\s*[a-z][a-z0-9+.-]*:|^\s*/|^\s*\\", target, re.I), target
        assert target.startswith("#case-") or re.fullmatch(r"[A-Za-z0-9/_.~%-]+", target), target
    assert any(t and t.startswith("samples/%22%27%3E%3Cscript%3E") for t in targets), "hostile names still link"


def test_every_field_the_page_shows_reads_as_the_text_it_was(poisoned: tuple[Attacks, str, str]) -> None:
    attacks, html, _ = poisoned
    page = Page(html)
    shown = page.text() + " ".join(str(v) for _, attrs in page.tags for v in attrs.values())
    missing = {
        field
        for attack, fields in attacks.fields.items()
        if attack not in shown and not attack.startswith("javascript:")
        for field in fields
        if re.sub(r"(\[\]|\{\})+$", "", field.rsplit(".", 1)[-1]) not in NOT_SHOWN
    }
    assert missing == set()


@pytest.mark.parametrize("build", sorted(BUILDERS))
def test_a_string_in_every_field_whatever_its_type_still_renders_escaped(build: str, tmp_path: Path) -> None:
    attacks = Attacks(every_leaf=True)
    html = render_report_html(attacks.poison(BUILDERS[build](tmp_path)))
    page = Page(html)
    assert page.errors == [] and len(page.scripts) == 1 and len(page.styles) == 1
    assert not [attack for attack in attacks.by_original.values() if attack in html and "<" in attack]
