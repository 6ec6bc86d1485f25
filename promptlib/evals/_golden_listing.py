"""``promptlib goldens list|prune``: what golden sets exist and which no case uses any more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.evals._cases import load_suites, read_suites
from promptlib.evals._runner import golden_store
from promptlib.exceptions import UsageError


def existing_cases(library: Library) -> set[tuple[str, str]]:
    """Every case the suites define; UsageError while a suite cannot be read (its cases are unknown, so
    nothing may be judged unused)."""
    suites = read_suites(library)
    for suite in suites:
        if not suite.readable:
            raise UsageError(
                f"suite {suite.name} cannot be read, so its cases are unknown; fix it first "
                f"({suite.problems[0].message})",
                path=suite.path,
            )
    return {(c.suite, c.id) for suite in suites for c in suite.cases}


def golden_rows(library: Library) -> list[dict[str, Any]]:
    store = golden_store(library)
    live = existing_cases(library)
    rows = []
    for suite, case in store.cases():
        manifest = store.load(suite, case, verify=False)
        if manifest is None:
            continue
        rows.append(
            {
                "key": f"{suite}/{case}",
                "goldens": len(manifest.goldens),
                "rejected": len(manifest.rejected),
                "sensitivity": manifest.calibration.get("sensitivity"),
                "thresholds": manifest.calibration.get("thresholds", {}),
                "template": manifest.template.id,
                "version": manifest.template.version,
                "unused": (suite, case) not in live,
            }
        )
    return rows


def prune_unused(library: Library) -> list[Path]:
    if not load_suites(library):  # a wrong evals path (or renamed suites) must not read as "every golden is unused"
        raise UsageError(f"no eval suites under {library.settings.evals_dir}; refusing to prune every golden set")
    from promptlib.goldens._review import recalibrate_all

    store = golden_store(library)
    removed = store.prune(existing_cases(library))
    if removed:
        recalibrate_all(store)  # the remaining cases' "unrelated" side just shrank
    return removed
