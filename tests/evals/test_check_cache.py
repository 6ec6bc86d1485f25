"""The check cache: a file is checked again exactly when it, or anything it depends on, changed.

`check` keeps each template's, suite's and partial's findings in `.promptlib/cache/check.json`. These tests
edit one thing at a time and look at which units the next check re-checked (`CheckReport.rechecked`) and
at what it reported, which must always be what a cold check reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from click.testing import Result
from project_helpers import HERO_ID, LOGO_ID, Project

from promptlib.evals import _check_cache
from promptlib.evals._check import CheckReport, check_project
from promptlib.models import _table

CACHE = ".promptlib/cache/check.json"
EVERY_UNIT = {
    f"template {HERO_ID}",
    f"template {LOGO_ID}",
    "suite smoke",
    "partial brand/palette.j2",
    "partial brand/tone.j2",
}


def check(project: Project, **options: object) -> CheckReport:
    return check_project(project.library(), **options)  # type: ignore[arg-type]


def shown(report: CheckReport) -> list[str]:
    return [str(p) for p in report.problems] + [f"warning: {w}" for w in report.warnings]


def cold(project: Project) -> list[str]:
    return shown(check(project, use_cache=False))


def misdeploy(project: Project) -> None:
    """A problem in a template that still loads (so its findings are cached)."""
    project.edit_template(LOGO_ID, "version: 1", "version: 1\ndeployment: nowhere")


def test_a_second_check_of_an_unchanged_project_rechecks_nothing(project: Project) -> None:
    assert set(check(project).rechecked) == EVERY_UNIT
    again = check(project)
    assert again.rechecked == []
    assert again.ok and again.templates == 2 and again.suites == 1 and again.partials == 2


def test_editing_one_template_rechecks_it_and_the_suites_that_name_it(project: Project) -> None:
    check(project)
    project.edit_template(LOGO_ID, "Flat logo mark", "A flat logo mark")
    report = check(project)
    assert report.rechecked == [f"template {LOGO_ID}", "suite smoke"]
    assert shown(report) == cold(project)


def test_editing_a_nested_partial_rechecks_every_template_that_includes_it(project: Project) -> None:
    """hero includes palette, which includes tone; logo includes tone: both must see tone's new variable."""
    check(project)
    project.write_partial("brand/tone.j2", "Calm, {{ mood }}, uncluttered.\n")
    report = check(project)
    assert {f"template {HERO_ID}", f"template {LOGO_ID}", "partial brand/tone.j2"} <= set(report.rechecked)
    undeclared = [p for p in report.problems if "'mood' is used but not declared" in p.message]
    assert sorted(p.path.name for p in undeclared) == ["hero-banner.yaml", "logo-mark.yaml"]
    assert shown(report) == cold(project)


def test_a_partial_only_one_template_includes_rechecks_only_that_template(project: Project) -> None:
    check(project)
    project.write_partial("brand/palette.j2", 'Deep teal and warm sand. {% include "brand/tone.j2" %}\n')
    assert set(check(project).rechecked) == {f"template {HERO_ID}", "suite smoke", "partial brand/palette.j2"}


def test_adding_the_partial_a_broken_template_is_missing_fixes_it(project: Project) -> None:
    """A template that does not load is never cached: what it lacks may appear at any time."""
    project.edit_template(LOGO_ID, '"brand/tone.j2"', '"brand/new.j2"')
    assert not check(project).ok
    project.write_partial("brand/new.j2", "Quiet.\n")
    report = check(project)
    assert f"template {LOGO_ID}" in report.rechecked
    assert shown(report) == cold(project)


def test_changing_the_config_rechecks_everything(project: Project) -> None:
    check(project)
    project.edit("promptlib.yaml", "    kind: emulator\n", "    kind: emulator\n    model: gpt-image-1-mini\n")
    report = check(project)
    assert set(report.rechecked) == EVERY_UNIT
    assert shown(report) == cold(project)


def test_a_models_override_in_the_config_reaches_cached_templates(project: Project) -> None:
    check(project)
    config = project.read("promptlib.yaml") + "models:\n  gpt-image-2:\n    qualities: [low, medium]\n"
    project.write("promptlib.yaml", config, dedent=False)
    report = check(project)
    assert any("parameters.quality" in p.message for p in report.problems)
    assert shown(report) == cold(project)


