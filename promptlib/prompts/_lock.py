"""prompts/prompts.lock: the committed record that makes "versioned" mean something.

Each template's content hash is pinned to its version. A PR that changes a
template without bumping its version, lowers a version, or forgets to refresh
the lock fails ``promptlib check``; ``promptlib lock`` refuses to write a lock
that would hide a missing bump.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from promptlib.core._atomic import atomic_write_text
from promptlib.core._bounded import parse_json, read_text
from promptlib.core._problems import Problem, problems_of
from promptlib.exceptions import LockError, PromptlibError

if TYPE_CHECKING:
    from promptlib.prompts._catalog import TemplateCatalog

LOCK_FILE = "prompts.lock"


@dataclass(frozen=True)
class LockEntry:
    version: int
    sha256: str


@dataclass(frozen=True)
class LockIssue:
    """One disagreement between the lock and a template; ``fixable`` means `promptlib lock` fixes it."""

    template_id: str
    message: str
    fixable: bool


def lock_path(prompts_dir: Path) -> Path:
    return prompts_dir / LOCK_FILE


def read_lock(path: Path) -> dict[str, LockEntry] | None:
    """The lock's entries, or None when there is no lock yet."""
    if not path.exists():
        return None
    try:
        raw = parse_json(read_text(path, within=path.parent))
        return {tid: LockEntry(int(e["version"]), str(e["sha256"])) for tid, e in raw.items()}
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"cannot read the lock file ({exc}); regenerate it with `promptlib lock`", path=path) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise LockError(f"the lock file is corrupt ({exc}); regenerate it with `promptlib lock`", path=path) from None


def compare(lock: Mapping[str, LockEntry], current: Mapping[str, LockEntry]) -> list[LockIssue]:
    """Every way ``current`` (the templates on disk) disagrees with ``lock``."""
    issues = []
    for tid in sorted(current):
        now, then = current[tid], lock.get(tid)
        if then is None:
            issues.append(LockIssue(tid, f"{tid} is not in the lock; run `promptlib lock`", True))
        elif now.version < then.version:
            issues.append(
                LockIssue(
                    tid,
                    f"{tid}: version went down from {then.version} to {now.version}; "
                    f"set version to {then.version + 1} or more",
                    False,
                )
            )
        elif now.sha256 != then.sha256 and now.version == then.version:
            issues.append(
                LockIssue(
                    tid,
                    f"{tid}: content changed but version is still {now.version}; "
                    f"set version: {now.version + 1}, then run `promptlib lock`",
                    False,
                )
            )
        elif now != then:
            issues.append(LockIssue(tid, f"{tid}: the lock is out of date; run `promptlib lock`", True))
    for tid in sorted(set(lock) - set(current)):
        issues.append(LockIssue(tid, f"{tid} is in the lock but no longer exists; run `promptlib lock`", True))
    return issues


def write_lock(path: Path, current: Mapping[str, LockEntry]) -> list[LockIssue]:
    """Write the lock unless that would hide a missing version bump; return what blocked it.

    A corrupt lock (typically merge-conflict markers) is regenerated, as its error message promises.
    """
    try:
        existing = read_lock(path) or {}
    except LockError:
        existing = {}
    blocking = [issue for issue in compare(existing, current) if not issue.fixable]
    if blocking:
        return blocking
    payload = {tid: {"sha256": e.sha256, "version": e.version} for tid, e in sorted(current.items())}
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return []


def update_lock(library: TemplateCatalog) -> tuple[Path, list[Problem]]:
    """Lock every template; nothing is written while any template is broken or unbumped."""
    path = lock_path(library.prompts_dir)
    current: dict[str, LockEntry] = {}
    problems: list[Problem] = []
    for template_id in library.ids():
        try:
            template = library.get(template_id)
        except PromptlibError as exc:
            problems.extend(problems_of(exc))
            continue
        current[template_id] = LockEntry(template.version, template.content_hash)
    if problems:
        return path, problems
    blocking = write_lock(path, current)
    # the fix for a refusal (a missing or backward bump) is in the template, so point there
    return path, [
        Problem(library.path_of(issue.template_id), version_line(library.path_of(issue.template_id)), issue.message)
        for issue in blocking
    ]


def version_line(path: Path, key: str = "version") -> int | None:
    """The line of a template's top-level ``version:`` key (where a bump goes), or of another key."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((i + 1 for i, text in enumerate(lines) if re.match(rf"{key}\s*:", text)), None)
