"""``promptlib goldens list|prune``: what golden sets exist and which no case uses any more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._eval_cases import expand, load_suites
from ._evals import golden_store
from ._library import Library
from .exceptions import UsageError


def existing_cases(library: Library) -> set[tuple[str, str]]:
    return {(c.suite, c.id) for name, suite in load_suites(library).items() for c in expand(library, name, suite)}


def golden_rows(library: Library) -> list[dict[str, Any]]:
    store = golden_store(library)
    live = existing_cases(library)
    rows = []
    for suite, case in store.cases():
        manifest = store.load(suite, case, verify=False)
        if manifest is None:
            continue
        rows.append({
            "key": f"{suite}/{case}",
            "goldens": len(manifest.goldens),
            "rejected": len(manifest.rejected),
            "sensitivity": manifest.calibration.get("sensitivity"),
            "thresholds": manifest.calibration.get("thresholds", {}),
            "template": manifest.template.id,
            "version": manifest.template.version,
            "unused": (suite, case) not in live,
        })
    return rows


def prune_unused(library: Library) -> list[Path]:
    if not load_suites(library):  # a wrong evals path (or renamed suites) must not read as "every golden is unused"
        raise UsageError(f"no eval suites under {library.settings.evals_dir}; refusing to prune every golden set")
    from ._review import recalibrate_all

    store = golden_store(library)
    removed = store.prune(existing_cases(library))
    if removed:
        recalibrate_all(store)  # the remaining cases' "unrelated" side just shrank
    return removed
