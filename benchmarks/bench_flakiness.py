"""Do the example suites fail when nothing is wrong? (the false-failure acceptance check)

Acceptance: "200 repeated runs of the example suites with emulator variance on, a
fresh random seed each run and the cache off produce no false failure; report the
count, and per case the thresholds and the min/median/max nearest-golden
distances". A golden-image check that goes red on unchanged prompts teaches people
to ignore it, so the per-case thresholds calibrated at approval (§5.4) and the
sequential 3 -> 5 policy (§5.5) must keep a good model green run after run.

How:

1. Copy the example project (``promptlib.yaml``, ``prompts/``, ``evals/``, ``assets/``)
   into a temp dir (or ``--keep DIR``) at start, so edits others make to the
   examples while this runs do not leak in.
2. If some case has no goldens, run once (cache off) and approve every new case
   with the default approval (all K samples), as ``promptlib approve --all-new`` does.
3. Run every case N times (default 200) in this process through the library
   (``select_cases`` + ``run_cases`` with ``EvalOptions(cache="off")``). Before each
   run ``promptlib.deployments.emulator._apps`` is cleared and a new ``Library`` is
   loaded, so each run gets a new emulator app with a fresh random seed (the
   example deployment has no ``seed``; the script says so if one does).
4. Any case that is not ``passed`` is a false failure: nothing changed, so every
   case should pass (a case expected to be blocked passes when it is blocked; a
   low-sensitivity case passes in smoke mode).

Per case it prints the thresholds and sensitivity, the min/median/max distance of
every drawn sample to the golden its verdict used (pHash, dHash, wHash), how many
samples missed, how often the ambiguous first draw needed a top-up, and the
failures; then the total false-failure count and the time per run. Run
directories are deleted as soon as they are read (each holds ~60 PNGs, so 200
would fill GBs), except those of runs with a false failure, which ``--keep DIR``
keeps for inspection together with ``flakiness.json`` (every distance).

It is a measurement, not a test: it always exits 0.

Run: python benchmarks/bench_flakiness.py [--runs N] [--keep DIR]
(200 runs take ~15 min: nohup python benchmarks/bench_flakiness.py > /tmp/flaky.log &)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import anyio

import promptlib.deployments.emulator as emulator_deployment
from promptlib import Library
from promptlib.evals._cases import EvalCase, select_cases
from promptlib.evals._results import RunResult
from promptlib.evals._runner import EvalOptions, golden_store, run_cases
from promptlib.goldens._review import approve_from_run
from promptlib.reports._execute import execute
from promptlib.reports._runs import RunDirectory

RUNS = 200
PROJECT_PARTS = ("promptlib.yaml", "prompts", "evals", "assets")
ALGORITHMS = ("phash", "dhash", "whash")
SOURCE = Path(__file__).resolve().parents[1]


@dataclass
class CaseStats:
    """Everything one case did over all runs."""

    thresholds: dict[str, int] = field(default_factory=dict)
    sensitivity: str | None = None
    policy: str = ""
    expected: str = "ok"
    statuses: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    distances: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    top_ups: int = 0
    failures: list[str] = field(default_factory=list)  # "run N: status: message"
    sample_hashes: set[str] = field(default_factory=set)

    @property
    def false_failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "passed")


def copy_project(source: Path, target: Path) -> None:
    """The examples as they are now, goldens included; later edits to ``source`` do not matter."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy2(src, target / part)
        else:
            raise SystemExit(f"{src} is missing; is {source} a promptlib project?")


def fresh_library(root: Path) -> Library:
    """A new Library and a cleared emulator app cache: the next run draws with a fresh random seed."""
    emulator_deployment._apps.clear()
    return Library.load(root)


def seeded_emulators(library: Library) -> list[str]:
    """Emulator deployments with a fixed ``seed``: clearing the app cache would not change their samples."""
    seeded = []
    for name, deployment in library.settings.config.deployments.items():
        if getattr(deployment, "kind", None) == "emulator" and getattr(deployment, "seed", None) is not None:
            seeded.append(name)
    return seeded


