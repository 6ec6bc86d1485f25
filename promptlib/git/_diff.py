"""``promptlib diff [REF]``: what a change to prompts/ does to the prompts actually sent.

A reviewer of a prompt PR sees YAML lines; what matters is the text the model
receives. So both sides are loaded as templates, through the same compiler,
sandbox and checks as ``Library.get`` — the working tree from files, REF from
``git show REF:path`` with REF's partials in memory (no checkout) — and each
template whose content hash or version differs is reported with its version
change, parameter and variable changes, the partials that changed under it, and
a unified diff of the rendered prompt for each of its examples.

Comparing content hashes (which cover every included partial) rather than file
diffs is what makes an edit to one partial show up on exactly the templates that
include it, and a reformatted-but-equal YAML file show up on none.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from promptlib._library import TEMPLATE_SUFFIX, Library
from promptlib.core._git import Git, GitPartials
from promptlib.exceptions import PromptlibError, UsageError
from promptlib.prompts._compiler import TemplateCompiler
from promptlib.prompts._templates import PromptTemplate, template_from_text

ChangeStatus = Literal["added", "removed", "changed"]
ExampleStatus = Literal["added", "removed", "changed", "unchanged", "error"]


@dataclass(frozen=True)
class Revision:
    """The commit a comparison is against, and how the user named it (for messages and reports)."""

    ref: str
    commit: str

    @property
    def short(self) -> str:
        return self.commit[:12]


@dataclass
class ExampleDiff:
    """One example rendered at REF and now; ``diff`` is a unified diff, empty when the text is the same."""

    name: str
    status: ExampleStatus
    old_prompt: str | None = None
    new_prompt: str | None = None
    diff: str = ""
    error: str | None = None


@dataclass
class TemplateChange:
    """One template added, removed or changed between REF and the working tree."""

    template_id: str
    status: ChangeStatus
    old_version: int | None = None
    new_version: int | None = None
    old_hash: str | None = None
    new_hash: str | None = None
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"from": x, "to": y}
    variables: dict[str, list[str]] = field(default_factory=dict)  # added / removed / changed -> names
    partials: list[str] = field(default_factory=list)  # included partials whose text differs
    examples: list[ExampleDiff] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # a side that did not load, and why

    @property
    def version_change(self) -> str:
        old = "-" if self.old_version is None else f"v{self.old_version}"
        new = "-" if self.new_version is None else f"v{self.new_version}"
        return f"{old} → {new}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"version_change": self.version_change}


@dataclass
class PromptDiff:
    """Every changed template, sorted by id; ``unchanged`` counts the rest."""

    revision: Revision
    changes: list[TemplateChange]
    unchanged: int

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.revision.ref,
            "commit": self.revision.commit,
            "unchanged": self.unchanged,
            "templates": [change.to_json() for change in self.changes],
        }


# --------------------------------------------------------------------------- the revision


def open_git(library: Library) -> Git:
    git = Git.find(library.settings.root)
    if git is None:
        raise UsageError(
            f"{library.settings.root} is not in a git repository (or git is not installed); "
            "diff and --changed-since compare with a git revision"
        )
    return git


def resolve_revision(git: Git, ref: str | None) -> Revision:
    """REF as a commit; without REF, the merge base with the default branch (what a PR is compared against)."""
    if ref is None:
        base = git.default_base()
        if base is None:
            raise UsageError(
                "no default branch to compare with (tried the merge base of HEAD with origin/HEAD, origin/main, "
                "main and master); name a revision, e.g. `promptlib diff HEAD`"
            )
        commit, label = base
        return Revision(label, commit)
    found = git.commit_of(ref)
    if found is None:
        raise UsageError(f"{ref!r} is not a commit in {git.toplevel} (a typo, or a branch not fetched?)")
    return Revision(ref, found)


# --------------------------------------------------------------------------- loading both sides


@dataclass
class Side:
    """The templates of one side: loaded ones, and the ids that failed to load with the reason."""

    templates: dict[str, PromptTemplate]
    errors: dict[str, str]

    def ids(self) -> set[str]:
        return set(self.templates) | set(self.errors)


def templates_now(library: Library) -> Side:
    templates: dict[str, PromptTemplate] = {}
    errors: dict[str, str] = {}
    for template_id in library.ids():
        try:
            templates[template_id] = library.get(template_id)
        except PromptlibError as exc:
            errors[template_id] = str(exc)
    return Side(templates, errors)


def templates_at(git: Git, revision: Revision, library: Library) -> Side:
    """Every template as committed at ``revision``, compiled with that commit's partials (read on demand)."""
    prompts_relative = git.relative(library.prompts_dir)
    partials = GitPartials(git, revision.commit, f"{prompts_relative}/partials")
    # Errors name "REF:prompts/x.yaml", so nobody opens the working-tree file looking for an old problem.
    named = Path(f"{revision.ref}:{prompts_relative}")
    compiler = TemplateCompiler(named, partials=partials)
    templates: dict[str, PromptTemplate] = {}
    errors: dict[str, str] = {}
    prefix = f"{prompts_relative}/"
    for relative in git.files(revision.commit, prompts_relative):
        inside = relative[len(prefix) :] if relative.startswith(prefix) else relative
        if not inside.endswith(TEMPLATE_SUFFIX) or inside.split("/")[0] == "partials":
            continue
        template_id = inside[: -len(TEMPLATE_SUFFIX)]
        text = git.show(revision.commit, relative)
        if text is None:
            errors[template_id] = f"{revision.ref}:{relative}: not UTF-8 text"
            continue
        try:
            templates[template_id] = template_from_text(
                template_id, text, named / inside, compiler, library.settings.root
            )
        except PromptlibError as exc:
            errors[template_id] = str(exc)
    return Side(templates, errors)


