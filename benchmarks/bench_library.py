"""How much does promptlib cost over bare Jinja, and how fast does the CLI start?

promptlib promises that its safety (strict schema, sandbox, budgets, declared-vs-used
checks, content hashes) is cheap enough that apps can load and render templates at
run time, and that `promptlib --help` feels instant. This script puts numbers on both:

1. Load + render: 1,000 generated templates (varied variables, some with a partial)
   in a temporary project. promptlib does `Library.load(root)`, `get()` and
   `render()` for every template with a fresh Library each repetition, so nothing is
   cached between repetitions. The baseline is bare `jinja2.Environment().from_string(
   text).render(**vars)` of the same texts with the partials inlined. Target: <= 1.5x.
2. Cold start: `promptlib --help` in a subprocess against `python -c pass`.
   Target: <= 0.25 s more.

It is a measurement, not a test: it always exits 0. `--profile` adds a cProfile of
one promptlib repetition and `--stages` the CPU time of each stage of promptlib's load
and render beside bare Jinja's compile and render (best of REPEATS each): where the
cost over bare Jinja goes, without the profiler's own overhead.
Run: python benchmarks/bench_library.py [--profile] [--stages]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from promptlib import Library

N_TEMPLATES = 1_000
N_PARTIALS = 12
REPEATS = 5
STARTUP_RUNS = 10
RATIO_TARGET = 1.5
STARTUP_TARGET = 0.25  # seconds over a bare interpreter

WORDS = [
    "amber",
    "birch",
    "cobalt",
    "dune",
    "ember",
    "fjord",
    "granite",
    "harbour",
    "indigo",
    "juniper",
    "kelp",
    "lantern",
    "meadow",
    "nickel",
    "ochre",
    "pebble",
    "quartz",
    "russet",
    "saffron",
    "tundra",
    "umber",
    "velvet",
    "willow",
    "yarrow",
    "zinc",
]
STYLES = ["photo", "illustration", "3d-render", "watercolour", "line-art", "collage"]


@dataclass(frozen=True)
class Case:
    """One generated template: its id, its text with partials inlined, and its example's values."""

    template_id: str
    inlined_text: str
    variables: dict[str, Any]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