def test_a_new_model_table_rechecks_everything(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A promptlib upgrade can ship a table where a model no longer takes a quality: the cache must not hide it."""
    check(project)
    shipped = _table.shipped_table()
    narrower = shipped.entries["gpt-image-2"].model_copy(update={"qualities": ["low", "medium"]})
    monkeypatch.setattr(_table, "shipped_table", lambda: shipped.with_overrides({"gpt-image-2": narrower}))
    report = check(project)
    assert set(report.rechecked) == EVERY_UNIT
    assert any("parameters.quality" in p.message for p in report.problems)


def test_another_promptlib_version_rechecks_everything(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    check(project)
    monkeypatch.setattr(_check_cache, "promptlib_version", lambda: "999.0")
    assert set(check(project).rechecked) == EVERY_UNIT


def test_no_cache_neither_reads_nor_writes_the_cache(project: Project, invoke: Callable[..., Result]) -> None:
    assert invoke("check", "--no-cache").exit_code == 0
    assert not project.path(CACHE).exists()
    check(project)
    assert set(check(project, use_cache=False).rechecked) == EVERY_UNIT


def test_a_corrupt_cache_is_ignored(project: Project) -> None:
    check(project)
    project.write(CACHE, '{"schema": 1, "entries": [', dedent=False)
    report = check(project)
    assert set(report.rechecked) == EVERY_UNIT and report.ok


def test_an_entry_filed_under_another_key_is_not_trusted(project: Project) -> None:
    """A PR can commit `.promptlib/`: an entry must carry the key it is filed under, which is its content's."""
    misdeploy(project)
    problems = cold(project)
    assert any("nowhere" in line for line in problems)
    check(project)
    data = json.loads(project.read(CACHE))
    entries = data["entries"]
    for key, entry in list(entries.items()):
        if isinstance(entry["findings"], dict):
            entry["findings"]["problems"] = []
        entries[key[::-1]] = entries.pop(key)  # filed under a key it does not carry
    project.write(CACHE, json.dumps(data), dedent=False)
    assert shown(check(project)) == problems


def test_an_entry_whose_problem_leaves_the_project_is_not_trusted(project: Project) -> None:
    misdeploy(project)
    problems = cold(project)
    assert any("nowhere" in line for line in problems)
    check(project)
    data = json.loads(project.read(CACHE))
    for entry in data["entries"].values():
        for problem in entry["findings"]["problems"] if isinstance(entry["findings"], dict) else []:
            problem[0] = "../../etc/passwd"
    project.write(CACHE, json.dumps(data), dedent=False)
    report = check(project)
    assert shown(report) == problems
    assert f"template {LOGO_ID}" in report.rechecked


def test_a_cache_that_is_a_pipe_does_not_hang_check(project: Project) -> None:
    project.path(CACHE).parent.mkdir(parents=True)
    os.mkfifo(project.path(CACHE))
    assert check(project).ok


def test_a_cache_that_cannot_be_written_is_a_warning(project: Project, invoke: Callable[..., Result]) -> None:
    project.write(".promptlib/cache", "a file where the cache folder goes", dedent=False)
    result = invoke("check")
    assert result.exit_code == 0
    assert "the check cache could not be written" in result.stderr


#: Run in a fresh interpreter: the pool forks only from a single-threaded process, and a test worker has threads.
PARALLEL_THEN_SERIAL = """
import json, sys
from promptlib import Library
from promptlib.evals import _check_pool
from promptlib.evals._check import check_project
_check_pool.POOL_THRESHOLD = 2
assert _check_pool._can_fork(), "a fresh interpreter may fork"
library = Library.load(sys.argv[1])
def shown(r):
    return [str(p) for p in r.problems] + [f"warning: {w}" for w in r.warnings]
print(json.dumps([shown(check_project(library, use_cache=False, workers=n)) for n in (2, 1)]))
"""


def test_a_parallel_check_reports_what_a_serial_one_does(project: Project) -> None:
    """Findings come back in id order whichever worker finishes first."""
    for n in range(6):
        project.write_template(f"extra/t{n}", f"version: 1\ntemplate: Plain prompt {n} {{{{ x }}}}.\n")
    done = subprocess.run(
        [sys.executable, "-c", PARALLEL_THEN_SERIAL, str(project.root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    parallel, serial = json.loads(done.stdout)
    assert parallel == serial
    assert len(parallel) >= 6
