"""How long does `promptlib check` take on a 10,000-template library, cold and after a one-file edit?

`check` runs on every pull request, so at enterprise scale it has to cost about what reading the files
costs. The floor is the least any checker could do: in one process, load every template file with
PyYAML's C loader and compile its body with plain Jinja (no sandbox, no schema, no partials, no lock,
no suites). Against it, in the same run and taking turns so the shared machine's noise hits all alike:

1. cold: `promptlib check` with no `.promptlib/` cache (a fresh CI runner). Target: <= 1.0x the floor.
2. warm: `promptlib check` again after editing one template (the common PR). Target: <= 0.25x the floor.
3. context: `promptlib check --no-cache` (when the installed promptlib has it).

Each `check` is a subprocess, timed by wall clock (interpreter start-up included), because a parallel
check is what a developer waits for; the floor runs in this process and is timed the same way.
The project: bench_library's generator (varied variables, 40% include one of 12 partials), a lock,
and a suite of a few cases. It is a measurement, not a test: it always exits 0.

Run: python benchmarks/bench_check.py [--templates N] [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jinja2
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from bench_library import make_project

COLD_TARGET = 1.0
WARM_TARGET = 0.25
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SUITE = """\
samples: 1
policy: {min_matches: 1, max_samples: 1}
cases:
  - from_examples: group-00/template-00000
  - from_examples: group-01/template-00001
  - id: plain
    prompt: group-02/template-00002
"""


def promptlib_command() -> list[str]:
    script = Path(sys.executable).with_name("promptlib")
    found = script if script.exists() else shutil.which("promptlib")
    return [str(found)] if found else [sys.executable, "-m", "promptlib"]


def build(root: Path, n_templates: int) -> list[Path]:
    """The benchmark project, locked; returns its template files."""
    make_project(root, n_templates=n_templates)
    (root / "evals").mkdir(exist_ok=True)
    (root / "evals" / "smoke.yaml").write_text(SUITE, encoding="utf-8")
    subprocess.run([*promptlib_command(), "lock"], cwd=root, check=True, capture_output=True)
    return sorted(p for p in (root / "prompts").rglob("*.yaml") if "partials" not in p.parts)


def floor(files: list[Path]) -> None:
    """PyYAML's C loader plus a plain Jinja compile of each body, one process."""
    env = jinja2.Environment()
    for path in files:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        env.from_string(document["template"])


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


class Checker:
    """`promptlib check` in the project, and the one-file edit between runs."""

    def __init__(self, root: Path, edited: Path) -> None:
        self.root = root
        self.edited = edited
        self.original = edited.read_text(encoding="utf-8")
        self.edits = 0
        self.command = promptlib_command()
        help_text = subprocess.run([*self.command, "check", "--help"], capture_output=True, text=True).stdout
        self.has_no_cache = "--no-cache" in help_text
        self.outputs: dict[str, str] = {}

    def run(self, label: str, *extra: str) -> None:
        done = subprocess.run([*self.command, "check", *extra], cwd=self.root, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            print(f"warning: check exited {done.returncode}: {done.stderr.strip()[-300:]}", file=sys.stderr)
        self.outputs[label] = done.stdout

    def cold(self) -> None:
        shutil.rmtree(self.root / ".promptlib", ignore_errors=True)
        self.run("cold")

    def edit(self) -> None:
        """Change one template's description (a real content change: the lock then flags it, as in a PR)."""
        self.edits += 1
        text = self.original.replace("description: ", f"description: Edit {self.edits}. ", 1)
        self.edited.write_text(text, encoding="utf-8")

    def restore(self) -> None:
        self.edited.write_text(self.original, encoding="utf-8")


def row(label: str, value: str, verdict: str = "") -> None:
    print(f"  {label:<52} {value:>10}  {verdict}")


def verdict(ok: bool) -> str:
    return "target met" if ok else "TARGET MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it (reused when it is there)")
    args = parser.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="promptlib-bench-check-")
    root = args.keep or Path(tmp.name)  # type: ignore[union-attr]
    root.mkdir(parents=True, exist_ok=True)
    reuse = args.keep is not None and (root / "prompts" / "prompts.lock").is_file()
    files = (
        sorted(p for p in (root / "prompts").rglob("*.yaml") if "partials" not in p.parts)
        if reuse
        else build(root, args.templates)
    )
    checker = Checker(root, files[len(files) // 2])
    floor(files)  # warm the OS file cache for every side
    times: dict[str, list[float]] = {"floor": [], "cold": [], "warm": [], "no-cache": []}
    for _ in range(args.repeats):
        times["floor"].append(timed(lambda: floor(files)))
        times["cold"].append(timed(checker.cold))
        checker.edit()
        times["warm"].append(timed(lambda: checker.run("warm")))
        checker.restore()
        if checker.has_no_cache:
            times["no-cache"].append(timed(lambda: checker.run("no-cache", "--no-cache")))
    medians = {name: statistics.median(values) for name, values in times.items() if values}
    base = medians["floor"]
    print(f"\npromptlib check: {args.templates:,} templates, median of {args.repeats} (wall clock)")
    row("floor: PyYAML C load + plain Jinja compile", f"{base:.2f} s")
    row("check, cold (no .promptlib/ cache)", f"{medians['cold']:.2f} s")
    row("check, after a one-file edit", f"{medians['warm']:.2f} s")
    if "no-cache" in medians:
        row("check --no-cache", f"{medians['no-cache']:.2f} s")
    cold, warm = medians["cold"] / base, medians["warm"] / base
    row(f"cold / floor (target <= {COLD_TARGET}x)", f"{cold:.2f}x", verdict(cold <= COLD_TARGET))
    row(f"warm / floor (target <= {WARM_TARGET}x)", f"{warm:.2f}x", verdict(warm <= WARM_TARGET))
    if "no-cache" in medians:
        row("context: --no-cache / floor", f"{medians['no-cache'] / base:.2f}x")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
