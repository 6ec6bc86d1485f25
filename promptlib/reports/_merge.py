"""``promptlib report merge RUN...``: the run directories of a sharded eval joined into one.

A CI matrix runs ``promptlib eval --shard K/N`` on N machines; each uploads its own run directory. Reviewers
want one report and one place to approve from, so the merge builds an ordinary run directory (nothing in it
says "merged" except ``merged_from``): the union of the cases, their sample and golden-copy files at the same
relative paths (report.html and ``promptlib approve`` resolve files relative to the run), counts and totals
recomputed from the cases, and fresh results.json, summary.md and report.html.

Merging refuses what would make the report lie: runs hashed with different hash specs (their distances are not
comparable), and a case present in two runs with different results (which verdict would be the truth?). A case
present twice with identical results — the same run passed twice, say — is kept once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from promptlib.core._atomic import atomic_write_text
from promptlib.core._clock import utc_now
from promptlib.evals._results import CaseResult, RunResult
from promptlib.evals._run_dir import RunDirectory
from promptlib.exceptions import UsageError
from promptlib.reports._runs import RESULTS, load_results
from promptlib.reports._summary import REPORT, SUMMARY, summary_markdown

if TYPE_CHECKING:
    from promptlib._library import Library


@dataclass(frozen=True)
class ProjectCases:
    """What the checked-out project says a full run is: lets a merge of every shard count as a full run."""

    cases: Collection[str]
    goldens: Collection[str]


@dataclass(frozen=True)
class Merged:
    run: RunDirectory
    data: dict[str, Any]
    sources: list[Path]


def merge_runs(
    sources: Sequence[Path], runs_root: Path, out: Path | None = None, project: ProjectCases | None = None
) -> Merged:
    """Write one run directory (``out``, else a new id under ``runs_root``) holding every case of ``sources``."""
    if not sources:
        raise UsageError("give the run directories (or ids) to merge: promptlib report merge RUN RUN ...")
    loaded = [(path, load_results(path)) for path in sources]
    _same_hash_spec(loaded)
    cases = _union_cases(loaded)
    run = _destination(runs_root, out, [path for path, _ in loaded])
    for path, results in loaded:
        for case in results["cases"]:
            if cases[case["key"]][0] == path:
                _copy_case_files(path, run.path, case)
    data = _merged_results(run, loaded, {key: case for key, (_, case) in cases.items()}, project)
    atomic_write_text(run.path / RESULTS, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    atomic_write_text(run.path / SUMMARY, summary_markdown(data))
    from promptlib.reports._html import render_report_html

    atomic_write_text(run.path / REPORT, render_report_html(data))
    return Merged(run=run, data=data, sources=[path for path, _ in loaded])


def _same_hash_spec(loaded: Sequence[tuple[Path, dict[str, Any]]]) -> None:
    """Distances from different hash specs (or hashing library versions) are not comparable: refuse."""
    first_path, first = loaded[0]
    for path, results in loaded[1:]:
        if results.get("hash_spec") != first.get("hash_spec"):
            raise UsageError(
                f"{path} was hashed with a different hash spec than {first_path} "
                "(another promptlib or image-library version); re-run the shards with the same install"
            )


def _union_cases(loaded: Sequence[tuple[Path, dict[str, Any]]]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every case once, remembering which run it came from; a case with two different results is an error."""
    cases: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, results in loaded:
        for case in results["cases"]:
            key = case.get("key")
            if not isinstance(key, str):
                raise UsageError(f"{path / RESULTS} has a case without a key; is it a promptlib results file?")
            if key in cases:
                if cases[key][1] != case:
                    raise UsageError(
                        f"case {key} is in both {cases[key][0]} and {path} with different results; "
                        "merge the runs of one sharded eval (each case runs on exactly one shard)"
                    )
                continue
            cases[key] = (path, case)
    return cases