# --------------------------------------------------------------------------- comparing


def diff_library(library: Library, ref: str | None) -> PromptDiff:
    git = open_git(library)
    revision = resolve_revision(git, ref)
    return compare(templates_at(git, revision, library), templates_now(library), revision)


def compare(old: Side, new: Side, revision: Revision) -> PromptDiff:
    changes: list[TemplateChange] = []
    unchanged = 0
    for template_id in sorted(old.ids() | new.ids()):
        change = compare_one(template_id, old, new, revision)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    return PromptDiff(revision, changes, unchanged)


def compare_one(template_id: str, old: Side, new: Side, revision: Revision) -> TemplateChange | None:
    """The change to one template, or None when its content hash and version are the same on both sides."""
    before, after = old.templates.get(template_id), new.templates.get(template_id)
    errors = [f"at {revision.ref}: {old.errors[template_id]}"] if template_id in old.errors else []
    errors += [f"now: {new.errors[template_id]}"] if template_id in new.errors else []
    in_old, in_new = template_id in old.ids(), template_id in new.ids()
    status: ChangeStatus = "added" if not in_old else "removed" if not in_new else "changed"
    if (
        before is not None
        and after is not None
        and not errors
        and before.content_hash == after.content_hash
        and before.version == after.version
    ):
        return None
    change = TemplateChange(
        template_id=template_id,
        status=status,
        old_version=before.version if before else None,
        new_version=after.version if after else None,
        old_hash=before.content_hash if before else None,
        new_hash=after.content_hash if after else None,
        errors=errors,
    )
    change.parameters = _parameter_changes(before, after)
    change.variables = _variable_changes(before, after)
    change.partials = _partial_changes(before, after)
    change.examples = _example_diffs(template_id, before, after, revision)
    return change


def _parameter_changes(before: PromptTemplate | None, after: PromptTemplate | None) -> dict[str, dict[str, Any]]:
    old = before.parameters.to_wire() if before else {}
    new = after.parameters.to_wire() if after else {}
    return {
        name: {"from": old.get(name), "to": new.get(name)}
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }


def _variable_changes(before: PromptTemplate | None, after: PromptTemplate | None) -> dict[str, list[str]]:
    old = {name: spec.model_dump() for name, spec in before.variables.items()} if before else {}
    new = {name: spec.model_dump() for name, spec in after.variables.items()} if after else {}
    found = {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(name for name in set(old) & set(new) if old[name] != new[name]),
    }
    return {kind: names for kind, names in found.items() if names}