def bootstrap_goldens(root: Path) -> list[str]:
    """Run once with the cache off and approve every new case (all K samples): ``approve --all-new``."""
    library = fresh_library(root)
    cases, full_run = select_cases(library, [])
    store = golden_store(library)
    # cases expected to be blocked never get goldens: there is no image to approve
    if all(store.load(c.suite, c.id, verify=False) is not None for c in cases if c.expect.outcome != "blocked"):
        return []
    _, run, data = execute(library, cases, EvalOptions(cache="off"), full_run=full_run)
    approved = approve_from_run(
        store, run.path, data, cases=[], samples=[], all_new=True, by="bench-flakiness", add=False
    )
    return [item.key for item in approved]


def one_run(root: Path, runs_dir: Path, index: int) -> tuple[RunResult, Path, float, float]:
    """One full run of every case, cache off, fresh emulator seed; returns the result, its dir and times."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    library = fresh_library(root)
    cases: list[EvalCase]
    cases, full_run = select_cases(library, [])
    run = RunDirectory.create(runs_dir, runs_dir / f"run-{index:04d}")

    async def main() -> RunResult:
        return await run_cases(library, cases, run, EvalOptions(cache="off"), full_run=full_run)

    result = anyio.run(main)
    return result, run.path, time.perf_counter() - wall0, time.process_time() - cpu0


def record(stats: dict[str, CaseStats], result: RunResult, index: int) -> int:
    """Fold one run into the per-case statistics; returns this run's false failures."""
    false_failures = 0
    for case in result.cases:
        entry = stats.setdefault(f"{case.suite}/{case.case}", CaseStats())
        entry.thresholds = dict(case.thresholds)
        entry.sensitivity = case.sensitivity
        entry.policy = (
            f"{case.policy.get('min_matches')}-of-{case.policy.get('samples')}->{case.policy.get('max_samples')}"
        )
        entry.expected = case.expected_outcome
        entry.statuses[case.status] += 1
        if case.drawn > case.policy.get("samples", case.drawn):
            entry.top_ups += 1
        for sample in case.samples:
            entry.verdicts[sample.verdict] += 1
            entry.sample_hashes.add(sample.sha256)
            for alg in ALGORITHMS:
                if alg in sample.distances:
                    entry.distances[alg].append(sample.distances[alg])
        if case.status != "passed":
            false_failures += 1
            entry.failures.append(f"run {index}: {case.status}: {case.message}")
    return false_failures


def spread(values: list[int]) -> str:
    if not values:
        return "-"
    return f"{min(values)}/{statistics.median(values):g}/{max(values)}"


def print_report(
    stats: dict[str, CaseStats], runs: int, walls: list[float], cpus: list[float], total_false: int, seeded: list[str]
) -> None:
    print(f"\nPer case over {runs} runs (distances: min/median/max of every drawn sample to the golden its verdict")
    print("used; thresholds are tau_case from case.json; miss = samples that did not match; top-ups = runs where")
    print("the first K were ambiguous and more were drawn; false = runs where the case was not `passed`):\n")
    header = (
        f"{'case':<36} {'policy':<9} {'sens':<4} {'tau p/d/w':<10} {'pHash':>10} {'dHash':>10} "
        f"{'wHash':>10} {'samples':>7} {'miss':>6} {'top-ups':>7} {'false':>5}"
    )
    print(header)
    print("-" * len(header))
    for key in sorted(stats):
        entry = stats[key]
        tau = "/".join(str(entry.thresholds.get(a, "-")) for a in ALGORITHMS)
        drawn = sum(entry.verdicts.values())
        misses = entry.verdicts.get("miss", 0)
        miss = f"{misses / drawn:.1%}" if drawn else "-"
        print(
            f"{key:<36} {entry.policy:<9} {entry.sensitivity or '-':<4} {tau:<10} "
            f"{spread(entry.distances['phash']):>10} {spread(entry.distances['dhash']):>10} "
            f"{spread(entry.distances['whash']):>10} {drawn:>7} {miss:>6} {entry.top_ups:>7} "
            f"{entry.false_failures:>5}"
        )
    verdicts: Counter[str] = Counter()
    for entry in stats.values():
        verdicts.update(entry.verdicts)
    print(f"\nsample verdicts over all runs: {dict(sorted(verdicts.items()))}")
    distinct = min((len(e.sample_hashes) for e in stats.values()), default=0)
    print(f"distinct sample images per case: at least {distinct} (a fresh seed each run gives new samples)")
    failures = [(key, line) for key, entry in sorted(stats.items()) for line in entry.failures]
    if failures:
        print("\nfalse failures:")
        for key, line in failures[:50]:
            print(f"  {key}: {line}")
        if len(failures) > 50:
            print(f"  ... {len(failures) - 50} more")
    case_runs = runs * len(stats)
    print(f"\nruns: {runs}, cases per run: {len(stats)}, case runs: {case_runs}")
    if walls:
        print(
            f"time per run: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
            f"(min {min(walls):.2f}, max {max(walls):.2f} s wall); total {sum(walls) / 60:.1f} min"
        )
    if seeded:
        print(f"WARNING: emulator deployments with a fixed seed ({', '.join(seeded)}): their samples repeat each run")
    verdict = "MET" if total_false == 0 else "MISSED"
    print(f"FALSE FAILURES: {total_false} of {case_runs} case runs -> target 0 {verdict}")