def _destination(runs_root: Path, out: Path | None, sources: Sequence[Path]) -> RunDirectory:
    if out is not None:
        if (out / RESULTS).exists():
            raise UsageError(f"{out} already holds a run; choose an empty --out directory")
        if any(out.resolve() == source.resolve() for source in sources):
            raise UsageError(f"--out {out} is one of the runs being merged; choose a new directory")
    return RunDirectory.create(runs_root, out)


def _inside(root: Path, relative: str) -> Path:
    """``root / relative`` for a plain relative path that stays inside ``root``; anything else is refused
    (results.json comes from someone else's CI and must not make us copy /etc/passwd into an artifact)."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise UsageError(f"{root / RESULTS} names a file outside its run directory: {relative!r}")
    path = root.joinpath(*pure.parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"{root / RESULTS} names a file outside its run directory: {relative!r}")
    return path


def _case_files(case: dict[str, Any]) -> set[str]:
    files: set[str] = set()
    for sample in case.get("samples") or []:
        for name in ("file", "nearest_golden"):
            if sample.get(name):
                files.add(str(sample[name]))
    for golden in case.get("goldens") or []:
        if golden.get("file"):
            files.add(str(golden["file"]))
    return files


def _copy_case_files(source: Path, dest: Path, case: dict[str, Any]) -> None:
    """Copy the files a case's results point at, at the same relative paths (so links and approve still work)."""
    for relative in sorted(_case_files(case)):
        origin = _inside(source, relative)
        if not origin.is_file():
            raise UsageError(f"{origin} is missing: {case['key']} in {source / RESULTS} points at it")
        target = dest / relative
        if target.exists():
            if target.read_bytes() != origin.read_bytes():
                raise UsageError(f"two runs hold different files at {relative}; merge runs of one sharded eval")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)


def _case_result(case: dict[str, Any]) -> CaseResult:
    """The typed case again (every field, known or newer), so counts and totals are computed as a run's are."""
    return CaseResult.model_validate({key: value for key, value in case.items() if key != "key"})


def _merged_results(
    run: RunDirectory,
    loaded: Sequence[tuple[Path, dict[str, Any]]],
    cases: dict[str, dict[str, Any]],
    project: ProjectCases | None,
) -> dict[str, Any]:
    keys = set(cases)
    full_run = all(bool(results.get("full_run")) for _, results in loaded)
    unused = sorted({u for _, results in loaded for u in results.get("unused_goldens") or []} - keys)
    if project is not None and set(project.cases) and set(project.cases) <= keys:
        # Every case of the project ran somewhere: this is a full run, and only now can unused goldens be told.
        full_run = True
        unused = sorted(set(project.goldens) - set(project.cases))
    result = RunResult(
        run_id=run.run_id,
        created_at=utc_now(),
        deployments=sorted({d for _, results in loaded for d in results.get("deployments") or []}),
        full_run=full_run,
        hash_spec=loaded[0][1].get("hash_spec") or {},
        cases=[_case_result(case) for case in cases.values()],
        unused_goldens=unused,
        suite_errors=_unique([e for _, results in loaded for e in results.get("suite_errors") or []]),
        # Shards run side by side: the merged run took as long as its slowest shard.
        wall_time_s=max(float(results.get("totals", {}).get("wall_time_s") or 0.0) for _, results in loaded),
        promptlib_version=version("promptlib"),
    )
    data = result.to_json()  # each case through the typed model: fields this version does not know survive
    data["merged_from"] = [str(results.get("run_id", path.name)) for path, results in loaded]
    return data


def _unique(items: list[Any]) -> list[Any]:
    """Each shard reports the same suite problems: keep one of each."""
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def full_run_scope(library: Library) -> ProjectCases | None:
    """The checked-out project's cases and golden sets, or None when it has no suites to compare with."""
    from promptlib.evals._cases import select_cases
    from promptlib.evals._runner import golden_store
    from promptlib.exceptions import PromptlibError

    try:
        cases, _ = select_cases(library, [])
        goldens = [f"{suite}/{case}" for suite, case in golden_store(library).cases()]
    except PromptlibError:
        return None
    return ProjectCases(cases={case.key for case in cases}, goldens=goldens)