def _partial_changes(before: PromptTemplate | None, after: PromptTemplate | None) -> list[str]:
    """Partials included on either side whose text differs (or that only one side includes)."""
    old: Mapping[str, str] = before._compiled.partials if before else {}
    new: Mapping[str, str] = after._compiled.partials if after else {}
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


def _render_examples(template: PromptTemplate | None) -> dict[str, tuple[str | None, str | None]]:
    """Example name -> (prompt, error); an example that no longer renders is shown, not fatal."""
    if template is None:
        return {}
    rendered: dict[str, tuple[str | None, str | None]] = {}
    for example in template.examples:
        try:
            rendered[example.name] = (template.render(dict(example.variables)).prompt, None)
        except PromptlibError as exc:
            rendered[example.name] = (None, str(exc))
    return rendered


def _example_diffs(
    template_id: str, before: PromptTemplate | None, after: PromptTemplate | None, revision: Revision
) -> list[ExampleDiff]:
    old, new = _render_examples(before), _render_examples(after)
    names = list(old) + [name for name in new if name not in old]
    diffs: list[ExampleDiff] = []
    for name in names:
        old_prompt, old_error = old.get(name, (None, None))
        new_prompt, new_error = new.get(name, (None, None))
        error = "; ".join(e for e in (old_error and f"at {revision.ref}: {old_error}", new_error) if e) or None
        status: ExampleStatus
        if error:
            status = "error"
        elif name not in old:
            status = "added"
        elif name not in new:
            status = "removed"
        else:
            status = "unchanged" if old_prompt == new_prompt else "changed"
        text = (
            unified(
                old_prompt or "",
                new_prompt or "",
                f"a/{template_id}:{name} ({revision.ref})",
                f"b/{template_id}:{name} (working tree)",
            )
            if status != "unchanged"
            else ""
        )
        diffs.append(ExampleDiff(name, status, old_prompt, new_prompt, text, error))
    return diffs


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two rendered prompts, line by line (prompts keep their template's line breaks)."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="")
    return "\n".join(lines)


# --------------------------------------------------------------------------- text output


def format_diff(result: PromptDiff) -> str:
    """What `promptlib diff` prints: one block per changed template, the example diffs indented under it."""
    revision = result.revision
    head = f"comparing the working tree with {revision.ref} ({revision.short})"
    if not result.changes:
        return f"{head}: no template changed ({result.unchanged} unchanged)\n"
    counts: dict[str, int] = {}
    for change in result.changes:
        counts[change.status] = counts.get(change.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines = [f"{head}: {summary}, {result.unchanged} unchanged", ""]
    for change in result.changes:
        lines.append(f"{change.status} {change.template_id} ({change.version_change})")
        if change.old_hash != change.new_hash and change.old_version == change.new_version is not None:
            lines.append("  warning: content changed without a version bump (`promptlib check` will refuse it)")
        if change.status == "changed" and change.old_hash == change.new_hash and not change.errors:
            lines.append("  version only: the rendered prompts and parameters are the same")
        for message in change.errors:
            lines.append(f"  error {message}")
        for name in change.partials:
            lines.append(f"  partial {name} changed")
        for name, values in change.parameters.items():
            lines.append(f"  parameter {name}: {_show(values['from'])} → {_show(values['to'])}")
        for kind, names in change.variables.items():
            lines.append(f"  variables {kind}: {', '.join(names)}")
        for example in change.examples:
            if example.status == "unchanged":
                lines.append(f"  example {example.name}: rendered prompt unchanged")
                continue
            lines.append(f"  example {example.name}: {example.status}")
            if example.error:
                lines.append(f"    error {example.error}")
            lines += [f"    {line}" for line in example.diff.splitlines()]
        if not change.examples and change.status != "removed":
            lines.append("  (no examples to render; add some under examples: to see prompt diffs)")
        lines.append("")
    return "\n".join(lines)


def _show(value: object) -> str:
    return "(unset)" if value is None else str(value)