def _variables(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Specs, example values and template lines for a random mix of variable types."""
    specs: dict[str, Any] = {"subject": {"type": "string", "max_length": 80, "description": "What is shown."}}
    values: dict[str, Any] = {"subject": f"a {rng.choice(WORDS)} {rng.choice(WORDS)} vase"}
    lines = ["An image of {{ subject }}."]
    kinds = rng.sample(["enum", "integer", "number", "boolean", "list"], k=rng.randint(2, 5))
    for kind in kinds:
        if kind == "enum":
            options = rng.sample(STYLES, k=rng.randint(2, 5))
            specs["style"] = {"type": "enum", "values": options, "default": options[0]}
            values["style"] = rng.choice(options)
            lines.append("Rendered as a {{ style }}.")
        elif kind == "integer":
            specs["count"] = {"type": "integer", "minimum": 1, "maximum": 12, "default": 3}
            values["count"] = rng.randint(1, 12)
            lines.append("Show {{ count }} of them{% if count > 6 %}, tightly grouped{% endif %}.")
        elif kind == "number":
            specs["space"] = {"type": "number", "minimum": 0, "maximum": 0.5, "default": 0.3}
            values["space"] = round(rng.uniform(0, 0.5), 2)
            lines.append("Keep {{ (space * 100) | round | int }}% of the frame empty.")
        elif kind == "boolean":
            specs["detailed"] = {"type": "boolean", "default": False}
            values["detailed"] = rng.random() < 0.5
            lines.append("{% if detailed %}Fine surface detail.{% else %}Simple flat shapes.{% endif %}")
        else:
            specs["props"] = {"type": "list", "max_items": 5, "max_length": 40, "default": []}
            values["props"] = rng.sample(WORDS, k=rng.randint(1, 5))
            lines.append("Props: {% for p in props %}{{ p }}{% if not loop.last %}, {% endif %}{% endfor %}.")
    return specs, values, lines


def make_project(root: Path, seed: int = 7, n_templates: int = N_TEMPLATES) -> list[Case]:
    """Write promptlib.yaml, partials and ``n_templates`` templates under ``root``; return the cases."""
    rng = random.Random(seed)
    (root / "promptlib.yaml").write_text("prompts: prompts\nevals: evals\n", encoding="utf-8")
    partials: dict[str, str] = {}
    for k in range(N_PARTIALS):
        name = f"shared/style-{k}.j2"
        partials[name] = f"House style {k} for {{{{ subject }}}}: {_sentence(rng)}\n"
        path = root / "prompts" / "partials" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(partials[name], encoding="utf-8")
    cases = []
    for i in range(n_templates):
        specs, values, lines = _variables(rng)
        lines += [_sentence(rng) for _ in range(rng.randint(1, 4))]
        include = rng.random() < 0.4
        if include:
            lines.append(f'{{% include "{rng.choice(list(partials))}" %}}')
        text = "\n".join(lines) + "\n"
        template_id = f"group-{i % 20:02d}/template-{i:05d}"
        document = {
            "version": 1,
            "description": f"Generated benchmark template {i}.",
            "owners": ["bench"],
            "variables": specs,
            "parameters": {"size": rng.choice(["1024x1024", "1536x1024", "1024x1536"]), "quality": "low"},
            "template": text,
            "examples": [{"name": "default", "variables": values}],
        }
        path = root / "prompts" / f"{template_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        inlined = text
        for name, source in partials.items():
            inlined = inlined.replace(f'{{% include "{name}" %}}', source)
        cases.append(Case(template_id, inlined, values))
    return cases


def run_promptlib(root: Path, cases: list[Case]) -> list[str]:
    """One repetition: a fresh Library, then get and render every template."""
    library = Library.load(root)
    return [library.get(c.template_id).render(c.variables).prompt for c in cases]


def run_jinja(cases: list[Case]) -> list[str]:
    """One repetition of the baseline: bare Jinja, same texts, partials inlined."""
    env = jinja2.Environment()
    return [env.from_string(c.inlined_text).render(**c.variables) for c in cases]


def run_jinja_with_yaml(root: Path, cases: list[Case]) -> list[str]:
    """Context only: the baseline plus reading each template file with PyYAML's C loader."""
    for case in cases:
        yaml.load((root / "prompts" / f"{case.template_id}.yaml").read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    return run_jinja(cases)


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def median_seconds(func: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(funcs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median time of each function, taking turns so machine noise hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            # CPU time of this process: both sides are single-threaded, and the 2-core machine is shared,
            # so wall time would measure the neighbours as much as the code.
            start = time.process_time()
            func()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def check_same_output(root: Path, cases: list[Case]) -> None:
    """Guard against comparing unequal work: both sides must produce the same prompts."""
    squash = " ".join
    ours = [squash(p.split()) for p in run_promptlib(root, cases)]
    theirs = [squash(p.split()) for p in run_jinja(cases)]
    mismatched = sum(a != b for a, b in zip(ours, theirs, strict=True))
    if mismatched:
        print(f"warning: {mismatched} renders differ between promptlib and the baseline", file=sys.stderr)


def cli_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("promptlib")
    found = script if script.exists() else shutil.which("promptlib")
    return [str(found), "--help"] if found else [sys.executable, "-m", "promptlib.cli", "--help"]


def startup_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, check=True, capture_output=True)  # warm the OS file cache
    return median_seconds(lambda: subprocess.run(command, check=True, capture_output=True), runs)


def profile(root: Path, cases: list[Case], top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run_promptlib, root, cases)
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    print("\ncProfile of one promptlib repetition (cumulative):")
    stats.print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def stages(root: Path, cases: list[Case]) -> None:
    """CPU time of each stage of promptlib's load + render, and of bare Jinja's compile and render."""
    from promptlib.core._bounded import read_text
    from promptlib.core._problems import validate_document
    from promptlib.core._yaml import parse_yaml
    from promptlib.exceptions import TemplateValidationError
    from promptlib.prompts._template_file import TemplateFile
    from promptlib.prompts._templates import _content_hash

    library = Library.load(root)
    paths = [library.path_of(c.template_id) for c in cases]
    texts = [read_text(p, within=library.prompts_dir) for p in paths]
    docs = [parse_yaml(text, path) for text, path in zip(texts, paths, strict=True)]
    specs = [validate_document(TemplateFile, d, TemplateValidationError, "a template") for d in docs]
    templates = [library.get(c.template_id) for c in cases]
    env = jinja2.Environment()
    compiled = [env.from_string(c.inlined_text) for c in cases]

    def compile_all() -> None:
        compiler = Library.load(root).compiler
        for spec, case, path in zip(specs, cases, paths, strict=True):
            compiler.compile(spec.template, name=case.template_id, path=path)

    measured = {
        "promptlib: Library.load (settings, discovery)": lambda: Library.load(root),
        "promptlib: read files (bounded)": lambda: [
            read_text(p, within=library.compiler.prompts_root, within_resolved=True) for p in paths
        ],
        "promptlib: parse YAML (C loader, lines)": lambda: [
            parse_yaml(t, p) for t, p in zip(texts, paths, strict=True)
        ],
        "promptlib: validate (pydantic)": lambda: [
            validate_document(TemplateFile, d, TemplateValidationError, "a template") for d in docs
        ],
        "promptlib: sandboxed compile + analysis": compile_all,
        "promptlib: content hashes": lambda: [
            _content_hash(d.data, t.partial_texts) for d, t in zip(docs, templates, strict=True)
        ],
        "promptlib: render (checked values, budgets)": lambda: [
            t.render(c.variables) for t, c in zip(templates, cases, strict=True)
        ],
        "bare Jinja: compile": lambda: [env.from_string(c.inlined_text) for c in cases],
        "bare Jinja: render": lambda: [j.render(**c.variables) for j, c in zip(compiled, cases, strict=True)],
    }
    print(f"\nstages, CPU time for {len(cases)} templates (best of {REPEATS}):")
    for label, func in measured.items():
        best = min(_cpu_seconds(func) for _ in range(REPEATS))
        row(label, f"{best * 1000:.0f} ms")


def _cpu_seconds(func: Callable[[], object]) -> float:
    start = time.process_time()
    func()
    return time.process_time() - start


def row(label: str, value: str, verdict: str = "") -> None:
    print(f"  {label:<46} {value:>12}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one promptlib repetition")
    parser.add_argument("--stages", action="store_true", help="also print the CPU time of each stage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promptlib-bench-") as tmp:
        root = Path(tmp)
        cases = make_project(root)
        check_same_output(root, cases)
        medians = interleaved_medians(
            {
                "promptlib": lambda: run_promptlib(root, cases),
                "jinja": lambda: run_jinja(cases),
                "jinja+yaml": lambda: run_jinja_with_yaml(root, cases),
            },
            REPEATS,
        )
        if args.profile:
            profile(root, cases)
        if args.stages:
            stages(root, cases)
    ours, baseline = medians["promptlib"], medians["jinja"]
    ratio = ours / baseline
    bare = startup_seconds([sys.executable, "-c", "pass"], STARTUP_RUNS)
    cli = startup_seconds(cli_command(), STARTUP_RUNS)
    extra = cli - bare

    def verdict(ok: bool) -> str:
        return "target met" if ok else "TARGET MISSED"

    print(f"\npromptlib benchmark: {N_TEMPLATES} templates, median of {REPEATS} (startup: {STARTUP_RUNS})")
    row("promptlib load + get + render", f"{ours * 1000:.0f} ms")
    row("bare Jinja from_string + render", f"{baseline * 1000:.0f} ms")
    row(f"ratio (target <= {RATIO_TARGET}x)", f"{ratio:.2f}x", verdict(ratio <= RATIO_TARGET))
    row("context: Jinja + PyYAML C load of the files", f"{medians['jinja+yaml'] * 1000:.0f} ms")
    row("context: promptlib over Jinja + YAML", f"{ours / medians['jinja+yaml']:.2f}x")
    row("python -c pass", f"{bare * 1000:.0f} ms")
    row("promptlib --help", f"{cli * 1000:.0f} ms")
    row(f"CLI cold start overhead (target <= {STARTUP_TARGET} s)", f"{extra:.3f} s", verdict(extra <= STARTUP_TARGET))


if __name__ == "__main__":
    main()