def dump(stats: dict[str, CaseStats], path: Path, runs: int, total_false: int) -> None:
    data = {
        "runs": runs,
        "false_failures": total_false,
        "cases": {
            key: {
                "thresholds": e.thresholds,
                "sensitivity": e.sensitivity,
                "policy": e.policy,
                "statuses": dict(e.statuses),
                "verdicts": dict(e.verdicts),
                "top_ups": e.top_ups,
                "distances": {a: e.distances[a] for a in ALGORITHMS},
                "failures": e.failures,
            }
            for key, e in sorted(stats.items())
        },
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"repeated runs (default {RUNS})")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="copy the project into DIR (must not exist) and keep it, with flakiness.json",
    )
    parser.add_argument("--source", type=Path, default=SOURCE, help="project to copy (default: this repository)")
    args = parser.parse_args(argv)

    tmp = None
    if args.keep is not None:
        if args.keep.exists():
            raise SystemExit(f"--keep {args.keep}: already exists; pass a new directory")
        root = args.keep
    else:
        tmp = Path(tempfile.mkdtemp(prefix="promptlib-flaky-"))
        root = tmp / "project"
    try:
        copy_project(args.source, root)
        print(f"project copied from {args.source} to {root}", flush=True)
        seeded = seeded_emulators(Library.load(root))
        started = time.perf_counter()
        approved = bootstrap_goldens(root)
        if approved:
            print(
                f"no goldens for {len(approved)} case(s): ran once and approved all samples "
                f"({time.perf_counter() - started:.1f} s)",
                flush=True,
            )
        else:
            print("goldens present for every case", flush=True)
        runs_dir = root / ".promptlib" / "flaky-runs"
        stats: dict[str, CaseStats] = {}
        walls: list[float] = []
        cpus: list[float] = []
        total_false = 0
        for index in range(1, args.runs + 1):
            result, run_path, wall, cpu = one_run(root, runs_dir, index)
            walls.append(wall)
            cpus.append(cpu)
            false_now = record(stats, result, index)
            total_false += false_now
            if false_now == 0:
                shutil.rmtree(run_path, ignore_errors=True)
            if index == 1 or index % 10 == 0 or false_now:
                print(
                    f"run {index}/{args.runs}: {wall:.1f} s wall, {cpu:.1f} s CPU, false failures this run "
                    f"{false_now}, total {total_false}",
                    flush=True,
                )
        print_report(stats, args.runs, walls, cpus, total_false, seeded)
        if args.keep is not None:
            dump(stats, root / "flakiness.json", args.runs, total_false)
            print(f"kept: {root} (flakiness.json has every distance; runs with false failures in {runs_dir})")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
