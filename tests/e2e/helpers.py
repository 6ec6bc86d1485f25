"""Golden-workflow test helpers: copies of the repository's example project, and the real CLI run on them.

Building a project with approved goldens costs a second or two (generate, hash, approve), so each kind is
built once per test process and copied (goldens, lock and result cache included) into every test's tmp_path:
evals on a copy are cache hits and take a fraction of a second. The emulator deployment always has a fixed
seed; `reset_emulators()` forgets the in-process emulator apps so the next draw starts the seed's sequence
from the beginning (the apps are cached per configuration and count samples per prompt).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result
from PIL import Image

from promptlib.cli import cli
from promptlib.deployments import emulator as emulator_deployment

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("promptlib.yaml", "prompts", "evals", "assets")
SEED = 7
VARIANCE = 0.1
BRAND = (
    "logo-crane-symbol",
    "logo-leaf-wordmark",
    "icon-padlock",
    "icon-paper-plane-teal",
    "edit-mug-on-sand",
    "edit-mug-on-marble",
)
ICONS = ("brand/icon-padlock", "brand/icon-paper-plane-teal")
LOGOS = ("brand/logo-crane-symbol", "brand/logo-leaf-wordmark")


def reset_emulators() -> None:
    """Drop the process's emulator apps: the next request starts the seed's sequence of variants afresh."""
    with emulator_deployment._lock:
        emulator_deployment._apps.clear()


def copy_example(dest: Path, *, seed: int = SEED, suites: Iterable[str] | None = None) -> Path:
    """The repository's example project (config, prompts, evals, assets) in ``dest``, its emulator seeded.

    ``suites`` keeps only those eval suites (a full run is then just those suites).
    """
    dest.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("goldens"))
        else:
            shutil.copy2(source, dest / part)
    if suites is not None:
        keep = set(suites)
        for suite in (dest / "evals").glob("*.yaml"):
            if suite.stem not in keep:
                suite.unlink()
    configure(dest, lambda config: config["deployments"]["local"].update(seed=seed, variance=VARIANCE))
    return dest


def configure(root: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Edit promptlib.yaml as data (comments are lost; fine for a test copy)."""
    path = root / "promptlib.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def set_seed(root: Path, seed: int) -> None:
    configure(root, lambda config: config["deployments"]["local"].update(seed=seed))


def add_deployment(root: Path, name: str, **settings: Any) -> None:
    configure(root, lambda config: config["deployments"].update({name: {"kind": "emulator", **settings}}))


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(root: Path, relative: str, old: str, new: str, *, count: int = 1) -> Path:
    """Replace ``old`` (which must occur exactly ``count`` times) in a project file."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def bump_version(root: Path, template_id: str) -> int:
    """Raise a template's ``version:`` by one (what a PR must do with any template change); returns it."""
    path = root / "prompts" / f"{template_id}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("version:"):
            new = int(line.split(":", 1)[1]) + 1
            lines[i] = f"version: {new}\n"
            path.write_text("".join(lines), encoding="utf-8")
            return new
    raise AssertionError(f"{path} has no top-level version")


