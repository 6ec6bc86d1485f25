"""``eval --changed-since REF``: spend API money only on the cases a change can affect.

A case's request is determined by its template (content hash, which covers every
partial it includes, and version), its variables, and its suite entry (samples,
policy, expectations, deployment). So a case is run when any of those differs
between REF and the working tree, when it did not exist at REF (a new case, suite
or template), or when its suite lists it under ``always:``. Everything else is
skipped and counted, so the run says what it did not check.

REF is read through git (suites and templates with REF's partials in memory), the
same way ``promptlib diff`` reads it; the per-template rendered-prompt diffs of
the run come from that same comparison so the report shows what changed next to
the images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.core._git import Git
from promptlib.core._problems import validate_document
from promptlib.core._yaml import parse_yaml
from promptlib.evals._cases import EvalCase, expand, load_suites
from promptlib.evals._suites import SuiteFile, suite_name, suite_name_problem
from promptlib.exceptions import PromptlibError, TemplateNotFound, TemplateValidationError
from promptlib.git._diff import (
    PromptDiff,
    Revision,
    Side,
    compare,
    open_git,
    resolve_revision,
    templates_at,
    templates_now,
)
from promptlib.prompts._templates import PromptTemplate


@dataclass
class ChangedSelection:
    """The cases to run, why each runs, how many were skipped, and the template diffs to show with them."""

    revision: Revision
    cases: list[EvalCase]
    reasons: dict[str, str]  # case key -> why it runs
    skipped: list[str]  # case keys left out as unchanged
    diff: PromptDiff
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        """The line the CLI prints, e.g. "changed since HEAD (1a2b3c4d5e6f): running 4 cases, skipped 19 …"."""
        skipped = len(self.skipped)
        why = (
            f"skipped {skipped} unchanged case{'s' if skipped != 1 else ''} "
            "(same template content, version, variables and suite entry)"
            if skipped
            else "skipped none"
        )
        runs = len(self.cases)
        return (
            f"changed since {self.revision.ref} ({self.revision.short}): running {runs} "
            f"case{'s' if runs != 1 else ''}, {why}"
        )

    def to_json(self) -> dict[str, Any]:
        """What results.json carries as ``changed_since``: the comparison and, per changed template, its diff."""
        return {
            "ref": self.revision.ref,
            "commit": self.revision.commit,
            "ran": len(self.cases),
            "skipped": len(self.skipped),
            "skipped_cases": self.skipped,
            "reasons": self.reasons,
            "notes": self.notes,
            "templates": {change.template_id: change.to_json() for change in self.diff.changes},
        }


class _LibraryAt(Library):
    """A Library whose templates are those at REF, so ``expand`` resolves ``from_examples`` as it did then."""

    def __init__(self, library: Library, side: Side) -> None:
        super().__init__(library.settings)
        self._side = side

    def get(self, template_id: str, version: int | None = None) -> PromptTemplate:
        template = self._side.templates.get(template_id)
        if template is None:
            reason = self._side.errors.get(template_id, "no such template")
            raise TemplateNotFound(f"{template_id} at REF: {reason}")
        return template


def select_changed(library: Library, cases: Sequence[EvalCase], ref: str | None) -> ChangedSelection:
    """Keep the cases of ``cases`` (already selected by SUITE[/CASE]) that changed since ``ref``, plus ``always:``."""
    git = open_git(library)
    revision = resolve_revision(git, ref)
    old_side, new_side = templates_at(git, revision, library), templates_now(library)
    diff = compare(old_side, new_side, revision)
    changed_templates = {change.template_id for change in diff.changes}
    notes: list[str] = []
    old_cases = _cases_at(git, revision, library, old_side, notes)
    always = {(name, case_id) for name, suite in load_suites(library).items() for case_id in suite.always}
    chosen: list[EvalCase] = []
    reasons: dict[str, str] = {}
    skipped: list[str] = []
    for case in cases:
        reason = _why_run(case, old_cases, changed_templates, always)
        if reason is None:
            skipped.append(case.key)
        else:
            chosen.append(case)
            reasons[case.key] = reason
    return ChangedSelection(revision, chosen, reasons, skipped, diff, notes)


def _why_run(
    case: EvalCase, old_cases: dict[str, EvalCase] | None, changed_templates: set[str], always: set[tuple[str, str]]
) -> str | None:
    if case.template_id in changed_templates:
        return f"template {case.template_id} changed"
    if old_cases is None:
        return "suites could not be read at REF"
    before = old_cases.get(case.key)
    if before is None:
        return "new case"
    if before.template_id != case.template_id:
        return "the case uses another template"
    if before.variables != case.variables:
        return "variables changed"
    if before != case:  # samples, policy, expectations, deployment
        return "suite entry changed"
    if (case.suite, case.id) in always:
        return "listed under always:"
    return None


def _cases_at(
    git: Git, revision: Revision, library: Library, side: Side, notes: list[str]
) -> dict[str, EvalCase] | None:
    """Every case as the suites at REF defined it, by key; a suite that does not load at REF runs all its cases.

    None when git cannot list evals/ at all (then everything runs rather than guessing).
    """
    evals_dir = library.settings.evals_dir
    try:
        evals_relative = git.relative(evals_dir)
    except ValueError:
        notes.append(f"{evals_dir} is outside the git repository; every selected case runs")
        return None
    at_ref = _LibraryAt(library, side)
    found: dict[str, EvalCase] = {}
    prefix = f"{evals_relative}/"
    for relative in git.files(revision.commit, evals_relative):
        inside = relative[len(prefix) :] if relative.startswith(prefix) else relative
        name = suite_name(inside)
        if name is None or suite_name_problem(name) is not None:
            continue
        text = git.show(revision.commit, relative)
        if text is None:
            continue
        try:
            doc = parse_yaml(text, Path(f"{revision.ref}:{relative}"))
            suite: SuiteFile = validate_document(SuiteFile, doc, TemplateValidationError, "an eval suite")
            for case in expand(at_ref, name, suite):
                found[case.key] = case
        except PromptlibError as exc:
            notes.append(f"suite {name} did not load at {revision.ref}, so its cases count as changed: {exc}")
    return found
