"""How long does report.html take to render, against writing the same run's results.json?

A report is rendered at the end of every `promptlib eval` and `report merge`, so it must stay a small part of the
run. This script takes the example project's results (it copies the project to a temp dir and runs
`promptlib eval` there, or reads `--results FILE`) and times, interleaved, median of repeats:

1. `render_report_html(results)` with the environment and static files already loaded (every render after the
   first in a process), against the baseline `json.dumps(results, indent=2, sort_keys=True)` (what
   `write_reports` does for results.json from the same dict). Target: <= 10x the baseline.
2. The first render in a fresh process (`python -c`, template compilation and file reads included), against a
   fresh process that only imports `promptlib.reports`.
3. With `--against REV`: the renderer at git revision REV (`promptlib/_report_html.py` as it was, e.g. the
   f-string renderer before the templates), loaded from `git show` and timed in the same run.

It is a measurement, not a test: it always exits 0. Run:
    python benchmarks/bench_report.py [--results FILE] [--repeats N] [--against REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from promptlib.reports._html import render_report_html

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("promptlib.yaml", "prompts", "evals", "assets")
REPEATS = 30
FRESH_RUNS = 5
RATIO_TARGET = 10.0


def example_results(keep: Path | None) -> dict[str, Any]:
    """results.json of `promptlib eval` on a copy of the example project."""
    work = keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    for part in PROJECT_PARTS:
        source, target = ROOT / part, work / part
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, target)
    subprocess.run([sys.executable, "-m", "promptlib.cli", "eval"], cwd=work, check=False, capture_output=True)
    latest = max((work / ".promptlib" / "runs").glob("*/results.json"), key=lambda p: p.stat().st_mtime)
    results: dict[str, Any] = json.loads(latest.read_text(encoding="utf-8"))
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return results


def renderer_at(rev: str) -> Callable[[dict[str, Any]], str]:
    """`render_report_html` of `promptlib/_report_html.py` at git revision REV, imported as part of promptlib."""
    source = subprocess.run(
        ["git", "show", f"{rev}:promptlib/_report_html.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "_report_html_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("promptlib._report_html_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "promptlib"
    spec.loader.exec_module(module)
    render: Callable[[dict[str, Any]], str] = module.render_report_html
    return render


def interleaved_medians(funcs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median CPU seconds per function, alternating them so drift on a shared machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.process_time()
            func()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def fresh_process_seconds(code: str, runs: int) -> float:
    """Median wall time of `python -c CODE` (a first render pays template compilation and file reads)."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def row(label: str, value: str, verdict: str = "") -> None:
    print(f"  {label:<52} {value:>12}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, help="a results.json to render (default: run the example project)")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--against", metavar="REV", help="also time promptlib/_report_html.py at this git revision")
    parser.add_argument("--keep", type=Path, help="run the example project in this directory and keep it")
    args = parser.parse_args()
    results = json.loads(args.results.read_text(encoding="utf-8")) if args.results else example_results(args.keep)
    render_report_html(results)  # the first render loads the environment and the static files
    funcs: dict[str, Callable[[], object]] = {
        "report": lambda: render_report_html(results),
        "json": lambda: json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False),
    }
    if args.against:
        old = renderer_at(args.against)
        funcs["old"] = lambda: old(results)
    medians = interleaved_medians(funcs, args.repeats)
    samples = sum(len(c.get("samples") or []) for c in results.get("cases") or [])
    print(
        f"\nreport.html: {len(results.get('cases') or [])} cases, {samples} samples, "
        f"{len(render_report_html(results)) / 1024:.0f} KiB; CPU time, median of {args.repeats}"
    )
    row("render_report_html (warm)", f"{medians['report'] * 1000:.2f} ms")
    row("baseline: json.dumps of the same results", f"{medians['json'] * 1000:.2f} ms")
    ratio = medians["report"] / medians["json"]
    row(f"ratio (target <= {RATIO_TARGET:g}x)", f"{ratio:.2f}x", "ok" if ratio <= RATIO_TARGET else "OVER TARGET")
    if args.against:
        row(f"renderer at {args.against}", f"{medians['old'] * 1000:.2f} ms")
        row("templates / that renderer", f"{medians['report'] / medians['old']:.2f}x")
    path = args.results or Path(tempfile.mkdtemp()) / "results.json"
    if not args.results:
        path.write_text(json.dumps(results), encoding="utf-8")
    load = (
        f"import json; from promptlib.reports._html import render_report_html as r; d = json.load(open({str(path)!r}))"
    )
    load += ";"
    first = fresh_process_seconds(load + " r(d)", FRESH_RUNS)
    bare = fresh_process_seconds(load, FRESH_RUNS)
    row("fresh process: import + first render (wall)", f"{first * 1000:.0f} ms")
    row("fresh process: import only (wall)", f"{bare * 1000:.0f} ms")
    row("first render's own cost", f"{(first - bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