def promptlib(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``promptlib -C ROOT ARGS`` in-process; a traceback or an uncaught exception fails the test."""
    result = CliRunner().invoke(cli, ["-C", str(root), *args], env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"promptlib {' '.join(args)} raised {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    return result


def run_real(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, as a CI job runs it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PROMPTLIB_", "AZURE_", "OPENAI_"))}
    environment.update(env or {})
    environment.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "promptlib.cli", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def latest_run(root: Path) -> Path:
    return Path((root / ".promptlib" / "runs" / "latest").read_text(encoding="utf-8").strip())


def latest_results(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((latest_run(root) / "results.json").read_text(encoding="utf-8"))
    return data


def by_key(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {case["key"]: case for case in results["cases"]}


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {case["key"]: case["status"] for case in results["cases"]}


def manifest(root: Path, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "evals" / "goldens" / key / "case.json").read_text(encoding="utf-8"))
    return data


def golden_dir(root: Path, key: str) -> Path:
    return root / "evals" / "goldens" / key


def png(size: tuple[int, int] = (64, 64), color: Any = (200, 40, 40), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


class Prepared:
    """Projects built once per process (under a session tmp dir) and copied into tests."""

    def __init__(self) -> None:
        self._built: dict[str, Path] = {}

    def get(self, name: str, base: Path, build: Callable[[Path], None]) -> Path:
        if name not in self._built:
            target = base / name
            if target.exists():
                shutil.rmtree(target)
            build(target)
            self._built[name] = target
        return self._built[name]


PREPARED = Prepared()


def approved_brand(base: Path) -> Path:
    """The example project reduced to its brand suite (six cases), every case approved from a seeded run.

    A full run of a copy costs 18 cache hits (all samples exact); ``latest`` is the run the goldens came from.
    """

    def build(root: Path) -> None:
        copy_example(root, suites=["brand"])
        reset_emulators()
        first = promptlib(root, "eval")
        assert first.exit_code == 1, first.output
        approved = promptlib(root, "approve", "--all-new", "--by", "fixture")
        assert approved.exit_code == 0, approved.output

    return PREPARED.get("approved-brand", base, build)


def clone(template: Path, dest: Path) -> Path:
    """A private copy of a prepared project (goldens, lock, runs and result cache included)."""
    shutil.copytree(template, dest, symlinks=True)
    latest = dest / ".promptlib" / "runs" / "latest"
    if latest.is_file():  # the pointer holds an absolute path: point it into the copy
        old = Path(latest.read_text(encoding="utf-8").strip())
        latest.write_text(str(dest / ".promptlib" / "runs" / old.name) + "\n", encoding="utf-8")
    return dest


def lock(root: Path) -> None:
    result = promptlib(root, "lock")
    assert result.exit_code == 0, result.output


def single_line_error(output: str) -> str:
    """The one ``error:`` line a failing command printed (fails if there are none or several)."""
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    return lines[0]


def keys(*names: str, suite: str = "brand") -> list[str]:
    return [f"{suite}/{name}" for name in names]


def sample_files(run: Path, key: str) -> Sequence[Path]:
    return sorted((run / "samples" / key).glob("s*"))


def plant(root: Path, key: str, images: Sequence[bytes], *, start: int = 0) -> str:
    """Store ``images`` in the result cache as what the deployment returned for one of a case's draws.

    ``start`` is the draw's first sample number (0 for the first K, K for the top-up) and ``len(images)`` its n,
    exactly as the runner asks; the next eval of the case takes these images from the cache. Returns the
    request hash.
    """
    from promptlib._library import Library
    from promptlib.client._requests import ImageRequest
    from promptlib.client._results import GeneratedImage, GenerationResult
    from promptlib.evals._cache import ResultCache
    from promptlib.evals._cases import select_cases

    library = Library.load(root)
    (case,), _ = select_cases(library, [key])
    rendered = library.get(case.template_id).render(case.variables)
    name = library.settings.deployment_name(None, case.deployment or rendered.deployment)
    model = library.settings.deployment(name).model
    variant = library.settings.deployment(name).output_identity()
    request = ImageRequest.from_rendered(
        rendered, deployment=name, model=model, sample=start, n=len(images), variant=variant
    )
    generated = []
    for index, data in enumerate(images):
        with Image.open(io.BytesIO(data)) as img:
            fmt, (width, height) = str(img.format).lower(), img.size
        generated.append(GeneratedImage(data=data, format=fmt, width=width, height=height, index=index))
    result = GenerationResult(
        request=request,
        images=tuple(generated),
        deployment=name,
        model=str(model),
        usage=None,
        request_id="planted",
        latency_s=0.0,
    )
    ResultCache(root / ".promptlib" / "cache").put(result)
    return request.request_hash


def golden_images(root: Path, key: str) -> list[bytes]:
    """The case's golden images, in manifest order."""
    return [(golden_dir(root, key) / g["file"]).read_bytes() for g in manifest(root, key)["goldens"]]
